//! A `ferry serve` for tests: started on a free loopback port with a runs directory of the
//! test's, driven through the `wes-service` client (tests/fixtures/wes.py) with the token the
//! server made, stopped by its pid when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A `ferry serve` on a free loopback port, stopped (by its pid) when dropped.
pub struct Server {
    pub child: Child,
    pub host: String,
    pub log: PathBuf,
    /// The token the server made (`RUNS_DIR/token`) or was given; sent with every request.
    pub token: String,
}

impl Server {
    pub fn start(runs: &Path, extra: &[&str]) -> Server {
        Server::start_with(runs, extra, &[])
    }

    // The child is waited for by `Drop` (or `kill9`).
    #[allow(clippy::zombie_processes)]
    pub fn start_with(runs: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        std::fs::create_dir_all(runs).expect("runs dir");
        // A log per server started (a test may restart one on the same runs directory).
        let log = runs.with_file_name(format!("serve-{}.log", nanos()));
        let mut child = super::ferry()
            .args(["serve", "--listen", "127.0.0.1:0", "--runs-dir"])
            .arg(runs)
            // The tests' inputs and the files their tasks write are beside the runs directory.
            .arg("--input-root")
            .arg(runs.parent().unwrap_or(runs))
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("ferry serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(at) = text.find("listening on http://") {
                let host = text[at + "listening on http://".len()..]
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                // With --token-file the test knows its token; else the server made one.
                let token = std::fs::read_to_string(runs.join("token"))
                    .map(|t| t.trim().to_string())
                    .unwrap_or_default();
                return Server {
                    child,
                    host,
                    log,
                    token,
                };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server did not start: {text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wes(&self, args: &[&str]) -> String {
        let out = Command::new("python3")
            .arg(fixture("wes.py"))
            .arg(&self.host)
            .args(args)
            .env("WES_TOKEN", &self.token)
            .output()
            .expect("python3 wes.py");
        assert!(
            out.status.success(),
            "wes.py {args:?}: {}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn submit(&self, wdl: &Path, inputs: &Path, attachments: &[&Path]) -> String {
        let mut args = vec![
            "submit".to_string(),
            wdl.display().to_string(),
            inputs.display().to_string(),
        ];
        args.extend(attachments.iter().map(|a| a.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.wes(&args)
    }

    pub fn wait(&self, id: &str) -> Value {
        serde_json::from_str(&self.wes(&["wait", id, "120"])).expect("run log JSON")
    }

    /// `(status, body)` of a GET.
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut args = vec!["get", path];
        args.extend(token);
        let out = self.wes(&args);
        let (status, body) = out.split_once(' ').unwrap_or((&out, ""));
        (status.parse().unwrap_or(0), body.to_string())
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first: the runs' `ferry run` children get SIGTERM when it is gone.
        terminate(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

pub fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}
