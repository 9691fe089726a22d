//! The AWS Batch stand-in (`fixtures/batch_standin.py`) for the tests at widths and in states
//! moto cannot reach: started on a free loopback port, its jobs run as local processes that
//! reach S3 on moto (127.0.0.1:5001); stopped by its pid when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use super::aws::{KEY_ID, MOTO_S3, SECRET, fixtures};

pub fn repo() -> PathBuf {
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    Path::new(&manifest).join("../..")
}

/// The `ferry-stage` helper's directory, built once per test process (a no-op when it is up to
/// date) by `scripts/build-stage-helper.sh`.
pub fn helper_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo().join("target"));
        let dir = target.join("ferry-stage");
        let out = Command::new(repo().join("scripts/build-stage-helper.sh"))
            .arg(&dir)
            .output()
            .expect("build-stage-helper.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// A helper directory that also holds the `ferry` under test, as `ferry run --detach` needs on
/// the compute instances (the engine's job runs it from there).
pub fn engine_helper_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = helper_dir().with_file_name("ferry-engine-helper");
        std::fs::create_dir_all(&dir).expect("engine helper dir");
        for (from, name) in [
            (helper_dir().join("ferry-stage"), "ferry-stage"),
            (PathBuf::from(env!("CARGO_BIN_EXE_ferry")), "ferry"),
        ] {
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            std::fs::copy(&from, &tmp).expect("copy the helper");
            std::fs::rename(&tmp, dir.join(name)).expect("rename the helper");
        }
        dir
    })
}

/// A Batch stand-in whose jobs cannot see `project` (the engine's run directories live there).
pub struct Standin {
    child: Child,
    pub port: u16,
    _state: tempfile::TempDir,
}

impl Drop for Standin {
    fn drop(&mut self) {
        // SIGTERM: it kills the jobs it runs before it exits.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Standin {
    pub fn start(project: &Path, args: &[&str]) -> Standin {
        let state = tempfile::tempdir().expect("state dir");
        let mut child = Command::new("python3")
            .arg(fixtures().join("batch_standin.py"))
            .arg("--state")
            .arg(state.path())
            .arg("--hide")
            .arg(project)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("batch_standin.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port");
        let port = line.trim().parse().expect("the stand-in's port");
        Standin {
            child,
            port,
            _state: state,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it counted: API calls by operation, children placed, reclaimed, ended.
    pub fn stats(&self) -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-sf", &format!("{}/standin/stats", self.endpoint())])
            .output()
            .expect("curl");
        serde_json::from_slice(&out.stdout).expect("stats JSON")
    }

    /// An `aws` profile on this stand-in, with S3 on moto and `extra` keys in `[batch]`.
    pub fn profile(&self, bucket: &str, queue: &str, extra: &str) -> String {
        batch_profile(queue, bucket, &self.endpoint(), MOTO_S3, extra)
    }
}

/// An `aws` profile whose Batch API is `batch` (moto behind a proxy, or the stand-in) and whose
/// S3 is `s3`, with `batch_keys` added to its `[batch]` table: the helper directory and the
/// jobs' credentials unless those keys name their own.
pub fn batch_profile(queue: &str, bucket: &str, batch: &str, s3: &str, batch_keys: &str) -> String {
    format!(
        r#"
[profiles.aws]
queue = "{queue}"
poll_interval = "1s"
[profiles.aws.batch]
work_dir = "s3://{bucket}/ferry-work/"
endpoint = "{batch}"
region = "us-east-1"
{helper}
{batch_keys}
{environment}
[profiles.aws.s3]
endpoint = "{s3}"
path_style = true
[profiles.aws.container]
pull = "never"
"#,
        helper = if batch_keys.contains("helper_dir") {
            String::new()
        } else {
            format!("helper_dir = \"{}\"", helper_dir().display())
        },
        environment = if batch_keys.contains("environment") {
            String::new()
        } else {
            format!(
                r#"environment = {{ AWS_ACCESS_KEY_ID = "{KEY_ID}", AWS_SECRET_ACCESS_KEY = "{SECRET}", AWS_REGION = "us-east-1" }}"#
            )
        }
    )
}
