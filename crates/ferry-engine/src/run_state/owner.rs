//! The run's lease: `WORK/<name>/.ferry/lease`, so that two engines (on two machines, where the
//! run directory's lock cannot see) never drive one run. Taken with a create-if-absent PUT,
//! renewed with a PUT conditional on the ETag this engine last wrote, every third of its
//! time-to-live. An engine that finds the lease held watches it for up to its time-to-live: if
//! it is renewed, it refuses, naming the holder; if not, it takes it over (a PUT conditional on
//! the ETag it watched, so that of two engines taking over, one wins). A holder whose renewal
//! is refused has been taken over: it stops at once, leaving its jobs to the new holder.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_storage::{ObjectStorage, Written};

use super::{RunHome, now_ms};

/// How often a waiting engine looks at the lease again.
const WATCH: Duration = Duration::from_secs(1);

/// The lease this engine holds; renewed until dropped (then deleted, best effort, by
/// [`Lease::release`]).
pub struct Lease {
    storage: Arc<ObjectStorage>,
    url: String,
    etag: Arc<Mutex<String>>,
    renewer: tokio::task::JoinHandle<()>,
}

/// This engine, as the lease names it.
fn me(run_id: &str, ttl: Duration) -> Vec<u8> {
    serde_json::json!({
        "holder": format!("pid {} on {}", std::process::id(), host_name()),
        "run_id": run_id,
        "renewed_ms": now_ms(),
        "ttl_ms": ttl.as_millis() as u64,
    })
    .to_string()
    .into_bytes()
}

/// Who a lease names, and when it was last renewed by its holder's clock.
fn describe(bytes: &[u8]) -> (String, u64, u64) {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    (
        v["holder"]
            .as_str()
            .unwrap_or("an unknown engine")
            .to_string(),
        v["renewed_ms"].as_u64().unwrap_or(0),
        v["ttl_ms"].as_u64().unwrap_or(0),
    )
}

/// Whether `holder` ("pid N on HOST") names a process of this machine that no longer runs.
fn gone_from_here(holder: &str) -> bool {
    let Some((pid, host)) = holder
        .strip_prefix("pid ")
        .and_then(|rest| rest.split_once(" on "))
    else {
        return false;
    };
    host == host_name()
        && pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        })
}

pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

impl Lease {
    /// Takes the run's lease, waiting up to `ttl` for a holder that no longer renews it; an
    /// error names a holder that does.
    pub async fn take(home: &RunHome, ttl: Duration) -> Result<Lease, String> {
        let url = format!("{}lease", home.state());
        let storage = home.storage.clone();
        let err = |e: anyhow::Error| format!("the run's lease {url}: {e:#}");
        // The ETag seen, and since when, while waiting for its holder.
        let mut watched: Option<(String, Instant)> = None;
        loop {
            let written = match &watched {
                None => storage.create(&url, me(&home.run_id, ttl)).await,
                Some((etag, since)) if since.elapsed() >= ttl => {
                    storage.replace(&url, me(&home.run_id, ttl), etag).await
                }
                Some(_) => Ok(Written::Refused),
            }
            .map_err(err)?;
            if let Written::Done(etag) = written {
                if watched.is_some() {
                    tracing::warn!(
                        "took over the run's lease: its holder had not renewed it for {}s",
                        ttl.as_secs()
                    );
                }
                return Ok(Lease::hold(storage, url, etag, home.run_id.clone(), ttl));
            }
            let Some((bytes, etag)) = storage.read_tagged(&url).await.map_err(err)? else {
                // Released meanwhile.
                watched = None;
                continue;
            };
            let (holder, renewed, held_ttl) = describe(&bytes);
            let age = now_ms().saturating_sub(renewed);
            match &watched {
                Some((seen, _)) if *seen != etag => {
                    return Err(format!(
                        "run {} is being driven by another engine ({holder}; its lease at {url} was renewed {}s ago): stop it first, or wait for it to end",
                        home.run_id,
                        age / 1000
                    ));
                }
                Some(_) => {}
                None => {
                    // A lease its holder's own clock says lapsed long ago, or whose holder was
                    // a process of this machine that is gone, is not waited for.
                    let lapsed = (held_ttl > 0 && age > 2 * held_ttl.max(ttl.as_millis() as u64))
                        || gone_from_here(&holder);
                    tracing::warn!(
                        "run {} is held by {holder} (lease renewed {}s ago): {}",
                        home.run_id,
                        age / 1000,
                        if lapsed {
                            "long lapsed, taking it over".to_string()
                        } else {
                            format!("waiting up to {}s for it to lapse", ttl.as_secs())
                        }
                    );
                    let since = if lapsed {
                        Instant::now().checked_sub(ttl).unwrap_or_else(Instant::now)
                    } else {
                        Instant::now()
                    };
                    watched = Some((etag, since));
                    continue;
                }
            }
            tokio::time::sleep(WATCH).await;
        }
    }

    fn hold(
        storage: Arc<ObjectStorage>,
        url: String,
        etag: String,
        run_id: String,
        ttl: Duration,
    ) -> Lease {
        let etag = Arc::new(Mutex::new(etag));
        let renewer = tokio::spawn({
            let (storage, url, etag) = (storage.clone(), url.clone(), etag.clone());
            async move {
                loop {
                    tokio::time::sleep(ttl / 3).await;
                    let current = etag.lock().map(|e| e.clone()).unwrap_or_default();
                    match storage.replace(&url, me(&run_id, ttl), &current).await {
                        Ok(Written::Done(new)) => {
                            if let Ok(mut e) = etag.lock() {
                                *e = new;
                            }
                        }
                        Ok(Written::Refused) => {
                            // Another engine took the run over (this one was stopped or cut
                            // off for longer than the lease): it adopts the jobs; this engine
                            // must not touch them again.
                            tracing::error!(
                                "another engine took over run {run_id} (its lease {url}): this engine stops, leaving its jobs to it"
                            );
                            std::process::exit(1);
                        }
                        // The store unreachable for a moment: tried again next time; the lease
                        // lapses only after a whole time-to-live of failures.
                        Err(e) => tracing::warn!("cannot renew the run's lease: {e:#}"),
                    }
                }
            }
        });
        Lease {
            storage,
            url,
            etag,
            renewer,
        }
    }

    /// Gives the lease back at the end of the run, if it is still this engine's.
    pub async fn release(self) {
        self.renewer.abort();
        let current = self.etag.lock().map(|e| e.clone()).unwrap_or_default();
        // Only a lease still as this engine wrote it is removed.
        if let Ok(Some((_, etag))) = self.storage.read_tagged(&self.url).await
            && etag == current
            && let Err(e) = self.storage.delete(&self.url).await
        {
            tracing::warn!("cannot release the run's lease: {e:#}");
        }
    }
}
