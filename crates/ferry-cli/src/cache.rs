//! `ferry cache list` and `ferry cache clear`: the call cache and the node's downloaded objects.

use super::*;

pub(crate) fn cache_command(
    command: CacheCommand,
    config: Option<&Path>,
    profiles: &[String],
) -> i32 {
    let profile = match load_profile(None, config, profiles) {
        Ok((p, _)) => p,
        Err(e) => {
            errln!("ferry: {e}");
            return 2;
        }
    };
    if let CacheCommand::List { objects: true } = command {
        return list_objects(&profile);
    }
    let dir = profile.cache_directory();
    let cache = match ferry_cache::Cache::open(&dir) {
        Ok(c) => c,
        Err(e) => {
            errln!(
                "ferry: cannot open the call cache in {}: {e}",
                dir.display()
            );
            return 1;
        }
    };
    match command {
        CacheCommand::List { .. } => {
            for e in cache.entries() {
                let when =
                    sys::local_time(e.recorded as i64, c"%Y-%m-%d %H:%M:%S").unwrap_or_default();
                let outputs = e.outputs.as_object().map(|o| o.len()).unwrap_or(0);
                outln!(
                    "{when}  {:<24} {outputs} outputs, {} files  {}",
                    e.task,
                    e.files.len(),
                    &e.key[..16.min(e.key.len())]
                );
            }
            errln!("{} cached calls in {}", cache.len(), cache.path().display());
            0
        }
        CacheCommand::Clear { objects } => {
            match cache.clear() {
                Ok(n) => errln!("removed {n} cached calls from {}", cache.path().display()),
                Err(e) => {
                    errln!("ferry: cannot clear {}: {e}", cache.path().display());
                    return 1;
                }
            }
            let dir = profile.object_cache_directory();
            if objects && dir.exists() {
                // Cached objects are read-only files in writable directories: removable as is.
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    errln!("ferry: cannot clear {}: {e}", dir.display());
                    return 1;
                }
                errln!("removed the downloaded objects in {}", dir.display());
            }
            0
        }
    }
}

/// `ferry cache list --objects`: one line per downloaded object, least recently used first.
pub(crate) fn list_objects(profile: &ferry_config::Profile) -> i32 {
    let dir = profile.object_cache_directory();
    let objects = match ferry_storage::objcache::list(&dir) {
        Ok(o) => o,
        Err(e) => {
            errln!("ferry: {e:#}");
            return 1;
        }
    };
    for o in &objects {
        let when = o
            .last_use
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| sys::local_time(d.as_secs() as i64, c"%Y-%m-%d %H:%M:%S"))
            .unwrap_or_default();
        outln!(
            "{when}  {:>10}  {}{}",
            ferry_engine::task::human_bytes(o.size),
            o.name,
            if o.in_use { "  (in use)" } else { "" }
        );
    }
    let total: u64 = objects.iter().map(|o| o.size).sum();
    let cap = profile
        .object_cache_max
        .map(|m| format!(" of a {} cap", ferry_engine::task::human_bytes(m)))
        .unwrap_or_default();
    errln!(
        "{} objects, {}{cap}, in {}",
        objects.len(),
        ferry_engine::task::human_bytes(total),
        dir.display()
    );
    0
}
