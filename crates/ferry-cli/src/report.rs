//! `ferry report`, `ferry runs`, and what a run records for them (`run.json`, the summary at
//! its end, `report.html`).

use std::io::Write;
use std::path::{Path, PathBuf};

/// What `run.json` says of a run: read by `ferry report` and `ferry runs`.
pub fn write_run_json(
    run_dir: &Path,
    workflow: &str,
    wdl: &Path,
    inputs: Option<&Path>,
    profiles: &[String],
    executor: &str,
    tags: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
) {
    let started_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let absolute = |p: &Path| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .display()
            .to_string()
    };
    let json = serde_json::json!({
        "workflow": workflow,
        "wdl": absolute(wdl),
        "inputs": inputs.map(absolute),
        "profiles": profiles,
        "executor": executor,
        "started_ms": started_ms,
        "tags": tags,
    });
    if let Err(e) = ferry_engine::write_json(&run_dir.join("run.json"), &json) {
        tracing::warn!("cannot write run.json: {e}");
    }
}

/// Cromwell's metadata of the run, beside it, at the end of every run: croo and the scripts
/// written for Cromwell read `metadata.json`.
pub fn write_metadata(run_dir: &Path) {
    let metadata = ferry_report::cromwell::metadata(run_dir, &Default::default(), true);
    if let Err(e) = ferry_engine::write_json(&run_dir.join("metadata.json"), &metadata) {
        tracing::warn!("cannot write metadata.json: {e}");
    }
}

/// At the end of every run: the summary on stderr, and with `html` the report in the run
/// directory.
pub fn at_end(run_dir: &Path, html: bool) {
    let report = match ferry_report::load(run_dir) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("no report: {e}");
            return;
        }
    };
    for line in ferry_report::summary(&report).lines() {
        tracing::info!("{line}");
    }
    if html {
        let path = run_dir.join("report.html");
        match std::fs::write(&path, ferry_report::html(&report)) {
            Ok(()) => tracing::info!("report: {}", path.display()),
            Err(e) => tracing::warn!("cannot write {}: {e}", path.display()),
        }
    }
}

/// `ferry report RUN_DIR [-o FILE] [--profile-out FILE]`.
pub fn report_command(
    run_dir: &Path,
    out: Option<&Path>,
    profile_out: Option<&Path>,
    profile_name: &str,
) -> i32 {
    // The name becomes a bare TOML key and a `--profile` argument: letters, digits, `-`, `_`.
    if profile_name.is_empty()
        || !profile_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errln!(
            "ferry: --profile-name `{profile_name}`: use letters, digits, `-` and `_` only (a `.` or a space would make another key of the profile file)"
        );
        return 2;
    }
    let report = match ferry_report::load(run_dir) {
        Ok(r) => r,
        Err(e) => {
            errln!("ferry: {e}");
            return 2;
        }
    };
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| run_dir.join("report.html"));
    if let Err(e) = std::fs::write(&out, ferry_report::html(&report)) {
        errln!("ferry: cannot write {}: {e}", out.display());
        return 1;
    }
    err!("{}", ferry_report::summary(&report));
    errln!("ferry: report written to {}", out.display());
    if let Some(p) = profile_out {
        if let Err(e) = std::fs::write(p, ferry_report::rightsized_profile(&report, profile_name)) {
            errln!("ferry: cannot write {}: {e}", p.display());
            return 1;
        }
        errln!(
            "ferry: profile `{profile_name}` written to {} (use --config {} --profile <yours>,{profile_name})",
            p.display(),
            p.display()
        );
    }
    0
}

/// `ferry runs`: the run directories under `dir`, newest first.
pub fn runs_command(dir: &Path) -> i32 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        errln!("ferry: no runs in {}", dir.display());
        return 1;
    };
    let mut runs: Vec<(u64, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("state").exists() || p.join("attempts.tsv").exists())
        .map(|p| {
            let started = std::fs::read_to_string(p.join("run.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v.get("started_ms").and_then(|s| s.as_u64()))
                .or_else(|| {
                    std::fs::metadata(&p)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_millis() as u64)
                })
                .unwrap_or(0);
            (started, p)
        })
        .collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out = std::io::stdout().lock();
    // A closed pipe (`ferry runs | head`) ends the listing quietly.
    if writeln!(out, "NAME\tSTATUS\tSTARTED\tDURATION\tATTEMPTS\tPATH").is_err() {
        return 0;
    }
    for (started, p) in runs {
        let report = ferry_report::load(&p).unwrap_or_default();
        let duration = report
            .info
            .engine_wall_s
            .map(|s| format!("{s:.1}s"))
            .unwrap_or_else(|| "-".into());
        // `running` is what the state file says until the engine ends; an engine killed by
        // SIGKILL never says otherwise, but it no longer holds the run directory's lock.
        let status = if report.info.status == "running" && !crate::rundir::is_locked(&p) {
            "stopped".to_string()
        } else {
            report.info.status.to_string()
        };
        let line = writeln!(
            out,
            "{}\t{status}\t{}\t{duration}\t{}\t{}",
            p.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            crate::sys::local_time((started / 1000) as i64, c"%Y-%m-%d %H:%M:%S")
                .unwrap_or_default(),
            report.attempts_run(),
            p.display()
        );
        if line.is_err() {
            return 0;
        }
    }
    0
}
