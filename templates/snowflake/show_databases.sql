{#- LIKE is case-insensitive and `_` matches any character: callers keep exact matches. -#}
SHOW DATABASES LIKE {{ name | lit }}
