//! Cromwell's workflow options (`ferry run --options options.json`), each through the binary:
//! where outputs, call logs and the workflow's log are copied; the call cache read or written
//! or not; default runtime attributes; the failure mode; and the keys that mean nothing here.

mod common;

use std::path::Path;

use common::{project, run};

const MAKE: &str = r#"version 1.0
task make {
  input { String name }
  command <<< echo "~{name}" > "~{name}.txt"; echo "made ~{name}" >&2 >>>
  output { File f = "~{name}.txt" }
}
workflow made {
  input { Array[String] names }
  scatter (n in names) { call make { input: name = n } }
  output { Array[File] fs = make.f }
}
"#;

fn options(dir: &Path, json: &str) -> String {
    let path = dir.join(format!("options-{}.json", common::serve::nanos()));
    std::fs::write(&path, json).unwrap();
    path.display().to_string()
}

#[test]
fn outputs_call_logs_and_the_workflow_log_are_copied_where_the_options_say() {
    let dir = project(&[("made.wdl", MAKE)]);
    let d = dir.path();
    let opts = options(
        d,
        &serde_json::json!({
            "final_workflow_outputs_dir": d.join("results").display().to_string(),
            "use_relative_output_paths": true,
            "final_call_logs_dir": d.join("call-logs").display().to_string(),
            "final_workflow_log_dir": d.join("wf-logs").display().to_string(),
        })
        .to_string(),
    );
    let r = run(
        d,
        "made.wdl",
        &["--options", &opts, r#"names=["x","y"]"#, "--no-cache"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for n in ["x", "y"] {
        assert_eq!(
            std::fs::read_to_string(d.join(format!("results/{n}.txt")))
                .unwrap()
                .trim(),
            n
        );
    }
    let run_id = std::fs::read_to_string(r.run_dir.join("run-id"))
        .unwrap()
        .trim()
        .to_string();
    for (shard, n) in ["x", "y"].iter().enumerate() {
        let logs = d.join(format!(
            "call-logs/made/{run_id}/call-make/shard-{shard}/attempt-1"
        ));
        assert_eq!(
            std::fs::read_to_string(logs.join("stderr")).unwrap().trim(),
            format!("made {n}")
        );
        assert!(logs.join("stdout").is_file());
    }
    assert!(d.join(format!("wf-logs/workflow.{run_id}.log")).is_file());

    // Without relative paths: under the workflow's name and the run's id, as published.
    let opts = options(
        d,
        &serde_json::json!({"final_workflow_outputs_dir": d.join("nested").display().to_string()})
            .to_string(),
    );
    let r = run(
        d,
        "made.wdl",
        &["--options", &opts, r#"names=["z"]"#, "--no-cache"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run_id = std::fs::read_to_string(r.run_dir.join("run-id")).unwrap();
    let copied = d.join(format!("nested/made/{}/fs/0/z.txt", run_id.trim()));
    assert_eq!(
        std::fs::read_to_string(&copied).unwrap().trim(),
        "z",
        "{}",
        r.stderr
    );

    // Two outputs of one name cannot both go to one relative path: the run fails, naming them.
    let same = r#"version 1.0
task same {
  input { String d }
  command <<< mkdir ~{d} && echo ~{d} > ~{d}/out.txt >>>
  output { File f = "~{d}/out.txt" }
}
workflow twice {
  scatter (d in ["a", "b"]) { call same { input: d = d } }
  output { Array[File] fs = same.f }
}
"#;
    std::fs::write(d.join("twice.wdl"), same).unwrap();
    let opts = options(
        d,
        &serde_json::json!({
            "final_workflow_outputs_dir": d.join("clash").display().to_string(),
            "use_relative_output_paths": true,
        })
        .to_string(),
    );
    let r = run(d, "twice.wdl", &["--options", &opts, "--no-cache"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("would both be copied to"), "{}", r.stderr);
}

#[test]
fn the_call_cache_is_read_and_written_only_as_the_options_say() {
    let dir = project(&[("made.wdl", MAKE)]);
    let d = dir.path();
    let salt = format!(r#"names=["c{}"]"#, common::serve::nanos());
    let no_write = options(d, r#"{"write_to_cache": false}"#);
    let no_read = options(d, r#"{"read_from_cache": false}"#);
    let hits = |r: &common::Run| r.stderr.contains("1 calls reused from the cache");
    let info = [("FERRY_LOG", "info")];
    let r = common::run_with(d, "made.wdl", &["--options", &no_write, &salt], &info);
    assert!(r.code == 0 && !hits(&r), "{}", r.stderr);
    // Nothing was written: the same call runs again, and this time it is recorded.
    let r = common::run_with(d, "made.wdl", &[&salt], &info);
    assert!(r.code == 0 && !hits(&r), "{}", r.stderr);
    // Recorded, but not read.
    let r = common::run_with(d, "made.wdl", &["--options", &no_read, &salt], &info);
    assert!(r.code == 0 && !hits(&r), "{}", r.stderr);
    let r = common::run_with(d, "made.wdl", &[&salt], &info);
    assert!(r.code == 0 && hits(&r), "{}", r.stderr);
}

#[test]
fn default_runtime_attributes_and_the_failure_mode_apply_and_other_keys_are_warned() {
    let flaky = r#"version 1.0
task flaky {
  input { String counter }
  command <<< n=$(cat ~{counter} 2>/dev/null || echo 0); echo $((n + 1)) > ~{counter}; [ $n -ge 2 ] >>>
  output { Int tries = read_int(counter) }
}
workflow w {
  input { String counter }
  call flaky { input: counter = counter }
  output { Int tries = flaky.tries }
}
"#;
    let dir = project(&[("w.wdl", flaky)]);
    let d = dir.path();
    let counter = d.join("counter").display().to_string();
    let opts = options(
        d,
        r#"{"default_runtime_attributes": {"maxRetries": 2, "cpu": 1, "memory": "1 GB", "zones": "us-east1-b"},
            "jes_gcs_root": "gs://x", "google_project": "p", "no_such_option": 1}"#,
    );
    let counter_arg = format!("counter={counter}");
    let r = run(
        d,
        "w.wdl",
        &["--options", &opts, &counter_arg, "--no-cache"],
    );
    assert_eq!(
        r.code, 0,
        "maxRetries 2 lets the third attempt succeed: {}",
        r.stderr
    );
    assert_eq!(r.outputs()["w.tries"], 3);
    assert!(
        r.stderr.contains(
            "jes_gcs_root, google_project only mean(s) something to Cromwell's Google backend"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("unknown option \"no_such_option\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("default_runtime_attributes.zones is not applied"),
        "{}",
        r.stderr
    );

    // ContinueWhilePossible: what does not depend on the failed call still starts after it
    // failed; without it, nothing new starts.
    let keep_going = r#"version 1.0
task fails { command <<< exit 3 >>> }
task wait { command <<< sleep 3 >>> output { Int x = 1 } }
task other { input { Int x } command <<< echo fine >>> output { String s = read_string(stdout()) } }
workflow k {
  call fails
  call wait
  call other { input: x = wait.x }
}
"#;
    std::fs::write(d.join("k.wdl"), keep_going).unwrap();
    let r = run(d, "k.wdl", &["--no-cache"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let journal = std::fs::read_to_string(r.run_dir.join("attempts.tsv")).unwrap();
    assert!(!journal.contains("calls/other/"), "{journal}");
    let opts = options(d, r#"{"workflow_failure_mode": "ContinueWhilePossible"}"#);
    let r = run(d, "k.wdl", &["--options", &opts, "--no-cache"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let journal = std::fs::read_to_string(r.run_dir.join("attempts.tsv")).unwrap();
    assert!(
        journal.contains("calls/other/"),
        "other ran after fails failed: {journal}"
    );

    // A bad option is a usage error before anything runs.
    let opts = options(d, r#"{"workflow_failure_mode": "Sometimes"}"#);
    let r = run(d, "w.wdl", &["--options", &opts, &counter_arg]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("workflow_failure_mode must be"),
        "{}",
        r.stderr
    );
}
