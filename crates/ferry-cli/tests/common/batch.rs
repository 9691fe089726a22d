//! One Batch test's world on moto: a bucket and a job queue of its own, a counting proxy in
//! front of moto's Batch API, and a project directory whose ferry.toml has an `aws` profile.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::aws::{MOTO_BATCH, MOTO_S3, Proxy, aws_env, fixture_at, unique};

pub fn s3(args: &[&str]) -> Vec<u8> {
    fixture_at(MOTO_S3, "s3.py", args)
}

/// One Batch test at a time: moto runs every job as a container on this machine at once.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A bucket and a job queue of its own, a proxy in front of moto's Batch API, and a project
/// directory whose ferry.toml has an `aws` profile pointing at them.
pub struct BatchTest {
    pub _serial: std::sync::MutexGuard<'static, ()>,
    pub dir: tempfile::TempDir,
    pub bucket: String,
    pub queue: String,
    pub proxy: Proxy,
    /// In front of S3 (moto on 5001), for the tests that look at S3 requests.
    pub s3_proxy: Option<Proxy>,
}

impl Drop for BatchTest {
    /// Leaves moto quiet for the next test: every job of this test's queue ended.
    fn drop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let jobs = self.jobs();
            let busy = jobs.iter().any(|(id, s)| {
                id.contains(':') && s != "FAILED" && s != "SUCCEEDED"
                    || !id.contains(':')
                        && matches!(s.as_str(), "RUNNABLE" | "STARTING" | "RUNNING")
            });
            if !busy {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        remove_moto_containers();
    }
}

/// moto names a job's container `<job name>-<job id>-<n>` (ours start with `ferry-`) and leaves
/// it behind when a Docker call fails under load; left to pile up they slow the daemon down.
pub fn remove_moto_containers() {
    let ids = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            "name=^ferry-",
            "--filter",
            "status=exited",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl BatchTest {
    pub fn new(proxy_args: &[&str]) -> BatchTest {
        Self::with_profile(proxy_args, "")
    }

    /// Like `new`, with more keys for the profile's `[batch]` table.
    pub fn with_profile(proxy_args: &[&str], batch_keys: &str) -> BatchTest {
        Self::with_proxies(proxy_args, None, batch_keys)
    }

    /// Like `new`, with S3 (the engine's requests and the jobs') through a proxy of its own.
    pub fn with_s3_proxy(s3_proxy_args: &[&str]) -> BatchTest {
        Self::with_proxies(&[], Some(s3_proxy_args), "")
    }

    pub fn with_proxies(
        proxy_args: &[&str],
        s3_proxy_args: Option<&[&str]>,
        batch_keys: &str,
    ) -> BatchTest {
        let serial = serial();
        let bucket = unique("ferry-batch");
        let queue = unique("ferry-queue");
        s3(&["mb", &bucket]);
        fixture_at(MOTO_BATCH, "batch.py", &["queue", &queue]);
        let dir = tempfile::tempdir().unwrap();
        let proxy = Proxy::start(5002, dir.path().join("requests.log"), proxy_args);
        let s3_proxy =
            s3_proxy_args.map(|args| Proxy::start(5001, dir.path().join("s3-requests.log"), args));
        let s3_endpoint = s3_proxy
            .as_ref()
            .map_or(MOTO_S3.to_string(), |p| p.endpoint());
        let toml = super::standin::batch_profile(
            &queue,
            &bucket,
            &proxy.endpoint(),
            &s3_endpoint,
            batch_keys,
        );
        std::fs::write(dir.path().join("ferry.toml"), toml).unwrap();
        BatchTest {
            _serial: serial,
            dir,
            bucket,
            queue,
            proxy,
            s3_proxy,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text.replace("BUCKET", &self.bucket)).unwrap();
    }

    pub fn command(&self, wdl: &Path, args: &[&str]) -> Command {
        let mut cmd = super::ferry();
        aws_env(&mut cmd);
        cmd.current_dir(self.path())
            .args(["run", "--profile", "aws", "--no-cache", "--config"])
            .arg(self.path().join("ferry.toml"))
            .arg(wdl)
            .args(args);
        cmd
    }

    pub fn run(&self, wdl: &str, args: &[&str]) -> super::Run {
        self.run_with(wdl, args, &[])
    }

    pub fn run_with(&self, wdl: &str, args: &[&str], env: &[(&str, &str)]) -> super::Run {
        let mut cmd = super::ferry();
        aws_env(&mut cmd);
        // Info level: submissions and the API-call summary are what these tests look at.
        super::run_command(
            cmd,
            self.path(),
            wdl,
            &[&["--profile", "aws"], args].concat(),
            &[&[("FERRY_LOG", "info")], env].concat(),
        )
    }

    /// Batch API calls the proxy saw for one operation (`submitjob`, `terminatejob`...).
    pub fn calls(&self, op: &str) -> usize {
        let path = format!(" /v1/{op} ");
        self.proxy
            .requests()
            .iter()
            .filter(|l| l.contains(&path) && !l.ends_with(" 429"))
            .count()
    }

    /// `ferry run WDL` in the background at info level, stderr piped.
    pub fn spawn(&self, wdl: &str) -> std::process::Child {
        self.command(Path::new(wdl), &[])
            .env("FERRY_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Every job in the queue ends within a minute; moto never ends an array's parent by
    /// itself (Batch would), so a parent counts as ended once all its children have.
    pub fn assert_every_job_ends(&self, stderr: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let jobs = self.jobs();
            let live: Vec<&(String, String)> = jobs
                .iter()
                .filter(|(_, s)| s != "FAILED" && s != "SUCCEEDED")
                .filter(|(id, _)| !jobs.iter().any(|(c, _)| c.starts_with(&format!("{id}:"))))
                .collect();
            if live.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "jobs still live: {live:?}\nterminated: {:#?}\n{stderr}",
                self.proxy
                    .requests()
                    .iter()
                    .filter(|l| l.contains("/v1/terminatejob"))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// `id status` of every job in the queue.
    pub fn jobs(&self) -> Vec<(String, String)> {
        String::from_utf8_lossy(&fixture_at(MOTO_BATCH, "batch.py", &["jobs", &self.queue]))
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }
}
