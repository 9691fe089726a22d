//! Object-store data against a real S3-compatible server (moto on 127.0.0.1:5000, started by
//! `scripts/services/moto-up.sh`), reached through a small proxy of our own
//! (`fixtures/s3proxy.py`) that logs every request and can answer some with 503 SlowDown.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::aws::{KEY_ID, Proxy, SECRET, aws_env, s3, unique};
use serde_json::json;

/// A bucket of its own, a logging proxy in front of moto, and a project directory whose
/// ferry.toml points at the proxy.
struct S3Test {
    dir: tempfile::TempDir,
    bucket: String,
    proxy: Proxy,
}

impl S3Test {
    fn new(fail_every: u32, extra_toml: &str) -> S3Test {
        S3Test::with_proxy(&["--fail-every", &fail_every.to_string()], extra_toml)
    }

    fn with_proxy(proxy_args: &[&str], extra_toml: &str) -> S3Test {
        let bucket = unique("ferry-test");
        s3(&["mb", &bucket]);
        let dir = tempfile::tempdir().unwrap();
        let proxy = Proxy::start(5000, dir.path().join("requests.log"), proxy_args);
        let port = proxy.port;
        let toml = format!(
            "[defaults.s3]\nendpoint = \"http://127.0.0.1:{port}\"\npath_style = true\n{}",
            extra_toml.replace("BUCKET", &bucket)
        );
        std::fs::write(dir.path().join("ferry.toml"), toml).unwrap();
        S3Test { dir, bucket, proxy }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn put(&self, key: &str, content: &[u8]) {
        let f = self.path().join("upload.tmp");
        std::fs::write(&f, content).unwrap();
        s3(&["put", &self.bucket, key, f.to_str().unwrap()]);
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text.replace("BUCKET", &self.bucket)).unwrap();
    }

    fn run(&self, wdl: &str, args: &[&str]) -> common::Run {
        self.run_with(wdl, args, &[])
    }

    fn run_with(&self, wdl: &str, args: &[&str], env: &[(&str, &str)]) -> common::Run {
        let mut cmd = common::ferry();
        aws_env(&mut cmd);
        common::run_command(cmd, self.path(), wdl, args, env)
    }

    fn requests(&self) -> Vec<String> {
        self.proxy.requests()
    }

