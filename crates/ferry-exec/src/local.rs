//! Tasks as local processes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_trait::async_trait;

use crate::spawn::{self, Plan, PlanRequest, environment_block};
use crate::{AttemptOutcome, AttemptSpec, Capacity, Executor, ResourceUse};

/// Sourced by bash (through `BASH_ENV`) before the command script: the task's own shell writes
/// its exit code to `rc`, so the file exists even if the engine dies, and the engine spends no
/// file creation per task on it. The engine neither reads it back (the exit status from `wait4`
/// is the same number) nor writes it, except when the shell was killed by a signal and could
/// not. A script that replaces the EXIT trap (or `exec`s) leaves no `rc`; the engine's attempt
/// journal still has its exit code for a resumed run.
const PRELUDE: &str = "__ferry_rc=$FERRY_RC_FILE\nunset BASH_ENV FERRY_RC_FILE\ntrap 'echo $? > \"$__ferry_rc\"' EXIT\n";

/// Runs each attempt as `bash command` in its own process group, so that stopping a task stops
/// everything it started.
pub struct LocalExecutor {
    capacity: Capacity,
    bash: PathBuf,
    prelude: PathBuf,
    base_env: Arc<Vec<std::ffi::CString>>,
    running: Arc<Mutex<HashSet<i32>>>,
    /// The run directory, the value of every task's `FERRY_RUN`.
    run_dir: PathBuf,
    /// The process groups that were running when the run was cancelled.
    cancelled_groups: Mutex<HashSet<i32>>,
    cancelled: Arc<AtomicBool>,
    warned_container: AtomicBool,
    /// Child stacks of reaped tasks, for reuse: one 64 KiB allocation per attempt would cost
    /// the allocator a consolidation pass each time.
    stacks: Mutex<Vec<Vec<u8>>>,
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
    /// Tasks inherit the engine's environment variables for which `inherits` says yes.
    pub fn new(
        capacity: Capacity,
        state_dir: &Path,
        inherits: impl Fn(&str) -> bool,
    ) -> Result<Self> {
        let prelude = state_dir.join(".ferry-task-prelude.sh");
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("cannot create {}", state_dir.display()))?;
        std::fs::write(&prelude, PRELUDE)
            .with_context(|| format!("cannot write {}", prelude.display()))?;
        Ok(LocalExecutor {
            capacity,
            bash: find_bash(),
            prelude,
            base_env: environment_block(|name| {
                !["BASH_ENV", "FERRY_RC_FILE", crate::reaper::RUN_MARKER].contains(&name)
                    && inherits(name)
            }),
            running: Default::default(),
            run_dir: std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_path_buf()),
            cancelled_groups: Default::default(),
            cancelled: Default::default(),
            warned_container: AtomicBool::new(false),
            stacks: Default::default(),
        })
    }
}

