//! What Ferry runs inside any task container, Docker's or a cluster job's (podman, apptainer):
//! a fixed `/bin/sh` wrapper that runs the command script and records the container's own
//! resource counters, so that nothing of Ferry's has to be in the image.

use std::path::Path;

/// Runs in the container as `sh -c WRAPPER ferry WORK SCRIPT STDOUT STDERR RC USAGE`. Prefers
/// bash (WDL commands are usually written for it) and falls back to the image's sh. Before `rc`
/// it copies the container's own cgroup counters to USAGE (peak memory in bytes, then CPU time:
/// nanoseconds on cgroup v1, `usage_usec N` on v2, then the cgroup's `oom_kill N`), which only
/// the container can still read when it ends; see [`container_usage`] and [`oom_killed`].
pub(crate) const WRAPPER: &str = r#"cd "$1" || exit 126
if command -v bash >/dev/null 2>&1; then bash "$2" >"$3" 2>"$4"; else sh "$2" >"$3" 2>"$4"; fi
rc=$?
if [ -n "$6" ]; then
  { cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes || cat /sys/fs/cgroup/memory.peak
    cat /sys/fs/cgroup/cpuacct/cpuacct.usage || grep usage_usec /sys/fs/cgroup/cpu.stat
    grep -h '^oom_kill ' /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; } >"$6" 2>/dev/null
fi
echo "$rc" >"$5"
exit "$rc""#;

/// The file the wrapper leaves its container's counters in.
pub(crate) const USAGE_FILE: &str = "container-usage";

/// Whether the kernel killed a process of the container for its memory limit, by the cgroup's
/// own count: a command's child killed that way leaves the wrapper alive and the daemon's
/// `OOMKilled` unset, or set only after the exit was reported.
pub(crate) fn oom_killed(attempt_dir: &Path) -> bool {
    std::fs::read_to_string(attempt_dir.join(USAGE_FILE)).is_ok_and(|text| {
        text.lines().any(|l| {
            l.strip_prefix("oom_kill ")
                .and_then(|n| n.trim().parse::<u64>().ok())
                .is_some_and(|n| n > 0)
        })
    })
}

/// Peak memory and CPU time from the wrapper's counters; `None` for what it could not read.
pub(crate) fn container_usage(attempt_dir: &Path) -> (Option<u64>, Option<std::time::Duration>) {
    let Ok(text) = std::fs::read_to_string(attempt_dir.join(USAGE_FILE)) else {
        return (None, None);
    };
    let mut lines = text.lines();
    let memory = lines.next().and_then(|l| l.trim().parse::<u64>().ok());
    let cpu = lines
        .next()
        .and_then(|l| match l.trim().strip_prefix("usage_usec") {
            Some(us) => us.trim().parse().ok().map(std::time::Duration::from_micros),
            None => l.trim().parse().ok().map(std::time::Duration::from_nanos),
        });
    (memory, cpu)
}
