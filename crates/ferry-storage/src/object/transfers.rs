//! Transfers: HEAD and listings, downloads into the node's object cache (parallel ranged GETs,
//! checked, renamed into place once complete), directories, multipart uploads, and the small reads
//! and writes of the engine's own files.

use super::*;

impl ObjectStorage {
    pub(super) async fn head(
        &self,
        url: &str,
    ) -> Result<(Arc<dyn ObjectStore>, Location, ObjectMeta)> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let meta = memo(&self.heads, url, || self.head_uncached(url, &loc, &store)).await?;
        Ok((store, loc, meta))
    }

    pub(super) async fn head_uncached(
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
    pub(super) async fn list(
        &self,
        url: &str,
    ) -> Result<(Arc<dyn ObjectStore>, Location, Vec<ObjectMeta>)> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let listing = || async {
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

    /// A turn to download (see [`MAX_DOWNLOADS`]): held while the download's files are open.
    pub(super) async fn download_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        self.downloading
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| anyhow!("download permits closed"))
    }

    /// Whether this storage's own uploads are KMS- or customer-key-encrypted (the profile's
    /// `sse`): then no ETag of theirs is an MD5 of the bytes.
    fn etag_is_not_md5(&self, url: &str) -> bool {
        url.starts_with("s3://")
            && self
                .settings
                .s3_writes
                .sse
                .as_deref()
                .is_some_and(|s| s.starts_with("aws:kms"))
    }

    /// Whether S3 says the object is encrypted with a KMS key (SSE-KMS, DSSE-KMS) or a
    /// customer's key (SSE-C): its ETag is then not the MD5 of its bytes. Asked only when an
    /// MD5 did not match.
    async fn encrypted_with_a_key(&self, url: &str) -> bool {
        let Ok(loc) = parse(url) else {
            return false;
        };
        if loc.scheme != "s3" {
            return false;
        }
        let Some(client) = self.s3_sdk().await else {
            return false;
        };
        let _permit = self.requests.acquire().await;
        match client
            .head_object()
            .bucket(&loc.bucket)
            .key(loc.path.as_ref())
            .send()
            .await
        {
            Ok(head) => {
                let kms = head
                    .server_side_encryption()
                    .is_some_and(|s| s.as_str().starts_with("aws:kms"));
                let customer = head.sse_customer_algorithm().is_some();
                if kms || customer {
                    tracing::debug!(
                        "{url}: encrypted with a key; its ETag is not an MD5 of its bytes"
                    );
                }
                kms || customer
            }
            Err(e) => {
                tracing::debug!("{url}: HEAD for its encryption: {e}");
                false
            }
        }
    }

    /// Fetches `meta` into `part` (a new file): ranged GETs in parallel for large objects.
    /// Callers hold a [`Self::download_permit`].
    pub(super) async fn get_ranged(
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
                // If-Match: the bytes of the object that was looked up, or an error, never
                // those of one that replaced it since.
                let options = object_store::GetOptions {
                    if_match: meta.e_tag.clone(),
                    ..Default::default()
                };
                let got = store
                    .get_opts(&meta.location, options)
                    .await
                    .map_err(|e| explain(url, e))?;
                got.bytes().await.map_err(|e| explain(url, e))?
            };
            if let Some(want) = meta.e_tag.as_deref().and_then(is_md5)
                && !self.etag_is_not_md5(url)
            {
                let have: String = <md5::Md5 as md5::Digest>::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                // An object encrypted with a KMS or customer key has an ETag that only looks
                // like an MD5: the object says so (a bucket's default encryption too).
                if have != want && !self.encrypted_with_a_key(url).await {
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
            let ranged = futures_util::stream::iter(ranges)
                .map(|range| {
                    let file = file.clone();
                    let store = store.clone();
                    let requests = self.requests.clone();
                    let location = meta.location.clone();
                    let etag = meta.e_tag.clone();
                    async move {
                        let bytes = {
                            let _permit = requests.acquire().await;
                            let options = object_store::GetOptions {
                                if_match: etag,
                                range: Some(object_store::GetRange::Bounded(range.clone())),
                                ..Default::default()
                            };
                            store
                                .get_opts(&location, options)
                                .await
                                .map_err(|e| explain(url, e))?
                                .bytes()
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
                .await;
            if let Err(e) = ranged {
                // A web server that does not answer ranges (it sends the whole object, 200,
                // to a ranged GET) still serves the object: once, whole.
                if !url.starts_with("http://") && !url.starts_with("https://") {
                    return Err(e);
                }
                tracing::warn!("{url}: ranged reads failed ({e:#}); fetching it whole");
                self.get_whole(store, meta, &file, url).await?;
            }
        }
        let len = file.metadata()?.len();
        if len != meta.size {
            bail!("{url}: downloaded {len} bytes, expected {}", meta.size);
        }
        Ok(())
    }

    /// The whole object in one GET, streamed into `file` from its start.
    async fn get_whole(
        &self,
        store: &Arc<dyn ObjectStore>,
        meta: &ObjectMeta,
        file: &Arc<std::fs::File>,
        url: &str,
    ) -> Result<()> {
        let _permit = self.requests.acquire().await;
        let options = object_store::GetOptions {
            if_match: meta.e_tag.clone(),
            ..Default::default()
        };
        let mut body = store
            .get_opts(&meta.location, options)
            .await
            .map_err(|e| explain(url, e))?
            .into_stream();
        let mut at = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| explain(url, e))?;
            if at + chunk.len() as u64 > meta.size {
                bail!("{url}: more bytes than its {} announced", meta.size);
            }
            let f = file.clone();
            let offset = at;
            at += chunk.len() as u64;
            tokio::task::spawn_blocking(move || f.write_all_at(&chunk, offset))
                .await
                .context("writer thread")?
                .context("cannot write the download")?;
        }
        if at != meta.size {
            bail!("{url}: short read ({at} of {} bytes)", meta.size);
        }
        Ok(())
    }

    pub(super) async fn localize_file(&self, url: &str, cache_dir: &Path) -> Result<PathBuf> {
        let (store, loc, meta) = self.head(url).await?;
        let etag = meta.e_tag.clone().unwrap_or_default();
        let key = blake3::hash(format!("{url}\0{etag}\0{}", meta.size).as_bytes()).to_hex();
        let entry = cache_dir.join(&key.as_str()[..32]);
        let name = loc.path.filename().unwrap_or("object").to_string();
        let target = entry.join(&name);
        memo(&self.downloads, key.as_str(), || {
            self.download_once(&store, &meta, &entry, &target, url)
        })
        .await
    }

    /// Downloads into the cache entry unless it is already there (another process may be
    /// fetching it right now: the entry's lock file serializes them).
    pub(super) async fn download_once(
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
        self.hold(entry).await?;
        if complete(target) {
            return Ok(target.to_path_buf());
        }
        // Before any descriptor of the download is opened.
        let _permit = self.download_permit().await?;
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
        let fetched = self.get_ranged(store, meta, &part, url).await;
        if let Err(e) = fetched {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        // Read-only: tasks share this one copy.
        std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o444))?;
        std::fs::rename(&part, target)
            .with_context(|| format!("cannot move the download to {}", target.display()))?;
        drop(lock);
        drop(_permit);
        tracing::debug!("downloaded {url} ({} bytes)", meta.size);
        self.evict_past_cap(entry, meta.size).await;
        Ok(target.to_path_buf())
    }

    pub(super) async fn localize_directory(&self, url: &str, cache_dir: &Path) -> Result<PathBuf> {
        memo(&self.downloads, &format!("dir\0{url}"), || {
            self.download_directory(url, cache_dir)
        })
        .await
    }

    pub(super) async fn download_directory(&self, url: &str, cache_dir: &Path) -> Result<PathBuf> {
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
        self.hold(&entry).await?;
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
        let total_bytes = files.iter().map(|(m, _)| m.size).sum();
        let result: Result<Vec<()>> = futures_util::stream::iter(files)
            .map(|(meta, dest)| {
                let store = store.clone();
                async move {
                    if let Some(parent) = dest.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    let object_url = format!("{store_key}/{}", meta.location);
                    let _permit = self.download_permit().await?;
                    self.get_ranged(&store, &meta, &dest, &object_url).await
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
                self.evict_past_cap(&entry, total_bytes).await;
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

    /// What an upload to a store of `scheme` carries: S3's storage class.
    pub(super) fn put_attributes(&self, scheme: &str) -> object_store::Attributes {
        let mut a = object_store::Attributes::new();
        if scheme == "s3"
            && let Some(class) = &self.settings.s3_writes.storage_class
        {
            a.insert(object_store::Attribute::StorageClass, class.clone().into());
        }
        a
    }

    pub(super) async fn upload_file(
        &self,
        src: &Path,
        store: &Arc<dyn ObjectStore>,
        scheme: &str,
        to: &ObjectPath,
    ) -> Result<()> {
        let size = std::fs::metadata(src)?.len();
        let part_size = self.settings.part_size.max(5 << 20);
        let attributes = self.put_attributes(scheme);
        if size <= part_size {
            let bytes = tokio::fs::read(src).await?;
            let _permit = self.requests.acquire().await;
            let options = object_store::PutOptions {
                attributes,
                ..Default::default()
            };
            store.put_opts(to, PutPayload::from(bytes), options).await?;
            return Ok(());
        }
        // Parts go up in parallel; the object appears only when the upload completes.
        let options = object_store::PutMultipartOptions {
            attributes,
            ..Default::default()
        };
        let upload = store.put_multipart_opts(to, options).await?;
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
        let options = object_store::PutOptions {
            attributes: self.put_attributes(loc.scheme),
            ..Default::default()
        };
        store
            .put_opts(&loc.path, PutPayload::from(bytes), options)
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
        let _permit = self.download_permit().await?;
        self.get_ranged(&store, &object.meta, dest, &object.url)
            .await
    }
}
