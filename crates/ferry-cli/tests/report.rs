//! Run reports through the real binary: `ferry run --report`, `ferry report`, `ferry runs`, the
//! right-sizing round trip, and the report opened in a real browser (headless Chromium,
//! scripts/page-check.py) from a `file://` URL.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{ferry, project};

fn root() -> PathBuf {
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(manifest).join("../..")
}

/// Opens the report in headless Chromium: fails on a console error, a failed or off-file
/// request, or a missing task table or timeline; leaves a screenshot beside it.
fn check_in_browser(report: &Path) -> String {
    let shot = report.with_extension("png");
    let out = Command::new("python3")
        .arg(root().join("scripts/page-check.py"))
        .arg(format!("file://{}", report.display()))
        .args([
            "--expect",
            "table.calls",
            "--expect",
            "svg.timeline",
            "--screenshot",
        ])
        .arg(&shot)
        .output()
        .expect("python3");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the browser found problems (needs apt chromium, pip playwright):\n{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shot.is_file(), "no screenshot");
    said
}

#[test]
fn the_variant_calling_report_opens_in_a_browser_without_errors() {
    let out = tempfile::tempdir().expect("tempdir");
    let run_dir = out.path().join("run");
    let r = ferry()
        .current_dir(root().join("examples/variant-calling"))
        .args([
            "run",
            "variant_calling.wdl",
            "-i",
            "inputs.json",
            "--report",
            "--run-dir",
        ])
        .arg(&run_dir)
        .env("XDG_CACHE_HOME", out.path().join("cache"))
        .output()
        .expect("ferry");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    // The summary at the end of the run.
    assert!(
        stderr.contains("report: ") && stderr.contains("core-hours reserved"),
        "{stderr}"
    );
    let report = run_dir.join("report.html");
    let html = std::fs::read_to_string(&report).expect("report.html");
    for want in [
        "variant_calling",
        "succeeded",
        "align",
        "Right-sizing advice",
    ] {
        assert!(html.contains(want), "{want} missing from the report");
    }
    check_in_browser(&report);
    // `ferry runs` lists it.
    let runs = ferry()
        .arg("runs")
        .arg(out.path())
        .output()
        .expect("ferry runs");
    let listed = String::from_utf8_lossy(&runs.stdout);
    assert!(
        listed.lines().any(|l| l.starts_with("run\tsucceeded\t")),
        "{listed}"
    );
}

