//! Google Cloud Storage and Azure Blob Storage through the same path as S3, against their
//! emulators on loopback: fake-gcs-server on 127.0.0.1:4443 (`scripts/services/fake-gcs-up.sh`)
//! and Azurite on 127.0.0.1:10000 (`scripts/services/azurite-up.sh`); and a plain web server
//! that knows no ranges.

mod common;

use std::path::Path;
use std::process::Command;

use common::aws::unique;

const GCS: &str = "http://127.0.0.1:4443";
const GCS_BUCKET: &str = "ferry-gcs";
const AZURITE: &str = "http://127.0.0.1:10000/devstoreaccount1";
const AZ_CONTAINER: &str = "ferry-az";

fn example(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn sh(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// fake-gcs-server refuses object_store's uploads; fixtures go up through the JSON API.
fn gcs_put(key: &str, file: &Path) {
    let code = sh(
        "curl",
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            "--data-binary",
            &format!("@{}", file.display()),
            &format!("{GCS}/upload/storage/v1/b/{GCS_BUCKET}/o?uploadType=media&name={key}"),
        ],
    );
    assert_eq!(code, "200", "upload of {key} to fake-gcs-server");
}

/// Azurite's blobs through the Azure SDK for Python (its well-known development account).
fn azure(script: &str, args: &[&str]) -> String {
    let prelude = format!(
        "import sys\nfrom azure.storage.blob import BlobServiceClient\n\
         cs = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint={AZURITE};'\n\
         c = BlobServiceClient.from_connection_string(cs).get_container_client('{AZ_CONTAINER}')\n"
    );
    let mut all = vec!["-c".to_string(), format!("{prelude}{script}")];
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    sh("python3", &all)
}

/// The fasta-stats example run locally: what every store's run must reproduce.
fn local_outputs(dir: &Path) -> serde_json::Value {
    let fasta = example("fasta-stats/data/genome.fa");
    let r = common::run(
        dir,
        example("fasta-stats/fasta_stats.wdl").to_str().unwrap(),
        &[&format!("fasta_stats.fasta={}", fasta.display())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.outputs()
}

fn text(v: &serde_json::Value) -> String {
    std::fs::read_to_string(v.as_str().unwrap()).unwrap()
}

#[test]
fn a_gs_input_runs_the_fasta_stats_example_and_is_downloaded_once_per_node() {
    let dir = common::project(&[(
        "ferry.toml",
        &format!(
            "[defaults.gcs]\nendpoint = \"{GCS}\"\nanonymous = true\n[defaults]\ncache = false\n[defaults.transfers]\ncache_dir = \"objects\"\n"
        ),
    )]);
    let local = local_outputs(dir.path());
    let key = format!("{}/genome.fa", unique("fasta"));
    gcs_put(&key, &example("fasta-stats/data/genome.fa"));
    let url = format!("gs://{GCS_BUCKET}/{key}");
    let wdl = example("fasta-stats/fasta_stats.wdl");
    let mut downloads = Vec::new();
    for _ in 0..2 {
        let r = common::run(
            dir.path(),
            wdl.to_str().unwrap(),
            &[&format!("fasta_stats.fasta={url}")],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let o = r.outputs();
        assert_eq!(o["fasta_stats.n_windows"], local["fasta_stats.n_windows"]);
        assert_eq!(o["fasta_stats.genome_gc"], local["fasta_stats.genome_gc"]);
        assert_eq!(
            text(&o["fasta_stats.windows_tsv"]),
            text(&local["fasta_stats.windows_tsv"])
        );
        // The object cache holds the one download both runs used, unchanged by the second.
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("objects"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("genome.fa").exists())
            .map(|e| {
                let m = std::fs::metadata(e.path().join("genome.fa")).unwrap();
                (e.path(), m.modified().unwrap())
            })
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        downloads.push(entries[0].clone());
    }
    assert_eq!(
        downloads[0], downloads[1],
        "the second run reused the download"
    );
    // A missing object stops the run before anything runs, naming the URL.
    let missing = format!("gs://{GCS_BUCKET}/{}/absent.fa", unique("none"));
    let r = common::run(
        dir.path(),
        wdl.to_str().unwrap(),
        &[&format!("fasta_stats.fasta={missing}")],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains(&missing), "{}", r.stderr);
    assert!(
        !r.run_dir.join("calls").exists()
            || std::fs::read_dir(r.run_dir.join("calls"))
                .unwrap()
                .next()
                .is_none(),
        "nothing ran"
    );
}

#[test]
fn an_az_input_runs_the_fasta_stats_example_and_its_outputs_go_up_to_azure() {
    let prefix = unique("fasta");
    let results = format!("az://{AZ_CONTAINER}/{prefix}/results");
    let dir = common::project(&[(
        "ferry.toml",
        &format!(
            "[defaults]\ncache = false\noutput_dir = \"{results}\"\n[defaults.azure]\nuse_emulator = true\n"
        ),
    )]);
    let plain = common::project(&[]);
    let local = local_outputs(plain.path());
    let key = format!("{prefix}/genome.fa");
    azure(
        "c.upload_blob(sys.argv[1], open(sys.argv[2], 'rb'))",
        &[
            &key,
            example("fasta-stats/data/genome.fa").to_str().unwrap(),
        ],
    );
    let r = common::run(
        dir.path(),
        example("fasta-stats/fasta_stats.wdl").to_str().unwrap(),
        &[&format!("fasta_stats.fasta=az://{AZ_CONTAINER}/{key}")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["fasta_stats.genome_gc"], local["fasta_stats.genome_gc"]);
    let published = o["fasta_stats.windows_tsv"].as_str().unwrap().to_string();
    assert!(
        published.starts_with(&format!("{results}/")),
        "published under output_dir: {published}"
    );
    let blob = published
        .strip_prefix(&format!("az://{AZ_CONTAINER}/"))
        .unwrap();
    let uploaded = azure(
        "sys.stdout.write(c.download_blob(sys.argv[1]).readall().decode())",
        &[blob],
    );
    assert_eq!(uploaded, text(&local["fasta_stats.windows_tsv"]));
}

#[test]
fn the_object_cache_evicts_the_least_recently_used_object_past_its_cap() {
    let genome = example("fasta-stats/data/genome.fa");
    let size = std::fs::metadata(&genome).unwrap().len();
    // Room for one copy of the genome, not two.
    let dir = common::project(&[(
        "ferry.toml",
        &format!(
            "[defaults]\ncache = false\n[defaults.gcs]\nendpoint = \"{GCS}\"\nanonymous = true\n[defaults.transfers]\ncache_dir = \"objects\"\ncache_max = \"{} B\"\n",
            size * 3 / 2
        ),
    )]);
    let prefix = unique("lru");
    let wdl = example("fasta-stats/fasta_stats.wdl");
    let list = || {
        let out = common::ferry()
            .current_dir(dir.path())
            .args(["cache", "list", "--objects"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for name in ["first", "second"] {
        let key = format!("{prefix}/{name}/genome.fa");
        gcs_put(&key, &genome);
        let r = common::run(
            dir.path(),
            wdl.to_str().unwrap(),
            &[&format!("fasta_stats.fasta=gs://{GCS_BUCKET}/{key}")],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    // The first run's copy went when the second run's arrived; the second is still there.
    let listed = list();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("genome.fa"), "{listed}");
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("objects"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("genome.fa").exists())
        .collect();
    assert_eq!(entries.len(), 1);
}

/// An `http://` input larger than one ranged part (16 MiB) from a web server that ignores
/// `Range` (Python's http.server answers 200 with the whole file): fetched whole, once, and
/// intact, instead of failing.
#[test]
fn a_large_input_from_a_server_without_ranges_is_fetched_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).expect("www");
    let bytes: Vec<u8> = (0..(20u32 << 20)).map(|i| (i % 251) as u8).collect();
    std::fs::write(www.join("big.bin"), &bytes).expect("big");
    let http = common::WebServer::start(&www, None);
    let port = http.port;
    let wdl = "version 1.1\ntask t {\n  input { File f }\n  command <<< wc -c < ~{f}; md5sum < ~{f} | cut -c1-32 >>>\n  output { Array[String] o = read_lines(stdout()) }\n}\n";
    std::fs::write(dir.path().join("t.wdl"), wdl).expect("wdl");
    let r = common::run_with(
        dir.path(),
        "t.wdl",
        &[&format!("t.f=http://127.0.0.1:{port}/big.bin")],
        &[(
            "XDG_CACHE_HOME",
            &dir.path().join("cache").display().to_string(),
        )],
    );
    drop(http);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // It was the web server's refusal of ranges that made Ferry fetch it whole.
    assert!(r.stderr.contains("fetching it whole"), "{}", r.stderr);
    let sum = Command::new("md5sum")
        .arg(www.join("big.bin"))
        .output()
        .expect("md5sum");
    let want = String::from_utf8_lossy(&sum.stdout)[..32].to_string();
    assert_eq!(
        r.outputs()["t.o"],
        serde_json::json!([(20u32 << 20).to_string(), want])
    );
}
