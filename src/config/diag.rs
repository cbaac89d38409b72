//! forge.yaml problems as miette diagnostics that point at the text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use super::tree::{Span, offset_to_line_col};

/// The kind of a forge.yaml problem; its `code` is shown as `forge::config::<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not valid YAML.
    Syntax,
    /// A key the model does not know.
    UnknownField,
    /// A value of the wrong type.
    WrongType,
    /// A required key is absent.
    MissingField,
    /// A value that is not allowed.
    InvalidValue,
    /// A reference to something that is not declared.
    DanglingReference,
    /// Two things with the same name.
    DuplicateName,
    /// Resources that depend on each other in a loop.
    DependencyCycle,
    /// `${env:NAME}` with `NAME` unset.
    MissingVariable,
    /// A secret could not be read.
    Secret,
}

impl ProblemKind {
    /// The stable code, e.g. `unknown_field`.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Syntax => "yaml_syntax",
            ProblemKind::UnknownField => "unknown_field",
            ProblemKind::WrongType => "wrong_type",
            ProblemKind::MissingField => "missing_field",
            ProblemKind::InvalidValue => "invalid_value",
            ProblemKind::DanglingReference => "dangling_reference",
            ProblemKind::DuplicateName => "duplicate_name",
            ProblemKind::DependencyCycle => "dependency_cycle",
            ProblemKind::MissingVariable => "missing_variable",
            ProblemKind::Secret => "secret",
        }
    }
}

/// One problem in forge.yaml, with where it is and what to do about it.
#[derive(Debug, Clone)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// One line saying what is wrong.
    pub message: String,
    /// Where (a zero-length span at 0 when unknown).
    pub span: Option<Span>,
    /// The label under the offending text.
    pub label: String,
    /// Further spans, e.g. the first definition of a duplicate.
    pub related: Vec<(Span, String)>,
    /// How to fix it.
    pub help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
}

impl Problem {
    /// A new problem without a source attached yet.
    pub fn new(
        kind: ProblemKind,
        message: impl Into<String>,
        span: Option<Span>,
        label: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            span,
            label: label.into(),
            related: Vec::new(),
            help: None,
            source: None,
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    pub(crate) fn attach(&mut self, source: &NamedSource<Arc<str>>) {
        self.source = Some(source.clone());
    }

    /// `file:line:column` of the problem.
    pub fn location(&self, file: &Path, text: &str) -> String {
        match self.span {
            Some(s) => {
                let (l, c) = offset_to_line_col(text, s.start);
                format!("{}:{l}:{c}", file.display())
            }
            None => file.display().to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("forge::config::{}", self.kind.code())))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        let primary =
            LabeledSpan::new_primary_with_span(Some(self.label.clone()), span.to_source_span());
        let rest = self
            .related
            .iter()
            .map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), s.to_source_span()));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
}

/// Every problem found in one forge.yaml.
#[derive(Debug, Clone)]
pub struct Problems {
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl Problems {
    /// Collects problems for a file, attaching its text to each.
    pub fn new(path: PathBuf, text: Arc<str>, mut problems: Vec<Problem>) -> Self {
        let source =
            NamedSource::new(path.display().to_string(), text.clone()).with_language("yaml");
        problems.sort_by_key(|p| p.span.map(|s| s.start).unwrap_or(0));
        for p in &mut problems {
            p.attach(&source);
        }
        Self {
            path,
            text,
            problems,
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{} has {n} problem{}",
            self.path.display(),
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Problems {}

impl Diagnostic for Problems {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// Suggests the closest of `candidates` to `input`, if any is close.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(input, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Suggests the closest address to `target`: by name among addresses of the same kind,
/// else by the whole address.
pub fn suggest_addr<'a>(
    target: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    if let Some((kind, name)) = target.split_once('.') {
        let prefix = format!("{kind}.");
        let same: Vec<&str> = known
            .clone()
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect();
        if !same.is_empty() {
            return same
                .into_iter()
                .map(|k| (strsim::jaro_winkler(name, &k[prefix.len()..]), k))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| k);
        }
    }
    did_you_mean(target, known)
}
