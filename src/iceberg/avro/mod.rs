//! Just enough of Avro to rewrite Iceberg manifests and manifest lists without decoding
//! them into values: the object container format (header, blocks, sync markers, the
//! null/deflate/snappy/zstandard codecs), schemas, and a patcher that walks records by
//! their schema, copies every byte it does not change, and re-encodes only the strings
//! and longs it is asked to change. Header metadata (Iceberg's `schema`,
//! `partition-spec`, `format-version`, `content`, ...) and the codec are kept as they are.

mod codec;
mod container;
mod patch;
mod schema;

pub use codec::Codec;
pub use container::{Container, read_container, read_meta, write_container};
pub use patch::{Patch, patch_block};
pub use schema::Schema;

/// Why an Avro file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum AvroError {
    /// Not an Avro object container file.
    #[error("not an Avro object container file")]
    NotAvro,
    /// The data ended early or is malformed.
    #[error("malformed Avro data: {0}")]
    Malformed(&'static str),
    /// The schema could not be understood.
    #[error("unsupported or invalid Avro schema: {0}")]
    Schema(String),
    /// A codec forge does not support.
    #[error("unsupported Avro codec `{0}`")]
    Codec(String),
    /// Compression failed.
    #[error("Avro block compression failed")]
    Io(#[from] std::io::Error),
}

/// Reads a zigzag varint long at `*pos`.
pub fn read_long(buf: &[u8], pos: &mut usize) -> Result<i64, AvroError> {
    let mut value: u64 = 0;
    let mut shift = 0;
    loop {
        let b = *buf
            .get(*pos)
            .ok_or(AvroError::Malformed("varint past the end"))?;
        *pos += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return Err(AvroError::Malformed("varint too long"));
        }
    }
    Ok(((value >> 1) as i64) ^ -((value & 1) as i64))
}

/// Appends a zigzag varint long.
pub fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends an Avro string (length + bytes).
pub fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_round_trips() {
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            300,
            -300,
            i64::MAX,
            i64::MIN,
            1 << 40,
        ] {
            let mut out = Vec::new();
            write_long(&mut out, v);
            let mut pos = 0;
            assert_eq!(read_long(&out, &mut pos).expect("decode"), v);
            assert_eq!(pos, out.len());
        }
        let mut out = Vec::new();
        write_long(&mut out, -1);
        assert_eq!(out, vec![1]);
        out.clear();
        write_long(&mut out, 64);
        assert_eq!(out, vec![0x80, 0x01]);
    }
}
