//! End-to-end: call caching, resume after kill -9, invalidation.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use common::{ferry, project};
use serde_json::json;

const WDL: &str = r#"
version 1.1
task sq {
  input { Int x  String log }
  command <<<
    sleep 0.02
    echo "sq ~{x}" >> '~{log}'
    echo $(( ~{x} * ~{x} ))
  >>>
  output { Int y = read_int(stdout()) }
  runtime { cpu: 1  memory: "16 MiB" }
}
task total {
  input { Array[Int] ys  String log }
  command <<<
    echo "total" >> '~{log}'
    echo ~{sep=" " ys} | tr ' ' '\n' | awk '{ s += $1 } END { print s }' > total.txt
  >>>
  output { File f = "total.txt"  Int n = read_int("total.txt") }
  runtime { cpu: 1  memory: "16 MiB" }
}
workflow w {
  input { Array[Int] xs  String log }
  scatter (x in xs) { call sq { input: x = x, log = log } }
  call total { input: ys = sq.y, log = log }
  output { Int sum = total.n  File report = total.f }
}
"#;

fn executions(log: &Path) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for l in std::fs::read_to_string(log).unwrap_or_default().lines() {
        *m.entry(l.to_string()).or_insert(0) += 1;
    }
    m
}

fn run_in(dir: &Path, run_dir: &str, args: &[&str]) -> common::Run {
    let full_run = dir.join(run_dir);
    let out = ferry()
        .current_dir(dir)
        .args(["run", "w.wdl", "--run-dir"])
        .arg(&full_run)
        .args(args)
        .env("FERRY_LOG", "warn")
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .output()
        .unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        run_dir: full_run,
    }
}

