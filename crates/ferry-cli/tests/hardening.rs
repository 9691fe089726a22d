//! End-to-end: what a careless or hostile task cannot do. Each test runs the real `ferry`
//! binary on a task written to misbehave.

mod common;

use common::procs::{assert_gone_soon, processes_with, processes_with_pids, wait_for_processes};
use common::{project, run};

/// Links inside a Directory output never make Ferry walk or publish anything outside it: a
/// link to a host directory, to `/`, to a host file or to nothing fails the task naming the
/// link; links within the directory are published as (relative) links, and the call is cached.
#[test]
fn directory_outputs_never_follow_links_out_of_the_tree() {
    for (name, link) in [
        ("host_dir", "ln -s /etc d/stolen"),
        ("root", "ln -s / d/root"),
        ("host_file", "ln -s /etc/hostname d/host"),
        ("dangling", "ln -s /nonexistent/x d/gone"),
    ] {
        let wdl = format!(
            "version 1.2\ntask t {{\n  command <<<\n    mkdir d && echo x > d/x.txt && {link}\n  >>>\n  output {{ Directory o = \"d\" }}\n}}\n"
        );
        let file = format!("{name}.wdl");
        let dir = project(&[(&file, &wdl)]);
        let r = run(dir.path(), &file, &[]);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        let link_name = link.rsplit(' ').next().unwrap_or_default();
        assert!(
            r.stderr.contains("link ") && r.stderr.contains(link_name),
            "{name}: {}",
            r.stderr
        );
        assert!(
            !r.run_dir.join("out").exists(),
            "{name}: something published"
        );
    }

    let wdl = r#"version 1.2
task t {
  command <<<
    mkdir -p d/sub && echo a > d/sub/a.txt
    ln -s sub/a.txt d/alias
    ln -s sub d/subalias
    ln -s .. d/sub/up
  >>>
  output { Directory o = "d" }
}
"#;
    let dir = project(&[("ok.wdl", wdl)]);
    let r = run(dir.path(), "ok.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = std::path::PathBuf::from(r.outputs()["t.o"].as_str().expect("o"));
    assert!(out.starts_with(r.run_dir.join("out")), "{}", out.display());
    let alias = out.join("alias");
    assert_eq!(
        std::fs::read_link(&alias).expect("alias is a link"),
        std::path::PathBuf::from("sub/a.txt")
    );
    assert_eq!(std::fs::read_to_string(&alias).expect("alias"), "a\n");
    assert_eq!(
        std::fs::read_link(out.join("subalias")).expect("link"),
        std::path::PathBuf::from("sub")
    );
    assert_eq!(
        std::fs::read_link(out.join("sub/up")).expect("link"),
        std::path::PathBuf::from("..")
    );
    // The call was recorded in the cache (a link to a directory used to prevent that).
    assert!(!r.stderr.contains("could not be recorded"), "{}", r.stderr);
    let again = run(dir.path(), "ok.wdl", &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        !again.run_dir.join("calls/t/attempt-1").exists(),
        "the second run ran the task again instead of using the cache"
    );
}

/// An input that exists but cannot be read as what it is declared as stops the run before
/// anything runs (exit 2), saying why: a directory or a FIFO where a File is expected, a file
/// its user may not read (checked as an unprivileged user: root reads everything).
#[test]
fn unusable_input_files_stop_the_run_with_the_reason() {
    use std::os::unix::fs::PermissionsExt;
    let wdl = r#"version 1.1
task t {
  input { File f }
  command <<< cat '~{f}' >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl), ("secret.txt", "secret\n")]);
    std::fs::create_dir(dir.path().join("adir")).expect("mkdir");
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    for (input, reason) in [
        ("adir", "is a directory, not a file"),
        ("pipe", "is a FIFO, not a file"),
    ] {
        let r = run(dir.path(), "t.wdl", &[&format!("t.f={input}")]);
        assert_eq!(r.code, 2, "{input}: {}", r.stderr);
        assert!(r.stderr.contains(reason), "{input}: {}", r.stderr);
        assert!(!r.run_dir.join("calls").exists());
    }

    // Permission: as `nobody`, on a file only root may read.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let secret = dir.path().join("secret.txt");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let run_dir = dir.path().join("run-nobody");
    let out = run_as_nobody(dir.path(), &["t.wdl", "t.f=secret.txt"], &run_dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("secret.txt: permission denied"), "{stderr}");
    assert!(!run_dir.join("calls").exists());
}

