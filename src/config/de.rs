//! A serde `Deserializer` over the spanned tree of [`super::tree`].
//!
//! serde's derived code stops at the first error. To report every problem in a
//! forge.yaml at once, [`deserialize_all`] deserializes, and on an error prunes the
//! offending part of the tree (an unknown key, or the list item or section the error is
//! in) and tries again, collecting one located error per pruned part.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::tree::{Node, PathSeg, Span, Value};

/// What went wrong while turning a node into a typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum DeErrorKind {
    /// A key the model does not know.
    UnknownField {
        /// The key as written.
        field: String,
        /// The keys allowed here.
        expected: Vec<&'static str>,
    },
    /// A required key is absent.
    MissingField {
        /// The key that is missing.
        field: &'static str,
    },
    /// A value of the wrong type.
    InvalidType {
        /// What was found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// A value of the right type that is not allowed.
    InvalidValue {
        /// What was found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// An enum tag that is not one of the variants.
    UnknownVariant {
        /// The tag as written.
        variant: String,
        /// The allowed tags.
        expected: Vec<&'static str>,
    },
    /// Any other message.
    Custom(String),
}

/// A deserialization error, located once the deserializer knows the node.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    /// What went wrong.
    pub kind: DeErrorKind,
    /// Where, once known.
    pub span: Option<Span>,
}

impl DeError {
    fn at(mut self, span: Span) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }
    fn new(kind: DeErrorKind) -> Self {
        Self { kind, span: None }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DeErrorKind::UnknownField { field, .. } => write!(f, "unknown field `{field}`"),
            DeErrorKind::MissingField { field } => write!(f, "missing required field `{field}`"),
            DeErrorKind::InvalidType { found, expected } => {
                write!(f, "expected {expected}, found {found}")
            }
            DeErrorKind::InvalidValue { found, expected } => {
                write!(f, "invalid value {found}: expected {expected}")
            }
            DeErrorKind::UnknownVariant { variant, .. } => write!(f, "unknown value `{variant}`"),
            DeErrorKind::Custom(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(DeErrorKind::Custom(msg.to_string()))
    }
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Self::new(DeErrorKind::InvalidType {
            found: unexpected(unexp),
            expected: exp.to_string(),
        })
    }
    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Self::new(DeErrorKind::InvalidValue {
            found: unexpected(unexp),
            expected: exp.to_string(),
        })
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(DeErrorKind::UnknownField {
            field: field.to_string(),
            expected: expected.to_vec(),
        })
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(DeErrorKind::UnknownVariant {
            variant: variant.to_string(),
            expected: expected.to_vec(),
        })
    }
    fn missing_field(field: &'static str) -> Self {
        Self::new(DeErrorKind::MissingField { field })
    }
}

fn unexpected(u: de::Unexpected) -> String {
    match u {
        de::Unexpected::Unit => "null".into(),
        de::Unexpected::Map => "a mapping".into(),
        de::Unexpected::Seq => "a list".into(),
        de::Unexpected::Str(s) => format!("string \"{s}\""),
        de::Unexpected::Signed(i) => format!("integer {i}"),
        de::Unexpected::Unsigned(i) => format!("integer {i}"),
        de::Unexpected::Float(x) => format!("float {x}"),
        de::Unexpected::Bool(b) => format!("boolean {b}"),
        other => other.to_string(),
    }
}

/// The struct name [`super::Located`] asks for, so the deserializer hands it the span.
pub(crate) const LOCATED_MARKER: &str = "$forge::private::Located";
pub(crate) const LOCATED_FIELDS: &[&str] = &["$start", "$len", "$value"];

/// Deserializes one node.
pub struct NodeDeserializer<'a> {
    node: &'a Node,
    src: &'a str,
}

impl<'a> NodeDeserializer<'a> {
    /// A deserializer for `node`, whose spans index into `src`.
    pub fn new(node: &'a Node, src: &'a str) -> Self {
        Self { node, src }
    }

