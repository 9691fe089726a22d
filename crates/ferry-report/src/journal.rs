//! Reading `attempts.tsv` (written by `ferry-engine/src/journal.rs`): tolerant of a torn last
//! line, of the nine-column journals of older versions and of lines it does not understand.

/// What a journal line says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The command exited (with `exit`).
    Done,
    /// Killed for exceeding its memory.
    Oom,
    /// The platform lost it: no exit code.
    Lost,
    /// The platform took its capacity away (a Spot reclaim, a preempted node): no exit code.
    Preempted,
    /// The call's outputs came from the call cache; no attempt ran.
    Cached,
}

/// One attempt (or cache hit) of the journal.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// The attempt directory, relative to the run directory.
    pub dir: String,
    /// The call's name (`align`, `sub.align` inside a subworkflow call).
    pub call: String,
    /// The task it ran, when the journal says (older journals do not).
    pub task: Option<String>,
    pub exit: i32,
    pub event: Event,
    pub start_ms: u64,
    pub wall_ms: u64,
    pub user_ms: u64,
    pub sys_ms: u64,
    /// Peak resident memory, when the executor could measure it.
    pub max_rss_kib: Option<u64>,
    pub cpu: f64,
    pub memory_mib: u64,
    /// The attempt number (`attempt-N`).
    pub number: u32,
}

impl Attempt {
    pub fn failed(&self) -> bool {
        self.event != Event::Cached && (self.event != Event::Done || self.exit != 0)
    }
    pub fn end_ms(&self) -> u64 {
        self.start_ms + self.wall_ms
    }
    /// Cores used on average: CPU time over wall time.
    pub fn cores_used(&self) -> Option<f64> {
        (self.wall_ms > 0 && self.event != Event::Cached)
            .then(|| (self.user_ms + self.sys_ms) as f64 / self.wall_ms as f64)
    }

    /// What the attempt cost, in the hours every table of the report sums.
    pub fn hours(&self) -> Hours {
        let hours = |ms: u64| ms as f64 / 3_600_000.0;
        let wall_h = hours(self.wall_ms);
        Hours {
            wall_h,
            reserved_core_h: self.cpu * wall_h,
            used_core_h: hours(self.user_ms + self.sys_ms),
            reserved_gib_h: self.memory_mib as f64 / 1024.0 * wall_h,
            peak_gib_h: self
                .max_rss_kib
                .map_or(0.0, |k| k as f64 / (1024.0 * 1024.0) * wall_h),
        }
    }
}

/// An attempt's wall time, the cores and memory it reserved over it, the CPU it used and its
/// peak memory over it (0 when unmeasured), in hours.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hours {
    pub wall_h: f64,
    pub reserved_core_h: f64,
    pub used_core_h: f64,
    pub reserved_gib_h: f64,
    pub peak_gib_h: f64,
}

/// The attempts of a journal's text, in order. A later `rerun` line of an attempt directory
/// drops what was recorded of it before.
pub fn parse(text: &str) -> Vec<Attempt> {
    let mut out: Vec<Attempt> = Vec::new();
    for line in text.lines().skip_while(|l| l.starts_with("attempt\t")) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 9 && cols.len() != 11 {
            continue;
        }
        let num = |i: usize| cols[i].parse::<u64>().ok();
        let (Ok(exit), Some(start), Some(wall), Some(user), Some(sys), Ok(cpu), Some(mem)) = (
            cols[1].parse::<i32>(),
            num(2),
            num(3),
            num(4),
            num(5),
            cols[7].parse::<f64>(),
            num(8),
        ) else {
            continue;
        };
        let event = match cols.get(9).copied() {
            Some("done") => Event::Done,
            Some("oom") => Event::Oom,
            Some("lost") => Event::Lost,
            Some("preempted") => Event::Preempted,
            Some("cached") => Event::Cached,
            Some("rerun") => {
                out.retain(|a| a.dir != cols[0]);
                continue;
            }
            Some(_) => continue,
            // Nine columns: a rerun line had start 0.
            None if exit < 0 && start == 0 => {
                out.retain(|a| a.dir != cols[0]);
                continue;
            }
            None if exit < 0 => Event::Lost,
            None => Event::Done,
        };
        let dir = cols[0].to_string();
        out.push(Attempt {
            call: call_name(&dir),
            number: attempt_number(&dir),
            task: cols
                .get(10)
                .filter(|t| !t.is_empty() && **t != "-")
                .map(|t| t.to_string()),
            exit,
            event,
            start_ms: start,
            wall_ms: wall,
            user_ms: user,
            sys_ms: sys,
            max_rss_kib: cols[6].parse().ok(),
            cpu: if cpu.is_finite() { cpu } else { 0.0 },
            memory_mib: mem,
            dir,
        });
    }
    out
}

/// `calls/sub/align/shard-3/shard-1.attempt-2` → `sub.align`.
pub fn call_name(dir: &str) -> String {
    let parts: Vec<&str> = dir
        .strip_prefix("calls/")
        .unwrap_or(dir)
        .split('/')
        .filter(|p| !p.starts_with("shard-") && !p.starts_with("attempt-"))
        .collect();
    if parts.is_empty() {
        dir.to_string()
    } else {
        parts.join(".")
    }
}

fn attempt_number(dir: &str) -> u32 {
    dir.rsplit("attempt-")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_old_and_new_torn_and_rerun() {
        let text = "attempt\texit\tstart_ms\twall_ms\tuser_ms\tsys_ms\tmax_rss_kib\tcpu\tmemory_mib\tevent\ttask\n\
calls/a/shard-0.attempt-1\t0\t1000\t500\t400\t10\t2048\t2\t1024\tdone\tA\n\
calls/a/shard-1.attempt-1\t137\t1000\t300\t10\t10\t-\t2\t1024\toom\tA\n\
calls/a/shard-1.attempt-2\t0\t1400\t300\t10\t10\t900000\t2\t2048\tdone\tA\n\
calls/s/b/attempt-1\t0\t900\t0\t0\t0\t-\t1\t100\tcached\tB\n\
calls/old/attempt-1\t3\t100\t5\t1\t1\t10\t1\t2\n\
calls/x/attempt-1\t0\t1\t1\t1\t1\t1\t1\t1\tdone\tX\n\
calls/x/attempt-1\t-1\t0\t0\t0\t0\t-\t0\t0\trerun\t-\n\
calls/torn/attempt-1\t0\t17";
        let a = parse(text);
        let calls: Vec<&str> = a.iter().map(|a| a.call.as_str()).collect();
        assert_eq!(calls, ["a", "a", "a", "s.b", "old"]);
        assert_eq!(a[1].event, Event::Oom);
        assert!(a[1].failed() && !a[2].failed() && !a[3].failed() && a[4].failed());
        assert_eq!(a[2].number, 2);
        assert_eq!(a[1].max_rss_kib, None);
        assert_eq!(a[4].task, None);
        assert!((a[0].cores_used().unwrap() - 0.82).abs() < 1e-9);
        assert!(parse("").is_empty());
    }
}
