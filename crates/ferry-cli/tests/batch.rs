//! The `awsbatch` executor against moto (AWS Batch on 127.0.0.1:5002 and S3 on 127.0.0.1:5001,
//! started by `scripts/test.sh` through `scripts/services/moto-up.sh` with
//! `MOTO_DOCKER_NETWORK_MODE=host`), which runs each job as a real container on the local Docker
//! daemon. Batch requests go through our logging proxy
//! (`fixtures/s3proxy.py`), which counts them and can answer some with 429. The `ferry-stage`
//! helper is built static by `scripts/build-stage-helper.sh` and reaches the containers through
//! a host volume, as on real Batch instances.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::aws::{MOTO_BATCH, fixture_at, unique};
use common::batch::{BatchTest, s3};
use common::standin::repo;

const SQUARES: &str = r#"
version 1.1
task sq {
  input { Int x }
  command <<< echo $(( ~{x} * ~{x} )) > out.txt >>>
  output { Int y = read_int("out.txt") }
  runtime { container: "local/busybox:1"  cpu: 1  memory: "64 MiB"  maxRetries: 2 }
}
workflow squares {
  input { Int n }
  scatter (i in range(n)) { call sq { input: x = i } }
  output { Int total = (n - 1) * n * (2 * n - 1) / 6  Array[Int] ys = sq.y }
}
"#;

