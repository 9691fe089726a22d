//! The Docker executor against the real daemon and locally built images
//! (`scripts/services/docker-up.sh` and `scripts/services/test-images.sh`, which
//! `scripts/test.sh` runs first). These tests say `pull = never`; pulls from a registry are
//! tested in tests/registry.rs.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{project, run_with};
use serde_json::json;

const NO_PULL: (&str, &str) = ("FERRY_CONTAINER__PULL", "never");

/// Fails (never skips) when the daemon or an image is missing: these tests are the only proof
/// that the Docker executor works.
fn need_docker(images: &[&str]) {
    for image in images {
        let ok = Command::new("docker")
            .args(["image", "inspect", image])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "Docker image {image} is missing (or dockerd is not running): run \
             scripts/services/docker-up.sh and scripts/services/test-images.sh"
        );
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Containers (running or not) that carry the run's label.
fn containers_of(run_dir: &Path) -> Vec<String> {
    let run_id = std::fs::read_to_string(run_dir.join("run-id")).expect("the run's id");
    let label = format!("label=ferry.run={}", run_id.trim());
    docker(&["ps", "-aq", "--filter", &label])
        .lines()
        .map(String::from)
        .collect()
}

/// `ferry run w.wdl --profile docker ARGS --run-dir DIR/run` in the background, for tests that
/// act while it runs; stdout and stderr are piped.
fn spawn_docker_run(dir: &Path, args: &[&str]) -> (std::process::Child, std::path::PathBuf) {
    let run_dir = dir.join("run");
    let child = common::ferry()
        .current_dir(dir)
        .args(["run", "w.wdl", "--profile", "docker"])
        .args(args)
        .arg("--run-dir")
        .arg(&run_dir)
        .env(NO_PULL.0, NO_PULL.1)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ferry starts");
    (child, run_dir)
}

fn docker_run(dir: &Path, wdl: &str, args: &[&str]) -> common::Run {
    let mut all = vec!["--profile", "docker"];
    all.extend_from_slice(args);
    run_with(dir, wdl, &all, &[NO_PULL])
}

#[test]
fn scatter_in_busybox_runs_as_the_user_with_read_only_inputs_and_no_network() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"
version 1.1
task shard {
  input { Int n  File data }
  command <<<
    echo "~{n} $(cat ~{data})" > line.txt
    id -u > uid.txt
    if echo x >> ~{data} 2>/dev/null; then echo writable; else echo read-only; fi > input.txt
    ls /sys/class/net > net.txt
    if [ -n "$BASH_VERSION" ]; then echo bash; else echo sh; fi > shell.txt
  >>>
  output {
    String line = read_string("line.txt")
    String uid = read_string("uid.txt")
    String input_mode = read_string("input.txt")
    Array[String] net = read_lines("net.txt")
    String shell = read_string("shell.txt")
  }
  runtime { container: "local/busybox:1"  cpu: 1  memory: "64 MiB" }
}
workflow w {
  input { File data }
  scatter (i in range(5)) { call shard { input: n = i, data = data } }
  output {
    Array[String] lines = shard.line
    Array[String] uids = shard.uid
    Array[String] inputs = shard.input_mode
    Array[Array[String]] nets = shard.net
    Array[String] shells = shard.shell
  }
}
"#;
    let dir = project(&[("w.wdl", wdl), ("data.txt", "hello\n")]);
    let r = docker_run(dir.path(), "w.wdl", &["w.data=data.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(
        o["w.lines"],
        json!(["0 hello", "1 hello", "2 hello", "3 hello", "4 hello"])
    );
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() }.to_string();
    assert_eq!(o["w.uids"], json!(vec![uid.clone(); 5]));
    assert_eq!(o["w.inputs"], json!(vec!["read-only"; 5]));
    assert_eq!(o["w.nets"], json!(vec![vec!["lo"]; 5]));
    assert_eq!(o["w.shells"], json!(vec!["sh"; 5]));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data.txt")).unwrap(),
        "hello\n"
    );
    // Files the task created belong to the user who ran Ferry.
    use std::os::unix::fs::MetadataExt;
    let made = r
        .run_dir
        .join("calls/shard/shard-0.attempt-1/work/line.txt");
    assert_eq!(std::fs::metadata(made).unwrap().uid().to_string(), uid);
    assert!(
        containers_of(&r.run_dir).is_empty(),
        "containers left behind"
    );
}

