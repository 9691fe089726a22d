//! Helpers for tests against moto (S3 and AWS Batch on 127.0.0.1:5000, started by
//! `scripts/services/moto-up.sh`) through our own logging, fault-injecting proxy
//! (`fixtures/s3proxy.py`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub const MOTO: &str = "http://127.0.0.1:5000";
/// The Batch tests' moto (restarted by scripts/test.sh for each run of the suite).
pub const MOTO_BATCH: &str = "http://127.0.0.1:5002";
/// A second moto, serving only S3 for the Batch tests: moto runs every array child at once,
/// and a moto busy with hundreds of job threads would answer the jobs' own S3 requests slowly.
pub const MOTO_S3: &str = "http://127.0.0.1:5001";
pub const KEY_ID: &str = "ferry-test-key";
/// Moto accepts any credentials; this one is distinctive so the tests can look for leaks.
pub const SECRET: &str = "ferry-secret-6f1c0d9a7e";

pub fn fixtures() -> PathBuf {
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    Path::new(&manifest).join("tests/fixtures")
}

pub fn aws_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
}

/// Runs a fixture script (`s3.py`, `batch.py`) against moto directly (not through the proxy).
pub fn fixture(script: &str, args: &[&str]) -> Vec<u8> {
    fixture_at(MOTO, script, args)
}

pub fn fixture_at(endpoint: &str, script: &str, args: &[&str]) -> Vec<u8> {
    let out = aws_env(
        Command::new("python3")
            .arg(fixtures().join(script))
            .arg(endpoint),
    )
    .args(args)
    .output()
    .expect("python3");
    assert!(
        out.status.success(),
        "{script} {args:?}: {}\n(is moto running at {endpoint}? scripts/services/moto-up.sh)",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn s3(args: &[&str]) -> Vec<u8> {
    fixture("s3.py", args)
}

/// A name no other test (or earlier run of this one) uses, for buckets and queues.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// `fixtures/s3proxy.py` in front of a moto; stopped when dropped.
pub struct Proxy {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// A proxy in front of the moto on `upstream_port`.
    pub fn start(upstream_port: u16, log: PathBuf, args: &[&str]) -> Proxy {
        let mut child = Command::new("python3")
            .arg(fixtures().join("s3proxy.py"))
            .arg(upstream_port.to_string())
            .arg(&log)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().expect("proxy port");
        Proxy { child, port, log }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests the proxy saw: `METHOD PATH RANGE STATUS`.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }
}