#[test]
fn a_failed_run_still_gets_its_report_with_the_failure() {
    let wdl = r#"version 1.1
task boom {
  command <<< echo "the reference is missing" >&2; exit 4 >>>
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = common::run(dir.path(), "t.wdl", &["--report"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let html = std::fs::read_to_string(r.run_dir.join("report.html")).expect("report.html");
    assert!(
        html.contains("failed") && html.contains("exit code 4"),
        "{html}"
    );
    assert!(html.contains("the reference is missing"), "{html}");
}

#[test]
fn right_sizing_round_trip() {
    let wdl = r#"version 1.2
workflow w {
  scatter (i in range(4)) { call small { input: i = i } }
}
task small {
  input { Int i }
  command <<< python3 -c 'import time; x = bytearray(30 << 20); time.sleep(0.3)' >>>
  requirements { cpu: 1 memory: "2 GiB" }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let first = common::run(dir.path(), "w.wdl", &["--no-cache"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let profile = dir.path().join("rightsized.toml");
    let out = ferry()
        .arg("report")
        .arg(&first.run_dir)
        .arg("--profile-out")
        .arg(&profile)
        .output()
        .expect("ferry report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&profile).expect("profile");
    let mib: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("memory = \"")?
                .strip_suffix(" MiB\"")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no memory in:\n{text}"));
    assert!(
        mib < 100,
        "advised {mib} MiB for a task that peaks near 40 MiB:\n{text}"
    );
    // Applied: the plan and the next run's report show the new request.
    let profile_arg = profile.to_string_lossy().into_owned();
    let plan = ferry()
        .current_dir(dir.path())
        .args([
            "run",
            "w.wdl",
            "--dry-run",
            "--config",
            &profile_arg,
            "--profile",
            "local,rightsized",
        ])
        .output()
        .expect("dry run");
    let plan_text =
        String::from_utf8_lossy(&plan.stdout).into_owned() + &String::from_utf8_lossy(&plan.stderr);
    assert!(plan_text.contains(&format!("{mib}.0 MiB")), "{plan_text}");
    let second = common::run(
        dir.path(),
        "w.wdl",
        &[
            "--no-cache",
            "--report",
            "--config",
            &profile_arg,
            "--profile",
            "local,rightsized",
        ],
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    let html = std::fs::read_to_string(second.run_dir.join("report.html")).expect("report.html");
    assert!(
        html.contains(&format!("({mib} MiB)")),
        "the second report shows the new request"
    );
}

#[test]
fn a_20000_shard_report_is_small_quick_and_opens() {
    let wdl = r#"version 1.1
workflow w {
  scatter (i in range(20000)) { call t { input: i = i } }
}
task t {
  input { Int i }
  command <<< : >>>
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let r = common::run(dir.path(), "w.wdl", &["--no-cache"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = dir.path().join("big.html");
    let t = Instant::now();
    let built = ferry()
        .arg("report")
        .arg(&r.run_dir)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("ferry report");
    let took = t.elapsed();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let size = std::fs::metadata(&out).expect("report").len();
    assert!(size < 5 << 20, "{size} bytes");
    let said = check_in_browser(&out);
    eprintln!("20,000 shards: report {size} bytes, built in {took:?}; {said}");
}

/// A failing task with 20 MB of stderr on one line, and an invalid UTF-8 byte near its end:
/// the report stays small (the tail is read from the end and cut) and shows the tail lossily.
#[test]
fn a_huge_stderr_line_gives_a_small_report_with_a_readable_tail() {
    let wdl = r#"version 1.1
task t {
  command <<<
    head -c 20000000 /dev/zero | tr '\0' 'x' >&2
    printf '\nbad \377 byte\nthe last words\n' >&2
    exit 3
  >>>
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = common::run(dir.path(), "t.wdl", &["--report"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let html = std::fs::read(r.run_dir.join("report.html")).expect("report");
    assert!(html.len() < 1 << 20, "{} bytes of report", html.len());
    let html = String::from_utf8_lossy(&html);
    assert!(html.contains("the last words"), "tail missing");
    assert!(
        html.contains("bad \u{fffd} byte"),
        "invalid byte emptied the tail"
    );
}

/// A right-sizing profile name that TOML would read as another key is refused, not written.
#[test]
fn a_profile_name_toml_would_misread_is_refused() {
    let wdl = "version 1.1\ntask t {\n  command <<< echo hi >>>\n}\n";
    let dir = project(&[("t.wdl", wdl)]);
    let r = common::run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for name in ["rs.v2", "my profile"] {
        let out = ferry()
            .arg("report")
            .arg(&r.run_dir)
            .args(["--profile-out", "p.toml", "--profile-name", name])
            .current_dir(dir.path())
            .output()
            .expect("ferry report");
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(!dir.path().join("p.toml").exists(), "{name}: written");
    }
}

/// The cost table groups by the tags Batch puts on jobs, from the profile (`batch.tags`) and
/// the task's own (`[tasks."glob".batch] tags`), whatever the executor; run.json keeps them.
#[test]
fn the_report_groups_cost_by_the_profile_and_task_tags() {
    let wdl = r#"version 1.1
workflow atlas {
  scatter (i in range(3)) { call align { input: i = i } }
  call summarize { input: n = length(align.out) }
}
task align {
  input { Int i }
  command <<< echo ~{i} >>>
  output { Int out = read_int(stdout()) }
  runtime { cpu: 1 memory: "64 MiB" }
}
task summarize {
  input { Int n }
  command <<< echo ~{n} >>>
  runtime { cpu: 1 memory: "32 MiB" }
}
"#;
    let toml = r#"[defaults.batch]
tags = { project = "atlas" }
[defaults.tasks."al*".batch]
tags = { team = "dna" }
"#;
    let dir = project(&[("w.wdl", wdl), ("ferry.toml", toml)]);
    let r = common::run(dir.path(), "w.wdl", &["--report", "--no-cache"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(r.run_dir.join("run.json")).expect("run.json"),
    )
    .expect("json");
    assert_eq!(run["tags"]["align"]["team"], "dna", "{run:#}");
    assert_eq!(run["tags"]["align"]["project"], "atlas", "{run:#}");
    assert_eq!(run["tags"]["summarize"]["project"], "atlas", "{run:#}");
    assert!(run["tags"]["summarize"].get("team").is_none(), "{run:#}");
    let html = std::fs::read_to_string(r.run_dir.join("report.html")).expect("report.html");
    let table = html
        .split("<h2>Cost by tag</h2>")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("no cost table: {html}"));
    for row in [
        "<td>ferry:workflow</td><td>atlas</td><td>4</td>",
        "<td>ferry:call</td><td>align</td><td>3</td>",
        "<td>project</td><td>atlas</td><td>4</td>",
        "<td>team</td><td>dna</td><td>3</td>",
        "<td>team</td><td>(untagged)</td><td>1</td>",
    ] {
        assert!(table.contains(row), "no {row} in {table}");
    }
}
