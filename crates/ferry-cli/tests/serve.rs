//! `ferry serve` through a real WES client (the `wes-service` package's, driven by
//! tests/fixtures/wes.py): submit, poll, outputs, task logs, paging, cancel, a server killed
//! mid-run and restarted, a cpu limit shared by many runs (tokens and what clients may not do:
//! tests/serve_security.rs).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::serve::{Server, fixture, nanos, write};
use serde_json::Value;

const SCATTER: &str = r#"version 1.1
task greet {
  input { String name  File f }
  command <<< echo "hello ~{name} $(cat ~{f})" >>>
  output { String greeting = read_string(stdout()) }
}
workflow wf {
  input { Array[String] names  File f }
  scatter (n in names) { call greet { input: name = n, f = f } }
  output { Array[String] greetings = greet.greeting }
}
"#;

#[test]
fn a_wes_client_submits_polls_and_reads_outputs_task_logs_and_pages() {
    let dir = tempfile::tempdir().expect("tmp");
    let wdl = write(dir.path(), "wf.wdl", SCATTER);
    // Words of this test run's own, so that no call is a call-cache hit of an earlier run.
    let data = write(dir.path(), "data.txt", &format!("world {}\n", nanos()));
    let inputs = write(
        dir.path(),
        "inputs.json",
        r#"{"wf.names": ["a", "b", "c"], "wf.f": "data.txt"}"#,
    );
    let server = Server::start(&dir.path().join("runs"), &[]);
    let info: Value =
        serde_json::from_str(&server.get("/ga4gh/wes/v1/service-info", None).1).expect("json");
    assert_eq!(
        info["workflow_type_versions"]["WDL"]["workflow_type_version"],
        serde_json::json!(["1.0", "1.1", "1.2", "1.3"])
    );
    let id = server.submit(&wdl, &inputs, &[&data]);
    let log = server.wait(&id);
    assert_eq!(log["state"], "COMPLETE", "{log}");
    assert_eq!(
        log["outputs"]["wf.greetings"],
        serde_json::json!(["a", "b", "c"].map(|n| format!(
            "hello {n} {}",
            std::fs::read_to_string(&data).unwrap_or_default().trim()
        )))
    );
    assert_eq!(log["run_log"]["exit_code"], 0);
    let (status, tasks) = server.get(&format!("/ga4gh/wes/v1/runs/{id}/tasks"), None);
    assert_eq!(status, 200, "{tasks}");
    let tasks: Value = serde_json::from_str(&tasks).expect("json");
    let list = tasks["task_logs"].as_array().expect("task_logs");
    assert_eq!(list.len(), 3, "{tasks}");
    assert!(
        list.iter()
            .all(|t| t["name"] == "greet" && t["exit_code"] == 0)
    );
    let stdout = list[0]["stdout"].as_str().expect("stdout url");
    let (status, text) = server.get(stdout, None);
    assert_eq!(status, 200);
    assert!(text.starts_with("hello "), "{text}");
    // Outside the run's own files: refused.
    let (status, _) = server.get(&format!("/ferry/runs/{id}/tasks/../../../etc/stdout"), None);
    assert_ne!(status, 200);
    // Paging: 3 runs, pages of 2.
    for _ in 0..2 {
        let id = server.submit(&wdl, &inputs, &[&data]);
        server.wait(&id);
    }
    let pages: Vec<Vec<String>> = server
        .wes(&["pages", "2"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("page"))
        .collect();
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(pages[0][0], id);
    // Requests the server cannot run are refused with the reason.
    let out = server.wes(&[
        "post-form",
        "/ga4gh/wes/v1/runs",
        "workflow_type=CWL",
        "workflow_type_version=v1.0",
        "workflow_url=x.cwl",
    ]);
    assert!(out.starts_with("400 ") && out.contains("WDL"), "{out}");
    let out = server.wes(&[
        "post-form",
        "/ga4gh/wes/v1/runs",
        "workflow_type=WDL",
        "workflow_type_version=1.1",
        &format!("workflow_url=file://{}", wdl.display()),
    ]);
    assert!(
        out.starts_with("403 "),
        "no --workflow-root covers it: {out}"
    );
}

#[test]
fn a_file_url_under_a_workflow_root_runs_in_place() {
    let dir = tempfile::tempdir().expect("tmp");
    let wdl = write(
        dir.path(),
        "one.wdl",
        "version 1.0\nworkflow one {\n  input { Int n }\n  output { Int twice = n * 2 }\n}\n",
    );
    let root = dir.path().display().to_string();
    let server = Server::start(&dir.path().join("runs"), &["--workflow-root", &root]);
    let out = server.wes(&[
        "post-form",
        "/ga4gh/wes/v1/runs",
        "workflow_type=WDL",
        "workflow_type_version=1.0",
        r#"workflow_params={"one.n": 21}"#,
        &format!("workflow_url=file://{}", wdl.display()),
    ]);
    assert!(out.starts_with("200 "), "{out}");
    let id: Value = serde_json::from_str(&out[4..]).expect("json");
    let log = server.wait(id["run_id"].as_str().expect("run_id"));
    assert_eq!(log["state"], "COMPLETE", "{log}");
    assert_eq!(log["outputs"]["one.twice"], 42);
}

const SLOW: &str = r#"version 1.1
task first {
  input { String nonce }
  command <<< echo first # ~{nonce} >>>
  output { String out = read_string(stdout()) }
}
task second {
  input { String prev  String pid_file  Int seconds }
  command <<<
    echo $$ > ~{pid_file}
    sleep ~{seconds}
    echo "second after ~{prev}"
  >>>
  output { String out = read_string(stdout()) }
}
workflow slow {
  input { String pid_file  Int seconds  String nonce }
  call first { input: nonce = nonce }
  call second { input: prev = first.out, pid_file = pid_file, seconds = seconds }
  output { String out = second.out }
}
"#;

/// A run of SLOW in its own directory: `first`, then `second`, which writes its pid and sleeps.
struct SlowRun {
    dir: tempfile::TempDir,
    wdl: PathBuf,
    inputs: PathBuf,
    pid_file: PathBuf,
}

impl SlowRun {
    fn new(seconds: u32) -> SlowRun {
        let dir = tempfile::tempdir().expect("tmp");
        let wdl = write(dir.path(), "slow.wdl", SLOW);
        let pid_file = dir.path().join("second.pid");
        let inputs = write(
            dir.path(),
            "inputs.json",
            &format!(
                r#"{{"slow.pid_file": "{}", "slow.seconds": {seconds}, "slow.nonce": "{}"}}"#,
                pid_file.display(),
                nanos()
            ),
        );
        SlowRun {
            dir,
            wdl,
            inputs,
            pid_file,
        }
    }

    fn runs(&self) -> PathBuf {
        self.dir.path().join("runs")
    }

    fn submit(&self, server: &Server) -> String {
        server.submit(&self.wdl, &self.inputs, &[])
    }

    /// The pid of `second`'s command, once it has started.
    fn second_started(&self) -> i32 {
        wait_for("the second call to start", || {
            pid_in(&self.pid_file).is_some()
        });
        pid_in(&self.pid_file).unwrap_or(0)
    }
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn pid_in(file: &Path) -> Option<i32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

#[test]
fn cancelling_a_run_stops_its_tasks() {
    let slow = SlowRun::new(300);
    let server = Server::start(&slow.runs(), &[]);
    let id = slow.submit(&server);
    let task = slow.second_started();
    assert!(alive(task));
    server.wes(&["cancel", &id]);
    let log = server.wait(&id);
    assert_eq!(log["state"], "CANCELED", "{log}");
    wait_for("the task to be gone", || !alive(task));
    // Cancelling a run that is over changes nothing.
    server.wes(&["cancel", &id]);
    assert_eq!(server.wes(&["state", &id]), "CANCELED");
}

#[test]
fn a_server_killed_mid_run_resumes_it_without_rerunning_finished_calls() {
    let slow = SlowRun::new(3);
    let runs = slow.runs();
    let mut server = Server::start(&runs, &[]);
    let id = slow.submit(&server);
    let task = slow.second_started();
    server.kill9();
    // Restarted at once: the run's previous `ferry run`, which heard of its server's death,
    // may still be stopping its task and hold the run directory; the new server waits for it.
    let server = Server::start(&runs, &[]);
    wait_for("the orphaned task to stop", || !alive(task));
    let log = server.wait(&id);
    // Everything that says how the run went, should it not have gone right (it once gave an
    // empty `second` output in CI, under load, not reproduced since).
    let story = || {
        let read = |p: &str| std::fs::read_to_string(runs.join(&id).join(p)).unwrap_or_default();
        format!(
            "{log}\n--- stderr (the resumed run):\n{}\n--- journal:\n{}\n--- ferry.log:\n{}\n--- second's stdout: {:?}, rc: {:?}",
            read("stderr"),
            read("run/attempts.tsv"),
            read("run/ferry.log"),
            read("run/calls/second/attempt-1/stdout"),
            read("run/calls/second/attempt-1/rc"),
        )
    };
    assert_eq!(log["state"], "COMPLETE", "{}", story());
    assert_eq!(
        log["outputs"]["slow.out"],
        "second after first",
        "{}",
        story()
    );
    let calls = runs.join(&id).join("run/calls");
    let first: Vec<_> = std::fs::read_dir(calls.join("first"))
        .expect("calls/first")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("attempt-"))
        .collect();
    assert_eq!(first, ["attempt-1"], "the finished call ran again");
}

/// Sleeps `secs` (a second unless given) as `busy` with 1 cpu, `n` shards at once, each writing its start and end
/// (ns) to `spans/<label>-<i>`.
const BUSY: &str = r#"version 1.1
task busy {
  input { String spans  String label  Int i  Int secs }
  command <<<
    start=$(date +%s%N)
    sleep ~{secs}
    echo "$start $(date +%s%N)" > ~{spans}/~{label}-~{i}
  >>>
  runtime { cpu: 1 }
}
workflow many {
  input { String spans  String label  Int n  Int secs = 1 }
  scatter (i in range(n)) { call busy { input: spans = spans, label = label, i = i, secs = secs } }
}
"#;

/// A directory with BUSY and the directory its shards write their spans to.
struct Busy {
    dir: tempfile::TempDir,
    spans: PathBuf,
    wdl: PathBuf,
}

impl Busy {
    fn new() -> Busy {
        let dir = tempfile::tempdir().expect("tmp");
        let spans = dir.path().join("spans");
        std::fs::create_dir_all(&spans).expect("spans");
        let wdl = write(dir.path(), "busy.wdl", BUSY);
        Busy { dir, spans, wdl }
    }
}

/// The (start, end) of every span in `dir` whose name starts with `label`, sorted by start.
fn spans(dir: &Path, label: &str) -> Vec<(u128, u128)> {
    let mut spans: Vec<(u128, u128)> = std::fs::read_dir(dir)
        .expect("spans")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(label))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("span");
            let mut it = text
                .split_whitespace()
                .map(|t| t.parse::<u128>().expect("ns"));
            (it.next().expect("start"), it.next().expect("end"))
        })
        .collect();
    spans.sort();
    spans
}