    fn count(&self, method: &str, key: &str) -> usize {
        let prefix = format!("{method} /{}/{key} ", self.bucket);
        self.requests()
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .count()
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn a_reference_shared_by_every_shard_is_downloaded_once_and_outputs_go_to_s3() {
    let t = S3Test::new(
        0,
        "[defaults]\noutput_dir = \"s3://BUCKET/results/\"\n[defaults.transfers]\npart_size = \"5 MiB\"\n",
    );
    t.put("ref/genome.fa", b">chr1\nACGTACGTACGTGGCC\n");
    t.put("reads/sample.bam", b"not really a bam");
    t.write(
        "w.wdl",
        r#"
version 1.1
task count {
  input { File ref  Int n  Boolean try_write }
  command <<<
    echo "~{n} $(wc -c < ~{ref})" > count.txt
    stat -c %a ~{ref} > mode.txt
    # Only where read-only mounts hold even for root (containers): a write that succeeded
    # would change the node's cached copy.
    if ~{try_write}; then
      if echo x >> ~{ref} 2>/dev/null; then echo writable; else echo read-only; fi > write.txt
    else
      echo skipped > write.txt
    fi
  >>>
  output {
    File counted = "count.txt"
    String mode = read_string("mode.txt")
    String write = read_string("write.txt")
  }
  runtime { container: "local/busybox:1" }
}
task big {
  command <<< head -c 12582912 /dev/zero > big.bin >>>
  output { File out = "big.bin" }
}
task stream {
  input { File bam }
  parameter_meta { bam: { localization_optional: true } }
  command <<< echo "~{bam}" >>>
  output { String url = read_string(stdout())  File same = bam }
}
workflow w {
  input { File ref  File bam  Boolean try_write = false }
  scatter (i in range(20)) { call count { input: ref = ref, n = i, try_write = try_write } }
  call big
  call stream { input: bam = bam }
  output {
    Array[File] counts = count.counted
    Array[String] modes = count.mode
    Array[String] writes = count.write
    File big_file = big.out
    String streamed = stream.url
    File streamed_through = stream.same
    File passed_through = bam
  }
}
"#,
    );
    let r = t.run(
        "w.wdl",
        &[
            &format!("w.ref={}", t.url("ref/genome.fa")),
            &format!("w.bam={}", t.url("reads/sample.bam")),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    // One HEAD and one GET for the reference, however many shards read it.
    assert_eq!(t.count("HEAD", "ref/genome.fa"), 1, "{:#?}", t.requests());
    assert_eq!(t.count("GET", "ref/genome.fa"), 1, "{:#?}", t.requests());
    // The node's cached copy is read-only; every shard reads that one file.
    assert_eq!(o["w.modes"], json!(vec!["444"; 20]));
    // The streamed input reached the task as its URL and was never downloaded; behind this
    // plain-http endpoint the task sees htslib's spelling, `s3+http://`.
    assert_eq!(
        o["w.streamed"],
        json!(t.url("reads/sample.bam").replace("s3://", "s3+http://"))
    );
    assert_eq!(t.count("GET", "reads/sample.bam"), 0);
    assert_eq!(o["w.passed_through"], json!(t.url("reads/sample.bam")));
    // Passed through a task, it is its URL again.
    assert_eq!(o["w.streamed_through"], json!(t.url("reads/sample.bam")));
    // Outputs are objects under a prefix of this run.
    let run_id = r.run_dir.file_name().unwrap().to_str().unwrap().to_string();
    let prefix = t.url(&format!("results/{run_id}/"));
    let counts = o["w.counts"].as_array().unwrap();
    assert_eq!(counts.len(), 20);
    let third = counts[3].as_str().unwrap();
    assert!(third.starts_with(&prefix), "{third}");
    let key = third.strip_prefix(&format!("s3://{}/", t.bucket)).unwrap();
    assert_eq!(s3(&["cat", &t.bucket, key]), b"3 23\n");
    // 12 MiB with 5 MiB parts: a multipart upload, complete under its final key.
    let big = o["w.big_file"].as_str().unwrap();
    let big_key = big.strip_prefix(&format!("s3://{}/", t.bucket)).unwrap();
    let listing = String::from_utf8(s3(&["ls", &t.bucket, big_key])).unwrap();
    assert_eq!(listing.trim(), format!("{big_key} 12582912"));
    assert!(
        t.requests()
            .iter()
            .any(|l| l.starts_with(&format!("POST /{}/{big_key}?uploads", t.bucket))),
        "{:#?}",
        t.requests()
    );
    // Credentials appear nowhere in the run directory, the outputs or the logs.
    let mut files = Vec::new();
    files_under(&r.run_dir, &mut files);
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).to_string();
        assert!(!text.contains(SECRET), "secret in {}", f.display());
    }
    assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));

