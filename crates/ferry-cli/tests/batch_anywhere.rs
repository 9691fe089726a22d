//! Batch runs that outlive their machine (on moto, as `batch.rs`): the run's state lives in its
//! work directory in S3, so `ferry run WF --resume RUN_ID` on another machine (here: another
//! directory and home, the first ones deleted) rebuilds the run and adopts its jobs; a lease there
//! keeps two engines from driving one run.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::aws::aws_env;
use common::batch::BatchTest;

const THREE_STEPS: &str = r#"
version 1.1
task step {
  input { Int x  Int secs }
  command <<< sleep ~{secs}; echo $(( ~{x} + 1 )) > out.txt >>>
  output { Int y = read_int("out.txt") }
  runtime { container: "local/busybox:1" }
}
workflow three {
  input { Int start }
  call step as one { input: x = start, secs = 0 }
  call step as two { input: x = one.y, secs = 25 }
  call step as last { input: x = two.y, secs = 0 }
  output { Int z = last.y }
}
"#;

/// `ferry run` of the project's workflow from `cwd`, with a home of its own (nothing of another
/// machine's: no cache, no configuration but the project's file).
fn engine(t: &BatchTest, cwd: &Path, args: &[&str]) -> Command {
    engine_with(t, cwd, "aws", args)
}

fn engine_with(t: &BatchTest, cwd: &Path, profiles: &str, args: &[&str]) -> Command {
    std::fs::create_dir_all(cwd.join("home")).unwrap();
    let mut cmd = common::ferry();
    aws_env(&mut cmd);
    cmd.current_dir(cwd)
        .env("HOME", cwd.join("home"))
        .env("XDG_CACHE_HOME", cwd.join("home/.cache"))
        .env("FERRY_LOG", "info")
        .args(["run", "--profile", profiles, "--config"])
        .arg(t.path().join("ferry.toml"))
        .arg(t.path().join("w.wdl"))
        .args(args);
    cmd
}

