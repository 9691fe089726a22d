//! Image pulls from a real registry (Distribution 2.8 on 127.0.0.1:5050 with basic auth,
//! started by `scripts/services/registry-up.sh`) into the real Docker daemon. Each test logs in
//! with a Docker config of its own (`DOCKER_CONFIG`), pushes the locally built busybox images
//! under a fresh tag, and removes the local tag so that Ferry has to pull.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::aws::unique;

pub const REGISTRY: &str = "127.0.0.1:5050";
pub const USER: &str = "ferry";
pub const PASSWORD: &str = "ferry-registry-secret";

fn docker(config: &Path, args: &[&str]) -> String {
    let out = Command::new("docker")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn login(config: &Path) {
    let mut child = Command::new("docker")
        .arg("--config")
        .arg(config)
        .args(["login", REGISTRY, "-u", USER, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PASSWORD.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker login {REGISTRY} (is scripts/services/registry-up.sh running with REGISTRY_USER?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Pushes the local image `from` as `REGISTRY/ferry/NAME:tag` and removes that local tag.
fn push(config: &Path, from: &str, name: &str, tag: &str) -> String {
    let image = format!("{REGISTRY}/ferry/{name}:{tag}");
    docker(config, &["tag", from, &image]);
    docker(config, &["push", "-q", &image]);
    docker(config, &["rmi", &image]);
    image
}

const SCATTER: &str = r#"
version 1.1
task flavor {
  input { Int i  String image }
  command <<< echo "~{i} $(cat /etc/flavor)" >>>
  output { String out = read_string(stdout()) }
  runtime { docker: image  cpu: 1  memory: "32 MiB" }
}
workflow w {
  input { String image  Int n = 6 }
  scatter (i in range(n)) { call flavor { input: i = i, image = image } }
  output { Array[String] outs = flavor.out }
}
"#;

struct RegistryTest {
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl RegistryTest {
    fn new() -> RegistryTest {
        let dir = common::project(&[("w.wdl", SCATTER)]);
        let config = dir.path().join("docker-config");
        std::fs::create_dir_all(&config).unwrap();
        login(&config);
        RegistryTest { dir, config }
    }

    fn run(&self, pull: &str, config: &Path, args: &[&str]) -> common::Run {
        common::run_with(
            self.dir.path(),
            "w.wdl",
            &[&["--profile", "docker"], args].concat(),
            &[
                ("FERRY_CONTAINER__PULL", pull),
                ("FERRY_LOG", "info"),
                ("DOCKER_CONFIG", config.to_str().unwrap()),
                (
                    "XDG_CACHE_HOME",
                    self.dir.path().join(".cache").to_str().unwrap(),
                ),
            ],
        )
    }
}

fn attempts_under(run_dir: &Path) -> usize {
    let calls = run_dir.join("calls");
    if !calls.exists() {
        return 0;
    }
    let mut n = 0;
    let mut stack = vec![calls];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.file_name()
                .is_some_and(|f| f.to_string_lossy().contains("attempt-"))
            {
                n += 1;
            } else if p.is_dir() {
                stack.push(p);
            }
        }
    }
    n
}

#[test]
fn pull_missing_pulls_once_with_the_saved_login_however_many_shards_start_together() {
    let t = RegistryTest::new();
    let image = push(&t.config, "local/ferry-flavor:a", "flavor", &unique("once"));
    let r = t.run("missing", &t.config, &[&format!("w.image={image}")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.outs"][5], "5 a");
    let pulls = r.stderr.matches("pulling image").count();
    assert_eq!(pulls, 1, "one pull for 6 shards:\n{}", r.stderr);

    // Without the login the registry refuses: the run fails before any task runs, naming the
    // image and the task.
    let empty = t.dir.path().join("no-login");
    std::fs::create_dir_all(&empty).unwrap();
    let other = push(
        &t.config,
        "local/ferry-flavor:a",
        "flavor",
        &unique("nologin"),
    );
    let r = t.run("missing", &empty, &[&format!("w.image={other}")]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains(&other), "{}", r.stderr);
    assert!(r.stderr.contains("task `flavor`"), "{}", r.stderr);
    assert_eq!(attempts_under(&r.run_dir), 0, "nothing ran:\n{}", r.stderr);
}

#[test]
fn a_missing_tag_fails_before_anything_runs_naming_the_image_and_the_task() {
    let t = RegistryTest::new();
    let image = format!("{REGISTRY}/ferry/flavor:{}", unique("absent"));
    let started = Instant::now();
    let r = t.run("missing", &t.config, &[&format!("w.image={image}")]);
    assert_ne!(r.code, 0);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(r.stderr.contains(&image), "{}", r.stderr);
    assert!(r.stderr.contains("task `flavor`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("manifest unknown") || r.stderr.contains("not found"),
        "{}",
        r.stderr
    );
    assert_eq!(attempts_under(&r.run_dir), 0, "nothing ran:\n{}", r.stderr);
}

#[test]
fn pull_always_rechecks_the_tag_and_missing_keeps_the_local_copy() {
    let t = RegistryTest::new();
    let tag = unique("moving");
    let image = push(&t.config, "local/ferry-flavor:a", "flavor", &tag);
    let r = t.run(
        "missing",
        &t.config,
        &[&format!("w.image={image}"), "w.n=2"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.outs"][0], "0 a");
    // The tag moves to another image in the registry; this machine still has the old one.
    docker(&t.config, &["tag", "local/ferry-flavor:b", &image]);
    docker(&t.config, &["push", "-q", &image]);
    docker(&t.config, &["tag", "local/ferry-flavor:a", &image]);
    let r = t.run(
        "missing",
        &t.config,
        &[&format!("w.image={image}"), "w.n=2"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.outs"][0], "0 a", "missing: the local copy");
    assert_eq!(r.stderr.matches("pulling image").count(), 0, "{}", r.stderr);
    let r = t.run("always", &t.config, &[&format!("w.image={image}"), "w.n=2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["w.outs"],
        serde_json::json!(["0 b", "1 b"]),
        "always: the registry's"
    );
    assert_eq!(r.stderr.matches("pulling image").count(), 1, "{}", r.stderr);
    docker(&t.config, &["rmi", &image]);
}

/// `container.mirrors`: an image named on Docker Hub (`busybox:TAG`, also written
/// `docker.io/busybox:TAG`) is pulled from the mirror (here the login registry, as an ECR
/// pull-through cache would be), with the mirror's saved login; nothing asks Docker Hub, which
/// this machine cannot reach.
#[test]
fn docker_hub_images_are_pulled_from_the_profiles_mirror() {
    let t = RegistryTest::new();
    let tag = unique("mirror");
    let mirrored = format!("{REGISTRY}/hub/library/busybox:{tag}");
    docker(&t.config, &["tag", "local/busybox:1", &mirrored]);
    docker(&t.config, &["push", "-q", &mirrored]);
    docker(&t.config, &["rmi", &mirrored]);
    std::fs::write(
        t.dir.path().join("ferry.toml"),
        format!(
            "[profiles.docker.container]\nmirrors = {{ \"docker.io\" = \"{REGISTRY}/hub\" }}\n"
        ),
    )
    .unwrap();
    for image in [format!("busybox:{tag}"), format!("docker.io/busybox:{tag}")] {
        let r = t.run(
            "missing",
            &t.config,
            &[&format!("w.image={image}"), "w.n=2"],
        );
        // (The second spelling finds the mirror's image the first pulled.)
        assert_eq!(r.code, 0, "{image}: {}", r.stderr);
    }
    let local = Command::new("docker")
        .args(["image", "inspect", &mirrored])
        .output()
        .unwrap();
    assert!(local.status.success(), "the mirror's image was not pulled");
    let _ = Command::new("docker")
        .args(["rmi", &mirrored])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
