//! Server-side copies of S3 objects that `object_store` cannot make: across buckets (one
//! CopyObject naming the source bucket), and too large for one CopyObject (5 GiB): a multipart
//! upload whose parts are UploadPartCopy requests for byte ranges of the source, in parallel.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

/// S3's limit on the parts of one upload.
const MAX_PARTS: u64 = 10_000;

/// One object to copy.
pub(crate) struct Copy<'a> {
    pub from_bucket: &'a str,
    pub from_key: &'a str,
    pub to_bucket: &'a str,
    pub to_key: &'a str,
    pub size: u64,
    /// The source's ETag as it was when its size was taken: every request is conditional on
    /// it (`x-amz-copy-source-if-match`), so an object replaced meanwhile is not copied.
    pub etag: Option<&'a str>,
    /// Encryption, storage class and who pays, as for every write.
    pub writes: &'a crate::S3Writes,
}

/// Copies `c`: one CopyObject up to `part_size`, else in parts of that size.
pub(crate) async fn copy(
    client: &Client,
    c: &Copy<'_>,
    part_size: u64,
    requests: &Arc<Semaphore>,
) -> Result<()> {
    if c.size > part_size.min(5 << 30) {
        return copy_in_parts(client, c, part_size, requests).await;
    }
    let _permit = requests.acquire().await;
    client
        .copy_object()
        .copy_source(format!("{}/{}", c.from_bucket, encode_key(c.from_key)))
        .set_copy_source_if_match(c.etag.map(str::to_string))
        .bucket(c.to_bucket)
        .key(c.to_key)
        .set_server_side_encryption(sse(c))
        .set_ssekms_key_id(c.writes.kms_key_id.clone())
        .set_storage_class(storage_class(c))
        .set_request_payer(payer(c))
        .send()
        .await
        .map_err(|e| failed("CopyObject", c, &e))?;
    Ok(())
}

/// Copies `c` in parts of `part_size` (more if 10,000 would not cover it), as many at once as
/// `requests` allows. A failed copy is aborted, so no parts are left to pay for.
async fn copy_in_parts(
    client: &Client,
    c: &Copy<'_>,
    part_size: u64,
    requests: &Arc<Semaphore>,
) -> Result<()> {
    let created = client
        .create_multipart_upload()
        .bucket(c.to_bucket)
        .key(c.to_key)
        .set_server_side_encryption(sse(c))
        .set_ssekms_key_id(c.writes.kms_key_id.clone())
        .set_storage_class(storage_class(c))
        .set_request_payer(payer(c))
        .send()
        .await
        .map_err(|e| anyhow!("CreateMultipartUpload: {}", DisplayErrorContext(&e)))?;
    let id = created
        .upload_id()
        .ok_or_else(|| anyhow!("CreateMultipartUpload returned no upload id"))?
        .to_string();
    let copied = copy_parts(client, c, &id, part_size, requests).await;
    let completed = match copied {
        Ok(parts) => client
            .complete_multipart_upload()
            .bucket(c.to_bucket)
            .key(c.to_key)
            .upload_id(&id)
            .set_request_payer(payer(c))
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .or_else(|e| {
                // Some S3-compatible servers (moto) name the answer's root element
                // differently; a 200 is a completed upload (S3 reports a failed completion in
                // a 200 as an <Error> body, which the SDK does parse).
                let answered_ok =
                    e.raw_response().is_some_and(|r| r.status().is_success()) && e.code().is_none();
                if answered_ok {
                    Ok(())
                } else {
                    Err(anyhow!(
                        "CompleteMultipartUpload: {}",
                        DisplayErrorContext(&e)
                    ))
                }
            }),
        Err(e) => Err(e),
    };
    // The copy is there, whole (and the lenient reading above did not hide a failure).
    let completed = match completed {
        Ok(()) => match client
            .head_object()
            .bucket(c.to_bucket)
            .key(c.to_key)
            .set_request_payer(payer(c))
            .send()
            .await
        {
            Ok(h) if h.content_length() == Some(c.size as i64) => Ok(()),
            Ok(h) => Err(anyhow!(
                "the copy has {} bytes, not {}",
                h.content_length().unwrap_or(0),
                c.size
            )),
            Err(e) => Err(anyhow!(
                "the copy cannot be found: {}",
                DisplayErrorContext(&e)
            )),
        },
        Err(e) => Err(e),
    };
    if completed.is_err() {
        let _ = client
            .abort_multipart_upload()
            .bucket(c.to_bucket)
            .key(c.to_key)
            .upload_id(&id)
            .set_request_payer(payer(c))
            .send()
            .await;
    }
    completed
}