fn wait_for(what: &str, deadline: Instant, mut done: impl FnMut() -> bool) {
    while !done() {
        assert!(Instant::now() < deadline, "{what}: timed out");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The machine that started a three-step run is lost (`kill -9` while the second step runs; its
/// run directory, home and cache deleted). On another machine, `--resume RUN_ID` rebuilds the
/// run from the work directory: the first step is adopted, not submitted again, the second
/// step's job (still running) is waited for, the third runs, the outputs are right. A third
/// engine on the same run id meanwhile refuses, naming the one that drives it.
#[test]
fn a_run_resumes_by_id_on_another_machine_and_a_second_engine_refuses() {
    let t = BatchTest::with_profile(&[], "lease_ttl = \"6s\"");
    t.write("w.wdl", THREE_STEPS);
    let first = t.path().join("laptop");
    let mut laptop = engine(&t, &first, &["start=1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    wait_for("the second step's job running", deadline, || {
        let jobs = t.jobs();
        jobs.iter().any(|(_, s)| s == "SUCCEEDED") && jobs.iter().any(|(_, s)| s == "RUNNING")
    });
    // The run directory is the default one, under the laptop's ./ferry-runs.
    let run_dir = std::fs::read_dir(first.join("ferry-runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let run_id = std::fs::read_to_string(run_dir.join("run-id"))
        .unwrap()
        .trim()
        .to_string();
    laptop.kill().unwrap();
    laptop.wait().unwrap();
    std::fs::remove_dir_all(&first).unwrap();

    // `ferry runs --profile aws` from anywhere lists it.
    let elsewhere = t.path().join("elsewhere");
    let listed = {
        let mut cmd = common::ferry();
        aws_env(&mut cmd);
        std::fs::create_dir_all(&elsewhere).unwrap();
        cmd.current_dir(&elsewhere)
            .args(["runs", "--profile", "aws", "--config"])
            .arg(t.path().join("ferry.toml"))
            .output()
            .unwrap()
    };
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(
        listing.contains(&run_id) && listing.contains("running"),
        "{listing}"
    );

    let second = t.path().join("head-node");
    let resumed: Child = engine(&t, &second, &["--resume", &run_id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rebuilt = second.join("ferry-runs").join(&run_id);
    wait_for("the run rebuilt", deadline, || {
        rebuilt.join("run-id").exists()
    });
    // A third engine on the same run while the second drives it.
    let third = engine(&t, &t.path().join("intruder"), &["--resume", &run_id])
        .output()
        .unwrap();
    let refused = String::from_utf8_lossy(&third.stderr);
    assert_eq!(third.status.code(), Some(2), "{refused}");
    assert!(
        refused.contains(&format!("pid {} on", resumed.id())),
        "the refusal names the engine that drives the run: {refused}"
    );

    let out = resumed.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["three.z"], 4, "{stderr}");
    // one, two (adopted while it ran) and last: three submissions in all.
    assert_eq!(t.calls("submitjob"), 3, "{stderr}");
    assert!(
        stderr.contains("job(s) of an earlier engine of this run are still queued or running"),
        "{stderr}"
    );
    // The lease was given back and the pointer says how the run ended.
    let listed = {
        let mut cmd = common::ferry();
        aws_env(&mut cmd);
        cmd.current_dir(&elsewhere)
            .args(["runs", "--profile", "aws", "--config"])
            .arg(t.path().join("ferry.toml"))
            .output()
            .unwrap()
    };
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listing.contains("succeeded"), "{listing}");
    t.assert_every_job_ends(&stderr);
}

const CHAIN: &str = r#"
version 1.1
task make {
  input { Int x }
  command <<< echo ~{x} > n.txt >>>
  output { File f = "n.txt" }
  runtime { container: "local/busybox:1" }
}
task add {
  input { File f }
  command <<< echo $(( $(cat ~{f}) + 1 )) >>>
  output { Int y = read_int(stdout()) }
  runtime { container: "local/busybox:1" }
}
workflow chain {
  input { Int start }
  call make { input: x = start }
  call add { input: f = make.f }
  output { Int y = add.y  File f = make.f }
}
"#;

/// A call cache in the work directory's bucket (`cache_dir = "s3://…"`), keyed by a file both
/// users have: a second user on another machine (another home, nothing local of the first's)
/// gets every call of the same workflow from it and submits nothing; an entry in the store the
/// key does not authenticate (forged, or written with another key) is ignored, never used.
#[test]
fn a_second_user_gets_every_call_from_the_shared_cache_and_a_forged_entry_is_ignored() {
    let t = BatchTest::new(&[]);
    t.write("w.wdl", CHAIN);
    let key = t.path().join("cache.key");
    std::fs::write(
        &key,
        "5f0e7d9c3b1a2f4e6d8c0b9a7f5e3d1c2b4a6f8e0d9c7b5a3f1e2d4c6b8a0f9e\n",
    )
    .unwrap();
    let toml = std::fs::read_to_string(t.path().join("ferry.toml")).unwrap();
    std::fs::write(
        t.path().join("ferry.toml"),
        format!(
            "{toml}\n[profiles.shared]\ncache_dir = \"s3://{}/cache/\"\ncache_key_file = \"{}\"\n",
            t.bucket,
            key.display()
        ),
    )
    .unwrap();
    let first = engine_with(&t, &t.path().join("alice"), "aws,shared", &["start=41"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    let o: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(o["chain.y"], 42, "{stderr}");
    let submitted = t.calls("submitjob");
    assert_eq!(submitted, 2, "{stderr}");

    // In the store beside the real entries: one whose MAC no key of ours made, claiming a call
    // of another workflow (its outputs would be whatever its writer chose).
    let forged = format!(
        "{} {{\"v\":2,\"key\":\"{}\",\"task\":\"make\",\"recorded\":1,\"outputs\":{{\"f\":\"/etc/passwd\"}},\"files\":[]}}\n",
        "0".repeat(64),
        "1".repeat(64)
    );
    let forged_file = t.path().join("forged.log");
    std::fs::write(&forged_file, forged).unwrap();
    common::batch::s3(&[
        "put",
        &t.bucket,
        "cache/segments/0000000000001-forged.log",
        &forged_file.to_string_lossy(),
    ]);

    let second = engine_with(&t, &t.path().join("bob"), "aws,shared", &["start=41"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    let o: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(o["chain.y"], 42, "{stderr}");
    assert_eq!(
        t.calls("submitjob"),
        submitted,
        "bob submitted jobs: {stderr}"
    );
    assert!(stderr.contains("2 calls reused from the cache"), "{stderr}");
    assert!(
        stderr.contains("1 entr(y/ies) the key does not authenticate, ignored"),
        "{stderr}"
    );
    // Bob's published file is Alice's job's object, copied to his run's outputs.
    let f = o["chain.f"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(f).unwrap().trim(), "41", "{stderr}");
}

/// `ferry status RUN_ID` and `ferry cancel RUN_ID` from another machine: the status shows the
/// engine and each call's progress; the cancel stops the run where its engine runs, as Ctrl-C
/// would (its job terminated), and the run's pointer says it was cancelled.
#[test]
fn status_follows_a_run_and_cancel_stops_it_from_anywhere() {
    let t = BatchTest::new(&[]);
    t.write("w.wdl", &THREE_STEPS.replace("secs = 25", "secs = 300"));
    let laptop = t.path().join("laptop");
    let engine = engine(&t, &laptop, &["start=1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    wait_for("the second step's job running", deadline, || {
        t.jobs().iter().any(|(_, s)| s == "RUNNING")
    });
    let run_dir = std::fs::read_dir(laptop.join("ferry-runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let run_id = std::fs::read_to_string(run_dir.join("run-id"))
        .unwrap()
        .trim()
        .to_string();
    let elsewhere = t.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let ferry = |what: &str| {
        let mut cmd = common::ferry();
        aws_env(&mut cmd);
        let out = cmd
            .current_dir(&elsewhere)
            .args([what, &run_id, "--profile", "aws", "--config"])
            .arg(t.path().join("ferry.toml"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // The progress goes up every 5 s.
    let mut status = String::new();
    wait_for(
        "the status showing the second step running",
        deadline,
        || {
            status = ferry("status").1;
            status.contains("two 0/1 done (1 running")
        },
    );
    assert!(status.contains(": running"), "{status}");
    assert!(
        status.contains(&format!("pid {} on", engine.id())),
        "{status}"
    );
    assert!(status.contains("one 1/1 done"), "{status}");
    let (code, _, said) = ferry("cancel");
    assert_eq!(code, Some(0), "{said}");
    let out = engine.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("`ferry cancel` from"), "{stderr}");
    let status = ferry("status").1;
    assert!(status.contains(": cancelled"), "{status}");
    assert!(status.contains("engine: none holds the run"), "{status}");
    let (code, _, said) = ferry("cancel");
    assert_eq!(
        code,
        Some(1),
        "a cancelled run is not cancelled again: {said}"
    );
    t.assert_every_job_ends(&stderr);
}

/// `ferry run --detach`: the engine itself runs as a Batch job (an image with glibc, `ferry`
/// reaching it through the helper directory) and the laptop gets the run id at once. The
/// engine's job is killed while the second step runs (as a lost host would kill it);
/// `--resume RUN_ID --detach` starts another (as Batch's retry would, moto has none), which
/// takes the run over once the lease lapses, adopts the running step and finishes the run:
/// `ferry status` follows it from another directory to its outputs, and no step was submitted
/// twice.
#[test]
fn a_detached_engine_runs_as_a_batch_job_and_another_resumes_it() {
    let helper = common::standin::engine_helper_dir();
    let t = BatchTest::with_profile(
        &[],
        &format!(
            "lease_ttl = \"4s\"\nengine_image = \"local/samtools:1.16.1\"\nengine_memory = \"1 GiB\"\nhelper_dir = \"{}\"",
            helper.display()
        ),
    );
    t.write("w.wdl", THREE_STEPS);
    let laptop = t.path().join("laptop");
    let detach = |args: &[&str]| {
        let out = engine(&t, &laptop, &[args, &["--detach"]].concat())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, run_id, said) = detach(&["start=1"]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("detached: its engine is Batch job"), "{said}");
    assert!(
        !laptop.join("ferry-runs").exists(),
        "a detached run keeps nothing on the laptop"
    );
    let elsewhere = t.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let status = || {
        let mut cmd = common::ferry();
        aws_env(&mut cmd);
        let out = cmd
            .current_dir(&elsewhere)
            .args(["status", &run_id, "--profile", "aws", "--config"])
            .arg(t.path().join("ferry.toml"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut shown = String::new();
    // What the engine's container said, for a failure's message.
    let engine_log = || {
        let ids = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("name=ferry-engine-{run_id}"),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&ids.stdout)
            .split_whitespace()
            .map(|id| {
                let out = Command::new("docker").args(["logs", id]).output().unwrap();
                String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr)
            })
            .collect::<String>()
    };
    while !shown.contains("two 0/1 done (1 running") {
        assert!(
            Instant::now() < deadline,
            "the detached engine never ran the second step:\n{shown}\n{}",
            engine_log()
        );
        std::thread::sleep(Duration::from_millis(500));
        shown = status();
    }
    assert!(shown.contains(": running"), "{shown}");
    assert!(
        shown.contains("engine job: ") && shown.contains("RUNNING"),
        "{shown}"
    );

    // The engine's container, killed as a lost host kills it.
    let containers = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("name=ferry-engine-{run_id}"),
        ])
        .output()
        .unwrap();
    let ids = String::from_utf8_lossy(&containers.stdout).to_string();
    assert_eq!(
        ids.split_whitespace().count(),
        1,
        "the engine's container: {ids:?}"
    );
    let killed = Command::new("docker")
        .args(["kill", ids.trim()])
        .output()
        .unwrap();
    assert!(killed.status.success(), "{killed:?}");

    // Another engine job, once the dead engine's lease has lapsed (refused before that).
    let mut again;
    loop {
        again = detach(&["--resume", &run_id]);
        if again.0 == Some(0) || Instant::now() > deadline {
            break;
        }
        assert!(again.2.contains("is being driven by"), "{}", again.2);
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(again.0, Some(0), "{}", again.2);
    assert_eq!(again.1, run_id);
    while !shown.contains(": succeeded") {
        assert!(
            Instant::now() < deadline,
            "the detached run never succeeded:\n{shown}\n{}",
            engine_log()
        );
        std::thread::sleep(Duration::from_millis(500));
        shown = status();
    }
    assert!(shown.contains("\"three.z\": 4"), "{shown}");
    // Two engine jobs, and one, two (adopted by the second engine) and last.
    assert_eq!(t.calls("submitjob"), 5, "{shown}");
    t.assert_every_job_ends(&shown);
}