    // The same workflow in containers: the reference comes from the node's cache (no second
    // GET) and is mounted read-only.
    let r = t.run_with(
        "w.wdl",
        &[
            &format!("w.ref={}", t.url("ref/genome.fa")),
            &format!("w.bam={}", t.url("reads/sample.bam")),
            "w.try_write=true",
            "--profile",
            "docker",
        ],
        &[("FERRY_CONTAINER__PULL", "never")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.writes"], json!(vec!["read-only"; 20]));
    assert_eq!(t.count("GET", "ref/genome.fa"), 1, "{:#?}", t.requests());
    let counts = o["w.counts"].as_array().unwrap();
    let key = counts[5]
        .as_str()
        .unwrap()
        .strip_prefix(&format!("s3://{}/", t.bucket))
        .unwrap()
        .to_string();
    assert_eq!(s3(&["cat", &t.bucket, &key]), b"5 23\n");
}

/// Pseudo-random bytes (blake3's extendable output), fast enough for hundreds of MiB.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    blake3::Hasher::new()
        .update(b"ferry test data")
        .finalize_xof()
        .fill(&mut out);
    out
}

#[test]
fn a_directory_is_one_list_and_a_200_mib_object_arrives_in_parallel_ranges_intact() {
    let t = S3Test::new(0, "");
    t.put("dir/a.txt", b"a\n");
    t.put("dir/sub/b.txt", b"b\n");
    let data = random_bytes(200 << 20);
    let local = t.path().join("big.bin");
    std::fs::File::create(&local)
        .unwrap()
        .write_all(&data)
        .unwrap();
    s3(&["put", &t.bucket, "big/genome.bin", local.to_str().unwrap()]);
    drop(data);
    t.write(
        "w.wdl",
        r#"
version 1.2
task use {
  input { Directory d  File big }
  command <<<
    (cd ~{d} && find . -type f | sort | xargs cat) > dir.txt
    wc -c < ~{big} > size.txt
  >>>
  output { String dir = read_string("dir.txt")  Int size = read_int("size.txt")  File copy = big }
}
workflow w {
  input { Directory d  File big }
  scatter (i in range(3)) { call use { input: d = d, big = big } }
  output { Array[String] dirs = use.dir  Array[Int] sizes = use.size  File copy = use.copy[0] }
}
"#,
    );
    let r = t.run(
        "w.wdl",
        &[
            &format!("w.d={}", t.url("dir")),
            &format!("w.big={}", t.url("big/genome.bin")),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.dirs"], json!(vec!["a\nb"; 3]));
    assert_eq!(o["w.sizes"], json!(vec![200 << 20; 3]));
    // The downloaded copy is byte for byte the object.
    let copy = std::fs::read(o["w.copy"].as_str().unwrap()).unwrap();
    assert!(copy == std::fs::read(&local).unwrap(), "content differs");
    let requests = t.requests();
    // One LIST for the directory (the input check and all three shards share it), and no
    // HEAD of its objects.
    let lists = requests
        .iter()
        .filter(|l| l.starts_with(&format!("GET /{}?list-type=2", t.bucket)))
        .count();
    assert_eq!(lists, 1, "{requests:#?}");
    assert_eq!(t.count("HEAD", "dir/a.txt"), 0);
    // 200 MiB in 16 MiB ranges: 13 ranged GETs.
    let ranged: Vec<&String> = requests
        .iter()
        .filter(|l| l.starts_with(&format!("GET /{}/big/genome.bin bytes=", t.bucket)))
        .collect();
    assert_eq!(ranged.len(), 13, "{requests:#?}");
}

#[test]
fn throttled_requests_are_retried_with_backoff() {
    // Every third request gets 503 SlowDown.
    let t = S3Test::new(3, "[defaults]\noutput_dir = \"s3://BUCKET/out/\"\n");
    t.put("in/one.txt", b"one\n");
    t.put("in/two.txt", b"two\n");
    t.write(
        "w.wdl",
        r#"
version 1.1
task cat2 {
  input { Array[File] files  Int n }
  command <<< cat ~{sep=" " files} > both.txt; echo ~{n} >> both.txt >>>
  output { File both = "both.txt" }
}
workflow w {
  input { Array[File] files }
  scatter (i in range(4)) { call cat2 { input: files = files, n = i } }
  output { Array[File] out = cat2.both }
}
"#,
    );
    let r = t.run(
        "w.wdl",
        &[&format!(
            "w.files=[\"{}\",\"{}\"]",
            t.url("in/one.txt"),
            t.url("in/two.txt")
        )],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.outputs()["w.out"].as_array().unwrap().clone();
    assert_eq!(out.len(), 4);
    let key = out[2]
        .as_str()
        .unwrap()
        .strip_prefix(&format!("s3://{}/", t.bucket))
        .unwrap()
        .to_string();
    assert_eq!(s3(&["cat", &t.bucket, &key]), b"one\ntwo\n2\n");
    let throttled = t.requests().iter().filter(|l| l.ends_with(" 503")).count();
    assert!(throttled >= 3, "{:#?}", t.requests());
}

#[test]
fn missing_objects_buckets_and_bad_urls_stop_the_run_before_anything_runs() {
    let t = S3Test::new(0, "");
    t.write(
        "w.wdl",
        r#"
version 1.1
task t {
  input { File ref }
  command <<< cat ~{ref} >>>
}
workflow w {
  input { File ref }
  call t { input: ref = ref }
}
"#,
    );
    let cases = [
        (
            t.url("no/such.fa"),
            format!("input `w.ref`: file {} does not exist", t.url("no/such.fa")),
        ),
        (
            "s3://ferry-no-such-bucket-4d2/x.fa".to_string(),
            "input `w.ref`: s3://ferry-no-such-bucket-4d2/x.fa: the bucket does not exist"
                .to_string(),
        ),
        (
            "s3:///x.fa".to_string(),
            "input `w.ref`: s3:///x.fa: no bucket".to_string(),
        ),
        (
            "ftp://host/x.fa".to_string(),
            "input `w.ref`: ftp://host/x.fa: `ftp://` URLs are not supported; supported: \
             az://, gs://, http://, https://, local paths (file://), s3://"
                .to_string(),
        ),
    ];
    for (url, message) in cases {
        let r = t.run("w.wdl", &[&format!("w.ref={url}")]);
        assert_eq!(r.code, 2, "{url}: {}", r.stderr);
        assert!(r.stderr.contains(&message), "{url}: {}", r.stderr);
        assert!(!r.run_dir.join("calls").exists(), "{url}: a call ran");
    }
}

#[test]
fn https_style_inputs_credentials_from_a_profile_file_and_the_1_2_streaming_hint() {
    let t = S3Test::new(0, "");
    t.put("ref/ref.txt", b"from s3\n");
    t.put("reads/x.bam", b"bam");
    // A plain HTTP server on loopback, logging each request on stderr.
    let served = t.path().join("www");
    std::fs::create_dir_all(&served).unwrap();
    std::fs::write(served.join("panel.bed"), "chr1\t1\t100\n").unwrap();
    let http_log = t.path().join("http.log");
    let http = common::WebServer::start(&served, Some(&http_log));
    let port = http.port;
    t.write(
        "w.wdl",
        r#"
version 1.2
task use {
  input { File panel  File ref  File bam  Int n }
  command <<< echo "~{n} $(cat ~{panel} | cut -f3) $(cat ~{ref}) ~{bam}" >>>
  output { String out = read_string(stdout()) }
  hints { inputs: input { bam: hints { localizationOptional: true } } }
}
workflow w {
  input { File panel  File ref  File bam }
  scatter (i in range(3)) { call use { input: panel = panel, ref = ref, bam = bam, n = i } }
  output { Array[String] outs = use.out }
}
"#,
    );
    // Credentials only in a shared credentials file, picked by AWS_PROFILE.
    let creds = t.path().join("aws-credentials");
    std::fs::write(
        &creds,
        format!("[ferry-test]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let mut cmd = common::ferry();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_CONFIG_FILE", t.path().join("no-aws-config"))
        .env("AWS_PROFILE", "ferry-test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let r = common::run_command(
        cmd,
        t.path(),
        "w.wdl",
        &[
            &format!("w.panel=http://127.0.0.1:{port}/panel.bed"),
            &format!("w.ref={}", t.url("ref/ref.txt")),
            &format!("w.bam={}", t.url("reads/x.bam")),
        ],
        &[],
    );
    drop(http);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    // As the task sees it behind a plain-http endpoint (htslib's spelling).
    let bam = t.url("reads/x.bam").replace("s3://", "s3+http://");
    assert_eq!(
        o["w.outs"],
        json!([
            format!("0 100 from s3 {bam}"),
            format!("1 100 from s3 {bam}"),
            format!("2 100 from s3 {bam}")
        ])
    );
    let gets = std::fs::read_to_string(&http_log)
        .unwrap()
        .matches("\"GET /panel.bed")
        .count();
    assert_eq!(gets, 1, "the HTTP input was fetched {gets} times");
    assert_eq!(t.count("GET", "reads/x.bam"), 0);

    // `ferry cache clear --objects` empties the node's object cache too.
    let objects = t.path().join(".cache/ferry/objects");
    assert!(objects.is_dir());
    let cleared = common::ferry()
        .current_dir(t.path())
        .args(["cache", "clear", "--objects"])
        .env("XDG_CACHE_HOME", t.path().join(".cache"))
        .output()
        .unwrap();
    assert!(
        cleared.status.success(),
        "{}",
        String::from_utf8_lossy(&cleared.stderr)
    );
    assert!(!objects.exists());
}

#[test]
fn the_standard_aws_endpoint_variables_are_honoured_and_the_profile_wins() {
    let t = S3Test::new(0, "");
    t.put("in/x.txt", b"through the standard variable\n");
    t.write(
        "w.wdl",
        r#"
version 1.1
task cat_it {
  input { File f }
  command <<< cat ~{f} >>>
  output { String s = read_string(stdout()) }
}
workflow w {
  input { File f }
  call cat_it { input: f = f }
  output { String s = cat_it.s }
}
"#,
    );
    let port = t.proxy.port;
    let with_env = |toml: &str, vars: &[(&str, String)]| {
        std::fs::write(t.path().join("ferry.toml"), toml).unwrap();
        let mut cmd = common::ferry();
        aws_env(&mut cmd).envs(vars.iter().map(|(k, v)| (k, v)));
        common::run_command(
            cmd,
            t.path(),
            "w.wdl",
            &[&format!("w.f={}", t.url("in/x.txt"))],
            &[],
        )
    };
    // No endpoint in the profile: AWS_ENDPOINT_URL names the proxy; an IP endpoint means
    // path-style addressing without being told.
    let before = t.count("HEAD", "in/x.txt");
    let r = with_env(
        "",
        &[("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.s"], "through the standard variable");
    assert!(
        t.count("HEAD", "in/x.txt") > before,
        "the request went to the proxy"
    );
    // The S3-specific variable wins over the general one (a dead port here).
    let before = t.count("HEAD", "in/x.txt");
    let r = with_env(
        "[defaults]\ncache = false\n",
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()),
            ("AWS_ENDPOINT_URL_S3", format!("http://localhost:{port}")),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(t.count("HEAD", "in/x.txt") > before);
    // The profile's endpoint wins over both.
    let before = t.count("HEAD", "in/x.txt");
    let r = with_env(
        &format!(
            "[defaults]\ncache = false\n[defaults.s3]\nendpoint = \"http://127.0.0.1:{port}\"\n"
        ),
        &[("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9".into())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(t.count("HEAD", "in/x.txt") > before);
}

#[test]
fn a_url_written_as_a_string_for_a_file_call_input_is_localized() {
    let t = S3Test::new(0, "");
    t.put("lit/x.txt", b"literal\n");
    t.write(
        "w.wdl",
        r#"
version 1.1
task t {
  input { File f  Array[File] more }
  command <<< cat ~{f} ~{sep(" ", more)} >>>
  output { String s = read_string(stdout()) }
}
workflow w {
  call t { input: f = "s3://BUCKET/lit/x.txt", more = ["s3://BUCKET/lit/x.txt"] }
  output { String s = t.s }
}
"#,
    );
    let r = t.run("w.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.s"], "literal\nliteral");
}

/// `read_*` of a File value that is a URL, in the workflow itself (no task localized it):
/// the object is downloaded once and read, as the spec's File values allow; a missing object
/// is an error naming it.
#[test]
fn the_workflow_reads_an_s3_file_value_with_read_functions() {
    let t = S3Test::new(0, "");
    t.put("read/n.txt", b"42\n");
    t.put("read/names.txt", b"a\nb\n");
    t.write(
        "w.wdl",
        r#"
version 1.1
workflow w {
  input { File n  File names }
  output {
    Int i = read_int(n)
    Array[String] lines = read_lines(names)
    String again = read_string("s3://BUCKET/read/n.txt")
  }
}
"#,
    );
    let n = t.url("read/n.txt");
    let names = t.url("read/names.txt");
    let r = t.run("w.wdl", &[&format!("w.n={n}"), &format!("w.names={names}")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.i"], 42);
    assert_eq!(r.outputs()["w.lines"], serde_json::json!(["a", "b"]));
    assert_eq!(r.outputs()["w.again"], "42");
    assert_eq!(t.count("GET", "read/n.txt"), 1, "{:#?}", t.requests());
}

/// In a bucket with default SSE-KMS encryption an object's ETag is not the MD5 of its bytes;
/// a small input (one GET, whose bytes are checked against an MD5 ETag) still arrives, and its
/// ETag is still what the download is conditioned on (If-Match, mapped back by the proxy).
#[test]
fn a_kms_encrypted_input_whose_etag_is_no_md5_is_read() {
    let t = S3Test::with_proxy(&["--kms-etags"], "");
    t.put("kms/n.txt", b"42\n");
    t.write(
        "w.wdl",
        r#"
version 1.1
task twice {
  input { File n }
  command <<< echo $(( $(cat ~{n}) * 2 )) >>>
  output { Int x = read_int(stdout()) }
}
workflow w {
  input { File n }
  call twice { input: n = n }
  output { Int x = twice.x  Int again = read_int(n) }
}
"#,
    );
    let r = t.run("w.wdl", &[&format!("w.n={}", t.url("kms/n.txt"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.x"], 84);
    assert_eq!(r.outputs()["w.again"], 42);
}

/// Ten thousand distinct objects in one run of an engine allowed 256 open descriptors (soft
/// and hard: `ulimit -n 256`): what the object cache keeps per object is a line in this
/// process's user record, not an open file, and downloads hold descriptors only while they run.
#[test]
fn ten_thousand_distinct_objects_fit_in_256_descriptors() {
    const N: usize = 10_000;
    let t = S3Test::new(0, "");
    // Straight to moto, not through the logging proxy: 20,000 requests.
    std::fs::write(
        t.path().join("ferry.toml"),
        "[defaults.s3]\nendpoint = \"http://127.0.0.1:5000\"\npath_style = true\n",
    )
    .unwrap();
    s3(&["putmany", &t.bucket, "many/", &N.to_string()]);
    let urls: Vec<String> = (0..N).map(|i| t.url(&format!("many/{i}.txt"))).collect();
    std::fs::write(
        t.path().join("inputs.json"),
        serde_json::to_string(&json!({ "w.fs": urls })).unwrap(),
    )
    .unwrap();
    t.write(
        "w.wdl",
        r#"
version 1.1
task total {
  input { Array[File] fs }
  command <<<
    xargs cat < ~{write_lines(fs)} | awk '{ s += $1; n += 1 } END { print s, n }'
  >>>
  output { String sum_and_count = read_string(stdout()) }
}
workflow w {
  input { Array[File] fs }
  call total { input: fs = fs }
  output { String sum_and_count = total.sum_and_count }
}
"#,
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "ulimit -n 256 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_ferry"));
    aws_env(&mut cmd);
    let r = common::run_command(cmd, t.path(), "w.wdl", &["-i", "inputs.json"], &[]);
    assert_eq!(r.code, 0, "{}", tail(&r.stderr));
    let sum: usize = (0..N).sum();
    assert_eq!(r.outputs()["w.sum_and_count"], format!("{sum} {N}"));
}

/// The end of a long log, for assertion messages.
fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A task that writes a stub index beside its working directory (as a remote job's is) naming
/// an object it should not reach, and a sparse file for it: the engine does not fetch that
/// object with its own credentials, and does not read the sparse file as data either (it
/// could be a stub): the call fails saying why.
#[test]
fn a_forged_remote_index_is_ignored() {
    let t = S3Test::new(0, "");
    t.put("secret.txt", b"the engine's secret\n");
    let index = json!({
        "work_url": format!("s3://{}/", t.bucket),
        "files": { "secret.txt": { "size": 20 } }
    })
    .to_string();
    t.write(
        "w.wdl",
        &r#"
version 1.1
task forge {
  command <<<
    echo 'INDEX' > ../remote.json
    dir=$(cd .. && pwd)
    echo 'INDEX' > "$(dirname "$dir")/.$(basename "$dir").remote.json"
    truncate -s 20 secret.txt
  >>>
  output { String s = read_string("secret.txt") }
}
workflow w {
  call forge
  output { String s = forge.s }
}
"#
        .replace("INDEX", &index),
    );
    let r = t.run("w.wdl", &[]);
    assert_eq!(t.count("GET", "secret.txt"), 0, "{:?}", t.requests());
    assert_eq!(t.count("HEAD", "secret.txt"), 0);
    assert!(!r.stdout.contains("secret"), "{}", r.stdout);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("is not used"), "{}", r.stderr);
}

/// An object replaced between its lookup and its download (or between two of its ranged
/// GETs): every GET carries the looked-up ETag (If-Match), so the call fails saying the object
/// changed instead of mixing two versions or caching the new one under the old one's key.
#[test]
fn an_object_replaced_while_it_is_downloaded_fails_the_call_saying_so() {
    let t = S3Test::with_proxy(&["--replace-on-get", "changing.txt"], "");
    t.put("changing.txt", b"the first version\n");
    t.write(
        "w.wdl",
        r#"
version 1.1
task t {
  input { File f }
  command <<< cat ~{f} >>>
  output { String s = read_string(stdout()) }
}
workflow w {
  call t { input: f = "s3://BUCKET/changing.txt" }
  output { String s = t.s }
}
"#,
    );
    let r = t.run("w.wdl", &[]);
    assert!(
        t.requests().iter().any(|l| l.starts_with("REPLACED")),
        "{:?}",
        t.requests()
    );
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("has changed"), "{}", r.stderr);
}
