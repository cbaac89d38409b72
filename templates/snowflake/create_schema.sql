CREATE SCHEMA IF NOT EXISTS {{ [database, name] | qualified }}
