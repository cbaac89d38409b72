SHOW GRANTS ON {{ object_type | keyword }} {{ object | qualified }}
