//! URL-addressed storage. Every file Ferry reads as an input or writes as a published output goes
//! through a [`Storage`] backend chosen by the URL's scheme; local paths (no scheme, or `file://`)
//! are the first backend, object stores (`s3://`, `https://`) plug in beside it.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;

mod local;
pub mod objcache;
mod object;
pub mod remote;
mod s3copy;
pub mod tree;
pub use local::LocalStorage;
pub use object::{
    AzureSettings, GcsSettings, Listed, Memo, ObjectSettings, ObjectStorage, S3Endpoint, S3Writes,
    Written, memo, plain_http_off_loopback, s3_endpoint,
};

/// What kind of object a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
}

/// How a task reaches an object it reads from its URL instead of a local copy.
#[derive(Clone, Debug, Default)]
pub struct StreamAccess {
    /// The URL as the task's tools take it: htslib spells an S3 object behind a plain-http
    /// endpoint `s3+http://bucket/key`.
    pub url: String,
    /// Region, endpoint and addressing for the task's environment (`AWS_REGION`, `HTS_S3_HOST`...).
    pub env: Vec<(String, String)>,
    /// Credentials for the task's environment: only ever handed to its process or container,
    /// never written into the run directory, a job script or a log.
    pub secrets: Vec<(String, String)>,
}

/// One storage backend.
#[async_trait]
pub trait Storage: Send + Sync {
    /// URL schemes this backend serves ("file" for local paths).
    fn schemes(&self) -> &[&'static str];

    /// Whether `url` names an existing object of `kind`; errors only when it cannot be checked.
    async fn exists(&self, url: &str, kind: Kind) -> Result<bool>;

    /// Makes `url` available as a local path, downloading into `cache_dir` if needed. Local
    /// paths are returned as they are.
    async fn localize(&self, url: &str, kind: Kind, cache_dir: &Path) -> Result<PathBuf>;

    /// Publishes the local file or directory `src` at `dest`, atomically: `dest` either does not
    /// exist or is complete. Returns the URL or path it was published at.
    async fn publish(&self, src: &Path, dest: &str) -> Result<String>;

    /// Copies the object `from` to `to` inside the store, without the data passing through this
    /// machine; with `etag`, only if the object is still that one (else an error saying it has
    /// changed). `Ok(false)`: not possible here (another store, too large): publish instead.
    async fn copy(&self, from: &str, etag: Option<&str>, to: &str) -> Result<bool> {
        let _ = (from, etag, to);
        Ok(false)
    }

    /// Downloads the object `url`, expected to be `size` bytes with `etag`, to the new file
    /// `dest` (no lookup first: the caller knows the object from a listing).
    async fn download(&self, url: &str, size: u64, etag: Option<&str>, dest: &Path) -> Result<()> {
        let _ = (size, etag, dest);
        bail!("{url}: this store cannot download objects")
    }

    /// The size and ETag the object `url` has now; `None` when it does not exist.
    async fn head(&self, url: &str) -> Result<Option<(u64, Option<String>)>> {
        bail!("{url}: this store cannot look up objects")
    }

    /// What a task needs to read `url` itself. By default nothing: the URL as it is.
    async fn stream_access(&self, url: &str) -> Result<StreamAccess> {
        Ok(StreamAccess {
            url: url.to_string(),
            ..Default::default()
        })
    }
}

/// Chooses the backend for a URL by its scheme.
#[derive(Clone)]
pub struct StorageRouter {
    /// Shared: every attempt's stdlib hooks hold a router, and cloning one costs a pointer.
    backends: Arc<HashMap<&'static str, Arc<dyn Storage>>>,
}

impl Default for StorageRouter {
    fn default() -> Self {
        let mut router = StorageRouter {
            backends: Default::default(),
        };
        router.register(Arc::new(LocalStorage));
        router
    }
}

/// The scheme of a URL, or "file" for a plain path.
pub fn scheme_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+') =>
        {
            scheme
        }
        _ => "file",
    }
}

impl StorageRouter {
    pub fn register(&mut self, backend: Arc<dyn Storage>) {
        for s in backend.schemes() {
            Arc::make_mut(&mut self.backends).insert(s, backend.clone());
        }
    }

    pub fn backend(&self, url: &str) -> Result<&Arc<dyn Storage>> {
        let scheme = scheme_of(url);
        self.backends.get(scheme).ok_or_else(|| {
            let mut served: Vec<String> = self
                .backends
                .keys()
                .map(|s| match *s {
                    "file" => "local paths (file://)".to_string(),
                    s => format!("{s}://"),
                })
                .collect();
            served.sort();
            anyhow!(
                "{url}: `{scheme}://` URLs are not supported; supported: {}",
                served.join(", ")
            )
        })
    }

    pub async fn exists(&self, url: &str, kind: Kind) -> Result<bool> {
        self.backend(url)?.exists(url, kind).await
    }

    pub async fn localize(&self, url: &str, kind: Kind, cache_dir: &Path) -> Result<PathBuf> {
        self.backend(url)?
            .localize(url, kind, cache_dir)
            .await
            .with_context(|| format!("cannot localize {url}"))
    }

    /// A server-side copy of a remote job's file when both are in the same store, conditional
    /// on the object being the one the job wrote; `Ok(false)` otherwise.
    pub async fn copy(&self, from: &remote::RemoteFile, to: &str) -> Result<bool> {
        if scheme_of(&from.url) != scheme_of(to) {
            return Ok(false);
        }
        self.backend(to)?
            .copy(&from.url, from.etag.as_deref(), to)
            .await
    }

    /// Downloads a remote job's file (see [`remote`]) to the new file `dest`.
    pub async fn download(&self, remote: &remote::RemoteFile, dest: &Path) -> Result<()> {
        self.backend(&remote.url)?
            .download(&remote.url, remote.size, remote.etag.as_deref(), dest)
            .await
    }

    /// The size and ETag the object `url` has now; `None` when it does not exist.
    pub async fn head(&self, url: &str) -> Result<Option<(u64, Option<String>)>> {
        self.backend(url)?.head(url).await
    }

    pub async fn stream_access(&self, url: &str) -> Result<StreamAccess> {
        self.backend(url)?.stream_access(url).await
    }

    pub async fn publish(&self, src: &Path, dest: &str) -> Result<String> {
        if !src.exists() {
            bail!("{}: output does not exist", src.display());
        }
        self.backend(dest)?.publish(src, dest).await
    }
}
