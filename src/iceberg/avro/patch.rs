//! Walking records by their schema: every byte that does not change is copied as it is;
//! only the strings and longs a [`Patch`] asks to change are re-encoded.

use super::{AvroError, Schema, read_long, write_bytes, write_long};

/// Decides what changes. Field ids are the positions of the target paths given to
/// [`patch_block`].
pub trait Patch {
    /// A string (or the string branch of a union) at target `id`: its new value, if it changes.
    fn string(&mut self, id: usize, value: &str) -> Option<String>;
    /// A long at target `id`: its new value, if it changes.
    fn long(&mut self, id: usize, value: i64) -> Option<i64>;
    /// An int at target `id`, to look at (never changed).
    fn int(&mut self, id: usize, value: i64);
    /// Called at the start of each top-level record.
    fn record(&mut self) {}
}

/// A schema with the target paths marked.
#[derive(Debug, Clone)]
enum Node {
    Skip(Schema),
    Target(usize, Schema),
    Record(Vec<Node>),
    Union(Vec<Node>),
}

fn compile(schema: &Schema, prefix: &mut Vec<String>, targets: &[&[&str]]) -> Node {
    let hit = targets
        .iter()
        .position(|t| t.len() == prefix.len() && t.iter().zip(prefix.iter()).all(|(a, b)| a == b));
    if let Some(id) = hit {
        return Node::Target(id, schema.clone());
    }
    let below = |prefix: &Vec<String>| {
        targets
            .iter()
            .any(|t| t.len() > prefix.len() && t.iter().zip(prefix.iter()).all(|(a, b)| a == b))
    };
    match schema {
        Schema::Record(fields) if below(prefix) => Node::Record(
            fields
                .iter()
                .map(|(name, s)| {
                    prefix.push(name.clone());
                    let n = compile(s, prefix, targets);
                    prefix.pop();
                    n
                })
                .collect(),
        ),
        Schema::Union(branches)
            if below(prefix) || branches.iter().any(|b| matches!(b, Schema::Record(_))) =>
        {
            Node::Union(
                branches
                    .iter()
                    .map(|b| compile(b, prefix, targets))
                    .collect(),
            )
        }
        other => Node::Skip(other.clone()),
    }
}

/// Moves `pos` on by `n` bytes, refusing to go past the end of `buf` (lengths in a
/// corrupt file can be anything).
fn advance(buf: &[u8], pos: &mut usize, n: usize) -> Result<(), AvroError> {
    match pos.checked_add(n) {
        Some(p) if p <= buf.len() => {
            *pos = p;
            Ok(())
        }
        _ => Err(AvroError::Malformed("value past the end of its block")),
    }
}

/// Reads a length (of bytes, or of items in a block): never negative.
fn read_len(buf: &[u8], pos: &mut usize) -> Result<usize, AvroError> {
    usize::try_from(read_long(buf, pos)?).map_err(|_| AvroError::Malformed("negative length"))
}

/// Refuses a block that claims more items than it has bytes left: every item of an
/// Iceberg schema takes at least one byte, and a corrupt count could otherwise make
/// forge loop for a very long time over zero-sized items.
fn check_count(buf: &[u8], pos: usize, count: usize) -> Result<(), AvroError> {
    if count > buf.len().saturating_sub(pos) + 1 {
        return Err(AvroError::Malformed("block holds more items than bytes"));
    }
    Ok(())
}

/// Skips one value of `schema`.
fn skip(schema: &Schema, buf: &[u8], pos: &mut usize) -> Result<(), AvroError> {
    match schema {
        Schema::Null => {}
        Schema::Boolean => advance(buf, pos, 1)?,
        Schema::Int | Schema::Long | Schema::Enum => {
            read_long(buf, pos)?;
        }
        Schema::Float => advance(buf, pos, 4)?,
        Schema::Double => advance(buf, pos, 8)?,
        Schema::Bytes | Schema::String => {
            let n = read_len(buf, pos)?;
            advance(buf, pos, n)?;
        }
        Schema::Fixed(n) => advance(buf, pos, *n)?,
        Schema::Record(fields) => {
            for (_, f) in fields.iter() {
                skip(f, buf, pos)?;
            }
        }
        Schema::Array(items) => skip_blocks(buf, pos, |buf, pos| skip(items, buf, pos))?,
        Schema::Map(values) => skip_blocks(buf, pos, |buf, pos| {
            skip(&Schema::String, buf, pos)?;
            skip(values, buf, pos)
        })?,
        Schema::Union(branches) => {
            let i = read_long(buf, pos)?;
            let b = branches
                .get(i as usize)
                .ok_or(AvroError::Malformed("union branch out of range"))?;
            skip(b, buf, pos)?;
        }
    }
    if *pos > buf.len() {
        return Err(AvroError::Malformed("value past the end of its block"));
    }
    Ok(())
}

fn skip_blocks(
    buf: &[u8],
    pos: &mut usize,
    mut item: impl FnMut(&[u8], &mut usize) -> Result<(), AvroError>,
) -> Result<(), AvroError> {
    loop {
        let count = read_long(buf, pos)?;
        if count == 0 {
            return Ok(());
        }
        if count < 0 {
            // A block with its byte size: jump over it.
            let size = read_len(buf, pos)?;
            advance(buf, pos, size)?;
            continue;
        }
        let count = usize::try_from(count).expect("a positive i64 fits in usize");
        check_count(buf, *pos, count)?;
        for _ in 0..count {
            item(buf, pos)?;
        }
    }
}

