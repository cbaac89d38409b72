//! What an AWS SDK error means, in the user's words: the service's own code and message;
//! no credentials in the default chain (and where forge looked); an expired SSO
//! session; a store that cannot be reached (refused, unknown host, TLS, no answer).
//! The SDK's errors nest connector and credential-provider errors whose `Display`
//! embeds `{:?}` of internal types; none of that reaches the user.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::provider::ProviderError;

/// How an AWS call failed.
#[derive(Debug)]
pub enum Failure {
    /// The service answered with an error.
    Service {
        /// The error code, e.g. `NoSuchBucket` (`HTTP 404` when the answer had no body).
        code: String,
        /// HTTP status.
        status: u16,
        /// The service's message, or what the status means.
        message: String,
    },
    /// No usable credentials.
    Credentials {
        /// What is missing or expired.
        reason: String,
        /// What to do.
        hint: String,
    },
    /// The endpoint could not be reached.
    Unreachable {
        /// Why, in words.
        reason: String,
    },
}

/// Classifies an SDK error.
pub fn classify<E, R>(err: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus + 'static,
{
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            service_failure(
                se.raw().status(),
                e.code().map(str::to_string),
                e.message().map(str::to_string),
            )
        }
        _ => {
            if let Some(c) = find::<CredentialsError>(&err) {
                return credentials(c);
            }
            Failure::Unreachable {
                reason: connection_reason(&err),
            }
        }
    }
}

/// The failure an error answer with `status` stands for: the service's code and message
/// when it gave them, else what the status means (HEAD answers carry no body).
pub(in crate::providers::aws) fn service_failure(
    status: u16,
    code: Option<String>,
    message: Option<String>,
) -> Failure {
    let code = code.unwrap_or_else(|| {
        if status == 404 {
            "NotFound".into()
        } else {
            format!("HTTP {status}")
        }
    });
    let message = message.unwrap_or_else(|| match status {
        401 | 403 => "access denied: the keys are wrong or not allowed to do this".into(),
        404 => "not found".into(),
        s => format!("the service answered HTTP {s}"),
    });
    Failure::Service {
        code,
        status,
        message,
    }
}

/// The first error of type `T` in `err`'s chain of causes.
pub(super) fn find<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        cur = e.source();
    }
    None
}

const LOOKED: &str = "forge looked in the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), the profile in ~/.aws/config and ~/.aws/credentials (AWS_PROFILE, or `profile` in forge.yaml), the SSO token cache and the instance metadata service";

fn credentials(e: &CredentialsError) -> Failure {
    let detail = plain_chain(e);
    let lower = detail.to_lowercase();
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("token")) {
        return Failure::Credentials {
            reason: "the AWS SSO session has expired or was never started".into(),
            hint: "run `aws sso login --profile <profile>` (the profile forge.yaml or AWS_PROFILE names), then run forge again".into(),
        };
    }
    match e {
        CredentialsError::CredentialsNotLoaded(_) => Failure::Credentials {
            reason: "no AWS credentials found".into(),
            hint: format!(
                "{LOOKED}; run `aws configure` or `aws sso login --profile <profile>`, or set AWS_PROFILE"
            ),
        },
        CredentialsError::ProviderTimedOut(_) => Failure::Credentials {
            reason: "loading AWS credentials timed out".into(),
            hint: format!("{LOOKED}; configure one of them"),
        },
        CredentialsError::InvalidConfiguration(_) => Failure::Credentials {
            reason: format!("the AWS configuration is invalid: {detail}"),
            hint: "check ~/.aws/config and the profile forge.yaml names".into(),
        },
        _ => Failure::Credentials {
            reason: format!("AWS credentials could not be loaded: {detail}"),
            hint: format!("{LOOKED}; `aws sts get-caller-identity` shows what the AWS CLI finds"),
        },
    }
}

/// Why a connection failed, from the kinds of error in the chain.
pub(in crate::providers::aws) fn connection_reason(
    err: &(dyn std::error::Error + 'static),
) -> String {
    if let Some(io) = find::<std::io::Error>(err) {
        use std::io::ErrorKind::*;
        match io.kind() {
            ConnectionRefused => return "connection refused (is it running?)".into(),
            ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                return "the connection was cut".into();
            }
            TimedOut => return "no answer in time".into(),
            _ => {}
        }
    }
    let text = plain_chain(err).to_lowercase();
    if text.contains("dns") || text.contains("lookup address") || text.contains("name or service") {
        "unknown host (check the endpoint)".into()
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        "the TLS handshake failed (check the endpoint's scheme and certificate)".into()
    } else if text.contains("timeout") || text.contains("timed out") {
        "no answer in time".into()
    } else if text.is_empty() {
        "the request could not be sent".into()
    } else {
        plain_chain(err)
    }
}

