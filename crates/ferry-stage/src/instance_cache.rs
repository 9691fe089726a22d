//! The per-instance input cache (`batch.instance_cache`): a directory on the compute instance,
//! mounted at the same path in every job, where each object-store input is downloaded once per
//! instance and shared by every job placed there. 20,000 shards reading one 3 GB reference then
//! cost one GET per instance, not 60 TB.
//!
//! Layout: `objects/<id>` holds an object's bytes, `<id>` the blake3 of its URL, ETag and size
//! (a replaced object is another entry); `objects/<id>.lock` is its lock. A job takes the lock
//! exclusively to download (the others on the instance wait for it, then find the bytes), then
//! holds it shared for as long as it runs; the input path in the job becomes a link to the
//! cached file. Eviction, when the cache passes its size, removes the least recently used
//! objects whose lock it can take exclusively, so never one a running job uses. A download goes
//! to a part file of its own process and is renamed into place whole.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow};
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt};

/// A part file not written to for this long belongs to a download that died.
const STALE_PART: Duration = Duration::from_secs(600);

pub struct InstanceCache {
    objects: PathBuf,
    size: u64,
    /// The locks of the objects this job uses, held shared until it exits.
    held: Mutex<Vec<File>>,
}

impl InstanceCache {
    pub fn open(dir: &Path, size: u64) -> Result<InstanceCache> {
        let objects = dir.join("objects");
        std::fs::create_dir_all(&objects)
            .with_context(|| format!("cannot create the instance cache {}", objects.display()))?;
        Ok(InstanceCache {
            objects,
            size,
            held: Mutex::new(Vec::new()),
        })
    }

    /// Makes `path` the object `url` (`key` in `store`): a link to the cached copy, downloaded
    /// first if this instance does not have it yet.
    pub async fn fetch(
        &self,
        store: &dyn ObjectStore,
        key: &ObjectPath,
        url: &str,
        path: &Path,
    ) -> Result<()> {
        let meta = store
            .head(key)
            .await
            .with_context(|| format!("cannot fetch {url}"))?;
        let etag = meta.e_tag.clone();
        let id = blake3::hash(
            format!("{url}\0{}\0{}", etag.as_deref().unwrap_or(""), meta.size).as_bytes(),
        )
        .to_hex()
        .to_string();
        let data = self.objects.join(&id);
        let lock = open_lock(&self.objects.join(format!("{id}.lock")))?;
        loop {
            let lock = blocking(lock.try_clone()?, |f| f.lock()).await?;
            let present = std::fs::metadata(&data).is_ok_and(|m| m.len() == meta.size);
            if present {
                // Recently used: the last to be evicted.
                let _ = File::open(&data).and_then(|f| f.set_modified(SystemTime::now()));
            } else {
                self.download(store, key, url, etag.as_deref(), &data)
                    .await?;
            }
            // Shared from here on: other jobs may use it, no evictor may remove it. (The
            // conversion is not atomic: an evictor may slip in, hence the check.)
            let lock = blocking(lock, |f| f.lock_shared()).await?;
            if std::fs::metadata(&data).is_ok_and(|m| m.len() == meta.size) {
                if let Ok(mut held) = self.held.lock() {
                    held.push(lock);
                }
                break;
            }
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let _ = tokio::fs::remove_file(path).await;
        tokio::fs::symlink(&data, path)
            .await
            .with_context(|| format!("cannot link {} to {}", path.display(), data.display()))?;
        self.evict(&id);
        Ok(())
    }

    async fn download(
        &self,
        store: &dyn ObjectStore,
        key: &ObjectPath,
        url: &str,
        etag: Option<&str>,
        data: &Path,
    ) -> Result<()> {
        use tokio::io::AsyncWriteExt;
        let part = data.with_extension(format!("part.{}", std::process::id()));
        let options = GetOptions {
            if_match: etag.map(str::to_string),
            ..Default::default()
        };
        let mut body = store
            .get_opts(key, options)
            .await
            .with_context(|| format!("cannot fetch {url}"))?
            .into_stream();
        let mut file = tokio::fs::File::create(&part)
            .await
            .with_context(|| format!("cannot create {}", part.display()))?;
        while let Some(chunk) = body.next().await {
            file.write_all(&chunk.with_context(|| format!("while fetching {url}"))?)
                .await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&part, data)
            .await
            .with_context(|| format!("cannot move {} into place", part.display()))?;
        Ok(())
    }

    /// Removes least recently used objects while the cache holds more than its size, skipping
    /// those any job holds (their lock cannot be taken) and `keep`.
    fn evict(&self, keep: &str) {
        let Ok(dir) = std::fs::read_dir(&self.objects) else {
            return;
        };
        let mut objects = Vec::new();
        let mut total = 0u64;
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Ok(meta) = e.metadata() else { continue };
            if name.contains(".part.") {
                let stale = meta
                    .modified()
                    .ok()
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age > STALE_PART);
                if stale {
                    let _ = std::fs::remove_file(e.path());
                }
                continue;
            }
            if name.ends_with(".lock") {
                continue;
            }
            total += meta.len();
            if name != keep {
                objects.push((
                    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    name,
                    meta.len(),
                ));
            }
        }
        objects.sort();
        for (_, name, size) in objects {
            if total <= self.size {
                return;
            }
            let Ok(lock) = open_lock(&self.objects.join(format!("{name}.lock"))) else {
                continue;
            };
            if lock.try_lock().is_err() {
                continue;
            }
            if std::fs::remove_file(self.objects.join(&name)).is_ok() {
                total = total.saturating_sub(size);
            }
        }
    }
}

fn open_lock(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Runs a blocking lock call on the blocking pool and gives the file back.
async fn blocking(
    file: File,
    f: impl FnOnce(&File) -> std::io::Result<()> + Send + 'static,
) -> Result<File> {
    tokio::task::spawn_blocking(move || f(&file).map(|()| file))
        .await
        .map_err(|e| anyhow!("lock: {e}"))?
        .context("cannot lock an instance-cache entry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_removes_the_least_recently_used_objects_no_job_holds() {
        let dir = tempfile::tempdir().unwrap();
        let cache = InstanceCache::open(dir.path(), 25).unwrap();
        let objects = dir.path().join("objects");
        let old = SystemTime::now() - Duration::from_secs(3600);
        for (i, name) in ["a", "b", "c", "d"].iter().enumerate() {
            let path = objects.join(name);
            std::fs::write(&path, [0u8; 10]).unwrap();
            File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(old + Duration::from_secs(i as u64))
                .unwrap();
        }
        // `a`, the oldest, is in use by a job.
        let held = open_lock(&objects.join("a.lock")).unwrap();
        held.lock_shared().unwrap();
        cache.evict("d");
        let left: Vec<bool> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| objects.join(n).exists())
            .collect();
        // 40 bytes over a size of 25: `b` and `c` go (the oldest free ones), `a` is held and
        // `d` is the one just fetched.
        assert_eq!(left, [true, false, false, true]);
    }
}
