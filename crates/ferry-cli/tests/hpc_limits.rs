//! A per-user submit limit (Grid Engine's `max_u_jobs`; Slurm's QOSMaxSubmitJobPerUserLimit
//! needs an accounting database this cluster does not have): Ferry waits for jobs to end and
//! submits the rest, instead of failing the calls it could not submit. The limit is the
//! cluster's global configuration, so this is a test binary of its own: cargo runs test
//! binaries one after another, and no other test submits meanwhile.

mod common;

use std::process::Command;

use common::project;

fn sge(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("SGE_ROOT", "/var/lib/gridengine")
        .env("SGE_CELL", "default");
    cmd
}

/// Sets `max_u_jobs` in the global configuration (`qconf -Mconf` reads it from a file named
/// after the configuration).
fn set_max_u_jobs(n: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let shown = sge("qconf")
        .args(["-sconf", "global"])
        .output()
        .expect("qconf runs (scripts/services/sge-up.sh)");
    let text: String = String::from_utf8_lossy(&shown.stdout)
        .lines()
        .map(|l| {
            if l.starts_with("max_u_jobs") {
                format!("max_u_jobs                   {n}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(dir.path().join("global"), text).expect("write");
    let out = sge("qconf")
        .args(["-Mconf", "global"])
        .current_dir(dir.path())
        .output()
        .expect("qconf runs");
    assert!(
        out.status.success(),
        "qconf -Mconf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Puts the limit back, also when the test fails.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        set_max_u_jobs(0);
    }
}

#[test]
fn a_per_user_submit_limit_is_waited_out_not_failed() {
    set_max_u_jobs(2);
    let _restore = Restore;
    let wdl = r#"version 1.1
task t {
  input { Int i }
  command <<< sleep 2; echo ~{i} >>>
  output { Int o = read_int(stdout()) }
}
workflow w {
  scatter (i in range(5)) { call t { input: i = i } }
  output { Array[Int] o = t.o }
}
"#;
    let dir = project(&[
        ("w.wdl", wdl),
        (
            "ferry.toml",
            "[profiles.test]\nexecutor = \"sge\"\ncache = false\nsingle_node_cluster = true\npoll_interval = \"1s\"\nmax_array_size = 1\njob_name_prefix = \"lim-\"\n",
        ),
    ]);
    let out = common::ferry()
        .current_dir(dir.path())
        .args(["run", "w.wdl", "--profile", "test", "--run-dir", "run"])
        .env("SGE_ROOT", "/var/lib/gridengine")
        .env("SGE_CELL", "default")
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .output()
        .expect("ferry runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("submit limit"), "{stderr}");
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("outputs are JSON");
    assert_eq!(outputs["w.o"], serde_json::json!([0, 1, 2, 3, 4]));
}
