package forge.standin;

/**
 * The stand-in's own S3 access, given at start ({@code --s3-endpoint}, {@code --s3-access-key},
 * {@code --s3-secret-key}): what Polaris gets from {@code AWS_ACCESS_KEY_ID} /
 * {@code AWS_SECRET_ACCESS_KEY} and uses for its own FileIO. A catalog's
 * {@code endpointInternal} (else {@code endpoint}) overrides the endpoint, as in Polaris.
 */
record S3Settings(String endpoint, String accessKey, String secretKey) {}
