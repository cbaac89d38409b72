//! [`Reader`]: reads a large object as one streaming GET, in pieces of the size asked
//! for, resuming with a ranged GET from where the stream broke.

use aws_sdk_s3::primitives::ByteStream;

use super::{Location, SyncError};
use crate::providers::aws::error::classify;
use crate::providers::retry::Backoff;

/// Reads `[0, size)` of one object, piece by piece.
pub(super) struct Reader<'a> {
    src: &'a Location,
    key: &'a str,
    size: u64,
    /// Bytes handed out so far.
    pub(super) pos: u64,
    body: Option<ByteStream>,
    pending: bytes::Bytes,
    backoff: Backoff,
}

impl<'a> Reader<'a> {
    /// A reader of `key` (`size` bytes) at `src`; nothing is requested until the first read.
    pub(super) fn new(src: &'a Location, key: &'a str, size: u64, backoff: Backoff) -> Self {
        Self {
            src,
            key,
            size,
            pos: 0,
            body: None,
            pending: bytes::Bytes::new(),
            backoff,
        }
    }

    /// Opens the stream at the current position.
    async fn open(&mut self) -> Result<(), SyncError> {
        let (src, key, pos) = (self.src, self.key, self.pos);
        let out = self
            .backoff
            .retry(
                |f: &crate::providers::aws::error::Failure| f.is_transient(),
                || async {
                    let mut req = src
                        .client
                        .get_object()
                        .bucket(&src.bucket)
                        .key(src.key(key));
                    if pos > 0 {
                        req = req.range(format!("bytes={pos}-"));
                    }
                    req.send().await.map_err(classify)
                },
            )
            .await
            .map_err(|f| f.into_error(format!("GetObject {key}"), &src.label))?;
        self.body = Some(out.body);
        Ok(())
    }

    /// The next `n` bytes (fewer only at the end of the object).
    pub(super) async fn read(&mut self, n: u64) -> Result<bytes::Bytes, SyncError> {
        let want = n.min(self.size - self.pos) as usize;
        let mut buf = bytes::BytesMut::with_capacity(want);
        let mut breaks = 0;
        while buf.len() < want {
            if !self.pending.is_empty() {
                let take = self.pending.len().min(want - buf.len());
                buf.extend_from_slice(&self.pending.split_to(take));
                self.pos += take as u64;
                continue;
            }
            if self.body.is_none() {
                self.open().await?;
            }
            let body = self
                .body
                .as_mut()
                .expect("the stream was opened just above");
            match body.try_next().await {
                Ok(Some(chunk)) => self.pending = chunk,
                Ok(None) => {
                    return Err(SyncError::Truncated {
                        key: self.key.to_string(),
                        at: self.pos,
                        size: self.size,
                    });
                }
                Err(e) => {
                    // Cut mid-body: resume from here.
                    breaks += 1;
                    if breaks >= self.backoff.attempts {
                        return Err(SyncError::Stream {
                            key: self.key.to_string(),
                            times: breaks,
                            source: Box::new(e),
                        });
                    }
                    self.body = None;
                    tokio::time::sleep(self.backoff.delay(breaks)).await;
                }
            }
        }
        Ok(buf.freeze())
    }
}
