//! WDL `disks`: the space a task asks for, checked before its command starts ("the execution
//! engine must guarantee the requested resources are available or immediately fail the task
//! prior to instantiating the command").

use std::path::Path;

/// One disk a task asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskRequest {
    /// An absolute mount point; `None` is the task's working directory (Cromwell's
    /// `local-disk`).
    pub mount: Option<String>,
    pub bytes: u64,
}

/// Fails, naming the request and what is free, unless the space is there: requests without a
/// mount point (summed) on the filesystem of `work_fs`, each mount point on its own filesystem
/// (of its nearest existing ancestor: the task may create it) — or on `work_fs` too, with
/// `mounts_on_work_fs`, for executors that provide mount points from the attempt directory
/// (containers).
pub fn check_free_space(
    disks: &[DiskRequest],
    work_fs: &Path,
    mounts_on_work_fs: bool,
) -> Result<(), String> {
    let mut on_work_fs: u64 = 0;
    for d in disks {
        match &d.mount {
            Some(m) if !mounts_on_work_fs => {
                let at = Path::new(m)
                    .ancestors()
                    .find(|a| a.exists())
                    .unwrap_or(Path::new("/"));
                enough(d.bytes, at, &format!("disk {m}"))?;
            }
            _ => on_work_fs = on_work_fs.saturating_add(d.bytes),
        }
    }
    if on_work_fs > 0 {
        enough(on_work_fs, work_fs, "disk space of the working directory")?;
    }
    Ok(())
}

fn enough(bytes: u64, at: &Path, what: &str) -> Result<(), String> {
    let Some(free) = ferry_stage::free_bytes(at) else {
        return Err(format!(
            "{what}: cannot tell the free space of {}",
            at.display()
        ));
    };
    if free < bytes {
        return Err(format!(
            "`disks` asks for {} ({what}) but {} has {} free",
            ferry_config::human_bytes(bytes),
            at.display(),
            ferry_config::human_bytes(free)
        ));
    }
    Ok(())
}

/// All the space a task asks for, for a scheduler's per-node scratch request (Slurm `--tmp`).
pub fn total_bytes(disks: &[DiskRequest]) -> u64 {
    disks.iter().map(|d| d.bytes).fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_the_filesystem_has_is_refused_naming_the_request() {
        let dir = tempfile::tempdir().expect("tempdir");
        let small = [DiskRequest {
            mount: None,
            bytes: 1 << 20,
        }];
        check_free_space(&small, dir.path(), false).expect("a MiB is free");
        let huge = [DiskRequest {
            mount: Some("/no/such/mount".into()),
            bytes: u64::MAX / 2,
        }];
        let e = check_free_space(&huge, dir.path(), false).expect_err("too much");
        assert!(
            e.contains("disk /no/such/mount") && e.contains(" / has "),
            "{e}"
        );
        let e = check_free_space(&huge, dir.path(), true).expect_err("too much");
        assert!(e.contains("working directory"), "{e}");
    }
}