struct Walker<'a, P: Patch> {
    buf: &'a [u8],
    pos: usize,
    copied: usize,
    out: Vec<u8>,
    patch: &'a mut P,
}

impl<P: Patch> Walker<'_, P> {
    fn node(&mut self, node: &Node) -> Result<(), AvroError> {
        match node {
            Node::Skip(s) => skip(s, self.buf, &mut self.pos),
            Node::Record(children) => children.iter().try_for_each(|c| self.node(c)),
            Node::Union(branches) => {
                let i = read_long(self.buf, &mut self.pos)?;
                let b = branches
                    .get(i as usize)
                    .ok_or(AvroError::Malformed("union branch out of range"))?;
                self.node(b)
            }
            Node::Target(id, schema) => self.target(*id, schema),
        }
    }

    fn target(&mut self, id: usize, schema: &Schema) -> Result<(), AvroError> {
        match schema {
            Schema::String => {
                let start = self.pos;
                let n = read_len(self.buf, &mut self.pos)?;
                let bytes = self
                    .pos
                    .checked_add(n)
                    .and_then(|end| self.buf.get(self.pos..end))
                    .ok_or(AvroError::Malformed("string past the end"))?;
                self.pos += n;
                let value = std::str::from_utf8(bytes)
                    .map_err(|_| AvroError::Malformed("string is not UTF-8"))?;
                if let Some(new) = self.patch.string(id, value) {
                    self.out.extend_from_slice(&self.buf[self.copied..start]);
                    write_bytes(&mut self.out, new.as_bytes());
                    self.copied = self.pos;
                }
                Ok(())
            }
            Schema::Long => {
                let start = self.pos;
                let v = read_long(self.buf, &mut self.pos)?;
                if let Some(new) = self.patch.long(id, v) {
                    self.out.extend_from_slice(&self.buf[self.copied..start]);
                    write_long(&mut self.out, new);
                    self.copied = self.pos;
                }
                Ok(())
            }
            Schema::Int => {
                let v = read_long(self.buf, &mut self.pos)?;
                self.patch.int(id, v);
                Ok(())
            }
            Schema::Union(branches) => {
                let i = read_long(self.buf, &mut self.pos)?;
                let b = branches
                    .get(i as usize)
                    .ok_or(AvroError::Malformed("union branch out of range"))?
                    .clone();
                if matches!(b, Schema::Null) {
                    Ok(())
                } else {
                    self.target(id, &b)
                }
            }
            other => skip(other, self.buf, &mut self.pos),
        }
    }
}

/// Patches the `count` records of one uncompressed block. `targets` are field paths
/// (`["data_file", "file_path"]`); the patch is called with their index.
pub fn patch_block<P: Patch>(
    schema: &Schema,
    targets: &[&[&str]],
    block: &[u8],
    count: i64,
    patch: &mut P,
) -> Result<Vec<u8>, AvroError> {
    let plan = compile(schema, &mut Vec::new(), targets);
    let mut w = Walker {
        buf: block,
        pos: 0,
        copied: 0,
        out: Vec::with_capacity(block.len() + block.len() / 4),
        patch,
    };
    let count =
        usize::try_from(count).map_err(|_| AvroError::Malformed("negative record count"))?;
    check_count(block, 0, count)?;
    for _ in 0..count {
        w.patch.record();
        w.node(&plan)?;
    }
    if w.pos != block.len() {
        return Err(AvroError::Malformed(
            "block has bytes after its last record",
        ));
    }
    w.out.extend_from_slice(&block[w.copied..]);
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Upper;
    impl Patch for Upper {
        fn string(&mut self, _: usize, v: &str) -> Option<String> {
            Some(format!("s3://new/{}", v.trim_start_matches("s3://old/")))
        }
        fn long(&mut self, _: usize, v: i64) -> Option<i64> {
            Some(v + 1000)
        }
        fn int(&mut self, _: usize, _: i64) {}
    }

    #[test]
    fn patches_only_the_targets_and_copies_the_rest() {
        let schema = Schema::parse(
            br#"{"type":"record","name":"e","fields":[
            {"name":"status","type":"int"},
            {"name":"tags","type":{"type":"map","values":"string"}},
            {"name":"data_file","type":{"type":"record","name":"df","fields":[
                {"name":"file_path","type":"string"},
                {"name":"size","type":"long"},
                {"name":"ref","type":["null","string"]}]}}]}"#,
        )
        .expect("schema");
        let mut block = Vec::new();
        for i in 0..3 {
            write_long(&mut block, i);
            write_long(&mut block, 1);
            write_bytes(&mut block, b"k");
            write_bytes(&mut block, b"v");
            write_long(&mut block, 0);
            write_bytes(&mut block, format!("s3://old/f{i}").as_bytes());
            write_long(&mut block, 42);
            write_long(&mut block, if i == 1 { 1 } else { 0 });
            if i == 1 {
                write_bytes(&mut block, b"s3://old/ref");
            }
        }
        let targets: &[&[&str]] = &[
            &["data_file", "file_path"],
            &["data_file", "size"],
            &["data_file", "ref"],
        ];
        let out = patch_block(&schema, targets, &block, 3, &mut Upper).expect("patch");
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("s3://new/f0")
                && text.contains("s3://new/f2")
                && text.contains("s3://new/ref")
        );
        assert!(!text.contains("s3://old"));
        // Re-reading with the plain skipper proves the output is well-formed.
        let mut pos = 0;
        for _ in 0..3 {
            skip(&schema, &out, &mut pos).expect("valid output");
        }
        assert_eq!(pos, out.len());
    }
}
