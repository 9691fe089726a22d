//! Cromwell's REST API on `ferry serve`, driven by the real cromshell 2 (from PyPI, installed
//! by scripts/setup.sh into its own environment): submit with inputs and an options file,
//! status until Succeeded, list-outputs, metadata and counts with every shard Done, logs, and
//! abort of a running workflow. cromshell authenticates as it does against Terra, with the
//! output of `gcloud auth print-access-token` as a bearer token: here a `gcloud` that prints
//! the server's token (gcloud itself cannot run without Google's network).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::serve::{Server, nanos, write};
use serde_json::Value;

const SCATTER: &str = r#"version 1.0
task greet {
  input { String name  Int secs }
  command <<< sleep ~{secs}; echo "hello ~{name}" >>>
  output { String greeting = read_string(stdout()) }
}
workflow hello {
  input { Array[String] names  Int secs = 0 }
  scatter (n in names) { call greet { input: name = n, secs = secs } }
  output { Array[String] greetings = greet.greeting }
}
"#;

/// cromshell, configured for one server (its own config directory) and a `gcloud` that
/// prints the server's token.
struct Cromshell {
    dir: tempfile::TempDir,
}

fn cromshell_bin() -> PathBuf {
    std::env::var_os("FERRY_CROMSHELL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/ferry-tools/cromshell/bin/cromshell")
        })
}

