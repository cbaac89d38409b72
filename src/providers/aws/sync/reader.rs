//! [`Reader`]: reads one object as a single streaming GET, chunk by chunk as the bytes
//! arrive (no copying), resuming with a ranged GET from where the stream broke.
//!
//! The first response pins the object: its length must be the listed size, and every
//! later (ranged) GET asks for the same ETag (`If-Match`), so a resumed read cannot
//! splice two versions of an object together.

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;

use super::{Location, SyncError};
use crate::providers::aws::error::{Failure, classify};
use crate::providers::retry::Backoff;

/// Reads `[pos, end)` of one object (all of it unless [`Reader::fork`]ed), a chunk at a
/// time.
pub(super) struct Reader<'a> {
    src: &'a Location,
    key: &'a str,
    /// The object's size as listed.
    size: u64,
    /// Where reading stops (exclusive).
    end: u64,
    /// Bytes handed out so far (the next byte to hand out).
    pos: u64,
    body: Option<ByteStream>,
    /// What arrived but was not handed out yet.
    pending: bytes::Bytes,
    /// The ETag of the first response, once there was one.
    etag: Option<String>,
    /// The object's MD5, base64 (a `Content-MD5` value), when its ETag is one.
    md5: Option<String>,
    backoff: Backoff,
    /// Breaks since the last byte arrived.
    breaks: u32,
}

impl<'a> Reader<'a> {
    /// A reader of `key` (`size` bytes as listed) at `src`; nothing is requested until
    /// the first read or [`Reader::open`].
    pub(super) fn new(src: &'a Location, key: &'a str, size: u64, backoff: Backoff) -> Self {
        Self {
            src,
            key,
            size,
            end: size,
            pos: 0,
            body: None,
            pending: bytes::Bytes::new(),
            etag: None,
            md5: None,
            backoff,
            breaks: 0,
        }
    }

    /// Another reader of the same object, pinned to the ETag this one saw, of bytes
    /// `[pos, end)` only (one part of a multipart upload).
    pub(super) fn fork(&self, pos: u64, end: u64) -> Self {
        Self {
            pos,
            end: end.min(self.size),
            body: None,
            pending: bytes::Bytes::new(),
            breaks: 0,
            etag: self.etag.clone(),
            md5: self.md5.clone(),
            ..*self
        }
    }

    /// The object's MD5 as a `Content-MD5` header value, when the source's ETag is a
    /// plain MD5 of the content (known once the stream is open).
    pub(super) fn content_md5(&self) -> Option<&str> {
        self.md5.as_deref()
    }

    /// Moves to byte `pos`: what is buffered is dropped and the next read opens a ranged
    /// GET there (used to send a part again after the destination refused it).
    pub(super) fn seek(&mut self, pos: u64) {
        if pos != self.pos {
            self.pos = pos;
            self.pending = bytes::Bytes::new();
            self.body = None;
        }
    }

    /// Opens the stream at the current position (retrying transient failures), unless
    /// it is open.
    pub(super) async fn open(&mut self) -> Result<(), SyncError> {
        if self.body.is_some() {
            return Ok(());
        }
        let (src, key, pos, etag) = (self.src, self.key, self.pos, self.etag.as_deref());
        let ranged = pos > 0 || self.end < self.size;
        let last = self.end.saturating_sub(1);
        let out = self
            .backoff
            .retry(Failure::is_transient, || async {
                let mut req = src
                    .client
                    .get_object()
                    .bucket(&src.bucket)
                    .key(src.key(key))
                    .set_if_match(etag.map(str::to_string));
                if ranged {
                    req = req.range(format!("bytes={pos}-{last}"));
                }
                req.send().await.map_err(classify)
            })
            .await
            .map_err(|f| match f {
                Failure::Service { status: 412, .. } => SyncError::Changed {
                    key: key.to_string(),
                    why: "its ETag changed while it was read".into(),
                },
                f => f.into_error(format!("GetObject {key}"), &src.label).into(),
            })?;
        if self.etag.is_none() {
            // The whole object's length: of the body, or after the `/` of a range's answer.
            let length = if ranged {
                out.content_range()
                    .and_then(|r| r.rsplit_once('/'))
                    .and_then(|(_, total)| total.parse().ok())
                    .unwrap_or(-1)
            } else {
                out.content_length().unwrap_or(-1)
            };
            if u64::try_from(length).ok() != Some(self.size) {
                return Err(SyncError::Changed {
                    key: key.to_string(),
                    why: format!("listed with {} bytes, now {length}", self.size),
                });
            }
            self.etag = out.e_tag().map(str::to_string);
            self.md5 = plain_md5(
                out.e_tag(),
                out.server_side_encryption().map(|s| s.as_str()),
                out.sse_customer_algorithm(),
            );
        }
        self.body = Some(out.body);
        Ok(())
    }

    /// The next bytes, at most `max` of them (at least one unless `max` is 0): a slice of
    /// what the stream delivered, not a copy.
    pub(super) async fn next(&mut self, max: u64) -> Result<bytes::Bytes, SyncError> {
        let max = max.min(self.end.saturating_sub(self.pos)) as usize;
        if max == 0 {
            return Ok(bytes::Bytes::new());
        }
        loop {
            if !self.pending.is_empty() {
                let take = self.pending.len().min(max);
                self.pos += take as u64;
                return Ok(self.pending.split_to(take));
            }
            self.open().await?;
            let Some(body) = self.body.as_mut() else {
                continue;
            };
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    self.breaks = 0;
                    self.pending = chunk;
                }
                Ok(None) => {
                    return Err(SyncError::Truncated {
                        key: self.key.to_string(),
                        at: self.pos,
                        size: self.size,
                    });
                }
                Err(e) => {
                    // Cut mid-body: resume from here.
                    self.breaks += 1;
                    if self.breaks >= self.backoff.attempts {
                        return Err(SyncError::Stream {
                            key: self.key.to_string(),
                            times: self.breaks,
                            source: Box::new(e),
                        });
                    }
                    self.body = None;
                    tokio::time::sleep(self.backoff.delay(self.breaks)).await;
                }
            }
        }
    }
}

/// The MD5 (base64) an ETag stands for, when it stands for one: 32 hex digits (not a
/// multipart `…-N` ETag) of an object stored in the clear or with SSE-S3. With SSE-KMS
/// or SSE-C the ETag is not the content's MD5.
pub(super) fn plain_md5(
    etag: Option<&str>,
    sse: Option<&str>,
    sse_c: Option<&str>,
) -> Option<String> {
    if sse_c.is_some() || sse.is_some_and(|s| s != "AES256") {
        return None;
    }
    let hex = etag?.trim_matches('"');
    let bytes = hex::decode(hex).ok().filter(|b| b.len() == 16)?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::plain_md5;

    #[test]
    fn only_a_plain_md5_etag_becomes_content_md5() {
        let md5 = Some("\"d41d8cd98f00b204e9800998ecf8427e\"");
        assert_eq!(
            plain_md5(md5, None, None).as_deref(),
            Some("1B2M2Y8AsgTpgAmY7PhCfg==")
        );
        assert!(plain_md5(md5, Some("AES256"), None).is_some());
        // Multipart ETags, KMS and customer keys: not the content's MD5.
        assert_eq!(
            plain_md5(Some("\"d41d8cd98f00b204e9800998ecf8427e-3\""), None, None),
            None
        );
        assert_eq!(plain_md5(md5, Some("aws:kms"), None), None);
        assert_eq!(plain_md5(md5, None, Some("AES256")), None);
        assert_eq!(plain_md5(None, None, None), None);
    }
}
