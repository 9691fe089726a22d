//! The per-instance input cache (`batch.instance_cache`): a directory on the compute instance,
//! mounted at the same path in every job, where each object-store input is downloaded once per
//! instance and shared by every job placed there. 20,000 shards reading one 3 GB reference then
//! cost one GET per instance, not 60 TB.
//!
//! Layout: `objects/<id>` holds an object's bytes, `<id>` the blake3 of its URL, ETag and size
//! (a replaced object is another entry); `objects/<id>.lock` is its lock and `objects/<id>.fill`
//! the record of its filling. A job takes the lock shared to look and holds it shared for as
//! long as it runs (jobs sharing an input run side by side); a job that must download takes
//! `objects/<id>.filling` exclusively, so one job fills an entry while the others wait for it
//! (and only for it). The input path in the job becomes a link to the
//! cached file. Eviction, when the cache passes its size, removes the least recently used
//! objects (by their lock's time) whose lock it can take exclusively, so never one a running
//! job uses. A download goes to a part file of its own process and is renamed into place whole.
//!
//! Jobs usually run as root, so a task could write to its input (through the link) and corrupt
//! it for every later job on the instance; mode bits stop nothing. The fill record holds the
//! file's size, inode and ctime, which a write changes and no task can set back: an entry whose
//! file no longer matches it is never served (it is downloaded again), and each job checks the
//! entries it used when it ends, removing any it finds changed.

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
    /// `objects` as the task sees it: through a read-only mount of the cache when the job has
    /// one (a task, root in its container, cannot write its inputs there), else `objects`.
    task_view: PathBuf,
    size: u64,
    /// The locks of the objects this job uses, held shared until it exits, with their files.
    held: Mutex<Vec<(File, PathBuf)>>,
}

/// What a filled entry's file was when it was filled.
#[derive(Debug, PartialEq, Eq)]
struct Fill {
    size: u64,
    inode: u64,
    ctime_ns: i128,
}

impl Fill {
    fn of(data: &Path) -> Option<Fill> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(data).ok()?;
        m.is_file().then(|| Fill {
            size: m.len(),
            inode: m.ino(),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
        })
    }

    fn record_path(data: &Path) -> PathBuf {
        data.with_extension("fill")
    }

    fn read(data: &Path) -> Option<Fill> {
        let text = std::fs::read_to_string(Fill::record_path(data)).ok()?;
        let mut f = text.split_whitespace().map(|w| w.parse::<i128>().ok());
        Some(Fill {
            size: u64::try_from(f.next()??).ok()?,
            inode: u64::try_from(f.next()??).ok()?,
            ctime_ns: f.next()??,
        })
    }

    fn write(&self, data: &Path) -> std::io::Result<()> {
        let record = Fill::record_path(data);
        let tmp = record.with_extension(format!("fill.{}", std::process::id()));
        std::fs::write(
            &tmp,
            format!("{} {} {}\n", self.size, self.inode, self.ctime_ns),
        )?;
        std::fs::rename(&tmp, &record)
    }
}

/// Whether the entry's file is whole and as it was filled (`size` the object's).
fn intact(data: &Path, size: u64) -> bool {
    match (Fill::of(data), Fill::read(data)) {
        (Some(now), Some(filled)) => now == filled && now.size == size,
        _ => false,
    }
}

