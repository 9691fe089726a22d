//! Starting task processes through the launcher, a small single-threaded process beside the
//! engine (`ferry __launch RUN_DIR`).
//!
//! The engine never forks. It sends each attempt to the launcher as one message; the launcher
//! creates the attempt's directories and script and opens its stdio in a thread of the attempt's
//! own (`setup`: a hung filesystem stalls that attempt, never the launcher, and a setup past its
//! deadline fails the attempt), then forks a task process that takes those descriptors and
//! execs bash, so that inode work is off the engine's CPU. Forking a small single-threaded
//! process is cheap and sound (no locks another thread could hold, no shared memory with the
//! engine), and a shell forked from it starts with the launcher's small peak RSS, not the
//! engine's, so `attempts.tsv` reports the task's own memory.
//!
//! The launcher reaps each shell (`wait4`, so its resource use is the shell's and what the
//! shell waited for), kills what the task left running in its process group, and, being a
//! subreaper, also what escaped the group (`setsid`, double forks) once it is orphaned:
//! everything a task starts carries [`ATTEMPT_MARKER`] in its environment. When the engine
//! ends, however it ends (its end of the socket closes), the launcher kills every task process
//! and runs the run's marker sweep (`reaper`) before it exits.
//!
//! Signals to tasks go through the launcher too, by attempt id: it reaps its children itself,
//! so it never signals a pid that may have been reused.

pub mod serve;
mod setup;
pub mod wire;

use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::unix::AsyncFd;
use tokio::sync::oneshot;

use crate::sys;
use wire::{Launch, Report, Request};

/// Every task process's attempt, in its environment: how the launcher tells whose an orphan
/// is.
pub const ATTEMPT_MARKER: &str = "FERRY_ATTEMPT";

/// The largest message: larger scripts are written by the engine (see [`Launcher::launch`]).
pub const MAX_MESSAGE: usize = 128 << 10;

/// How an attempt's shell ended.
pub struct Exit {
    /// The exit status; 128+N when killed by signal N.
    pub code: i32,
    pub signaled: bool,
    pub user: std::time::Duration,
    pub system: std::time::Duration,
    /// Bytes.
    pub max_rss: u64,
    /// Processes the task left running, killed when its shell ended.
    pub leftovers: u32,
}

/// The launcher process's `main`: serves the engine on the socket it was given as descriptor 3
/// (holding the run directory's lock, descriptor 4, when given one) until the engine ends.
/// False if it was started without a socket.
pub fn serve_engine(run_dir: &std::path::Path) -> bool {
    let Some(socket) = sys::take_fd(3) else {
        return false;
    };
    let lock = sys::take_fd(4);
    // Nothing else the engine's parent left open reaches the tasks.
    sys::close_from(5);
    serve::serve(socket, lock, &run_dir.join(USAGE_FILE));
    true
}

/// In the run directory: one line per launcher that ended in order, `pid user_us system_us
/// max_rss_bytes` (tab-separated), its own CPU and memory, not its tasks'. The engine empties
/// it when a run starts and adds it to `stats.json` at the end: Ferry's cost is the engine's
/// and the launcher's together.
pub const USAGE_FILE: &str = "launchers.tsv";

/// The CPU time and peak memory of this run's launchers, from [`USAGE_FILE`]:
/// `(user, system, max_rss_bytes)`.
pub fn launchers_usage(
    run_dir: &std::path::Path,
) -> (std::time::Duration, std::time::Duration, u64) {
    let text = std::fs::read_to_string(run_dir.join(USAGE_FILE)).unwrap_or_default();
    let mut total = (std::time::Duration::ZERO, std::time::Duration::ZERO, 0);
    for line in text.lines() {
        let f: Vec<u64> = line.split('\t').filter_map(|v| v.parse().ok()).collect();
        if let [_, user, system, rss] = f[..] {
            total.0 += std::time::Duration::from_micros(user);
            total.1 += std::time::Duration::from_micros(system);
            total.2 = total.2.max(rss);
        }
    }
    total
}

