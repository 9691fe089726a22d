//! The launcher never freezes on a task's files: an attempt whose setup blocks (here a FIFO
//! where its stdout goes, standing in for a hung NFS directory or a stopped FUSE mount) stalls
//! only itself. Other tasks start and finish, signals end the run (once, or twice), nothing is
//! left holding the run directory, `--resume` finishes it, and a setup that never finishes
//! fails its attempt by a deadline, saying why.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::project;

/// `a` plants a FIFO where `b`'s stdout goes; `c` runs beside `b`.
const WDL: &str = r#"version 1.1
task a {
  command <<<
    mkdir -p ../../../b/attempt-1 && mkfifo ../../../b/attempt-1/stdout
    echo planted
  >>>
  output { String o = read_string(stdout()) }
}
task b {
  input { String prev }
  command <<< echo "b after ~{prev}" >>>
  output { String o = read_string(stdout()) }
}
task c {
  input { String prev }
  command <<< touch "$(dirname "$(dirname "$(dirname "$(pwd)")")")/c-ran"; echo "c after ~{prev}" >>>
  output { String o = read_string(stdout()) }
}
workflow w {
  call a
  call b { input: prev = a.o }
  call c { input: prev = a.o }
  output { String b_out = b.o  String c_out = c.o }
}
"#;

fn spawn(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, PathBuf) {
    let run_dir = dir.join("run");
    let child = common::ferry()
        .current_dir(dir)
        .args(["run", "w.wdl", "--run-dir"])
        .arg(&run_dir)
        .args(extra)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("FERRY_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferry starts");
    (child, run_dir)
}

fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the child to exit within `limit`; its exit code and stderr.
fn exits_within(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "ferry did not exit within {limit:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: signals the child this test started.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// A run with one hung setup: the other task finishes; then SIGTERM (and, in one round, a
/// second signal at once) ends the run promptly; then `--resume` (the FIFO gone) finishes with
/// the right outputs without running `a` or `c` again.
#[test]
fn a_hung_task_setup_stalls_only_its_attempt_and_the_run_still_stops_and_resumes() {
    for second in [None, Some(libc::SIGINT)] {
        let dir = project(&[("w.wdl", WDL)]);
        let (child, run_dir) = spawn(dir.path(), &[], &[]);
        // `c` starts and ends although `b`'s setup is stuck on the FIFO.
        wait_until(
            "c never ran beside the stuck b",
            Duration::from_secs(30),
            || run_dir.join("calls/c-ran").exists(),
        );
        std::thread::sleep(Duration::from_millis(300));
        let t = Instant::now();
        signal(&child, libc::SIGTERM);
        if let Some(sig) = second {
            std::thread::sleep(Duration::from_millis(200));
            signal(&child, sig);
        }
        let (code, stderr) = exits_within(child, Duration::from_secs(20));
        assert!(matches!(code, Some(130 | 143)), "{code:?}: {stderr}");
        assert!(t.elapsed() < Duration::from_secs(20), "{stderr}");
        // Nothing holds the run directory: the resume starts at once and finishes.
        std::fs::remove_file(run_dir.join("calls/b/attempt-1/stdout")).expect("the FIFO");
        let started = Instant::now();
        let (child, _) = spawn(dir.path(), &["--resume"], &[]);
        let out = child.wait_with_output().expect("resume");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(30), "{stderr}");
        let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("outputs JSON");
        assert_eq!(outputs["w.b_out"], "b after planted", "{stderr}");
        assert_eq!(outputs["w.c_out"], "c after planted", "{stderr}");
        // `a` and `c` finished before the signal: kept (adopted as `cached`), not run again.
        let journal = std::fs::read_to_string(run_dir.join("attempts.tsv")).expect("journal");
        for call in ["calls/a/", "calls/c/"] {
            let ran = journal
                .lines()
                .filter(|l| l.starts_with(call) && l.split('\t').nth(9) == Some("done"))
                .count();
            assert_eq!(ran, 1, "{call} ran again:\n{journal}");
        }
    }
}

/// A setup that never finishes fails its attempt at the deadline with a message that says so,
/// and the run ends (it does not wait for ever).
#[test]
fn a_setup_past_its_deadline_fails_its_attempt_saying_why() {
    let dir = project(&[("w.wdl", WDL)]);
    let (child, _) = spawn(dir.path(), &[], &[("FERRY_TEST_SETUP_DEADLINE_MS", "3000")]);
    let (code, stderr) = exits_within(child, Duration::from_secs(60));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("set the attempt up in time"), "{stderr}");
    assert!(stderr.contains("call b"), "{stderr}");
}
