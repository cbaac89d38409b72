//! File reads and writes with the path in the error, and gzip for `.gz.metadata.json`.

use std::path::Path;

use super::RewriteError;

/// Reads a whole file.
pub(super) fn read(path: &Path) -> Result<Vec<u8>, RewriteError> {
    std::fs::read(path).map_err(|source| RewriteError::Io {
        op: "read",
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a whole file.
pub(super) fn write(path: &Path, bytes: &[u8]) -> Result<(), RewriteError> {
    std::fs::write(path, bytes).map_err(|source| RewriteError::Io {
        op: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// Decompresses a gzipped metadata file.
pub(super) fn gunzip(bytes: &[u8], path: &Path) -> Result<String, RewriteError> {
    let mut s = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut s).map_err(
        |source| RewriteError::Io {
            op: "gunzip",
            path: path.to_path_buf(),
            source,
        },
    )?;
    Ok(s)
}

/// Compresses a metadata file (fast level: these are small and many).
pub(super) fn gzip(text: &str, path: &Path) -> Result<Vec<u8>, RewriteError> {
    let io = |source| RewriteError::Io {
        op: "gzip",
        path: path.to_path_buf(),
        source,
    };
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, text.as_bytes()).map_err(io)?;
    enc.finish().map_err(io)
}
