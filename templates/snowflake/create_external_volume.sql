{#- One S3 location on the whole bucket, reached through the IAM role with forge's own
    external id (so the role's trust stays valid across re-creates); read-only. -#}
CREATE EXTERNAL VOLUME IF NOT EXISTS {{ name | ident }}
  STORAGE_LOCATIONS = ((
    NAME = {{ location | lit }}
    STORAGE_PROVIDER = 'S3'
    STORAGE_BASE_URL = {{ base_url | lit }}
    STORAGE_AWS_ROLE_ARN = {{ role_arn | lit }}
    STORAGE_AWS_EXTERNAL_ID = {{ external_id | lit }}
  ))
  ALLOW_WRITES = FALSE
