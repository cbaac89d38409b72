//! Copying one object: [`copy_whole`] as one PUT, [`copy_multipart`] as a multipart
//! upload; either way fed by one streaming GET through a [`relay`](super::relay).

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use super::reader::Reader;
use super::relay;
use super::{Location, SyncError};
use crate::providers::aws::error::{Failure, classify};
use crate::providers::retry::Backoff;

/// Parts of one upload whose bodies are sent but whose answers are not in yet, at most.
const PARTS_AWAITED: usize = 2;

/// S3 allows at most this many parts in one upload.
const MAX_PARTS: u64 = 10_000;

/// The part size for an object of `size` bytes: `part`, or larger when `part` would need
/// more than [`MAX_PARTS`] parts.
pub(super) fn part_size(size: u64, part: u64) -> u64 {
    part.max(size.div_ceil(MAX_PARTS))
}

/// One S3 call on `loc`, retried with `backoff` while its failure is transient.
async fn call<T, F, Fut>(
    backoff: &Backoff,
    loc: &Location,
    operation: impl FnOnce() -> String,
    f: F,
) -> Result<T, SyncError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    backoff
        .retry(Failure::is_transient, f)
        .await
        .map_err(|failure| SyncError::Call(failure.into_error(operation(), &loc.label)))
}

/// Copies `key` (`size` bytes) as one GET streamed into one PUT. When the source's ETag
/// is the content's MD5, it goes along as `Content-MD5`, so the destination checks the
/// bytes end to end.
pub(super) async fn copy_whole(
    src: &Location,
    dst: &Location,
    key: &str,
    size: u64,
    backoff: &Backoff,
) -> Result<(), SyncError> {
    let mut reader = Reader::new(src, key, size, *backoff);
    // The first response says whether there is an MD5 to send with the PUT.
    reader.open().await?;
    let md5 = reader.content_md5().map(str::to_string);
    relay::send(
        &mut reader,
        0,
        size,
        dst,
        backoff,
        0,
        || format!("PutObject {key}"),
        |body| {
            let req = dst
                .client
                .put_object()
                .bucket(&dst.bucket)
                .key(dst.key(key))
                .content_length(size as i64)
                .set_content_md5(md5.clone())
                .body(body);
            async move { req.send().await.map(|_| ()).map_err(classify) }
        },
    )
    .await
}

/// Copies `key` (`size` bytes) as a multipart upload of `part`-byte parts, one after the
/// other from one streaming GET. Aborts the upload if anything fails, so the store drops
/// the parts it holds.
pub(super) async fn copy_multipart(
    src: &Location,
    dst: &Location,
    key: &str,
    size: u64,
    part: u64,
    backoff: &Backoff,
) -> Result<(), SyncError> {
    let id = call(
        backoff,
        dst,
        || format!("CreateMultipartUpload {key}"),
        || async {
            let out = dst
                .client
                .create_multipart_upload()
                .bucket(&dst.bucket)
                .key(dst.key(key))
                .send()
                .await
                .map_err(classify)?;
            Ok(out.upload_id().unwrap_or_default().to_string())
        },
    )
    .await?;
    let result = upload_parts(src, dst, key, size, part, &id, backoff).await;
    if result.is_err() {
        let _ = dst
            .client
            .abort_multipart_upload()
            .bucket(&dst.bucket)
            .key(dst.key(key))
            .upload_id(&id)
            .send()
            .await;
    }
    result
}

/// An UploadPart request sent on its own task, its body still being fed.
struct InFlight {
    number: i32,
    start: u64,
    len: u64,
    request: tokio::task::JoinHandle<Result<String, Failure>>,
}

/// The UploadPart request for part `number` (`len` bytes of `body`), as a future that
/// owns what it needs (so it can run on its own task).
fn upload_part(
    dst: &Location,
    key: &str,
    id: &str,
    number: i32,
    len: u64,
    body: aws_sdk_s3::primitives::ByteStream,
) -> impl Future<Output = Result<String, Failure>> + Send + 'static {
    let req = dst
        .client
        .upload_part()
        .bucket(&dst.bucket)
        .key(dst.key(key))
        .upload_id(id)
        .part_number(number)
        .content_length(len as i64)
        .body(body);
    async move {
        let out = req.send().await.map_err(classify)?;
        Ok(out.e_tag().unwrap_or_default().to_string())
    }
}

