SHOW ICEBERG TABLES LIKE {{ name | lit }} IN SCHEMA {{ [database, schema] | qualified }}
