//! Live counts per call name (`align`, `sub.call`; shards counted together), for the progress
//! display. Each call resolves its counters once; every later update is an atomic add.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indexmap::IndexMap;

#[derive(Default, Debug)]
pub struct CallCounters {
    /// Calls known to come: a scatter adds its width when it starts.
    pub expected: AtomicU64,
    pub created: AtomicU64,
    /// Waiting for cpu/memory.
    pub queued: AtomicU64,
    pub running: AtomicU64,
    /// Finished successfully, cache hits included.
    pub done: AtomicU64,
    /// Of those, answered from the call cache.
    pub cached: AtomicU64,
    pub failed: AtomicU64,
}

/// A snapshot of one call name's counters.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRow {
    pub name: String,
    pub total: u64,
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub cached: u64,
    pub failed: u64,
}

#[derive(Default)]
pub struct Progress {
    calls: Mutex<IndexMap<String, Arc<CallCounters>>>,
}

/// `sub[2].align[17]` → `sub.align`.
pub fn call_key(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut depth = 0;
    for c in label.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

impl Progress {
    pub fn counters(&self, key: &str) -> Arc<CallCounters> {
        match self.calls.lock() {
            Ok(mut m) => match m.get(key) {
                Some(c) => c.clone(),
                None => m.entry(key.to_string()).or_default().clone(),
            },
            Err(_) => Arc::default(),
        }
    }

    /// Calls answered from the call cache, over every call name.
    pub fn cached_total(&self) -> u64 {
        self.calls
            .lock()
            .map(|m| m.values().map(|c| c.cached.load(Ordering::Relaxed)).sum())
            .unwrap_or(0)
    }

    pub fn rows(&self) -> Vec<CallRow> {
        let Ok(m) = self.calls.lock() else {
            return Vec::new();
        };
        m.iter()
            .map(|(name, c)| {
                let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
                CallRow {
                    name: name.clone(),
                    total: get(&c.expected).max(get(&c.created)),
                    queued: get(&c.queued),
                    running: get(&c.running),
                    done: get(&c.done),
                    cached: get(&c.cached),
                    failed: get(&c.failed),
                }
            })
            .collect()
    }
}

/// One line: every call name with done/total and what is running, queued or failed, then the
/// elapsed time and, once something has finished, an estimate of the time left.
pub fn summary(rows: &[CallRow], elapsed: Duration) -> String {
    let mut parts = Vec::new();
    let (mut finished, mut remaining) = (0u64, 0u64);
    for r in rows {
        let ended = r.done + r.failed;
        finished += ended;
        remaining += r.total.saturating_sub(ended);
        let mut s = format!("{} {}/{}", r.name, r.done, r.total);
        let mut extra = Vec::new();
        if r.running > 0 {
            extra.push(format!("{} running", r.running));
        }
        if r.queued > 0 {
            extra.push(format!("{} queued", r.queued));
        }
        if r.cached > 0 {
            extra.push(format!("{} cached", r.cached));
        }
        if r.failed > 0 {
            extra.push(format!("{} failed", r.failed));
        }
        if !extra.is_empty() {
            s.push_str(&format!(" ({})", extra.join(", ")));
        }
        parts.push(s);
    }
    let secs = elapsed.as_secs_f64();
    let mut line = format!("{} | {}", parts.join(" · "), clock(secs));
    if finished > 0 && remaining > 0 && secs > 1.0 {
        line.push_str(&format!(
            ", about {} left",
            clock(secs / finished as f64 * remaining as f64)
        ));
    }
    line
}

fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_drop_shard_indices() {
        assert_eq!(call_key("sub[2].align[17]"), "sub.align");
        assert_eq!(call_key("gather"), "gather");
    }

    #[test]
    fn summary_counts_and_estimates() {
        let p = Progress::default();
        let sq = p.counters("sq");
        sq.expected.fetch_add(100, Ordering::Relaxed);
        sq.created.fetch_add(30, Ordering::Relaxed);
        sq.done.fetch_add(20, Ordering::Relaxed);
        sq.running.fetch_add(2, Ordering::Relaxed);
        sq.queued.fetch_add(8, Ordering::Relaxed);
        p.counters("gather").created.fetch_add(0, Ordering::Relaxed);
        let line = summary(&p.rows(), Duration::from_secs(10));
        assert_eq!(
            line,
            "sq 20/100 (2 running, 8 queued) · gather 0/0 | 10s, about 40s left"
        );
    }
}