/// Non-finite numbers and impossible requests are errors, not `null` outputs or runs that
/// "succeed" from the cache.
#[test]
fn non_finite_numbers_and_impossible_requests_are_errors() {
    let dir = project(&[
        (
            "div.wdl",
            "version 1.1\nworkflow w {\n  Float f = 1.0 / 0.0\n  output { Float o = f }\n}\n",
        ),
        (
            "big.wdl",
            "version 1.1\ntask t {\n  command <<< true >>>\n  runtime { cpu: 1 }\n}\n",
        ),
    ]);
    let r = run(dir.path(), "div.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not a finite Float"), "{}", r.stderr);
    for bad in ["NaN", "inf", "-1"] {
        let r = run(dir.path(), "big.wdl", &[&format!("--max-cpus={bad}")]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr.contains("--max-cpus must be a positive number"),
            "{}",
            r.stderr
        );
    }
    // A request beyond the machine fails, also when an earlier run cached the call.
    let r = run(dir.path(), "big.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(dir.path(), "big.wdl", &["t.runtime.cpu=1e308"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("asks for"), "{}", r.stderr);
}

/// `ferry run t.wdl ARGS --run-dir DIR/run` in the background, returned once the task has
/// touched `started` in its working directory (`calls/t/attempt-1/work/started`).
fn spawn_until_started(
    dir: &std::path::Path,
    args: &[&str],
    stderr: std::process::Stdio,
) -> (std::process::Child, std::path::PathBuf) {
    let run_dir = dir.join("run");
    let child = common::ferry()
        .current_dir(dir)
        .args(["run", "t.wdl"])
        .args(args)
        .arg("--run-dir")
        .arg(&run_dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("FERRY_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("ferry starts");
    let started = run_dir.join("calls/t/attempt-1/work/started");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !started.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the task never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child, run_dir)
}

/// `program` run as the unprivileged user `nobody` (root ignores file modes and process
/// limits, and may not change another user's limits).
fn as_nobody(program: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", program]);
    cmd
}

/// `ferry run ARGS --run-dir RUN_DIR` in `dir` as `nobody`; `dir` must be writable by it.
fn ferry_as_nobody(
    dir: &std::path::Path,
    args: &[&str],
    run_dir: &std::path::Path,
) -> std::process::Command {
    // The build may be where nobody cannot reach (a target directory under /root): copies of
    // `ferry` and `ferry-launch` in the test's own directory, which nobody can read.
    let bin = dir.join(".bin");
    if !bin.join("ferry").exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&bin).expect("mkdir .bin");
        let built = std::path::Path::new(env!("CARGO_BIN_EXE_ferry"));
        for name in ["ferry", "ferry-launch"] {
            let from = built.with_file_name(name);
            if from.exists() && std::fs::hard_link(&from, bin.join(name)).is_err() {
                std::fs::copy(&from, bin.join(name)).expect("copy the binary");
            }
        }
        for p in [bin.clone(), bin.join("ferry"), bin.join("ferry-launch")] {
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }
        }
    }
    let mut cmd = as_nobody(&bin.join("ferry").to_string_lossy());
    cmd.arg("run")
        .args(args)
        .arg("--run-dir")
        .arg(run_dir)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join(".cache-nobody"));
    cmd
}

/// [`ferry_as_nobody`], run to completion.
fn run_as_nobody(
    dir: &std::path::Path,
    args: &[&str],
    run_dir: &std::path::Path,
) -> std::process::Output {
    ferry_as_nobody(dir, args, run_dir)
        .output()
        .expect("setpriv runs ferry")
}

