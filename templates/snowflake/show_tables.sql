SHOW TABLES IN SCHEMA {{ [database, schema] | qualified }}
