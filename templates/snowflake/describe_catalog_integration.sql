DESC CATALOG INTEGRATION {{ name | ident }}
