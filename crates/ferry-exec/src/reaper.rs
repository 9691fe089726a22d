//! Task processes that outlive a killed engine.
//!
//! `kill -9` of the engine runs no code of ours. The task launcher (`launcher`) notices the
//! engine's end and kills every task process it started or adopted, then every process that
//! carries its own marker ([`LAUNCHER_MARKER`]). Before a `--resume` reuses attempt
//! directories (and after the run directory's lock shows that no launcher of the stopped run
//! is left), every process that carries the run's marker ([`RUN_MARKER`]) is killed here.
//! Markers are environment entries, inherited by everything a task starts, and matched
//! exactly: `FERRY_RUN=<run id>`, where the run id is persisted in the run directory, so the
//! spelling of the run directory's path does not matter. A process that clears its
//! environment and escapes the launcher is not found: this is a safety net for careless
//! tasks, not a sandbox.

use std::time::Duration;

/// The environment variable that marks a run's task processes: `FERRY_RUN=<run id>`, the same
/// for every engine that works on the run (a resumed run sweeps what earlier ones left).
pub const RUN_MARKER: &str = "FERRY_RUN";

/// The environment variable that marks the task processes of one launcher: what it sweeps
/// when it ends, never a later launcher's tasks.
pub const LAUNCHER_MARKER: &str = "FERRY_LAUNCHER";

/// Kills every process (other than this one) whose environment has `key=value` exactly,
/// until none is left (a dying tree may start more). Returns how many were killed.
pub fn kill_marked(key: &str, value: &[u8]) -> usize {
    let mut entry = key.as_bytes().to_vec();
    entry.push(b'=');
    entry.extend_from_slice(value);
    let me = std::process::id() as i32;
    let mut killed = 0;
    for _ in 0..20 {
        let found: Vec<i32> = process_ids()
            .filter(|pid| *pid != me)
            .filter(|pid| has_entry(*pid, &entry))
            .collect();
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

/// Kills every process left by the run whose id is `run_id` (see [`RUN_MARKER`]).
pub fn kill_run_processes(run_id: &str) -> usize {
    kill_marked(RUN_MARKER, run_id.as_bytes())
}

/// The ids of every process `/proc` lists.
pub(crate) fn process_ids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
}

/// Whether process `pid`'s environment has the entry `key=value` (whole, not a substring).
fn has_entry(pid: i32, entry: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == entry))
}

/// The value of `key` in process `pid`'s environment.
pub(crate) fn environ_value(pid: i32, key: &str) -> Option<Vec<u8>> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    env.split(|b| *b == 0).find_map(|kv| {
        kv.strip_prefix(key.as_bytes())?
            .strip_prefix(b"=")
            .map(<[u8]>::to_vec)
    })
}
