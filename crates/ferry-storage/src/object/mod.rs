//! Object stores: `s3://bucket/key`, `gs://bucket/key`, `az://container/blob` and
//! `http(s)://host/path`, through `object_store`.
//!
//! Downloads land in a per-node cache keyed by URL, ETag and size, so an object that 20,000
//! shards read is fetched once and then handed to each of them as the same read-only file. Large
//! objects are fetched as parallel ranged GETs written at their offsets; one semaphore bounds the
//! requests in flight across everything this process downloads or uploads. A download is written
//! under a temporary name, checked (size always, MD5 when the ETag is one) and only then renamed
//! into place, so no half-downloaded file is ever used.

mod conditional;
mod housekeeping;
mod stores;
mod streaming;
mod transfers;

pub use conditional::Written;
pub use stores::{plain_http_off_loopback, s3_endpoint};

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AwsCredential};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::http::HttpBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, CredentialProvider, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode,
    PutPayload, RetryConfig, WriteMultipart,
};
use tokio::sync::{OnceCell, Semaphore};

use crate::{Kind, Storage, StreamAccess};

/// Settings from the execution profile.
#[derive(Clone, Debug)]
pub struct ObjectSettings {
    /// An S3-compatible endpoint (`http://127.0.0.1:5000`); AWS when unset.
    pub endpoint: Option<String>,
    /// Else the AWS configuration's region, else us-east-1.
    pub region: Option<String>,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
    pub path_style: bool,
    /// Unsigned requests (public buckets); no credentials are looked up.
    pub anonymous: bool,
    /// Send SHA-256 checksums with uploads, which the server verifies (S3's end-to-end
    /// integrity); off only for S3-compatible servers that reject the headers.
    pub upload_checksums: bool,
    /// Requests in flight at most, over all transfers of the run.
    pub concurrency: usize,
    /// Objects larger than this are fetched (and uploaded) in parts of this size.
    pub part_size: u64,
    /// Server-side copies of objects larger than this go in parts of this size (≤ 5 GiB).
    pub copy_part_size: u64,
    pub gcs: GcsSettings,
    pub azure: AzureSettings,
    /// The object cache's size cap: least recently used entries are evicted past it.
    pub cache_max: Option<u64>,
    /// What S3 writes carry.
    pub s3_writes: S3Writes,
}

/// What every S3 write (upload, multipart upload, server-side copy) carries, and whether
/// requests say the requester pays: the profile's `[s3]` sse, kms_key_id, requester_pays and
/// storage_class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Writes {
    /// "aws:kms" or "AES256".
    pub sse: Option<String>,
    pub kms_key_id: Option<String>,
    pub requester_pays: bool,
    pub storage_class: Option<String>,
}

/// Google Cloud Storage (`gs://`). Credentials come from the standard Google variables
/// (`GOOGLE_APPLICATION_CREDENTIALS`, `GOOGLE_SERVICE_ACCOUNT`...) or application-default
/// credentials, never from the profile.
#[derive(Clone, Debug, Default)]
pub struct GcsSettings {
    /// A GCS-compatible endpoint (`http://127.0.0.1:4443`) instead of Google's.
    pub endpoint: Option<String>,
    /// Unauthenticated requests (public buckets, emulators).
    pub anonymous: bool,
}

/// Azure Blob Storage (`az://container/blob`). The account and credentials come from the
/// standard `AZURE_STORAGE_*` variables unless the profile names the account.
#[derive(Clone, Debug, Default)]
pub struct AzureSettings {
    pub account: Option<String>,
    /// A blob endpoint (`http://127.0.0.1:10000/devstoreaccount1`) instead of Azure's.
    pub endpoint: Option<String>,
    /// Azurite's well-known account and key (also `AZURE_STORAGE_USE_EMULATOR=true`).
    pub use_emulator: bool,
    pub anonymous: bool,
}

impl Default for ObjectSettings {
    fn default() -> Self {
        ObjectSettings {
            endpoint: None,
            region: None,
            path_style: false,
            anonymous: false,
            upload_checksums: true,
            concurrency: 16,
            part_size: 16 << 20,
            copy_part_size: 5 << 30,
            gcs: GcsSettings::default(),
            azure: AzureSettings::default(),
            cache_max: None,
            s3_writes: S3Writes::default(),
        }
    }
}

/// Where S3 requests go, and how they address a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Endpoint {
    /// None: AWS's own endpoints.
    pub url: Option<String>,
    pub path_style: bool,
}