async fn copy_parts(
    client: &Client,
    c: &Copy<'_>,
    id: &str,
    part_size: u64,
    requests: &Arc<Semaphore>,
) -> Result<Vec<CompletedPart>> {
    let source = format!("{}/{}", c.from_bucket, encode_key(c.from_key));
    let part_size = part_size.max(c.size.div_ceil(MAX_PARTS)).max(1);
    let ranges: Vec<(i32, u64, u64)> = (0..c.size)
        .step_by(part_size as usize)
        .enumerate()
        .map(|(i, start)| (i as i32 + 1, start, (start + part_size).min(c.size)))
        .collect();
    let mut parts: Vec<CompletedPart> = futures_util::stream::iter(ranges)
        .map(|(number, start, end)| {
            let source = &source;
            async move {
                let _permit = requests.acquire().await;
                let out = client
                    .upload_part_copy()
                    .bucket(c.to_bucket)
                    .key(c.to_key)
                    .upload_id(id)
                    .part_number(number)
                    .copy_source(source)
                    .copy_source_range(format!("bytes={start}-{}", end - 1))
                    .set_copy_source_if_match(c.etag.map(str::to_string))
                    .set_request_payer(payer(c))
                    .send()
                    .await
                    .map_err(|e| failed(&format!("UploadPartCopy part {number}"), c, &e))?;
                let etag = out
                    .copy_part_result()
                    .and_then(|r| r.e_tag())
                    .ok_or_else(|| anyhow!("UploadPartCopy part {number} returned no ETag"))?;
                Ok::<_, anyhow::Error>(
                    CompletedPart::builder()
                        .part_number(number)
                        .e_tag(etag)
                        .build(),
                )
            }
        })
        .buffer_unordered(requests.available_permits().clamp(1, 16))
        .try_collect()
        .await?;
    parts.sort_by_key(|p| p.part_number());
    Ok(parts)
}

fn sse(c: &Copy<'_>) -> Option<aws_sdk_s3::types::ServerSideEncryption> {
    c.writes
        .sse
        .as_deref()
        .map(aws_sdk_s3::types::ServerSideEncryption::from)
}

fn storage_class(c: &Copy<'_>) -> Option<aws_sdk_s3::types::StorageClass> {
    c.writes
        .storage_class
        .as_deref()
        .map(aws_sdk_s3::types::StorageClass::from)
}

fn payer(c: &Copy<'_>) -> Option<aws_sdk_s3::types::RequestPayer> {
    c.writes
        .requester_pays
        .then_some(aws_sdk_s3::types::RequestPayer::Requester)
}

/// A failed copy request; a failed precondition says the source changed.
fn failed<E>(
    op: &str,
    c: &Copy<'_>,
    e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let precondition = e.code() == Some("PreconditionFailed")
        || e.raw_response().is_some_and(|r| r.status().as_u16() == 412);
    if precondition {
        return anyhow!(
            "s3://{}/{} has changed since the job wrote it (ETag {}): not copied",
            c.from_bucket,
            c.from_key,
            c.etag.unwrap_or("none")
        );
    }
    anyhow!("{op}: {}", DisplayErrorContext(e))
}

/// A key as `x-amz-copy-source` wants it: percent-encoded, `/` kept.
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn copy_sources_are_percent_encoded_but_keep_slashes() {
        assert_eq!(super::encode_key("a/b c+d/é.bam"), "a/b%20c%2Bd/%C3%A9.bam");
    }
}
