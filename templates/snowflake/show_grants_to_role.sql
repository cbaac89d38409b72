SHOW GRANTS TO ROLE {{ role | ident }}
