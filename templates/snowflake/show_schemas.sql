SHOW SCHEMAS {% if name is defined %}LIKE {{ name | lit }} {% endif %}IN DATABASE {{ database | ident }}
