//! An attempt's setup before its shell starts: its directories, its command script, its stdout
//! and stderr files and its working directory, opened here so that the task process only
//! duplicates descriptors and execs. Done in a thread of its own per attempt, never in the
//! launcher's loop: a setup that blocks (a hung NFS directory, a stopped FUSE mount, a FIFO
//! where stdout should be) blocks only its own attempt, and the launcher goes on starting and
//! reaping the others and answering signals. A setup that has not finished by its deadline
//! fails its attempt, saying so; its thread is abandoned.

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::wire;

/// How long a setup may take before its attempt fails (tests set
/// `FERRY_TEST_SETUP_DEADLINE_MS`).
pub fn deadline() -> Duration {
    static DEADLINE: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *DEADLINE.get_or_init(|| {
        std::env::var("FERRY_TEST_SETUP_DEADLINE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(60), Duration::from_millis)
    })
}

/// Setups under way at once; past that (a filesystem that does not answer holds them), new
/// attempts fail at once rather than pile up threads.
const MAX_STUCK: usize = 64;

/// What a task process is given: its stdin (/dev/null), stdout, stderr and working directory.
pub struct Opened {
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
    pub work_dir: OwnedFd,
}

/// What a setup needs, copied out of the launch.
pub struct Job {
    pub id: u64,
    pub dirs: Vec<CString>,
    pub script_path: CString,
    pub script: Option<Vec<u8>>,
    pub stdout: CString,
    pub stderr: CString,
    pub work_dir: CString,
}

/// A setup's outcome: the descriptors, or the step that failed and why.
pub type Outcome = (u64, Result<Opened, (u8, i32)>);

/// Runs setups in threads and hands their outcomes back to the launcher's loop, which it
/// wakes through `wake` (a pipe it polls).
pub struct Setups {
    done: mpsc::Receiver<Outcome>,
    sender: mpsc::Sender<Outcome>,
    wake_read: OwnedFd,
    wake_write: Arc<OwnedFd>,
    /// Setups running now.
    running: Arc<AtomicUsize>,
    /// Setups started and not yet handed back, with their deadlines.
    deadlines: std::collections::HashMap<u64, Instant>,
}

impl Setups {
    pub fn new() -> std::io::Result<Setups> {
        let (wake_read, wake_write) = crate::sys::nonblocking_pipe()?;
        let (sender, done) = mpsc::channel();
        Ok(Setups {
            done,
            sender,
            wake_read,
            wake_write: Arc::new(wake_write),
            running: Arc::new(AtomicUsize::new(0)),
            deadlines: Default::default(),
        })
    }

    /// The descriptor the launcher polls: readable when an outcome is waiting.
    pub fn wake_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.wake_read.as_fd()
    }

    /// Starts `job`'s setup. When it cannot: `Err` with the job back (a thread could not be
    /// made for now: EAGAIN, ENOMEM) or without it (the step and errno to report).
    pub fn start(&mut self, job: Job) -> Result<(), (Option<Box<Job>>, u8, i32)> {
        if self.running.load(Ordering::SeqCst) >= MAX_STUCK {
            return Err((None, wire::STEP_SETUP_TIMEOUT, libc::EAGAIN));
        }
        let id = job.id;
        let sender = self.sender.clone();
        let wake = self.wake_write.clone();
        let running = self.running.clone();
        running.fetch_add(1, Ordering::SeqCst);
        // The job comes back if the thread cannot be made (the user's process limit counts
        // threads: a fork refused for it would be refused too).
        let slot = Arc::new(std::sync::Mutex::new(Some(job)));
        let taken = slot.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("setup-{id}"))
            .stack_size(64 << 10)
            .spawn(move || {
                let Some(job) = taken.lock().ok().and_then(|mut j| j.take()) else {
                    return;
                };
                let outcome = set_up(&job);
                running.fetch_sub(1, Ordering::SeqCst);
                if sender.send((job.id, outcome)).is_ok() {
                    crate::sys::wake(&wake);
                }
            });
        if let Err(e) = spawned {
            self.running.fetch_sub(1, Ordering::SeqCst);
            let job = slot.lock().ok().and_then(|mut j| j.take()).map(Box::new);
            return Err((
                job,
                wire::STEP_SPAWN,
                e.raw_os_error().unwrap_or(libc::EAGAIN),
            ));
        }
        self.deadlines.insert(id, Instant::now() + deadline());
        Ok(())
    }

    /// Outcomes ready now, and the setups past their deadline (failed: their outcome, should
    /// it ever come, is dropped).
    pub fn collect(&mut self) -> Vec<Outcome> {
        crate::sys::drain(&self.wake_read);
        let mut out = Vec::new();
        while let Ok((id, outcome)) = self.done.try_recv() {
            if self.deadlines.remove(&id).is_some() {
                out.push((id, outcome));
            }
        }
        let now = Instant::now();
        let late: Vec<u64> = self
            .deadlines
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            self.deadlines.remove(&id);
            out.push((id, Err((wire::STEP_SETUP_TIMEOUT, libc::ETIMEDOUT))));
        }
        out
    }

    /// Forgets a setup (its attempt was cancelled): its outcome is dropped when it comes.
    pub fn forget(&mut self, id: u64) -> bool {
        self.deadlines.remove(&id).is_some()
    }

    /// Milliseconds until the next deadline, for the launcher's poll.
    pub fn next_deadline_ms(&self) -> Option<i32> {
        self.deadlines.values().min().map(|d| {
            d.saturating_duration_since(Instant::now())
                .as_millis()
                .min(1000) as i32
        })
    }
}

fn failed(step: u8) -> impl Fn(std::io::Error) -> (u8, i32) {
    move |e| (step, e.raw_os_error().unwrap_or(libc::EIO))
}

fn path(c: &CString) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(c.as_bytes()))
}

/// The setup itself: the same steps the task process made before, each a plain system call.
/// Every descriptor is close-on-exec (the standard library's default: other tasks started
/// meanwhile must not inherit it); the task process's `dup2` gives it a plain copy.
fn set_up(job: &Job) -> Result<Opened, (u8, i32)> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    for d in &job.dirs {
        match std::fs::DirBuilder::new().mode(0o755).create(path(d)) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(failed(wire::STEP_MKDIR)(e));
            }
            _ => {}
        }
    }
    if let Some(script) = &job.script {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(path(&job.script_path))
            .and_then(|mut f| f.write_all(script))
            .map_err(failed(wire::STEP_SCRIPT))?;
    }
    let output = |p: &CString| {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(path(p))
            .map(OwnedFd::from)
            .map_err(failed(wire::STEP_STDIO))
    };
    Ok(Opened {
        stdin: std::fs::File::open("/dev/null")
            .map(OwnedFd::from)
            .map_err(failed(wire::STEP_STDIO))?,
        stdout: output(&job.stdout)?,
        stderr: output(&job.stderr)?,
        work_dir: std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(path(&job.work_dir))
            .map(OwnedFd::from)
            .map_err(failed(wire::STEP_CHDIR))?,
    })
}
