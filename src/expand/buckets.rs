//! `buckets:` → one `s3_bucket` each, on its store (default `local`).

use super::Expander;
use crate::config::naming::bucket_name_problem;
use crate::config::{Problem, ProblemKind};
use crate::providers::aws::{BucketSpec, S3Bucket, StoreSpec};

impl Expander<'_> {
    pub(super) fn buckets(&mut self) {
        let file = self.file;
        for b in &file.buckets {
            if let Some(why) = bucket_name_problem(&b.name.value) {
                self.problem(Problem::new(
                    ProblemKind::InvalidValue,
                    format!("`{}` is not a valid S3 bucket name", b.name.value),
                    Some(b.name.span),
                    why,
                ));
                continue;
            }
            // An unknown store is reported; keep declaring the bucket so its other
            // references are checked too.
            let (mut store, store_dep) = self
                .store(b.store.as_ref(), "local", Some(b.name.span))
                .unwrap_or((StoreSpec::default(), None));
            if let Some(region) = &b.region {
                store.region = Some(region.clone());
            }
            let mut deps: Vec<_> = store_dep.into_iter().collect();
            deps.extend(self.user_deps::<S3Bucket>(&b.name.value, &b.depends_on));
            let spec = BucketSpec {
                bucket: b.name.value.clone(),
                store,
                tags: b.tags.clone(),
                versioning: b.versioning,
                force_destroy: b.force_destroy,
            };
            self.declare::<S3Bucket>(&b.name.value, spec, b.name.span, deps);
        }
    }
}
