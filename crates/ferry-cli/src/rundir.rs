//! The run directory: choosing and creating it, its `state` file, its persistent run id, and
//! the lock that keeps two engines (or a resumed engine and the stopped one's launcher) from
//! working in it at once.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::sys;

/// The lock file: `flock`ed for the engine's lifetime (and its launcher's, which inherits it),
/// with the holder's pid, its start time and host written in it for messages.
pub use ferry_report::{LOCK_FILE, is_locked};

/// The run's id: random, written when the run directory is created, the same for every
/// engine that resumes it. Task processes, cluster jobs and containers are marked with it.
pub use ferry_engine::RUN_ID_FILE;

/// How long a resumed run waits for a stopped engine's launcher to finish its cleanup.
const LAUNCHER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// A run directory this engine holds.
pub struct RunDir {
    pub path: PathBuf,
    pub run_id: String,
    pub lock: Arc<std::fs::File>,
}

/// The run's `state` file: `running` from the start, with disk reserved beside it so that the
/// final state can be written even when a task filled the disk (it is written in place, never
/// truncated first).
pub fn write_state(run_dir: &Path, state: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(run_dir.join("state"))?;
    f.seek(std::io::SeekFrom::Start(0))?;
    let line = format!("{state}\n");
    f.write_all(line.as_bytes())?;
    f.set_len(line.len() as u64)?;
    // Shrinking drops reservations past the end: reserve again for the next write.
    sys::reserve(&f, 4096);
    f.sync_data()
}

/// A new run directory under `base`, created here: `create_dir` fails if another run (started
/// in the same second) took the name, and the next name is tried, so two runs never share one.
pub fn default_run_dir(base: &Path, name: &str) -> std::io::Result<PathBuf> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let stamp = sys::local_time(now, c"%Y%m%d-%H%M%S").unwrap_or_else(|| now.to_string());
    std::fs::create_dir_all(base)?;
    let mut last = None;
    for n in 1..=10_000u32 {
        let dir = match n {
            1 => base.join(format!("{stamp}-{name}")),
            n => base.join(format!("{stamp}-{name}-{n}")),
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free run directory name")))
}

/// Who holds (or last held) a run directory's lock.
#[derive(Debug, PartialEq)]
pub struct Holder {
    pub pid: i32,
    pub host: String,
    /// The process's start time in clock ticks after boot (`/proc/PID/stat` field 22): a pid
    /// reused by another process does not pass for the holder.
    pub started: u64,
}

impl Holder {
    fn me() -> Holder {
        let pid = std::process::id() as i32;
        Holder {
            pid,
            host: host_name(),
            started: start_time(pid).unwrap_or(0),
        }
    }

    fn parse(text: &str) -> Option<Holder> {
        let mut pid = None;
        let mut host = String::new();
        let mut started = 0;
        for line in text.lines() {
            match line.split_once('=') {
                Some(("pid", v)) => pid = v.trim().parse().ok(),
                Some(("host", v)) => host = v.trim().to_string(),
                Some(("started", v)) => started = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        Some(Holder {
            pid: pid?,
            host,
            started,
        })
    }

    /// Whether the holder is a process alive on this machine (an engine, not its launcher).
    fn alive_here(&self) -> bool {
        self.host == host_name() && start_time(self.pid).is_some_and(|s| s == self.started)
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    // Fields after the command: state is field 3, starttime field 22.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// Takes the run directory's lock for this engine. Held by a live engine: refused at once,
/// naming it. Held by what a stopped engine left (its launcher, still killing its tasks):
/// waits for it, at most [`LAUNCHER_PATIENCE`].
pub fn lock(run_dir: &Path) -> Result<Arc<std::fs::File>, String> {
    let path = run_dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut waited: Option<std::time::Instant> = None;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", path.display()));
            }
        }
        let holder = holder_of(run_dir);
        match &holder {
            Some(h) if h.alive_here() => {
                return Err(format!(
                    "run directory {} is in use by another ferry (pid {} on {}): wait for it to end, or stop it first",
                    run_dir.display(),
                    h.pid,
                    h.host
                ));
            }
            Some(h) if h.host != host_name() && !h.host.is_empty() => {
                return Err(format!(
                    "run directory {} is in use by a ferry on another machine (pid {} on {})",
                    run_dir.display(),
                    h.pid,
                    h.host
                ));
            }
            _ => {}
        }
        let since = *waited.get_or_insert_with(|| {
            tracing::info!(
                "waiting for the stopped run's task launcher to finish its cleanup in {}",
                run_dir.display()
            );
            std::time::Instant::now()
        });
        if since.elapsed() > LAUNCHER_PATIENCE {
            return Err(format!(
                "run directory {} is still locked {}s after its engine{} ended (by its task launcher, or a process that inherited the lock: `fuser {}` names it)",
                run_dir.display(),
                LAUNCHER_PATIENCE.as_secs(),
                holder
                    .map(|h| format!(" (pid {})", h.pid))
                    .unwrap_or_default(),
                path.display()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let me = Holder::me();
    let text = format!("pid={}\nhost={}\nstarted={}\n", me.pid, me.host, me.started);
    let write = |f: &mut std::fs::File| -> std::io::Result<()> {
        f.set_len(0)?;
        f.seek(std::io::SeekFrom::Start(0))?;
        f.write_all(text.as_bytes())
    };
    write(&mut file).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Arc::new(file))
}

/// The last holder of a run directory's lock, from the lock file.
pub fn holder_of(run_dir: &Path) -> Option<Holder> {
    let mut text = String::new();
    std::fs::File::open(run_dir.join(LOCK_FILE))
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    Holder::parse(&text)
}

/// The run's id: read from the run directory, else made and written there. A run directory
/// an older Ferry started (`calls/` but no id) gets the id that Ferry named its cluster jobs
/// with, so a resume still finds them.
pub fn run_id(run_dir: &Path) -> Result<String, String> {
    let path = run_dir.join(RUN_ID_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let id = text.trim();
        if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(id.to_string());
        }
        return Err(format!(
            "{} does not hold a run id (letters and digits): restore it or remove it",
            path.display()
        ));
    }
    let id = if run_dir.join("calls").is_dir() {
        blake3::hash(run_dir.as_os_str().as_encoded_bytes()).to_hex()[..8].to_string()
    } else {
        ferry_exec::unique_id()
    };
    let tmp = run_dir.join(format!(".{RUN_ID_FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(format!("{id}\n").as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_survives_its_file_and_a_dead_one_is_not_alive() {
        let me = Holder::me();
        let text = format!("pid={}\nhost={}\nstarted={}\n", me.pid, me.host, me.started);
        let parsed = Holder::parse(&text).expect("parsed");
        assert_eq!(parsed, me);
        assert!(parsed.alive_here());
        let reused = Holder {
            started: me.started + 1,
            ..parsed
        };
        assert!(!reused.alive_here(), "a reused pid is not the holder");
    }

    #[test]
    fn a_second_lock_on_one_directory_is_refused_naming_the_pid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = lock(dir.path()).expect("first lock");
        assert!(is_locked(dir.path()));
        let err = lock(dir.path()).expect_err("second lock");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(!is_locked(dir.path()));
        let id = run_id(dir.path()).expect("id");
        assert_eq!(run_id(dir.path()).expect("same id"), id);
    }
}
