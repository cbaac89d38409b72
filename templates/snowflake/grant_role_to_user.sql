GRANT ROLE {{ role | ident }} TO USER {{ user | ident }}
