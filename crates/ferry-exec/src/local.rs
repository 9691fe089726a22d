//! Tasks as local processes.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_trait::async_trait;

use crate::launcher::{self, Attempt, LaunchError, Launcher};
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
#[derive(Clone)]
pub struct LauncherProgram {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The run's id, persisted in its run directory: the value of every task's `FERRY_RUN`.
    pub run_id: String,
    /// The run directory's lock: each launcher holds it too, until its cleanup is done.
    pub lock: Option<Arc<std::fs::File>>,
}

/// Runs each attempt as `bash command` in its own session, started by the launcher, so that
/// stopping a task stops everything it started.
pub struct LocalExecutor {
    capacity: Capacity,
    bash: PathBuf,
    prelude: PathBuf,
    /// The launcher now; replaced if it ends while the engine runs.
    launcher: Mutex<Arc<Launcher>>,
    /// One replacement at a time.
    replacing: tokio::sync::Mutex<()>,
    program: LauncherProgram,
    /// The environment every launcher (and so every task) starts with.
    launcher_env: Vec<(OsString, OsString)>,
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
            crate::reaper::LAUNCHER_MARKER,
            launcher::ATTEMPT_MARKER,
        ];
        let mut launcher_env: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| {
                k.to_str()
                    .is_some_and(|name| !ours.contains(&name) && inherits(name))
            })
            .collect();
        // Inherited by everything the task starts: how a resumed run's sweep finds them if the
        // engine and its launcher are killed (see reaper.rs).
        launcher_env.push((
            crate::reaper::RUN_MARKER.into(),
            launcher.run_id.clone().into(),
        ));
        let started = start_launcher(launcher, &launcher_env)?;
        Ok(LocalExecutor {
            capacity,
            bash: find_bash(),
            prelude,
            launcher: Mutex::new(Arc::new(started)),
            replacing: Default::default(),
            program: launcher.clone(),
            launcher_env,
            cancelled: Default::default(),
            warned_container: AtomicBool::new(false),
        })
    }

    fn launcher(&self) -> Option<Arc<Launcher>> {
        self.launcher.lock().ok().map(|l| l.clone())
    }

    /// What a launch that did not run to its end means for the attempt. A launcher that ended
    /// while the engine runs (killed on its own) is replaced, what its tasks left is killed,
    /// and the attempt is run again (transient).
    async fn launch_failed(&self, used: &Arc<Launcher>, label: &str, e: LaunchError) -> ExecError {
        match e {
            LaunchError::Cancelled => ExecError::Cancelled,
            _ if self.cancelled.load(Ordering::SeqCst) => ExecError::Cancelled,
            LaunchError::Gone => match self.replace_launcher(used).await {
                Ok(()) => ExecError::Transient(anyhow::anyhow!(
                    "{label}: the task launcher ended while the task ran (it was killed?); a new one runs it again"
                )),
                Err(e) => ExecError::Permanent(e.context(format!("cannot run {label}"))),
            },
            LaunchError::Failed(e) => {
                // Out of processes or memory for longer than the launcher waits.
                let transient = matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::OutOfMemory
                );
                let e = anyhow::Error::new(e).context(format!("cannot start {label}"));
                if transient {
                    ExecError::Transient(e)
                } else {
                    ExecError::Permanent(e)
                }
            }
        }
    }

    /// Replaces `ended` with a new launcher (unless another attempt already did), after
    /// killing what its tasks left running.
    async fn replace_launcher(&self, ended: &Arc<Launcher>) -> Result<()> {
        let _one = self.replacing.lock().await;
        if self.launcher().is_some_and(|now| !Arc::ptr_eq(&now, ended)) {
            return Ok(());
        }
        let marker = ended.marker().to_string();
        let killed = tokio::task::spawn_blocking(move || {
            crate::reaper::kill_marked(crate::reaper::LAUNCHER_MARKER, marker.as_bytes())
        })
        .await
        .unwrap_or(0);
        let new = start_launcher(&self.program, &self.launcher_env)?;
        tracing::warn!(
            "the task launcher (pid {}) ended while the run went on: {killed} process(es) its tasks left were killed; a new launcher (pid {}) runs their attempts again",
            ended.pid(),
            new.pid()
        );
        if let Ok(mut l) = self.launcher.lock() {
            *l = Arc::new(new);
        }
        Ok(())
    }
}

