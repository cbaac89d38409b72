{#- Iceberg metadata files read straight from object storage (no catalog server). -#}
CREATE CATALOG INTEGRATION IF NOT EXISTS {{ name | ident }}
  CATALOG_SOURCE = OBJECT_STORE
  TABLE_FORMAT = ICEBERG
  ENABLED = TRUE
