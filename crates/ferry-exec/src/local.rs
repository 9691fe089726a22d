//! Tasks as local processes.

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_trait::async_trait;

use crate::{AttemptOutcome, AttemptSpec, Capacity, Executor, ResourceUse};

/// Runs each attempt as `bash command` in its own process group, so that stopping a task stops
/// everything it started.
pub struct LocalExecutor {
    capacity: Capacity,
    running: Arc<Mutex<HashSet<i32>>>,
    cancelled: Arc<std::sync::atomic::AtomicBool>,
}

impl LocalExecutor {
    pub fn new(capacity: Capacity) -> Self {
        LocalExecutor {
            capacity,
            running: Default::default(),
            cancelled: Default::default(),
        }
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

    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome> {
        let spec = spec.clone();
        let running = self.running.clone();
        let cancelled = self.cancelled.clone();
        tokio::task::spawn_blocking(move || run_blocking(&spec, &running, &cancelled))
            .await
            .context("executor thread failed")?
    }

    fn cancel_all(&self) {
        self.cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let pgids: Vec<i32> = self
            .running
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        for pgid in &pgids {
            // SAFETY: plain syscall on process groups we created.
            unsafe { libc::killpg(*pgid, libc::SIGTERM) };
        }
        if !pgids.is_empty() {
            let running = self.running.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(5));
                for pgid in running
                    .lock()
                    .map(|r| r.iter().copied().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    // SAFETY: as above.
                    unsafe { libc::killpg(pgid, libc::SIGKILL) };
                }
            });
        }
    }
}

fn run_blocking(
    spec: &AttemptSpec,
    running: &Mutex<HashSet<i32>>,
    cancelled: &std::sync::atomic::AtomicBool,
) -> Result<AttemptOutcome> {
    if cancelled.load(std::sync::atomic::Ordering::SeqCst) {
        anyhow::bail!("cancelled before it started");
    }
    let stdout = std::fs::File::create(&spec.stdout)
        .with_context(|| format!("cannot create {}", spec.stdout.display()))?;
    let stderr = std::fs::File::create(&spec.stderr)
        .with_context(|| format!("cannot create {}", spec.stderr.display()))?;
    let mut cmd = Command::new("bash");
    cmd.arg(&spec.script)
        .current_dir(&spec.work_dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start bash for {}", spec.label))?;
    let pid = child.id() as i32;
    if let Ok(mut r) = running.lock() {
        r.insert(pid);
    }
    let mut status: libc::c_int = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = loop {
        // SAFETY: waits on our own child; `status` and `usage` outlive the call.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        break rc;
    };
    if let Ok(mut r) = running.lock() {
        r.remove(&pid);
    }
    if rc == -1 {
        return Err(std::io::Error::last_os_error()).context("waiting for the task failed");
    }
    let exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        -1
    };
    Ok(AttemptOutcome {
        exit_code,
        oom: false,
        usage: ResourceUse {
            wall: start.elapsed(),
            user_cpu: duration(usage.ru_utime),
            system_cpu: duration(usage.ru_stime),
            max_rss: Some(usage.ru_maxrss.max(0) as u64 * 1024),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &std::path::Path, script: &str) -> AttemptSpec {
        let work = dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(dir.join("command"), script).unwrap();
        AttemptSpec {
            label: "t".into(),
            attempt_dir: dir.into(),
            work_dir: work,
            script: dir.join("command"),
            stdout: dir.join("stdout"),
            stderr: dir.join("stderr"),
            cpu: 1.0,
            memory: 1 << 20,
            gpu: 0,
            container: None,
            env: vec![("FERRY_TEST".into(), "yes".into())],
            inputs: vec![],
        }
    }

    #[tokio::test]
    async fn runs_a_script_and_reports_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let exec = LocalExecutor::new(crate::machine_capacity());
        let s = spec(
            dir.path(),
            "echo $FERRY_TEST; echo err >&2; touch made; exit 3",
        );
        let out = exec.run(&s).await.unwrap();
        assert_eq!(out.exit_code, 3);
        assert_eq!(std::fs::read_to_string(&s.stdout).unwrap(), "yes\n");
        assert_eq!(std::fs::read_to_string(&s.stderr).unwrap(), "err\n");
        assert!(s.work_dir.join("made").exists());
    }

    #[tokio::test]
    async fn cancel_stops_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let exec = Arc::new(LocalExecutor::new(crate::machine_capacity()));
        let s = spec(dir.path(), "sleep 30 & sleep 30; echo never");
        let e2 = exec.clone();
        let h = tokio::spawn(async move { e2.run(&s).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t = Instant::now();
        exec.cancel_all();
        let out = h.await.unwrap().unwrap();
        assert_eq!(out.exit_code, 128 + libc::SIGTERM);
        assert!(t.elapsed() < Duration::from_secs(3));
    }
}