    /// The scalar as it was written, for numbers read as strings (`1.10` stays `1.10`).
    fn raw_scalar(&self) -> Option<String> {
        let s = self
            .src
            .get(self.node.span.start..self.node.span.start + self.node.span.len)?;
        let s = s.trim();
        (!s.is_empty() && !s.contains(['\n', ':', '#'])).then(|| s.to_string())
    }
}

impl<'de, 'a> de::Deserializer<'de> for NodeDeserializer<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.node.span;
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::UInt(u) => visitor.visit_u64(*u),
            Value::Float(x) => visitor.visit_f64(*x),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
                src: self.src,
            }),
            Value::Map(entries) => visitor.visit_map(MapDe {
                entries: entries.iter(),
                value: None,
                src: self.src,
            }),
        };
        r.map_err(|e| e.at(span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.node.span;
        match &self.node.value {
            Value::Int(_) | Value::UInt(_) | Value::Float(_) => match self.raw_scalar() {
                Some(raw) => visitor.visit_string::<DeError>(raw).map_err(|e| e.at(span)),
                None => self.deserialize_any(visitor),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let span = self.node.span;
        visitor.visit_newtype_struct(self).map_err(|e| e.at(span))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED_MARKER {
            let span = self.node.span;
            return visitor
                .visit_map(LocatedDe {
                    node: self.node,
                    src: self.src,
                    step: 0,
                })
                .map_err(|e| e.at(span));
        }
        let _ = fields;
        // A list where a mapping belongs would otherwise fill the fields by position.
        if let Value::Seq(_) = self.node.value {
            return Err(DeError::new(DeErrorKind::InvalidType {
                found: self.node.type_name().to_string(),
                expected: format!("struct {name}"),
            })
            .at(self.node.span));
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let span = self.node.span;
        match &self.node.value {
            Value::Str(_) => visitor.visit_enum(EnumDe {
                tag: self.node,
                value: None,
                src: self.src,
            }),
            Value::Map(entries) if entries.len() == 1 => {
                let (k, v) = &entries[0];
                visitor.visit_enum(EnumDe {
                    tag: k,
                    value: Some(v),
                    src: self.src,
                })
            }
            _ => Err(DeError::new(DeErrorKind::InvalidType {
                found: self.node.type_name().to_string(),
                expected: "a string or a mapping with exactly one key".into(),
            })),
        }
        .map_err(|e| e.at(span))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    src: &'a str,
}

impl<'de, 'a> de::SeqAccess<'de> for SeqDe<'a> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDeserializer::new(node, self.src))
                .map(Some)
                .map_err(|e| e.at(node.span)),
            None => Ok(None),
        }
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
    src: &'a str,
}

impl<'de, 'a> de::MapAccess<'de> for MapDe<'a> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(NodeDeserializer::new(k, self.src))
                    .map(Some)
                    .map_err(|e| e.at(k.span))
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value requested before key"))?;
        seed.deserialize(NodeDeserializer::new(node, self.src))
            .map_err(|e| e.at(node.span))
    }
}

struct LocatedDe<'a> {
    node: &'a Node,
    src: &'a str,
    step: usize,
}

impl<'de, 'a> de::MapAccess<'de> for LocatedDe<'a> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match LOCATED_FIELDS.get(self.step) {
            Some(field) => seed.deserialize((*field).into_deserializer()).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let step = self.step;
        self.step += 1;
        match step {
            0 => seed.deserialize((self.node.span.start as u64).into_deserializer()),
            1 => seed.deserialize((self.node.span.len as u64).into_deserializer()),
            _ => seed.deserialize(NodeDeserializer::new(self.node, self.src)),
        }
    }
}

