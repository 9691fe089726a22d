//! The `awsbatch` executor against the Batch stand-in (`fixtures/batch_standin.py`), for what
//! moto cannot show: a queue busy longer than `start_timeout`, a request no compute environment
//! can hold (Batch's `MISCONFIGURATION:` reason), Spot reclaims by the dozen. S3 is moto on
//! 127.0.0.1:5001; the stand-in runs every job as a local process.

mod common;

use std::time::{Duration, Instant};

use common::aws::{MOTO_BATCH, MOTO_S3, aws_env, fixture_at, fixtures, unique};
use common::standin::Standin;

const SQUARES: &str = r#"version 1.1
task sq {
  input { Int x }
  command <<< echo $(( ~{x} * ~{x} )) >>>
  output { Int y = read_int(stdout()) }
  runtime { container: "local/busybox:1"  cpu: 1  memory: "MEMORY" }
}
workflow w {
  input { Int n }
  scatter (i in range(n)) { call sq { input: x = i } }
  output { Int total = length(sq.y)  Array[Int] ys = sq.y }
}
"#;

/// A project on the stand-in: its bucket, its profile and the workflow above.
struct Project {
    dir: tempfile::TempDir,
    standin: Standin,
}

impl Project {
    fn new(standin_args: &[&str], batch_keys: &str, memory: &str) -> Project {
        let dir = tempfile::tempdir().expect("tmp");
        let standin = Standin::start(dir.path(), standin_args);
        let bucket = unique("ferry-standin");
        fixture_at(MOTO_S3, "s3.py", &["mb", &bucket]);
        let queue = unique("ferry-queue");
        std::fs::write(
            dir.path().join("ferry.toml"),
            standin.profile(&bucket, &queue, batch_keys),
        )
        .expect("ferry.toml");
        std::fs::write(dir.path().join("w.wdl"), SQUARES.replace("MEMORY", memory)).expect("w.wdl");
        Project { dir, standin }
    }

    fn run(&self, n: usize) -> common::Run {
        let mut cmd = common::ferry();
        aws_env(&mut cmd);
        common::run_command(
            cmd,
            self.dir.path(),
            "w.wdl",
            &[&format!("w.n={n}"), "--profile", "aws", "--no-cache"],
            &[],
        )
    }
}

/// Jobs held unplaced for longer than `start_timeout`, with no reason and then with Batch's
/// `CAPACITY:` reason (a busy queue, a Spot drought): the run waits and succeeds.
#[test]
fn a_busy_queue_never_fails_a_run() {
    for reason in [
        "",
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - not enough Spot capacity",
    ] {
        let p = Project::new(&["--drought", "7"], "start_timeout = \"2s\"", "64 MiB");
        if !reason.is_empty() {
            let out = std::process::Command::new("curl")
                .args(["-sf", "-X", "POST", "-d"])
                .arg(serde_json::json!({"seconds": 7, "reason": reason}).to_string())
                .arg(format!("{}/standin/drought", p.standin.endpoint()))
                .output()
                .expect("curl");
            assert!(out.status.success());
        }
        let t = Instant::now();
        let r = p.run(3);
        assert_eq!(r.code, 0, "reason {reason:?}: {}", r.stderr);
        assert_eq!(r.outputs()["w.ys"], serde_json::json!([0, 1, 4]));
        assert!(
            t.elapsed() >= Duration::from_secs(5),
            "the drought did not hold the jobs"
        );
    }
}

/// A request no compute environment of the queue can hold (2 GiB on instances of 1 GiB):
/// Batch keeps it RUNNABLE saying `MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT`; after
/// `start_timeout` its attempts fail naming the queue, the request and that reason. A
/// `max_queue_wait` bounds any wait, whatever the reason.
#[test]
fn a_request_that_can_never_start_times_out_and_max_queue_wait_bounds_any_wait() {
    let p = Project::new(&["--ce", "spot:8:1024"], "start_timeout = \"2s\"", "2 GiB");
    let r = p.run(2);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")
            && r.stderr.contains("2048 MiB"),
        "{}",
        r.stderr
    );
    let p = Project::new(
        &["--drought", "60"],
        "start_timeout = \"2s\"\nmax_queue_wait = \"4s\"",
        "64 MiB",
    );
    let r = p.run(2);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("batch.max_queue_wait"), "{}", r.stderr);
    assert!(r.stderr.contains("CAPACITY:"), "{}", r.stderr);
    // Nothing of the run is left on the stand-in.
    let stats = p.standin.stats();
    assert_eq!(stats["running"], 0, "{stats}");
}

/// A reclaim storm: 10% of the children of a 500-shard array are reclaimed (Batch's Spot
/// wording, no exit code); the run succeeds, every reclaimed shard retried apart from
/// `maxRetries` (0 here), and the report counts the reclaims.
#[test]
fn a_reclaim_storm_is_retried_and_counted() {
    let p = Project::new(
        &[
            "--ce",
            "spot:16:4096",
            "--reclaim-percent",
            "10",
            "--seed",
            "7",
        ],
        "",
        "64 MiB",
    );
    let r = p.run(500);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ys: Vec<i64> = (0..500).map(|i| i * i).collect();
    assert_eq!(r.outputs()["w.ys"], serde_json::json!(ys));
    let stats = p.standin.stats();
    let reclaimed = stats["reclaimed"].as_u64().expect("reclaimed");
    assert!(reclaimed >= 25, "only {reclaimed} reclaimed (5%): {stats}");
    let journal =
        std::fs::read_to_string(r.run_dir.join("attempts.tsv")).expect("the run's journal");
    let preempted = journal
        .lines()
        .filter(|l| l.contains("\tpreempted"))
        .count();
    let placed = stats["placed"].as_u64().expect("placed");
    assert_eq!(preempted as u64, reclaimed, "{stats}");
    assert_eq!(placed, 500 + preempted as u64, "{stats}");
    let report = common::ferry()
        .args(["report"])
        .arg(&r.run_dir)
        .output()
        .expect("ferry report");
    let text = String::from_utf8_lossy(&report.stdout).to_string()
        + &String::from_utf8_lossy(&report.stderr);
    assert!(text.contains(&format!("({preempted} preempted)")), "{text}");
}

/// The stand-in's answers fit botocore's model of each operation and have every member moto's
/// answers have (bar moto's own), and it holds the limits moto does not (fixtures/standin_check.py).
#[test]
fn the_standin_answers_as_botocores_model_and_moto_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let standin = Standin::start(dir.path(), &["--queue", "standin-queue"]);
    let queue = unique("ferry-check");
    fixture_at(MOTO_BATCH, "batch.py", &["queue", &queue]);
    let out = std::process::Command::new("python3")
        .arg(fixtures().join("standin_check.py"))
        .args([&standin.endpoint(), MOTO_BATCH, &queue])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .expect("standin_check.py");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("the stand-in answers as the model and moto do"),
        "{text}"
    );
}
