//! End-to-end: the engine is killed, stopped, hung up on, resumed at once, or run twice on one
//! directory, and the run still ends right (the crash-only promises). Each test runs the real
//! `ferry` binary; the random-moment version of these is `scripts/fault-injection.py`.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::procs::{assert_gone_soon, processes_with, processes_with_pids, wait_for_processes};
use common::project;

/// `ferry run WDL ARGS --run-dir RUN` in `dir`, in the background.
fn spawn_run(dir: &Path, wdl: &str, args: &[&str], run_dir: &Path) -> Child {
    common::ferry()
        .current_dir(dir)
        .args(["run", wdl])
        .args(args)
        .arg("--run-dir")
        .arg(run_dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("FERRY_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferry starts")
}

/// Waits until `path` exists (at most 30 s).
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` to exit, at most `limit`; a run still going then is killed and the test
/// fails (a hang is the bug these tests look for). Returns (exit code, stdout, stderr).
fn finish_within(mut child: Child, limit: Duration) -> (i32, String, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "ferry did not end within {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let code = std::os::unix::process::ExitStatusExt::signal(&out.status)
        .map_or(out.status.code().unwrap_or(-1), |s| 128 + s);
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: signals a child this test started.
    unsafe { libc::kill(child.id() as i32, sig) };
}

fn resume(dir: &Path, wdl: &str, args: &[&str], run_dir: &Path) -> (i32, String, String) {
    finish_within(
        spawn_run(dir, wdl, &[args, &["--resume"]].concat(), run_dir),
        Duration::from_secs(120),
    )
}

const SLEEPER: &str = r#"version 1.1
task t {
  input { String tag }
  command <<<
    touch started
    sleep ~{tag}
    echo done
  >>>
  output { String o = read_string(stdout()) }
}
"#;

/// A second engine on a run directory that a live run is using exits 2 at once, naming the
/// live engine's pid, and leaves the live run's tasks alone.
#[test]
fn a_second_engine_on_a_live_run_directory_exits_2_naming_the_pid() {
    let dir = project(&[("t.wdl", SLEEPER)]);
    let run_dir = dir.path().join("run");
    let first = spawn_run(dir.path(), "t.wdl", &["t.tag=30.0711"], &run_dir);
    wait_for(&run_dir.join("calls/t/attempt-1/work/started"));
    let t = Instant::now();
    let (code, _, stderr) = resume(dir.path(), "t.wdl", &["t.tag=30.0711"], &run_dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(t.elapsed() < Duration::from_secs(10), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.id())),
        "names the live engine: {stderr}"
    );
    assert_eq!(
        processes_with("sleep 30.0711").len(),
        1,
        "the live run's task was left alone"
    );
    signal(&first, libc::SIGTERM);
    let (code, _, stderr) = finish_within(first, Duration::from_secs(30));
    assert_eq!(code, 143, "{stderr}");
}

/// A closed terminal (SIGHUP) stops the run like SIGTERM: tasks stopped, `state` cancelled,
/// exit 129; a resume then finishes it.
#[test]
fn sighup_stops_the_run_like_sigterm() {
    let dir = project(&[("t.wdl", SLEEPER)]);
    let run_dir = dir.path().join("run");
    let child = spawn_run(dir.path(), "t.wdl", &["t.tag=30.0712"], &run_dir);
    wait_for(&run_dir.join("calls/t/attempt-1/work/started"));
    signal(&child, libc::SIGHUP);
    let (code, _, stderr) = finish_within(child, Duration::from_secs(30));
    assert_eq!(code, 129, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(run_dir.join("state")).expect("state"),
        "cancelled\n"
    );
    assert_eq!(processes_with("sleep 30.0712"), Vec::<String>::new());
    let (code, stdout, stderr) = resume(dir.path(), "t.wdl", &["t.tag=0.01"], &run_dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("done"), "{stdout}");
}

const SCATTER: &str = r#"version 1.1
task sq {
  input { Int i  String log  Float pause }
  command <<<
    echo "start ~{i}" >> '~{log}'
    sleep ~{pause}
    echo $(( ~{i} * ~{i} ))
  >>>
  output { Int o = read_int(stdout()) }
  runtime { cpu: 0.05  memory: "4 MiB" }
}
workflow w {
  input { Int n  String log  Float pause }
  scatter (i in range(n)) {
    call sq { input: i = i, log = log, pause = pause }
  }
  output { Array[Int] squares = sq.o }
}
"#;

fn squares(n: i64) -> serde_json::Value {
    serde_json::json!((0..n).map(|i| i * i).collect::<Vec<_>>())
}

/// `kill -9` and then `--resume` at once, again and again: the stopped run's launcher is still
/// killing its tasks when the new engine starts, and must not kill the new run's (it once
/// did, by their shared marker). The resume waits for the run directory's lock instead.
#[test]
fn resume_right_after_kill_9_never_loses_the_new_runs_tasks() {
    let dir = project(&[("w.wdl", SCATTER)]);
    for round in 0..6 {
        let run_dir = dir.path().join(format!("run{round}"));
        let log = dir.path().join(format!("log{round}"));
        let args = [
            "w.n=60".to_string(),
            format!("w.log={}", log.display()),
            "w.pause=0.3".to_string(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = spawn_run(dir.path(), "w.wdl", &args, &run_dir);
        // Killed while tens of tasks run.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::fs::read_to_string(&log)
            .map(|l| l.lines().count())
            .unwrap_or(0)
            < 20
        {
            assert!(
                Instant::now() < deadline,
                "round {round}: tasks never started"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        let (code, stdout, stderr) = resume(dir.path(), "w.wdl", &args, &run_dir);
        assert_eq!(code, 0, "round {round}: {stderr}");
        let outputs: serde_json::Value = serde_json::from_str(&stdout).expect("outputs");
        assert_eq!(outputs["w.squares"], squares(60), "round {round}");
    }
}

/// The engine stopped (Ctrl-Z, a debugger) while hundreds of tasks end: the launcher keeps
/// every exit report until the engine reads again, and the run finishes (it used to drop
/// them after 10 s and wait for ever).
#[test]
fn an_engine_stopped_while_hundreds_of_tasks_end_loses_no_exit_report() {
    let dir = project(&[("w.wdl", SCATTER)]);
    let run_dir = dir.path().join("run");
    let log = dir.path().join("log");
    let n = 400;
    let args = [
        format!("w.n={n}"),
        format!("w.log={}", log.display()),
        "w.pause=2.0713".to_string(),
        "w.sq.runtime.cpu=0.001".to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = spawn_run(dir.path(), "w.wdl", &args, &run_dir);
    // Half of them at once is hundreds: the first end before the last start when launching
    // is slow (a loaded machine).
    let started = wait_for_processes("sleep 2.0713", n / 2);
    if started < n / 2 {
        let _ = child.kill();
        let out = child.wait_with_output().expect("ferry exits");
        panic!(
            "only {started} tasks started; ferry said:\n{}\nlog: {:?}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).map(|l| l.lines().count())
        );
    }
    signal(&child, libc::SIGSTOP);
    std::thread::sleep(Duration::from_secs(12));
    signal(&child, libc::SIGCONT);
    let (code, stdout, stderr) = finish_within(child, Duration::from_secs(60));
    assert_eq!(code, 0, "{stderr}");
    let outputs: serde_json::Value = serde_json::from_str(&stdout).expect("outputs");
    assert_eq!(outputs["w.squares"], squares(n as i64));
}

/// A task that reads the terminal gets an error (it has none: its own session) instead of
/// stopping the run for ever (a background process group reading its terminal is stopped).
#[test]
fn a_task_that_reads_the_terminal_does_not_stop_the_run() {
    let wdl = r#"version 1.1
task t {
  command <<<
    if read -r line < /dev/tty; then echo "read $line"; else echo no-terminal; fi
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let run_dir = dir.path().join("run");
    let command = format!(
        "{} run t.wdl --run-dir {} > out.json",
        env!("CARGO_BIN_EXE_ferry"),
        run_dir.display()
    );
    // `script` gives ferry a terminal of its own, as an interactive shell would.
    let child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let (code, stdout, stderr) = finish_within(child, Duration::from_secs(30));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let out = std::fs::read_to_string(dir.path().join("out.json")).expect("outputs");
    assert!(out.contains("no-terminal"), "{out}");
}

/// The resume sweep finds what a stopped run's tasks left running however the run directory
/// is spelled: by the run id persisted in it, not by its path.
#[test]
fn the_resume_sweep_does_not_depend_on_how_the_run_directory_is_spelled() {
    let dir = project(&[("t.wdl", SLEEPER)]);
    std::fs::create_dir(dir.path().join("real")).expect("mkdir");
    std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("alias")).expect("ln");
    let via_link = dir.path().join("alias/run");
    let mut child = spawn_run(dir.path(), "t.wdl", &["t.tag=30.0714"], &via_link);
    wait_for(&via_link.join("calls/t/attempt-1/work/started"));
    wait_for_processes("sleep 30.0714", 1);
    // The launcher too, so that the task's sleep survives both. The engine is stopped
    // first: it replaces a launcher that dies alone after killing what that left.
    signal(&child, libc::SIGSTOP);
    for pid in processes_with_pids(&format!("launch {}", via_link.display())) {
        // SAFETY: kills the launcher of the run this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(processes_with("sleep 30.0714").len(), 1, "left running");
    let real = dir.path().join("real/run");
    let (code, _, stderr) = resume(dir.path(), "t.wdl", &["t.tag=0.01"], &real);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("killed 1 process(es)"), "{stderr}");
    assert_eq!(processes_with("sleep 30.0714"), Vec::<String>::new());
}

/// The launcher killed on its own while the engine runs: the attempts it ran are run again by
/// a new launcher (not counted as retries), what they left is killed, and the run succeeds.
#[test]
fn a_launcher_killed_alone_is_replaced_and_its_attempts_run_again() {
    let wdl = r#"version 1.1
task t {
  command <<<
    touch started
    if [ ! -e ../../../../once ]; then touch ../../../../once; sleep 30.0715; fi
    echo done
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let run_dir = dir.path().join("run");
    let child = spawn_run(dir.path(), "t.wdl", &[], &run_dir);
    wait_for(&run_dir.join("calls/t/attempt-1/work/started"));
    wait_for_processes("sleep 30.0715", 1);
    let launchers = processes_with_pids(&format!("launch {}", run_dir.display()));
    assert_eq!(launchers.len(), 1, "{launchers:?}");
    // SAFETY: kills the launcher of the run this test started.
    unsafe { libc::kill(launchers[0], libc::SIGKILL) };
    let (code, stdout, stderr) = finish_within(child, Duration::from_secs(60));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("done"), "{stdout}");
    assert!(stderr.contains("a new launcher"), "{stderr}");
    assert_gone_soon("sleep 30.0715");
}

/// A `ferry-launch` of another build beside `ferry` (one that does not greet with this
/// protocol) is refused at once with a message, instead of silently dropping requests.
#[test]
fn a_launcher_from_another_build_is_refused_with_a_message() {
    let dir = project(&[("t.wdl", SLEEPER)]);
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    std::fs::copy(env!("CARGO_BIN_EXE_ferry"), bin.join("ferry")).expect("cp ferry");
    // An older launcher says nothing first and waits for requests.
    std::fs::write(bin.join("ferry-launch"), "#!/bin/sh\nexec sleep 60.0716\n").expect("write");
    Command::new("chmod")
        .args(["755"])
        .arg(bin.join("ferry-launch"))
        .status()
        .expect("chmod");
    let child = Command::new(bin.join("ferry"))
        .current_dir(dir.path())
        .args(["run", "t.wdl", "t.tag=0.01", "--run-dir"])
        .arg(dir.path().join("run"))
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferry starts");
    let (code, _, stderr) = finish_within(child, Duration::from_secs(30));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not from this build"), "{stderr}");
    assert_gone_soon("sleep 60.0716");
}

/// Descriptors the engine inherited (an open file of the shell that started it) reach neither
/// the launcher nor the tasks.
#[test]
fn descriptors_the_engine_inherited_do_not_reach_tasks() {
    let wdl = r#"version 1.1
task t {
  command <<<
    ls /proc/$$/fd | tr '\n' ' '
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let command = format!(
        "exec 7> held; exec {} run t.wdl --run-dir run",
        env!("CARGO_BIN_EXE_ferry")
    );
    let out = Command::new("bash")
        .args(["-c", &command])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("bash runs ferry");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs: serde_json::Value = serde_json::from_str(&stdout).expect("outputs");
    let fds: Vec<&str> = outputs["t.o"]
        .as_str()
        .expect("o")
        .split_whitespace()
        .collect();
    assert!(
        !fds.contains(&"7"),
        "descriptor 7 reached the task: {fds:?}"
    );
}

/// `ferry runs` tells a run whose engine was killed (its `state` still says running) from a
/// live one, and a reader that closes the pipe early (`| head`) is no panic.
#[test]
fn ferry_runs_shows_a_killed_run_as_stopped_and_survives_a_closed_pipe() {
    let dir = project(&[("t.wdl", SLEEPER)]);
    let runs = dir.path().join("runs");
    let killed = runs.join("killed");
    let live = runs.join("live");
    let mut child = spawn_run(dir.path(), "t.wdl", &["t.tag=30.0717"], &killed);
    wait_for(&killed.join("calls/t/attempt-1/work/started"));
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let other = spawn_run(dir.path(), "t.wdl", &["t.tag=30.0718"], &live);
    wait_for(&live.join("calls/t/attempt-1/work/started"));
    // Its launcher may still be cleaning up for a moment.
    assert_gone_soon("sleep 30.0717");
    let out = common::ferry()
        .args(["runs"])
        .arg(&runs)
        .output()
        .expect("ferry runs");
    let listing = String::from_utf8_lossy(&out.stdout);
    let status = |name: &str| {
        listing
            .lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .and_then(|l| l.split('\t').nth(1))
            .map(str::to_string)
    };
    assert_eq!(status("killed").as_deref(), Some("stopped"), "{listing}");
    assert_eq!(status("live").as_deref(), Some("running"), "{listing}");
    // More than a pipe holds, so that `head` is gone before the listing ends.
    for i in 0..1500 {
        let d = runs.join(format!("finished-{i:04}-{}", "x".repeat(60)));
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("state"), "succeeded\n").expect("state");
    }
    let piped = Command::new("bash")
        .args([
            "-c",
            &format!(
                "set -o pipefail; {} runs {} | head -c 1 > /dev/null",
                env!("CARGO_BIN_EXE_ferry"),
                runs.display()
            ),
        ])
        .output()
        .expect("bash");
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(piped.status.success(), "{stderr}");
    signal(&other, libc::SIGTERM);
    finish_within(other, Duration::from_secs(30));
}

/// A chain of declarations that each double a value reaches any size in a few dozen steps:
/// every value-building function (and `+`) stops at Ferry's limit with the WDL location and
/// the run fails in order (`state` failed), instead of the engine aborting out of memory.
#[test]
fn values_that_grow_without_bound_fail_with_their_location() {
    for (name, decl, step) in [
        ("sep", "String", "sep(\"\", [v{p}, v{p}])"),
        ("flatten", "Array[String]", "flatten([v{p}, v{p}])"),
        ("prefix", "Array[String]", "prefix(sep(\"\", v{p}), v{p})"),
        ("plus", "String", "v{p} + v{p}"),
    ] {
        let start = if decl == "String" {
            "\"0123456789abcdef\""
        } else {
            "[\"0123456789abcdef\", \"x\"]"
        };
        let mut wdl = format!("version 1.1\nworkflow w {{\n  {decl} v0 = {start}\n");
        for i in 1..48 {
            let expr = step.replace("{p}", &(i - 1).to_string());
            wdl.push_str(&format!("  {decl} v{i} = {expr}\n"));
        }
        wdl.push_str("  output { Int n = length([v47]) }\n}\n");
        let dir = project(&[("w.wdl", &wdl)]);
        let r = common::run(dir.path(), "w.wdl", &[]);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains("w.wdl:"),
            "{name}: no location: {}",
            r.stderr
        );
        assert!(r.stderr.contains("limit"), "{name}: {}", r.stderr);
        assert_eq!(
            std::fs::read_to_string(r.run_dir.join("state")).expect("state"),
            "failed\n",
            "{name}"
        );
    }
}

/// Ferry ends its launcher at the end of every run: that is no failure to report.
#[test]
fn a_finished_run_reports_no_lost_launcher() {
    let dir = project(&[("t.wdl", SLEEPER)]);
    let r = common::run(dir.path(), "t.wdl", &["t.tag=0.01"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("launcher has ended"), "{}", r.stderr);
}
