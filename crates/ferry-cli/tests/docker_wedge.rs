//! A Docker daemon that stops answering (it happened in CI: `docker info` hung) fails the
//! attempt with a message saying so after a bounded wait, instead of hanging the run. The
//! daemon is frozen with SIGSTOP, so this is a test binary of its own: cargo runs test
//! binaries one after another, and no other test talks to the daemon meanwhile.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::project;

/// The running dockerd's pid (the one `scripts/services/docker-up.sh` started, or any).
fn dockerd_pid() -> i32 {
    let state =
        std::env::var("FERRY_SERVICES_DIR").unwrap_or_else(|_| "/tmp/ferry-services".into());
    if let Some(pid) = std::fs::read_to_string(format!("{state}/dockerd.pid"))
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok())
        .filter(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
    {
        return pid;
    }
    common::procs::process_table()
        .into_iter()
        .find(|(_, cmd, zombie)| {
            !zombie
                && cmd
                    .split_whitespace()
                    .next()
                    .is_some_and(|c| c.ends_with("dockerd"))
        })
        .map(|(pid, _, _)| pid)
        .expect("a running dockerd (scripts/services/docker-up.sh)")
}

/// Thaws the daemon when the test ends, also when it fails.
struct Frozen(i32);

impl Drop for Frozen {
    fn drop(&mut self) {
        // SAFETY: SIGCONT to the daemon this test stopped.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

#[test]
fn a_daemon_that_stops_answering_fails_the_attempt_saying_so() {
    let ok = Command::new("docker")
        .args(["image", "inspect", "local/busybox:1"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "local/busybox:1 is missing: run scripts/services/test-images.sh"
    );
    let wdl = r#"version 1.1
task t {
  command <<<
    touch started
    sleep 20
  >>>
  runtime { container: "local/busybox:1" }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let run_dir = dir.path().join("run");
    let child = common::ferry()
        .current_dir(dir.path())
        .args(["run", "w.wdl", "--profile", "docker", "--run-dir"])
        .arg(&run_dir)
        .env("FERRY_CONTAINER__PULL", "never")
        .env("FERRY_CONTAINER__DAEMON_TIMEOUT", "3s")
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferry starts");
    let started = run_dir.join("calls/t/attempt-1/work/started");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started.exists() {
        assert!(Instant::now() < deadline, "the container never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = dockerd_pid();
    let frozen = Frozen(pid);
    // SAFETY: stops the daemon; `frozen` continues it.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let t = Instant::now();
    let mut child = child;
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if t.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            drop(frozen);
            panic!("ferry still waits for a daemon that does not answer after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = t.elapsed();
    drop(frozen);
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("Docker daemon is not answering"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // What the frozen daemon could not remove goes now (a resume would do the same).
    let run_id = std::fs::read_to_string(run_dir.join("run-id")).expect("run id");
    let _ = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=ferry.run={}", run_id.trim()),
        ])
        .output()
        .map(|o| {
            for id in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                let _ = Command::new("docker").args(["rm", "-f", id]).output();
            }
        });
}
