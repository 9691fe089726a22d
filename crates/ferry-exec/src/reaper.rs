//! Task processes that outlive a killed engine.
//!
//! `kill -9` of the engine runs no code of ours. The task launcher (`launcher`) notices the
//! engine's end and kills every task process it started or adopted; then, and before a
//! `--resume` (in case the launcher was killed too), every process that carries the run's
//! marker in its environment ([`RUN_MARKER`], which the local executor gives every task and
//! its children inherit) is killed here. A process that clears its environment and escapes
//! the launcher is not found: this is a safety net for careless tasks, not a sandbox.

use std::path::Path;
use std::time::Duration;

/// The environment variable that marks a run's task processes: `FERRY_RUN=<run directory>`.
pub const RUN_MARKER: &str = "FERRY_RUN";

/// Kills every process (other than this one) whose environment says it belongs to the run in
/// `run_dir`, until none is left (a dying tree may start more). Returns how many were killed.
pub fn kill_run_processes(run_dir: &Path) -> usize {
    let marker = format!("{RUN_MARKER}={}\0", run_dir.display()).into_bytes();
    let me = std::process::id();
    let mut killed = 0;
    for _ in 0..20 {
        let found = marked_processes(&marker, me);
        if found.is_empty() {
            break;
        }
        for pid in &found {
            crate::sys::kill(*pid, libc::SIGKILL);
        }
        killed += found.len();
        std::thread::sleep(Duration::from_millis(20));
    }
    killed
}

/// The ids of every process `/proc` lists.
pub(crate) fn process_ids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
}

fn marked_processes(marker: &[u8], me: u32) -> Vec<i32> {
    process_ids()
        .filter(|pid| *pid as u32 != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.windows(marker.len()).any(|w| w == marker))
        })
        .collect()
}
