//! WDL `disks`: the space a task asks for, checked before its command starts ("the execution
//! engine must guarantee the requested resources are available or immediately fail the task
//! prior to instantiating the command").

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};

/// One disk a task asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskRequest {
    /// An absolute mount point; `None` is the task's working directory (Cromwell's
    /// `local-disk`).
    pub mount: Option<String>,
    pub bytes: u64,
}

/// Why a task's `disks` were not granted.
#[derive(Debug)]
pub enum DiskRefusal {
    /// More than the filesystem has free with no other task holding any of it: waiting cannot
    /// help.
    TooLarge(String),
    /// The executor was cancelled while the task waited for room.
    Cancelled,
}

impl From<DiskRefusal> for crate::ExecError {
    fn from(r: DiskRefusal) -> Self {
        match r {
            DiskRefusal::TooLarge(m) => crate::ExecError::Permanent(anyhow::anyhow!(m)),
            DiskRefusal::Cancelled => crate::ExecError::Cancelled,
        }
    }
}

/// Space on one filesystem that a running task was promised; given back when dropped.
pub struct DiskHold {
    parts: Vec<(u64, u64)>,
}

impl Drop for DiskHold {
    fn drop(&mut self) {
        if self.parts.is_empty() {
            return;
        }
        let mut held = LEDGER.held.lock().unwrap_or_else(|e| e.into_inner());
        for (dev, bytes) in &self.parts {
            if let Some(h) = held.get_mut(dev) {
                *h = h.saturating_sub(*bytes);
                if *h == 0 {
                    held.remove(dev);
                }
            }
        }
        drop(held);
        LEDGER.freed.notify_waiters();
    }
}

/// The space promised to the tasks running in this process, by filesystem (`st_dev`): counted
/// against what statvfs says is free, as cpus are counted against the machine, so that three
/// tasks asking 60 GiB each of a 70 GiB filesystem run one after another instead of together.
/// One for the whole process: executors in one engine (Docker's host fallback and Docker
/// itself) share filesystems.
struct DiskLedger {
    held: Mutex<HashMap<u64, u64>>,
    freed: tokio::sync::Notify,
}

static LEDGER: LazyLock<DiskLedger> = LazyLock::new(|| DiskLedger {
    held: Mutex::new(HashMap::new()),
    freed: tokio::sync::Notify::new(),
});

/// One filesystem's share of a task's request.
struct FsRequest {
    dev: u64,
    at: PathBuf,
    bytes: u64,
    what: String,
}

/// What each filesystem is asked for: requests without a mount point (summed) on the filesystem
/// of `work_fs`, each mount point on its own filesystem (of its nearest existing ancestor: the
/// task may create it) — or on `work_fs` too, with `mounts_on_work_fs`, for executors that
/// provide mount points from the attempt directory (containers). Requests that land on one
/// filesystem are added up.
fn per_filesystem(
    disks: &[DiskRequest],
    work_fs: &Path,
    mounts_on_work_fs: bool,
) -> Result<Vec<FsRequest>, String> {
    let mut out: Vec<FsRequest> = Vec::new();
    for d in disks.iter().filter(|d| d.bytes > 0) {
        let (at, what) = match &d.mount {
            Some(m) if !mounts_on_work_fs => (
                Path::new(m)
                    .ancestors()
                    .find(|a| a.exists())
                    .unwrap_or(Path::new("/"))
                    .to_path_buf(),
                format!("disk {m}"),
            ),
            _ => (
                work_fs.to_path_buf(),
                "disk space of the working directory".to_string(),
            ),
        };
        let dev = std::fs::metadata(&at)
            .map(|m| m.dev())
            .map_err(|e| format!("{what}: cannot stat {}: {e}", at.display()))?;
        match out.iter_mut().find(|r| r.dev == dev) {
            Some(r) => {
                r.bytes = r.bytes.saturating_add(d.bytes);
                if !r.what.contains(&what) {
                    r.what = format!("{} and {what}", r.what);
                }
            }
            None => out.push(FsRequest {
                dev,
                at,
                bytes: d.bytes,
                what,
            }),
        }
    }
    Ok(out)
}

