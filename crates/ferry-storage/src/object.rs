//! Object stores: `s3://bucket/key`, `gs://bucket/key`, `az://container/blob` and
//! `http(s)://host/path`, through `object_store`.
//!
//! Downloads land in a per-node cache keyed by URL, ETag and size, so an object that 20,000
//! shards read is fetched once and then handed to each of them as the same read-only file. Large
//! objects are fetched as parallel ranged GETs written at their offsets; one semaphore bounds the
//! requests in flight across everything this process downloads or uploads. A download is written
//! under a temporary name, checked (size always, MD5 when the ETag is one) and only then renamed
//! into place, so no half-downloaded file is ever used.

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
    BackoffConfig, CredentialProvider, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload,
    RetryConfig, WriteMultipart,
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

/// The S3 endpoint in effect: the profile's, else the standard `AWS_ENDPOINT_URL_S3`, else
/// `AWS_ENDPOINT_URL` (what the AWS CLI and SDKs read for LocalStack, MinIO or moto). An endpoint
/// that is an IP address or `localhost` is addressed path-style without being told: a
/// virtual-hosted name (`bucket.127.0.0.1`) cannot resolve.
pub fn s3_endpoint(
    profile_endpoint: Option<&str>,
    profile_path_style: bool,
    env: impl Fn(&str) -> Option<String>,
) -> S3Endpoint {
    let url = profile_endpoint
        .map(String::from)
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty());
    let path_style = profile_path_style
        || url
            .as_deref()
            .and_then(host_of)
            .is_some_and(is_ip_or_localhost);
    S3Endpoint { url, path_style }
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(|h| h.trim_matches(['[', ']']).to_string())
}

fn is_ip_or_localhost(host: String) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok()
}