/// The messages of an error chain that read as sentences, joined with `: `; links whose
/// text is a `{:?}` dump of an internal type (`Other(None)`, `Foo { .. }`) are left out.
pub fn plain_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !looks_like_debug(&text) && !text.is_empty() && !parts.iter().any(|p| p.contains(&text))
        {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Whether a message is (or embeds) debug output: `Name {`, or `Name(` right after an
/// identifier (`DispatchFailure(`, `StatusCode(`), as opposed to prose like
/// `refused (os error 111)`.
pub fn looks_like_debug(text: &str) -> bool {
    if text.contains(" { ") || text.contains("{ source") {
        return true;
    }
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'(' && i > 0 && bytes[i - 1].is_ascii_alphanumeric() && {
            // The identifier before `(` starts with an uppercase letter: a type or variant.
            let start = text[..i]
                .rfind(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .map_or(0, |p| p + 1);
            text[start..].starts_with(|c: char| c.is_ascii_uppercase())
        }
    })
}

/// The HTTP status of a raw response.
pub trait HttpStatus {
    /// The status code.
    fn status(&self) -> u16;
}

impl HttpStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

impl Failure {
    /// As a provider error for `operation` against `endpoint` (the store's label).
    pub fn into_error(self, operation: String, endpoint: &str) -> ProviderError {
        match self {
            Failure::Service {
                code,
                status,
                message,
            } => {
                let hint = service_hint(&code, status, &operation);
                ProviderError::Api {
                    operation,
                    status: Some(status),
                    code: Some(code).filter(|c| !c.starts_with("HTTP ")),
                    message,
                    hint,
                }
            }
            Failure::Credentials { reason, hint } => ProviderError::Credentials {
                operation,
                reason,
                hint,
            },
            Failure::Unreachable { reason } => ProviderError::Unreachable {
                operation,
                endpoint: endpoint.to_string(),
                reason,
                hint: Some("check the endpoint in forge.yaml and that the store is running".into()),
            },
        }
    }

    /// The service's error code, if it answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            Failure::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether another try may succeed: the store is busy or broken (5xx, 429,
    /// `SlowDown`) or the connection failed.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Unreachable { .. } => true,
            Failure::Credentials { .. } => false,
            Failure::Service { status, code, .. } => {
                *status >= 500 || *status == 429 || code == "SlowDown" || code == "RequestTimeout"
            }
        }
    }
}

/// What to do about a service error, by its code.
fn service_hint(code: &str, status: u16, operation: &str) -> Option<String> {
    Some(match code {
        "SignatureDoesNotMatch" => "the secret key does not match the access key: check the store's `secret_key`".into(),
        "InvalidAccessKeyId" => "this store does not know the access key: check `access_key` and the endpoint".into(),
        "ExpiredToken" | "TokenRefreshRequired" | "ExpiredTokenException" => {
            "the session has expired: `aws sso login`, or refresh the credentials".into()
        }
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" => {
            "the bucket is in another region: set the store's `region`".into()
        }
        "SlowDown" | "Throttling" | "ThrottlingException" | "TooManyRequests" => {
            "the store is throttling requests even after retries: lower `--parallelism` or try again later".into()
        }
        "AccessDenied" | "AllAccessDisabled" => format!(
            "the credentials in use may not do {operation}: check the IAM policy of that user or role (`aws sts get-caller-identity` shows who it is)"
        ),
        _ if status == 403 => format!(
            "the credentials in use may not do {operation}, or they are wrong"
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_dumps_are_told_from_prose() {
        assert!(looks_like_debug(
            "DispatchFailure(DispatchFailure { source: x })"
        ));
        assert!(looks_like_debug(
            "raw: Response { status: StatusCode(403) }"
        ));
        assert!(looks_like_debug("kind: Other(None)"));
        assert!(!looks_like_debug(
            "tcp connect error: Connection refused (os error 111)"
        ));
        assert!(!looks_like_debug("the bucket (polardb) is not empty"));
    }

    #[test]
    fn service_codes_get_a_remedy() {
        let f = Failure::Service {
            code: "SignatureDoesNotMatch".into(),
            status: 403,
            message: "The request signature we calculated does not match".into(),
        };
        let e = f.into_error("HeadBucket b".into(), "http://localhost:9000");
        assert!(e.hint().expect("hint").contains("secret_key"));
        assert_eq!(e.status(), Some(403));
        assert!(
            e.to_string().contains("(HTTP 403, SignatureDoesNotMatch)"),
            "{e}"
        );
    }
}