fn start_launcher(program: &LauncherProgram, env: &[(OsString, OsString)]) -> Result<Launcher> {
    Launcher::start(
        &program.program,
        &program.args,
        env.iter().cloned(),
        program.lock.as_deref(),
    )
    .with_context(|| {
        format!(
            "cannot start the task launcher {}",
            program.program.display()
        )
    })
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
        let Some(launcher) = self.launcher() else {
            return Err(ExecError::Cancelled);
        };
        // Mount points are host paths here: each is checked on its own filesystem.
        let _disks = crate::disks::hold_free_space(
            &spec.disks,
            &spec.create_from,
            false,
            &spec.label,
            &self.cancelled,
        )
        .await?;
        let rc_file = spec.attempt_dir.join("rc");
        let mut env: Vec<(String, String)> = spec.env.clone();
        if let Some(s) = &spec.streaming {
            env.extend(s.env.iter().chain(&s.secrets).cloned());
        }
        env.push(("BASH_ENV".into(), self.prelude.display().to_string()));
        env.push(("FERRY_RC_FILE".into(), rc_file.display().to_string()));
        // The task's own directory, not the engine's: right for scripts that read $PWD, and
        // bash trusts it at start-up instead of stat'ing its way to the real one.
        env.push(("PWD".into(), spec.work_dir.display().to_string()));
        let mut dirs: Vec<&Path> = spec
            .work_dir
            .ancestors()
            .take_while(|a| *a != spec.create_from && a.starts_with(&spec.create_from))
            .collect();
        dirs.reverse();
        let start = Instant::now();
        let launched = launcher.launch(Attempt {
            dirs,
            script_path: &spec.script,
            script: &spec.command,
            stdout: &spec.stdout,
            stderr: &spec.stderr,
            work_dir: &spec.work_dir,
            rc_file: &rc_file,
            program: &self.bash,
            // bash given by its path: with a bare `bash` as argv[0], every task's shell would
            // search PATH for itself to set $BASH.
            args: vec![
                self.bash.as_os_str().as_bytes(),
                spec.script.as_os_str().as_bytes(),
            ],
            env,
        });
        let exit = match launched {
            Ok(running) => running.wait().await,
            Err(e) => Err(e),
        };
        let exit = match exit {
            Ok(exit) => exit,
            Err(e) => return Err(self.launch_failed(&launcher, &spec.label, e).await),
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
            preempted: false,
        })
    }

    /// SIGTERM to every task's session, through the launcher, which also answers every launch
    /// that reaches it later "cancelled": no attempt can start after this. [`Executor::shutdown`]
    /// waits for them and SIGKILLs what ignores SIGTERM.
    fn cancel_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let Some(launcher) = self.launcher() else {
            return;
        };
        launcher.cancel(libc::SIGTERM);
        // The run may be waiting for a shell that ignores SIGTERM: SIGKILL comes from here, not
        // from `shutdown`, which runs only once the calls have ended.
        std::thread::spawn(move || {
            std::thread::sleep(TERM_GRACE);
            let alive = launcher.pending();
            if alive > 0 {
                tracing::warn!(
                    "{alive} task(s) still running {}s after SIGTERM: sending SIGKILL",
                    TERM_GRACE.as_secs()
                );
                launcher.cancel(libc::SIGKILL);
            }
        });
    }

    /// SIGKILL to every task's session, at once.
    fn kill_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(launcher) = self.launcher() {
            launcher.cancel(libc::SIGKILL);
        }
    }

    /// After a cancellation, waits for every task to end; then ends the launcher.
    async fn shutdown(&self) {
        let Some(launcher) = self.launcher() else {
            return;
        };
        self.wait_for_cancelled(&launcher).await;
        launcher.stop(LAUNCHER_PATIENCE).await;
    }

    /// Every task killed at once, and the launcher ended before the engine exits.
    async fn abort(&self) {
        self.kill_all();
        if let Some(launcher) = self.launcher() {
            launcher.stop(LAUNCHER_PATIENCE).await;
        }
    }
}

/// How long the engine waits for its launcher to end when the run is over.
const LAUNCHER_PATIENCE: Duration = Duration::from_secs(5);

impl LocalExecutor {
    /// After a cancellation, returns only when every task has ended: they get [`TERM_GRACE`]
    /// to exit after SIGTERM, then SIGKILL. Bounded, and logged.
    async fn wait_for_cancelled(&self, launcher: &Launcher) {
        if !self.cancelled.load(Ordering::SeqCst) {
            return;
        }
        let start = Instant::now();
        let mut killed = false;
        loop {
            let alive = launcher.pending();
            if alive == 0 || launcher.is_gone() {
                if killed {
                    tracing::warn!("task processes that ignored SIGTERM were killed");
                }
                return;
            }
            if !killed && start.elapsed() >= TERM_GRACE {
                launcher.cancel(libc::SIGKILL);
                killed = true;
            }
            if start.elapsed() >= TERM_GRACE + Duration::from_secs(5) {
                tracing::error!(
                    "{alive} task(s) survived SIGKILL (uninterruptible?), launcher pid {}",
                    launcher.pid()
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How long task processes get to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);
