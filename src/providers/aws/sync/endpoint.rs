//! [`Memo`]: the S3 endpoint rules run once per bucket instead of twice per request.
//!
//! The SDK resolves a request's endpoint by running S3's whole rule set (ARN parsing,
//! host validation, URL parsing), and does it a second time to choose the auth scheme.
//! During a sync every request on one side goes to the same bucket with the same
//! settings, so the answer is the same each time: it is kept and handed out again. The
//! rule set's only per-request inputs, the key, the prefix and the copy source, do not
//! take part in any rule, so they are left out of the comparison.

use std::sync::Mutex;

use aws_sdk_s3::config::endpoint::{
    DefaultResolver, Endpoint, EndpointFuture, Params, ResolveEndpoint,
};

/// S3's default endpoint resolver, with the endpoints it resolved kept by parameters.
#[derive(Debug, Default)]
pub(super) struct Memo {
    rules: DefaultResolver,
    /// A handful at most: one per bucket reached.
    seen: Mutex<Vec<(Params, Endpoint)>>,
}

/// Whether `a` and `b` resolve to the same endpoint: equal in every parameter the rules
/// read.
fn same_rules_input(a: &Params, b: &Params) -> bool {
    a.bucket() == b.bucket()
        && a.region() == b.region()
        && a.use_fips() == b.use_fips()
        && a.use_dual_stack() == b.use_dual_stack()
        && a.endpoint() == b.endpoint()
        && a.force_path_style() == b.force_path_style()
        && a.accelerate() == b.accelerate()
        && a.use_global_endpoint() == b.use_global_endpoint()
        && a.use_object_lambda_endpoint() == b.use_object_lambda_endpoint()
        && a.disable_access_points() == b.disable_access_points()
        && a.disable_multi_region_access_points() == b.disable_multi_region_access_points()
        && a.use_arn_region() == b.use_arn_region()
        && a.use_s3_express_control_endpoint() == b.use_s3_express_control_endpoint()
        && a.disable_s3_express_session_auth() == b.disable_s3_express_session_auth()
}

impl ResolveEndpoint for Memo {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        let seen = || self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, e)) = seen().iter().find(|(p, _)| same_rules_input(p, params)) {
            return EndpointFuture::ready(Ok(e.clone()));
        }
        let resolved = self.rules.resolve_endpoint(params);
        EndpointFuture::new(async move {
            let e = resolved.await?;
            let mut seen = seen();
            if seen.len() < 16 {
                seen.push((params.clone(), e.clone()));
            }
            Ok(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(key: &str) -> Params {
        Params::builder()
            .bucket("lake")
            .key(key)
            .region("us-east-1")
            .endpoint("http://127.0.0.1:9000")
            .force_path_style(true)
            .build()
            .expect("complete parameters")
    }

    #[tokio::test]
    async fn resolves_as_the_default_rules_and_reuses_the_answer_for_other_keys() {
        let memo = Memo::default();
        let want = DefaultResolver::new()
            .resolve_endpoint(&params("a"))
            .await
            .expect("resolves");
        let first = memo.resolve_endpoint(&params("a")).await.expect("resolves");
        let again = memo
            .resolve_endpoint(&params("b/c"))
            .await
            .expect("resolves");
        assert_eq!(first, want);
        assert_eq!(again, want);
        assert_eq!(first.url(), "http://127.0.0.1:9000/lake");
        assert_eq!(memo.seen.lock().expect("not poisoned").len(), 1);
        let other = Params::builder()
            .bucket("other")
            .region("us-east-1")
            .endpoint("http://127.0.0.1:9000")
            .force_path_style(true)
            .build()
            .expect("complete parameters");
        let e = memo.resolve_endpoint(&other).await.expect("resolves");
        assert_eq!(e.url(), "http://127.0.0.1:9000/other");
    }
}