/// What a task starts in the background is killed when the task ends, also what leaves the
/// task's process group and session (`setsid`, and `setsid -f`, which forks so that its child
/// is orphaned while the task still runs), and the log says how many processes that was.
#[test]
fn background_processes_do_not_outlive_their_task() {
    let wdl = r#"version 1.1
task t {
  command <<<
    sleep 617 &
    nohup sleep 617 > /dev/null 2>&1 &
    setsid sleep 617 &
    setsid -f sleep 617
    sleep 0.2
    echo started
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = common::run_with(dir.path(), "t.wdl", &[], &[("FERRY_LOG", "info")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("killed 4 process(es) the task left running"),
        "{}",
        r.stderr
    );
    assert_gone_soon("sleep 617");
}

/// SIGTERM: Ferry exits only after every task process is gone; one that ignores SIGTERM gets
/// SIGKILL after the grace period (bounded, logged), and `state` says cancelled.
#[test]
fn sigterm_waits_for_tasks_and_kills_those_that_ignore_it() {
    let wdl = r#"version 1.1
task t {
  command <<<
    trap "" TERM
    touch started
    sleep 623
  >>>
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let (child, run_dir) = spawn_until_started(dir.path(), &[], std::process::Stdio::piped());
    // SAFETY: signals the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let t = std::time::Instant::now();
    let out = child.wait_with_output().expect("ferry exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{stderr}");
    assert!(stderr.contains("sending SIGKILL"), "{stderr}");
    // Gone when Ferry returned, not some time later.
    assert_eq!(
        processes_with("sleep 623"),
        Vec::<String>::new(),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(run_dir.join("state")).expect("state"),
        "cancelled\n"
    );
}

/// `kill -9` of the engine: every process its tasks started is gone soon after (the task
/// launcher sees the engine's end), so nothing writes into an attempt a resumed run reuses.
#[test]
fn task_processes_die_with_a_killed_engine() {
    let wdl = r#"version 1.1
task t {
  command <<<
    bash -c "sleep 631; echo OLD > $PWD/late.txt" &
    touch started
    sleep 632
    echo done
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let (mut child, _run_dir) = spawn_until_started(dir.path(), &[], std::process::Stdio::null());
    // bash -c "...", its sleep, and the task's own sleep.
    let before = wait_for_processes("sleep 63", 3);
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    assert!(before >= 3, "{before} task processes before the kill");
    assert_gone_soon("sleep 63");
}

/// If the task launcher is killed along with the engine, `--resume` kills what the stopped run's tasks
/// left running before it reuses their attempt directories, and says so.
#[test]
fn resume_kills_what_a_stopped_run_left_running() {
    let wdl = r#"version 1.1
task t {
  input { String hold }
  command <<<
    touch started
    if [ -e '~{hold}' ]; then sleep 641; fi
    echo done
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl), ("hold", "")]);
    let hold = format!("t.hold={}", dir.path().join("hold").display());
    let (mut child, run_dir) =
        spawn_until_started(dir.path(), &[&hold], std::process::Stdio::null());
    wait_for_processes("sleep 641", 1);
    // The launcher first, then the engine: nothing is left to clean up after them but the
    // shell's own children (the shell dies with the launcher).
    for pid in processes_with_pids(&format!("launch {}", run_dir.display())) {
        // SAFETY: kills the launcher of the run this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let left = processes_with("sleep 641").len();
    std::fs::remove_file(dir.path().join("hold")).expect("rm hold");
    let out = common::ferry()
        .current_dir(dir.path())
        .args(["run", "t.wdl", &hold, "--resume", "--run-dir"])
        .arg(&run_dir)
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .env("FERRY_LOG", "info")
        .output()
        .expect("ferry resumes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let leftover = processes_with("sleep 641");
    assert_eq!(left, 1, "the task's sleep should have survived both kills");
    assert!(stderr.contains("killed 1 process(es)"), "{stderr}");
    assert_eq!(leftover, Vec::<String>::new());
    assert!(out.status.success(), "{stderr}");
}

/// One huge output value is not written into the shared call cache (every later run would load
/// it at start): the call runs, is not cached, and the log says why.
#[test]
fn a_huge_value_is_not_cached() {
    let wdl = r#"version 1.1
task t {
  command <<<
    head -c 3000000 /dev/zero | tr '\0' 'x'
  >>>
  output { String big = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = common::run_with(dir.path(), "t.wdl", &[], &[("FERRY_LOG", "info")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("over the cache's limit"), "{}", r.stderr);
    let log = dir.path().join(".cache/ferry/calls-v2.log");
    let size = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    assert!(size < 1 << 20, "the cache log grew to {size} bytes");
}

/// A host-process task does not inherit the engine's credentials (AWS_*, *_TOKEN...) unless the
/// profile passes them; other variables it does inherit.
#[test]
fn tasks_do_not_inherit_credentials_unless_passed() {
    let wdl = r#"version 1.1
task t {
  command <<<
    echo "key=${AWS_SECRET_ACCESS_KEY:-} region=${AWS_REGION:-} token=${GITHUB_TOKEN:-} lab=${LAB_NAME:-}"
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[
        ("t.wdl", wdl),
        (
            "pass.toml",
            "[defaults]\npass_env = [\"AWS_REGION\"]\nwithhold_env = [\"LAB_*\"]\n",
        ),
    ]);
    let env = [
        ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
        ("AWS_REGION", "eu-west-1"),
        ("GITHUB_TOKEN", "ghp_x"),
        ("LAB_NAME", "smith"),
    ];
    let r = common::run_with(dir.path(), "t.wdl", &[], &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.o"], "key= region= token= lab=smith");
    let r = common::run_with(
        dir.path(),
        "t.wdl",
        &["--config", "pass.toml", "--no-cache"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.o"], "key= region=eu-west-1 token= lab=");
}

/// A workflow whose second task gets the first task's output in place and runs `tamper` on it
/// (`~{f}` is the file).
fn tampering_workflow(tamper: &str) -> String {
    format!(
        r#"version 1.1
task up {{
  command <<< echo mine > o.txt >>>
  output {{ File o = "o.txt" }}
}}
task down {{
  input {{ File f }}
  command <<< {tamper} >>>
}}
workflow w {{
  call up
  call down {{ input: f = up.o }}
  output {{ File o = up.o }}
}}
"#
    )
}

/// A later task that replaces an earlier output with a link to a host file, or rewrites it in
/// place (possible as root, who ignores the read-only mode), cannot get its version published
/// as the earlier task's output: the run fails naming the output, nothing of it is in out/.
#[test]
fn an_output_changed_by_a_later_task_is_not_published() {
    for (tamper, expect) in [
        (
            "ln -sf /etc/hostname '~{f}'",
            "was replaced after its task finished",
        ),
        (
            "sleep 0.05; echo theirs >> '~{f}'",
            "was changed after its task finished",
        ),
    ] {
        let dir = project(&[("w.wdl", &tampering_workflow(tamper))]);
        let r = run(dir.path(), "w.wdl", &[]);
        assert_eq!(r.code, 1, "{tamper}: {}", r.stderr);
        assert!(r.stderr.contains(expect), "{tamper}: {}", r.stderr);
        assert!(!r.run_dir.join("out/o/o.txt").exists(), "{tamper}");
    }
}

/// A task that fills the disk: the failure says "no space left on device" and where, and the
/// run's `state` and log are still written.
#[test]
fn a_full_disk_is_reported_as_such_and_state_is_written() {
    let wdl = r#"version 1.1
task t {
  command <<<
    head -c 20000000 /dev/zero > fill.bin 2>/dev/null || exit 1
  >>>
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    // A small filesystem of its own (tmpfs; the tests run as root).
    let small = dir.path().join("small");
    std::fs::create_dir(&small).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&small)
        .status()
        .expect("mount");
    assert!(
        mounted.success(),
        "cannot mount a tmpfs (the tests need root)"
    );
    let run_dir = small.join("run");
    let out = common::ferry()
        .current_dir(dir.path())
        .args(["run", "t.wdl", "--no-cache", "--run-dir"])
        .arg(&run_dir)
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("ferry runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let state = std::fs::read_to_string(run_dir.join("state")).unwrap_or_default();
    let log = std::fs::read_to_string(run_dir.join("ferry.log")).unwrap_or_default();
    let _ = std::process::Command::new("umount").arg(&small).status();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no space left on device"), "{stderr}");
    assert_eq!(state, "failed\n");
    assert!(log.contains("no space left on device"), "{log}");
}

/// Host-process tasks get earlier tasks' outputs in place, read-only: a task that tries to
/// change one fails (checked as an unprivileged user: root ignores file modes).
#[test]
fn earlier_outputs_are_read_only_to_later_tasks() {
    use std::os::unix::fs::PermissionsExt;
    let wdl = tampering_workflow("echo theirs >> '~{f}'");
    let dir = project(&[("w.wdl", &wdl)]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let run_dir = dir.path().join("run");
    let out = run_as_nobody(dir.path(), &["w.wdl"], &run_dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("call down"), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    let up = run_dir.join("calls/up/attempt-1/work/o.txt");
    assert_eq!(std::fs::read_to_string(up).expect("o.txt"), "mine\n");
}

/// What a publish killed half-way left (`.NAME.partial-PID`) is removed when the run is
/// resumed and publishes again.
#[test]
fn a_resumed_run_removes_what_a_killed_publish_left() {
    let wdl = r#"version 1.1
task t {
  command <<< echo out > o.txt >>>
  output { File o = "o.txt" }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let stale = r.run_dir.join("out/o/.o.txt.partial-999999");
    std::fs::write(&stale, "half").expect("stale partial");
    let out = common::ferry()
        .current_dir(dir.path())
        .args(["run", "t.wdl", "--resume", "--run-dir"])
        .arg(&r.run_dir)
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("ferry resumes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stale.exists(), "the stale partial publish is still there");
    assert_eq!(
        std::fs::read_to_string(r.run_dir.join("out/o/o.txt")).expect("o.txt"),
        "out\n"
    );
}

/// A task whose script exits 0 on SIGTERM was cancelled, not successful: a resumed run reruns
/// it instead of adopting its attempt.
#[test]
fn resume_reruns_an_attempt_that_exited_0_on_cancellation() {
    let wdl = r#"version 1.1
task t {
  input { String hold  String log }
  command <<<
    echo ran >> '~{log}'
    trap 'exit 0' TERM
    touch started
    if [ -e '~{hold}' ]; then sleep 651 & wait; fi
  >>>
  output { String o = "done" }
}
"#;
    let dir = project(&[("t.wdl", wdl), ("hold", "")]);
    let hold = format!("t.hold={}", dir.path().join("hold").display());
    let log = dir.path().join("runs.log");
    let log_input = format!("t.log={}", log.display());
    let (child, run_dir) = spawn_until_started(
        dir.path(),
        &[&hold, &log_input],
        std::process::Stdio::piped(),
    );
    // SAFETY: signals the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().expect("ferry exits");
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(dir.path().join("hold")).expect("rm hold");
    let again = common::ferry()
        .current_dir(dir.path())
        .args(["run", "t.wdl", &hold, &log_input, "--resume", "--run-dir"])
        .arg(&run_dir)
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("ferry resumes");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&log).expect("runs.log"),
        "ran\nran\n",
        "the cancelled attempt was adopted instead of rerun"
    );
}

/// A second Ctrl-C/SIGTERM does not wait for the grace period: every task is killed, `state`
/// written and Ferry exits at once.
#[test]
fn a_second_signal_stops_at_once() {
    let wdl = r#"version 1.1
task t {
  command <<<
    trap "" TERM
    touch started
    sleep 661
  >>>
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let (child, run_dir) = spawn_until_started(dir.path(), &[], std::process::Stdio::piped());
    let pid = child.id() as i32;
    let t = std::time::Instant::now();
    // SAFETY: signals the child we started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = child.wait_with_output().expect("ferry exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(t.elapsed() < std::time::Duration::from_secs(3), "{stderr}");
    assert!(stderr.contains("killing every task now"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(run_dir.join("state")).expect("state"),
        "cancelled\n"
    );
    assert_gone_soon("sleep 661");
}

/// A task's peak memory in `attempts.tsv` is its own: a shell running `true` reports less
/// than the engine that started it (task processes are forked from the small launcher, not
/// from the engine, whose peak a process would otherwise inherit at exec).
#[test]
fn a_task_reports_its_own_peak_memory() {
    let wdl = r#"version 1.1
task t {
  command <<<
    true
  >>>
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = common::run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tsv = std::fs::read_to_string(r.run_dir.join("attempts.tsv")).expect("attempts.tsv");
    let header: Vec<&str> = tsv.lines().next().expect("header").split('\t').collect();
    let column = header
        .iter()
        .position(|h| *h == "max_rss_kib")
        .expect("max_rss_kib");
    let row: Vec<&str> = tsv
        .lines()
        .nth(1)
        .expect("one attempt")
        .split('\t')
        .collect();
    let task_kib: u64 = row[column].parse().expect("a number");
    let stats: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(r.run_dir.join("stats.json")).expect("stats.json"),
    )
    .expect("json");
    let engine_kib = stats["engine_max_rss_bytes"].as_u64().expect("engine rss") / 1024;
    assert!(task_kib > 0, "{tsv}");
    // Before the launcher a task reported the engine's peak at the moment it started.
    assert!(
        task_kib * 3 < engine_kib,
        "`true` reported {task_kib} KiB, the engine {engine_kib} KiB"
    );
}

/// Without `ferry-launch` installed beside it, `ferry` serves as its own task launcher
/// (`ferry __launch`), and tasks run the same.
#[test]
fn ferry_alone_is_its_own_launcher() {
    let wdl = r#"version 1.1
task t {
  command <<<
    echo ok
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let alone = dir.path().join("bin/ferry");
    std::fs::create_dir_all(dir.path().join("bin")).expect("mkdir");
    let ferry = std::path::PathBuf::from(env!("CARGO_BIN_EXE_ferry"));
    if std::fs::hard_link(&ferry, &alone).is_err() {
        std::fs::copy(&ferry, &alone).expect("copy ferry");
    }
    let out = std::process::Command::new(&alone)
        .current_dir(dir.path())
        .args(["run", "t.wdl", "--run-dir", "run"])
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("ferry runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"ok\""), "{stdout}");
}

/// A panic in the run's driver (not in a call) still stops what the run started and writes
/// `state`: the engine panics on request (DEBUG_FERRY_PANIC_AFTER_CALL) when the first call
/// ends, while another call is still running.
#[test]
fn a_panicking_driver_stops_running_tasks_and_fails_the_run() {
    let wdl = r#"version 1.1
task quick {
  command <<< true >>>
}
task slow {
  command <<< sleep 659 >>>
}
workflow w {
  call slow
  call quick
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let t = std::time::Instant::now();
    let r = common::run_with(
        dir.path(),
        "t.wdl",
        &[],
        &[("DEBUG_FERRY_PANIC_AFTER_CALL", "1")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("driver panicked"), "{}", r.stderr);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(30),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(r.run_dir.join("state")).expect("state"),
        "failed\n"
    );
    assert_gone_soon("sleep 659");
}

/// A task process that cannot be forked yet (EAGAIN: the user's process limit is reached) is
/// started once it can be, instead of failing its attempt: the launcher's limit is lowered
/// while the first task runs and restored a while after the second should have started.
#[test]
fn a_task_that_cannot_be_forked_yet_waits_instead_of_failing() {
    let stderr = run_with_forks_refused_for(std::time::Duration::from_millis(2500));
    assert!(!stderr.contains("not counted as a retry"), "{stderr}");
}

/// Longer than the launcher waits (30 s): the executor reports a transient error and the engine
/// tries the same attempt again later, without counting it against the task's retries.
#[test]
fn a_task_that_cannot_be_forked_for_long_is_tried_again_not_failed() {
    let stderr = run_with_forks_refused_for(std::time::Duration::from_secs(33));
    assert!(stderr.contains("not counted as a retry"), "{stderr}");
}

/// Runs a two-task workflow as nobody and refuses the launcher new processes (RLIMIT_NPROC)
/// from while the first task runs until `hold` later; asserts the run succeeds and that the
/// second task had not started before the limit was lifted. Returns ferry's stderr.
fn run_with_forks_refused_for(hold: std::time::Duration) -> String {
    let run = ForkLimited::start();
    // The soft limit it had, to restore (the hard limit caps what can be set).
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", run.launcher)).expect("limits");
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max processes"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("Max processes")
        .to_string();
    run.limit_processes("1");
    // The first task ends after 1 s; its successor cannot be forked until the limit is back.
    std::thread::sleep(hold);
    assert!(
        !run.run_dir.join("calls/u/attempt-1/stdout").exists(),
        "the second task started despite the limit"
    );
    run.limit_processes(&soft);
    let out = run.child.wait_with_output().expect("ferry exits");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\"ok\""),
        "{stderr}"
    );
    stderr
}

/// A two-task workflow run as nobody (root ignores RLIMIT_NPROC), returned once its first task
/// runs, with its launcher's pid: tests then refuse the launcher new processes.
struct ForkLimited {
    _dir: tempfile::TempDir,
    run_dir: std::path::PathBuf,
    child: std::process::Child,
    launcher: i32,
}

impl ForkLimited {
    fn start() -> ForkLimited {
        use std::os::unix::fs::PermissionsExt;
        let wdl = r#"version 1.1
task t {
  command <<<
    touch started
    sleep 1
  >>>
  output { Int n = 1 }
}
task u {
  input { Int n }
  command <<< echo ok >>>
  output { String s = read_string(stdout()) }
}
workflow w {
  call t
  call u { input: n = t.n }
  output { String s = u.s }
}
"#;
        let dir = project(&[("t.wdl", wdl)]);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let run_dir = dir.path().join("run");
        let mut child = ferry_as_nobody(dir.path(), &["t.wdl"], &run_dir)
            .stdout(std::process::Stdio::piped())
            .env("FERRY_LOG", "info")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("setpriv runs ferry");
        let started = run_dir.join("calls/t/attempt-1/work/started");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !started.exists() {
            if std::time::Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                let _ = child.kill();
                let out = child.wait_with_output().expect("ferry output");
                panic!(
                    "the first task never started: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let launcher = processes_with_pids(&format!("launch {}", run_dir.display()));
        assert_eq!(launcher.len(), 1, "one launcher: {launcher:?}");
        ForkLimited {
            _dir: dir,
            run_dir,
            child,
            launcher: launcher[0],
        }
    }

    /// Sets the launcher's soft RLIMIT_NPROC, as nobody too (root may lack CAP_SYS_RESOURCE
    /// for another user's process).
    fn limit_processes(&self, limit: &str) {
        let pid = self.launcher.to_string();
        let out = as_nobody("prlimit")
            .args(["--pid", &pid, &format!("--nproc={limit}:")])
            .output()
            .expect("prlimit runs");
        assert!(
            out.status.success(),
            "prlimit --pid {pid} --nproc={limit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// SIGTERM while a task waits for a fork (the machine is out of processes, exactly when users
/// press Ctrl-C): the waiting launch is answered "cancelled" and the run ends at once (it used
/// to be dropped without a reply, and the run hung until a second signal).
#[test]
fn sigterm_while_a_fork_waits_ends_the_run() {
    let mut run = ForkLimited::start();
    run.limit_processes("1");
    // The first task ends after 1 s; the second then waits for a fork.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(!run.run_dir.join("calls/u/attempt-1/stdout").exists());
    // SAFETY: signals the ferry this test started (setpriv execs it).
    unsafe { libc::kill(run.child.id() as i32, libc::SIGTERM) };
    let t = std::time::Instant::now();
    let code = loop {
        if let Some(status) = run.child.try_wait().expect("wait") {
            break status.code();
        }
        if t.elapsed() > std::time::Duration::from_secs(20) {
            let _ = run.child.kill();
            panic!("ferry did not end 20 s after SIGTERM while a fork waited");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = run.child.wait_with_output().expect("output");
    assert_eq!(code, Some(143), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A task whose outputs are links it made to its own inputs (a file and a directory) gets them
/// published with the inputs' content: nothing replaced them after the task finished, which
/// is what the check above refuses.
#[test]
fn outputs_that_link_to_the_tasks_own_inputs_are_published() {
    let wdl = r#"version 1.2
task t {
  input { File f  Directory d }
  command <<< ln -s '~{f}' link.txt; ln -s '~{d}' linkdir >>>
  output { File o = "link.txt"  Directory od = "linkdir" }
}
"#;
    let dir = project(&[("t.wdl", wdl), ("in.txt", "data\n"), ("indir/a", "x\n")]);
    let r = run(dir.path(), "t.wdl", &["t.f=in.txt", "t.d=indir"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.outputs();
    let o = out["t.o"].as_str().expect("t.o");
    assert_eq!(std::fs::read_to_string(o).expect("o"), "data\n");
    assert!(
        !std::fs::symlink_metadata(o)
            .expect("o")
            .file_type()
            .is_symlink()
    );
    let od = out["t.od"].as_str().expect("t.od");
    assert_eq!(
        std::fs::read_to_string(std::path::Path::new(od).join("a")).expect("od/a"),
        "x\n"
    );
}
