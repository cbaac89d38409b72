//! A YAML document as a tree of nodes that remember where they came from.
//!
//! forge.yaml is parsed in two steps. First serde-saphyr turns the text into this
//! tree, where every node carries its byte span. Then [`super::de`] deserializes the
//! typed model from the tree, one section and one list item at a time, so that one bad
//! entry does not hide the others and every error can point at the exact text.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first character.
    pub start: usize,
    /// Length in bytes (at least 1 for labels).
    pub len: usize,
}

impl Span {
    /// A span covering `len` bytes from `start`.
    pub fn new(start: usize, len: usize) -> Self {
        Self { start, len }
    }

    /// The span as miette wants it.
    pub fn to_source_span(self) -> miette::SourceSpan {
        (self.start, self.len.max(1)).into()
    }
}

/// The value held by a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string, plain or quoted.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order. Keys are nodes so they keep their spans.
    Map(Vec<(Node, Node)>),
}

/// One node of the document: a value and the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it is in the source.
    pub span: Span,
}

impl Node {
    /// An empty mapping (an empty document), for configs built by hand.
    pub fn empty_map() -> Self {
        Node {
            value: Value::Map(vec![]),
            span: Span::default(),
        }
    }

    /// A short name of the node's type, for "expected X, found Y" messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Looks up a key of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string value, if this is a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Follows a path of mapping keys and list indexes (`"catalog.catalogs.0.name"`).
    pub fn at_path(&self, path: &[PathSeg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match (seg, &node.value) {
                (PathSeg::Key(k), Value::Map(_)) => node.get(k)?,
                (PathSeg::Index(i), Value::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Visits every string node below this one (including itself).
    pub fn walk_strings<'a>(&'a self, f: &mut impl FnMut(&'a str, Span)) {
        match &self.value {
            Value::Str(s) => f(s, self.span),
            Value::Seq(items) => items.iter().for_each(|n| n.walk_strings(f)),
            Value::Map(entries) => entries.iter().for_each(|(_, v)| v.walk_strings(f)),
            _ => {}
        }
    }
}

/// One step of a path into the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl fmt::Display for PathSeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSeg::Key(k) => f.write_str(k),
            PathSeg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Renders a path as `catalog.catalogs[0].name`.
pub fn display_path(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// What the parser said, without the position prefix.
    pub message: String,
    /// Where, if known.
    pub span: Option<Span>,
}

/// Parses YAML text into a tree. An empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(Node {
            value: Value::Map(Vec::new()),
            span: Span::new(0, 0),
        });
    }
    match serde_saphyr::from_str::<Spanned<RawValue>>(text) {
        Ok(root) => Ok(to_node(root, text)),
        Err(e) => {
            let span = e.location().and_then(|loc| {
                let s = loc.span();
                s.byte_offset()
                    .map(|o| Span::new(o as usize, s.byte_len().unwrap_or(1).max(1) as usize))
                    .or_else(|| {
                        line_col_to_offset(text, loc.line(), loc.column()).map(|o| Span::new(o, 1))
                    })
            });
            Err(SyntaxError {
                message: strip_location(&e.to_string()),
                span,
            })
        }
    }
}

/// Turns `line 2 column 10: unclosed bracket` into `unclosed bracket`.
fn strip_location(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or(msg).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.find(": ") {
        Some(i) if first[..i].starts_with("line ") => first[i + 2..].to_string(),
        _ => first.to_string(),
    }
}

/// Converts a 1-based line/column to a byte offset.
pub fn line_col_to_offset(text: &str, line: u64, column: u64) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut offset = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            let col = column.saturating_sub(1) as usize;
            let byte_col = l.char_indices().nth(col).map(|(b, _)| b).unwrap_or(l.len());
            return Some(offset + byte_col);
        }
        offset += l.len();
    }
    Some(text.len().saturating_sub(1))
}

/// 1-based line and column of a byte offset.
pub fn offset_to_line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

fn location_span(loc: &serde_saphyr::Location, text: &str) -> Span {
    let s = loc.span();
    match s.byte_offset() {
        Some(o) => Span::new(o as usize, s.byte_len().unwrap_or(0) as usize),
        None => line_col_to_offset(text, loc.line(), loc.column())
            .map(|o| Span::new(o, 1))
            .unwrap_or_default(),
    }
}

fn to_node(spanned: Spanned<RawValue>, text: &str) -> Node {
    let span = location_span(&spanned.referenced, text);
    let value = match spanned.value {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Int(i) => Value::Int(i),
        RawValue::UInt(u) => Value::UInt(u),
        RawValue::Float(f) => Value::Float(f),
        RawValue::Str(s) => Value::Str(s),
        RawValue::Seq(items) => Value::Seq(items.into_iter().map(|n| to_node(n, text)).collect()),
        RawValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (to_node(k, text), to_node(v, text)))
                .collect(),
        ),
    };
    // Containers: widen a zero-length span to the first character so labels show.
    let span = if span.len == 0 {
        Span::new(span.start, 1)
    } else {
        span
    };
    Node { value, span }
}

/// The untyped value serde-saphyr gives us, before spans are turned into [`Span`]s.
enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawValue>>),
    Map(Vec<(Spanned<RawValue>, Spanned<RawValue>)>),
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(i64::try_from(v)
            .map(RawValue::Int)
            .unwrap_or(RawValue::UInt(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<RawValue>>()? {
            let value = map.next_value::<Spanned<RawValue>>()?;
            entries.push((key, value));
        }
        Ok(RawValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values() {
        let text = "a: 1\nb:\n  - x\n  - {c: hello}\n";
        let root = parse(text).expect("valid yaml");
        let b = root.get("b").expect("b");
        let Value::Seq(items) = &b.value else {
            panic!("seq")
        };
        assert_eq!(
            &text[items[0].span.start..items[0].span.start + items[0].span.len],
            "x"
        );
        let c = items[1].get("c").expect("c");
        assert_eq!(&text[c.span.start..c.span.start + c.span.len], "hello");
        assert_eq!(offset_to_line_col(text, c.span.start), (4, 9));
    }

    #[test]
    fn syntax_error_has_location() {
        let err = parse("a: [1, 2\nb: 3\n").expect_err("unclosed bracket");
        assert!(err.span.is_some(), "{err:?}");
        assert!(!err.message.starts_with("line "), "{}", err.message);
    }

    #[test]
    fn empty_document_is_empty_map() {
        assert_eq!(
            parse("# only a comment\n").expect("ok").value,
            Value::Map(vec![])
        );
    }
}
