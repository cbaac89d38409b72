REVOKE {{ privilege | keyword }} ON {{ object_type | keyword }} {{ object | qualified }} FROM ROLE {{ role | ident }}
