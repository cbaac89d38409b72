SELECT SYSTEM$GET_ICEBERG_TABLE_INFORMATION({{ [database, schema, name] | qualified | lit }})
