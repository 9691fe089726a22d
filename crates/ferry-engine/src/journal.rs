//! The attempt journal: `attempts.tsv` in the run directory, one line per finished attempt.
//!
//! Why a journal: a 100,000-shard scatter must not cost the engine a file per attempt, yet
//! a resumed run needs each finished attempt's exit code, and a report needs its timing and
//! resource use. The task's own shell writes `rc` into its attempt directory (see
//! `ferry-exec`'s local executor), so the engine does not read it back after every attempt;
//! when a script replaced the shell's EXIT trap that file is missing, and the journal still
//! has the exit code.
//!
//! Lines are buffered and written when the buffer fills and by the engine's periodic flush
//! (at most a second late), so appending costs no system call per attempt. A killed engine
//! loses at most the unflushed tail, whose attempts have their `rc` files in all but the
//! trap-replaced case, and are rerun otherwise.
//!
//! Columns (tab-separated, a header line first): the attempt directory relative to the run
//! directory, exit code, start (Unix ms), wall ms, user CPU ms, system CPU ms, peak RSS KiB
//! (`-` when unknown), requested cpu, requested memory MiB, event (`done`: the command exited;
//! `oom`: killed for its memory; `lost`: the platform lost it; `rerun`: an earlier record of
//! this attempt no longer counts; `cached`: the call's outputs came from the call cache and no
//! attempt ran), task name. Journals of older versions have the first nine columns only.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use ferry_exec::AttemptOutcome;

pub const FILE_NAME: &str = "attempts.tsv";
/// Each call's outputs, a JSON line per call that produced them (`{"attempt": DIR, "outputs":
/// {...}}`): what Cromwell's metadata shows of a call, for croo and the Cromwell API. One file
/// for the run, appended as the journal is, not a file per attempt.
pub const OUTPUTS_FILE_NAME: &str = "call-outputs.jsonl";
const HEADER: &str = "attempt\texit\tstart_ms\twall_ms\tuser_ms\tsys_ms\tmax_rss_kib\tcpu\tmemory_mib\tevent\ttask\n";

pub struct Journal {
    out: Mutex<Option<BufWriter<File>>>,
    outputs: Mutex<Option<BufWriter<File>>>,
    /// Exit codes recorded by earlier runs in this run directory (only read when resuming).
    earlier: HashMap<String, i32>,
}

/// What the journal records of one attempt besides its outcome.
pub struct Entry<'a> {
    pub attempt_dir: &'a str,
    pub task: &'a str,
    pub started: SystemTime,
    pub cpu: f64,
    pub memory: u64,
}

impl Journal {
    /// Opens (appending) the journal of `run_dir`; with `resuming`, first reads what earlier
    /// runs recorded. A journal that cannot be opened is reported and replaced by none: it is
    /// a record, and the run does not depend on it.
    pub fn open(run_dir: &Path, resuming: bool) -> Journal {
        let path = run_dir.join(FILE_NAME);
        let earlier = if resuming {
            read_exit_codes(&path)
        } else {
            HashMap::new()
        };
        let out = ferry_cache::open_line_log(&path).and_then(|(mut w, empty)| {
            if empty {
                w.write_all(HEADER.as_bytes())?;
            }
            Ok(w)
        });
        let out = match out {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!("cannot write {}: {e}", path.display());
                None
            }
        };
        let outputs_path = run_dir.join(OUTPUTS_FILE_NAME);
        let outputs = match ferry_cache::open_line_log(&outputs_path) {
            Ok((w, _)) => Some(w),
            Err(e) => {
                tracing::warn!("cannot write {}: {e}", outputs_path.display());
                None
            }
        };
        Journal {
            out: Mutex::new(out),
            outputs: Mutex::new(outputs),
            earlier,
        }
    }

    pub fn record(&self, e: &Entry<'_>, outcome: &AttemptOutcome) {
        use std::fmt::Write as _;
        let ms = |d: std::time::Duration| d.as_millis();
        let start = e
            .started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let u = &outcome.usage;
        let mut line = String::with_capacity(128);
        let _ = write!(
            line,
            "{}\t{}\t{start}\t{}\t{}\t{}\t",
            e.attempt_dir,
            if outcome.lost.is_some() {
                -1
            } else {
                outcome.exit_code
            },
            ms(u.wall),
            ms(u.user_cpu),
            ms(u.system_cpu),
        );
        match u.max_rss {
            Some(b) => {
                let _ = write!(line, "{}", b / 1024);
            }
            None => line.push('-'),
        }
        let event = if outcome.preempted {
            "preempted"
        } else if outcome.lost.is_some() {
            "lost"
        } else if outcome.oom {
            "oom"
        } else {
            "done"
        };
        let _ = writeln!(
            line,
            "\t{}\t{}\t{event}\t{}",
            e.cpu,
            e.memory.div_ceil(1 << 20),
            e.task
        );
        self.append(&line);
    }

    /// Records a call whose outputs came from the call cache: no attempt ran (reports count it).
    pub fn record_cached(&self, e: &Entry<'_>) {
        let start = e
            .started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        self.append(&format!(
            "{}\t0\t{start}\t0\t0\t0\t-\t{}\t{}\tcached\t{}\n",
            e.attempt_dir,
            e.cpu,
            e.memory.div_ceil(1 << 20),
            e.task
        ));
    }

    /// Records the outputs of the call whose last attempt (or cache hit) was `attempt_dir`.
    pub fn record_outputs(&self, attempt_dir: &str, outputs: &ferry_eval::Members) {
        let outputs: serde_json::Map<String, serde_json::Value> = outputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect();
        let mut line = serde_json::json!({"attempt": attempt_dir, "outputs": outputs}).to_string();
        line.push('\n');
        if let Ok(mut out) = self.outputs.lock()
            && let Some(w) = out.as_mut()
            && let Err(err) = w.write_all(line.as_bytes())
        {
            tracing::warn!("cannot write {OUTPUTS_FILE_NAME}: {err}");
            *out = None;
        }
    }

    fn append(&self, line: &str) {
        if let Ok(mut out) = self.out.lock()
            && let Some(w) = out.as_mut()
            && let Err(err) = w.write_all(line.as_bytes())
        {
            tracing::warn!("cannot write the attempt journal: {err}");
            *out = None;
        }
    }

    /// Records that `attempt_dir` is being run again, so that an exit code an earlier run
    /// recorded for it no longer counts. Written at once: a stale "finished" must not outlive
    /// a kill of this run.
    pub fn forget(&self, attempt_dir: &str) {
        if let Ok(mut out) = self.out.lock()
            && let Some(w) = out.as_mut()
        {
            let line = format!("{attempt_dir}\t-1\t0\t0\t0\t0\t-\t0\t0\trerun\t-\n");
            if let Err(err) = w.write_all(line.as_bytes()).and_then(|_| w.flush()) {
                tracing::warn!("cannot write the attempt journal: {err}");
            }
        }
    }

    /// The exit code an earlier run recorded for `attempt_dir` (relative to the run directory).
    pub fn earlier_exit_code(&self, attempt_dir: &str) -> Option<i32> {
        self.earlier.get(attempt_dir).copied()
    }

    pub fn flush(&self) {
        if let Ok(mut out) = self.out.lock()
            && let Some(w) = out.as_mut()
            && let Err(err) = w.flush()
        {
            tracing::warn!("cannot write the attempt journal: {err}");
        }
        if let Ok(mut out) = self.outputs.lock()
            && let Some(w) = out.as_mut()
            && let Err(err) = w.flush()
        {
            tracing::warn!("cannot write {OUTPUTS_FILE_NAME}: {err}");
        }
    }
}

