//! Tasks that read byte ranges of a BAM straight from S3 (htslib's S3 support, Debian's
//! samtools) instead of staging the whole file: moto on 127.0.0.1:5000 behind a logging proxy
//! that counts the bytes it relays (`fixtures/logproxy.py`), on the local and Docker executors.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::aws::{SECRET, aws_env, fixtures, s3, unique};

const REGIONS: [&str; 8] = [
    "chr1:100000-110000",
    "chr1:1000000-1010000",
    "chr1:2500000-2510000",
    "chr1:4900000-4910000",
    "chr2:1-10000",
    "chr2:2000000-2010000",
    "chr2:3333333-3343333",
    "chr2:4990000-5000000",
];

const WDL: &str = r#"
version 1.1
task count {
  input { File bam  File bai  String region }
  command <<< samtools view -c -X '~{bam}' '~{bai}' '~{region}' >>>
  output { Int n = read_int(stdout()) }
  runtime { docker: "local/samtools:1.16.1"  memory: "256 MiB" }
}
workflow regions {
  input { File bam  File bai  Array[String] regions }
  scatter (r in regions) { call count { input: bam = bam, bai = bai, region = r } }
  output { Array[Int] counts = count.n }
}
"#;

/// A BAM of about 110 MB (random reads, two 5 Mbp contigs) and its index, built once per
/// target directory.
fn big_bam() -> (PathBuf, PathBuf) {
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("streaming-bam");
    let bam = dir.join("x.bam");
    let bai = dir.join("x.bam.bai");
    if !bai.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let script = format!(
            "python3 '{}' 1000000 | samtools view -b -o x.bam.tmp - && mv x.bam.tmp x.bam && samtools index x.bam",
            fixtures().join("make-bam.py").display()
        );
        let ok = Command::new("sh")
            .args(["-c", &script])
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(ok.success(), "building the test BAM");
    }
    assert!(std::fs::metadata(&bam).unwrap().len() >= 100 << 20);
    (bam, bai)
}

/// `fixtures/logproxy.py` in front of moto: one tab-separated line per request, with the
/// bytes it relayed (less than the length when the client hung up early).
struct ByteCounter {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for ByteCounter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ByteCounter {
    fn start(log: PathBuf) -> ByteCounter {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .arg(fixtures().join("logproxy.py"))
            .args([&port.to_string(), "5000"])
            .arg(&log)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        ByteCounter { child, port, log }
    }

    /// Bytes relayed for GETs of `key` and how many GETs there were.
    fn served(&self, key: &str) -> (u64, usize) {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut bytes = 0;
        let mut gets = 0;
        for l in text.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() >= 8 && f[2] == "GET" && f[3].split('?').next() == Some(key) {
                bytes += f[7].parse::<u64>().unwrap_or(0);
                gets += 1;
            }
        }
        (bytes, gets)
    }
}

/// Region counts straight from the local file: what every run must report.
fn expected(bam: &Path) -> Vec<i64> {
    REGIONS
        .iter()
        .map(|r| {
            let out = Command::new("samtools")
                .args(["view", "-c"])
                .arg(bam)
                .arg(r)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
        })
        .collect()
}

fn files_contain(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            hits.extend(files_contain(&p, needle));
        } else if std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            hits.push(p);
        }
    }
    hits
}

fn streamed_regions_match_the_staged_run(profile: &str) {
    let (bam, bai) = big_bam();
    let want = expected(&bam);
    assert!(want.iter().all(|n| *n > 0), "{want:?}");
    let bucket = unique("ferry-stream");
    s3(&["mb", &bucket]);
    s3(&["put", &bucket, "x.bam", bam.to_str().unwrap()]);
    s3(&["put", &bucket, "x.bam.bai", bai.to_str().unwrap()]);
    let dir = common::project(&[("regions.wdl", WDL)]);
    let proxy = ByteCounter::start(dir.path().join("bytes.log"));
    let inputs = serde_json::json!({
        "regions.bam": format!("s3://{bucket}/x.bam"),
        "regions.bai": format!("s3://{bucket}/x.bam.bai"),
        "regions.regions": REGIONS,
    });
    std::fs::write(dir.path().join("inputs.json"), inputs.to_string()).unwrap();
    let key = format!("/{bucket}/x.bam");
    let run = |stream: bool| {
        let toml = format!(
            "[defaults]\ncache = false\n[defaults.s3]\nendpoint = \"http://127.0.0.1:{}\"\n[defaults.transfers]\ncache_dir = \"objects-{stream}\"\n{}",
            proxy.port,
            if stream {
                "[defaults.tasks.count]\nstream_inputs = [\"bam\", \"bai\"]\n"
            } else {
                ""
            }
        );
        std::fs::write(dir.path().join("ferry.toml"), toml).unwrap();
        let before = proxy.served(&key);
        let mut cmd = common::ferry();
        aws_env(&mut cmd);
        let r = common::run_command(
            cmd,
            dir.path(),
            "regions.wdl",
            &["-i", "inputs.json", "--profile", profile],
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let after = proxy.served(&key);
        let counts: Vec<i64> =
            serde_json::from_value(r.outputs()["regions.counts"].clone()).expect("counts");
        (counts, after.0 - before.0, after.1 - before.1, r)
    };
    let size = std::fs::metadata(&bam).unwrap().len();
    let (staged, staged_bytes, _, _) = run(false);
    assert_eq!(staged, want, "staged counts");
    assert!(
        staged_bytes >= size,
        "the staged run downloads the whole BAM once"
    );
    let (streamed, streamed_bytes, gets, r) = run(true);
    assert_eq!(streamed, want, "streamed counts");
    assert!(
        gets >= REGIONS.len(),
        "every shard read the BAM itself: {gets} GETs"
    );
    let per_shard = streamed_bytes / REGIONS.len() as u64;
    eprintln!(
        "{profile}: staged {staged_bytes} bytes; streamed {streamed_bytes} bytes in {gets} GETs, {per_shard} per shard of a {size}-byte BAM"
    );
    assert!(
        per_shard < size / 4,
        "each shard read a small part of the BAM: {per_shard} of {size} bytes"
    );
    let leaked = files_contain(&r.run_dir, SECRET);
    assert!(leaked.is_empty(), "credentials written to {leaked:?}");
}

#[test]
fn an_8_region_scatter_streams_a_bam_from_s3_on_the_local_executor() {
    streamed_regions_match_the_staged_run("local");
}

#[test]
fn an_8_region_scatter_streams_a_bam_from_s3_in_docker() {
    streamed_regions_match_the_staged_run("docker");
}
