//! forge.yaml → [`Config`]: parsing, variables, the typed model and its checks.
//!
//! Every problem is located at `file:line:column` with the offending text and a hint
//! ([`Problems`]). Problems with the model are carried in [`Config::problems`] rather
//! than raised here, so the next stage ([`crate::expand`]) reports them together with
//! its own: the user sees every problem in one run. Nothing here touches the network,
//! and nothing here knows a provider.

mod de;
pub mod defaults;
mod diag;
mod located;
pub mod model;
pub mod naming;
pub mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diag::{Problem, ProblemKind, Problems, did_you_mean, suggest_addr};
pub use located::Located;
pub use model::ForgeFile;
pub use tree::Span;

use crate::template::{self, Placeholder};
use de::{DeErrorKind, LocatedDeError};
use naming::NameParts;
use tree::{Node, Value, display_path};

/// Errors from loading forge.yaml.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read `{path}`")]
    #[diagnostic(code(forge::config::read))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
        /// What to do about it.
        #[help]
        hint: String,
    },
    /// The file is not UTF-8 text.
    #[error(
        "`{path}` is not UTF-8 text: the first byte that is not is at line {line}, column {column} (byte {offset})"
    )]
    #[diagnostic(
        code(forge::config::encoding),
        help("YAML files are UTF-8: save forge.yaml as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)")
    )]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
        /// Its byte offset.
        offset: usize,
    },
    /// The file has problems.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] Box<Problems>),
}

/// A user-declared output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutputDecl {
    /// Output name.
    pub name: String,
    /// Value, possibly with `${kind.name.attr}` placeholders.
    pub value: String,
    /// Hidden unless asked for.
    pub sensitive: bool,
    /// Description.
    pub description: Option<String>,
}

/// A parsed forge.yaml: its typed model, the names it implies, its outputs, and the
/// problems found so far.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file.
    pub path: PathBuf,
    /// Its text, for diagnostics.
    pub text: Arc<str>,
    /// The work directory (absolute): relative paths are resolved against it; state
    /// lives in `.forge/` below it.
    pub work_dir: PathBuf,
    /// The user's home directory, for `~/` in paths.
    pub home: PathBuf,
    /// The typed model (defaults where a part could not be read).
    pub file: ForgeFile,
    /// The spanned YAML tree, for locating problems found later.
    pub tree: Node,
    /// The parts cloud names are built from (user prefix, project).
    pub names: NameParts,
    /// Its outputs.
    pub outputs: Vec<OutputDecl>,
    /// Problems found in the model; reported by the next stage with its own.
    pub problems: Vec<Problem>,
    /// Names of entries dropped because they had errors: references to them are not
    /// reported again.
    pub pruned: Vec<String>,
}

impl Config {
    /// Problems of this file as diagnostics.
    pub fn problems(&self, problems: Vec<Problem>) -> Problems {
        Problems::new(self.path.clone(), self.text.clone(), problems)
    }

    /// An empty config, for engine tests and tools that declare resources by hand.
    #[doc(hidden)]
    pub fn synthetic() -> Self {
        Config {
            path: PathBuf::from("forge.yaml"),
            text: Arc::from(""),
            work_dir: PathBuf::from("."),
            home: PathBuf::from("."),
            file: ForgeFile::default(),
            tree: Node::empty_map(),
            names: NameParts {
                prefix: None,
                project: "forge".into(),
            },
            outputs: vec![],
            problems: vec![],
            pruned: vec![],
        }
    }
}

