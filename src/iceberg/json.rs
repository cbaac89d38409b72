//! Rewriting the paths in a metadata.json without re-serializing it: one pass over the
//! text that tracks where it is (`snapshots[].manifest-list`, ...), replaces only the path
//! strings, and copies every other byte as it was (formatting and key order included).

/// Where a string sits, as far as paths go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Other,
    Root,
    MetadataLog,
    Snapshots,
    Snapshot,
    Manifests,
    Stats,
    Properties,
}

/// A JSON syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(pub usize);

struct Scan<'a, F: FnMut(&str) -> String> {
    src: &'a [u8],
    pos: usize,
    out: Vec<u8>,
    copied: usize,
    fix: F,
}

/// Whether a key under `ctx` holds a path, and the context of its value.
fn child(ctx: Ctx, key: &str) -> (bool, Ctx) {
    match (ctx, key) {
        (Ctx::Root, "location") => (true, Ctx::Other),
        (Ctx::Root, "metadata-log") => (false, Ctx::MetadataLog),
        (Ctx::Root, "snapshots") => (false, Ctx::Snapshots),
        (Ctx::Root, "statistics" | "partition-statistics") => (false, Ctx::Stats),
        (Ctx::Root, "properties") => (false, Ctx::Properties),
        (Ctx::MetadataLog, "metadata-file") => (true, Ctx::Other),
        (Ctx::Snapshot, "manifest-list") => (true, Ctx::Other),
        (Ctx::Snapshot, "manifests") => (false, Ctx::Manifests),
        (Ctx::Stats, "statistics-path") => (true, Ctx::Other),
        (
            Ctx::Properties,
            "write.data.path"
            | "write.metadata.path"
            | "write.object-storage.path"
            | "write.folder-storage.path",
        ) => (true, Ctx::Other),
        _ => (false, Ctx::Other),
    }
}

impl<F: FnMut(&str) -> String> Scan<'_, F> {
    fn ws(&mut self) {
        while self.pos < self.src.len()
            && matches!(self.src[self.pos], b' ' | b'\n' | b'\r' | b'\t')
        {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        self.ws();
        if self.src.get(self.pos) == Some(&b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(JsonError(self.pos))
        }
    }

    /// A string literal; returns its decoded value and its byte range (quotes included).
    fn string(&mut self) -> Result<(String, usize, usize), JsonError> {
        self.ws();
        let start = self.pos;
        if self.src.get(self.pos) != Some(&b'"') {
            return Err(JsonError(self.pos));
        }
        self.pos += 1;
        let body_start = self.pos;
        let mut escaped = false;
        while let Some(&c) = self.src.get(self.pos) {
            match c {
                b'\\' => {
                    escaped = true;
                    self.pos += 2;
                }
                b'"' => {
                    let end = self.pos + 1;
                    let raw = &self.src[body_start..self.pos];
                    self.pos = end;
                    let value = if escaped {
                        serde_json::from_slice::<String>(&self.src[start..end])
                            .map_err(|_| JsonError(start))?
                    } else {
                        String::from_utf8(raw.to_vec()).map_err(|_| JsonError(start))?
                    };
                    return Ok((value, start, end));
                }
                _ => self.pos += 1,
            }
        }
        Err(JsonError(start))
    }

    fn value(&mut self, ctx: Ctx, is_path: bool) -> Result<(), JsonError> {
        self.ws();
        match self.src.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                self.ws();
                if self.src.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    let (key, _, _) = self.string()?;
                    self.expect(b':')?;
                    let (path, next) = child(ctx, &key);
                    self.value(next, path)?;
                    self.ws();
                    match self.src.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(JsonError(self.pos)),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                self.ws();
                if self.src.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(());
                }
                let item = match ctx {
                    Ctx::Snapshots => Ctx::Snapshot,
                    Ctx::MetadataLog | Ctx::Stats => ctx,
                    _ => Ctx::Other,
                };
                loop {
                    self.value(item, ctx == Ctx::Manifests)?;
                    self.ws();
                    match self.src.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(JsonError(self.pos)),
                    }
                }
            }
            Some(b'"') => {
                let (value, start, end) = self.string()?;
                if is_path {
                    let new = (self.fix)(&value);
                    if new != value {
                        self.out.extend_from_slice(&self.src[self.copied..start]);
                        self.out.extend_from_slice(
                            serde_json::to_string(&new)
                                .map_err(|_| JsonError(start))?
                                .as_bytes(),
                        );
                        self.copied = end;
                    }
                }
                Ok(())
            }
            Some(_) => {
                // A number or a literal: up to the next delimiter.
                let start = self.pos;
                while self.pos < self.src.len()
                    && !matches!(
                        self.src[self.pos],
                        b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'
                    )
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    Err(JsonError(start))
                } else {
                    Ok(())
                }
            }
            None => Err(JsonError(self.pos)),
        }
    }
}

/// Rewrites the path strings of a metadata.json document with `fix`, copying every other
/// byte unchanged.
pub fn rewrite_paths(text: &str, fix: impl FnMut(&str) -> String) -> Result<String, JsonError> {
    let mut s = Scan {
        src: text.as_bytes(),
        pos: 0,
        out: Vec::with_capacity(text.len() + 1024),
        copied: 0,
        fix,
    };
    s.value(Ctx::Root, false)?;
    s.ws();
    if s.pos != s.src.len() {
        return Err(JsonError(s.pos));
    }
    s.out.extend_from_slice(&s.src[s.copied..]);
    String::from_utf8(s.out).map_err(|_| JsonError(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_path_fields_change_and_formatting_stays() {
        let text = "{\n  \"location\" : \"s3://a/t\",\n  \"properties\": {\"write.data.path\": \"s3://a/t/data\", \"comment\": \"s3://a/t\"},\n  \"snapshots\": [ {\"snapshot-id\": 1, \"manifest-list\": \"s3://a/t/m\\/1.avro\", \"summary\": {\"x\": \"s3://a/t\"}, \"manifests\": [\"s3://a/t/v1.avro\"]} ],\n  \"metadata-log\": [{\"metadata-file\": \"s3://a/t/0.json\", \"timestamp-ms\": 12}],\n  \"refs\": {\"main\": {\"snapshot-id\": 1}}, \"x\": [true, null, -1.5e3]\n}";
        let out = rewrite_paths(text, |p| p.replace("s3://a/t", "s3://b/u")).expect("rewrite");
        assert!(
            out.starts_with("{\n  \"location\" : \"s3://b/u\",\n"),
            "{out}"
        );
        assert!(out.contains("\"write.data.path\": \"s3://b/u/data\""));
        assert!(
            out.contains("\"comment\": \"s3://a/t\""),
            "non-path strings stay"
        );
        assert!(
            out.contains("\"manifest-list\":\"s3://b/u/m/1.avro\"")
                || out.contains("\"manifest-list\": \"s3://b/u/m/1.avro\""),
            "{out}"
        );
        assert!(out.contains("\"summary\": {\"x\": \"s3://a/t\"}"));
        assert!(out.contains("\"manifests\": [\"s3://b/u/v1.avro\"]"));
        assert!(out.contains("\"metadata-file\": \"s3://b/u/0.json\""));
        let v: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(v["x"][2], serde_json::json!(-1500.0));
        assert!(rewrite_paths("{\"location\": \"s3://a\"", |p| p.to_string()).is_err());
    }
}
