{#- Never OR REPLACE: that would drop the table's grants and hide a name clash. The volume
    and integration are names given as strings, which Snowflake reads as identifiers, so
    they are quoted twice: '"VOL"'. -#}
CREATE ICEBERG TABLE {{ [database, schema, name] | qualified }}
  EXTERNAL_VOLUME = {{ external_volume | ident | lit }}
  CATALOG = {{ catalog_integration | ident | lit }}
  METADATA_FILE_PATH = {{ metadata_file_path | lit }}