/// The JSON Schema of forge.yaml, as committed in `schemas/forge.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<ForgeFile>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Environment lookups, injectable for tests.
pub trait Env {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Reads and parses forge.yaml. `Err` only when it cannot be read or is not YAML at
/// all; every other problem is in [`Config::problems`].
pub fn load(path: &Path, work_dir: &Path, env: &dyn Env) -> Result<Config, Error> {
    let bytes = std::fs::read(path).map_err(|source| {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => {
                "pass the file with `-f PATH`, or run forge in the directory holding forge.yaml"
            }
            std::io::ErrorKind::PermissionDenied => "check the file's permissions",
            _ => "check that the path names a readable file",
        };
        Error::Read {
            path: path.to_path_buf(),
            source,
            hint: hint.into(),
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = std::str::from_utf8(&e.as_bytes()[..offset])
            .expect("the bytes before `valid_up_to` are valid UTF-8");
        let line = valid.matches('\n').count() + 1;
        let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::NotUtf8 {
            path: path.to_path_buf(),
            line,
            column,
            offset,
        }
    })?;
    parse(path, text, work_dir, env)
}

/// Parses forge.yaml text that was read already (see [`load`]).
pub fn parse(path: &Path, text: String, work_dir: &Path, env: &dyn Env) -> Result<Config, Error> {
    let text: Arc<str> = Arc::from(text);
    let fail = |problems: Vec<Problem>| {
        Error::Invalid(Box::new(Problems::new(
            path.to_path_buf(),
            text.clone(),
            problems,
        )))
    };
    let mut root = match tree::parse(&text) {
        Ok(root) => root,
        Err(e) => return Err(fail(vec![syntax_problem(&e)])),
    };
    let mut problems = Vec::new();
    if !matches!(root.value, Value::Map(_)) {
        problems.push(
            Problem::new(
                ProblemKind::WrongType,
                format!("forge.yaml must be a mapping, found {}", root.type_name()),
                Some(root.span),
                "expected `key: value` pairs",
            )
            .with_help("start with e.g. `project: my-lakehouse`"),
        );
        return Err(fail(problems));
    }
    interpolate_env(&mut root, env, &mut problems);
    let (file, de_errors) = de::deserialize_all::<ForgeFile>(&root, &text, 100);
    let pruned: Vec<String> = de_errors
        .iter()
        .filter_map(|e| e.pruned_name.clone())
        .collect();
    problems.extend(de_errors.iter().map(|e| de_problem(e, &root)));
    let file = file.unwrap_or_default();
    required(&root, &file, &mut problems);
    if let Some(b) = &file.backend {
        problems.extend(b.problems(root.get("backend").map(|n| n.span)));
    }
    if let Some(v) = &file.version
        && v.value != 1
    {
        problems.push(
            Problem::new(
                ProblemKind::InvalidValue,
                format!("unsupported file version {}", v.value),
                Some(v.span),
                "only version 1 exists",
            )
            .with_help("write `version: 1`"),
        );
    }
    // Reported above when missing; the default only lets later checks run.
    let project = file
        .project
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_else(|| "forge".into());
    let prefix = if file.naming.no_prefix {
        None
    } else {
        match &file.naming.prefix {
            Some(p) => Some(p.value.clone()),
            None => env.var("USER").filter(|u| !u.is_empty()),
        }
    };
    let work_dir_abs = std::path::absolute(work_dir).unwrap_or_else(|_| work_dir.to_path_buf());
    let outputs = outputs(&file);
    Ok(Config {
        path: path.to_path_buf(),
        text,
        work_dir: work_dir_abs,
        home: PathBuf::from(env.var("HOME").unwrap_or_default()),
        file,
        tree: root,
        names: NameParts { prefix, project },
        outputs,
        problems,
        pruned,
    })
}

/// A YAML error in the user's words. The parser's own text names its API
/// (`DuplicateKeyPolicy`, `from_str_multiple`, `Nodes { .. }`); what the user needs is
/// what is wrong with the file and a hint that fits it.
fn syntax_problem(e: &tree::SyntaxError) -> Problem {
    let m = e.message.as_str();
    let (message, label, help) = if let Some(rest) = m.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        (
            format!("the key `{key}` appears twice in the same mapping"),
            "written again here",
            "keep one of them: YAML would silently keep only one value".to_string(),
        )
    } else if m.contains("multiple YAML documents") {
        (
            "forge.yaml holds more than one YAML document".into(),
            "a second document starts here",
            "keep one document: remove the `---` separator and merge the sections".into(),
        )
    } else if m.contains("budget breached") {
        let what = if m.contains("Depth") {
            "it is nested too deeply"
        } else if m.contains("Alias") || m.contains("Anchor") {
            "it uses too many aliases (`*name`)"
        } else {
            "it is too large, or its aliases (`*name`) expand it too much"
        };
        (
            format!("forge.yaml cannot be read safely: {what}"),
            "forge stopped reading here",
            "write the values out instead of nesting aliases of aliases: forge refuses files that expand into hundreds of thousands of values (a so-called alias bomb)".into(),
        )
    } else {
        (
            format!("invalid YAML: {m}"),
            "here",
            "check indentation, brackets and quotes near this point".into(),
        )
    };
    Problem::new(ProblemKind::Syntax, message, e.span, label).with_help(help)
}

