//! End-to-end: ferry.toml layering, per-task overrides, stub and dry runs, bad configs.

mod common;

use common::{ferry, project, run};
use serde_json::json;

const WDL: &str = r#"
version 1.2
task measure {
  input { Int i }
  command <<< echo ~{i} > out.txt >>>
  requirements { cpu: 1  memory: "100 MiB" }
  output {
    File out = "out.txt"
    Float cpu = task.cpu
    Int memory = task.memory
  }
}
task other {
  command <<< echo hi >>>
  output { String s = read_string(stdout()) }
}
workflow w {
  scatter (i in range(2)) { call measure { input: i = i } }
  call other
  output {
    Array[File] outs = measure.out
    Array[Float] cpus = measure.cpu
    Array[Int] mems = measure.memory
    String s = other.s
  }
}
"#;

#[test]
fn layered_profiles_and_per_task_overrides_apply_at_run_time() {
    let dir = project(&[
        ("wf/w.wdl", WDL),
        // Beside the workflow: a profile with a per-task override.
        (
            "wf/ferry.toml",
            "[profiles.big]\nmax_memory = \"1 GiB\"\n[profiles.big.tasks.\"meas*\"]\nmemory = \"200 MiB\"\ncpu = 2\n",
        ),
        // In the current directory: overrides one key of the same profile.
        ("ferry.toml", "[profiles.big.tasks.measure]\ncpu = 1.5\n"),
        (
            "extra.toml",
            "[profiles.big.tasks.measure]\nmemory = \"300 MiB\"\n",
        ),
    ]);
    let r = run(
        dir.path(),
        "wf/w.wdl",
        &[
            "--profile",
            "big",
            "--config",
            "extra.toml",
            "--max-cpus",
            "2",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.cpus"], json!([1.5, 1.5]));
    assert_eq!(o["w.mems"], json!([300 * 1024 * 1024, 300 * 1024 * 1024]));
    assert_eq!(o["w.s"], json!("hi"));

    let show = ferry()
        .current_dir(dir.path())
        .args([
            "config",
            "show",
            "--profile",
            "big",
            "--config",
            "extra.toml",
            "wf/w.wdl",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("tasks.measure.cpu = 1.5") && text.contains("[profiles.big]"),
        "{text}"
    );
    assert!(text.contains("extra.toml"), "{text}");
}

#[test]
fn stub_runs_wire_the_dag_without_running_commands() {
    let dir = project(&[("w.wdl", WDL)]);
    let r = run(dir.path(), "w.wdl", &["--profile", "stub"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.s"], json!(""));
    let outs = o["w.outs"].as_array().unwrap();
    assert_eq!(outs.len(), 2);
    for f in outs {
        assert_eq!(std::fs::read_to_string(f.as_str().unwrap()).unwrap(), "");
    }
    assert!(
        !r.run_dir.join("calls/other/attempt-1/stdout").exists(),
        "a command ran"
    );
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let dir = project(&[
        ("w.wdl", WDL),
        (
            "ferry.toml",
            "[defaults]\nretries = 2\nqueue = \"short\"\n[defaults.tasks.other]\nqueue = \"long\"\n",
        ),
    ]);
    let r = run(dir.path(), "w.wdl", &["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("measure[*]"), "{}", r.stdout);
    assert!(r.stdout.contains("100.0 MiB"), "{}", r.stdout);
    let other = r.stdout.lines().find(|l| l.starts_with("other")).unwrap();
    assert!(other.contains("long") && other.contains("2"), "{other}");
    assert!(!r.run_dir.exists());
}

#[test]
fn bad_configs_and_unknown_profiles_stop_before_anything_runs() {
    let cases = [
        (
            "[profiles.hpc]\nexecutor = \"slurm\"\nqueu = \"x\"\n",
            vec!["--profile", "hpc"],
            "ferry.toml:3:1: unknown field `queu`",
        ),
        (
            "[defaults]\nmemory = \"12 GX\"\n",
            vec![],
            "ferry.toml:2:10:",
        ),
        (
            "[defaults]\nretries = \"many\"\n",
            vec![],
            "(key `retries`)",
        ),
        ("", vec!["--profile", "hcp"], "unknown profile `hcp`"),
    ];
    for (toml, args, needle) in cases {
        let dir = project(&[("w.wdl", WDL), ("ferry.toml", toml)]);
        let r = run(dir.path(), "w.wdl", &args);
        assert_eq!(r.code, 2, "{toml}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{toml}: {}", r.stderr);
        assert!(!r.run_dir.exists());
    }
}

/// The `hpc` profile of docs/ferry.toml.example (Nextflow's classic Grid Engine example) is
/// valid as written, `config show` lists its keys, and mistakes in cluster keys are located.
#[test]
fn the_documented_hpc_profile_is_valid_and_shown() {
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let example = std::path::Path::new(&manifest).join("../../docs/ferry.toml.example");
    let hpc = std::fs::read_to_string(example).expect("docs/ferry.toml.example");
    let dir = project(&[("w.wdl", WDL), ("ferry.toml", &hpc)]);
    let out = ferry()
        .current_dir(dir.path())
        .args(["config", "show", "--profile", "hpc", "w.wdl"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "-pe smp 10 -l virtual_free=64G,h_rt=30:00:00",
        "memory_resource",
        "poll_interval",
        "\"12h\"",
        "\"2d\"",
        "executor = \"sge\"",
    ] {
        assert!(shown.contains(want), "{want} in:\n{shown}");
    }
    let bad = project(&[
        ("w.wdl", WDL),
        (
            "ferry.toml",
            "[profiles.hpc]\nexecutor = \"slurm\"\ntime = \"soon\"\n",
        ),
    ]);
    let r = run(bad.path(), "w.wdl", &["--profile", "hpc"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("time = \"soon\""), "{}", r.stderr);
}
