//! End-to-end: `ferry check` and `ferry run` on workflows covering the language and the runtime.

mod common;

use std::time::{Duration, Instant};

use common::{check, project, run};
use serde_json::json;

#[test]
fn check_reports_type_errors_with_location() {
    let dir = project(&[
        ("ok.wdl", "version 1.1\nworkflow w { Int x = 1 }\n"),
        ("bad.wdl", "version 1.1\nworkflow w {\n  Int x = true\n}\n"),
    ]);
    let ok = check(dir.path(), "ok.wdl");
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let bad = check(dir.path(), "bad.wdl");
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("bad.wdl:3:11: error: type mismatch"),
        "{}",
        bad.stderr
    );
    // `run` refuses to start the same document, with the same message.
    let r = run(dir.path(), "bad.wdl", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bad.wdl:3:11"), "{}", r.stderr);
    assert!(!r.run_dir.join("calls").exists());
}

const SCATTER: &str = r#"
version 1.1
task sq {
  input { Int x }
  command <<<
    echo $(( ~{x} * ~{x} ))
  >>>
  output { Int y = read_int(stdout()) }
  runtime { cpu: 1 memory: "32 MiB" }
}
task total {
  input { Array[Int] ys }
  command <<<
    echo ~{sep=" " ys} | tr ' ' '\n' | awk '{ s += $1 } END { print s }' > total.txt
  >>>
  output { File f = "total.txt"  Int n = read_int("total.txt") }
}
workflow sums {
  input { Int n }
  scatter (i in range(n)) {
    call sq { input: x = i }
  }
  call total { input: ys = sq.y }
  output { Array[Int] squares = sq.y  Int sum = total.n  File report = total.f }
}
"#;