struct EnumDe<'a> {
    tag: &'a Node,
    value: Option<&'a Node>,
    src: &'a str,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumDe<'a> {
    type Error = DeError;
    type Variant = VariantDe<'a>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe<'a>), DeError> {
        let tag = seed
            .deserialize(NodeDeserializer::new(self.tag, self.src))
            .map_err(|e| e.at(self.tag.span))?;
        Ok((
            tag,
            VariantDe {
                value: self.value,
                src: self.src,
                span: self.tag.span,
            },
        ))
    }
}

struct VariantDe<'a> {
    value: Option<&'a Node>,
    src: &'a str,
    span: Span,
}

impl<'de, 'a> de::VariantAccess<'de> for VariantDe<'a> {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => Ok(()),
            Some(n) => Err(DeError::new(DeErrorKind::InvalidType {
                found: n.type_name().into(),
                expected: "no value for this variant".into(),
            })
            .at(n.span)),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        match self.value {
            Some(n) => seed.deserialize(NodeDeserializer::new(n, self.src)),
            None => Err(DeError::new(DeErrorKind::InvalidType {
                found: "a plain string".into(),
                expected: "a mapping with a value for this variant".into(),
            })
            .at(self.span)),
        }
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Some(n) => {
                de::Deserializer::deserialize_any(NodeDeserializer::new(n, self.src), visitor)
            }
            None => Err(de::Error::custom("expected a list for this variant")),
        }
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            Some(n) => {
                de::Deserializer::deserialize_any(NodeDeserializer::new(n, self.src), visitor)
            }
            None => Err(de::Error::custom("expected a mapping for this variant")),
        }
    }
}

/// A located structural error and the path of the node it is about.
#[derive(Debug, Clone)]
pub struct LocatedDeError {
    /// The error.
    pub error: DeError,
    /// Path to the node (for unknown fields, the key).
    pub path: Vec<PathSeg>,
    /// The `name:` of the list item that was dropped because of this error, if any.
    pub pruned_name: Option<String>,
}

/// Deserializes `root` into `T`, pruning and retrying to collect every structural error.
/// Returns the value built from what was left (if anything could be built) and the errors.
///
/// The offending node itself is cut (an optional field then simply goes back to its
/// default). If that leaves a required field missing, the error is not reported again:
/// the cut widens to the enclosing list item, or else the enclosing key.
pub fn deserialize_all<T: DeserializeOwned>(
    root: &Node,
    src: &str,
    max_errors: usize,
) -> (Option<T>, Vec<LocatedDeError>) {
    let mut tree = root.clone();
    let mut errors: Vec<LocatedDeError> = Vec::new();
    let mut cut: Vec<Vec<PathSeg>> = Vec::new();
    for _ in 0..max_errors * 4 {
        let e = match T::deserialize(NodeDeserializer::new(&tree, src)) {
            Ok(v) => return (Some(v), errors),
            Err(e) => e,
        };
        let span = e.span.unwrap_or(tree.span);
        let path = find_path(
            &tree,
            span,
            matches!(e.kind, DeErrorKind::UnknownField { .. }),
        )
        .unwrap_or_default();
        let consequence = match &e.kind {
            DeErrorKind::MissingField { field } => {
                let mut p = path.clone();
                p.push(PathSeg::Key(field.to_string()));
                cut.contains(&p)
            }
            _ => false,
        };
        let target = if consequence {
            widen(&path)
        } else {
            Some(path.clone())
        };
        let pruned_name = target.as_ref().and_then(|p| item_name(&tree, p));
        if !consequence {
            if errors.len() >= max_errors {
                return (None, errors);
            }
            errors.push(LocatedDeError {
                error: e.at(span),
                path: path.clone(),
                pruned_name: pruned_name.clone(),
            });
        } else if let (Some(name), Some(last)) = (pruned_name, errors.last_mut()) {
            last.pruned_name.get_or_insert(name);
        }
        match target {
            Some(p) if !p.is_empty() && remove_at(&mut tree, &p) => cut.push(p),
            _ => return (None, errors),
        }
    }
    (None, errors)
}

