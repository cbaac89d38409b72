REVOKE ROLE {{ role | ident }} FROM USER {{ user | ident }}
