//! [`Located<T>`]: a value from forge.yaml together with where it was written.
//!
//! Fields that later stages check (names, references, `depends_on`) are `Located`, so
//! the graph builder can point at the text when a name is duplicated, a reference
//! dangles or a dependency cycle is found.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::de::{LOCATED_FIELDS, LOCATED_MARKER};
use super::tree::Span;

/// A value and its span in the source file.
#[derive(Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written (empty for defaults).
    pub span: Span,
}

impl<T> Located<T> {
    /// A value that was not written in the file (a default).
    pub fn unlocated(value: T) -> Self {
        Self {
            value,
            span: Span::default(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a located value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located<T>, A::Error> {
                let mut start = None;
                let mut len = None;
                let mut value = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "$start" => start = Some(map.next_value::<u64>()?),
                        "$len" => len = Some(map.next_value::<u64>()?),
                        "$value" => value = Some(map.next_value::<T>()?),
                        other => return Err(de::Error::unknown_field(other, LOCATED_FIELDS)),
                    }
                }
                let value = value.ok_or_else(|| de::Error::missing_field("$value"))?;
                let span = Span::new(start.unwrap_or(0) as usize, len.unwrap_or(0) as usize);
                Ok(Located { value, span })
            }
        }
        deserializer.deserialize_struct(LOCATED_MARKER, LOCATED_FIELDS, V(std::marker::PhantomData))
    }
}