/// Promises the task its `disks` before its command starts ("the execution engine must
/// guarantee the requested resources are available or immediately fail the task prior to
/// instantiating the command"): waits while space promised to running tasks leaves too little
/// free, fails at once, naming the request and what is free, when the filesystem would have too
/// little even with every promise given back. `cancelled` ends a wait.
pub async fn hold_free_space(
    disks: &[DiskRequest],
    work_fs: &Path,
    mounts_on_work_fs: bool,
    label: &str,
    cancelled: &AtomicBool,
) -> Result<DiskHold, DiskRefusal> {
    let wanted =
        per_filesystem(disks, work_fs, mounts_on_work_fs).map_err(DiskRefusal::TooLarge)?;
    if wanted.is_empty() {
        return Ok(DiskHold { parts: Vec::new() });
    }
    let mut told = false;
    loop {
        let freed = LEDGER.freed.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();
        let mut short: Option<String> = None;
        {
            let mut held = LEDGER.held.lock().unwrap_or_else(|e| e.into_inner());
            for r in &wanted {
                let Some(free) = ferry_stage::free_bytes(&r.at) else {
                    return Err(DiskRefusal::TooLarge(format!(
                        "{}: cannot tell the free space of {}",
                        r.what,
                        r.at.display()
                    )));
                };
                let others = held.get(&r.dev).copied().unwrap_or(0);
                // What the others use of their promise is not free now; at most all of it will be.
                if r.bytes > free.saturating_add(others) {
                    return Err(DiskRefusal::TooLarge(format!(
                        "`disks` asks for {} ({}) but {} has {} free",
                        ferry_config::human_bytes(r.bytes),
                        r.what,
                        r.at.display(),
                        ferry_config::human_bytes(free)
                    )));
                }
                if r.bytes > free.saturating_sub(others) {
                    short = Some(format!(
                        "{} of {} ({} free, {} promised to running tasks)",
                        ferry_config::human_bytes(r.bytes),
                        r.at.display(),
                        ferry_config::human_bytes(free),
                        ferry_config::human_bytes(others)
                    ));
                    break;
                }
            }
            if short.is_none() {
                for r in &wanted {
                    *held.entry(r.dev).or_insert(0) += r.bytes;
                }
                return Ok(DiskHold {
                    parts: wanted.iter().map(|r| (r.dev, r.bytes)).collect(),
                });
            }
        }
        if !told && let Some(s) = &short {
            tracing::info!("{label}: waiting for disk space: `disks` asks for {s}");
            told = true;
        }
        if cancelled.load(Ordering::SeqCst) {
            return Err(DiskRefusal::Cancelled);
        }
        // Space freed by anything else on the host shows at the next look.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), freed).await;
        if cancelled.load(Ordering::SeqCst) {
            return Err(DiskRefusal::Cancelled);
        }
    }
}

/// All the space a task asks for, for a scheduler's per-node scratch request (Slurm `--tmp`).
pub fn total_bytes(disks: &[DiskRequest]) -> u64 {
    disks.iter().map(|d| d.bytes).fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(d: &[DiskRequest], at: &Path, on_work: bool) -> Result<DiskHold, DiskRefusal> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        rt.block_on(hold_free_space(
            d,
            at,
            on_work,
            "t",
            &AtomicBool::new(false),
        ))
    }

    #[test]
    fn more_than_the_filesystem_has_is_refused_naming_the_request() {
        let dir = tempfile::tempdir().expect("tempdir");
        let small = [DiskRequest {
            mount: None,
            bytes: 1 << 20,
        }];
        drop(hold(&small, dir.path(), false).expect("a MiB is free"));
        let huge = [DiskRequest {
            mount: Some("/no/such/mount".into()),
            bytes: u64::MAX / 2,
        }];
        let Err(DiskRefusal::TooLarge(e)) = hold(&huge, dir.path(), false) else {
            panic!("too much granted");
        };
        assert!(
            e.contains("disk /no/such/mount") && e.contains(" / has "),
            "{e}"
        );
        let Err(DiskRefusal::TooLarge(e)) = hold(&huge, dir.path(), true) else {
            panic!("too much granted");
        };
        assert!(e.contains("working directory"), "{e}");
    }
}