/// Whether `url` is plain http to a host off this machine (credentials and data would cross
/// the network unencrypted).
pub fn plain_http_off_loopback(url: &str) -> bool {
    url.starts_with("http://")
        && host_of(url).is_some_and(|h| {
            h != "localhost"
                && !h
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
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
pub async fn memo<T, F>(table: &Memo<T>, key: &str, compute: F) -> Result<T>
where
    T: Clone,
    F: std::future::Future<Output = Result<T>>,
{
    let cell = {
        let mut t = table.lock().map_err(|_| anyhow!("lookup table poisoned"))?;
        t.entry(key.to_string()).or_default().clone()
    };
    let result = cell
        .get_or_init(|| async { compute.await.map_err(|e| format!("{e:#}")) })
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
    /// Cache entries this process handed to tasks, held until it exits (see objcache).
    held: Mutex<Vec<std::fs::File>>,
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
            held: Default::default(),
        }
    }

    async fn aws(&self) -> &AwsConfig {
        self.aws
            .get_or_init(|| async {
                if self.settings.anonymous {
                    return AwsConfig {
                        credentials: None,
                        region: None,
                        sdk: None,
                    };
                }
                let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .load()
                    .await;
                AwsConfig {
                    credentials: config
                        .credentials_provider()
                        .map(|provider| Arc::new(AwsChain { provider })),
                    region: config.region().map(|r| r.to_string()),
                    sdk: Some(config),
                }
            })
            .await
    }

    fn retry() -> RetryConfig {
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: std::time::Duration::from_millis(100),
                max_backoff: std::time::Duration::from_secs(15),
                base: 2.0,
            },
            max_retries: 8,
            retry_timeout: std::time::Duration::from_secs(300),
        }
    }

    /// The AWS SDK's S3 client, with the same endpoint, addressing, region and credentials as
    /// `object_store`'s; `None` for anonymous access.
    async fn s3_sdk(&self) -> Option<&aws_sdk_s3::Client> {
        self.s3_sdk
            .get_or_init(|| async {
                let aws = self.aws().await;
                let sdk = aws.sdk.as_ref()?;
                let endpoint = self.s3_endpoint();
                let mut b = aws_sdk_s3::config::Builder::from(sdk)
                    .region(aws_sdk_s3::config::Region::new(self.s3_region(aws)))
                    .force_path_style(endpoint.path_style);
                if let Some(url) = &endpoint.url {
                    b = b.endpoint_url(url);
                }
                Some(aws_sdk_s3::Client::from_conf(b.build()))
            })
            .await
            .as_ref()
    }

    /// The S3 endpoint this storage sends requests to.
    pub fn s3_endpoint(&self) -> S3Endpoint {
        s3_endpoint(
            self.settings.endpoint.as_deref(),
            self.settings.path_style,
            |k| std::env::var(k).ok(),
        )
    }

    /// The profile's region, else the AWS configuration's, else us-east-1.
    fn s3_region(&self, aws: &AwsConfig) -> String {
        self.settings
            .region
            .clone()
            .or_else(|| aws.region.clone())
            .unwrap_or_else(|| "us-east-1".into())
    }

    async fn s3_store(&self, loc: &Location) -> Result<Arc<dyn ObjectStore>> {
        let aws = self.aws().await;
        let region = self.s3_region(aws);
        let endpoint = self.s3_endpoint();
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&loc.bucket)
            .with_region(region)
            .with_virtual_hosted_style_request(!endpoint.path_style)
            .with_retry(Self::retry());
        if self.settings.upload_checksums {
            b = b.with_checksum_algorithm(object_store::aws::Checksum::SHA256);
        }
        if let Some(ep) = &endpoint.url {
            if plain_http_off_loopback(ep) {
                tracing::warn!(
                    "S3 endpoint {ep} is plain http off this machine: requests and data are not encrypted"
                );
            }
            b = b
                .with_endpoint(ep)
                .with_allow_http(ep.starts_with("http://"));
        }
        if self.settings.anonymous {
            b = b.with_skip_signature(true);
        } else if let Some(c) = &aws.credentials {
            b = b.with_credentials(c.clone());
        }
        Ok(Arc::new(b.build().context("S3 client")?))
    }

    fn gcs_store(&self, loc: &Location) -> Result<Arc<dyn ObjectStore>> {
        let gcs = &self.settings.gcs;
        let mut b = GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(&loc.bucket)
            .with_retry(Self::retry());
        if let Some(ep) = &gcs.endpoint {
            b = b
                .with_base_url(ep.trim_end_matches('/'))
                .with_client_options(
                    object_store::ClientOptions::new().with_allow_http(ep.starts_with("http://")),
                );
        }
        if gcs.anonymous {
            // No token is fetched (a metadata server is never asked) and none is sent.
            b = b
                .with_service_account_key(
                    r#"{"disable_oauth":true,"client_email":"","private_key":"","private_key_id":""}"#,
                )
                .with_skip_signature(true);
        }
        Ok(Arc::new(b.build().context("GCS client")?))
    }

    fn azure_store(&self, loc: &Location) -> Result<Arc<dyn ObjectStore>> {
        let az = &self.settings.azure;
        let mut b = MicrosoftAzureBuilder::from_env()
            .with_container_name(&loc.bucket)
            .with_retry(Self::retry());
        if let Some(account) = &az.account {
            b = b.with_account(account);
        }
        if az.use_emulator {
            b = b.with_use_emulator(true);
        }
        if let Some(ep) = &az.endpoint {
            b = b
                .with_endpoint(ep.trim_end_matches('/').to_string())
                .with_allow_http(ep.starts_with("http://"));
        }
        if az.anonymous {
            b = b.with_skip_signature(true);
        }
        Ok(Arc::new(b.build().context("Azure client")?))
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

    async fn head(&self, url: &str) -> Result<(Arc<dyn ObjectStore>, Location, ObjectMeta)> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let meta = memo(&self.heads, url, self.head_uncached(url, &loc, &store)).await?;
        Ok((store, loc, meta))
    }

    async fn head_uncached(
        &self,
        url: &str,
        loc: &Location,
        store: &Arc<dyn ObjectStore>,
    ) -> Result<ObjectMeta> {
        let meta = {
            let _permit = self.requests.acquire().await;
            store.head(&loc.path).await
        };
        match meta {
            Ok(m) => Ok(m),
            Err(object_store::Error::NotFound { .. }) if loc.scheme != "http" => {
                // Say whether the bucket or the key is missing: one LIST call.
                let page = store.list(Some(&loc.path)).next().await;
                match page {
                    Some(Err(e)) => Err(explain(url, e)),
                    _ => Err(anyhow!("{url}: no such object")),
                }
            }
            Err(e) => Err(explain(url, e)),
        }
    }

    /// Every object under the URL's prefix: one paginated LIST, never a HEAD per object.
    async fn list(&self, url: &str) -> Result<(Arc<dyn ObjectStore>, Location, Vec<ObjectMeta>)> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let listing = async {
            let _permit = self.requests.acquire().await;
            store
                .list(Some(&loc.path))
                .try_collect::<Vec<ObjectMeta>>()
                .await
                .map_err(|e| explain(url, e))
        };
        let objects = memo(&self.listings, url, listing).await?;
        Ok((store, loc, objects))
    }

    /// Fetches `meta` into `part` (a new file): ranged GETs in parallel for large objects.
    async fn fetch(
        &self,
        store: &Arc<dyn ObjectStore>,
        meta: &ObjectMeta,
        part: &Path,
        url: &str,
    ) -> Result<()> {
        let file = std::fs::File::create(part)
            .with_context(|| format!("cannot create {}", part.display()))?;
        file.set_len(meta.size)
            .with_context(|| format!("cannot size {}", part.display()))?;
        let file = Arc::new(file);
        let part_size = self.settings.part_size.max(1 << 20);
        if meta.size <= part_size {
            let bytes = {
                let _permit = self.requests.acquire().await;
                let got = store
                    .get(&meta.location)
                    .await
                    .map_err(|e| explain(url, e))?;
                got.bytes().await.map_err(|e| explain(url, e))?
            };
            if let Some(want) = meta.e_tag.as_deref().and_then(is_md5) {
                let have: String = <md5::Md5 as md5::Digest>::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if have != want {
                    bail!("{url}: checksum mismatch (MD5 {have}, ETag says {want})");
                }
            }
            file.write_all_at(&bytes, 0)
                .with_context(|| format!("cannot write {}", part.display()))?;
        } else {
            let ranges: Vec<Range<u64>> = (0..meta.size)
                .step_by(part_size as usize)
                .map(|start| start..(start + part_size).min(meta.size))
                .collect();
            futures_util::stream::iter(ranges)
                .map(|range| {
                    let file = file.clone();
                    let store = store.clone();
                    let requests = self.requests.clone();
                    let location = meta.location.clone();
                    async move {
                        let bytes = {
                            let _permit = requests.acquire().await;
                            store
                                .get_range(&location, range.clone())
                                .await
                                .map_err(|e| explain(url, e))?
                        };
                        if bytes.len() as u64 != range.end - range.start {
                            bail!("{url}: short read at byte {}", range.start);
                        }
                        tokio::task::spawn_blocking(move || file.write_all_at(&bytes, range.start))
                            .await
                            .context("writer thread")?
                            .context("cannot write the download")
                    }
                })
                .buffer_unordered(self.settings.concurrency.max(1))
                .try_collect::<Vec<()>>()
                .await?;
        }
        let len = file.metadata()?.len();
        if len != meta.size {
            bail!("{url}: downloaded {len} bytes, expected {}", meta.size);
        }
        Ok(())
    }

    async fn localize_file(&self, url: &str, cache_dir: &Path) -> Result<PathBuf> {
        let (store, loc, meta) = self.head(url).await?;
        let etag = meta.e_tag.clone().unwrap_or_default();
        let key = blake3::hash(format!("{url}\0{etag}\0{}", meta.size).as_bytes()).to_hex();
        let entry = cache_dir.join(&key.as_str()[..32]);
        let name = loc.path.filename().unwrap_or("object").to_string();
        let target = entry.join(&name);
        let download = self.download_once(&store, &meta, &entry, &target, url);
        memo(&self.downloads, key.as_str(), download).await
    }

    /// Downloads into the cache entry unless it is already there (another process may be
    /// fetching it right now: the entry's lock file serializes them).
    async fn download_once(
        &self,
        store: &Arc<dyn ObjectStore>,
        meta: &ObjectMeta,
        entry: &Path,
        target: &Path,
        url: &str,
    ) -> Result<PathBuf> {
        let complete = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.len() == meta.size)
                .unwrap_or(false)
        };
        // Held before it is looked at: an evictor cannot remove it from here on.
        self.hold(entry)?;
        if complete(target) {
            return Ok(target.to_path_buf());
        }
        let lock_path = entry.join(".lock");
        let lock = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let f = std::fs::File::create(&lock_path)?;
            f.lock()?;
            Ok(f)
        })
        .await
        .context("lock thread")?
        .with_context(|| format!("cannot lock {}", entry.display()))?;
        if complete(target) {
            return Ok(target.to_path_buf());
        }
        let part = entry.join(format!(".part-{}", std::process::id()));
        let fetched = self.fetch(store, meta, &part, url).await;
        if let Err(e) = fetched {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        // Read-only: tasks share this one copy.
        std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o444))?;
        std::fs::rename(&part, target)
            .with_context(|| format!("cannot move the download to {}", target.display()))?;
        drop(lock);
        tracing::debug!("downloaded {url} ({} bytes)", meta.size);
        self.evict_past_cap(entry).await;
        Ok(target.to_path_buf())
    }

    async fn localize_directory(&self, url: &str, cache_dir: &Path) -> Result<PathBuf> {
        let download = self.download_directory(url, cache_dir);
        memo(&self.downloads, &format!("dir\0{url}"), download).await
    }

    async fn download_directory(&self, url: &str, cache_dir: &Path) -> Result<PathBuf> {
        let (store, loc, objects) = self.list(url).await?;
        if objects.is_empty() {
            bail!("{url}: no objects under this prefix");
        }
        let mut fingerprint = String::from(url);
        for o in &objects {
            fingerprint.push_str(&format!(
                "\0{}\0{}\0{}",
                o.location,
                o.e_tag.as_deref().unwrap_or(""),
                o.size
            ));
        }
        let key = blake3::hash(fingerprint.as_bytes()).to_hex();
        let entry = cache_dir.join(&key.as_str()[..32]);
        let name = loc.path.filename().unwrap_or("directory").to_string();
        let target = entry.join(&name);
        self.hold(&entry)?;
        if target.is_dir() {
            return Ok(target);
        }
        let staging = entry.join(format!(".part-{}", std::process::id()));
        let prefix = loc.path.as_ref().to_string();
        let files: Vec<(ObjectMeta, PathBuf)> = objects
            .into_iter()
            .filter_map(|o| {
                let rel = o
                    .location
                    .as_ref()
                    .strip_prefix(&prefix)?
                    .trim_start_matches('/')
                    .to_string();
                (!rel.is_empty() && !rel.split('/').any(|c| c == ".." || c == "."))
                    .then(|| (o, staging.join(rel)))
            })
            .collect();
        let store_key = &loc.store_key;
        let result: Result<Vec<()>> = futures_util::stream::iter(files)
            .map(|(meta, dest)| {
                let store = store.clone();
                async move {
                    if let Some(parent) = dest.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    let object_url = format!("{store_key}/{}", meta.location);
                    self.fetch(&store, &meta, &dest, &object_url).await
                }
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .try_collect()
            .await;
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        match std::fs::rename(&staging, &target) {
            Ok(()) => {
                self.evict_past_cap(&entry).await;
                Ok(target)
            }
            // Another process finished the same directory first.
            Err(_) if target.is_dir() => {
                let _ = std::fs::remove_dir_all(&staging);
                Ok(target)
            }
            Err(e) => Err(e).with_context(|| format!("cannot move {}", target.display())),
        }
    }

    async fn upload_file(
        &self,
        src: &Path,
        store: &Arc<dyn ObjectStore>,
        to: &ObjectPath,
    ) -> Result<()> {
        let size = std::fs::metadata(src)?.len();
        let part_size = self.settings.part_size.max(5 << 20);
        if size <= part_size {
            let bytes = tokio::fs::read(src).await?;
            let _permit = self.requests.acquire().await;
            store.put(to, PutPayload::from(bytes)).await?;
            return Ok(());
        }
        // Parts go up in parallel; the object appears only when the upload completes.
        let upload = store.put_multipart(to).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, part_size as usize);
        let mut file = tokio::fs::File::open(src).await?;
        let mut buf = vec![0u8; part_size as usize];
        loop {
            use tokio::io::AsyncReadExt;
            let mut filled = 0;
            while filled < buf.len() {
                let n = file.read(&mut buf[filled..]).await?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            writer
                .wait_for_capacity(self.settings.concurrency.max(1))
                .await?;
            writer.write(&buf[..filled]);
        }
        if let Err(e) = writer.finish().await {
            return Err(e.into());
        }
        Ok(())
    }
}

/// The object cache's housekeeping (see objcache).
impl ObjectStorage {
    /// Creates the cache entry if needed, marks it used now and holds it for this process.
    fn hold(&self, entry: &Path) -> Result<()> {
        let held = std::fs::create_dir_all(entry)
            .map_err(anyhow::Error::from)
            .and_then(|()| crate::objcache::hold(entry))
            // An evictor may have removed the directory in between: once more.
            .or_else(|_| {
                std::fs::create_dir_all(entry)?;
                crate::objcache::hold(entry)
            })
            .with_context(|| format!("cannot use the cache entry {}", entry.display()))?;
        if let Ok(mut h) = self.held.lock() {
            h.push(held);
        }
        Ok(())
    }

    /// After a download: evicts least recently used entries if the cache is past its cap.
    async fn evict_past_cap(&self, entry: &Path) {
        let (Some(max), Some(cache_dir)) = (self.settings.cache_max, entry.parent()) else {
            return;
        };
        let cache_dir = cache_dir.to_path_buf();
        let evicted =
            tokio::task::spawn_blocking(move || crate::objcache::evict(&cache_dir, max)).await;
        match evicted {
            Ok(Ok((0, _))) => {}
            Ok(Ok((n, bytes))) => tracing::info!(
                "object cache over its cap: evicted {n} least recently used objects ({bytes} bytes)"
            ),
            Ok(Err(e)) => tracing::warn!("object cache eviction: {e:#}"),
            Err(e) => tracing::warn!("object cache eviction: {e}"),
        }
    }
}

/// Direct object access for executors that keep a job's files in object storage (AWS Batch):
/// nothing here is remembered between calls, since those objects change during the run.
impl ObjectStorage {
    /// The object's bytes, or `None` when it does not exist.
    pub async fn read(&self, url: &str) -> Result<Option<Vec<u8>>> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let _permit = self.requests.acquire().await;
        match store.get(&loc.path).await {
            Ok(got) => Ok(Some(
                got.bytes().await.map_err(|e| explain(url, e))?.to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(explain(url, e)),
        }
    }

    pub async fn write(&self, url: &str, bytes: Vec<u8>) -> Result<()> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let _permit = self.requests.acquire().await;
        store
            .put(&loc.path, PutPayload::from(bytes))
            .await
            .map_err(|e| explain(url, e))?;
        Ok(())
    }

    /// The objects under a prefix: one paginated LIST.
    pub async fn list_now(&self, url: &str) -> Result<Vec<Listed>> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let objects: Vec<ObjectMeta> = {
            let _permit = self.requests.acquire().await;
            store
                .list(Some(&loc.path))
                .try_collect()
                .await
                .map_err(|e| explain(url, e))?
        };
        let base = &loc.store_key;
        Ok(objects
            .into_iter()
            .map(|meta| Listed {
                url: format!("{base}/{}", meta.location),
                meta,
            })
            .collect())
    }

    /// Downloads a listed object to `dest` (its directory is created), replacing what is there.
    /// The listing already gave its size and ETag: no lookup before the GET.
    pub async fn download_listed(&self, object: &Listed, dest: &Path) -> Result<()> {
        let store = self.store(&parse(&object.url)?).await?;
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let _ = std::fs::remove_file(dest);
        self.fetch(&store, &object.meta, dest, &object.url).await
    }
}

