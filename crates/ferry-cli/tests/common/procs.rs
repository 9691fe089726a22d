//! The process table, for tests that check what is left running.

/// Asserts that no process whose command line contains `marker` is left, allowing 5 s for
/// killed ones to disappear.
pub fn assert_gone_soon(marker: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !processes_with(marker).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(processes_with(marker), Vec::<String>::new());
}

/// Processes (by command line) whose arguments contain `marker`.
pub fn processes_with(marker: &str) -> Vec<String> {
    process_table()
        .into_iter()
        .filter(|(_, cmd, zombie)| cmd.contains(marker) && !zombie)
        .map(|(_, cmd, _)| cmd)
        .collect()
}

/// Every process: its id, command line, and whether it is a zombie.
pub fn process_table() -> Vec<(i32, String, bool)> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            found.push((pid, cmd, zombie));
        }
    }
    found
}

/// How many processes with `marker` in their command line there are once there are at least
/// `n` (or after 30 s): `started` is touched before the commands after it have been exec'd.
pub fn wait_for_processes(marker: &str, n: usize) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let found = processes_with(marker).len();
        if found >= n || std::time::Instant::now() >= deadline {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The ids of the processes whose command line contains `marker`.
pub fn processes_with_pids(marker: &str) -> Vec<i32> {
    process_table()
        .into_iter()
        .filter(|(_, cmd, _)| cmd.contains(marker))
        .map(|(pid, _, _)| pid)
        .collect()
}