#[test]
fn a_wide_scatter_is_one_array_job_in_a_busybox_image() {
    let t = BatchTest::new(&[]);
    t.write("squares.wdl", SQUARES);
    t.write("n.json", r#"{"squares.n": 100}"#);
    // Polling every 2 s, so that a call per shard would show above the bound below.
    let r = t.run_with(
        "squares.wdl",
        &["-i", "n.json"],
        &[("FERRY_POLL_INTERVAL", "2s")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ys = r.outputs()["squares.ys"].clone();
    let ys: Vec<i64> = serde_json::from_value(ys).unwrap();
    assert_eq!(ys, (0..100).map(|i| i * i).collect::<Vec<i64>>());
    // One SubmitJob for 100 shards, and polling that does not grow with them. moto sometimes
    // loses a child (its Docker calls time out with many containers starting at once): those
    // are retried, together, as one more array per wave.
    assert!(r.stderr.contains("submitted 100 shards"), "{}", r.stderr);
    let waves = r.stderr.matches("submitted ").count();
    assert_eq!(t.calls("submitjob"), waves, "{:#?}", t.proxy.requests());
    let retried = r.stderr.matches("retrying").count();
    assert!(waves == 1 || retried > 0, "{}", r.stderr);
    let describes = t.calls("describejobs");
    let lists = t.calls("listjobs");
    assert!(
        describes + lists < 100,
        "{describes} DescribeJobs, {lists} ListJobs"
    );
    // Each shard's files are known on this machine (stubs of the objects the jobs wrote).
    let calls = r.run_dir.join("calls/sq");
    let mirrored = std::fs::read_dir(&calls)
        .unwrap()
        .flatten()
        .filter(|a| {
            a.file_name()
                .to_string_lossy()
                .starts_with("shard-99.attempt-")
        })
        .any(|a| a.path().join("work/out.txt").is_file());
    assert!(
        mirrored,
        "nothing mirrored for shard 99 in {}",
        calls.display()
    );
}

#[test]
fn the_variant_calling_example_runs_on_batch_with_inputs_in_s3() {
    let t = BatchTest::new(&[]);
    let example = repo().join("examples/variant-calling");
    for f in ["ref.fa", "reads.sam.gz"] {
        let local = example.join("data").join(f);
        s3(&[
            "put",
            &t.bucket,
            &format!("data/{f}"),
            local.to_str().unwrap(),
        ]);
    }
    t.write(
        "inputs.json",
        r#"{"variant_calling.reference": "s3://BUCKET/data/ref.fa",
            "variant_calling.alignments": "s3://BUCKET/data/reads.sam.gz"}"#,
    );
    let run_dir = t.path().join("run");
    let out = t
        .command(
            &example.join("variant_calling.wdl"),
            &["-i", "inputs.json", "--run-dir"],
        )
        .arg(&run_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["variant_calling.n_variants"], 5, "{stderr}");
    // The same calls as the local profile gives: the planted variants, queried with the
    // image's own bcftools.
    let vcf = o["variant_calling.vcf"].as_str().unwrap();
    let bind = format!("{0}:{0}:ro", run_dir.display());
    let calls = Command::new("docker")
        .args(["run", "--rm", "--network", "none", "-v", &bind])
        .args(["local/samtools:1.16.1", "bcftools", "query", "-f"])
        .arg("%CHROM\\t%POS\\t%REF\\t%ALT[\\t%GT]\\n")
        .arg(vcf)
        .output()
        .unwrap();
    let calls = String::from_utf8_lossy(&calls.stdout).to_string();
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        common::planted_variants(&example)
    );
    // The inputs went from S3 to the jobs, never through this machine's object cache.
    assert!(!run_dir.join("objects").exists());
    assert!(stderr.contains("as array job"), "{stderr}");
}

#[test]
fn a_failing_shard_is_retried_and_a_lost_job_names_its_reason() {
    let t = BatchTest::new(&[]);
    t.write(
        "flaky.wdl",
        r#"
version 1.2
task flaky {
  input { Int i }
  command <<<
    if [ ~{i} -eq 2 ] && [ ~{task.attempt} -eq 0 ]; then echo "shard 2 fails once" >&2; exit 3; fi
    echo ~{i}-~{task.attempt}
  >>>
  output { String out = read_string(stdout()) }
  requirements { container: "local/busybox:1"  max_retries: 1 }
}
workflow w {
  scatter (i in range(4)) { call flaky { input: i = i } }
  output { Array[String] outs = flaky.out }
}
"#,
    );
    let r = t.run("flaky.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["w.outs"],
        serde_json::json!(["0-0", "1-0", "2-1", "3-0"])
    );
    assert!(r.stderr.contains("exit code 3"), "{}", r.stderr);

    // An image that cannot be pulled: the job ends without the helper's result. The name is a
    // registry on loopback that refuses, so the daemon's pull never leaves this machine.
    t.write(
        "lost.wdl",
        r#"
version 1.1
task lost {
  command <<< echo never >>>
  runtime { container: "127.0.0.1:9/ferry-missing:1"  maxRetries: 1 }
}
"#,
    );
    let r = t.run("lost.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("without a result"), "{}", r.stderr);
    assert!(r.stderr.contains("attempt 2"), "{}", r.stderr);
    assert!(r.stderr.contains("retrying"), "{}", r.stderr);
}

/// A job's results come back in one `result.json`: small logs inline, a large stdout and a
/// stderr that is not UTF-8 as objects beside it, each byte for byte.
#[test]
fn large_and_binary_logs_come_back_byte_for_byte() {
    let t = BatchTest::new(&[]);
    t.write(
        "logs.wdl",
        r#"
version 1.1
task logs {
  command <<<
    head -c 300000 /dev/zero | tr '\0' 'x'
    printf 'caf\351\n' >&2
    echo small > small.txt
  >>>
  output { String out = read_string(stdout())  File small = "small.txt" }
  runtime { container: "local/busybox:1" }
}
"#,
    );
    let r = t.run("logs.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["logs.out"].as_str().map(str::len),
        Some(300_000),
        "{}",
        r.stderr
    );
    let attempt = r.run_dir.join("calls/logs/attempt-1");
    assert_eq!(
        std::fs::read(attempt.join("stderr")).expect("stderr"),
        b"caf\xe9\n"
    );
    let small = r.outputs()["logs.small"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        std::fs::read_to_string(&small).expect("small.txt"),
        "small\n"
    );
}

/// A scatter of three two-minute jobs (and, with `alone`, one more call beside it), returned
/// once three of its jobs run.
fn spawn_slow_jobs(t: &BatchTest, alone: bool) -> std::process::Child {
    t.write(
        "slow.wdl",
        &format!(
            r#"
version 1.1
task slow {{
  input {{ Int i }}
  command <<< sleep 120 >>>
  runtime {{ container: "local/busybox:1" }}
}}
workflow w {{
  scatter (i in range(3)) {{ call slow {{ input: i = i }} }}
  {}
}}
"#,
            if alone {
                "call slow as alone { input: i = 9 }"
            } else {
                ""
            }
        ),
    );
    let child = t.spawn("slow.wdl");
    let deadline = Instant::now() + Duration::from_secs(60);
    while t.jobs().iter().filter(|(_, s)| s == "RUNNING").count() < 3 {
        assert!(Instant::now() < deadline, "jobs never ran: {:?}", t.jobs());
        std::thread::sleep(Duration::from_millis(500));
    }
    child
}

#[test]
fn ctrl_c_terminates_every_job_it_submitted() {
    let t = BatchTest::new(&[]);
    let mut child = spawn_slow_jobs(&t, true);
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(t.calls("terminatejob") >= 2, "{:#?}", t.proxy.requests());
    t.assert_every_job_ends(&stderr);
}

/// Ctrl-C pressed twice in a row: Ferry does not wait for the orderly stop, but it still
/// terminates every job it submitted before it exits (it used to exit with them running).
#[test]
fn ctrl_c_twice_still_terminates_every_job_before_exiting() {
    let t = BatchTest::new(&[]);
    let mut child = spawn_slow_jobs(&t, false);
    for _ in 0..2 {
        // SAFETY: signalling the child we spawned.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        std::thread::sleep(Duration::from_millis(30));
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("again"), "{stderr}");
    t.assert_every_job_ends(&stderr);
}

/// One task in a container that sleeps for two minutes.
const SLEEPER: &str = r#"
version 1.1
task sleeper {
  command <<< sleep 120 >>>
  runtime { container: "local/busybox:1" }
}
"#;

/// Ctrl-C while a SubmitJob call is under way: Ferry waits for it and terminates the job it
/// created, rather than exiting with that job left running (and billed).
#[test]
fn ctrl_c_during_a_submission_terminates_the_job_it_creates() {
    let t = BatchTest::new(&["--delay-submit", "3"]);
    t.write("sleeper.wdl", SLEEPER);
    let mut child = t.spawn("sleeper.wdl");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !t
        .proxy
        .requests()
        .iter()
        .any(|l| l.starts_with("BEGIN POST /v1/submitjob"))
    {
        assert!(Instant::now() < deadline, "no submission started");
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(t.calls("submitjob"), 1, "{:#?}", t.proxy.requests());
    assert!(
        t.calls("terminatejob") >= 1,
        "{stderr}\n{:#?}",
        t.proxy.requests()
    );
    t.assert_every_job_ends(&stderr);
}

/// A job that DescribeJobs stops returning (Batch forgets jobs; an id can be wrong) fails its
/// attempt as lost after a few polls instead of being waited for forever, and is terminated
/// in case it still runs. (A lost job that did write its `rc` is taken at its word.)
#[test]
fn a_job_batch_no_longer_knows_fails_as_lost() {
    let t = BatchTest::new(&["--forget-jobs"]);
    t.write("sleeper.wdl", SLEEPER);
    let mut child = t.spawn("sleeper.wdl");
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run still waits for a job Batch does not know");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no longer knows job"), "{stderr}");
    t.assert_every_job_ends(&stderr);
}

/// 20 shards on one instance reading one shared input: with `batch.instance_cache` the object
/// is downloaded once (one GET) into the instance's cache and linked into every job; without
/// it, every job downloads it (20 GETs). moto runs every job on this machine, one "instance".
#[test]
fn shards_sharing_an_input_download_it_once_per_instance_with_the_instance_cache() {
    const SHARED: &str = r#"
version 1.1
task count {
  input { File ref  Int i }
  command <<< wc -c < '~{ref}' >>>
  output { Int n = read_int(stdout()) }
  runtime { container: "local/busybox:1"  memory: "64 MiB" }
}
workflow w {
  input { File ref }
  scatter (i in range(20)) { call count { input: ref = ref, i = i } }
  output { Array[Int] ns = count.n }
}
"#;
    let size = 8usize << 20;
    let gets = |cache: bool| -> usize {
        let scratch = tempfile::tempdir().unwrap();
        // (ECS creates a missing host path; moto's Docker bind mounts need it to exist.)
        std::fs::create_dir(scratch.path().join("instance-cache")).unwrap();
        let keys = if cache {
            format!(
                "instance_cache = \"{}\"\ninstance_cache_size = \"1 GiB\"",
                scratch.path().join("instance-cache").display()
            )
        } else {
            String::new()
        };
        let t = BatchTest::with_proxies(&[], Some(&[]), &keys);
        let data = t.path().join("ref.bin");
        std::fs::write(&data, vec![7u8; size]).unwrap();
        s3(&["put", &t.bucket, "inputs/ref.bin", data.to_str().unwrap()]);
        t.write("w.wdl", SHARED);
        let url = format!("s3://{}/inputs/ref.bin", t.bucket);
        let r = t.run("w.wdl", &[&format!("w.ref={url}")]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.outputs()["w.ns"], serde_json::json!(vec![size; 20]));
        let path = format!("GET /{}/inputs/ref.bin ", t.bucket);
        let log = t.s3_proxy.as_ref().unwrap().requests();
        log.iter().filter(|l| l.starts_with(&path)).count()
    };
    assert_eq!(gets(true), 1, "with the instance cache");
    assert_eq!(gets(false), 20, "without it");
}

/// A task given an input from the instance cache cannot change the cached copy: it sees the
/// cache through a read-only mount (jobs run as root, so the file's mode alone would not stop
/// it), and the next job on the instance reads the object's bytes.
#[test]
fn a_task_cannot_write_to_an_input_from_the_instance_cache() {
    const POKE: &str = r#"
version 1.1
task poke {
  input { File ref  Int i }
  command <<<
    if echo changed >> '~{ref}' 2> /dev/null; then echo wrote; else echo refused; fi
    cat '~{ref}'
  >>>
  output { Array[String] seen = read_lines(stdout()) }
  runtime { container: "local/busybox:1"  memory: "64 MiB" }
}
workflow w {
  input { File ref }
  scatter (i in range(2)) { call poke { input: ref = ref, i = i } }
  output { Array[Array[String]] seen = poke.seen }
}
"#;
    let scratch = tempfile::tempdir().unwrap();
    let cache = scratch.path().join("instance-cache");
    std::fs::create_dir(&cache).unwrap();
    let keys = format!(
        "instance_cache = \"{}\"\ninstance_cache_size = \"1 GiB\"",
        cache.display()
    );
    let t = BatchTest::with_proxies(&[], Some(&[]), &keys);
    let data = t.path().join("ref.txt");
    std::fs::write(&data, "original\n").unwrap();
    s3(&["put", &t.bucket, "inputs/ref.txt", data.to_str().unwrap()]);
    t.write("w.wdl", POKE);
    let url = format!("s3://{}/inputs/ref.txt", t.bucket);
    let r = t.run("w.wdl", &[&format!("w.ref={url}")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["w.seen"],
        serde_json::json!([["refused", "original"], ["refused", "original"]]),
        "{}",
        r.stderr
    );
    // The cached copy (among the job's other cached objects) is as it was downloaded.
    let cached: Vec<String> = std::fs::read_dir(cache.join("objects"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|text| text.starts_with("original"))
        .collect();
    assert_eq!(cached, ["original\n"]);
}

/// A request the queue's compute environments can never place (8 vCPU on a queue whose one
/// managed environment grows to 4) fails at once, naming the queue and its limit, and nothing is
/// submitted: it would otherwise sit RUNNABLE until the start timeout.
#[test]
fn a_request_the_queue_cannot_place_fails_before_it_is_submitted() {
    let t = BatchTest::new(&[]);
    let small = unique("ferry-small");
    fixture_at(MOTO_BATCH, "batch.py", &["managed-queue", &small, "4"]);
    t.write(
        "big.wdl",
        "version 1.1\ntask big { command <<< echo hi >>> runtime { container: \"local/busybox:1\"  cpu: 8 } }\n",
    );
    let toml = std::fs::read_to_string(t.path().join("ferry.toml")).unwrap()
        + &format!("[profiles.aws.tasks.\"big\"]\nqueue = \"{small}\"\n");
    std::fs::write(t.path().join("ferry.toml"), toml).unwrap();
    let r = t.run("big.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("queue {small} cannot place a job of 8 vCPU"))
            && r.stderr.contains("at most 4 vCPU"),
        "{}",
        r.stderr
    );
    assert_eq!(t.calls("submitjob"), 0, "{}", r.stderr);
}

/// Holds every new Batch job of moto (the one on 127.0.0.1:5002) in SUBMITTED, through moto's
/// own state manager (its jobs advance one state per tick; a tick count this high is never
/// reached), as Batch holds a job no compute environment can place; restored when dropped.
struct JobsNeverStart;

impl JobsNeverStart {
    fn new() -> JobsNeverStart {
        let out = Command::new("curl")
            .args(["-sf", "-X", "POST", "-d"])
            .arg(r#"{"model_name": "batch::job", "transition": {"progression": "manual", "times": 1000000}}"#)
            .arg(format!("{MOTO_BATCH}/moto-api/state-manager/set-transition"))
            .output()
            .unwrap();
        assert!(out.status.success(), "moto's state manager: {out:?}");
        JobsNeverStart
    }
}

impl Drop for JobsNeverStart {
    fn drop(&mut self) {
        let _ = Command::new("curl")
            .args(["-sf", "-X", "POST", "-d", r#"{"model_name": "batch::job"}"#])
            .arg(format!(
                "{MOTO_BATCH}/moto-api/state-manager/unset-transition"
            ))
            .output();
    }
}

/// A job held unstarted longer than `batch.start_timeout` with no reason (a busy queue, as
/// moto holds it) is waited for, not failed: once moto lets it start, the run succeeds. (A
/// request Batch says can never start still times out: tests/batch_standin.rs.)
#[test]
fn a_job_held_past_the_start_timeout_without_a_reason_is_waited_for() {
    let t = BatchTest::with_profile(&[], "start_timeout = \"2s\"");
    t.write(
        "quick.wdl",
        "version 1.1\ntask quick {\n  command <<< echo done >>>\n  output { String s = read_string(stdout()) }\n  runtime { container: \"local/busybox:1\" }\n}\n",
    );
    let never = JobsNeverStart::new();
    let mut cmd = t.command(&t.path().join("quick.wdl"), &[]);
    let child = cmd
        .env("FERRY_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(8));
    drop(never);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("done"));
    assert!(stderr.contains("a busy queue, waited for"), "{stderr}");
    assert_eq!(t.calls("terminatejob"), 0, "{stderr}");
}

/// What a large or shared Batch account needs on every job, asserted on the requests (moto
/// accepts and ignores most of it): fair-share identifier and priority, cost tags with
/// `propagateTags` (`ferry:run`, `ferry:workflow`, `ferry:call`, the profile's and the task's
/// own; none of the run's on the job definition), the task's `time` as
/// `attemptDurationSeconds`, and per-task job definition options: a role of its own, ulimits,
/// shared memory, privileged, tmpfs, and the profile's CloudWatch log group.
#[test]
fn fair_share_tags_timeouts_and_per_task_job_options_reach_batch() {
    let t = BatchTest::new(&["--log-bodies", "/v1/submitjob,/v1/registerjobdefinition"]);
    let toml = std::fs::read_to_string(t.path().join("ferry.toml")).unwrap();
    let toml = toml.replacen(
        "[profiles.aws.batch]\n",
        "[profiles.aws.batch]\nshare_identifier = \"lab-a\"\nscheduling_priority = 20\nlog_group = \"/ferry/jobs\"\ntags = { project = \"atlas\" }\n",
        1,
    ) + r#"
[profiles.aws.tasks."special"]
time = "2h"
[profiles.aws.tasks."special".batch]
job_role_arn = "arn:aws:iam::123456789012:role/special"
scheduling_priority = 90
tags = { cost_center = "cc-7" }
ulimits = { nofile = "65536:65536" }
shared_memory = "256 MiB"
privileged = false
tmpfs = ["/fast:64 MiB"]
"#;
    std::fs::write(t.path().join("ferry.toml"), toml).unwrap();
    t.write(
        "w.wdl",
        r#"
version 1.1
task plain {
  command <<< echo plain >>>
  output { String s = read_string(stdout()) }
  runtime { container: "local/busybox:1" }
}
task special {
  command <<< echo special >>>
  output { String s = read_string(stdout()) }
  runtime { container: "local/busybox:1" }
}
workflow atlas {
  call plain
  call special
  output { String a = plain.s  String b = special.s }
}
"#,
    );
    let r = t.run("w.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bodies: Vec<(String, serde_json::Value)> = t
        .proxy
        .requests()
        .iter()
        .filter_map(|l| l.strip_prefix("BODY "))
        .filter_map(|l| l.split_once(' '))
        .map(|(path, body)| (path.to_string(), serde_json::from_str(body).unwrap()))
        .collect();
    let submits: Vec<&serde_json::Value> = bodies
        .iter()
        .filter(|(p, _)| p.starts_with("/v1/submitjob"))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(submits.len(), 2, "{bodies:#?}");
    let by_call = |call: &str| {
        *submits
            .iter()
            .find(|b| b["tags"]["ferry:call"] == call)
            .unwrap_or_else(|| panic!("no job tagged ferry:call={call}: {submits:#?}"))
    };
    for (call, priority) in [("plain", 20), ("special", 90)] {
        let b = by_call(call);
        assert_eq!(b["shareIdentifier"], "lab-a", "{b:#}");
        assert_eq!(b["schedulingPriorityOverride"], priority, "{b:#}");
        assert_eq!(b["propagateTags"], true, "{b:#}");
        assert_eq!(b["tags"]["ferry:workflow"], "atlas", "{b:#}");
        assert_eq!(b["tags"]["project"], "atlas", "{b:#}");
        assert!(
            b["tags"]["ferry:run"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "{b:#}"
        );
    }
    let special = by_call("special");
    assert_eq!(special["tags"]["cost_center"], "cc-7");
    assert_eq!(special["timeout"]["attemptDurationSeconds"], 7200);
    assert!(by_call("plain")["timeout"].is_null());
    let definitions: Vec<&serde_json::Value> = bodies
        .iter()
        .filter(|(p, _)| p.starts_with("/v1/registerjobdefinition"))
        .map(|(_, b)| b)
        .collect();
    let own = definitions
        .iter()
        .find(|d| {
            d["containerProperties"]["jobRoleArn"] == "arn:aws:iam::123456789012:role/special"
        })
        .unwrap_or_else(|| panic!("no definition with the task's role: {definitions:#?}"));
    let c = &own["containerProperties"];
    assert_eq!(c["ulimits"][0]["name"], "nofile");
    assert_eq!(c["ulimits"][0]["hardLimit"], 65536);
    assert_eq!(c["linuxParameters"]["sharedMemorySize"], 256);
    assert_eq!(c["linuxParameters"]["tmpfs"][0]["containerPath"], "/fast");
    // (Stated, so sent: this machine's Docker cannot start privileged containers.)
    assert_eq!(c["privileged"], false);
    for d in &definitions {
        assert_eq!(
            d["containerProperties"]["logConfiguration"]["options"]["awslogs-group"],
            "/ferry/jobs"
        );
        assert!(
            d["tags"].get("ferry:run").is_none(),
            "run tags on a definition: {d:#}"
        );
    }
}

/// Cromwell's `gpuCount` is the task's GPU count and `queueArn` its own queue: the SubmitJob
/// carries a GPU resource requirement and names that queue.
#[test]
fn gpu_count_and_queue_arn_reach_the_submission() {
    let t = BatchTest::new(&["--log-bodies", "/v1/submitjob"]);
    let other = unique("ferry-gpu-queue");
    fixture_at(MOTO_BATCH, "batch.py", &["queue", &other]);
    t.write(
        "g.wdl",
        &format!(
            "version 1.0\ntask g {{ command <<< echo hi >>> output {{ String s = read_string(stdout()) }} runtime {{ docker: \"local/busybox:1\"  gpuCount: 1  queueArn: \"{other}\" }} }}\n"
        ),
    );
    let r = t.run("g.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body: serde_json::Value = t
        .proxy
        .requests()
        .iter()
        .find_map(|l| l.strip_prefix("BODY /v1/submitjob "))
        .map(|b| serde_json::from_str(b).unwrap())
        .expect("a SubmitJob body");
    assert_eq!(body["jobQueue"], other.as_str(), "{body:#}");
    let requirements = body["containerOverrides"]["resourceRequirements"]
        .as_array()
        .unwrap();
    assert!(
        requirements
            .iter()
            .any(|r| r["type"] == "GPU" && r["value"] == "1"),
        "{body:#}"
    );
}

/// `max_cpu` clamps each task; it is not the pool of what runs at once on Batch (before,
/// `max_cpu = 2` ran a 12-shard scatter two jobs at a time, as six submissions): the 12 one-cpu
/// shards go out as one array, all in flight together.
#[test]
fn max_cpu_clamps_each_task_but_does_not_bound_what_is_in_flight() {
    let t = BatchTest::new(&[]);
    let toml = std::fs::read_to_string(t.path().join("ferry.toml"))
        .unwrap()
        .replace("[profiles.aws]\n", "[profiles.aws]\nmax_cpu = 2\n");
    std::fs::write(t.path().join("ferry.toml"), toml).unwrap();
    t.write(
        "w.wdl",
        r#"
version 1.1
task nap {
  input { Int i }
  command <<< sleep 2; echo ~{i} >>>
  output { Int o = read_int(stdout()) }
  runtime { container: "local/busybox:1"  cpu: 1  memory: "32 MiB" }
}
workflow w {
  scatter (i in range(12)) { call nap { input: i = i } }
  output { Array[Int] os = nap.o }
}
"#,
    );
    let r = t.run("w.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["w.os"],
        serde_json::json!((0..12).collect::<Vec<_>>())
    );
    assert_eq!(t.calls("submitjob"), 1, "{}", r.stderr);
}

/// A Spot reclaim ("Host EC2 (instance …) terminated.", as Batch says it; moto makes a
/// TerminateJob's reason the status reason) is not a failure of the task: the attempt is retried
/// without touching `maxRetries` (0 here), and, once the task's preemptible budget is spent, on
/// the profile's fallback (on-demand) queue. The log and the journal say "preempted".
#[test]
fn a_spot_reclaim_is_retried_apart_from_max_retries_and_on_the_fallback_queue() {
    let fallback = unique("ferry-ondemand");
    fixture_at(MOTO_BATCH, "batch.py", &["queue", &fallback]);
    let keys = format!("fallback_queue = \"{fallback}\"");
    let t = BatchTest::with_profile(&[], &keys);
    t.write(
        "spot.wdl",
        r#"
version 1.2
task nap {
  command <<<
    sleep ~{if task.attempt == 0 then 120 else 1}
    echo done
  >>>
  output { String s = read_string(stdout()) }
  runtime { container: "local/busybox:1"  maxRetries: 0  preemptible: 1 }
}
"#,
    );
    let child = t
        .command(Path::new("spot.wdl"), &[])
        .env("FERRY_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let running = loop {
        if let Some((id, _)) = t.jobs().into_iter().find(|(_, s)| s == "RUNNING") {
            break id;
        }
        assert!(
            Instant::now() < deadline,
            "the job never ran: {:?}",
            t.jobs()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    fixture_at(
        MOTO_BATCH,
        "batch.py",
        &[
            "terminate",
            &running,
            "Host EC2 (instance i-0123456789abcdef0) terminated.",
        ],
    );
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("was preempted"), "{stderr}");
    assert!(
        stderr.contains(&format!("on the fallback queue {fallback}")),
        "{stderr}"
    );
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["nap.s"], "done");
    // The second attempt ran on the fallback queue.
    let on_fallback =
        String::from_utf8(fixture_at(MOTO_BATCH, "batch.py", &["jobs", &fallback])).unwrap();
    assert!(on_fallback.contains("SUCCEEDED"), "{on_fallback}");
}

/// `batch.scratch`: a job's working directory and its object-store inputs live on the
/// instance's scratch volume (not the container's writable layer), and the job's directory
/// there is removed when it ends.
#[test]
fn jobs_work_on_the_scratch_volume_and_leave_it_clean() {
    let scratch = tempfile::tempdir().unwrap();
    let keys = format!("scratch = \"{}\"", scratch.path().display());
    let t = BatchTest::with_profile(&[], &keys);
    let data = t.path().join("in.txt");
    std::fs::write(&data, "input\n").unwrap();
    s3(&["put", &t.bucket, "in.txt", data.to_str().unwrap()]);
    t.write(
        "s.wdl",
        r#"
version 1.1
task s {
  input { File f }
  command <<<
    head -c 100000 /dev/zero > big.bin
    pwd -P
    dirname "$(readlink -f '~{f}')"
  >>>
  output { Array[String] where = read_lines(stdout())  File big = "big.bin" }
  runtime { container: "local/busybox:1" }
}
"#,
    );
    let r = t.run("s.wdl", &[&format!("s.f=s3://{}/in.txt", t.bucket)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    let places: Vec<String> = serde_json::from_value(o["s.where"].clone()).unwrap();
    assert!(
        places.iter().all(|p| p.starts_with("/ferry-scratch/")),
        "{places:?}"
    );
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "left on the scratch volume: {left:?}");
}

/// `batch.volumes`: a host path (instance storage, an EFS or FSx mount) appears in every job,
/// read-only when the profile says `:ro`.
#[test]
fn profile_volumes_are_mounted_in_every_job() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("hello.txt"), "from the host\n").unwrap();
    let keys = format!("volumes = [\"{}:/ferry-data:ro\"]", data.path().display());
    let t = BatchTest::with_profile(&[], &keys);
    t.write(
        "v.wdl",
        r#"
version 1.1
task v {
  command <<<
    cat /ferry-data/hello.txt
    if touch /ferry-data/x 2>/dev/null; then echo writable; else echo read-only; fi
  >>>
  output { Array[String] lines = read_lines(stdout()) }
  runtime { container: "local/busybox:1" }
}
"#,
    );
    let r = t.run("v.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["v.lines"],
        serde_json::json!(["from the host", "read-only"])
    );
}

/// WDL `disks` on Batch: `ferry-stage` checks the instance's free space before the command;
/// too little fails the attempt with the reason in its stderr, and the command never runs.
#[test]
fn disks_are_checked_on_the_instance_before_the_command() {
    let t = BatchTest::with_profile(&[], "");
    t.write(
        "d.wdl",
        r#"
version 1.1
task d {
  input { String disks }
  command <<< echo ran >>>
  output { String s = read_string(stdout()) }
  runtime { container: "local/busybox:1" disks: disks }
}
"#,
    );
    let r = t.run("d.wdl", &["d.disks=local-disk 1 HDD"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["d.s"], "ran");
    let r = t.run("d.wdl", &["d.disks=900000 TiB"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("ferry-stage: `disks` asks for")
            && r.stderr.contains("free on this instance"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("\nran"), "{}", r.stderr);
}

/// `[s3] sse = "aws:kms"`, a KMS key, a storage class and requester pays reach S3 on every
/// write: the engine's uploads (manifests), the jobs' uploads (ferry-stage) and the server-side
/// copies to the output directory, single and in parts (a regulated bucket refuses uploads
/// without them). moto stores but does not enforce them: the proxy's log is the check.
#[test]
fn encryption_storage_class_and_requester_pays_reach_every_write() {
    let t = BatchTest::with_proxies(&[], Some(&[]), "");
    let toml = std::fs::read_to_string(t.path().join("ferry.toml")).unwrap();
    let toml = toml.replace(
        "path_style = true",
        "path_style = true\nsse = \"aws:kms\"\nkms_key_id = \"alias/ferry-test\"\nstorage_class = \"STANDARD_IA\"\nrequester_pays = true\n[profiles.aws.transfers]\ncopy_part_size = \"5 MiB\"",
    );
    std::fs::write(t.path().join("ferry.toml"), toml).unwrap();
    t.write(
        "w.wdl",
        r#"
version 1.1
task make {
  command <<<
    head -c 12000000 /dev/urandom > big.bin
    echo small > small.txt
  >>>
  output { File big = "big.bin"  File small = "small.txt" }
  runtime { container: "local/busybox:1" }
}
"#,
    );
    let results = format!("s3://{}/results", t.bucket);
    let r = t.run_with("w.wdl", &[], &[("FERRY_OUTPUT_DIR", &results)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = t.s3_proxy.as_ref().unwrap().requests();
    let writes: Vec<&String> = log
        .iter()
        .filter(|l| {
            let mut w = l.split(' ');
            let (method, path) = (w.next(), w.next().unwrap_or(""));
            matches!(method, Some("PUT" | "POST")) && !path.ends_with(&format!("/{}", t.bucket))
        })
        .collect();
    let headers: Vec<&String> = log.iter().filter(|l| l.starts_with("HEADERS ")).collect();
    let want = "sse=aws:kms kms=alias/ferry-test class=STANDARD_IA payer=requester";
    // Each kind of write: a manifest the engine wrote, a file the job uploaded, the small
    // output's CopyObject, the big one's multipart copy.
    for part in [
        "/manifest.json",
        "/work/small.txt",
        "/small/small.txt",
        "/big/big.bin",
    ] {
        assert!(
            headers
                .iter()
                .any(|l| l.contains(part) && l.ends_with(want)),
            "no write to *{part}* with {want}:\n{headers:#?}\n{writes:#?}"
        );
    }
}

/// A job's output copied to the output directory in the same store: the copy is conditional on
/// the ETag the job's listing gave (`x-amz-copy-source-if-match`), and an object replaced since
/// the job wrote it is not copied: the run fails saying so.
#[test]
fn output_copies_are_conditional_and_a_replaced_output_is_not_published() {
    const ONE: &str = r#"
version 1.1
task make {
  command <<< head -c 70000 /dev/urandom > big.bin >>>
  output { File big = "big.bin" }
  runtime { container: "local/busybox:1" }
}
"#;
    let t = BatchTest::with_s3_proxy(&[]);
    t.write("one.wdl", ONE);
    let results = format!("s3://{}/results", t.bucket);
    let r = t.run_with("one.wdl", &[], &[("FERRY_OUTPUT_DIR", &results)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s3_log = t.s3_proxy.as_ref().unwrap().requests();
    let copies: Vec<&String> = s3_log.iter().filter(|l| l.starts_with("COPY ")).collect();
    assert_eq!(copies.len(), 1, "{s3_log:#?}");
    assert!(!copies[0].ends_with("if-match=-"), "{s3_log:#?}");
    drop(t);

    // The object replaced after the job wrote it (at the HEAD before the copy).
    let t = BatchTest::with_s3_proxy(&["--replace-on-head", "/work/big.bin"]);
    t.write("one.wdl", ONE);
    let results = format!("s3://{}/results", t.bucket);
    let r = t.run_with("one.wdl", &[], &[("FERRY_OUTPUT_DIR", &results)]);
    let s3_log = t.s3_proxy.as_ref().unwrap().requests();
    assert!(
        s3_log.iter().any(|l| l.starts_with("REPLACED ")),
        "{s3_log:#?}"
    );
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("has changed since the job wrote it"),
        "{}",
        r.stderr
    );
    assert!(
        !s3_log.iter().any(|l| l.starts_with("COPY ")),
        "{s3_log:#?}"
    );
}

/// `kill -9` of the engine while its jobs run, then `--resume`: the jobs still running are
/// waited for, one that ended meanwhile is taken at its results, and nothing is submitted again
/// (before, every job not collected by the killed engine ran a second time beside the first).
#[test]
fn a_resume_after_kill_9_waits_for_the_jobs_still_running_and_submits_none_again() {
    let t = BatchTest::new(&[]);
    t.write(
        "w.wdl",
        r#"
version 1.1
task nap {
  input { Int i  Int secs }
  command <<< sleep ~{secs}; echo ~{i * 10} > out.txt >>>
  output { Int y = read_int("out.txt") }
  runtime { container: "local/busybox:1" }
}
workflow w {
  scatter (i in range(3)) { call nap { input: i = i, secs = if i == 0 then 8 else 20 } }
  call nap as alone { input: i = 7, secs = 20 }
  output { Array[Int] ys = nap.y  Int z = alone.y }
}
"#,
    );
    let run_dir = t.path().join("run");
    let mut child = t
        .command(Path::new("w.wdl"), &["--run-dir"])
        .arg(&run_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while t.jobs().iter().filter(|(_, s)| s == "RUNNING").count() < 4 {
        assert!(Instant::now() < deadline, "jobs never ran: {:?}", t.jobs());
        std::thread::sleep(Duration::from_millis(300));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The short shard (whichever child of the array it is) ends while no engine runs.
    while !t.jobs().iter().any(|(_, s)| s == "SUCCEEDED") {
        assert!(
            Instant::now() < deadline,
            "shard 0 never ended: {:?}",
            t.jobs()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let out = t
        .command(Path::new("w.wdl"), &["--resume", "--run-dir"])
        .arg(&run_dir)
        .env("FERRY_LOG", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["w.ys"], serde_json::json!([0, 10, 20]), "{stderr}");
    assert_eq!(o["w.z"], 70, "{stderr}");
    assert!(
        stderr.contains("3 job(s) of an earlier engine of this run are still queued or running"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 job(s) of an earlier engine of this run ended after it stopped"),
        "{stderr}"
    );
    assert_eq!(
        t.calls("submitjob"),
        2,
        "{stderr}\n{:#?}",
        t.proxy.requests()
    );
    t.assert_every_job_ends(&stderr);
}

#[test]
fn throttled_batch_calls_are_retried_without_failing_the_run() {
    let t = BatchTest::new(&["--throttle-batch-every", "3"]);
    t.write("squares.wdl", SQUARES);
    t.write("n.json", r#"{"squares.n": 4}"#);
    let r = t.run("squares.wdl", &["-i", "n.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["squares.total"], 14);
    let throttled = t
        .proxy
        .requests()
        .iter()
        .filter(|l| l.ends_with(" 429"))
        .count();
    assert!(throttled >= 2, "{:#?}", t.proxy.requests());
    assert!(
        r.stderr
            .contains(&format!("{throttled} throttled and retried")),
        "{}",
        r.stderr
    );
}

/// A SubmitJob whose answer never comes (it timed out, but Batch did create the job) is looked
/// up by its unique job name: the run goes on with that job, and no second one is submitted.
#[test]
fn a_timed_out_submission_is_found_by_name_not_submitted_twice() {
    let t = BatchTest::with_profile(&["--stall-submit", "5"], r#"call_timeout = "2s""#);
    t.write(
        "one.wdl",
        r#"
version 1.1
task one {
  command <<< echo hi >>>
  output { String s = read_string(stdout()) }
  runtime { container: "local/busybox:1" }
}
"#,
    );
    let r = t.run("one.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("SubmitJob timed out but created job"),
        "{}",
        r.stderr
    );
    assert_eq!(t.jobs().len(), 1, "{:?}\n{}", t.jobs(), r.stderr);
    assert!(r.stdout.contains("hi"), "{}", r.stdout);
}

/// `container.mirrors` on Batch: a Docker Hub name is rewritten to the mirror before its tag is
/// pinned, and the jobs name the mirror's image by digest.
#[test]
fn batch_jobs_pull_docker_hub_images_from_the_mirror_by_digest() {
    let registry = "127.0.0.1:5051";
    let tag = unique("mirror");
    let mirrored = format!("{registry}/hub/library/busybox:{tag}");
    for args in [
        vec!["tag", "local/busybox:1", mirrored.as_str()],
        vec!["push", "-q", mirrored.as_str()],
    ] {
        let out = Command::new("docker").args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let t = BatchTest::new(&[]);
    let toml = std::fs::read_to_string(t.path().join("ferry.toml"))
        .unwrap()
        .replace(
            "pull = \"never\"",
            &format!("pull = \"missing\"\nmirrors = {{ \"docker.io\" = \"{registry}/hub\" }}"),
        );
    std::fs::write(t.path().join("ferry.toml"), toml).unwrap();
    t.write(
        "w.wdl",
        &format!(
            "version 1.1\ntask t {{ command <<< echo hi >>> output {{ String s = read_string(stdout()) }} runtime {{ container: \"docker.io/busybox:{tag}\" }} }}\n"
        ),
    );
    let r = t.run("w.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let images =
        String::from_utf8(fixture_at(MOTO_BATCH, "batch.py", &["images", &t.queue])).unwrap();
    assert!(
        images
            .lines()
            .all(|i| i.starts_with(&format!("{registry}/hub/library/busybox@sha256:"))),
        "{images}"
    );
}

#[test]
fn tags_are_pinned_to_the_registrys_digest_before_submitting() {
    // A registry on loopback without a login (the daemon that runs moto's jobs pulls from it).
    let registry = "127.0.0.1:5051";
    let image = format!("{registry}/ferry/busybox:{}", unique("pin"));
    let docker = |args: &[&str]| {
        let out = Command::new("docker").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    docker(&["tag", "local/busybox:1", &image]);
    docker(&["push", "-q", &image]);
    let digest = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .RepoDigests}}",
        &image,
    ]);
    let t = BatchTest::new(&[]);
    t.write(
        "w.wdl",
        &r#"
version 1.1
task hello {
  input { Int i }
  command <<< echo "shard ~{i}" >>>
  output { String out = read_string(stdout()) }
  runtime { container: "IMAGE"  cpu: 1  memory: "64 MiB" }
}
workflow w {
  scatter (i in range(3)) { call hello { input: i = i } }
  output { Array[String] outs = hello.out }
}
"#
        .replace("IMAGE", &image),
    );
    let r = t.run_with("w.wdl", &[], &[("FERRY_CONTAINER__PULL", "missing")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["w.outs"],
        serde_json::json!(["shard 0", "shard 1", "shard 2"])
    );
    let images =
        String::from_utf8(fixture_at(MOTO_BATCH, "batch.py", &["images", &t.queue])).unwrap();
    let pinned: Vec<&str> = images.lines().collect();
    assert!(!pinned.is_empty());
    for p in &pinned {
        let (name, sha) = p
            .split_once('@')
            .unwrap_or_else(|| panic!("not pinned: {p}"));
        assert_eq!(name, format!("{registry}/ferry/busybox"));
        assert!(
            digest.contains(&format!("{registry}/ferry/busybox@{sha}")),
            "{p} vs {digest}"
        );
    }
    // A tag the registry does not have fails before anything is submitted.
    let missing = format!("{registry}/ferry/busybox:{}", unique("absent"));
    t.write("m.wdl", &"version 1.1\ntask t { command <<< true >>> runtime { container: \"IMAGE\" } }\nworkflow m { call t }\n".replace("IMAGE", &missing));
    let before = t.calls("submitjob");
    let r = t.run_with("m.wdl", &[], &[("FERRY_CONTAINER__PULL", "missing")]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains(&missing) && r.stderr.contains("task `t`"),
        "{}",
        r.stderr
    );
    assert_eq!(t.calls("submitjob"), before, "nothing submitted");
}

#[test]
fn a_job_that_ends_without_a_result_says_why_from_its_log() {
    // No credentials in the jobs (and the instance metadata service ruled out): the staging
    // helper cannot reach S3, so it leaves no result there; what it printed reaches CloudWatch.
    let t = BatchTest::with_profile(
        &[],
        r#"environment = { AWS_REGION = "us-east-1", AWS_EC2_METADATA_DISABLED = "true" }"#,
    );
    t.write(
        "w.wdl",
        r#"
version 1.1
task t {
  command <<< echo hello >>>
  runtime { container: "local/busybox:1"  maxRetries: 0 }
}
workflow w { call t }
"#,
    );
    let r = t.run("w.wdl", &[]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("without a result"), "{}", r.stderr);
    assert!(r.stderr.contains("its log ends:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("no AWS credentials in the job"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Batch gave no reason"), "{}", r.stderr);
    let stderr = std::fs::read_to_string(r.run_dir.join("calls/t/attempt-1/stderr")).unwrap();
    assert!(
        stderr.contains("the job's log (CloudWatch /aws/batch/job"),
        "{stderr}"
    );
}

#[test]
fn outputs_published_to_s3_are_server_side_copies_in_parts_and_across_buckets() {
    let t = BatchTest::new(&[]);
    t.write(
        "w.wdl",
        r#"
version 1.1
task make {
  command <<<
    head -c 3000000 /dev/urandom > out.bin
    head -c 12582912 /dev/urandom > big.bin
  >>>
  output { File f = "out.bin"  File big = "big.bin" }
  runtime { container: "local/busybox:1" }
}
workflow w {
  call make
  output { File f = make.f  File big = make.big }
}
"#,
    );
    let results = format!("s3://{}/results", t.bucket);
    // Copies of objects above 5 MiB go in parts (S3's own threshold, 5 GiB, is too large to
    // test here): 12 MiB is three UploadPartCopy requests.
    let r = t.run_with(
        "w.wdl",
        &[],
        &[
            ("FERRY_OUTPUT_DIR", &results),
            ("FERRY_LOG", "info"),
            ("FERRY_TRANSFERS__COPY_PART_SIZE", "5 MiB"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("2 outputs published by server-side copy"),
        "{}",
        r.stderr
    );
    let listed = String::from_utf8(s3(&["ls", &t.bucket, "ferry-work/"])).unwrap();
    let written_key = |name: &str| {
        listed
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .find(|k| k.ends_with(&format!("calls/make/attempt-1/work/{name}")))
            .unwrap_or_else(|| panic!("{listed}"))
            .to_string()
    };
    for (output, name, size) in [
        ("w.f", "out.bin", 3_000_000),
        ("w.big", "big.bin", 12 << 20),
    ] {
        let url = r.outputs()[output].as_str().unwrap().to_string();
        assert!(url.starts_with(&format!("{results}/")), "{url}");
        let key = url.strip_prefix(&format!("s3://{}/", t.bucket)).unwrap();
        let copied = s3(&["cat", &t.bucket, key]);
        let written = s3(&["cat", &t.bucket, &written_key(name)]);
        assert_eq!(copied.len(), size);
        assert!(
            copied == written,
            "the copy of {name} is what the job wrote"
        );
    }
    let big = r.outputs()["w.big"].as_str().unwrap().to_string();
    let key = big.strip_prefix(&format!("s3://{}/", t.bucket)).unwrap();
    let etag = String::from_utf8(s3(&["etag", &t.bucket, key])).unwrap();
    let source_etag = String::from_utf8(s3(&["etag", &t.bucket, &written_key("big.bin")])).unwrap();
    assert!(
        etag.trim().ends_with("-3\""),
        "{etag} (the source's: {source_etag})"
    );
    assert!(!source_etag.trim().ends_with("-3\""), "{source_etag}");

    // To another bucket, from the call cache: still server-side copies (CopyObject and
    // UploadPartCopy name the source bucket), no job and no download.
    let other = unique("ferry-out");
    s3(&["mb", &other]);
    let r2 = t.run_with(
        "w.wdl",
        &[],
        &[
            ("FERRY_OUTPUT_DIR", &format!("s3://{other}/results")),
            ("FERRY_LOG", "info"),
            ("FERRY_TRANSFERS__COPY_PART_SIZE", "5 MiB"),
        ],
    );
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert!(!r2.stderr.contains("submitted"), "{}", r2.stderr);
    assert!(
        r2.stderr
            .contains("2 outputs published by server-side copy"),
        "{}",
        r2.stderr
    );
    for (output, name) in [("w.f", "out.bin"), ("w.big", "big.bin")] {
        let url = r2.outputs()[output].as_str().unwrap().to_string();
        let key = url
            .strip_prefix(&format!("s3://{other}/"))
            .unwrap_or_else(|| panic!("{url}"));
        let copied = s3(&["cat", &other, key]);
        assert!(
            copied == s3(&["cat", &t.bucket, &written_key(name)]),
            "{url}"
        );
    }
}

#[test]
fn a_batch_job_streams_regions_of_a_bam_in_s3_with_htslib() {
    let t = BatchTest::new(&[]);
    // A BAM of 100,000 random reads (~11 MB) and its index, in the run's bucket.
    let data = t.path().join("bam");
    std::fs::create_dir_all(&data).unwrap();
    let script = format!(
        "python3 '{}' 100000 | samtools view -b -o x.bam - && samtools index x.bam",
        repo()
            .join("crates/ferry-cli/tests/fixtures/make-bam.py")
            .display()
    );
    let ok = Command::new("sh")
        .args(["-c", &script])
        .current_dir(&data)
        .status()
        .unwrap();
    assert!(ok.success());
    let regions = ["chr1:100000-200000", "chr2:4000000-4100000"];
    let want: Vec<i64> = regions
        .iter()
        .map(|r| {
            let out = Command::new("samtools")
                .args(["view", "-c", "x.bam", r])
                .current_dir(&data)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
        })
        .collect();
    for f in ["x.bam", "x.bam.bai"] {
        s3(&[
            "put",
            &t.bucket,
            &format!("bam/{f}"),
            data.join(f).to_str().unwrap(),
        ]);
    }
    t.write(
        "w.wdl",
        r#"
version 1.1
task count {
  input { File bam  File bai  String region }
  parameter_meta { bam: { localization_optional: true }  bai: { localization_optional: true } }
  command <<< samtools view -c -X '~{bam}' '~{bai}' '~{region}' >>>
  output { Int n = read_int(stdout()) }
  runtime { container: "local/samtools:1.16.1"  memory: "256 MiB" }
}
workflow w {
  input { Array[String] regions }
  scatter (r in regions) {
    call count { input: bam = "s3://BUCKET/bam/x.bam", bai = "s3://BUCKET/bam/x.bam.bai", region = r }
  }
  output { Array[Int] counts = count.n }
}
"#,
    );
    t.write(
        "inputs.json",
        &serde_json::json!({ "w.regions": regions }).to_string(),
    );
    let r = t.run("w.wdl", &["-i", "inputs.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.counts"], serde_json::json!(want));
    // The jobs read the BAM themselves: no copy of it anywhere under the run's prefix (htslib
    // saved the index it fetched in the working directory, so `work/x.bam.bai` came back).
    let listed = String::from_utf8(s3(&["ls", &t.bucket, "ferry-work/"])).unwrap();
    assert!(
        !listed.lines().any(|l| l
            .split_whitespace()
            .next()
            .is_some_and(|k| k.ends_with("/x.bam"))),
        "{listed}"
    );
}

/// The MD5 of `bytes` in hex, as `md5sum` prints it.
fn md5_hex(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)[..32].to_string()
}

/// Bytes a file takes on disk: a stub takes none.
fn allocated(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .blocks()
        * 512
}

const LEFT_IN_S3: &str = r#"
version 1.2
task make {
  input { Int i }
  command <<<
    head -c 1048576 /dev/urandom > big.bin
    echo ~{i} > n.txt
    mkdir d && echo "dir ~{i}" > d/a.txt && head -c 200000 /dev/urandom > d/b.bin
  >>>
  output {
    File big = "big.bin"
    Int n = read_int("n.txt")
    Float kib = size("big.bin", "KiB")
    Directory d = "d"
  }
  runtime { container: "local/busybox:1"  memory: "64 MiB" }
}
task check {
  input { Array[File] bins  Directory d }
  command <<<
    md5sum ~{sep(" ", bins)} | cut -c1-32 > sums.txt
    cat '~{d}/a.txt'
  >>>
  output { File sums = "sums.txt"  String a = read_string(stdout()) }
  runtime { container: "local/busybox:1"  memory: "64 MiB" }
}
workflow w {
  scatter (i in range(3)) { call make { input: i = i } }
  call check { input: bins = make.big, d = make.d[1] }
  output {
    Array[File] big = make.big
    Array[Int] n = make.n
    Array[Float] kib = make.kib
    Array[String] sums = read_lines(check.sums)
    String a = check.a
    Directory d = make.d[2]
  }
}
"#;

#[test]
fn job_outputs_stay_in_s3_and_only_what_the_engine_reads_comes_down() {
    let t = BatchTest::new(&[]);
    t.write("w.wdl", LEFT_IN_S3);
    // 1. Outputs published inside the bucket: nothing of the jobs' files comes down but what
    //    `read_*` reads.
    let results = format!("s3://{}/results", t.bucket);
    let r = t.run_with("w.wdl", &[], &[("FERRY_OUTPUT_DIR", &results)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.n"], serde_json::json!([0, 1, 2]));
    assert_eq!(o["w.kib"], serde_json::json!([1024.0, 1024.0, 1024.0]));
    assert_eq!(o["w.a"], "dir 1");
    // The later job read the earlier jobs' objects where they were: its sums are theirs.
    let sums: Vec<String> = serde_json::from_value(o["w.sums"].clone()).unwrap();
    let published: Vec<String> = serde_json::from_value(o["w.big"].clone()).unwrap();
    for (url, sum) in published.iter().zip(&sums) {
        let key = url.strip_prefix(&format!("s3://{}/", t.bucket)).unwrap();
        let bytes = s3(&["cat", &t.bucket, key]);
        assert_eq!(bytes.len(), 1 << 20);
        assert_eq!(&md5_hex(&bytes), sum, "{url}");
    }
    // 3 files + 3 × 2 of the published directory are server-side copies.
    assert!(
        r.stderr.contains("5 outputs published by server-side copy"),
        "{}",
        r.stderr
    );
    let shard = |k: usize| {
        let calls = r.run_dir.join("calls/make");
        std::fs::read_dir(&calls)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("shard-{k}.attempt-"))
                    && p.join("rc").exists()
            })
            .unwrap_or_else(|| panic!("no finished attempt of shard {k}"))
    };
    let mut came_down = 0;
    for k in 0..3 {
        let work = shard(k).join("work");
        // Every file is there to glob and size, at its size, taking no space.
        assert_eq!(
            std::fs::metadata(work.join("big.bin")).unwrap().len(),
            1 << 20
        );
        assert_eq!(
            allocated(&work.join("big.bin")),
            0,
            "shard {k}'s big.bin came down"
        );
        assert_eq!(allocated(&work.join("d/b.bin")), 0);
        // The index of the stubs lies beside the attempt directory, out of the task's reach.
        let attempt_name = shard(k).file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            shard(k)
                .with_file_name(format!(".{attempt_name}.remote.json"))
                .is_file()
        );
        assert!(!shard(k).join("remote.json").exists());
        // What `read_int` read did come down.
        assert_eq!(
            std::fs::read_to_string(work.join("n.txt")).unwrap(),
            format!("{k}\n")
        );
        for f in [
            "stdout",
            "stderr",
            "rc",
            "work/n.txt",
            "work/big.bin",
            "work/d/a.txt",
            "work/d/b.bin",
        ] {
            came_down += allocated(&shard(k).join(f));
        }
    }
    assert!(
        came_down < 64 << 10,
        "{came_down} bytes came down for 3 shards"
    );

    // 2a. A copy of the run directory that filled the stubs' holes with zeros (`cp` without
    //     sparse support, `rsync` without -S): resuming the copy publishes the objects'
    //     bytes, not the zeros (stubs are marked by their mode, which copies keep).
    let copy = t.path().join("copied-run");
    let cp = Command::new("cp")
        .args(["-a", "--sparse=never"])
        .arg(&r.run_dir)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    let big_stub = std::fs::read_dir(copy.join("calls/make"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("work/big.bin"))
        .find(|p| p.exists())
        .expect("a stub of big.bin in the copy");
    assert!(allocated(&big_stub) > 0, "the copy filled the stub's holes");
    let out = t
        .command(Path::new("w.wdl"), &["--resume", "--run-dir"])
        .arg(&copy)
        .env("FERRY_OUTPUT_DIR", t.path().join("from-copy"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let resumed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<String> = serde_json::from_value(resumed["w.big"].clone()).unwrap();
    for (path, sum) in files.iter().zip(&sums) {
        assert_eq!(&md5_hex(&std::fs::read(path).unwrap()), sum, "{path}");
    }

    // 2. Resuming the finished run in a new engine: every attempt is adopted from its
    //    directory (the stubs' objects found from `remote.json`), and publishing to a local
    //    directory fetches the bytes.
    let out = t
        .command(Path::new("w.wdl"), &["--resume", "--run-dir"])
        .arg(&r.run_dir)
        .env("FERRY_OUTPUT_DIR", t.path().join("resumed"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("submitted"), "{stderr}");
    let resumed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resumed["w.sums"], o["w.sums"]);
    let files: Vec<String> = serde_json::from_value(resumed["w.big"].clone()).unwrap();
    for (path, sum) in files.iter().zip(&sums) {
        assert!(
            path.starts_with(&*t.path().join("resumed").to_string_lossy()),
            "{path}"
        );
        assert_eq!(&md5_hex(&std::fs::read(path).unwrap()), sum, "{path}");
    }

    // 3. The call cache: a new run takes every call from it (the objects are unchanged:
    //    one HEAD each) and publishes to a local directory, which fetches the bytes.
    let r2 = t.run_with("w.wdl", &[], &[("FERRY_LOG", "info")]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert!(!r2.stderr.contains("submitted"), "{}", r2.stderr);
    let o2 = r2.outputs();
    assert_eq!(o2["w.sums"], o["w.sums"]);
    let local: Vec<String> = serde_json::from_value(o2["w.big"].clone()).unwrap();
    for (path, sum) in local.iter().zip(&sums) {
        assert!(!path.starts_with("s3://"), "{path}");
        assert_eq!(&md5_hex(&std::fs::read(path).unwrap()), sum, "{path}");
    }
    let d = o2["w.d"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(Path::new(d).join("a.txt")).unwrap(),
        "dir 2\n"
    );
    assert_eq!(
        std::fs::metadata(Path::new(d).join("b.bin")).unwrap().len(),
        200_000
    );
    assert!(allocated(&Path::new(d).join("b.bin")) >= 200_000);

    // 4. An object changed in the store since it was recorded: that call runs again, and the
    //    call that read it.
    let listed = String::from_utf8(s3(&["ls", &t.bucket, "ferry-work/"])).unwrap();
    let key = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .find(|k| k.contains("shard-0") && k.ends_with("/work/big.bin"))
        .unwrap_or_else(|| panic!("{listed}"))
        .to_string();
    let other = t.path().join("other.bin");
    std::fs::write(&other, vec![7u8; 1 << 20]).unwrap();
    s3(&["put", &t.bucket, &key, other.to_str().unwrap()]);
    let r3 = t.run_with("w.wdl", &[], &[("FERRY_LOG", "info")]);
    assert_eq!(r3.code, 0, "{}", r3.stderr);
    assert!(r3.stderr.contains("has changed"), "{}", r3.stderr);
    assert!(r3.stderr.contains("submitted"), "{}", r3.stderr);
    let sums3: Vec<String> = serde_json::from_value(r3.outputs()["w.sums"].clone()).unwrap();
    assert_ne!(sums3[0], sums[0], "shard 0 ran again");
    assert_eq!(
        sums3[1..],
        sums[1..],
        "the other shards came from the cache"
    );
}
