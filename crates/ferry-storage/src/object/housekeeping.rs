//! The object cache's housekeeping for this storage: the entries a run holds, and eviction past the
//! profile's cap.

use super::*;

impl ObjectStorage {
    /// Creates the cache entry if needed, marks it used now and holds it for this process.
    pub(super) fn hold(&self, entry: &Path) -> Result<()> {
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
    pub(super) async fn evict_past_cap(&self, entry: &Path) {
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
