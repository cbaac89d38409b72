CREATE ROLE IF NOT EXISTS {{ name | ident }}