fn duration(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
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

    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome> {
        if self.cancelled.load(Ordering::SeqCst) {
            anyhow::bail!("cancelled before it started");
        }
        let rc_file = spec.attempt_dir.join("rc");
        let mut env: Vec<(String, String)> = spec.env.clone();
        env.push(("BASH_ENV".into(), self.prelude.display().to_string()));
        env.push(("FERRY_RC_FILE".into(), rc_file.display().to_string()));
        // Inherited by everything the task starts: how the reaper finds them if the engine is
        // killed (see reaper.rs).
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
        let plan = Plan::new(PlanRequest {
            dirs,
            script_path: &spec.script,
            script: &spec.command,
            stdout: &spec.stdout,
            stderr: &spec.stderr,
            work_dir: &spec.work_dir,
            program: &self.bash,
            args: vec!["bash".into(), spec.script.display().to_string()],
            base_env: self.base_env.clone(),
            env,
        })
        .with_context(|| format!("cannot prepare {}", spec.label))?;
        let stack = self
            .stacks
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        let start = Instant::now();
        let child = spawn::start(Box::new(plan), stack)
            .with_context(|| format!("cannot start {}", spec.label))?;
        let listed = Listed::new(&self.running, child.pid(), &spec.label);
        let exit = child.wait().await;
        drop(listed);
        let (exit, stack) = exit.with_context(|| format!("cannot start {}", spec.label))?;
        if let Ok(mut s) = self.stacks.lock() {
            s.push(stack);
        }
        if exit.signaled {
            std::fs::write(&rc_file, format!("{}\n", exit.code))
                .with_context(|| format!("cannot write {}", rc_file.display()))?;
        }
        Ok(AttemptOutcome {
            exit_code: exit.code,
            oom: false,
            usage: ResourceUse {
                wall: start.elapsed(),
                user_cpu: duration(exit.usage.ru_utime),
                system_cpu: duration(exit.usage.ru_stime),
                max_rss: Some(exit.usage.ru_maxrss.max(0) as u64 * 1024),
            },
            lost: None,
        })
    }

    /// SIGTERM to every task's process group; the groups are remembered so that
    /// [`Executor::shutdown`] can wait for them and SIGKILL what ignores SIGTERM.
    fn cancel_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let pgids: Vec<i32> = self
            .running
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        for pgid in &pgids {
            // SAFETY: plain syscall on process groups we created.
            unsafe { libc::killpg(*pgid, libc::SIGTERM) };
        }
        if let Ok(mut c) = self.cancelled_groups.lock() {
            c.extend(pgids.iter().copied());
        }
        // The run may be waiting for a shell that ignores SIGTERM: SIGKILL comes from here, not
        // from `shutdown`, which runs only once the calls have ended.
        if !pgids.is_empty() {
            std::thread::spawn(move || {
                std::thread::sleep(TERM_GRACE);
                let alive: Vec<i32> = pgids.into_iter().filter(|g| group_alive(*g)).collect();
                if !alive.is_empty() {
                    tracing::warn!(
                        "{} task process group(s) still running {}s after SIGTERM: sending SIGKILL",
                        alive.len(),
                        TERM_GRACE.as_secs()
                    );
                }
                for g in alive {
                    // SAFETY: signals process groups we created.
                    unsafe { libc::killpg(g, libc::SIGKILL) };
                }
            });
        }
    }

    /// SIGKILL to every task's process group, at once.
    fn kill_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let mut groups: Vec<i32> = self
            .running
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        if let Ok(c) = self.cancelled_groups.lock() {
            groups.extend(c.iter().copied());
        }
        for g in groups {
            // SAFETY: signals process groups we created.
            unsafe { libc::killpg(g, libc::SIGKILL) };
        }
    }

    /// After a cancellation, returns only when every task process is gone: the groups get
    /// [`TERM_GRACE`] to exit after SIGTERM, then SIGKILL. Bounded, and logged.
    async fn shutdown(&self) {
        if !self.cancelled.load(Ordering::SeqCst) {
            return;
        }
        let groups = |all: &Mutex<HashSet<i32>>| -> Vec<i32> {
            all.lock()
                .map(|g| g.iter().copied().filter(|g| group_alive(*g)).collect())
                .unwrap_or_default()
        };
        // Groups that started after the cancellation began are waited for too.
        let late = groups(&self.running);
        if let Ok(mut c) = self.cancelled_groups.lock() {
            c.extend(late);
        }
        let start = Instant::now();
        let mut killed = false;
        loop {
            let alive = groups(&self.cancelled_groups);
            if alive.is_empty() {
                if killed {
                    tracing::warn!("task processes that ignored SIGTERM were killed");
                }
                return;
            }
            if !killed && start.elapsed() >= TERM_GRACE {
                for g in &alive {
                    // SAFETY: signals process groups we created.
                    unsafe { libc::killpg(*g, libc::SIGKILL) };
                }
                killed = true;
            }
            if start.elapsed() >= TERM_GRACE + Duration::from_secs(5) {
                tracing::error!(
                    "{} task process group(s) survived SIGKILL (uninterruptible?): {alive:?}",
                    alive.len()
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How long task processes get to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// Whether any process of group `pgid` is alive (zombies included until reaped).
fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    unsafe { libc::killpg(pgid, 0) == 0 }
}

/// Kills what a task left running in its process group after its shell ended (`cmd &`,
/// `nohup cmd &`) and returns how many processes that was. One system call when there is none.
fn kill_leftovers(pgid: i32) -> usize {
    if !group_alive(pgid) {
        return 0;
    }
    let count = processes_in_group(pgid);
    // SAFETY: signals a process group we created.
    unsafe { libc::killpg(pgid, libc::SIGKILL) };
    count
}

/// How many processes `/proc` lists in process group `pgid`.
fn processes_in_group(pgid: i32) -> usize {
    crate::reaper::process_ids()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter(|stat| {
            // `pid (comm) state ppid pgrp ...`; comm may contain spaces and parentheses.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2))
                .and_then(|g| g.parse::<i32>().ok())
                == Some(pgid)
        })
        .count()
}

/// A running task's process group in the set `cancel_all` stops, for as long as this lives
/// (also when the attempt's future is dropped: a reaped pid may be reused).
struct Listed<'a> {
    running: &'a Mutex<HashSet<i32>>,
    pid: i32,
    label: &'a str,
}

impl<'a> Listed<'a> {
    fn new(running: &'a Mutex<HashSet<i32>>, pid: i32, label: &'a str) -> Self {
        if let Ok(mut r) = running.lock() {
            r.insert(pid);
        }
        Listed {
            running,
            pid,
            label,
        }
    }
}

impl Drop for Listed<'_> {
    /// The attempt is over (or abandoned): nothing it started may outlive it.
    fn drop(&mut self) {
        let left = kill_leftovers(self.pid);
        if left > 0 {
            tracing::info!(
                "{}: killed {left} process(es) the task left running",
                self.label
            );
        }
        if let Ok(mut r) = self.running.lock() {
            r.remove(&self.pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path, script: &str) -> AttemptSpec {
        let attempt = dir.join("calls/t/attempt-1");
        AttemptSpec {
            label: "t".into(),
            work_dir: attempt.join("work"),
            script: attempt.join("command"),
            stdout: attempt.join("stdout"),
            stderr: attempt.join("stderr"),
            attempt_dir: attempt,
            create_from: dir.into(),
            command: script.into(),
            cpu: 1.0,
            memory: 1 << 20,
            gpu: 0,
            container: None,
            env: vec![("FERRY_TEST".into(), "yes".into())],
            inputs: vec![],
            queue: None,
        }
    }

    #[tokio::test]
    async fn runs_a_script_in_a_fresh_attempt_directory() {
        let dir = tempfile::tempdir().unwrap();
        let exec = LocalExecutor::new(crate::machine_capacity(), dir.path(), |_| true).unwrap();
        let s = spec(
            dir.path(),
            "echo $FERRY_TEST; echo err >&2; touch made; exit 3\n",
        );
        let out = exec.run(&s).await.unwrap();
        assert_eq!(out.exit_code, 3);
        assert_eq!(std::fs::read_to_string(&s.stdout).unwrap(), "yes\n");
        assert_eq!(std::fs::read_to_string(&s.stderr).unwrap(), "err\n");
        assert_eq!(
            std::fs::read_to_string(s.attempt_dir.join("rc")).unwrap(),
            "3\n"
        );
        assert!(s.work_dir.join("made").exists());
        assert!(s.script.exists());
    }

    #[tokio::test]
    async fn nested_bash_does_not_inherit_the_prelude() {
        let dir = tempfile::tempdir().unwrap();
        let exec = LocalExecutor::new(crate::machine_capacity(), dir.path(), |_| true).unwrap();
        let s = spec(
            dir.path(),
            "bash -c 'exit 4'; echo \"[$BASH_ENV]\"; trap - EXIT; exit 0\n",
        );
        let out = exec.run(&s).await.unwrap();
        assert_eq!(out.exit_code, 0);
        assert_eq!(std::fs::read_to_string(&s.stdout).unwrap(), "[]\n");
        // The script removed the trap: no rc (the engine's journal has the exit code).
        assert!(!s.attempt_dir.join("rc").exists());
    }

    #[tokio::test]
    async fn an_unwritable_attempt_directory_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let exec = LocalExecutor::new(crate::machine_capacity(), dir.path(), |_| true).unwrap();
        std::fs::write(
            dir.path().join("calls"),
            "a file where a directory should be",
        )
        .unwrap();
        let s = spec(dir.path(), "true\n");
        let err = exec.run(&s).await.unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot create the attempt directory"),
            "{err:#}"
        );
    }

    #[tokio::test]
    async fn cancel_stops_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let exec =
            Arc::new(LocalExecutor::new(crate::machine_capacity(), dir.path(), |_| true).unwrap());
        let s = spec(
            dir.path(),
            "sleep 30 & touch started; sleep 30; echo never\n",
        );
        let started = s.work_dir.join("started");
        let e2 = exec.clone();
        let h = tokio::spawn(async move { e2.run(&s).await });
        // Cancel once the task is running, not after a guess at how long starting takes.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !started.exists() {
            assert!(Instant::now() < deadline, "the task never started");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let t = Instant::now();
        exec.cancel_all();
        let out = h.await.unwrap().unwrap();
        assert_eq!(out.exit_code, 128 + libc::SIGTERM);
        assert!(t.elapsed() < Duration::from_secs(3));
    }
}