/// The AWS credential chain (environment, shared config and credentials files with
/// AWS_PROFILE, SSO, web identity, container and instance roles), as `object_store` wants it.
/// Credentials stay in memory: never logged, never written.
struct AwsChain {
    provider: aws_credential_types::provider::SharedCredentialsProvider,
}

impl fmt::Debug for AwsChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AwsChain")
    }
}

#[async_trait]
impl CredentialProvider for AwsChain {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        use aws_credential_types::provider::ProvideCredentials;
        let c = self.provider.provide_credentials().await.map_err(|e| {
            object_store::Error::Generic {
                store: "S3",
                source: format!("no AWS credentials: {e}").into(),
            }
        })?;
        Ok(Arc::new(AwsCredential {
            key_id: c.access_key_id().to_string(),
            secret_key: c.secret_access_key().to_string(),
            token: c.session_token().map(String::from),
        }))
    }
}

/// What the AWS configuration chain gave: credentials and the default region.
struct AwsConfig {
    credentials: Option<Arc<AwsChain>>,
    region: Option<String>,
    /// For the requests `object_store` has no call for (UploadPartCopy).
    sdk: Option<aws_config::SdkConfig>,
}

/// Results remembered for the whole run, by key (a URL here): each object is looked up (HEAD)
/// and each prefix listed once, however many inputs and shards name it.
pub type Memo<T> = Mutex<HashMap<String, Arc<OnceCell<Result<T, String>>>>>;

/// The result for `key`, computed by the first caller; callers that arrive meanwhile wait for
/// it instead of computing it again. A success is remembered for the run; an error only for
/// the callers that waited on it: the next caller (a retry, a later shard) tries again, so one
/// transient failure does not fail every later use of the object.
///
/// `compute` makes the future only for the caller that runs it, and that future lives on the
/// heap: thousands of shards waiting on one lookup each hold a few bytes, not a copy of it.
pub async fn memo<T, C, F>(table: &Memo<T>, key: &str, compute: C) -> Result<T>
where
    T: Clone,
    C: FnOnce() -> F,
    F: std::future::Future<Output = Result<T>>,
{
    let cell = {
        let mut t = table.lock().map_err(|_| anyhow!("lookup table poisoned"))?;
        t.entry(key.to_string()).or_default().clone()
    };
    let result = cell
        .get_or_init(|| async { Box::pin(compute()).await.map_err(|e| format!("{e:#}")) })
        .await
        .clone();
    if result.is_err()
        && let Ok(mut t) = table.lock()
        && t.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell))
    {
        t.remove(key);
    }
    result.map_err(|m| anyhow!(m))
}

pub struct ObjectStorage {
    settings: ObjectSettings,
    aws: OnceCell<AwsConfig>,
    /// The AWS SDK's S3 client, for multipart copies; `None` for anonymous access.
    s3_sdk: OnceCell<Option<aws_sdk_s3::Client>>,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    /// One download per object per process, however many shards ask at once.
    downloads: Memo<PathBuf>,
    heads: Memo<ObjectMeta>,
    listings: Memo<Vec<ObjectMeta>>,
    requests: Arc<Semaphore>,
    /// This process as a user of each object cache it handed entries from (see objcache).
    cache_users: Mutex<HashMap<PathBuf, Arc<crate::objcache::CacheUser>>>,
    /// The object cache's size as of the last eviction pass plus what this process downloaded
    /// since; `None` until the first pass.
    cache_estimate: Mutex<Option<u64>>,
    /// Downloads (and the descriptors they hold: a lock, a part file) at once.
    downloading: Arc<Semaphore>,
}

/// A parsed object URL.
struct Location {
    /// `s3://bucket` or `https://host:port`: which client serves it.
    store_key: String,
    path: ObjectPath,
    scheme: &'static str,
    /// The bucket (s3, gs) or container (az).
    bucket: String,
}

fn parse(url: &str) -> Result<Location> {
    let parsed = url::Url::parse(url).map_err(|e| anyhow!("{url}: not a valid URL ({e})"))?;
    let path = parsed.path().trim_start_matches('/');
    let decoded = percent_decode(path);
    let path = ObjectPath::parse(decoded.trim_end_matches('/'))
        .map_err(|e| anyhow!("{url}: not a valid object path ({e})"))?;
    match parsed.scheme() {
        scheme @ ("s3" | "gs" | "az") => {
            let scheme = match scheme {
                "s3" => "s3",
                "gs" => "gs",
                _ => "az",
            };
            let what = if scheme == "az" {
                "container"
            } else {
                "bucket"
            };
            let bucket = parsed
                .host_str()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| anyhow!("{url}: no {what} (expected {scheme}://{what}/key)"))?;
            Ok(Location {
                store_key: format!("{scheme}://{bucket}"),
                path,
                scheme,
                bucket: bucket.to_string(),
            })
        }
        "http" | "https" => Ok(Location {
            store_key: parsed.origin().ascii_serialization(),
            path,
            scheme: "http",
            bucket: String::new(),
        }),
        other => bail!(
            "{url}: `{other}://` URLs are not supported (s3://, gs://, az://, http:// and https:// are)"
        ),
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(s.replace('+', "%2B").as_bytes())
        .map(|(k, v)| {
            if v.is_empty() {
                k
            } else {
                format!("{k}={v}").into()
            }
        })
        .collect::<Vec<_>>()
        .concat()
}