impl Cromshell {
    fn new(server: &Server) -> Cromshell {
        let dir = tempfile::tempdir().expect("tmp");
        let config = dir.path().join(".cromshell");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("cromshell_config.json"),
            serde_json::json!({
                "cromwell_server": format!("http://{}", server.host),
                "requests_timeout": 30,
                "gcloud_token_email": "me@example.org",
            })
            .to_string(),
        )
        .unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let gcloud = bin.join("gcloud");
        std::fs::write(
            &gcloud,
            format!(
                "#!/bin/sh\n[ \"$1 $2 $3\" = \"auth --account=me@example.org print-access-token\" ] || exit 3\necho {}\n",
                server.token
            ),
        )
        .unwrap();
        Command::new("chmod")
            .arg("+x")
            .arg(&gcloud)
            .status()
            .unwrap();
        Cromshell { dir }
    }

    /// `cromshell ARGS`: exit code, stdout, stderr.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new(cromshell_bin())
            .args(["--no_turtle", "-mc", "-t", "30"])
            .args(args)
            .env("CROMSHELL_CONFIG", self.dir.path())
            .env("PATH", path)
            .current_dir(self.dir.path())
            .output()
            .expect("cromshell (scripts/setup.sh installs it)");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "cromshell {args:?}: {out}\n{err}");
        first_json(&out)
            .unwrap_or_else(|| panic!("cromshell {args:?} printed no JSON: {out}\n{err}"))
    }

    fn submit(&self, wdl: &Path, inputs: &Path, options: &Path) -> String {
        let v = self.json(&[
            "submit",
            &wdl.display().to_string(),
            &inputs.display().to_string(),
            "--options-json",
            &options.display().to_string(),
        ]);
        assert_eq!(v["status"], "Submitted", "{v}");
        v["id"].as_str().expect("id").to_string()
    }

    fn wait_for(&self, id: &str, wanted: &str, server: &Server) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let v = self.json(&["status", id]);
            if v["status"] == wanted {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{id} never reached {wanted}: {v}\n{}",
                std::fs::read_to_string(&server.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// The first JSON value in `text` (cromshell prints lines of its own around it).
fn first_json(text: &str) -> Option<Value> {
    let start = text.find(['{', '['])?;
    serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<Value>()
        .next()?
        .ok()
}

#[test]
fn cromshell_submits_follows_and_reads_a_run_through_the_cromwell_api() {
    let dir = tempfile::tempdir().expect("tmp");
    let wdl = write(dir.path(), "hello.wdl", SCATTER);
    let salt = nanos().to_string();
    let inputs = write(
        dir.path(),
        "inputs.json",
        &serde_json::json!({"hello.names": [format!("a{salt}"), format!("b{salt}"), format!("c{salt}")]})
            .to_string(),
    );
    let options = write(
        dir.path(),
        "options.json",
        r#"{"write_to_cache": false, "final_call_logs_dir": "call-logs"}"#,
    );
    let server = Server::start(&dir.path().join("runs"), &[]);
    let cromshell = Cromshell::new(&server);
    let id = cromshell.submit(&wdl, &inputs, &options);
    cromshell.wait_for(&id, "Succeeded", &server);

    let outputs = cromshell.json(&["list-outputs", "-j", &id]);
    assert_eq!(
        outputs["hello.greetings"],
        serde_json::json!(["a", "b", "c"].map(|n| format!("hello {n}{salt}"))),
        "{outputs}"
    );
    // A path option lands inside the run's own directory on the server.
    let logs_dir = dir.path().join("runs").join(&id).join("call-logs");
    assert!(logs_dir.join("hello").is_dir(), "{}", logs_dir.display());
    let metadata = cromshell.json(&["metadata", &id]);
    assert_eq!(metadata["id"], id.as_str());
    assert_eq!(metadata["status"], "Succeeded");
    assert_eq!(metadata["workflowName"], "hello");
    let shards = metadata["calls"]["hello.greet"].as_array().expect("calls");
    assert_eq!(shards.len(), 3, "{metadata}");
    for (i, s) in shards.iter().enumerate() {
        assert_eq!(s["shardIndex"], i, "{s}");
        assert_eq!(s["executionStatus"], "Done", "{s}");
        assert_eq!(s["returnCode"], 0, "{s}");
        let stdout = s["stdout"].as_str().expect("stdout");
        assert!(
            std::fs::read_to_string(stdout)
                .unwrap()
                .starts_with("hello"),
            "{s}"
        );
    }
    let (code, counts, err) = cromshell.run(&["counts", &id]);
    assert_eq!(code, 0, "{counts}{err}");
    assert!(
        counts.contains("hello.greet\t0 Running, 3 Done, 0 Preempted, 0 Failed"),
        "{counts}"
    );
    let (code, logs, err) = cromshell.run(&["logs", "-s", "ALL", &id]);
    assert_eq!(code, 0, "{logs}{err}");
    for i in 0..3 {
        assert!(
            logs.contains(&format!("hello.greet-shard-{i}:\tDone\t"))
                && logs.contains(&format!("shard-{i}.attempt-1/stderr")),
            "{logs}"
        );
    }

    // A path option outside the run's directory is refused before anything runs.
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {}", server.token))
        .arg("-F")
        .arg(format!("workflowSource=@{}", wdl.display()))
        .arg("-F")
        .arg(format!("workflowInputs=@{}", inputs.display()))
        .arg("-F")
        .arg(r#"workflowOptions={"final_workflow_outputs_dir": "/tmp/elsewhere"}"#)
        .arg(format!("http://{}/api/workflows/v1", server.host))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "403");

    // Abort of a run that is running: Aborting, then Aborted.
    let slow = write(
        dir.path(),
        "slow.json",
        &serde_json::json!({"hello.names": [salt], "hello.secs": 300}).to_string(),
    );
    let running = cromshell.submit(&wdl, &slow, &options);
    cromshell.wait_for(&running, "Running", &server);
    let (code, out, err) = cromshell.run(&["abort", &running]);
    assert_eq!(code, 0, "{out}{err}");
    cromshell.wait_for(&running, "Aborted", &server);
}

const ORGANIZE: &str = r#"version 1.0
task make {
  input { String name }
  command <<< echo "~{name}" > out.txt >>>
  output { File f = "out.txt" }
}
workflow organize {
  input { Array[String] names }
  scatter (n in names) { call make { input: name = n } }
  output { Array[File] fs = make.f }
}
"#;

/// Every run writes Cromwell's `metadata.json` in its run directory: croo (PyPI) organises
/// the run's outputs from it, as it does for a Cromwell run, with no server.
#[test]
fn croo_organises_a_runs_outputs_from_its_metadata_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let wdl = write(dir.path(), "organize.wdl", ORGANIZE);
    let run_dir = dir.path().join("run");
    let out = common::ferry()
        .args(["run", "--no-cache", "--run-dir"])
        .arg(&run_dir)
        .arg(&wdl)
        .arg(r#"names=["a","b"]"#)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("metadata.json")).unwrap())
            .unwrap();
    assert_eq!(metadata["status"], "Succeeded", "{metadata}");
    assert_eq!(
        metadata["calls"]["organize.make"].as_array().map(Vec::len),
        Some(2)
    );
    let def = write(
        dir.path(),
        "out_def.json",
        r#"{"organize.make": {"f": {"path": "made/shard${i}/${basename}"}}}"#,
    );
    let organized = dir.path().join("organized");
    let croo = PathBuf::from(std::env::var("HOME").unwrap_or_default())
        .join(".cache/ferry-tools/croo/bin/croo");
    let out = Command::new(croo)
        .arg(run_dir.join("metadata.json"))
        .arg("--out-def-json")
        .arg(&def)
        .arg("--out-dir")
        .arg(&organized)
        .args(["--method", "copy", "--tmp-dir"])
        .arg(dir.path().join("croo-tmp"))
        .current_dir(dir.path())
        .output()
        .expect("croo (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (i, name) in ["a", "b"].iter().enumerate() {
        let f = organized.join(format!("made/shard{i}/out.txt"));
        assert_eq!(
            std::fs::read_to_string(&f)
                .map(|t| t.trim().to_string())
                .ok(),
            Some(name.to_string()),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
