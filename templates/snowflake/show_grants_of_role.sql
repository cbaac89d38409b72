SHOW GRANTS OF ROLE {{ role | ident }}
