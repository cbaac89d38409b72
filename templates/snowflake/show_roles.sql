SHOW ROLES LIKE {{ name | lit }}
