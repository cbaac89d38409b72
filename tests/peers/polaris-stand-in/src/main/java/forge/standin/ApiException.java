package forge.standin;

/**
 * An error answered in Polaris's envelope, {@code {"error":{"message","type","code"}}}: the
 * Iceberg {@code ErrorResponse} that Polaris's exception mappers build, where {@code type} is the
 * simple name of the Java exception Polaris would have thrown (e.g. {@code NotFoundException},
 * {@code CommitConflictException}) or, for failed grant operations, the metastore's return
 * status (e.g. {@code GRANT_NOT_FOUND}).
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String type;

  ApiException(int status, String type, String message) {
    super(message);
    this.status = status;
    this.type = type;
  }

  static ApiException notFound(String fmt, Object... args) {
    return new ApiException(404, "NotFoundException", String.format(fmt, args));
  }

  static ApiException badRequest(String fmt, Object... args) {
    return new ApiException(400, "BadRequestException", String.format(fmt, args));
  }

  static ApiException illegalArgument(String fmt, Object... args) {
    return new ApiException(400, "IllegalArgumentException", String.format(fmt, args));
  }

  static ApiException validation(String fmt, Object... args) {
    return new ApiException(400, "ValidationException", String.format(fmt, args));
  }

  static ApiException alreadyExists(String fmt, Object... args) {
    return new ApiException(409, "AlreadyExistsException", String.format(fmt, args));
  }

  static ApiException commitConflict(String fmt, Object... args) {
    return new ApiException(409, "CommitConflictException", String.format(fmt, args));
  }

  static ApiException forbidden(String fmt, Object... args) {
    return new ApiException(403, "ForbiddenException", String.format(fmt, args));
  }

  static ApiException notAuthorized(String fmt, Object... args) {
    return new ApiException(401, "NotAuthorizedException", String.format(fmt, args));
  }
}