/// `version` and `project` must be written: a file without them is most likely not a
/// forge.yaml at all (or an emptied one), and applying it would delete everything.
fn required(root: &Node, file: &ForgeFile, problems: &mut Vec<Problem>) {
    let start = Some(Span::new(root.span.start, 0));
    if matches!(&root.value, Value::Map(entries) if entries.is_empty()) {
        problems.push(
            Problem::new(
                ProblemKind::MissingField,
                "forge.yaml declares nothing: it is empty or holds only comments",
                start,
                "nothing here",
            )
            .with_help("start it with `version: 1` and `project: <name>`, then the sections you need (see forge.yaml.example)"),
        );
        return;
    }
    // A key that is there but did not deserialize, or a misspelling of it (`projekt`),
    // is reported by the deserializer already.
    let written = |key: &str| {
        root.get(key).is_some()
            || matches!(&root.value, Value::Map(entries) if entries.iter().any(|(k, _)| {
                k.as_str().is_some_and(|k| did_you_mean(k, [key]).is_some())
            }))
    };
    if file.version.is_none() && !written("version") {
        problems.push(
            Problem::new(
                ProblemKind::MissingField,
                "missing required field `version`",
                start,
                "`version` is missing",
            )
            .with_help("add `version: 1` at the top of the file"),
        );
    }
    if file.project.is_none() && !written("project") {
        problems.push(
            Problem::new(
                ProblemKind::MissingField,
                "missing required field `project`",
                start,
                "`project` is missing",
            )
            .with_help("add `project: <name>`: it is part of every cloud resource name (`<user>-<project>-<catalog>`)"),
        );
    }
}

fn outputs(file: &ForgeFile) -> Vec<OutputDecl> {
    file.outputs
        .iter()
        .map(|(name, o)| match o {
            model::Output::Value(v) => OutputDecl {
                name: name.clone(),
                value: v.clone(),
                sensitive: false,
                description: None,
            },
            model::Output::Detailed {
                value,
                sensitive,
                description,
            } => OutputDecl {
                name: name.clone(),
                value: value.clone(),
                sensitive: *sensitive,
                description: description.clone(),
            },
        })
        .collect()
}

/// Replaces `${env:NAME}` in every string; reports unset variables and malformed placeholders.
fn interpolate_env(node: &mut Node, env: &dyn Env, problems: &mut Vec<Problem>) {
    match &mut node.value {
        Value::Str(s) if s.contains("${") => {
            let span = node.span;
            for f in template::scan(s) {
                match &f.placeholder {
                    Placeholder::Env { name, default: None } if env.var(name).is_none() => problems.push(
                        Problem::new(ProblemKind::MissingVariable, format!("environment variable `{name}` is not set"), Some(span), "used here")
                            .with_help(format!("export {name}=..., or give a default: `${{env:{name}:-value}}`")),
                    ),
                    Placeholder::Invalid(inner) => problems.push(
                        Problem::new(ProblemKind::InvalidValue, format!("`${{{inner}}}` is not a variable or a reference"), Some(span), "in this value")
                            .with_help("use `${env:NAME}` for an environment variable, `${kind.name.attr}` for a resource attribute, or `$${` for a literal `${`"),
                    ),
                    _ => {}
                }
            }
            *s = template::substitute(s, false, |p| match p {
                Placeholder::Env { name, default } => env.var(name).or_else(|| default.clone()),
                _ => None,
            });
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|n| interpolate_env(n, env, problems)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, v)| interpolate_env(v, env, problems)),
        _ => {}
    }
}

