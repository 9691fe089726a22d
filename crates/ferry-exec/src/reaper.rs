//! Task processes that outlive a killed engine.
//!
//! `kill -9` of the engine runs no code of ours, so nothing in the engine can stop what its
//! tasks started (`PR_SET_PDEATHSIG` reaches only each task's shell). A *reaper*, one small
//! process per run started beside the engine (`ferry __reap`), waits for the engine to end,
//! however it ends, and then kills every process that carries the run's marker in its
//! environment ([`RUN_MARKER`], which the local executor gives every task and its children
//! inherit). `--resume` sweeps the same way before it starts, in case the reaper was killed too.
//! A process that clears its environment is not found: this is a safety net for careless
//! tasks, not a sandbox.

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

/// The reaper's life: wait until process `engine` has ended, then kill its run's processes.
pub fn reap_after(engine: i32, run_dir: &Path) -> usize {
    crate::sys::wait_for_exit(engine);
    kill_run_processes(run_dir)
}

/// Starts the reaper for the engine (this process): `exe __reap RUN_DIR PID`, in a session of
/// its own so that a Ctrl-C to the engine's terminal does not reach it.
pub fn start_reaper(exe: &Path, run_dir: &Path) -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    std::process::Command::new(exe)
        .arg("__reap")
        .arg(run_dir)
        .arg(std::process::id().to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
}
