GRANT {{ privilege | keyword }} ON {{ object_type | keyword }} {{ object | qualified }} TO ROLE {{ role | ident }}