/// The enclosing list item of `path`, or else its parent key.
fn widen(path: &[PathSeg]) -> Option<Vec<PathSeg>> {
    if let Some(i) = path.iter().rposition(|s| matches!(s, PathSeg::Index(_))) {
        return Some(path[..=i].to_vec());
    }
    (!path.is_empty()).then(|| path.to_vec())
}

/// The `name:` of the list item at or above `path`, if any.
fn item_name(tree: &Node, path: &[PathSeg]) -> Option<String> {
    let i = path.iter().rposition(|s| matches!(s, PathSeg::Index(_)))?;
    tree.at_path(&path[..=i])?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

fn remove_at(tree: &mut Node, path: &[PathSeg]) -> bool {
    let Some((last, parent_path)) = path.split_last() else {
        return false;
    };
    let mut node = tree;
    for seg in parent_path {
        node = match (seg, &mut node.value) {
            (PathSeg::Key(k), Value::Map(entries)) => {
                match entries.iter_mut().find(|(key, _)| key.as_str() == Some(k)) {
                    Some((_, v)) => v,
                    None => return false,
                }
            }
            (PathSeg::Index(i), Value::Seq(items)) => match items.get_mut(*i) {
                Some(n) => n,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, &mut node.value) {
        (PathSeg::Key(k), Value::Map(entries)) => {
            let before = entries.len();
            entries.retain(|(key, _)| key.as_str() != Some(k));
            entries.len() != before
        }
        (PathSeg::Index(i), Value::Seq(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

/// Finds the path of the node with this span. With `key`, a mapping key with that span
/// yields the path of its entry.
pub fn find_path(root: &Node, span: Span, key: bool) -> Option<Vec<PathSeg>> {
    fn go(node: &Node, span: Span, key: bool, path: &mut Vec<PathSeg>) -> bool {
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let name = k.as_str().map(str::to_string).unwrap_or_default();
                    path.push(PathSeg::Key(name));
                    if (key && k.span.start == span.start) || go(v, span, key, path) {
                        return true;
                    }
                    path.pop();
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    if go(v, span, key, path) {
                        return true;
                    }
                    path.pop();
                }
            }
            _ => {}
        }
        node.span.start == span.start && !matches!(node.value, Value::Map(_) | Value::Seq(_))
            || node.span == span
    }
    let mut path = Vec::new();
    if go(root, span, key, &mut path) {
        Some(path)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::parse;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        size: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
        version: Option<String>,
    }

    #[test]
    fn collects_every_error() {
        let src = "items:\n  - name: a\n    sise: 3\n  - name: b\n    size: lots\n  - size: 2\nversion: 1.10\nextra: 1\n";
        let root = parse(src).expect("yaml");
        let (doc, errors) = deserialize_all::<Doc>(&root, src, 20);
        let kinds: Vec<String> = errors.iter().map(|e| e.error.to_string()).collect();
        assert_eq!(kinds.len(), 4, "{kinds:?}");
        assert!(kinds[0].contains("unknown field `sise`"));
        assert!(
            kinds.iter().any(|k| k.contains("expected u32")),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|k| k.contains("missing required field `name`")),
            "{kinds:?}"
        );
        assert!(
            kinds.iter().any(|k| k.contains("unknown field `extra`")),
            "{kinds:?}"
        );
        let doc = doc.expect("what is left still deserializes");
        let names: Vec<&str> = doc.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["a", "b"],
            "a bad optional field is cut, not its whole item"
        );
        assert_eq!(doc.items[1].size, None);
        assert_eq!(
            doc.version.as_deref(),
            Some("1.10"),
            "numbers read as strings keep their text"
        );
        let bad = &errors[0];
        let span = bad.error.span.expect("located");
        assert_eq!(&src[span.start..span.start + span.len], "sise");
    }
}
