DESC EXTERNAL VOLUME {{ name | ident }}