#[test]
fn scatter_gather_and_published_outputs() {
    let dir = project(&[("s.wdl", SCATTER)]);
    let r = run(dir.path(), "s.wdl", &["sums.n=5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["sums.squares"], json!([0, 1, 4, 9, 16]));
    assert_eq!(o["sums.sum"], json!(30));
    let report = o["sums.report"].as_str().unwrap();
    assert!(report.starts_with(r.run_dir.to_str().unwrap()), "{report}");
    assert!(report.contains("/out/report/"), "{report}");
    assert_eq!(std::fs::read_to_string(report).unwrap().trim(), "30");
    // Run directory layout.
    for f in ["inputs.json", "outputs.json", "ferry.log", "state"] {
        assert!(r.run_dir.join(f).exists(), "{f}");
    }
    let attempt = r.run_dir.join("calls/sq/shard-3.attempt-1");
    // A shard's attempts sit beside the other shards', without a directory per shard.
    assert!(!r.run_dir.join("calls/sq/shard-3").exists());
    for f in ["command", "stdout", "stderr", "rc", "work"] {
        assert!(attempt.join(f).exists(), "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(attempt.join("stdout")).unwrap(),
        "9\n"
    );
    assert_eq!(
        std::fs::read_to_string(attempt.join("rc")).unwrap().trim(),
        "0"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(r.run_dir.join("outputs.json")).unwrap())
            .unwrap();
    assert_eq!(saved, o);
}

#[test]
fn language_features_evaluate_as_the_spec_says() {
    let wdl = r#"
version 1.1
struct Sample { String name  Array[Int] reads  Map[String, Float]? qc }
workflow lang {
  input {
    Int a = 2
    Int b = a * 10
    String? maybe
  }
  Sample s = Sample { name: "s1", reads: [3, 1, 2] }
  Map[String, Int] m = { "z": 1, "a": 2, "m": 3 }
  Pair[Int, String] p = (1, "one")
  Array[Array[Int]] nested = [[1, 2], [3]]
  scatter (row in nested) {
    scatter (x in row) {
      Int doubled = x * 2
    }
    if (length(row) > 1) {
      Int long_row = length(row)
    }
  }
  if (a > 100) { Int never = 1 }
  output {
    Int b_out = b
    Array[Array[Int]] doubled_out = doubled
    Array[Int?] long_rows = long_row
    Int? never_out = never
    Int rounded = round(2.5)
    Int rounded_neg = round(-2.5)
    String floats = "~{1.5} ~{1.0 / 4}"
    String opts = "~{sep=',' s.reads} ~{true='yes' false='no' a > 1} [~{default='none' maybe}]"
    Array[String] keys_in_order = keys(m)
    String right = p.right
    Int nreads = length(s.reads)
    Boolean qc_missing = !defined(s.qc)
    Float mixed = a + 0.5
    Int intdiv = 7 / 2
    Int modulo = -7 % 3
    String sub_out = sub("chr1:100-200", "^chr", "")
    String base = basename("/x/y/sample.bam", ".bam")
    Array[Pair[Int, String]] zipped = zip([1, 2], ["a", "b"])
    Array[Int] flat = flatten(nested)
    Int first = select_first([maybe_int(), 7])
    Array[String] pre = prefix("-i ", ["a", "b"])
    Map[String, Int] back = as_map(as_pairs(m))
    Array[Array[Int]] t = transpose([[1, 2], [3, 4]])
  }
}
"#;
    // `maybe_int()` is not a function: replace with a None-valued name.
    let wdl = wdl.replace("maybe_int()", "never");
    let dir = project(&[("lang.wdl", &wdl)]);
    let r = run(dir.path(), "lang.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["lang.b_out"], json!(20));
    assert_eq!(o["lang.doubled_out"], json!([[2, 4], [6]]));
    assert_eq!(o["lang.long_rows"], json!([2, null]));
    assert_eq!(o["lang.never_out"], json!(null));
    assert_eq!(o["lang.rounded"], json!(3));
    assert_eq!(o["lang.rounded_neg"], json!(-3));
    assert_eq!(o["lang.floats"], json!("1.500000 0.250000"));
    assert_eq!(o["lang.opts"], json!("3,1,2 yes [none]"));
    assert_eq!(o["lang.keys_in_order"], json!(["z", "a", "m"]));
    assert_eq!(o["lang.right"], json!("one"));
    assert_eq!(o["lang.nreads"], json!(3));
    assert_eq!(o["lang.qc_missing"], json!(true));
    assert_eq!(o["lang.mixed"], json!(2.5));
    assert_eq!(o["lang.intdiv"], json!(3));
    assert_eq!(o["lang.modulo"], json!(-1));
    assert_eq!(o["lang.sub_out"], json!("1:100-200"));
    assert_eq!(o["lang.base"], json!("sample"));
    assert_eq!(
        o["lang.zipped"],
        json!([{"left": 1, "right": "a"}, {"left": 2, "right": "b"}])
    );
    assert_eq!(o["lang.flat"], json!([1, 2, 3]));
    assert_eq!(o["lang.first"], json!(7));
    assert_eq!(o["lang.pre"], json!(["-i a", "-i b"]));
    assert_eq!(o["lang.back"], json!({"z": 1, "a": 2, "m": 3}));
    assert_eq!(o["lang.t"], json!([[1, 3], [2, 4]]));
}

#[test]
fn subworkflows_imports_aliases_structs_and_after() {
    let lib = r#"
version 1.1
struct Region { String chrom  Int start  Int end }
task width {
  input { Region r }
  command <<< echo $(( ~{r.end} - ~{r.start} )) >>>
  output { Int w = read_int(stdout()) }
}
workflow widths {
  input { Array[Region] regions }
  scatter (r in regions) { call width { input: r = r } }
  output { Array[Int] ws = width.w }
}
"#;
    let main = r#"
version 1.1
import "lib/regions.wdl" as lib alias Region as Interval
task stamp {
  input { String label  Float pause = 0 }
  command <<< sleep ~{pause}; date +%s%N > ~{label}.t >>>
  output { String done = label }
  runtime { cpu: 1 }
}
workflow main {
  input { Array[Interval] regions }
  call lib.widths as measure { input: regions = regions }
  call stamp as first { input: label = "first", pause = 0.5 }
  call stamp as second after first { input: label = "second" }
  output {
    Array[Int] ws = measure.ws
    Int total = measure.ws[0] + measure.ws[1]
    String last = second.done
  }
}
"#;
    let inputs = r#"{"main.regions": [{"chrom": "chr1", "start": 10, "end": 110}, {"chrom": "chr2", "start": 0, "end": 5}]}"#;
    let dir = project(&[
        ("lib/regions.wdl", lib),
        ("main.wdl", main),
        ("in.json", inputs),
    ]);
    let r = run(dir.path(), "main.wdl", &["-i", "in.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["main.ws"], json!([100, 5]));
    assert_eq!(o["main.total"], json!(105));
    // Subworkflow calls nest under their call's directory.
    assert!(
        r.run_dir
            .join("calls/measure/width/shard-1.attempt-1/stdout")
            .exists()
    );
    // `after` orders calls with no data dependency: `second` stamps as it starts, `first` as
    // it ends half a second later, so they would be the other way round without it.
    let t = |label: &str| -> u128 {
        let p = r
            .run_dir
            .join(format!("calls/{label}/attempt-1/work/{label}.t"));
        std::fs::read_to_string(p).unwrap().trim().parse().unwrap()
    };
    assert!(t("first") < t("second"));
}

#[test]
fn inputs_json_relative_files_overrides_and_nested_call_inputs() {
    let wdl = r#"
version 1.1
task count {
  input { File f  String prefix = "n" }
  command <<< echo "~{prefix}=$(wc -l < '~{f}')" >>>
  output { String line = read_string(stdout()) }
}
workflow w {
  input { File a  File b }
  call count as ca { input: f = a }
  call count as cb { input: f = b }
  output { String x = ca.line  String y = cb.line }
}
"#;
    let dir = project(&[
        ("w.wdl", wdl),
        ("inputs/one/reads.txt", "1\n2\n"),
        ("inputs/two/reads.txt", "1\n2\n3\n"),
        (
            "inputs/in.json",
            r#"{"w.a": "one/reads.txt", "w.b": "two/reads.txt", "w.cb.prefix": "m"}"#,
        ),
    ]);
    let r = run(
        dir.path(),
        "w.wdl",
        &["-i", "inputs/in.json", "w.ca.prefix=k"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    // Same basename from different directories: no collision.
    assert_eq!(o["w.x"], json!("k=2"));
    assert_eq!(o["w.y"], json!("m=3"));
}

#[test]
fn bad_inputs_name_the_key_and_exit_2_before_anything_runs() {
    let dir = project(&[("s.wdl", SCATTER), ("in.json", r#"{"sums.n": "five"}"#)]);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "missing required input `sums.n`"),
        (vec!["-i", "in.json"], "sums.n"),
        (vec!["sums.n=3", "sums.m=1"], "unknown input `sums.m`"),
        (vec!["sums.n=3", "sums.sq.x=1"], "sums.sq.x"),
        (vec!["-i", "missing.json"], "missing.json"),
    ];
    for (args, needle) in cases {
        let r = run(dir.path(), "s.wdl", &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert!(!r.run_dir.join("calls").exists(), "{args:?}: something ran");
    }
    let f = project(&[(
        "f.wdl",
        "version 1.1\nworkflow f { input { File x } output { File y = x } }\n",
    )]);
    let r = run(f.path(), "f.wdl", &["f.x=nope.txt"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("input `f.x`") && r.stderr.contains("does not exist"),
        "{}",
        r.stderr
    );
}

#[test]
fn task_failure_reports_call_shard_attempt_and_stderr_and_lets_others_finish() {
    let wdl = r#"
version 1.1
task maybe_fail {
  input { Int i }
  command <<<
    echo "working on ~{i}" >&2
    if [ ~{i} -eq 2 ]; then echo "boom at shard ~{i}" >&2; exit 7; fi
  >>>
  runtime { maxRetries: 1 }
}
task slow {
  command <<< sleep 1; echo done > done.txt >>>
  output { File d = "done.txt" }
}
workflow fails {
  call slow
  scatter (i in range(3)) { call maybe_fail { input: i = i } }
}
"#;
    let dir = project(&[("f.wdl", wdl)]);
    let r = run(dir.path(), "f.wdl", &["--max-cpus", "4"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("maybe_fail[2]"), "{}", r.stderr);
    assert!(r.stderr.contains("attempt 2"), "{}", r.stderr);
    assert!(r.stderr.contains("exit code 7"), "{}", r.stderr);
    assert!(r.stderr.contains("boom at shard 2"), "{}", r.stderr);
    assert!(
        r.stderr.contains("calls/maybe_fail/shard-2.attempt-2"),
        "{}",
        r.stderr
    );
    // The retry ran in a fresh directory, and the independent call finished.
    assert!(
        r.run_dir
            .join("calls/maybe_fail/shard-2.attempt-1/rc")
            .exists()
    );
    assert!(
        r.run_dir
            .join("calls/slow/attempt-1/work/done.txt")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(r.run_dir.join("state"))
            .unwrap()
            .trim(),
        "failed"
    );
}

#[test]
fn retries_return_codes_and_task_runs() {
    let wdl = r#"
version 1.1
task flaky {
  input { String marker }
  command <<<
    if [ ! -e '~{marker}' ]; then touch '~{marker}'; exit 1; fi
    echo ok
  >>>
  output { String out = read_string(stdout()) }
  runtime { maxRetries: 2 }
}
task odd_exit {
  command <<< echo fine; exit 3 >>>
  output { String out = read_string(stdout()) }
  runtime { returnCodes: [0, 3] }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let marker = dir.path().join("marker");
    let r = run(
        dir.path(),
        "t.wdl",
        &[
            "--task",
            "flaky",
            &format!("flaky.marker={}", marker.display()),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["flaky.out"], json!("ok"));
    assert!(r.run_dir.join("calls/flaky/attempt-2/rc").exists());
    let r2 = run(dir.path(), "t.wdl", &["--task", "odd_exit"]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert_eq!(r2.outputs()["odd_exit.out"], json!("fine"));
}

#[test]
fn outputs_outside_the_work_dir_and_oversized_tasks_are_errors() {
    let wdl = r#"
version 1.1
task leak {
  command <<< true >>>
  output { File f = "/etc/hostname" }
}
task huge {
  command <<< echo never > ran.txt >>>
  runtime { cpu: 64 }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = run(dir.path(), "t.wdl", &["--task", "leak"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("outside the task's working directory"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), "t.wdl", &["--task", "huge", "--max-cpus", "2"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("asks for 64 cpu") && r.stderr.contains("at most 2 cpu"),
        "{}",
        r.stderr
    );
    assert!(!r.run_dir.join("calls/huge/attempt-1/work/ran.txt").exists());
}

#[test]
fn wdl_1_2_requirements_env_task_object_and_globs() {
    let wdl = r#"
version 1.2
task t {
  input {
    env String GREETING = "hi"
    Int n = 3
  }
  command <<<
    for i in $(seq 1 ~{n}); do echo "$GREETING $i" > "part_$i.txt"; done
    echo "~{task.name} attempt ~{task.attempt} cpu ~{task.cpu}"
  >>>
  requirements { cpu: 1 memory: "100 MiB" }
  output {
    Array[File] parts = glob("part_*.txt")
    String info = read_string(stdout())
    Int rc = select_first([task.return_code, -1])
    String first = read_string(parts[0])
  }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["t.parts"].as_array().unwrap().len(), 3);
    assert_eq!(o["t.info"], json!("t attempt 0 cpu 1.000000"));
    assert_eq!(o["t.rc"], json!(0));
    assert_eq!(o["t.first"], json!("hi 1"));
}

#[test]
fn sigterm_stops_running_tasks_and_exits_143() {
    let wdl = r#"
version 1.1
task long {
  command <<<
    sleep 300 &
    echo $! > child.pid
    wait
  >>>
}
workflow w { call long }
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let run_dir = dir.path().join("run");
    let mut child = common::ferry()
        .current_dir(dir.path())
        .args(["run", "w.wdl", "--run-dir"])
        .arg(&run_dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = run_dir.join("calls/long/attempt-1/work/child.pid");
    let start = Instant::now();
    while !pid_file.exists()
        || std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "task never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sleeper: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: sending a signal to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: signal 0 only checks for existence.
    let alive = unsafe { libc::kill(sleeper, 0) } == 0
        && !std::fs::read_to_string(format!("/proc/{sleeper}/stat"))
            .map(|s| s.contains(") Z "))
            .unwrap_or(true);
    assert!(!alive, "the task's child process survived");
    assert_eq!(
        std::fs::read_to_string(run_dir.join("state"))
            .unwrap()
            .trim(),
        "cancelled"
    );
}

#[test]
fn fail_fast_stops_running_tasks_at_the_first_failure() {
    let wdl = r#"
version 1.1
task slow {
  command <<< sleep 30 >>>
}
task broken {
  command <<< sleep 0.3; echo "broken on purpose" >&2; exit 2 >>>
}
workflow w {
  call slow
  call broken
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let start = Instant::now();
    let r = run(dir.path(), "w.wdl", &["--fail-fast", "--max-cpus", "2"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("broken on purpose"), "{}", r.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "took {:?}",
        start.elapsed()
    );
}

/// Runs started in the same second get a run directory each (created atomically), and a
/// resumed run appends to the log of the run it continues.
#[test]
fn concurrent_runs_get_their_own_directories_and_resume_appends_to_the_log() {
    let dir = project(&[(
        "w.wdl",
        "version 1.1\ntask t { command <<< echo hi >>> output { String o = read_string(stdout()) } }\n",
    )]);
    let start = || {
        common::ferry()
            .current_dir(dir.path())
            .args(["run", "w.wdl", "--no-cache"])
            .env("FERRY_LOG", "warn")
            .env("XDG_CACHE_HOME", dir.path().join(".cache"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("ferry starts")
    };
    let children: Vec<_> = (0..4).map(|_| start()).collect();
    for c in children {
        let out = c.wait_with_output().expect("ferry exits");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("ferry-runs"))
        .expect("ferry-runs")
        .flatten()
        .collect();
    assert_eq!(runs.len(), 4, "{runs:?}");
    for r in &runs {
        let outputs = std::fs::read_to_string(r.path().join("outputs.json")).expect("outputs");
        assert!(outputs.contains("\"t.o\": \"hi\""), "{outputs}");
    }

    let run_dir = runs[0].path();
    let again = common::ferry()
        .current_dir(dir.path())
        .args(["run", "w.wdl", "--resume", "--run-dir"])
        .arg(&run_dir)
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("ferry runs");
    assert!(again.status.success());
    let log = std::fs::read_to_string(run_dir.join("ferry.log")).expect("log");
    assert_eq!(log.matches("running t in").count(), 2, "{log}");
}

/// The shell prelude that writes `rc` is the task shell's alone: a nested bash does not run it
/// again (its exit code would overwrite the task's), and the task sees no `BASH_ENV`.
#[test]
fn the_rc_prelude_is_not_inherited_by_nested_shells() {
    let wdl = r#"version 1.1
task t {
  command <<<
    bash -c 'exit 4'
    echo "[$BASH_ENV]"
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = common::project(&[("t.wdl", wdl)]);
    let r = common::run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"[]\""), "{}", r.stdout);
    let rc = std::fs::read_to_string(r.run_dir.join("calls/t/attempt-1/rc")).expect("rc");
    assert_eq!(rc, "0\n");
}

/// `--keep-going` (and `failure_mode = "continue"`): after a call fails, everything that does
/// not depend on it still runs (a call that starts only after the failure included); what
/// depends on it (a call, a gather after a failed shard) is skipped, never waited for; the run
/// exits 1 naming what failed and what was skipped. Without it, nothing new starts.
#[test]
fn keep_going_runs_everything_independent_of_a_failure_and_names_what_was_skipped() {
    let wdl = r#"version 1.1
task step {
  input { String name  Int pause = 0  Boolean fail = false  String log }
  command <<<
    sleep ~{pause}
    echo "~{name}" >> '~{log}'
    if ~{fail}; then exit 3; fi
    echo "~{name}"
  >>>
  output { String o = read_string(stdout()) }
}
workflow w {
  input { String log }
  call step as a { input: name = "a", fail = true, log = log }
  call step as c { input: name = "c", pause = 1, log = log }
  call step as b { input: name = "b" + c.o, log = log }
  call step as d { input: name = "d" + a.o, log = log }
  scatter (i in [1, 2, 3]) {
    call step as s { input: name = "s~{i}", fail = i == 2, log = log }
  }
  call step as g { input: name = "g" + length(s.o), log = log }
  output { String out = b.o }
}
"#;
    for (args, profile, keep) in [
        (vec!["--keep-going"], "", true),
        (vec![], "[defaults]\nfailure_mode = \"continue\"\n", true),
        (vec![], "", false),
    ] {
        let dir = common::project(&[("w.wdl", wdl), ("ferry.toml", profile)]);
        let log = dir.path().join("ran.log");
        let log_arg = format!("w.log={}", log.display());
        let mut all: Vec<&str> = vec![log_arg.as_str()];
        all.extend(args.iter());
        let r = common::run_with(dir.path(), "w.wdl", &all, &[]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let ran = std::fs::read_to_string(&log).unwrap_or_default();
        let ran: Vec<&str> = ran.lines().collect();
        assert_eq!(
            ran.contains(&"bc"),
            keep,
            "b after the failure: {ran:?}\n{}",
            r.stderr
        );
        assert!(
            !ran.iter().any(|l| l.starts_with('d') || l.starts_with('g')),
            "{ran:?}"
        );
        if keep {
            assert!(
                r.stderr
                    .contains("skipped, as they depend on a failed call: d, g"),
                "{}",
                r.stderr
            );
        }
    }
}

/// Cromwell's runtime keys, as WARP writes them: `continueOnReturnCode` means `returnCodes`
/// (an exit 134 listed there succeeds; `true` accepts any), `awsBatchRetryAttempts` retries
/// when the task says no `maxRetries`, and the keys with no meaning here (`disks`,
/// `bootDiskSizeGb`, `zones`...) are warned about once per task by `check`, `--dry-run` and
/// `run`, naming them.
#[test]
fn cromwell_runtime_keys_are_read_or_named_as_ignored() {
    let wdl = r#"version 1.0
task crashes {
  command <<< exit 134 >>>
  runtime { continueOnReturnCode: [0, 134]  disks: "local-disk 1 HDD"  bootDiskSizeGb: 12  zones: "us-central1-a" }
}
task anything {
  command <<< exit 7 >>>
  runtime { continueOnReturnCode: true }
}
task flaky {
  input { String marker }
  command <<<
    if [ ! -e '~{marker}' ]; then touch '~{marker}'; exit 1; fi
    echo ok
  >>>
  output { String o = read_string(stdout()) }
  runtime { awsBatchRetryAttempts: 1 }
}
workflow w {
  input { String marker }
  call crashes
  call anything
  call flaky { input: marker = marker }
  output { String o = flaky.o }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let marker = format!("w.marker={}", dir.path().join("marker").display());
    let r = common::run_with(dir.path(), "w.wdl", &[&marker], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.o"], "ok");
    let warning = "task `crashes`: runtime `bootDiskSizeGb`, `zones` are ignored here";
    assert_eq!(r.stderr.matches(warning).count(), 1, "{}", r.stderr);
    let c = check(dir.path(), "w.wdl");
    assert!(c.stderr.contains(warning), "{}", c.stderr);
    let plan = common::run_with(dir.path(), "w.wdl", &[&marker, "--dry-run"], &[]);
    assert!(
        plan.stdout.contains(warning) || plan.stderr.contains(warning),
        "{}{}",
        plan.stdout,
        plan.stderr
    );
}

/// WDL `disks`: the space is checked before the command starts, in every form the spec and
/// Cromwell write it; a request the machine cannot meet fails at once, naming it, and the
/// command never runs.
#[test]
fn disks_are_checked_before_the_command_starts() {
    let wdl = r#"version 1.1
workflow w {
  input { String disks }
  call t { input: disks = disks }
  output { String s = t.s }
}
task t {
  input { String disks }
  command <<< if [ -n "${MARK_FILE:-}" ]; then touch "$MARK_FILE"; fi; echo ran >>>
  output { String s = read_string(stdout()) }
  runtime { disks: disks }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    for ok in [
        "1",
        "1 GiB",
        "local-disk 1 HDD",
        "/tmp 10 MiB",
        "/tmp/not/yet 1 MB SSD",
    ] {
        let r = common::run(
            dir.path(),
            "w.wdl",
            &["--no-cache", &format!("w.disks={ok}")],
        );
        assert_eq!(r.code, 0, "disks {ok:?}: {}", r.stderr);
        assert!(r.stdout.contains("\"ran\""), "{}", r.stdout);
    }
    let mark = dir.path().join("ran");
    for (too_much, named) in [
        ("1000000000 GiB", "working directory"),
        ("local-disk 900000000 SSD", "working directory"),
        ("/tmp 900 PB", "unknown unit"),
        ("/tmp 900000 TiB", "disk /tmp"),
    ] {
        let r = common::run_with(
            dir.path(),
            "w.wdl",
            &["--no-cache", &format!("w.disks={too_much}")],
            &[("MARK_FILE", mark.to_str().expect("utf-8"))],
        );
        assert_eq!(r.code, 1, "disks {too_much:?}: {}", r.stderr);
        assert!(r.stderr.contains(named), "{too_much:?}: {}", r.stderr);
        assert!(!mark.exists(), "the command ran despite disks {too_much:?}");
    }
    let r = common::run(
        dir.path(),
        "w.wdl",
        &["--no-cache", "w.disks=scratch 1 GiB"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not an absolute path"), "{}", r.stderr);
    // Cromwell's local backend ignores `disks`; so does `--compat cromwell`, saying so.
    let r = common::run(
        dir.path(),
        "w.wdl",
        &[
            "--no-cache",
            "--compat",
            "cromwell",
            "w.disks=local-disk 900000 TiB HDD",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("task `t`: runtime `disks` is ignored here"),
        "{}",
        r.stderr
    );
}

/// `disks` of tasks running together are added up per filesystem, as cpus are: three tasks each
/// asking 60% of the free space of the run's filesystem run one after another, not together
/// (each alone fits, so none fails), and a run asking more than the filesystem has still fails
/// at once.
#[test]
fn disks_of_concurrent_tasks_on_one_filesystem_are_added_up() {
    let wdl = r#"version 1.1
workflow w {
  input { Int gib  String log }
  scatter (i in [1, 2, 3]) {
    call t { input: gib = gib, i = i, log = log }
  }
}
task t {
  input { Int gib  Int i  String log }
  command <<<
    echo "start ~{i} $(date +%s.%N)" >> '~{log}'
    sleep 1
    echo "end ~{i} $(date +%s.%N)" >> '~{log}'
  >>>
  runtime { disks: "~{gib} GiB"  cpu: 1 }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let df = std::process::Command::new("df")
        .args(["-Pk", dir.path().to_str().expect("utf-8")])
        .output()
        .expect("df");
    let free_kib: u64 = String::from_utf8_lossy(&df.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|f| f.parse().ok())
        .expect("df's free KiB");
    let gib = (free_kib * 6 / 10) >> 20;
    assert!(gib >= 1, "the test needs 2 GiB free where it runs");
    let log = dir.path().join("log");
    let r = run(
        dir.path(),
        "w.wdl",
        &[
            "--no-cache",
            &format!("w.gib={gib}"),
            &format!("w.log={}", log.display()),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&log).expect("log");
    let mut running = 0;
    for line in text.lines() {
        running += if line.starts_with("start") { 1 } else { -1 };
        assert!(
            running <= 1,
            "two tasks held {gib} GiB each at once:\n{text}"
        );
    }
    assert_eq!(text.lines().count(), 6, "{text}");
    let r = run(
        dir.path(),
        "w.wdl",
        &[
            "--no-cache",
            &format!("w.gib={}", (free_kib * 2) >> 20),
            &format!("w.log={}", log.display()),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("working directory"), "{}", r.stderr);
}

/// Inputs written as Cromwell takes them (WARP's own test inputs): `"true"`/`"False"` for a
/// Boolean, `2.0` for an Int, paths with surrounding whitespace, struct members the struct does
/// not declare. Accepted, with a warning naming the input and what was done; read strictly by
/// `read_json`, which is the spec's.
#[test]
fn inputs_as_cromwell_takes_them_are_accepted_with_a_warning() {
    let wdl = r#"version 1.1
struct Sample { String name  Int reads }
workflow w {
  input {
    Boolean a
    Boolean? b
    Int n
    File f
    Array[Sample] samples
    Map[String, Boolean] flags
  }
  output {
    String s = "~{a} ~{select_first([b, true])} ~{n} ~{basename(f)} ~{samples[0].name}:~{samples[0].reads} ~{flags['x']}"
  }
}
"#;
    let inputs = r#"{
  "w.a": "TRUE",
  "w.b": "false",
  "w.n": 2.0,
  "w.f": "  data.txt \n",
  "w.samples": [{"name": "NA12878", "reads": 3.0, "library": "lib1", "lane": 2}],
  "w.flags": {"x": "True"}
}"#;
    let dir = project(&[("w.wdl", wdl), ("inputs.json", inputs), ("data.txt", "x\n")]);
    let r = common::run(dir.path(), "w.wdl", &["-i", "inputs.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.s"], "true false 2 data.txt NA12878:3 true");
    for warning in [
        "input `w.a`: the String \"TRUE\" read as a Boolean",
        "input `w.b`: the String \"false\" read as a Boolean",
        "input `w.n`: 2.0 read as an Int",
        "input `w.f`: the path \"  data.txt \\n\" read without its surrounding whitespace",
        "input `w.samples`: [0].reads: 3.0 read as an Int",
        "input `w.samples`: [0]: struct Sample has no member `library`, `lane`: ignored",
        "input `w.flags`: [\"x\"]: the String \"True\" read as a Boolean",
    ] {
        assert!(r.stderr.contains(warning), "no {warning:?} in {}", r.stderr);
    }
    // What the spec refuses outright is still refused.
    let dir = project(&[
        ("w.wdl", wdl),
        ("inputs.json", &inputs.replace("\"TRUE\"", "\"yes\"")),
    ]);
    let r = common::run(dir.path(), "w.wdl", &["-i", "inputs.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("input `w.a`"), "{}", r.stderr);
}

/// An inputs file in YAML (`.yml`, `.yaml`), as Cromwell and Sprocket read it.
#[test]
fn inputs_in_yaml() {
    let wdl = r#"version 1.1
workflow w {
  input { Int n  Array[String] names  Map[String, Float] m }
  output { String s = "~{n} ~{sep(',', names)} ~{m['x']}" }
}
"#;
    let yaml = "# a comment\nw.n: 3\nw.names:\n  - a\n  - b\nw.m: {x: 1.5}\n";
    let dir = project(&[
        ("w.wdl", wdl),
        ("inputs.yaml", yaml),
        ("bad.yml", "w.n: [1\n"),
    ]);
    let r = common::run(dir.path(), "w.wdl", &["-i", "inputs.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.s"], "3 a,b 1.500000");
    let r = common::run(dir.path(), "w.wdl", &["-i", "bad.yml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.yml: invalid YAML"), "{}", r.stderr);
}

/// Requirement overrides in the inputs are checked before anything runs: a misspelled key or a
/// value of the wrong type is refused (exit 2, every one named); hints accept any key.
#[test]
fn requirement_overrides_in_the_inputs_are_checked_before_anything_runs() {
    let wdl = r#"version 1.2
workflow w {
  call t
  output { String s = t.s }
}
task t {
  command <<< echo ~{task.cpu} >>>
  output { String s = read_string(stdout()) }
  requirements { cpu: 1 }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let r = common::run(
        dir.path(),
        "w.wdl",
        &[
            "w.t.requirements.memroy=\"1 GiB\"",
            "w.t.requirements.container=1",
            "w.t.requirements.cpu=\"lots\"",
            "w.t.requirements.max_retries=-1",
            "w.t.requirements.disks=\"scratch 1\"",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    for said in [
        "unknown input `w.t.requirements.memroy`: `memroy` is not a requirements key",
        "input `w.t.requirements.container`: 1 is not a valid `container`",
        "input `w.t.requirements.cpu`: \"lots\" is not a valid `cpu`",
        "input `w.t.requirements.max_retries`: -1 is not a valid `max_retries`",
        "input `w.t.requirements.disks`: disks \"scratch 1\"",
    ] {
        assert!(r.stderr.contains(said), "no {said:?} in {}", r.stderr);
    }
    assert!(!r.run_dir.join("calls").exists(), "something ran");
    let r = common::run(
        dir.path(),
        "w.wdl",
        &["w.t.requirements.cpu=2", "w.t.hints.anything_at_all=\"x\""],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.s"], "2.000000");
}

/// A stub run needs no data: an index past a stubbed array's end is its last element, and the
/// size of a file it does not have (named after an input) is 0 (WARP's JointGenotyping indexes
/// `gvcf_paths[1]`; its imputation pipelines size `path + ".unique_variants"`).
#[test]
fn a_stub_run_indexes_past_stubbed_arrays_and_sizes_missing_files() {
    let wdl = r#"version 1.0
workflow w {
  input { Array[File] gvcfs  File vcf }
  call split
  String second = split.parts[1]
  Float derived = size(vcf + ".unique_variants", "GiB")
  call use { input: second = second, gvcf = gvcfs[2], gb = derived }
}
task split { command <<< exit 1 >>> output { Array[String] parts = read_lines("p") } }
task use { input { String second  File gvcf  Float gb } command <<< exit 1 >>> }
"#;
    let dir = project(&[("w.wdl", wdl), ("a.g.vcf", ""), ("x.vcf", "")]);
    let r = common::run_with(
        dir.path(),
        "w.wdl",
        &["--profile", "stub", r#"gvcfs=["a.g.vcf"]"#, "vcf=x.vcf"],
        &[("FERRY_LOG", "info")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("stub run: reached all 2 calls"),
        "{}",
        r.stderr
    );
    // Not in a real run: the same index fails there.
    let r = common::run(dir.path(), "w.wdl", &[r#"gvcfs=["a.g.vcf"]"#, "vcf=x.vcf"]);
    assert_ne!(r.code, 0, "{}", r.stderr);
}

/// A stub run reaches what comes after a scatter over a stubbed array and a read of a stubbed
/// file: arrays are one element long (`stub_array_length`), optionals have a value, `read_*`
/// of an empty stub is a placeholder of its type, an Int is 1 (a count, so `range(n)` scatters
/// once); the run says how many calls it reached, telling untaken branches from gaps.
#[test]
fn a_stub_run_reaches_calls_behind_stubbed_arrays_and_reads() {
    let wdl = r#"version 1.0
workflow w {
  call split
  scatter (part in split.parts) {
    call work { input: part = part }
  }
  Array[String] names = read_lines(split.list)
  scatter (name in names) {
    call per_name { input: name = name, n = read_int(split.count) }
  }
  if (defined(split.maybe)) {
    call optional_branch
  }
  if (false) {
    call never
  }
  scatter (i in range(split.n)) {
    call counted
  }
  Array[Int] none = []
  scatter (i in none) {
    call empty_scatter
  }
}
task split {
  command <<< exit 1 >>>
  output {
    Int n = 0
    Array[File] parts = glob("*.part")
    File list = "list.txt"
    File count = "count.txt"
    File? maybe = "maybe.txt"
  }
}
task work { input { File part } command <<< exit 1 >>> output { File o = "o" } }
task per_name { input { String name  Int n } command <<< exit 1 >>> }
task optional_branch { command <<< exit 1 >>> }
task never { command <<< exit 1 >>> }
task counted { command <<< exit 1 >>> }
task empty_scatter { command <<< exit 1 >>> }
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let r = common::run(dir.path(), "w.wdl", &["--profile", "stub"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("stub run: reached 5 of 6 calls; not reached: empty_scatter; 1 more in branches not taken: never"),
        "{}",
        r.stderr
    );
    std::fs::write(
        dir.path().join("ferry.toml"),
        "[profiles.wide]\nstub = true\nstub_array_length = 3\n",
    )
    .expect("write");
    let r = common::run(dir.path(), "w.wdl", &["--profile", "wide"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shards = std::fs::read_dir(r.run_dir.join("calls/work"))
        .expect("calls/work")
        .count();
    assert_eq!(shards, 3, "{}", r.stderr);
}

/// A scatter's shards past the first thousand go to a directory per thousand, so no directory
/// grows with the scatter's width; a run an earlier Ferry left with every shard in the call's
/// directory resumes where it is and runs none of them again.
#[test]
fn shards_past_a_thousand_fan_out_and_the_flat_layout_still_resumes() {
    let wdl = r#"version 1.1
workflow w {
  input { Int n  String tally }
  scatter (i in range(n)) { call sq { input: x = i, tally = tally } }
  output { Array[Int] ys = sq.y }
}
task sq {
  input { Int x  String tally }
  command <<< echo ~{x} >> '~{tally}'; echo $(( ~{x} * ~{x} )) >>>
  output { Int y = read_int(stdout()) }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let tally = dir.path().join("tally");
    let args = [
        "w.n=1002".to_string(),
        format!("w.tally={}", tally.display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(dir.path(), "w.wdl", &[&args[..], &["--no-cache"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ys: Vec<i64> = (0..1002).map(|i| i * i).collect();
    assert_eq!(r.outputs()["w.ys"], json!(ys));
    let calls = r.run_dir.join("calls/sq");
    assert!(calls.join("shard-999.attempt-1/rc").exists());
    assert!(calls.join("shards-1000/shard-1001.attempt-1/rc").exists());
    assert_eq!(std::fs::read_dir(&calls).unwrap().count(), 1001);

    // The layout of an earlier Ferry: every shard in the call's directory, and its journal
    // naming them there.
    for i in [1000, 1001] {
        let name = format!("shard-{i}.attempt-1");
        std::fs::rename(calls.join("shards-1000").join(&name), calls.join(&name)).unwrap();
    }
    std::fs::remove_dir(calls.join("shards-1000")).unwrap();
    let journal = r.run_dir.join("attempts.tsv");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.contains("calls/sq/shards-1000/shard-1001.attempt-1\t0"),
        "{text}"
    );
    std::fs::write(&journal, text.replace("calls/sq/shards-1000/", "calls/sq/")).unwrap();

    let again = common::ferry()
        .current_dir(dir.path())
        .args(["run", "w.wdl"])
        .args(&args)
        .args(["--no-cache", "--resume", "--run-dir"])
        .arg(&r.run_dir)
        .env("FERRY_LOG", "warn")
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("ferry runs");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    let outputs: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(outputs["w.ys"], json!(ys));
    assert_eq!(
        std::fs::read_to_string(&tally).unwrap().lines().count(),
        1002
    );
    assert!(!calls.join("shards-1000").exists());
}