/// A readable message for a failed request, naming the URL. `object_store` errors carry no
/// credentials or signatures.
fn explain(url: &str, e: object_store::Error) -> anyhow::Error {
    match e {
        object_store::Error::NotFound { .. } => anyhow!("{url}: no such object"),
        object_store::Error::Precondition { .. } => anyhow!(
            "{url} has changed since it was looked up (its ETag no longer matches): it was replaced while being read"
        ),
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            anyhow!("{url}: access denied ({e})")
        }
        e => {
            let text = e.to_string();
            if text.contains("NoSuchBucket") || text.contains("ContainerNotFound") {
                anyhow!("{url}: the bucket does not exist")
            } else if url.starts_with("gs://") && text.contains("token request") {
                // No credentials anywhere, so the client asked a GCE metadata server.
                anyhow!(
                    "{url}: no Google Cloud credentials (set GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`; for a public bucket or an emulator, `anonymous = true` in [defaults.gcs]): {text}"
                )
            } else {
                anyhow!("{url}: {text}")
            }
        }
    }
}

fn is_md5(etag: &str) -> Option<String> {
    let t = etag.trim_matches('"');
    (t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit())).then(|| t.to_ascii_lowercase())
}

/// Objects downloaded at once by one process: each holds a lock and a part file open (and
/// its ranged parts share the request permits), so descriptors stay bounded whatever the
/// number of inputs.
const MAX_DOWNLOADS: usize = 32;

impl ObjectStorage {
    pub fn new(settings: ObjectSettings) -> Self {
        let concurrency = settings.concurrency.max(1);
        ObjectStorage {
            settings,
            aws: OnceCell::new(),
            s3_sdk: OnceCell::new(),
            stores: Default::default(),
            downloads: Default::default(),
            heads: Default::default(),
            listings: Default::default(),
            requests: Arc::new(Semaphore::new(concurrency)),
            cache_users: Default::default(),
            cache_estimate: Default::default(),
            downloading: Arc::new(Semaphore::new(MAX_DOWNLOADS)),
        }
    }

    async fn store(&self, loc: &Location) -> Result<Arc<dyn ObjectStore>> {
        if let Some(s) = self
            .stores
            .lock()
            .ok()
            .and_then(|s| s.get(&loc.store_key).cloned())
        {
            return Ok(s);
        }
        let store: Arc<dyn ObjectStore> = match loc.scheme {
            "s3" => self.s3_store(loc).await?,
            "gs" => self.gcs_store(loc)?,
            "az" => self.azure_store(loc)?,
            _ => Arc::new(
                HttpBuilder::new()
                    .with_url(&loc.store_key)
                    .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
                    .with_retry(Self::retry())
                    .build()
                    .context("HTTP client")?,
            ),
        };
        if let Ok(mut s) = self.stores.lock() {
            s.insert(loc.store_key.clone(), store.clone());
        }
        Ok(store)
    }
}

/// One object of a [`ObjectStorage::list_now`] listing.
#[derive(Clone, Debug)]
pub struct Listed {
    pub url: String,
    meta: ObjectMeta,
}

impl Listed {
    /// An object known without listing it: its size and ETag as whoever wrote it reported them
    /// (a Batch job's `result.json`).
    pub fn known(url: &str, size: u64, etag: Option<String>) -> Result<Listed> {
        let loc = parse(url)?;
        Ok(Listed {
            url: url.to_string(),
            meta: ObjectMeta {
                location: loc.path,
                last_modified: Default::default(),
                size,
                e_tag: etag,
                version: None,
            },
        })
    }

    pub fn size(&self) -> u64 {
        self.meta.size
    }

    pub fn etag(&self) -> Option<&str> {
        self.meta.e_tag.as_deref()
    }
}

#[async_trait]
impl Storage for ObjectStorage {
    fn schemes(&self) -> &[&'static str] {
        &["s3", "gs", "az", "http", "https"]
    }

