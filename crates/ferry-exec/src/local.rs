//! Tasks as local processes.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_trait::async_trait;

use crate::launcher::{self, Attempt, Launcher};
use crate::{AttemptOutcome, AttemptSpec, Capacity, ExecError, Executor, ResourceUse};

/// Sourced by bash (through `BASH_ENV`) before the command script: the task's own shell writes
/// its exit code to `rc`, so the file exists even if the engine dies, and the engine spends no
/// file creation per task on it. The engine neither reads it back (the exit status from `wait4`
/// is the same number) nor writes it; the launcher does when the shell was killed by a signal
/// and could not. A script that replaces the EXIT trap (or `exec`s) leaves no `rc`; the
/// engine's attempt journal still has its exit code for a resumed run.
const PRELUDE: &str = "__ferry_rc=$FERRY_RC_FILE\nunset BASH_ENV FERRY_RC_FILE\ntrap 'echo $? > \"$__ferry_rc\"' EXIT\n";

/// The command that starts the task launcher (see `launcher`): the `ferry` binary serves as
/// one with `__launch RUN_DIR`.
pub struct LauncherProgram {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// Runs each attempt as `bash command` in its own process group, started by the launcher, so
/// that stopping a task stops everything it started.
pub struct LocalExecutor {
    capacity: Capacity,
    bash: PathBuf,
    prelude: PathBuf,
    launcher: Arc<Launcher>,
    /// The attempts running now, by launcher id.
    running: Arc<Mutex<HashSet<u64>>>,
    /// The run directory, the value of every task's `FERRY_RUN`.
    run_dir: PathBuf,
    /// The attempts that were running when the run was cancelled.
    cancelled_attempts: Mutex<HashSet<u64>>,
    cancelled: Arc<AtomicBool>,
    warned_container: AtomicBool,
}

fn find_bash() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("bash"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("/bin/bash"))
}