fn de_problem(e: &LocatedDeError, root: &Node) -> Problem {
    let span = e.error.span;
    let parent = if e.path.len() > 1 {
        display_path(&e.path[..e.path.len() - 1])
    } else {
        String::new()
    };
    let here = display_path(&e.path);
    match &e.error.kind {
        DeErrorKind::UnknownField { field, expected } => {
            let ctx = if parent.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in `{parent}`")
            };
            let help = match did_you_mean(field, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("allowed here: {}", expected.join(", ")),
            };
            Problem::new(
                ProblemKind::UnknownField,
                format!("unknown field `{field}` {ctx}"),
                span,
                "not a known field",
            )
            .with_help(help)
        }
        DeErrorKind::MissingField { field } => {
            let node = root.at_path(&e.path);
            let what = if here.is_empty() {
                "the file".to_string()
            } else {
                format!("`{here}`")
            };
            let span = node.map(|n| n.span).or(span);
            Problem::new(
                ProblemKind::MissingField,
                format!("missing required field `{field}` in {what}"),
                span,
                format!("`{field}` is missing here"),
            )
            .with_help(format!("add `{field}: ...` to this entry"))
        }
        DeErrorKind::InvalidType { found, expected } => {
            let secret = expected.contains("SecretRef");
            let help = if secret {
                "secrets are never written in forge.yaml: use `{env: NAME}`, `{file: PATH}` or `{generate: {}}`".to_string()
            } else {
                format!("`{here}` takes {}", friendly(expected))
            };
            Problem::new(
                ProblemKind::WrongType,
                format!(
                    "wrong type for `{here}`: expected {}, found {found}",
                    friendly(expected)
                ),
                span,
                format!("this is {found}"),
            )
            .with_help(help)
        }
        DeErrorKind::InvalidValue { found, expected } => Problem::new(
            ProblemKind::InvalidValue,
            format!("invalid value for `{here}`: {found}"),
            span,
            "not allowed here",
        )
        .with_help(format!("expected {}", friendly(expected))),
        DeErrorKind::UnknownVariant { variant, expected }
            if expected == &["env", "file", "generate"] =>
        {
            let _ = variant;
            Problem::new(ProblemKind::Secret, format!("`{here}` is a secret, and secrets are never written in forge.yaml"), span, "a secret value written in the file")
                .with_help("use `{env: NAME}` to read it from the environment, `{file: PATH}` to read a file, or `{generate: {}}` to have forge generate it and keep it in state")
        }
        DeErrorKind::UnknownVariant { variant, expected } => {
            let help = match did_you_mean(variant, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("one of: {}", expected.join(", ")),
            };
            Problem::new(
                ProblemKind::InvalidValue,
                format!("`{variant}` is not a valid value for `{here}`"),
                span,
                "unknown value",
            )
            .with_help(help)
        }
        DeErrorKind::Custom(msg) => {
            let msg = if msg.contains("untagged enum Output") {
                "an output is a string, or a mapping with `value`, `sensitive` and `description`"
                    .to_string()
            } else {
                msg.clone()
            };
            Problem::new(
                ProblemKind::InvalidValue,
                format!("invalid `{here}`: {msg}"),
                span,
                "here",
            )
        }
    }
}

/// Makes serde's "expected" texts readable: `u16` → `an integer from 0 to 65535`.
fn friendly(expected: &str) -> String {
    match expected {
        "u8" => "an integer from 0 to 255".into(),
        "u16" => "an integer from 0 to 65535".into(),
        "u32" => "a non-negative integer".into(),
        "a boolean" | "bool" => "true or false".into(),
        "a string" => "a string".into(),
        s if s.starts_with("a sequence") => "a list".into(),
        s if s.starts_with("struct ") || s.starts_with("a map") => "a mapping".into(),
        s if s.starts_with("enum ") => format!("one of the forms of {}", &s[5..]),
        s => s.to_string(),
    }
}