/// One object of a [`ObjectStorage::list_now`] listing.
#[derive(Clone, Debug)]
pub struct Listed {
    pub url: String,
    meta: ObjectMeta,
}

impl Listed {
    pub fn size(&self) -> u64 {
        self.meta.size
    }

    pub fn etag(&self) -> Option<&str> {
        self.meta.e_tag.as_deref()
    }
}

impl ObjectStorage {
    /// An S3 object as htslib (samtools, bcftools), the AWS CLI and the AWS SDKs reach it:
    /// the standard variables for region and endpoint, htslib's own for the host and path-style
    /// addressing, and the credentials of the chain Ferry itself uses (temporary ones where the
    /// chain gives them: SSO, roles, web identity).
    async fn s3_stream_access(&self, url: &str, loc: &Location) -> Result<StreamAccess> {
        let aws = self.aws().await;
        let region = self.s3_region(aws);
        let mut env = vec![
            ("AWS_REGION".to_string(), region.clone()),
            ("AWS_DEFAULT_REGION".to_string(), region),
        ];
        let mut task_url = url.to_string();
        let endpoint = self.s3_endpoint();
        if let Some(ep) = &endpoint.url {
            let parsed = url::Url::parse(ep).map_err(|e| anyhow!("S3 endpoint {ep}: {e}"))?;
            let host = match (parsed.host_str(), parsed.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                (None, _) => bail!("S3 endpoint {ep}: no host"),
            };
            env.push(("AWS_ENDPOINT_URL_S3".into(), ep.clone()));
            env.push(("HTS_S3_HOST".into(), host));
            if parsed.scheme() == "http" {
                // htslib's spelling of "this S3 server speaks plain http".
                task_url = format!("s3+http://{}/{}", loc.bucket, loc.path);
            }
        }
        if endpoint.path_style {
            env.push(("HTS_S3_ADDRESS_STYLE".into(), "path".into()));
        }
        let mut secrets = Vec::new();
        if !self.settings.anonymous
            && let Some(chain) = &aws.credentials
        {
            use object_store::CredentialProvider;
            let c = chain
                .get_credential()
                .await
                .map_err(|e| anyhow!("{url}: {e}"))?;
            secrets.push(("AWS_ACCESS_KEY_ID".to_string(), c.key_id.clone()));
            secrets.push(("AWS_SECRET_ACCESS_KEY".to_string(), c.secret_key.clone()));
            if let Some(t) = &c.token {
                secrets.push(("AWS_SESSION_TOKEN".to_string(), t.clone()));
            }
        }
        Ok(StreamAccess {
            url: task_url,
            env,
            secrets,
        })
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
        self.fetch(&store, &meta, dest, url).await
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

    async fn copy(&self, from: &str, to: &str) -> Result<bool> {
        let (src, dest) = (parse(from)?, parse(to)?);
        let same_bucket = src.store_key == dest.store_key;
        // object_store copies only inside the bucket it was built for; S3 itself copies across
        // buckets (and in parts), which goes through the AWS SDK.
        if src.scheme == "http" || src.scheme != dest.scheme || !same_bucket && src.scheme != "s3" {
            return Ok(false);
        }
        let src_store = self.store(&src).await?;
        let size = {
            let _permit = self.requests.acquire().await;
            src_store
                .head(&src.path)
                .await
                .map_err(|e| explain(from, e))?
                .size
        };
        let in_parts = size > self.settings.copy_part_size.min(5 << 30);
        if src.scheme == "s3" && (in_parts || !same_bucket) {
            let Some(client) = self.s3_sdk().await else {
                return Ok(false);
            };
            let copy = crate::s3copy::Copy {
                from_bucket: &src.bucket,
                from_key: src.path.as_ref(),
                to_bucket: &dest.bucket,
                to_key: dest.path.as_ref(),
                size,
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
                        self.upload_file(&f, &store, &to)
                            .await
                            .with_context(|| format!("cannot upload {}", f.display()))
                    }
                })
                .buffer_unordered(self.settings.concurrency.max(1))
                .try_collect::<Vec<()>>()
                .await?;
        } else {
            self.upload_file(src, &store, &loc.path)
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
        let failed = memo(&table, "k", async { Err(anyhow!("transient")) }).await;
        assert!(failed.is_err());
        // A later caller computes again instead of getting the old error.
        assert_eq!(memo(&table, "k", async { Ok(7) }).await.unwrap(), 7);
        // A success is kept: this computation is never used.
        assert_eq!(memo(&table, "k", async { Ok(8) }).await.unwrap(), 7);
    }
}
