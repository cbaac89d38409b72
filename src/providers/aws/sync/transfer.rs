//! Copying one object: [`copy_whole`] as one PUT, [`copy_multipart`] as a multipart
//! upload of parts copied a few at once; every piece streamed from a GET through a
//! [`relay`](super::relay).

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::reader::Reader;
use super::relay;
use super::{Location, SyncError};
use crate::providers::aws::error::{Failure, classify};
use crate::providers::retry::Backoff;

/// Parts of one upload sent at once.
const PARTS_AT_ONCE: usize = 4;

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
                .body(body)
                .customize()
                .config_override(dst.upload_config(size));
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

/// The UploadPart request for part `number` (`len` bytes of `body`); its answer is the
/// part's ETag.
fn upload_part(
    dst: &Location,
    key: &str,
    id: &str,
    number: i32,
    len: u64,
    body: aws_sdk_s3::primitives::ByteStream,
) -> impl Future<Output = Result<String, Failure>> + use<> {
    let req = dst
        .client
        .upload_part()
        .bucket(&dst.bucket)
        .key(dst.key(key))
        .upload_id(id)
        .part_number(number)
        .content_length(len as i64)
        .body(body)
        .customize()
        .config_override(dst.upload_config(len));
    async move {
        let out = req.send().await.map_err(classify)?;
        Ok(out.e_tag().unwrap_or_default().to_string())
    }
}

/// The parts of upload `id` and its completion. Up to [`PARTS_AT_ONCE`] parts go at
/// once, each streamed from its own ranged GET into its UploadPart (so both stores see
/// several streams per object, and memory stays a few chunks per part). The first
/// part's GET pins the ETag every other part's GET asks for. A part the store refuses is
/// sent again from a new ranged GET.
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
    let mut first = Reader::new(src, key, size, *backoff).fork(0, part);
    first.open().await?;
    let pinned = first.fork(0, part);
    let mut first = Some(first);
    let parts: Vec<CompletedPart> = stream::iter(0..size.div_ceil(part))
        .map(|i| {
            let (start, number) = (i * part, i as i32 + 1);
            let len = part.min(size - start);
            let mut reader = first
                .take()
                .unwrap_or_else(|| pinned.fork(start, start + len));
            async move {
                let etag = relay::send(
                    &mut reader,
                    start,
                    len,
                    dst,
                    backoff,
                    0,
                    || format!("UploadPart {key} #{number}"),
                    |body| upload_part(dst, key, id, number, len, body),
                )
                .await?;
                Ok::<_, SyncError>(
                    CompletedPart::builder()
                        .part_number(number)
                        .e_tag(etag)
                        .build(),
                )
            }
        })
        .buffered(PARTS_AT_ONCE)
        .try_collect()
        .await?;
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