#[test]
fn reruns_reuse_calls_and_a_changed_input_reruns_only_its_dependents() {
    let dir = project(&[("w.wdl", WDL)]);
    let log = dir.path().join("exec.log");
    let log_arg = format!("w.log={}", log.display());
    let r1 = run_in(dir.path(), "r1", &["w.xs=[1,2,3]", &log_arg]);
    assert_eq!(r1.code, 0, "{}", r1.stderr);
    assert_eq!(r1.outputs()["w.sum"], json!(14));
    assert_eq!(executions(&log).values().sum::<usize>(), 4);

    let r2 = run_in(dir.path(), "r2", &["w.xs=[1,2,3]", &log_arg]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert_eq!(r2.outputs()["w.sum"], json!(14));
    assert_eq!(
        executions(&log).values().sum::<usize>(),
        4,
        "a cached call ran again"
    );
    let report = r2.outputs()["w.report"].as_str().unwrap().to_string();
    assert!(
        report.starts_with(r2.run_dir.to_str().unwrap()),
        "published into the new run: {report}"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(r2.run_dir.join("stats.json")).unwrap())
            .unwrap();
    assert_eq!(stats["cached_calls"], json!(4));

    let r3 = run_in(dir.path(), "r3", &["w.xs=[1,2,4]", &log_arg]);
    assert_eq!(r3.outputs()["w.sum"], json!(21));
    let ex = executions(&log);
    assert_eq!(ex["sq 4"], 1);
    assert_eq!(ex["sq 1"], 1, "an unchanged shard ran again");
    assert_eq!(ex["total"], 2);

    // --no-cache runs everything.
    let r4 = run_in(dir.path(), "r4", &["w.xs=[1,2,4]", &log_arg, "--no-cache"]);
    assert_eq!(r4.code, 0);
    assert_eq!(executions(&log)["sq 1"], 2);

    // `ferry cache list` shows the entries; `clear` removes them.
    let list = ferry()
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .args(["cache", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert_eq!(
        text.lines().filter(|l| l.contains(" sq ")).count(),
        4,
        "{text}"
    );
    let clear = ferry()
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .args(["cache", "clear"])
        .output()
        .unwrap();
    assert!(clear.status.success());
    let r5 = run_in(dir.path(), "r5", &["w.xs=[1,2,4]", &log_arg]);
    assert_eq!(r5.code, 0);
    assert_eq!(executions(&log)["sq 1"], 3);
}

#[test]
fn a_modified_or_deleted_cached_output_is_detected_and_the_call_rerun() {
    let dir = project(&[("w.wdl", WDL)]);
    let log = dir.path().join("exec.log");
    let log_arg = format!("w.log={}", log.display());
    let r1 = run_in(dir.path(), "r1", &["w.xs=[2]", &log_arg]);
    assert_eq!(r1.code, 0, "{}", r1.stderr);
    let original = r1.run_dir.join("calls/total/attempt-1/work/total.txt");
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&original, "999\n").unwrap();
    let r2 = run_in(dir.path(), "r2", &["w.xs=[2]", &log_arg]);
    assert_eq!(r2.outputs()["w.sum"], json!(4));
    assert_eq!(executions(&log)["total"], 2);
    assert_eq!(executions(&log)["sq 2"], 1);
    std::fs::remove_dir_all(r2.run_dir.join("calls/total")).unwrap();
    let r3 = run_in(dir.path(), "r3", &["w.xs=[2]", &log_arg]);
    assert_eq!(r3.outputs()["w.sum"], json!(4));
    assert_eq!(executions(&log)["total"], 3);
}

#[test]
fn volatile_tasks_always_run() {
    let wdl = r#"
version 1.2
task now {
  input { String log }
  command <<< echo now >> '~{log}' >>>
  hints { volatile: true }
}
workflow w { input { String log } call now { input: log = log } }
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let log = dir.path().join("exec.log");
    let log_arg = format!("w.log={}", log.display());
    for i in 0..2 {
        let r = run_in(dir.path(), &format!("r{i}"), &[&log_arg]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(executions(&log)["now"], 2);
}

#[test]
fn kill_9_at_random_points_then_resume_reruns_only_unfinished_shards() {
    let n = 30;
    let xs: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let xs_arg = format!("w.xs=[{}]", xs.join(","));
    let expected: i64 = (0..n).map(|i: i64| i * i).sum();
    // Deterministic "random" kill times, one per seed.
    for (seed, no_cache) in [(1u64, false), (2, true), (3, false), (4, true)] {
        let delay = 150 + (seed.wrapping_mul(2654435761) % 900);
        let dir = project(&[("w.wdl", WDL)]);
        let log = dir.path().join("exec.log");
        let log_arg = format!("w.log={}", log.display());
        let run_dir = dir.path().join("run");
        let mut args = vec![
            xs_arg.clone(),
            log_arg.clone(),
            "--max-cpus".into(),
            "2".into(),
        ];
        if no_cache {
            args.push("--no-cache".into());
        }
        let mut child = ferry()
            .current_dir(dir.path())
            .args(["run", "w.wdl", "--run-dir"])
            .arg(&run_dir)
            .args(&args)
            .env("XDG_CACHE_HOME", dir.path().join(".cache"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Shards whose task had finished when the engine died.
        let finished: Vec<i64> = (0..n)
            .filter(|i| {
                std::fs::read_to_string(run_dir.join(format!("calls/sq/shard-{i}.attempt-1/rc")))
                    .map(|t| t.trim() == "0")
                    .unwrap_or(false)
            })
            .collect();
        assert!(
            !run_dir.join("outputs.json").exists() || finished.len() == n as usize,
            "seed {seed}: published outputs of an unfinished run"
        );
        let mut resume_args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        resume_args.push("--resume");
        let r = run_in(dir.path(), "run", &resume_args);
        assert_eq!(r.code, 0, "seed {seed}: {}", r.stderr);
        assert_eq!(r.outputs()["w.sum"], json!(expected), "seed {seed}");
        let ex = executions(&log);
        for i in 0..n {
            let count = ex.get(&format!("sq {i}")).copied().unwrap_or(0);
            assert!(count >= 1, "seed {seed}: shard {i} never ran");
            if finished.contains(&i) {
                assert_eq!(count, 1, "seed {seed}: finished shard {i} ran again");
            }
        }
        eprintln!(
            "seed {seed} (kill after {delay} ms, no_cache={no_cache}): {} of {n} shards had finished",
            finished.len()
        );
    }
}

#[test]
fn resume_adopts_attempts_whose_script_replaced_the_exit_trap() {
    // The shell's EXIT trap writes `rc`; a script with its own trap leaves none, and the
    // attempt journal (attempts.tsv) is what tells a resumed run that the attempt finished.
    let wdl = WDL.replace(
        "    sleep 0.02\n",
        "    trap 'echo cleanup > /dev/null' EXIT\n",
    );
    let dir = project(&[("w.wdl", &wdl)]);
    let log = dir.path().join("exec.log");
    let log_arg = format!("w.log={}", log.display());
    let args = ["w.xs=[1,2,3]", log_arg.as_str(), "--no-cache"];
    let r = run_in(dir.path(), "run", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run_dir = dir.path().join("run");
    assert!(!run_dir.join("calls/sq/shard-0.attempt-1/rc").exists());
    let journal = std::fs::read_to_string(run_dir.join("attempts.tsv")).unwrap();
    assert!(
        journal.starts_with("attempt\texit\tstart_ms\t"),
        "{journal}"
    );
    assert!(
        journal.contains("calls/sq/shard-2.attempt-1\t0\t"),
        "{journal}"
    );
    let mut resume: Vec<&str> = args.to_vec();
    resume.push("--resume");
    let r = run_in(dir.path(), "run", &resume);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.sum"], json!(14));
    let ex = executions(&log);
    for x in 1..=3 {
        assert_eq!(ex[&format!("sq {x}")], 1, "sq {x} ran again: {ex:?}");
    }
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("stats.json")).unwrap())
            .unwrap();
    assert_eq!(stats["adopted_calls"], json!(4), "{stats}");
}

/// A cached output replaced by a file of the same size with the old mtime restored (as an
/// editor's save-by-rename, or `cp -p`, can leave it) is a new inode: it is hashed again, the
/// cache entry no longer matches, and the call reruns instead of being served on size and mtime.
/// The same holds for a file changed in place with its mtime restored.
#[test]
fn a_same_size_output_with_its_mtime_restored_is_rehashed() {
    let wdl = r#"version 1.1
task make {
  input { String log }
  command <<<
    echo make >> '~{log}'
    echo aaaa > o.txt
  >>>
  output { File o = "o.txt" }
}
task cat {
  input { File f }
  command <<< cat '~{f}' >>>
  output { String s = read_string(stdout()) }
}
workflow w {
  input { String log }
  call make { input: log = log }
  call cat { input: f = make.o }
  output { String s = cat.s }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let log = dir.path().join("exec.log");
    let arg = format!("log={}", log.display());
    let first = run_in(dir.path(), "r1", &[&arg]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let output = dir.path().join("r1/calls/make/attempt-1/work/o.txt");
    let mtime = std::fs::metadata(&output).unwrap().modified().unwrap();
    let replacement = dir.path().join("o.txt.new");
    std::fs::write(&replacement, "bbbb\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&replacement)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    std::fs::rename(&replacement, &output).unwrap();
    assert_eq!(std::fs::metadata(&output).unwrap().len(), 5);
    let second = run_in(dir.path(), "r2", &[&arg]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(executions(&log).get("make"), Some(&2), "{}", second.stderr);
    assert!(second.stdout.contains("aaaa"), "{}", second.stdout);
    // Written in place (same inode; as root, or by a task given it as a writable input), its
    // mtime restored: the ctime, which nothing sets back, tells.
    let output = dir.path().join("r2/calls/make/attempt-1/work/o.txt");
    let mtime = std::fs::metadata(&output).unwrap().modified().unwrap();
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&output).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut f = std::fs::File::options().write(true).open(&output).unwrap();
    std::io::Write::write_all(&mut f, b"cccc\n").unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);
    let meta = std::fs::metadata(&output).unwrap();
    assert_eq!(
        (
            meta.modified().unwrap(),
            std::os::unix::fs::MetadataExt::ino(&meta)
        ),
        (mtime, ino)
    );
    let third = run_in(dir.path(), "r3", &[&arg]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(executions(&log).get("make"), Some(&3), "{}", third.stderr);
    assert!(third.stdout.contains("aaaa"), "{}", third.stdout);
    // Unchanged since, the next run takes it from the cache without rerunning.
    let fourth = run_in(dir.path(), "r4", &[&arg]);
    assert_eq!(fourth.code, 0, "{}", fourth.stderr);
    assert_eq!(executions(&log).get("make"), Some(&3), "{}", fourth.stderr);
}

/// Someone who can append to a shared cache but cannot read its key forges an entry that names
/// another file as a call's output (with that file's true size, mtime, inode and hash, and the
/// plain hash the log used to be checked with): the next run does not take it, reruns the call
/// and publishes its own output.
#[test]
fn a_forged_cache_entry_is_not_used() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let wdl = r#"version 1.1
task t {
  command <<< echo mine > out.txt >>>
  output { File f = "out.txt" }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let r = run_in(dir.path(), "run1", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cache_dir = dir.path().join(".cache/ferry");
    let key = std::fs::metadata(cache_dir.join("key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    let log = cache_dir.join("calls-v2.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text.lines().last().unwrap();
    let mut entry: serde_json::Value =
        serde_json::from_str(line.split_once(' ').unwrap().1).unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "secret\n").unwrap();
    let meta = std::fs::metadata(&secret).unwrap();
    let path = secret.display().to_string();
    entry["outputs"]["f"] = json!(path);
    entry["files"] = json!([{
        "path": path,
        "size": meta.len(),
        "mtime_ns": meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
        "ino": meta.ino(),
        "blake3": blake3::hash(b"secret\n").to_hex().to_string(),
    }]);
    let json = entry.to_string();
    let forged = format!("{} {json}\n", blake3::hash(json.as_bytes()).to_hex());
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, forged.as_bytes()).unwrap();
    drop(f);
    let r = run_in(dir.path(), "run2", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let outputs: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let published = outputs["t.f"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(published).unwrap(), "mine\n");
    assert_ne!(
        std::fs::metadata(published).unwrap().ino(),
        meta.ino(),
        "the published output is the forged file"
    );
}
