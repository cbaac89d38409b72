{#- Already gone is fine; a database or schema goes with its contents, so callers check
    first that nothing forge does not manage is inside. -#}
DROP {{ object_type | keyword }} IF EXISTS {{ object | qualified }}