/// Exit codes by attempt directory; torn or foreign lines are skipped.
fn read_exit_codes(path: &Path) -> HashMap<String, i32> {
    let mut codes = HashMap::new();
    let Ok(f) = File::open(path) else {
        return codes;
    };
    for line in BufReader::new(f).lines() {
        let Ok(line) = line else { break };
        let mut cols = line.split('\t');
        let (Some(dir), Some(code)) = (cols.next(), cols.next()) else {
            continue;
        };
        // A torn last line has fewer columns (older journals have nine); an attempt the
        // platform lost has -1; a cached call ran no attempt.
        let rest: Vec<&str> = cols.collect();
        match rest.len() {
            7 => {}
            9 if rest[7] != "cached" => {}
            _ => continue,
        }
        match code.parse::<i32>() {
            Ok(code) if code >= 0 => {
                codes.insert(dir.to_string(), code);
            }
            // Lost by the platform, or rerun since (`forget`).
            Ok(_) => {
                codes.remove(dir);
            }
            Err(_) => {}
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_exec::ResourceUse;
    use std::fs::OpenOptions;
    use std::time::Duration;

    fn outcome(code: i32) -> AttemptOutcome {
        AttemptOutcome {
            exit_code: code,
            oom: false,
            usage: ResourceUse {
                wall: Duration::from_millis(1500),
                user_cpu: Duration::from_millis(20),
                system_cpu: Duration::from_millis(5),
                max_rss: Some(4 << 20),
            },
            lost: None,
            preempted: false,
        }
    }

    #[test]
    fn records_are_read_back_when_resuming() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), false);
        let started = SystemTime::now();
        for (i, code) in [0, 3].into_iter().enumerate() {
            let name = format!("calls/sq/shard-{i}.attempt-1");
            let e = Entry {
                attempt_dir: &name,
                task: "sq",
                started,
                cpu: 1.0,
                memory: 16 << 20,
            };
            j.record(&e, &outcome(code));
        }
        // Buffered: nothing is on disk before a flush.
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(text, "");
        j.flush();
        drop(j);
        // A torn last line, as a killed engine could leave.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        f.write_all(b"calls/sq/shard-2.attempt-1\t0\t17").unwrap();
        drop(f);
        let j = Journal::open(dir.path(), true);
        assert_eq!(j.earlier_exit_code("calls/sq/shard-1.attempt-1"), Some(3));
        j.forget("calls/sq/shard-1.attempt-1");
        drop(j);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.starts_with(HEADER), "{text}");
        assert!(text.contains("calls/sq/shard-1.attempt-1\t3\t"), "{text}");
        assert!(
            text.contains("\t1500\t20\t5\t4096\t1\t16\tdone\tsq\n"),
            "{text}"
        );
        // A cached call and an older nine-column line.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        f.write_all(b"calls/sq/shard-4.attempt-1\t0\t1\t0\t0\t0\t-\t1\t16\tcached\tsq\n")
            .unwrap();
        f.write_all(b"calls/sq/shard-5.attempt-1\t2\t1\t0\t0\t0\t-\t1\t16\n")
            .unwrap();
        drop(f);
        let j = Journal::open(dir.path(), true);
        assert_eq!(j.earlier_exit_code("calls/sq/shard-0.attempt-1"), Some(0));
        assert_eq!(j.earlier_exit_code("calls/sq/shard-1.attempt-1"), None);
        assert_eq!(j.earlier_exit_code("calls/sq/shard-2.attempt-1"), None);
        assert_eq!(j.earlier_exit_code("attempt"), None);
        assert_eq!(j.earlier_exit_code("calls/sq/shard-4.attempt-1"), None);
        assert_eq!(j.earlier_exit_code("calls/sq/shard-5.attempt-1"), Some(2));
    }
}
