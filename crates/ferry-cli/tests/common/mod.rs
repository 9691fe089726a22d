//! Helpers for end-to-end tests: they run the real `ferry` binary on WDL files of their own.

#![allow(dead_code)]

pub mod aws;
pub mod batch;
pub mod procs;
pub mod serve;
pub mod standin;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub run_dir: PathBuf,
}

impl Run {
    pub fn outputs(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn ferry() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
}

/// Writes `files` (name, text) into a new temporary directory.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }
    dir
}

fn finish(out: Output, run_dir: PathBuf) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        run_dir,
    }
}

/// `ferry run WDL ARGS... --run-dir DIR/run[N]` in `dir`, a new run directory each time.
pub fn run(dir: &Path, wdl: &str, args: &[&str]) -> Run {
    run_with(dir, wdl, args, &[])
}

/// A run directory below `dir` that no earlier run used.
pub fn fresh_run_dir(dir: &Path) -> PathBuf {
    let mut run_dir = dir.join("run");
    let mut n = 2;
    while run_dir.exists() {
        run_dir = dir.join(format!("run{n}"));
        n += 1;
    }
    run_dir
}

/// [`run`] with extra environment variables.
pub fn run_with(dir: &Path, wdl: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_command(ferry(), dir, wdl, args, env)
}

/// [`run_with`] from a `ferry` command the caller has already prepared (its environment).
pub fn run_command(
    mut cmd: Command,
    dir: &Path,
    wdl: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let run_dir = fresh_run_dir(dir);
    let out = cmd
        .current_dir(dir)
        .arg("run")
        .arg(wdl)
        .args(args)
        .arg("--run-dir")
        .arg(&run_dir)
        .env("FERRY_LOG", "warn")
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .envs(env.iter().copied())
        .output()
        .expect("ferry runs");
    finish(out, run_dir)
}

pub fn check(dir: &Path, wdl: &str) -> Run {
    let out = ferry()
        .current_dir(dir)
        .arg("check")
        .arg(wdl)
        .output()
        .expect("ferry runs");
    finish(out, dir.to_path_buf())
}

/// The variant-calling example's planted variants as `bcftools query` prints them
/// (`CHROM POS REF ALT GT`, tab-separated), one per line.
pub fn planted_variants(example_dir: &Path) -> Vec<String> {
    let truth = std::fs::read_to_string(example_dir.join("data/truth.tsv")).expect("truth.tsv");
    truth
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let gt = if f[4] == "hom" { "1/1" } else { "0/1" };
            format!("{}\t{}\t{}\t{}\t{gt}", f[0], f[1], f[2], f[3])
        })
        .collect()
}

/// Python's `http.server` serving `dir` on a free loopback port (its requests logged to `log`),
/// stopped when dropped. It ignores `Range`: a server without ranged reads.
pub struct WebServer {
    child: std::process::Child,
    pub port: u16,
}

impl WebServer {
    pub fn start(dir: &Path, log: Option<&Path>) -> WebServer {
        use std::io::{BufRead, BufReader};
        let stderr = match log {
            Some(l) => std::process::Stdio::from(std::fs::File::create(l).expect("log")),
            None => std::process::Stdio::null(),
        };
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("http.server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port line");
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .expect("http.server port");
        WebServer { child, port }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
