//! The bundled examples run and give the expected results (the README's first command).

mod common;

use std::path::PathBuf;

fn examples() -> PathBuf {
    // The run-time variable, not `env!`: a test binary built from another checkout sharing the
    // target directory would otherwise point at that checkout.
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(manifest).join("../../examples")
}

fn run_example(dir: &str, wdl: &str) -> (serde_json::Value, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let ex = examples().join(dir);
    let r = common::ferry()
        .current_dir(&ex)
        .args(["run", wdl, "-i", "inputs.json", "--run-dir"])
        .arg(out.path().join("run"))
        .env("XDG_CACHE_HOME", out.path().join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    (serde_json::from_slice(&r.stdout).unwrap(), out)
}

#[test]
fn fasta_stats_example() {
    let (o, _dir) = run_example("fasta-stats", "fasta_stats.wdl");
    assert_eq!(o["fasta_stats.n_windows"], 11);
    assert_eq!(o["fasta_stats.genome_gc"], 0.4895);
    let summary = std::fs::read_to_string(o["fasta_stats.summary_tsv"].as_str().unwrap()).unwrap();
    assert_eq!(
        summary,
        "contig\tlength\tgc_fraction\tn_bases\nchrA\t30000\t0.4532\t0\nchrB\t18000\t0.5557\t500\nchrM\t1650\t0.4479\t0\n"
    );
    let windows = std::fs::read_to_string(o["fasta_stats.windows_tsv"].as_str().unwrap()).unwrap();
    assert_eq!(windows.lines().count(), 12);
}

fn on_path(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn variant_calling_example_finds_the_planted_variants() {
    // Fails, never skips: .ci/run installs these, and a skipped test proves nothing.
    assert!(
        ["samtools", "bcftools", "tabix"].iter().all(|t| on_path(t)),
        "samtools, bcftools and tabix are needed (apt-get install samtools bcftools tabix)"
    );
    let (o, _dir) = run_example("variant-calling", "variant_calling.wdl");
    assert_eq!(o["variant_calling.n_variants"], 5);
    let vcf = o["variant_calling.vcf"].as_str().unwrap();
    let text = std::process::Command::new("bcftools")
        .args(["query", "-f", "%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n", vcf])
        .output()
        .unwrap();
    let calls = String::from_utf8_lossy(&text.stdout).to_string();
    let expected = common::planted_variants(&examples().join("variant-calling"));
    assert_eq!(calls.lines().collect::<Vec<_>>(), expected);
}