/// Why an attempt did not run to its end.
#[derive(Debug)]
pub enum LaunchError {
    /// The run is being cancelled: the launcher did not start it.
    Cancelled,
    /// The launcher has ended (it was killed, or failed): nothing can start any more.
    Gone,
    /// The attempt could not be started (its directories, script, stdio or bash).
    Failed(std::io::Error),
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchError::Cancelled => f.write_str("cancelled"),
            LaunchError::Gone => f.write_str("the task launcher has ended (see ferry.log)"),
            LaunchError::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LaunchError {}

/// The engine's side of the launcher.
pub struct Launcher {
    shared: Arc<Shared>,
    reader: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
    process: Mutex<std::process::Child>,
    /// The value of [`crate::reaper::LAUNCHER_MARKER`] in every process this launcher starts.
    marker: String,
}

struct Shared {
    socket: AsyncFd<OwnedFd>,
    pending: Mutex<HashMap<u64, oneshot::Sender<Report>>>,
    next_id: AtomicU64,
    /// The launcher has gone (its end closed): nothing can start any more.
    gone: AtomicBool,
    /// The engine ended it (`Launcher::stop`): its end is no failure.
    stopped: AtomicBool,
    /// Requests the socket had no room for, in order; the writer task sends them.
    outbox: Mutex<VecDeque<Vec<u8>>>,
    more: tokio::sync::Notify,
}

/// A description of one attempt for [`Launcher::launch`].
pub struct Attempt<'a> {
    pub dirs: Vec<&'a Path>,
    pub script_path: &'a Path,
    pub script: &'a str,
    pub stdout: &'a Path,
    pub stderr: &'a Path,
    pub work_dir: &'a Path,
    pub rc_file: &'a Path,
    pub program: &'a Path,
    pub args: Vec<&'a [u8]>,
    pub env: Vec<(String, String)>,
}

fn bytes(p: &Path) -> Vec<u8> {
    p.as_os_str().as_bytes().to_vec()
}

/// How long a new launcher has to say which protocol it speaks.
const HANDSHAKE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

impl Launcher {
    /// Starts the launcher process: `program args`, with `env` as its whole environment (the
    /// base of every task's, plus its own marker) and the socket as its descriptor 3; `lock`
    /// (the run directory's) as its descriptor 4, held until its cleanup is done. Waits for
    /// its greeting: a launcher of another version is refused with a message saying so.
    /// Needs a Tokio runtime.
    pub fn start(
        program: &Path,
        args: &[std::ffi::OsString],
        env: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
        lock: Option<&std::fs::File>,
    ) -> std::io::Result<Launcher> {
        let (ours, theirs) = sys::seqpacket_pair()?;
        let marker = crate::unique_id();
        let mut cmd = std::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(env)
            .env(crate::reaper::LAUNCHER_MARKER, &marker)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            // Its own process group: a Ctrl-C at the engine's terminal is the engine's to
            // handle, in order.
            .process_group(0);
        let mut fds = vec![theirs];
        if let Some(lock) = lock {
            fds.push(lock.try_clone()?.into());
        }
        sys::pass_fds(&mut cmd, fds);
        let mut process = cmd.spawn()?;
        if let Err(e) = handshake(&ours, program) {
            let _ = process.kill();
            let _ = process.wait();
            return Err(e);
        }
        let shared = Arc::new(Shared {
            socket: sys::async_socket(ours)?,
            pending: Default::default(),
            next_id: AtomicU64::new(1),
            gone: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            outbox: Default::default(),
            more: tokio::sync::Notify::new(),
        });
        let reader = tokio::spawn(read_reports(shared.clone()));
        let writer = tokio::spawn(write_requests(shared.clone()));
        Ok(Launcher {
            shared,
            reader,
            writer,
            process: Mutex::new(process),
            marker,
        })
    }

    /// The launcher's process id.
    pub fn pid(&self) -> u32 {
        self.process.lock().map(|p| p.id()).unwrap_or(0)
    }

