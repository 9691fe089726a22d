//! What runs inside a cluster job (`ferry-launch --job ATTEMPT_DIR`): the attempt's command, its
//! resource use recorded, `rc` written last. Code for another program, on compute nodes.

use super::*;

/// Inside a cluster job: runs the attempt's command (stdin empty, output to the attempt's
/// files, in `work/`), then writes its resource use to `usage` and its exit status to `rc`.
/// This is `ferry-launch --job ATTEMPT_DIR`; returns the exit status.
pub fn run_job(attempt_dir: &Path) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    let open = |name: &str| std::fs::File::create(attempt_dir.join(name));
    let status = match (open("stdout"), open("stderr")) {
        (Ok(out), Ok(err)) => std::process::Command::new("/bin/bash")
            .arg(attempt_dir.join("command"))
            .current_dir(attempt_dir.join("work"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .status(),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let rc = match status {
        Ok(s) => s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)),
        Err(e) => {
            eprintln!(
                "ferry-launch --job: cannot run {}: {e}",
                attempt_dir.join("command").display()
            );
            127
        }
    };
    let u = crate::sys::children_usage();
    let usage = format!(
        "{} {} {} {}\n",
        started.elapsed().as_millis(),
        u.user_cpu.as_millis(),
        u.system_cpu.as_millis(),
        u.max_rss.unwrap_or(0) / 1024
    );
    let _ = std::fs::write(attempt_dir.join("usage"), usage);
    let tmp = attempt_dir.join("rc.tmp");
    if std::fs::write(&tmp, format!("{rc}\n")).is_ok() {
        let _ = std::fs::rename(&tmp, attempt_dir.join("rc"));
    }
    rc
}