impl InstanceCache {
    /// `view`: the cache's directory mounted read-only, if the job has that mount.
    pub fn open(dir: &Path, size: u64, view: Option<&Path>) -> Result<InstanceCache> {
        let objects = dir.join("objects");
        std::fs::create_dir_all(&objects)
            .with_context(|| format!("cannot create the instance cache {}", objects.display()))?;
        let task_view = view
            .map(|v| v.join("objects"))
            .filter(|v| v.is_dir())
            .unwrap_or_else(|| objects.clone());
        Ok(InstanceCache {
            objects,
            task_view,
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
        let lock_path = self.objects.join(format!("{id}.lock"));
        // Held shared for the job's life: no evictor removes the entry meanwhile.
        let shared = blocking(open_lock(&lock_path)?, |f| f.lock_shared()).await?;
        if !intact(&data, meta.size) {
            // Missing, partial or changed since it was filled: one job on the instance fills
            // it (again), the others wait for that, not for the jobs that use it. A new file
            // is renamed over the old: jobs that had the old one keep it.
            let filling = open_lock(&self.objects.join(format!("{id}.filling")))?;
            let filling = blocking(filling, |f| f.lock()).await?;
            if !intact(&data, meta.size) {
                self.download(store, key, url, etag.as_deref(), &data)
                    .await?;
            }
            drop(filling);
        }
        // Recently used: the last to be evicted (the lock's time, not the data's: the data's
        // ctime must stay as it was filled).
        let _ = File::open(&lock_path).and_then(|f| f.set_modified(SystemTime::now()));
        if let Ok(mut held) = self.held.lock() {
            held.push((shared, data.clone()));
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let _ = tokio::fs::remove_file(path).await;
        let seen = self.task_view.join(&id);
        tokio::fs::symlink(&seen, path)
            .await
            .with_context(|| format!("cannot link {} to {}", path.display(), seen.display()))?;
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
        // Read-only for jobs that do not run as root; the fill record for those that do.
        std::fs::set_permissions(&part, std::os::unix::fs::PermissionsExt::from_mode(0o444))?;
        tokio::fs::rename(&part, data)
            .await
            .with_context(|| format!("cannot move {} into place", part.display()))?;
        Fill::of(data)
            .context("the downloaded file is gone")?
            .write(data)
            .with_context(|| format!("cannot record {}", data.display()))?;
        Ok(())
    }

    /// When the job ends: every entry it used that is no longer as it was filled (its task
    /// wrote to its input) is removed, so that no later job is given it.
    pub fn check_used(&self) -> Vec<PathBuf> {
        let Ok(held) = self.held.lock() else {
            return Vec::new();
        };
        let mut changed = Vec::new();
        for (_, data) in held.iter() {
            let as_filled =
                matches!((Fill::of(data), Fill::read(data)), (Some(a), Some(b)) if a == b);
            if !as_filled {
                let _ = std::fs::remove_file(Fill::record_path(data));
                let _ = std::fs::remove_file(data);
                changed.push(data.clone());
            }
        }
        changed
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
            if name.ends_with(".lock")
                || name.ends_with(".filling")
                || name.ends_with(".fill")
                || name.contains(".fill.")
            {
                continue;
            }
            total += meta.len();
            if name != keep {
                let used = std::fs::metadata(self.objects.join(format!("{name}.lock")))
                    .and_then(|m| m.modified())
                    .or_else(|_| meta.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                objects.push((used, name, meta.len()));
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
                let _ = std::fs::remove_file(self.objects.join(format!("{name}.fill")));
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

    async fn store_with(bytes: &'static [u8]) -> (object_store::memory::InMemory, ObjectPath) {
        let store = object_store::memory::InMemory::new();
        let key = ObjectPath::from("ref/genome.fa");
        store.put(&key, bytes.into()).await.unwrap();
        (store, key)
    }

    /// Two jobs on one instance that share an input both have it at once: the first holding
    /// it for its whole run does not make the second wait.
    #[tokio::test(flavor = "multi_thread")]
    async fn jobs_sharing_an_input_run_side_by_side() {
        let dir = tempfile::tempdir().unwrap();
        let (store, key) = store_with(b"ACGT\n").await;
        let first = InstanceCache::open(&dir.path().join("cache"), 1 << 30, None).unwrap();
        let a = dir.path().join("a/genome.fa");
        first
            .fetch(&store, &key, "s3://b/ref/genome.fa", &a)
            .await
            .unwrap();
        // `first` still runs (holds its entry); a second job on the instance:
        let second = InstanceCache::open(&dir.path().join("cache"), 1 << 30, None).unwrap();
        let b = dir.path().join("b/genome.fa");
        tokio::time::timeout(
            Duration::from_secs(5),
            second.fetch(&store, &key, "s3://b/ref/genome.fa", &b),
        )
        .await
        .expect("the second job waited for the first")
        .unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"ACGT\n");
        assert!(first.check_used().is_empty() && second.check_used().is_empty());
    }

    /// A task that writes to its input (jobs run as root) does not corrupt it for later jobs:
    /// its job removes the changed entry when it ends, and a changed entry is never served.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_input_a_task_changed_is_never_served_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, key) = store_with(b"ACGT\n").await;
        let cache_dir = dir.path().join("cache");
        let job = InstanceCache::open(&cache_dir, 1 << 30, None).unwrap();
        let input = dir.path().join("a/genome.fa");
        job.fetch(&store, &key, "s3://b/ref/genome.fa", &input)
            .await
            .unwrap();
        let data = std::fs::canonicalize(&input).unwrap();
        // What a root task can do despite the mode: same size, other bytes.
        std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        std::fs::write(&data, b"TTTT\n").unwrap();
        // A job starting meanwhile gets the object's bytes, not the task's.
        let other = InstanceCache::open(&cache_dir, 1 << 30, None).unwrap();
        let b = dir.path().join("b/genome.fa");
        other
            .fetch(&store, &key, "s3://b/ref/genome.fa", &b)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"ACGT\n");
        drop(other);
        // Written again through the first job's link, then that job ends: removed.
        std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        std::fs::write(&input, b"GGGG\n").unwrap();
        assert_eq!(job.check_used().len(), 1);
        drop(job);
        let later = InstanceCache::open(&cache_dir, 1 << 30, None).unwrap();
        let c = dir.path().join("c/genome.fa");
        later
            .fetch(&store, &key, "s3://b/ref/genome.fa", &c)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&c).unwrap(), b"ACGT\n");
    }

    /// With the job's read-only mount of the cache there, inputs link through it; without it
    /// (an older job definition), to the cache itself.
    #[tokio::test(flavor = "multi_thread")]
    async fn inputs_link_through_the_read_only_view_when_the_job_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let (store, key) = store_with(b"ACGT\n").await;
        let cache_dir = dir.path().join("cache");
        let view = dir.path().join("view");
        let job = InstanceCache::open(&cache_dir, 1 << 30, Some(&view)).unwrap();
        let a = dir.path().join("a/genome.fa");
        job.fetch(&store, &key, "s3://b/ref/genome.fa", &a)
            .await
            .unwrap();
        assert!(
            std::fs::read_link(&a)
                .unwrap()
                .starts_with(cache_dir.join("objects"))
        );
        drop(job);
        // The mount stands in as a link to the cache here; in the job it is a read-only bind.
        std::os::unix::fs::symlink(&cache_dir, &view).unwrap();
        let job = InstanceCache::open(&cache_dir, 1 << 30, Some(&view)).unwrap();
        let b = dir.path().join("b/genome.fa");
        job.fetch(&store, &key, "s3://b/ref/genome.fa", &b)
            .await
            .unwrap();
        assert!(
            std::fs::read_link(&b)
                .unwrap()
                .starts_with(view.join("objects"))
        );
        assert_eq!(std::fs::read(&b).unwrap(), b"ACGT\n");
    }

    #[test]
    fn eviction_removes_the_least_recently_used_objects_no_job_holds() {
        let dir = tempfile::tempdir().unwrap();
        let cache = InstanceCache::open(dir.path(), 25, None).unwrap();
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
