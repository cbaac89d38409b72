ALTER ICEBERG TABLE {{ [database, schema, name] | qualified }} REFRESH {{ metadata_file_path | lit }}
