//! Block codecs: `null`, `deflate` (raw RFC 1951), `snappy` (with its big-endian CRC-32
//! trailer), `zstandard`.

use std::io::{Read, Write};

use super::AvroError;

/// An Avro block codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// No compression.
    Null,
    /// Raw deflate (what Iceberg calls gzip).
    Deflate,
    /// Snappy with a CRC-32 of the uncompressed data.
    Snappy,
    /// Zstandard.
    Zstandard,
}

impl Codec {
    /// The codec named in `avro.codec` (absent means null).
    pub fn from_name(name: Option<&[u8]>) -> Result<Self, AvroError> {
        match name {
            None | Some(b"null") | Some(b"") => Ok(Codec::Null),
            Some(b"deflate") => Ok(Codec::Deflate),
            Some(b"snappy") => Ok(Codec::Snappy),
            Some(b"zstandard") => Ok(Codec::Zstandard),
            Some(other) => Err(AvroError::Codec(
                String::from_utf8_lossy(other).into_owned(),
            )),
        }
    }

    /// Uncompresses one block.
    pub fn decompress(self, data: &[u8]) -> Result<Vec<u8>, AvroError> {
        match self {
            Codec::Null => Ok(data.to_vec()),
            Codec::Deflate => {
                let mut out = Vec::with_capacity(data.len() * 4);
                flate2::read::DeflateDecoder::new(data).read_to_end(&mut out)?;
                Ok(out)
            }
            Codec::Snappy => {
                let body = data
                    .get(..data.len().saturating_sub(4))
                    .ok_or(AvroError::Malformed("snappy block too short"))?;
                let out = snap::raw::Decoder::new()
                    .decompress_vec(body)
                    .map_err(|e| AvroError::Io(std::io::Error::other(e)))?;
                let crc = u32::from_be_bytes(
                    data[data.len() - 4..]
                        .try_into()
                        .map_err(|_| AvroError::Malformed("snappy crc"))?,
                );
                if crc32fast::hash(&out) != crc {
                    return Err(AvroError::Malformed("snappy block checksum mismatch"));
                }
                Ok(out)
            }
            Codec::Zstandard => Ok(zstd::stream::decode_all(data)?),
        }
    }

    /// Compresses one block, favouring speed (level 1): a rewrite should not cost more
    /// than the copy it accompanies; readers do not care about the level.
    pub fn compress(self, data: &[u8]) -> Result<Vec<u8>, AvroError> {
        match self {
            Codec::Null => Ok(data.to_vec()),
            Codec::Deflate => {
                let mut enc = flate2::write::DeflateEncoder::new(
                    Vec::with_capacity(data.len() / 3),
                    flate2::Compression::default(),
                );
                enc.write_all(data)?;
                Ok(enc.finish()?)
            }
            Codec::Snappy => {
                let mut out = snap::raw::Encoder::new()
                    .compress_vec(data)
                    .map_err(|e| AvroError::Io(std::io::Error::other(e)))?;
                out.extend_from_slice(&crc32fast::hash(data).to_be_bytes());
                Ok(out)
            }
            Codec::Zstandard => Ok(zstd::stream::encode_all(data, 1)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips() {
        let data: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        for c in [Codec::Null, Codec::Deflate, Codec::Snappy, Codec::Zstandard] {
            let packed = c.compress(&data).expect("compress");
            assert_eq!(c.decompress(&packed).expect("decompress"), data, "{c:?}");
        }
        assert!(Codec::from_name(Some(b"bzip2")).is_err());
    }
}