/// The parts of upload `id` and its completion. The parts are cut from one streaming GET
/// in order; as soon as a part's last byte is handed over, the next part's request
/// starts, while up to [`PARTS_AWAITED`] earlier ones still wait for the store's answer
/// (so the stream does not stall at each part's end). A part the store refuses is sent
/// again from its own ranged GET.
async fn upload_parts(
    src: &Location,
    dst: &Location,
    key: &str,
    size: u64,
    part: u64,
    id: &str,
    backoff: &Backoff,
) -> Result<(), SyncError> {
    let part = part_size(size, part);
    let mut reader = Reader::new(src, key, size, *backoff);
    let mut awaited = std::collections::VecDeque::new();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut number = 1;
    let result = async {
        while start < size {
            if awaited.len() >= PARTS_AWAITED
                && let Some(p) = awaited.pop_front()
            {
                parts.push(finish(&reader, dst, key, id, p, backoff).await?);
            }
            let len = part.min(size - start);
            let (tx, body) = relay::channel(len);
            let request = tokio::spawn(upload_part(dst, key, id, number, len, body));
            if !relay::pump(&mut reader, len, tx).await? {
                // The request stopped reading (it failed): the stream goes on after it.
                reader.seek(start + len);
            }
            awaited.push_back(InFlight {
                number,
                start,
                len,
                request,
            });
            start += len;
            number += 1;
        }
        while let Some(p) = awaited.pop_front() {
            parts.push(finish(&reader, dst, key, id, p, backoff).await?);
        }
        Ok::<_, SyncError>(())
    }
    .await;
    for p in &awaited {
        p.request.abort();
    }
    result?;
    let completed = CompletedMultipartUpload::builder()
        .set_parts(Some(parts))
        .build();
    call(
        backoff,
        dst,
        || format!("CompleteMultipartUpload {key}"),
        || async {
            dst.client
                .complete_multipart_upload()
                .bucket(&dst.bucket)
                .key(dst.key(key))
                .upload_id(id)
                .multipart_upload(completed.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        },
    )
    .await
}

/// The completed part `p` once its request answered; sent again (from its own ranged
/// GET, pinned to the ETag `reader` saw) while the store's refusal is transient.
async fn finish(
    reader: &Reader<'_>,
    dst: &Location,
    key: &str,
    id: &str,
    p: InFlight,
    backoff: &Backoff,
) -> Result<CompletedPart, SyncError> {
    let number = p.number;
    let operation = || format!("UploadPart {key} #{number}");
    let answer = p.request.await.unwrap_or_else(|e| {
        Err(Failure::Unreachable {
            reason: format!("the request's task ended: {e}"),
        })
    });
    let etag = match answer {
        Ok(etag) => etag,
        Err(f) if f.is_transient() && backoff.attempts > 1 => {
            tokio::time::sleep(backoff.delay(1)).await;
            let mut again = reader.fork(p.start);
            relay::send(
                &mut again,
                p.start,
                p.len,
                dst,
                backoff,
                1,
                operation,
                |body| upload_part(dst, key, id, number, p.len, body),
            )
            .await?
        }
        Err(f) => return Err(f.into_error(operation(), &dst.label).into()),
    };
    Ok(CompletedPart::builder()
        .part_number(number)
        .e_tag(etag)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_so_an_upload_never_needs_more_than_ten_thousand() {
        const MIB: u64 = 1024 * 1024;
        assert_eq!(part_size(128 * MIB, 8 * MIB), 8 * MIB);
        let huge = 5 * 1024 * 1024 * MIB; // 5 TiB, S3's largest object
        let p = part_size(huge, 8 * MIB);
        assert!(huge.div_ceil(p) <= MAX_PARTS);
        assert!(p > 8 * MIB);
    }
}