#[test]
fn variant_calling_example_runs_in_its_image_with_the_same_calls() {
    need_docker(&["local/samtools:1.16.1"]);
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let example = Path::new(&manifest).join("../../examples/variant-calling");
    let out = tempfile::tempdir().unwrap();
    let run_dir = out.path().join("run");
    let r = common::ferry()
        .current_dir(&example)
        .args(["run", "variant_calling.wdl", "-i", "inputs.json"])
        .args(["--profile", "docker", "--no-cache", "--run-dir"])
        .arg(&run_dir)
        .env(NO_PULL.0, NO_PULL.1)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    let o: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(o["variant_calling.n_variants"], 5);
    // Query the VCF with the image's own bcftools: the host may not have one.
    let vcf = o["variant_calling.vcf"].as_str().unwrap();
    let bind = format!("{0}:{0}:ro", run_dir.display());
    let calls = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        &bind,
        "local/samtools:1.16.1",
        "bcftools",
        "query",
        "-f",
        "%CHROM\\t%POS\\t%REF\\t%ALT[\\t%GT]\\n",
        vcf,
    ]);
    let expected = common::planted_variants(&example);
    assert_eq!(calls.lines().collect::<Vec<_>>(), expected);
    assert!(containers_of(&run_dir).is_empty(), "containers left behind");
}