    async fn exists(&self, url: &str, kind: Kind) -> Result<bool> {
        match kind {
            Kind::File => match self.head(url).await {
                Ok(_) => Ok(true),
                Err(e) if e.to_string().ends_with("no such object") => Ok(false),
                Err(e) => Err(e),
            },
            Kind::Directory => Ok(!self.list(url).await?.2.is_empty()),
        }
    }

    async fn download(&self, url: &str, size: u64, etag: Option<&str>, dest: &Path) -> Result<()> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        // The object must still be the one the job wrote.
        let meta = self.head_uncached(url, &loc, &store).await?;
        if meta.size != size || (etag.is_some() && meta.e_tag.as_deref() != etag) {
            bail!(
                "{url} has changed since the job wrote it (now {} bytes, ETag {}; it was {size} bytes, ETag {})",
                meta.size,
                meta.e_tag.as_deref().unwrap_or("none"),
                etag.unwrap_or("none")
            );
        }
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let _permit = self.download_permit().await?;
        self.get_ranged(&store, &meta, dest, url).await
    }

    async fn head(&self, url: &str) -> Result<Option<(u64, Option<String>)>> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let _permit = self.requests.acquire().await;
        match store.head(&loc.path).await {
            Ok(m) => Ok(Some((m.size, m.e_tag))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(explain(url, e)),
        }
    }

    async fn copy(&self, from: &str, etag: Option<&str>, to: &str) -> Result<bool> {
        let (src, dest) = (parse(from)?, parse(to)?);
        let same_bucket = src.store_key == dest.store_key;
        // object_store copies only inside the bucket it was built for; S3 itself copies across
        // buckets (and in parts), which goes through the AWS SDK.
        if src.scheme == "http" || src.scheme != dest.scheme || !same_bucket && src.scheme != "s3" {
            return Ok(false);
        }
        let src_store = self.store(&src).await?;
        let meta = {
            let _permit = self.requests.acquire().await;
            src_store
                .head(&src.path)
                .await
                .map_err(|e| explain(from, e))?
        };
        if let Some(expected) = etag
            && meta.e_tag.as_deref() != Some(expected)
        {
            bail!(
                "{from} has changed since the job wrote it (ETag now {}, it was {expected}): not copied",
                meta.e_tag.as_deref().unwrap_or("none")
            );
        }
        let size = meta.size;
        let in_parts = size > self.settings.copy_part_size.min(5 << 30);
        // A copy that S3 itself checks against the ETag (object_store's copy sends no
        // condition): the object cannot be replaced between the HEAD and the copy.
        let conditional = etag.is_some();
        if src.scheme == "s3" && (in_parts || !same_bucket || conditional) {
            let Some(client) = self.s3_sdk().await else {
                return Ok(false);
            };
            let copy = crate::s3copy::Copy {
                from_bucket: &src.bucket,
                from_key: src.path.as_ref(),
                to_bucket: &dest.bucket,
                to_key: dest.path.as_ref(),
                size,
                etag,
                writes: &self.settings.s3_writes,
            };
            crate::s3copy::copy(client, &copy, self.settings.copy_part_size, &self.requests)
                .await
                .map_err(|e| anyhow!("cannot copy {from} to {to}: {e:#}"))?;
            return Ok(true);
        }
        if in_parts {
            return Ok(false);
        }
        let _permit = self.requests.acquire().await;
        src_store
            .copy(&src.path, &dest.path)
            .await
            .map_err(|e| anyhow!("cannot copy {from} to {to}: {}", explain(from, e)))?;
        Ok(true)
    }

    async fn stream_access(&self, url: &str) -> Result<StreamAccess> {
        let loc = parse(url)?;
        if loc.scheme == "s3" {
            return self.s3_stream_access(url, &loc).await;
        }
        Ok(StreamAccess {
            url: url.to_string(),
            ..Default::default()
        })
    }

    async fn localize(&self, url: &str, kind: Kind, cache_dir: &Path) -> Result<PathBuf> {
        match kind {
            Kind::File => self.localize_file(url, cache_dir).await,
            Kind::Directory => self.localize_directory(url, cache_dir).await,
        }
    }

    async fn publish(&self, src: &Path, dest: &str) -> Result<String> {
        let loc = parse(dest)?;
        let store = self.store(&loc).await?;
        if std::fs::symlink_metadata(src)?.is_dir() {
            // Walked without following links (crate::tree); an object store has no links, so
            // a link is stored as a copy of the file it points to.
            let mut files = Vec::new();
            for entry in crate::tree::entries(src)? {
                use crate::tree::{EntryKind, LinkTarget};
                match entry.kind {
                    EntryKind::Dir => {}
                    EntryKind::File => files.push((src.join(&entry.rel), entry.rel)),
                    EntryKind::Link(LinkTarget::Inside { rel, is_dir: false }) => {
                        files.push((src.join(rel), entry.rel))
                    }
                    // Its target's files are stored under the target's own name.
                    EntryKind::Link(LinkTarget::Inside { is_dir: true, .. }) => {}
                    EntryKind::Link(LinkTarget::OutsideFile(target)) => {
                        files.push((target, entry.rel))
                    }
                    EntryKind::Link(LinkTarget::Refused(why)) => {
                        bail!("{}: {why}", src.join(&entry.rel).display())
                    }
                }
            }
            futures_util::stream::iter(files)
                .map(|(f, rel)| {
                    let store = store.clone();
                    let rel = rel.to_string_lossy().to_string();
                    let to = ObjectPath::from(format!("{}/{rel}", loc.path));
                    async move {
                        self.upload_file(&f, &store, loc.scheme, &to)
                            .await
                            .with_context(|| format!("cannot upload {}", f.display()))
                    }
                })
                .buffer_unordered(self.settings.concurrency.max(1))
                .try_collect::<Vec<()>>()
                .await?;
        } else {
            self.upload_file(src, &store, loc.scheme, &loc.path)
                .await
                .map_err(|e| anyhow!("cannot upload {} to {dest}: {e}", src.display()))?;
        }
        Ok(dest.trim_end_matches('/').to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s3_endpoint_comes_from_the_profile_then_the_standard_variables() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let none = s3_endpoint(None, false, env(&[]));
        assert_eq!(
            none,
            S3Endpoint {
                url: None,
                path_style: false
            }
        );
        let general = s3_endpoint(
            None,
            false,
            env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/")]),
        );
        assert_eq!(general.url.as_deref(), Some("http://127.0.0.1:5000"));
        assert!(general.path_style, "an IP endpoint is path-style");
        let both = env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_S3", "http://localhost:9000"),
        ]);
        let s3 = s3_endpoint(None, false, both);
        assert_eq!(s3.url.as_deref(), Some("http://localhost:9000"));
        assert!(s3.path_style);
        let profile = s3_endpoint(Some("https://s3.example.org"), false, both);
        assert_eq!(profile.url.as_deref(), Some("https://s3.example.org"));
        assert!(
            !profile.path_style,
            "a named host keeps virtual-hosted style"
        );
        assert!(s3_endpoint(Some("http://[::1]:9000"), false, env(&[])).path_style);
    }

    #[test]
    fn plain_http_is_flagged_only_off_loopback() {
        assert!(!plain_http_off_loopback("http://127.0.0.1:5000"));
        assert!(!plain_http_off_loopback("http://localhost:5000"));
        assert!(!plain_http_off_loopback("http://[::1]:5000"));
        assert!(!plain_http_off_loopback("https://minio.lab:9000"));
        assert!(plain_http_off_loopback("http://minio.lab:9000"));
    }

    #[test]
    fn object_urls_of_every_store_parse_and_others_name_the_supported_ones() {
        for (url, key, path) in [
            ("s3://b/k/x.bam", "s3://b", "k/x.bam"),
            ("gs://b/k/x.bam", "gs://b", "k/x.bam"),
            ("az://c/k/x.bam", "az://c", "k/x.bam"),
            ("https://h:8443/k/x.bam", "https://h:8443", "k/x.bam"),
        ] {
            let loc = parse(url).unwrap();
            assert_eq!((loc.store_key.as_str(), loc.path.as_ref()), (key, path));
        }
        let e = parse("ftp://h/x").err().unwrap().to_string();
        assert!(e.contains("gs://") && e.contains("az://"), "{e}");
        assert!(
            parse("az:///x")
                .err()
                .unwrap()
                .to_string()
                .contains("no container")
        );
    }

    #[tokio::test]
    async fn memo_remembers_successes_and_retries_after_errors() {
        let table: Memo<u32> = Default::default();
        let failed = memo(&table, "k", || async { Err(anyhow!("transient")) }).await;
        assert!(failed.is_err());
        // A later caller computes again instead of getting the old error.
        assert_eq!(memo(&table, "k", || async { Ok(7) }).await.unwrap(), 7);
        // A success is kept: this computation is never used.
        assert_eq!(memo(&table, "k", || async { Ok(8) }).await.unwrap(), 7);
    }
}
