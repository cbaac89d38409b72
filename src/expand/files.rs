//! `files:` → one `local_file` each, written under the work dir (mode 0600 unless given).

use super::Expander;
use crate::config::{Problem, ProblemKind};
use crate::providers::local_file::{FileSpec, LocalFileResource};

impl Expander<'_> {
    pub(super) fn files(&mut self) {
        let file = self.file;
        for f in &file.files {
            let deps = self.user_deps::<LocalFileResource>(&f.name.value, &f.depends_on);
            let mode = f.mode.clone().unwrap_or_else(|| "0600".into());
            if u32::from_str_radix(mode.trim_start_matches("0o"), 8).is_err() {
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        format!("`{mode}` is not an octal file mode"),
                        Some(f.name.span),
                        "in this file's `mode`",
                    )
                    .with_help("write the mode in octal, e.g. \"0600\""),
                );
            }
            let spec = FileSpec {
                path: self.path(&f.path),
                content: f.content.clone(),
                mode,
            };
            self.declare::<LocalFileResource>(&f.name.value, spec, f.name.span, deps);
        }
    }
}
