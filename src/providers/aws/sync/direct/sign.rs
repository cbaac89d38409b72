//! [`Signer`]: AWS Signature Version 4 for the direct path's requests, computed by the
//! SDK's own signing code (`aws-sigv4`) with S3's settings: the path signed as sent
//! (already percent-encoded once, not normalized) and the body declared
//! `UNSIGNED-PAYLOAD`, as the SDK path declares its streamed bodies.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Why a request could not be signed (a target that is not a URI path; parameters
/// left out): a defect, never the user's input, since keys are percent-encoded.
#[derive(Debug, thiserror::Error)]
pub(super) enum SignError {
    /// The request.
    #[error(transparent)]
    Request(#[from] aws_sigv4::http_request::SigningError),
    /// The parameters.
    #[error(transparent)]
    Params(#[from] aws_sigv4::sign::v4::signing_params::BuildError),
}

/// Signs requests to one store with its credentials and region.
#[derive(Debug)]
pub(super) struct Signer {
    identity: Identity,
    region: String,
    settings: SigningSettings,
}

impl Signer {
    /// A signer for S3 in `region` with `credentials`.
    pub(super) fn new(credentials: Credentials, region: &str) -> Self {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        Self {
            identity: credentials.into(),
            region: region.to_string(),
            settings,
        }
    }

    /// The header lines (`Name: value\r\n`) that sign `method` of `target` (path and
    /// query, percent-encoded) on `host`: the date, the payload declaration, the
    /// session token when there is one, and the authorization.
    pub(super) fn lines(
        &self,
        method: &str,
        host: &str,
        target: &str,
    ) -> Result<String, SignError> {
        let uri = format!("http://{host}{target}");
        let request = SignableRequest::new(
            method,
            uri,
            [("host", host)].into_iter(),
            SignableBody::UnsignedPayload,
        )?;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(self.settings.clone())
            .build()?
            .into();
        let (instructions, _) = sign(request, &params)?.into_parts();
        let (headers, _) = instructions.into_parts();
        let mut out = String::with_capacity(512);
        for h in headers {
            out.push_str(h.name());
            out.push_str(": ");
            out.push_str(h.value());
            out.push_str("\r\n");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_signed_for_s3_with_an_unsigned_payload_and_the_session_token() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("tok".into()), None, "test");
        let lines = Signer::new(creds, "eu-west-1")
            .lines("GET", "127.0.0.1:9000", "/lake/a%20b/c.parquet")
            .expect("signs");
        assert!(
            lines.contains("x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"),
            "{lines}"
        );
        assert!(lines.contains("x-amz-security-token: tok\r\n"), "{lines}");
        assert!(
            lines.contains("authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{lines}"
        );
        assert!(lines.contains("/eu-west-1/s3/aws4_request"), "{lines}");
        assert!(
            !lines.contains("secret"),
            "the secret key is never sent: {lines}"
        );
    }
}
