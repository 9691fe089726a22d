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

/// Host paths no task container may have mounted, whatever asks for them: the system's
/// device, process, kernel and runtime-socket trees (`/var/run` is `/run`, where the Docker
/// daemon's socket is: root on the host), the root directory (it holds them all), and any
/// socket or device file, given itself or found in a given directory.
pub fn refuse_host_specials(inputs: &[std::path::PathBuf]) -> Result<(), String> {
    const SYSTEM: [&str; 4] = ["/dev", "/proc", "/sys", "/run"];
    for input in inputs {
        let Ok(real) = input.canonicalize() else {
            continue;
        };
        let refused = real == Path::new("/")
            || SYSTEM.iter().any(|s| real.starts_with(s))
            || special_within(&real, 100_000).is_some();
        if refused {
            let what = special_within(&real, 100_000)
                .map(|p| format!(" ({} is a socket or device)", p.display()))
                .unwrap_or_default();
            return Err(format!(
                "{} may not be given to a task container: it is a system directory, a socket or a device{what}",
                input.display()
            ));
        }
    }
    Ok(())
}

/// A socket, FIFO or device file at `path` or under it (links not followed), looking at no
/// more than `budget` entries.
fn special_within(path: &Path, mut budget: usize) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::FileTypeExt;
    let mut todo = vec![path.to_path_buf()];
    while let Some(p) = todo.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let t = meta.file_type();
        if t.is_socket() || t.is_char_device() || t.is_block_device() || t.is_fifo() {
            return Some(p);
        }
        if t.is_dir() {
            for entry in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                if budget == 0 {
                    return None;
                }
                budget -= 1;
                todo.push(entry.path());
            }
        }
    }
    None
}

#[cfg(test)]
mod special_tests {
    #[test]
    fn sockets_devices_and_system_trees_are_refused() {
        let d = tempfile::tempdir().expect("tmp");
        let plain = d.path().join("plain");
        std::fs::create_dir_all(plain.join("sub")).expect("dir");
        std::fs::write(plain.join("sub/a.txt"), "a").expect("file");
        assert!(super::refuse_host_specials(std::slice::from_ref(&plain)).is_ok());
        let _socket =
            std::os::unix::net::UnixListener::bind(plain.join("sub/s.sock")).expect("socket");
        assert!(super::refuse_host_specials(std::slice::from_ref(&plain)).is_err());
        for p in ["/", "/var/run", "/dev", "/proc/self", "/dev/null"] {
            assert!(super::refuse_host_specials(&[p.into()]).is_err(), "{p}");
        }
    }
}