    /// Ends the launcher (SIGTERM: it kills what is left and exits) and waits for it, at most
    /// `patience`: when the engine exits, nothing of its run is left running, the launcher
    /// included, and the run directory's lock is free at once.
    pub async fn stop(&self, patience: std::time::Duration) {
        let pid = self.pid();
        if pid == 0 {
            return;
        }
        self.shared.stopped.store(true, Ordering::SeqCst);
        crate::sys::kill(pid as i32, libc::SIGTERM);
        let deadline = std::time::Instant::now() + patience;
        loop {
            let ended = self
                .process
                .lock()
                .map(|mut p| !matches!(p.try_wait(), Ok(None)))
                .unwrap_or(true);
            if ended {
                return;
            }
            if std::time::Instant::now() > deadline {
                tracing::warn!("the task launcher (pid {pid}) is still cleaning up");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// The marker every process this launcher started carries (see `reaper`).
    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// Whether the launcher has ended.
    pub fn is_gone(&self) -> bool {
        self.shared.gone.load(Ordering::SeqCst)
    }

    /// Starts an attempt. A script larger than a message is written here instead of by the
    /// task process.
    pub fn launch(&self, a: Attempt<'_>) -> Result<Running<'_>, LaunchError> {
        if self.is_gone() {
            return Err(LaunchError::Gone);
        }
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let mut env: Vec<Vec<u8>> = a
            .env
            .iter()
            .map(|(k, v)| format!("{k}={v}").into_bytes())
            .collect();
        env.push(format!("{ATTEMPT_MARKER}={id}").into_bytes());
        let launch = Launch {
            id,
            program: bytes(a.program),
            args: a.args.iter().map(|s| s.to_vec()).collect(),
            env,
            dirs: a.dirs.iter().map(|d| bytes(d)).collect(),
            script_path: bytes(a.script_path),
            script: Some(a.script.as_bytes().to_vec()),
            stdout: bytes(a.stdout),
            stderr: bytes(a.stderr),
            work_dir: bytes(a.work_dir),
            rc_file: bytes(a.rc_file),
        };
        let mut request = Request::Launch(Box::new(launch));
        let mut msg = request.encode();
        if msg.len() > MAX_MESSAGE {
            let write = || -> std::io::Result<()> {
                for d in &a.dirs {
                    std::fs::create_dir_all(d)?;
                }
                std::fs::write(a.script_path, a.script)
            };
            write().map_err(LaunchError::Failed)?;
            if let Request::Launch(launch) = &mut request {
                launch.script = None;
            }
            msg = request.encode();
            if msg.len() > MAX_MESSAGE {
                return Err(LaunchError::Failed(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the task's environment and paths are too large to start it",
                )));
            }
        }
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.shared.pending.lock() {
            p.insert(id, tx);
        }
        let running = Running {
            launcher: self,
            id,
            rx: Some(rx),
        };
        self.shared.send(msg);
        Ok(running)
    }

    /// Sends `signal` to attempt `id`'s process group (nothing if it has ended). Does not wait.
    pub fn signal(&self, id: u64, signal: i32) {
        self.shared.send(Request::Signal { id, signal }.encode());
    }

    /// `signal` to every attempt this launcher runs; every launch not started yet, and every
    /// later one, is answered "cancelled". Does not wait.
    pub fn cancel(&self, signal: i32) {
        self.shared.send(Request::Cancel { signal }.encode());
    }

    /// Attempts started and not yet reported on.
    pub fn pending(&self) -> usize {
        self.shared.pending.lock().map(|p| p.len()).unwrap_or(0)
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Waits for the launcher's greeting on `socket` (still blocking: before Tokio owns it).
fn handshake(socket: &OwnedFd, program: &Path) -> std::io::Result<()> {
    let refuse = |why: String| {
        std::io::Error::other(format!(
            "{why}: {} is not from this build of ferry (install ferry and ferry-launch together)",
            program.display()
        ))
    };
    let deadline = std::time::Instant::now() + HANDSHAKE_PATIENCE;
    let mut buf = [0u8; 64];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(refuse(format!(
                "the task launcher did not say which protocol it speaks within {}s",
                HANDSHAKE_PATIENCE.as_secs()
            )));
        }
        sys::poll_readable(&[socket.as_fd()], left.as_millis() as i32);
        match sys::recv(socket.as_fd(), &mut buf) {
            Ok(0) => {
                return Err(std::io::Error::other(format!(
                    "the task launcher {} exited as it started",
                    program.display()
                )));
            }
            Ok(n) => {
                return match Report::decode(&buf[..n]) {
                    Some(Report::Hello { protocol }) if protocol == wire::PROTOCOL => Ok(()),
                    Some(Report::Hello { protocol }) => Err(refuse(format!(
                        "the task launcher speaks protocol {protocol}, this ferry {}",
                        wire::PROTOCOL
                    ))),
                    _ => Err(refuse("the task launcher did not greet".into())),
                };
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

impl Shared {
    /// Sends a request now if the socket has room and nothing is queued before it; else
    /// queues it for the writer task. Never drops one, never blocks.
    fn send(&self, msg: Vec<u8>) {
        let Ok(mut outbox) = self.outbox.lock() else {
            return;
        };
        if outbox.is_empty() {
            match sys::send(self.socket.get_ref().as_fd(), &msg) {
                Ok(()) => return,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // The launcher has gone: the reader notices.
                Err(_) => return,
            }
        }
        outbox.push_back(msg);
        drop(outbox);
        self.more.notify_one();
    }
}

/// Sends the requests [`Shared::send`] queued, in order, as the socket has room.
async fn write_requests(shared: Arc<Shared>) {
    loop {
        shared.more.notified().await;
        loop {
            let Ok(mut guard) = shared.socket.writable().await else {
                return;
            };
            let Ok(mut outbox) = shared.outbox.lock() else {
                return;
            };
            let mut full = false;
            while let Some(msg) = outbox.front() {
                match sys::send(shared.socket.get_ref().as_fd(), msg) {
                    Ok(()) => {
                        outbox.pop_front();
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        full = true;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
            if !full {
                break;
            }
            drop(outbox);
            guard.clear_ready();
        }
    }
}

/// Hands each report to the attempt waiting for it; when the launcher ends, fails them all.
async fn read_reports(shared: Arc<Shared>) {
    let mut buf = vec![0u8; 256];
    loop {
        let Ok(mut guard) = shared.socket.readable().await else {
            break;
        };
        match sys::recv(shared.socket.get_ref().as_fd(), &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let Some(report) = Report::decode(&buf[..n]) else {
                    tracing::warn!("ignored a malformed report from the task launcher");
                    continue;
                };
                let Some(id) = report.id() else {
                    continue;
                };
                let tx = shared.pending.lock().ok().and_then(|mut p| p.remove(&id));
                if let Some(tx) = tx {
                    let _ = tx.send(report);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => guard.clear_ready(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    shared.gone.store(true, Ordering::SeqCst);
    if let Ok(mut p) = shared.pending.lock() {
        p.clear();
    }
    if !shared.stopped.load(Ordering::SeqCst) {
        tracing::error!("the task launcher has ended: the attempts it ran are lost");
    }
}

/// A started attempt. Dropped before it has ended, it has its process group killed (without
/// waiting).
pub struct Running<'a> {
    launcher: &'a Launcher,
    id: u64,
    rx: Option<oneshot::Receiver<Report>>,
}

impl Running<'_> {
    /// The attempt's id, for [`Launcher::signal`].
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Waits for the attempt to end.
    pub async fn wait(mut self) -> Result<Exit, LaunchError> {
        // `rx` stays in place while waiting: if this future is dropped, so is the attempt.
        let report = self.rx.as_mut().ok_or(LaunchError::Gone)?.await;
        self.rx = None;
        let report = report.map_err(|_| LaunchError::Gone)?;
        match report {
            Report::Exited {
                code,
                signaled,
                user_us,
                system_us,
                max_rss,
                leftovers,
                ..
            } => Ok(Exit {
                code,
                signaled,
                user: std::time::Duration::from_micros(user_us),
                system: std::time::Duration::from_micros(system_us),
                max_rss,
                leftovers,
            }),
            Report::Failed { step, errno, .. } => {
                let err = std::io::Error::from_raw_os_error(errno);
                Err(LaunchError::Failed(std::io::Error::new(
                    err.kind(),
                    format!("cannot {}: {err}", wire::step_name(step)),
                )))
            }
            Report::Cancelled { .. } | Report::Hello { .. } => Err(LaunchError::Cancelled),
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.rx.is_some() {
            let removed = self
                .launcher
                .shared
                .pending
                .lock()
                .ok()
                .and_then(|mut p| p.remove(&self.id));
            if removed.is_some() {
                self.launcher.signal(self.id, libc::SIGKILL);
            }
        }
    }
}
