//! Starting task processes through the launcher, a small single-threaded process beside the
//! engine (`ferry __launch RUN_DIR`).
//!
//! The engine never forks. It sends each attempt to the launcher as one message; the launcher
//! forks a task process that creates the attempt's directories and script, opens its stdio and
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
pub mod wire;

use std::collections::HashMap;
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
/// until the engine ends. False if it was started without one.
pub fn serve_engine(run_dir: &Path) -> bool {
    let Some(socket) = sys::take_fd3() else {
        return false;
    };
    serve::serve(socket, run_dir);
    true
}

/// The engine's side of the launcher.
pub struct Launcher {
    shared: Arc<Shared>,
    reader: tokio::task::JoinHandle<()>,
    process: Mutex<std::process::Child>,
}

struct Shared {
    socket: AsyncFd<OwnedFd>,
    pending: Mutex<HashMap<u64, oneshot::Sender<Report>>>,
    next_id: AtomicU64,
    /// The launcher has gone (its end closed): nothing can start any more.
    gone: AtomicBool,
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

impl Launcher {
    /// Starts the launcher process: `program args`, with `env` as its whole environment (the
    /// base of every task's) and the socket as its descriptor 3. Needs a Tokio runtime.
    pub fn start(
        program: &Path,
        args: &[std::ffi::OsString],
        env: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    ) -> std::io::Result<Launcher> {
        let (ours, theirs) = sys::seqpacket_pair()?;
        let mut cmd = std::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(env)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            // Its own process group: a Ctrl-C at the engine's terminal is the engine's to
            // handle, in order.
            .process_group(0);
        sys::pass_as_fd3(&mut cmd, theirs);
        let process = cmd.spawn()?;
        let shared = Arc::new(Shared {
            socket: sys::async_socket(ours)?,
            pending: Default::default(),
            next_id: AtomicU64::new(1),
            gone: AtomicBool::new(false),
        });
        let reader = tokio::spawn(read_reports(shared.clone()));
        Ok(Launcher {
            shared,
            reader,
            process: Mutex::new(process),
        })
    }

    /// The launcher's process id.
    pub fn pid(&self) -> u32 {
        self.process.lock().map(|p| p.id()).unwrap_or(0)
    }

    /// Starts an attempt. A script larger than a message is written here instead of by the
    /// task process.
    pub async fn launch(&self, a: Attempt<'_>) -> std::io::Result<Running<'_>> {
        if self.shared.gone.load(Ordering::SeqCst) {
            return Err(gone());
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
            for d in &a.dirs {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(a.script_path, a.script)?;
            if let Request::Launch(launch) = &mut request {
                launch.script = None;
            }
            msg = request.encode();
            if msg.len() > MAX_MESSAGE {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the task's environment and paths are too large to start it",
                ));
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
        self.shared.send(&msg).await?;
        Ok(running)
    }

    /// Sends `signal` to attempt `id`'s process group (nothing if it has ended). Does not wait.
    pub fn signal(&self, id: u64, signal: i32) {
        self.shared
            .send_now(&Request::Signal { id, signal }.encode());
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

fn gone() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::BrokenPipe,
        "the task launcher has ended (see ferry.log)",
    )
}

impl Shared {
    async fn send(&self, msg: &[u8]) -> std::io::Result<()> {
        loop {
            let mut guard = self.socket.writable().await?;
            match sys::send(self.socket.get_ref().as_fd(), msg) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(gone()),
                Ok(()) => return Ok(()),
            }
        }
    }

    /// For callers that cannot await (cancellation, `Drop`): waits at most a few seconds for
    /// room in a full socket.
    fn send_now(&self, msg: &[u8]) {
        sys::send_waiting(self.socket.get_ref().as_fd(), msg, 50);
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
                let tx = shared
                    .pending
                    .lock()
                    .ok()
                    .and_then(|mut p| p.remove(&report.id()));
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
    tracing::error!("the task launcher has ended: running tasks are lost and no more can start");
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

    /// Waits for the attempt to end; an error if it could not be started.
    pub async fn wait(mut self) -> std::io::Result<Exit> {
        // `rx` stays in place while waiting: if this future is dropped, so is the attempt.
        let report = self.rx.as_mut().ok_or_else(gone)?.await;
        self.rx = None;
        let report = report.map_err(|_| gone())?;
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
                Err(std::io::Error::new(
                    err.kind(),
                    format!("cannot {}: {err}", wire::step_name(step)),
                ))
            }
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