impl LocalExecutor {
    /// `state_dir` holds the executor's own files (the shell prelude); the run directory.
    /// Tasks inherit the engine's environment variables for which `inherits` says yes. Starts
    /// the launcher, so it needs a Tokio runtime.
    pub fn new(
        capacity: Capacity,
        state_dir: &Path,
        inherits: impl Fn(&str) -> bool,
        launcher: &LauncherProgram,
    ) -> Result<Self> {
        let prelude = state_dir.join(".ferry-task-prelude.sh");
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("cannot create {}", state_dir.display()))?;
        std::fs::write(&prelude, PRELUDE)
            .with_context(|| format!("cannot write {}", prelude.display()))?;
        let ours = [
            "BASH_ENV",
            "FERRY_RC_FILE",
            crate::reaper::RUN_MARKER,
            launcher::ATTEMPT_MARKER,
        ];
        let env = std::env::vars_os().filter(|(k, _)| {
            k.to_str()
                .is_some_and(|name| !ours.contains(&name) && inherits(name))
        });
        let launcher =
            Launcher::start(&launcher.program, &launcher.args, env).with_context(|| {
                format!(
                    "cannot start the task launcher {}",
                    launcher.program.display()
                )
            })?;
        Ok(LocalExecutor {
            capacity,
            bash: find_bash(),
            prelude,
            launcher: Arc::new(launcher),
            running: Default::default(),
            run_dir: std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_path_buf()),
            cancelled_attempts: Default::default(),
            cancelled: Default::default(),
            warned_container: AtomicBool::new(false),
        })
    }

    /// The ids of the attempts in `set` that are still running.
    fn still_running(&self, set: &Mutex<HashSet<u64>>) -> Vec<u64> {
        let running = self.running.lock().map(|r| r.clone()).unwrap_or_default();
        set.lock()
            .map(|s| {
                s.iter()
                    .copied()
                    .filter(|id| running.contains(id))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[async_trait]
impl Executor for LocalExecutor {
    fn name(&self) -> &'static str {
        "local"
    }

    fn capacity(&self) -> Capacity {
        self.capacity
    }

    async fn pin_image(&self, _task: &str, candidates: &[String]) -> Result<Option<String>> {
        if !candidates.is_empty() && !self.warned_container.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the local executor runs tasks as host processes: container images are ignored (--profile docker runs them)"
            );
        }
        Ok(None)
    }

    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome, ExecError> {
        if self.cancelled.load(Ordering::SeqCst) {
            return Err(ExecError::Cancelled);
        }
        let rc_file = spec.attempt_dir.join("rc");
        let mut env: Vec<(String, String)> = spec.env.clone();
        if let Some(s) = &spec.streaming {
            env.extend(s.env.iter().chain(&s.secrets).cloned());
        }
        env.push(("BASH_ENV".into(), self.prelude.display().to_string()));
        env.push(("FERRY_RC_FILE".into(), rc_file.display().to_string()));
        // Inherited by everything the task starts: how the run's sweep finds them if the
        // engine and its launcher are killed (see reaper.rs).
        env.push((
            crate::reaper::RUN_MARKER.into(),
            self.run_dir.display().to_string(),
        ));
        let mut dirs: Vec<&Path> = spec
            .work_dir
            .ancestors()
            .take_while(|a| *a != spec.create_from && a.starts_with(&spec.create_from))
            .collect();
        dirs.reverse();
        let start = Instant::now();
        let running = self
            .launcher
            .launch(Attempt {
                dirs,
                script_path: &spec.script,
                script: &spec.command,
                stdout: &spec.stdout,
                stderr: &spec.stderr,
                work_dir: &spec.work_dir,
                rc_file: &rc_file,
                program: &self.bash,
                args: vec![b"bash", spec.script.as_os_str().as_bytes()],
                env,
            })
            .await
            .with_context(|| format!("cannot start {}", spec.label))?;
        let listed = Listed::new(&self.running, running.id());
        let exit = running.wait().await;
        drop(listed);
        let exit = match exit {
            Ok(exit) => exit,
            Err(e) => {
                // Out of processes or memory for longer than the launcher waits.
                let transient = matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::OutOfMemory
                );
                let e = anyhow::Error::new(e).context(format!("cannot start {}", spec.label));
                return Err(if transient {
                    ExecError::Transient(e)
                } else {
                    ExecError::Permanent(e)
                });
            }
        };
        if exit.leftovers > 0 {
            tracing::info!(
                "{}: killed {} process(es) the task left running",
                spec.label,
                exit.leftovers
            );
        }
        Ok(AttemptOutcome {
            exit_code: exit.code,
            oom: false,
            usage: ResourceUse {
                wall: start.elapsed(),
                user_cpu: exit.user,
                system_cpu: exit.system,
                max_rss: Some(exit.max_rss),
            },
            lost: None,
        })
    }

    /// SIGTERM to every task's process group; the attempts are remembered so that
    /// [`Executor::shutdown`] can wait for them and SIGKILL what ignores SIGTERM.
    fn cancel_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let ids: Vec<u64> = self
            .running
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        for id in &ids {
            self.launcher.signal(*id, libc::SIGTERM);
        }
        if let Ok(mut c) = self.cancelled_attempts.lock() {
            c.extend(ids.iter().copied());
        }
        // The run may be waiting for a shell that ignores SIGTERM: SIGKILL comes from here, not
        // from `shutdown`, which runs only once the calls have ended.
        if !ids.is_empty() {
            let launcher = self.launcher.clone();
            let running = self.running.clone();
            std::thread::spawn(move || {
                std::thread::sleep(TERM_GRACE);
                let alive: Vec<u64> = running
                    .lock()
                    .map(|r| ids.into_iter().filter(|id| r.contains(id)).collect())
                    .unwrap_or_default();
                if !alive.is_empty() {
                    tracing::warn!(
                        "{} task(s) still running {}s after SIGTERM: sending SIGKILL",
                        alive.len(),
                        TERM_GRACE.as_secs()
                    );
                }
                for id in alive {
                    launcher.signal(id, libc::SIGKILL);
                }
            });
        }
    }

    /// SIGKILL to every task's process group, at once.
    fn kill_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let mut ids: Vec<u64> = self
            .running
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        if let Ok(c) = self.cancelled_attempts.lock() {
            ids.extend(c.iter().copied());
        }
        for id in ids {
            self.launcher.signal(id, libc::SIGKILL);
        }
    }

    /// After a cancellation, returns only when every task has ended: they get [`TERM_GRACE`]
    /// to exit after SIGTERM, then SIGKILL. Bounded, and logged.
    async fn shutdown(&self) {
        if !self.cancelled.load(Ordering::SeqCst) {
            return;
        }
        // Attempts that started after the cancellation began are waited for too.
        let late: Vec<u64> = self
            .running
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        if let Ok(mut c) = self.cancelled_attempts.lock() {
            c.extend(late);
        }
        let start = Instant::now();
        let mut killed = false;
        loop {
            let alive = self.still_running(&self.cancelled_attempts);
            if alive.is_empty() {
                if killed {
                    tracing::warn!("task processes that ignored SIGTERM were killed");
                }
                return;
            }
            if !killed && start.elapsed() >= TERM_GRACE {
                for id in &alive {
                    self.launcher.signal(*id, libc::SIGKILL);
                }
                killed = true;
            }
            if start.elapsed() >= TERM_GRACE + Duration::from_secs(5) {
                tracing::error!(
                    "{} task(s) survived SIGKILL (uninterruptible?), launcher pid {}",
                    alive.len(),
                    self.launcher.pid()
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How long task processes get to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// A running attempt in the set `cancel_all` stops, for as long as this lives (also when the
/// attempt's future is dropped).
struct Listed<'a> {
    running: &'a Mutex<HashSet<u64>>,
    id: u64,
}

impl<'a> Listed<'a> {
    fn new(running: &'a Mutex<HashSet<u64>>, id: u64) -> Self {
        if let Ok(mut r) = running.lock() {
            r.insert(id);
        }
        Listed { running, id }
    }
}

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        if let Ok(mut r) = self.running.lock() {
            r.remove(&self.id);
        }
    }
}