#[test]
fn out_of_memory_is_reported_as_such_and_retried_with_more_memory() {
    need_docker(&["local/busybox:1"]);
    // dd holds one 40 MiB block in memory: over 24 MiB, under 48 MiB.
    let wdl = |retries: u32| {
        format!(
            r#"
version 1.1
task hog {{
  command <<<
    dd if=/dev/zero of=/dev/null bs=40M count=1 2>/dev/null && echo survived
  >>>
  output {{ String out = read_string(stdout()) }}
  runtime {{ container: "local/busybox:1"  memory: "24 MiB"  maxRetries: {retries} }}
}}
"#
        )
    };
    let dir = project(&[("once.wdl", &wdl(0)), ("retry.wdl", &wdl(1))]);
    let r = docker_run(dir.path(), "once.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("killed for exceeding its memory (requested 24.0 MiB)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("exit code 137"), "{}", r.stderr);

    let r = docker_run(dir.path(), "retry.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["hog.out"], json!("survived"));
    assert!(
        r.stderr.contains("retrying with 48.0 MiB of memory"),
        "{}",
        r.stderr
    );
    assert!(
        containers_of(&r.run_dir).is_empty(),
        "containers left behind"
    );
}

#[test]
fn a_missing_image_fails_before_any_shard_starts_naming_image_and_task() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"
version 1.1
task first {
  command <<< echo ok >>>
  runtime { container: "local/busybox:1" }
}
task missing {
  input { Int n }
  command <<< echo ~{n} >>>
  runtime { container: "local/ferry-no-such-image:1" }
}
workflow w {
  call first
  scatter (i in range(50)) { call missing { input: n = i } }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let r = docker_run(dir.path(), "w.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "w.wdl:7:1: task `missing`: image `local/ferry-no-such-image:1` is not on this machine"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.matches("ferry-no-such-image").count(),
        1,
        "{}",
        r.stderr
    );
    // Nothing ran, not even the call whose image is fine.
    assert!(!r.run_dir.join("calls").exists());
}

#[test]
fn a_list_of_images_takes_the_first_available_and_says_which() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"
version 1.2
task t {
  command <<< cat /etc/passwd | head -1 >>>
  output { String out = read_string(stdout()) }
  requirements { container: ["local/ferry-no-such-image:1", "local/busybox:1"] }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = run_with(
        dir.path(),
        "t.wdl",
        &["--profile", "docker"],
        &[
            NO_PULL,
            ("FERRY_LOG", "info"),
            ("FERRY_CONTAINER__IMAGE_SIZE_WARNING", "1 MiB"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.out"], json!("root:x:0:0:root:/root:/bin/sh"));
    assert!(
        r.stderr.contains("task `t`: image `local/busybox:1` is 1.9 MiB")
            && r.stderr.contains(
                "MiB (warning threshold 1.0 MiB); large images make thousands of shards slow to start"
            ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "task `t`: using image `local/busybox:1` (the first available of 2 candidates)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn every_shard_runs_the_digest_pinned_at_the_start_even_when_the_tag_moves() {
    need_docker(&["local/ferry-flavor:a", "local/ferry-flavor:b"]);
    // A tag of this test's own, moved from flavor a to flavor b while the scatter runs.
    let tag = format!("local/ferry-pin-test:{}", std::process::id());
    docker(&["tag", "local/ferry-flavor:a", &tag]);
    let wdl = format!(
        r#"
version 1.1
task flavor {{
  input {{ Int n }}
  command <<< cat /etc/flavor; sleep 1 >>>
  output {{ String out = read_string(stdout()) }}
  runtime {{ container: "{tag}"  cpu: 2  memory: "32 MiB" }}
}}
workflow w {{
  scatter (i in range(3)) {{ call flavor {{ input: n = i }} }}
  output {{ Array[String] flavors = flavor.out }}
}}
"#
    );
    let dir = project(&[("w.wdl", &wdl)]);
    // cpu: 2 on a machine whose capacity is clamped to 2: the shards run one after another.
    let (child, run_dir) = spawn_docker_run(dir.path(), &["--max-cpus", "2"]);
    let started = || {
        (0..3).any(|n| {
            run_dir
                .join(format!("calls/flavor/shard-{n}.attempt-1/command"))
                .exists()
        })
    };
    let t0 = Instant::now();
    while !started() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "shard 0 never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    docker(&["tag", "local/ferry-flavor:b", &tag]);
    let out = child.wait_with_output().unwrap();
    docker(&["rmi", &tag]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["w.flavors"], json!(["a", "a", "a"]), "{stderr}");
}

#[test]
fn ctrl_c_stops_and_removes_the_runs_containers() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"
version 1.1
task long {
  input { Int n }
  command <<< touch started; sleep 300 >>>
  runtime { container: "local/busybox:1"  cpu: 1  memory: "32 MiB" }
}
workflow w { scatter (i in range(4)) { call long { input: n = i } } }
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let (mut child, run_dir) = spawn_docker_run(dir.path(), &[]);
    let t0 = Instant::now();
    // Which two shards start first is up to the scheduler.
    let started = || {
        (0..4)
            .filter(|n| {
                run_dir
                    .join(format!("calls/long/shard-{n}.attempt-1/work/started"))
                    .exists()
            })
            .count()
    };
    while started() < 2 {
        if t0.elapsed() > Duration::from_secs(30) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "tasks never started:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(containers_of(&run_dir).len(), 2);
    let t1 = Instant::now();
    // SAFETY: sending a signal to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        t1.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t1.elapsed()
    );
    assert!(containers_of(&run_dir).is_empty(), "containers left behind");
}

#[test]
fn bash_when_the_image_has_it_and_host_network_when_the_profile_asks() {
    need_docker(&["local/samtools:1.16.1", "local/busybox:1"]);
    let wdl = r#"
version 1.1
task debian {
  command <<< echo "${BASH_VERSION:+bash}" >>>
  output { String shell = read_string(stdout()) }
  runtime { container: "local/samtools:1.16.1" }
}
task net {
  command <<< ls /sys/class/net | wc -l >>>
  output { Int interfaces = read_int(stdout()) }
  runtime { container: "local/busybox:1" }
}
workflow w {
  call debian
  call net
  output { String shell = debian.shell  Int interfaces = net.interfaces }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let r = run_with(
        dir.path(),
        "w.wdl",
        &["--profile", "docker"],
        &[NO_PULL, ("FERRY_CONTAINER__NETWORK", "host")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.shell"], json!("bash"));
    let host_interfaces = std::fs::read_dir("/sys/class/net").unwrap().count();
    assert_eq!(o["w.interfaces"], json!(host_interfaces));
}

#[test]
fn tasks_without_an_image_get_the_profiles_default_image() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"
version 1.1
task t {
  command <<< head -1 /etc/passwd >>>
  output { String out = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = run_with(
        dir.path(),
        "t.wdl",
        &["--profile", "docker"],
        &[
            NO_PULL,
            ("FERRY_CONTAINER__DEFAULT_IMAGE", "local/busybox:1"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.out"], json!("root:x:0:0:root:/root:/bin/sh"));
    // A default image that is not there stops the run before the task starts.
    let r = run_with(
        dir.path(),
        "t.wdl",
        &["--profile", "docker"],
        &[
            NO_PULL,
            (
                "FERRY_CONTAINER__DEFAULT_IMAGE",
                "local/ferry-no-such-image:2",
            ),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("image `local/ferry-no-such-image:2` is not on this machine"),
        "{}",
        r.stderr
    );
    assert!(!r.run_dir.join("calls").exists());
}

/// Paths containing `:` (an input `a:b.txt`, a run directory `run:1`) are mounted: the
/// executor uses structured mounts, not `src:dest:mode` strings. Inputs stay read-only.
#[test]
fn paths_with_colons_are_mounted_read_only() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"version 1.1
task t {
  input { File data }
  command <<<
    cat '~{data}'
    if echo x >> '~{data}' 2>/dev/null; then echo writable; else echo read-only; fi
  >>>
  output { Array[String] lines = read_lines(stdout()) }
  runtime { container: "local/busybox:1" }
}
"#;
    let dir = project(&[("t.wdl", wdl), ("a:b.txt", "colon\n")]);
    let run_dir = dir.path().join("run:1");
    let out = common::ferry()
        .current_dir(dir.path())
        .args(["run", "t.wdl", "--profile", "docker", "t.data=a:b.txt"])
        .arg("--run-dir")
        .arg(&run_dir)
        .env("FERRY_LOG", "warn")
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .env(NO_PULL.0, NO_PULL.1)
        .output()
        .expect("ferry runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(outputs["t.lines"], json!(["colon", "read-only"]));
}

/// The container's own peak memory and CPU time reach the journal (and so the run report),
/// read from its cgroup by the wrapper before it exits.
#[test]
fn a_containers_peak_memory_and_cpu_are_measured() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"version 1.1
task hold {
  command <<<
    x=$(head -c 40000000 /dev/zero | tr '\0' a)
    echo ${#x}
  >>>
  output { Int n = read_int(stdout()) }
  runtime { container: "local/busybox:1" memory: "512 MiB" }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = docker_run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["hold.n"], 40_000_000);
    let tsv = std::fs::read_to_string(r.run_dir.join("attempts.tsv")).expect("attempts.tsv");
    let row: Vec<&str> = tsv
        .lines()
        .nth(1)
        .expect("one attempt")
        .split('\t')
        .collect();
    let kib: u64 = row[6]
        .parse()
        .unwrap_or_else(|_| panic!("peak memory not measured: {tsv}"));
    let cpu_ms: u64 = row[4].parse().expect("user ms");
    assert!(kib > 40_000, "peak {kib} KiB for a shell holding 40 MB");
    assert!(kib < 512 * 1024, "peak {kib} KiB");
    assert!(cpu_ms > 0, "{tsv}");
}

/// WDL `disks` in a container: a mount point is an empty, writable directory of the attempt's
/// at that path; more than the attempt directory's filesystem has fails before the container
/// starts.
#[test]
fn disks_mount_points_are_writable_directories_and_too_much_fails_first() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"version 1.1
task t {
  input { String disks }
  command <<< ls -A /scratch | wc -l && echo ok > /scratch/x && cat /scratch/x >>>
  output { Array[String] lines = read_lines(stdout()) }
  runtime { container: "local/busybox:1" disks: ["local-disk 1 HDD", disks] }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = docker_run(
        dir.path(),
        "t.wdl",
        &["--no-cache", "t.disks=/scratch 1 GiB"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out: serde_json::Value = serde_json::from_str(&r.stdout).expect("outputs");
    assert_eq!(out["t.lines"], serde_json::json!(["0", "ok"]), "{out:#}");
    let r = docker_run(
        dir.path(),
        "t.wdl",
        &["--no-cache", "t.disks=/scratch 900000 TiB"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("`disks` asks for"), "{}", r.stderr);
}

/// A container task is never given a host socket or device directory (`/var/run` holds the
/// Docker daemon's socket: root on the host), and a task that links its files to host files
/// gets those files neither through `read_string` or `size` nor in the failure's stderr tail.
#[test]
fn no_host_socket_is_mounted_and_no_link_a_task_makes_is_followed() {
    need_docker(&["local/busybox:1"]);
    let wdl = r#"
version 1.2
task peek {
  input { Directory d }
  command <<< ls ~{d} >>>
  runtime { container: "local/busybox:1" }
}
workflow w {
  input { Directory d }
  call peek { input: d = d }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let socket_dir = dir.path().join("sockdir");
    std::fs::create_dir_all(&socket_dir).expect("dir");
    let _socket =
        std::os::unix::net::UnixListener::bind(socket_dir.join("daemon.sock")).expect("socket");
    for d in ["/var/run".to_string(), socket_dir.display().to_string()] {
        let r = docker_run(dir.path(), "w.wdl", &[&format!("w.d={d}")]);
        assert_ne!(r.code, 0, "{d}: {}", r.stdout);
        assert!(
            r.stderr.contains("may not be given to a task container"),
            "{}",
            r.stderr
        );
    }
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, format!("secret-{}\n", std::process::id())).expect("secret");
    let linker = format!(
        r#"
version 1.1
task linker {{
  command <<<
    ln -s '{0}' o.txt
    rm -f ../stderr && ln -s '{0}' ../stderr
    exit 3
  >>>
  output {{ String o = read_string("o.txt") }}
  runtime {{ container: "local/busybox:1" }}
}}
task reader {{
  command <<< ln -s '{0}' o.txt >>>
  output {{
    String o = read_string("o.txt")
    Float n = size("o.txt")
  }}
  runtime {{ container: "local/busybox:1" }}
}}
workflow w {{
  call linker
  call reader
}}
"#,
        secret.display()
    );
    std::fs::write(dir.path().join("links.wdl"), linker).expect("wdl");
    let r = docker_run(dir.path(), "links.wdl", &["--keep-going"]);
    assert_ne!(r.code, 0);
    assert!(!r.stderr.contains("secret-"), "{}", r.stderr);
    assert!(!r.stdout.contains("secret-"), "{}", r.stdout);
    assert!(
        r.stderr.contains("leads out of the task's directory"),
        "{}",
        r.stderr
    );
}
