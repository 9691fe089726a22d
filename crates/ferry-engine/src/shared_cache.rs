//! The call cache shared through an object store (`cache_dir = "s3://bucket/prefix/"`): every
//! machine keeps a working copy (`ferry_cache::Cache::open_shared`) and the store keeps the
//! entries as segment objects, `segments/<ms>-<random>.log`, each a run of the log's own lines
//! (`<MAC> <JSON>`), written once with create-if-absent and never changed. An engine reads every
//! segment at start (one LIST, then GETs, 16 at a time), writes the lines it added every few
//! seconds and at its end as one new segment, and merges the segments into one when they
//! number more than [`MERGE_PAST`]. The MAC's key is the profile's `cache_key_file`, which never
//! goes into the store: an entry written with another key, or by anyone without it, is ignored.

use std::sync::Arc;
use std::time::Duration;

use ferry_cache::Cache;
use ferry_storage::{ObjectStorage, Written};
use futures_util::StreamExt;

/// How often new entries go up.
pub const EVERY: Duration = Duration::from_secs(10);

/// Segments past which an engine merges them at start.
const MERGE_PAST: usize = 32;

pub struct SharedCache {
    storage: Arc<ObjectStorage>,
    /// `…/segments/`.
    segments: String,
    pub cache: Arc<Cache>,
}

impl SharedCache {
    /// Opens the working copy in `local_dir` and loads every segment under `url`.
    pub async fn open(
        storage: Arc<ObjectStorage>,
        url: &str,
        local_dir: &std::path::Path,
        key: &str,
    ) -> Result<SharedCache, String> {
        let cache = Cache::open_shared(local_dir, key).map_err(|e| {
            format!(
                "the call cache's working copy in {}: {e}",
                local_dir.display()
            )
        })?;
        let segments = format!("{}/segments/", url.trim_end_matches('/'));
        let listed = storage
            .list_now(&segments)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let urls: Vec<String> = listed.iter().map(|o| o.url.clone()).collect();
        let reads = futures_util::stream::iter(urls.into_iter().map(|url| {
            let storage = storage.clone();
            async move {
                let got = storage.read(&url).await;
                (url, got)
            }
        }))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
        let (mut loaded, mut refused) = (0, 0);
        let mut merged = Vec::new();
        let mut read = Vec::new();
        for (url, got) in reads {
            let bytes = match got {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(e) => return Err(format!("{e:#}")),
            };
            let (l, r) = cache.load_lines(&bytes);
            loaded += l;
            refused += r;
            if listed.len() > MERGE_PAST {
                merged.extend_from_slice(&bytes);
                read.push(url);
            }
        }
        if refused > 0 {
            tracing::warn!(
                "the call cache at {url}: {refused} entr(y/ies) the key does not authenticate, ignored (written with another key, or not by Ferry)"
            );
        }
        tracing::info!(
            "the call cache at {url}: {loaded} entries from {} segment(s)",
            listed.len()
        );
        let shared = SharedCache {
            storage,
            segments,
            cache: Arc::new(cache),
        };
        if !read.is_empty() {
            // Best effort: another engine merging at the same time only duplicates entries.
            if shared.put_segment(merged).await.is_ok() {
                for url in read {
                    let _ = shared.storage.delete(&url).await;
                }
            }
        }
        Ok(shared)
    }

    /// Writes the entries added since the last call as a new segment.
    pub async fn upload(&self) -> Result<(), String> {
        let lines = self.cache.take_new_lines();
        if lines.is_empty() {
            return Ok(());
        }
        self.put_segment(lines).await
    }

    async fn put_segment(&self, bytes: Vec<u8>) -> Result<(), String> {
        loop {
            let url = format!(
                "{}{:013}-{}.log",
                self.segments,
                crate::run_state::now_ms(),
                ferry_exec::unique_id()
            );
            match self
                .storage
                .create(&url, bytes.clone())
                .await
                .map_err(|e| format!("{e:#}"))?
            {
                Written::Done(_) => return Ok(()),
                // A name another engine took in the same millisecond: another name.
                Written::Refused => continue,
            }
        }
    }
}
