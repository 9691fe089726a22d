//! The object cache's housekeeping for this storage: the entries a run holds, and eviction past the
//! profile's cap.

use super::*;

impl ObjectStorage {
    /// Creates the cache entry if needed, marks it used now and holds it for this process
    /// (registered once per cache as its user: one open file however many entries it holds).
    /// Holds the cache entry for this process (see [`crate::objcache::CacheUser::hold`]). On
    /// the blocking pool: it waits for an evictor that holds the cache's lock, which must not
    /// stall a runtime worker (and every download behind it).
    pub(super) async fn hold(&self, entry: &Path) -> Result<()> {
        let cache_dir = entry.parent().unwrap_or(Path::new("."));
        let user = {
            let mut users = self
                .cache_users
                .lock()
                .map_err(|_| anyhow!("cache users poisoned"))?;
            match users.get(cache_dir) {
                Some(u) => u.clone(),
                None => {
                    let u = Arc::new(crate::objcache::CacheUser::register(cache_dir)?);
                    users.insert(cache_dir.to_path_buf(), u.clone());
                    u
                }
            }
        };
        let owned = entry.to_path_buf();
        tokio::task::spawn_blocking(move || user.hold(&owned))
            .await
            .map_err(|e| anyhow!("{e}"))?
            .with_context(|| format!("cannot use the cache entry {}", entry.display()))
    }

    /// After a download of `bytes`: evicts least recently used entries if the cache is past its
    /// cap. The cache is scanned the first time and then only once this process's estimate
    /// (the size at the last scan plus what it downloaded since) passes the cap, not after
    /// every download.
    pub(super) async fn evict_past_cap(&self, entry: &Path, bytes: u64) {
        let (Some(max), Some(cache_dir)) = (self.settings.cache_max, entry.parent()) else {
            return;
        };
        {
            let Ok(mut estimate) = self.cache_estimate.lock() else {
                return;
            };
            match estimate.as_mut() {
                Some(e) if *e + bytes <= max => {
                    *e += bytes;
                    return;
                }
                _ => {}
            }
        }
        let cache_dir = cache_dir.to_path_buf();
        let evicted =
            tokio::task::spawn_blocking(move || crate::objcache::evict(&cache_dir, max)).await;
        match evicted {
            Ok(Ok(e)) => {
                if e.removed > 0 {
                    tracing::info!(
                        "object cache over its cap: evicted {} least recently used objects ({} bytes)",
                        e.removed,
                        e.freed
                    );
                }
                if let (Some(left), Ok(mut estimate)) = (e.remaining, self.cache_estimate.lock()) {
                    *estimate = Some(left);
                }
            }
            Ok(Err(e)) => tracing::warn!("object cache eviction: {e:#}"),
            Err(e) => tracing::warn!("object cache eviction: {e}"),
        }
    }
}