/// The most spans that overlapped.
fn most_at_once(spans: &[(u128, u128)]) -> i32 {
    let mut events: Vec<(u128, i32)> = spans
        .iter()
        .flat_map(|(a, b)| [(*a, 1), (*b, -1)])
        .collect();
    events.sort();
    let (mut now, mut most) = (0, 0);
    for (_, d) in events {
        now += d;
        most = most.max(now);
    }
    most
}

fn busy_inputs(dir: &Path, spans: &Path, label: &str, n: usize) -> PathBuf {
    write(
        dir,
        &format!("in-{label}.json"),
        &format!(
            r#"{{"many.spans": "{}", "many.label": "{label}", "many.n": {n}}}"#,
            spans.display()
        ),
    )
}

/// 50 runs, 8 engines at once, on a server with 2 cpus: never more than 2 tasks at once, and 2
/// do run together. (Without the server's leases each engine would run its own task.)
#[test]
fn many_runs_share_the_servers_cpu_limit() {
    let busy = Busy::new();
    let (dir, spans_dir, wdl) = (&busy.dir, &busy.spans, &busy.wdl);
    let server = Server::start(
        &dir.path().join("runs"),
        &["--max-cpus", "2", "--max-runs", "8"],
    );
    // Submitted from 10 clients at once: every run gets its own place in the list.
    let ids: Vec<String> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..10)
            .map(|c| {
                let (server, wdl, spans_dir, dir) = (&server, &wdl, &spans_dir, &dir);
                scope.spawn(move || {
                    (0..5)
                        .map(|k| {
                            let label = format!("r{}-", c * 5 + k);
                            let inputs = busy_inputs(dir.path(), spans_dir, &label, 1);
                            server.submit(wdl, &inputs, &[])
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().expect("client"))
            .collect()
    });
    let listed: usize = server
        .wes(&["pages", "7"])
        .lines()
        .map(|page| {
            serde_json::from_str::<Vec<String>>(page)
                .expect("page")
                .len()
        })
        .sum();
    assert_eq!(
        listed, 50,
        "runs submitted at once are missing from the list"
    );
    for id in &ids {
        assert_eq!(server.wait(id)["state"], "COMPLETE");
    }
    let all = spans(spans_dir, "r");
    assert_eq!(all.len(), 50);
    let most = most_at_once(&all);
    assert!(
        most <= 2,
        "{most} tasks ran at once with 2 cpus for all runs"
    );
    assert_eq!(most, 2, "two tasks never ran together");
    let (_, body) = server.get("/ferry/api/runs", None);
    assert!(
        !body.contains("\"holds\""),
        "a finished run still holds a lease: {body}"
    );
}

/// A run alone uses all the server's cpus; a run submitted while it has more shards waiting
/// is served in turn, not after all of them.
#[test]
fn a_lone_run_uses_the_whole_server_and_a_later_run_gets_its_turn() {
    let busy = Busy::new();
    let (dir, spans_dir, wdl) = (&busy.dir, &busy.spans, &busy.wdl);
    let server = Server::start(
        &dir.path().join("runs"),
        &["--max-cpus", "2", "--max-runs", "4"],
    );
    // Ten shards of 2 s, five rounds: the second run's engine has seconds to start (it may be
    // slow on a busy machine) before the first run's last round.
    let inputs = |label: &str, n: usize| {
        write(
            dir.path(),
            &format!("in-{label}.json"),
            &format!(
                r#"{{"many.spans": "{}", "many.label": "{label}", "many.n": {n}, "many.secs": 2}}"#,
                spans_dir.display()
            ),
        )
    };
    let first = server.submit(wdl, &inputs("a", 10), &[]);
    wait_for("the first run's shards to start", || {
        std::fs::read_dir(spans_dir).map(|d| d.count()).unwrap_or(0) > 0
            || server.wes(&["state", &first]) == "RUNNING"
    });
    let second = server.submit(wdl, &inputs("b", 2), &[]);
    assert_eq!(server.wait(&first)["state"], "COMPLETE");
    assert_eq!(server.wait(&second)["state"], "COMPLETE");
    let (a, b) = (spans(spans_dir, "a"), spans(spans_dir, "b"));
    assert_eq!((a.len(), b.len()), (10, 2));
    let mut all = a.clone();
    all.extend(&b);
    assert!(most_at_once(&all) <= 2, "more than 2 cpus in use: {all:?}");
    assert_eq!(
        most_at_once(&a[..2]),
        2,
        "the first run alone ran one shard at a time"
    );
    assert!(
        b[0].0 < a[9].0,
        "the second run waited for all of the first run's shards: a {a:?}, b {b:?}"
    );
}

/// The live page: a person logs in (headless Chromium: the form, the token, a HttpOnly and
/// SameSite=Strict session) and sees the running run without a console error; its data show
/// the run's progress changing, and a finished run links its report.
#[test]
fn the_live_page_shows_runs_as_they_go_and_links_reports() {
    let slow = SlowRun::new(3);
    let server = Server::start(&slow.runs(), &[]);
    let id = slow.submit(&server);
    slow.second_started();
    let view = |server: &Server| -> Value {
        let (status, body) = server.get("/ferry/api/runs", None);
        assert_eq!(status, 200, "{body}");
        let all: Value = serde_json::from_str(&body).expect("json");
        all["runs"][0].clone()
    };
    let before = view(&server);
    assert_eq!(before["run_id"], id.as_str());
    assert_eq!(before["state"], "RUNNING");
    // Chromium driven by Playwright: the login form, the token, then the runs page.
    let check = Command::new("python3")
        .arg(fixture("page_login.py"))
        .arg(format!("http://{}/", server.host))
        .arg(&server.token)
        .arg(&id)
        .args(["--wait-ms", "1500"])
        .output()
        .expect("page_login.py");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let during = view(&server);
    assert!(
        during["elapsed_s"].as_f64() > before["elapsed_s"].as_f64(),
        "{before} then {during}"
    );
    assert_eq!(server.wait(&id)["state"], "COMPLETE");
    let after = view(&server);
    let calls = after["calls"].as_array().expect("calls");
    assert!(
        calls
            .iter()
            .any(|c| c["call"] == "second" && c["done"] == 1),
        "{after}"
    );
    let report = after["report"].as_str().expect("a report link");
    let (status, html) = server.get(report, None);
    assert_eq!(status, 200);
    assert!(html.contains("<html") && html.contains("second"), "{html}");
}

/// The OpenAPI document the server gives holds for what it answers: schemathesis (PyPI)
/// generates some hundreds of requests from it, valid and invalid, against a server with one
/// finished run and one queued behind a cancelled one, and fails on a server error, a response
/// the document does not describe (status, content type, schema), a valid request refused
/// (but `POST /runs`, whose workflow a schema cannot make valid), an invalid one accepted, or
/// a request left unanswered for 10 s.
#[test]
fn generated_requests_find_the_server_true_to_its_openapi_document() {
    let dir = tempfile::tempdir().expect("tmp");
    let wdl = write(dir.path(), "wf.wdl", SCATTER);
    let nonce = nanos();
    let f = write(dir.path(), "f.txt", &format!("{nonce}\n"));
    let inputs = write(
        dir.path(),
        "in.json",
        &format!(r#"{{"wf.names": ["a{nonce}"], "wf.f": "{}"}}"#, f.display()),
    );
    let server = Server::start(&dir.path().join("runs"), &["--max-runs", "1"]);
    let done = server.submit(&wdl, &inputs, &[]);
    let log = server.wait(&done);
    assert_eq!(log["state"], "COMPLETE", "{log}");
    let (_, tasks) = server.get(&format!("/ga4gh/wes/v1/runs/{done}/tasks"), None);
    let tasks: Value = serde_json::from_str(&tasks).expect("tasks JSON");
    let task = tasks["task_logs"][0]["id"].as_str().expect("a task id");
    let config = write(
        dir.path(),
        "schemathesis.toml",
        &format!(
            r#"[parameters]
"path.run_id" = "{done}"
"path.task_id" = "{task}"

[[operations]]
include-operation-id = "RunWorkflow"
checks.positive_data_acceptance.enabled = false
"#
        ),
    );
    let base = format!("http://{}/ga4gh/wes/v1", server.host);
    // The document, read with the token as every request is.
    let (status, document) = server.get("/ga4gh/wes/v1/openapi.json", None);
    assert_eq!(status, 200, "{document}");
    let document = write(dir.path(), "openapi.json", &document);
    let out = Command::new("timeout")
        .arg("600")
        .args(["st", "--no-color", "--config-file"])
        .arg(&config)
        .arg("run")
        .arg(&document)
        .args(["--url", &base])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", server.token),
        ])
        .args(["--max-examples", "40", "--seed", "1"])
        .args(["--request-timeout", "10", "--max-response-time", "10"])
        .current_dir(dir.path())
        .output()
        .expect("st (schemathesis)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&server.log).unwrap_or_default()
    );
    // Enough requests to mean something, and every operation of the document tried.
    let generated: usize = text
        .lines()
        .find(|l| l.contains(" generated, "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(generated >= 300, "only {generated} requests:\n{text}");
    assert!(text.contains("Tested: 8"), "{text}");
    // The run the generated requests pointed at is as it was (a cancel of a finished run
    // changes nothing).
    assert_eq!(server.wes(&["state", &done]), "COMPLETE");
}

/// Runs on a cluster share the server's `--max-jobs`: two runs of two shards each on the
/// Slurm of scripts/services/slurm-up.sh, with one job allowed, never have two jobs running.
#[test]
fn a_servers_job_limit_holds_across_runs_on_slurm() {
    let busy = Busy::new();
    let (dir, spans_dir, wdl) = (&busy.dir, &busy.spans, &busy.wdl);
    let config = write(
        dir.path(),
        "ferry.toml",
        &format!(
            "[profiles.slurm]\nexecutor = \"slurm\"\ncache = false\nsingle_node_cluster = true\n\
             poll_interval = \"1s\"\njob_name_prefix = \"serve{}-\"\n",
            std::process::id()
        ),
    );
    let server = Server::start(
        &dir.path().join("runs"),
        &[
            "--max-jobs",
            "1",
            "--profile",
            "slurm",
            "--config",
            &config.display().to_string(),
        ],
    );
    let ids: Vec<String> = ["a", "b"]
        .iter()
        .map(|label| server.submit(wdl, &busy_inputs(dir.path(), spans_dir, label, 2), &[]))
        .collect();
    for id in &ids {
        let log = server.wait(id);
        assert_eq!(log["state"], "COMPLETE", "{log}");
    }
    let all = spans(spans_dir, "");
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(most_at_once(&all), 1, "two jobs ran at once: {all:?}");
}

/// A server whose run database is PostgreSQL (the tests' own, scripts/services/postgres-up.sh):
/// a run's record, outputs and state history survive the server's kill -9, and a run killed
/// mid-way is taken up again from the database's word that it was running.
#[test]
fn a_server_keeps_its_runs_in_postgresql() {
    let url = std::env::var("FERRY_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://ferry:ferry@127.0.0.1:5433/ferry".into());
    let slow = SlowRun::new(3);
    let runs = slow.runs();
    let mut server = Server::start(&runs, &["--db", &url]);
    let id = slow.submit(&server);
    slow.second_started();
    server.kill9();
    // No SQLite file: the database is elsewhere.
    assert!(!runs.join("runs.sqlite").exists());
    // Restarted with the URL from the environment (its password out of the process list).
    let server = Server::start_with(&runs, &[], &[("FERRY_SERVE_DB", &url)]);
    let log = server.wait(&id);
    assert_eq!(log["state"], "COMPLETE", "{log}");
    assert_eq!(log["outputs"]["slow.out"], "second after first");
    let history: Vec<String> = log["run_log"]["system_logs"]
        .as_array()
        .expect("system_logs")
        .iter()
        .filter_map(|l| l.as_str()?.split_whitespace().nth(1).map(str::to_string))
        .collect();
    assert_eq!(history, ["QUEUED", "RUNNING", "COMPLETE"], "{log}");
    let pages = server.wes(&["pages", "10"]);
    assert_eq!(
        pages.trim(),
        format!("[\"{id}\"]"),
        "only this server's runs are listed"
    );
    // A finished run's tasks are the database's: listed with their resources even with the
    // journal gone.
    std::fs::remove_file(runs.join(&id).join("run/attempts.tsv")).expect("journal");
    let (status, body) = server.get(&format!("/ga4gh/wes/v1/runs/{id}/tasks"), None);
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).expect("json");
    let tasks = page["task_logs"].as_array().expect("tasks");
    let names: Vec<&str> = tasks.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(
        names.contains(&"first") && names.contains(&"second"),
        "{page}"
    );
    assert!(
        tasks.iter().all(|t| t["system_logs"][0]
            .as_str()
            .is_some_and(|l| l.contains("MiB requested"))),
        "{page}"
    );
    // One task by its id (slashes and all), from the database too.
    let second = tasks
        .iter()
        .find(|t| t["name"] == "second")
        .expect("second");
    let task_id = second["id"].as_str().expect("id");
    let (status, body) = server.get(&format!("/ga4gh/wes/v1/runs/{id}/tasks/{task_id}"), None);
    assert_eq!(status, 200, "{body}");
    let one: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(&one, second);
}

/// On PostgreSQL the server's runtime threads block in the database client and may retire when
/// idle; a run's engine must not die with the thread that started it. A run whose task lasts
/// longer than a retiring thread's 10 s completes, on a quiet server nobody polls.
#[test]
fn a_run_on_a_quiet_postgresql_server_outlives_its_starting_thread() {
    let url = std::env::var("FERRY_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://ferry:ferry@127.0.0.1:5433/ferry".into());
    let slow = SlowRun::new(16);
    let server = Server::start(&slow.runs(), &["--db", &url]);
    let id = slow.submit(&server);
    // Not a request meanwhile: the server is idle while the run's second call sleeps.
    std::thread::sleep(Duration::from_secs(24));
    let record: Value = serde_json::from_slice(
        &std::fs::read(slow.runs().join(&id).join("record.json")).expect("record"),
    )
    .expect("json");
    let state = record["state"].as_str().unwrap_or_default().to_string();
    assert!(
        state == "RUNNING" || state == "COMPLETE",
        "{state}: {record}\n{}",
        std::fs::read_to_string(slow.runs().join(&id).join("stderr")).unwrap_or_default()
    );
    let log = server.wait(&id);
    assert_eq!(log["state"], "COMPLETE", "{log}");
}

/// A workflow named by an `https://` URL under a prefix the server may fetch from (an
/// in-house HTTPS server on loopback, its own certificate authority given): fetched with the
/// document it imports by a relative `../` path, and run. Elsewhere, or with no prefix given,
/// refused.
#[test]
fn an_https_workflow_under_an_allowed_prefix_is_fetched_with_its_imports() {
    let dir = tempfile::tempdir().expect("tmp");
    let web = dir.path().join("web");
    std::fs::create_dir_all(web.join("w/pipelines")).expect("web");
    std::fs::create_dir_all(web.join("w/tasks")).expect("web");
    std::fs::create_dir_all(web.join("other")).expect("web");
    write(
        &web.join("w/tasks"),
        "greet.wdl",
        "version 1.1\ntask greet {\n  input { String who }\n  command <<< echo \"hi ~{who}\" >>>\n  output { String out = read_string(stdout()) }\n}\n",
    );
    let main = "version 1.1\nimport \"../tasks/greet.wdl\" as g\nworkflow hello {\n  input { String who }\n  call g.greet { input: who = who }\n  output { String out = greet.out }\n}\n";
    write(&web.join("w/pipelines"), "hello.wdl", main);
    write(&web.join("other"), "hello.wdl", main);
    // A certificate authority of the test's own, and the web server's certificate from it.
    let (ca, cert, key) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    write(
        dir.path(),
        "leaf.ext",
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    );
    let openssl = |args: &[&str]| {
        let ok = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(ok.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=ferry-test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        "cert.pem",
        "-extfile",
        "leaf.ext",
    ]);
    let mut web_server = Command::new("python3")
        .arg(fixture("https_server.py"))
        .args([&web, &cert, &key])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("https_server.py");
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(web_server.stdout.as_mut().expect("stdout")),
        &mut port,
    )
    .expect("port");
    let origin = format!("https://127.0.0.1:{}", port.trim());
    let allowed = format!("{origin}/w/");
    let server = Server::start(
        &dir.path().join("runs"),
        &[
            "--allow-workflow-url",
            &allowed,
            "--workflow-ca",
            &ca.display().to_string(),
        ],
    );
    let submit = |server: &Server, url: &str| {
        server.wes(&[
            "post-form",
            "/ga4gh/wes/v1/runs",
            "workflow_type=WDL",
            "workflow_type_version=1.1",
            &format!("workflow_url={url}"),
            r#"workflow_params={"hello.who": "web"}"#,
        ])
    };
    let out = submit(&server, &format!("{origin}/w/pipelines/hello.wdl"));
    assert!(out.starts_with("200 "), "{out}");
    let answer: Value = serde_json::from_str(&out[4..]).expect("json");
    let id = answer["run_id"].as_str().expect("run id");
    let log = server.wait(id);
    assert_eq!(log["state"], "COMPLETE", "{log}");
    assert_eq!(log["outputs"]["hello.out"], "hi web");
    // Not under the prefix (the same document elsewhere on that server): refused.
    let out = submit(&server, &format!("{origin}/other/hello.wdl"));
    assert!(out.starts_with("403 "), "{out}");
    // A server given no prefix fetches nothing.
    let closed = Server::start(&dir.path().join("closed"), &[]);
    let out = submit(&closed, &format!("{origin}/w/pipelines/hello.wdl"));
    assert!(
        out.starts_with("403 ") && out.contains("--allow-workflow-url"),
        "{out}"
    );
    let _ = web_server.kill();
    let _ = web_server.wait();
}
