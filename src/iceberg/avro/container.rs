//! The Avro object container format: `Obj\x01`, a metadata map, a 16-byte sync marker,
//! then blocks of (object count, byte size, data, sync marker).

use std::collections::BTreeMap;

use super::{AvroError, Codec, Schema, read_long, write_long};

/// A container file, its blocks uncompressed.
#[derive(Debug, Clone)]
pub struct Container {
    /// The header bytes exactly as read (magic, metadata, sync), written back unchanged.
    pub header: Vec<u8>,
    /// The header metadata (`avro.schema`, `avro.codec`, and Iceberg's own keys).
    pub meta: BTreeMap<String, Vec<u8>>,
    /// The sync marker.
    pub sync: [u8; 16],
    /// The codec.
    pub codec: Codec,
    /// The writer's schema.
    pub schema: Schema,
    /// Blocks: object count and uncompressed data.
    pub blocks: Vec<(i64, Vec<u8>)>,
}

fn take<'a>(buf: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], AvroError> {
    let s = pos
        .checked_add(n)
        .and_then(|end| buf.get(*pos..end))
        .ok_or(AvroError::Malformed("data ends early"))?;
    *pos += n;
    Ok(s)
}

/// Reads a length: never negative.
fn len(buf: &[u8], pos: &mut usize) -> Result<usize, AvroError> {
    usize::try_from(read_long(buf, pos)?).map_err(|_| AvroError::Malformed("negative length"))
}

/// Reads only the header metadata (cheap: no block is touched).
pub fn read_meta(bytes: &[u8]) -> Result<(BTreeMap<String, Vec<u8>>, usize), AvroError> {
    if bytes.get(..4) != Some(b"Obj\x01") {
        return Err(AvroError::NotAvro);
    }
    let mut pos = 4;
    let mut meta = BTreeMap::new();
    loop {
        let mut count = read_long(bytes, &mut pos)?;
        if count == 0 {
            break;
        }
        if count < 0 {
            count = count
                .checked_neg()
                .ok_or(AvroError::Malformed("metadata count"))?;
            read_long(bytes, &mut pos)?;
        }
        for _ in 0..count {
            let klen = len(bytes, &mut pos)?;
            let key = String::from_utf8_lossy(take(bytes, &mut pos, klen)?).into_owned();
            let vlen = len(bytes, &mut pos)?;
            meta.insert(key, take(bytes, &mut pos, vlen)?.to_vec());
        }
    }
    Ok((meta, pos))
}

/// Reads a container file.
pub fn read_container(bytes: &[u8]) -> Result<Container, AvroError> {
    let (meta, mut pos) = read_meta(bytes)?;
    let sync: [u8; 16] = take(bytes, &mut pos, 16)?
        .try_into()
        .map_err(|_| AvroError::Malformed("sync marker"))?;
    let header = bytes[..pos].to_vec();
    let codec = Codec::from_name(meta.get("avro.codec").map(Vec::as_slice))?;
    let schema = Schema::parse(
        meta.get("avro.schema")
            .ok_or(AvroError::Malformed("no avro.schema in the header"))?,
    )?;
    let mut blocks = Vec::new();
    while pos < bytes.len() {
        let count = read_long(bytes, &mut pos)?;
        let size = len(bytes, &mut pos)?;
        let data = take(bytes, &mut pos, size)?;
        if take(bytes, &mut pos, 16)? != sync {
            return Err(AvroError::Malformed(
                "block sync marker does not match the header",
            ));
        }
        blocks.push((count, codec.decompress(data)?));
    }
    Ok(Container {
        header,
        meta,
        sync,
        codec,
        schema,
        blocks,
    })
}

/// Writes a container file: the original header, then the given uncompressed blocks.
pub fn write_container(
    header: &[u8],
    sync: &[u8; 16],
    codec: Codec,
    blocks: &[(i64, Vec<u8>)],
) -> Result<Vec<u8>, AvroError> {
    let mut out =
        Vec::with_capacity(header.len() + blocks.iter().map(|b| b.1.len()).sum::<usize>() / 2);
    out.extend_from_slice(header);
    for (count, data) in blocks {
        let packed = codec.compress(data)?;
        write_long(&mut out, *count);
        write_long(&mut out, packed.len() as i64);
        out.extend_from_slice(&packed);
        out.extend_from_slice(sync);
    }
    Ok(out)
}
