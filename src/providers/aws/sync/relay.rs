//! [`send`]: the body of a PUT or an UploadPart fed straight from the source's GET, chunk
//! by chunk as it arrives, so an object is never held in memory whole.
//!
//! A bounded channel joins the two: [`pump`] moves chunks from the [`Reader`] into it
//! and the request's [`RelayBody`] hands them to the HTTP client; at most
//! [`CHUNKS_IN_FLIGHT`] chunks wait in between. When the source stream breaks, the
//! reader resumes it and the request just waits. When the destination refuses the
//! request, the bytes are gone: the reader goes back to the piece's start (a ranged GET)
//! and the request is sent again. Since the body is streamed, it is sent as
//! `UNSIGNED-PAYLOAD` (SigV4 cannot hash what it has not seen); integrity rests on the
//! length, the transport and, for whole objects, a `Content-MD5` taken from the
//! source's ETag.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::mpsc;

use super::reader::Reader;
use super::{Location, SyncError};
use crate::providers::aws::error::Failure;
use crate::providers::retry::Backoff;

/// Chunks (each a slice of what one socket read delivered, so at most a few hundred
/// KiB) waiting between the source and the destination, per piece in flight.
pub(super) const CHUNKS_IN_FLIGHT: usize = 4;

/// The source ran dry before the piece's length: the request must fail rather than
/// send a short body.
#[derive(Debug, thiserror::Error)]
#[error("the source stream ended {missing} bytes before the end of the piece")]
pub(super) struct SourceEnded {
    missing: u64,
}

/// A request body of exactly `remaining` bytes, received from [`pump`].
pub(super) struct RelayBody {
    rx: mpsc::Receiver<Bytes>,
    remaining: u64,
}

impl http_body::Body for RelayBody {
    type Data = Bytes;
    type Error = SourceEnded;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, SourceEnded>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(chunk)) => {
                self.remaining = self.remaining.saturating_sub(chunk.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(None) => Poll::Ready(Some(Err(SourceEnded {
                missing: self.remaining,
            }))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A request body of exactly `len` bytes and the sender that feeds it (see [`pump`]).
pub(super) fn channel(len: u64) -> (mpsc::Sender<Bytes>, ByteStream) {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let body = ByteStream::from_body_1_x(RelayBody { rx, remaining: len });
    (tx, body)
}

/// Moves the next `len` bytes from `reader` into `tx`. Returns whether all of them went
/// in: `false` when the request stopped reading early (its own error says why), which
/// leaves `reader` short of the piece's end.
pub(super) async fn pump(
    reader: &mut Reader<'_>,
    len: u64,
    tx: mpsc::Sender<Bytes>,
) -> Result<bool, SyncError> {
    let mut left = len;
    while left > 0 {
        let chunk = reader.next(left).await?;
        left -= chunk.len() as u64;
        if tx.send(chunk).await.is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Sends bytes `[start, start + len)` of `reader`'s object as the body `request` sends
/// to `dst`, retrying with `backoff` while the destination's failure is transient.
/// `operation` names the call in errors; `failures` counts the tries that already failed
/// elsewhere (they use up the same budget). A source that fails beyond its own retries
/// fails the piece with the source's error.
#[allow(clippy::too_many_arguments)]
pub(super) async fn send<T, F, Fut>(
    reader: &mut Reader<'_>,
    start: u64,
    len: u64,
    dst: &Location,
    backoff: &Backoff,
    mut failures: u32,
    operation: impl Fn() -> String,
    mut request: F,
) -> Result<T, SyncError>
where
    F: FnMut(ByteStream) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    loop {
        reader.seek(start);
        let (tx, body) = channel(len);
        let (sent, pumped) = tokio::join!(request(body), pump(reader, len, tx));
        match (sent, pumped) {
            (_, Err(e)) => return Err(e),
            (Ok(v), Ok(_)) => return Ok(v),
            (Err(f), Ok(_)) => {
                failures += 1;
                if failures >= backoff.attempts.max(1) || !f.is_transient() {
                    return Err(f.into_error(operation(), &dst.label).into());
                }
                tokio::time::sleep(backoff.delay(failures)).await;
            }
        }
    }
}
