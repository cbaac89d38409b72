package forge.standin;

import java.util.Locale;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.BadRequestException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.exceptions.ForbiddenException;
import org.apache.iceberg.exceptions.NamespaceNotEmptyException;
import org.apache.iceberg.exceptions.NoSuchNamespaceException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.exceptions.NoSuchViewException;
import org.apache.iceberg.exceptions.NotAuthorizedException;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.iceberg.exceptions.RuntimeIOException;
import org.apache.iceberg.exceptions.ServiceFailureException;
import org.apache.iceberg.exceptions.ValidationException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Maps an exception thrown by Iceberg's code to the status and envelope Polaris 1.7 answers
 * (its Iceberg exception mapper, restated): not-found kinds 404, already-exists, commit
 * conflicts and non-empty namespaces 409, validation and illegal arguments 400, unsupported
 * operations 406, I/O failures 503; an S3 error anywhere in the cause chain is 403 for access
 * denials, 400 for a missing object or bucket, 502 for the store's own 5xx. The envelope's
 * {@code type} is the exception's simple name.
 */
final class ErrorMapper {
  private ErrorMapper() {}

  static ApiException map(RuntimeException e) {
    if (e instanceof ApiException api) {
      return api;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof S3Exception s3) {
        return new ApiException(cloudStatus(s3), e.getClass().getSimpleName(), message(e));
      }
    }
    int status;
    if (e instanceof NoSuchNamespaceException
        || e instanceof NoSuchTableException
        || e instanceof NoSuchViewException
        || e instanceof NotFoundException) {
      status = 404;
    } else if (e instanceof AlreadyExistsException
        || e instanceof CommitFailedException
        || e instanceof NamespaceNotEmptyException) {
      status = 409;
    } else if (e instanceof CommitStateUnknownException
        || e instanceof ValidationException
        || e instanceof BadRequestException
        || e instanceof IllegalArgumentException) {
      status = 400;
    } else if (e instanceof ForbiddenException) {
      status = 403;
    } else if (e instanceof NotAuthorizedException) {
      status = 401;
    } else if (e instanceof RuntimeIOException || e instanceof ServiceFailureException) {
      status = 503;
    } else if (e instanceof UnsupportedOperationException) {
      status = 406;
    } else {
      status = 500;
    }
    return new ApiException(status, e.getClass().getSimpleName(), message(e));
  }

  private static int cloudStatus(S3Exception s3) {
    String msg = String.valueOf(s3.getMessage()).toLowerCase(Locale.ROOT);
    if (msg.contains("access denied") || msg.contains("not authorized") || msg.contains("forbidden")) {
      return 403;
    }
    int code = s3.statusCode();
    if (code == 404) {
      return 400;
    }
    if (code == 401) {
      return 403;
    }
    if (code == 400 || code == 403 || code == 408 || code == 429 || code == 504) {
      return code;
    }
    if (code >= 300 && code < 400) {
      return 422;
    }
    return code >= 500 ? 502 : 500;
  }

  private static String message(Throwable e) {
    return e.getMessage() == null ? e.getClass().getName() : e.getMessage();
  }
}
