//! Run reports: a run directory's journal (`attempts.tsv`), `run.json`, `stats.json` and
//! `state` turned into per-call statistics, right-sizing advice, a short text summary, a
//! self-contained HTML report and a ferry.toml profile of the advice.
//!
//! Everything here reads files the run already wrote; nothing runs during the run but the
//! summary at its end.

#![forbid(unsafe_code)]

pub mod cromwell;
mod html;
pub mod journal;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub use html::{CSS, file_tail, html};
use journal::{Attempt, Event};

/// The file a live run holds a lock on, in its run directory: an engine holds it exclusively
/// for the whole run, a launcher shared while it waits for the engine it started.
pub const LOCK_FILE: &str = ".ferry-lock";

/// Whether some process holds the run directory's lock now (an engine or its launcher): a
/// run whose record says "running" is only running if so.
pub fn is_locked(run_dir: &Path) -> bool {
    let Ok(file) = std::fs::File::open(run_dir.join(LOCK_FILE)) else {
        return false;
    };
    matches!(
        file.try_lock_shared(),
        Err(std::fs::TryLockError::WouldBlock)
    )
}

/// The advice rule, stated in the report and the summary.
pub const RULE: &str = "memory: the largest peak × 1.25, rounded up to 64 MiB; cpu: the 95th \
percentile of cores used (CPU time over wall time), rounded up; never lower for a task that \
was killed for memory or peaked above 90% of its request (raise it instead)";

/// What the run directory says about the run itself.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub run_dir: String,
    pub workflow: Option<String>,
    pub wdl: Option<String>,
    pub inputs: Option<String>,
    pub profiles: Vec<String>,
    pub executor: Option<String>,
    /// `running`, `succeeded`, `failed`, `cancelled`, or unknown.
    pub status: String,
    pub engine_wall_s: Option<f64>,
    pub engine_cpu_s: Option<f64>,
    pub engine_rss_bytes: Option<u64>,
    pub started_ms: Option<u64>,
    /// Each task's cost-attribution tags (the profile's and the task's own), from `run.json`.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
}

/// Distribution of a measure: min, median, 95th percentile, max.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
}

impl Spread {
    fn of(mut v: Vec<f64>) -> Option<Spread> {
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Some(Spread {
            min: v[0],
            median: at(0.5),
            p95: at(0.95),
            max: v[v.len() - 1],
        })
    }
}

/// One call name's attempts, summed up.
#[derive(Clone, Debug, Default)]
pub struct CallStats {
    pub call: String,
    pub task: Option<String>,
    /// Attempts that ran (cache hits not counted).
    pub attempts: usize,
    pub cached: usize,
    /// Attempts after the first of their shard.
    pub retried: usize,
    /// Attempts that failed (non-zero exit, lost, killed).
    pub failed: usize,
    pub oom_kills: usize,
    /// Attempts the platform took away (Spot reclaims, preempted nodes).
    pub preempted: usize,
    pub wall_s: Option<Spread>,
    pub cores_used: Option<Spread>,
    /// Peak memory of the attempts that measured it, MiB.
    pub peak_mib: Option<Spread>,
    /// Attempts whose peak memory is unknown (the executor could not measure it).
    pub unmeasured: usize,
    pub cpu_requested: f64,
    pub memory_requested_mib: u64,
    pub reserved_core_h: f64,
    pub used_core_h: f64,
    pub reserved_gib_h: f64,
    /// Peak × wall: an upper bound of the memory used over time.
    pub peak_gib_h: f64,
    /// The last attempt of each shard that never succeeded.
    pub failures: Vec<Attempt>,
    pub advice: Option<Advice>,
}

/// What the rule suggests for a call's task.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    pub cpu: u32,
    pub memory_mib: u64,
    /// Killed for memory or above 90% of the request: keep or raise, never lower.
    pub raise: bool,
    pub saved_core_h: f64,
    pub saved_gib_h: f64,
}

/// Everything a report shows.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub info: RunInfo,
    pub attempts: Vec<Attempt>,
    pub calls: Vec<CallStats>,
    pub first_ms: u64,
    pub last_ms: u64,
}

impl Report {
    pub fn attempts_run(&self) -> usize {
        self.calls.iter().map(|c| c.attempts).sum()
    }
    pub fn reserved_core_h(&self) -> f64 {
        self.calls.iter().map(|c| c.reserved_core_h).sum()
    }
    pub fn used_core_h(&self) -> f64 {
        self.calls.iter().map(|c| c.used_core_h).sum()
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time in ms.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Reads a run directory. A missing journal is an empty run, not an error.
pub fn load(run_dir: &Path) -> Result<Report, String> {
    if !run_dir.is_dir() {
        return Err(format!("{} is not a run directory", run_dir.display()));
    }
    let text = std::fs::read_to_string(run_dir.join("attempts.tsv")).unwrap_or_default();
    let mut report = from_attempts(journal::parse(&text));
    report.info = run_info(run_dir);
    Ok(report)
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn run_info(run_dir: &Path) -> RunInfo {
    let run = read_json(&run_dir.join("run.json")).unwrap_or_default();
    let stats = read_json(&run_dir.join("stats.json")).unwrap_or_default();
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
    let number = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_f64());
    RunInfo {
        run_dir: run_dir.display().to_string(),
        workflow: text(&run, "workflow"),
        wdl: text(&run, "wdl"),
        inputs: text(&run, "inputs"),
        profiles: run
            .get("profiles")
            .and_then(|p| p.as_array())
            .map(|p| {
                p.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        executor: text(&run, "executor"),
        status: std::fs::read_to_string(run_dir.join("state"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".into()),
        engine_wall_s: number(&stats, "wall_seconds"),
        engine_cpu_s: match (
            number(&stats, "engine_user_seconds"),
            number(&stats, "engine_system_seconds"),
        ) {
            (Some(u), Some(s)) => Some(u + s),
            _ => None,
        },
        engine_rss_bytes: stats.get("engine_max_rss_bytes").and_then(|x| x.as_u64()),
        started_ms: run.get("started_ms").and_then(|x| x.as_u64()),
        tags: run
            .get("tags")
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default(),
    }
}

/// The attempts' resources summed per value of one tag: the rows of the report's cost table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TagCost {
    pub key: String,
    pub value: String,
    pub attempts: usize,
    pub wall_h: f64,
    pub reserved_core_h: f64,
    pub used_core_h: f64,
    pub reserved_gib_h: f64,
}

/// The cost table: what the attempts that ran reserved and used, grouped by the names Batch
/// tags its jobs with (`ferry:workflow`, `ferry:call`, then the profile's and the tasks' own
/// tags in key order), so the report's figures line up with a cloud bill grouped by the same
/// tags. Within a key, the largest reservation first; attempts of a task without a key's tag
/// are counted under the value `(untagged)`.
pub fn cost_by_tag(r: &Report) -> Vec<TagCost> {
    let user_keys: std::collections::BTreeSet<&str> = r
        .info
        .tags
        .values()
        .flat_map(|t| t.keys().map(String::as_str))
        .filter(|k| !k.starts_with("ferry:"))
        .collect();
    let workflow = r.info.workflow.as_deref().unwrap_or("-");
    let mut keys: Vec<&str> = vec!["ferry:workflow", "ferry:call"];
    keys.extend(user_keys);
    let mut out = Vec::new();
    for key in keys {
        let mut rows: BTreeMap<&str, TagCost> = BTreeMap::new();
        for a in r.attempts.iter().filter(|a| a.event != Event::Cached) {
            let value = match key {
                "ferry:workflow" => workflow,
                "ferry:call" => a.call.as_str(),
                _ => a
                    .task
                    .as_ref()
                    .and_then(|t| r.info.tags.get(t))
                    .and_then(|t| t.get(key))
                    .map_or("(untagged)", String::as_str),
            };
            let row = rows.entry(value).or_insert_with(|| TagCost {
                key: key.to_string(),
                value: value.to_string(),
                ..TagCost::default()
            });
            let h = a.hours();
            row.attempts += 1;
            row.wall_h += h.wall_h;
            row.reserved_core_h += h.reserved_core_h;
            row.used_core_h += h.used_core_h;
            row.reserved_gib_h += h.reserved_gib_h;
        }
        let mut rows: Vec<TagCost> = rows.into_values().collect();
        rows.sort_by(|a, b| b.reserved_core_h.total_cmp(&a.reserved_core_h));
        out.extend(rows);
    }
    out
}

/// Per-call statistics and advice from a journal's attempts.
pub fn from_attempts(attempts: Vec<Attempt>) -> Report {
    let mut by_call: BTreeMap<&str, Vec<&Attempt>> = BTreeMap::new();
    for a in &attempts {
        by_call.entry(a.call.as_str()).or_default().push(a);
    }
    let calls = by_call
        .into_iter()
        .map(|(call, list)| call_stats(call, &list))
        .collect();
    let ran = attempts.iter().filter(|a| a.event != Event::Cached);
    let first_ms = ran.clone().map(|a| a.start_ms).min().unwrap_or(0);
    let last_ms = ran.map(Attempt::end_ms).max().unwrap_or(first_ms);
    Report {
        info: RunInfo::default(),
        calls,
        attempts,
        first_ms,
        last_ms,
    }
}

fn shard_of(dir: &str) -> &str {
    dir.rsplit_once("attempt-").map_or(dir, |(s, _)| s)
}

fn call_stats(call: &str, list: &[&Attempt]) -> CallStats {
    let ran: Vec<&Attempt> = list
        .iter()
        .copied()
        .filter(|a| a.event != Event::Cached)
        .collect();
    let mut s = CallStats {
        call: call.to_string(),
        task: list.iter().find_map(|a| a.task.clone()),
        attempts: ran.len(),
        cached: list.len() - ran.len(),
        retried: ran.iter().filter(|a| a.number > 1).count(),
        failed: ran.iter().filter(|a| a.failed()).count(),
        oom_kills: ran.iter().filter(|a| a.event == Event::Oom).count(),
        preempted: ran.iter().filter(|a| a.event == Event::Preempted).count(),
        wall_s: Spread::of(ran.iter().map(|a| a.wall_ms as f64 / 1000.0).collect()),
        cores_used: Spread::of(ran.iter().filter_map(|a| a.cores_used()).collect()),
        peak_mib: Spread::of(
            ran.iter()
                .filter_map(|a| a.max_rss_kib)
                .map(|k| k as f64 / 1024.0)
                .collect(),
        ),
        unmeasured: ran.iter().filter(|a| a.max_rss_kib.is_none()).count(),
        cpu_requested: ran.iter().map(|a| a.cpu).fold(0.0, f64::max),
        memory_requested_mib: ran.iter().map(|a| a.memory_mib).max().unwrap_or(0),
        ..CallStats::default()
    };
    for a in &ran {
        let h = a.hours();
        s.reserved_core_h += h.reserved_core_h;
        s.used_core_h += h.used_core_h;
        s.reserved_gib_h += h.reserved_gib_h;
        s.peak_gib_h += h.peak_gib_h;
    }
    // The last attempt of each shard, when it failed.
    let mut last: HashMap<&str, &Attempt> = HashMap::new();
    for a in &ran {
        let e = last.entry(shard_of(&a.dir)).or_insert(a);
        if a.number >= e.number {
            *e = a;
        }
    }
    let mut failures: Vec<Attempt> = last
        .into_values()
        .filter(|a| a.failed())
        .map(|a| (*a).clone())
        .collect();
    failures.sort_by(|a, b| a.dir.cmp(&b.dir));
    s.failures = failures;
    s.advice = advice(&s, &ran);
    s
}

/// The rule of [`RULE`], for a call with at least one successful, measured attempt.
fn advice(s: &CallStats, ran: &[&Attempt]) -> Option<Advice> {
    let ok: Vec<&&Attempt> = ran.iter().filter(|a| !a.failed()).collect();
    let peak_kib = ok.iter().filter_map(|a| a.max_rss_kib).max()?;
    let peak_mib = peak_kib as f64 / 1024.0;
    let mut memory_mib = ((peak_mib * 1.25 / 64.0).ceil() as u64).max(1) * 64;
    let cores = Spread::of(ok.iter().filter_map(|a| a.cores_used()).collect())?;
    let cpu = (cores.p95 - 1e-9).ceil().max(1.0) as u32;
    let requested = ok.iter().map(|a| a.memory_mib).max().unwrap_or(0);
    let raise = s.oom_kills > 0 || peak_mib > 0.9 * requested as f64;
    if raise {
        memory_mib = memory_mib.max(requested);
    }
    let hours = |ms: u64| ms as f64 / 3_600_000.0;
    let wall_h: f64 = ran.iter().map(|a| hours(a.wall_ms)).sum();
    Some(Advice {
        cpu,
        memory_mib,
        raise,
        saved_core_h: s.reserved_core_h - f64::from(cpu) * wall_h,
        saved_gib_h: s.reserved_gib_h - memory_mib as f64 / 1024.0 * wall_h,
    })
}

/// A few lines for the end of a run: wall time, CPU-hours used of reserved, cache hits,
/// retries, failures, and the tasks that reserve the most memory- and CPU-hours they leave unused.
pub fn summary(r: &Report) -> String {
    let mut out = String::new();
    let reserved = r.reserved_core_h();
    let used = r.used_core_h();
    let cached: usize = r.calls.iter().map(|c| c.cached).sum();
    let retried: usize = r.calls.iter().map(|c| c.retried).sum();
    let failed: usize = r.calls.iter().map(|c| c.failures.len()).sum();
    let preempted: usize = r.calls.iter().map(|c| c.preempted).sum();
    let preempted = if preempted > 0 {
        format!(" ({preempted} preempted)")
    } else {
        String::new()
    };
    let wall = (r.last_ms.saturating_sub(r.first_ms)) as f64 / 1000.0;
    out.push_str(&format!(
        "report: {} attempts in {}; CPU {} used of {} core-hours reserved ({}); {cached} cached, {retried} retried{preempted}, {failed} failed\n",
        r.attempts_run(),
        seconds(wall),
        hours(used),
        hours(reserved),
        percent(used, reserved),
    ));
    let measured: Vec<&CallStats> = r
        .calls
        .iter()
        .filter(|c| c.unmeasured < c.attempts)
        .collect();
    out.push_str(&most_wasted(
        measured,
        |c| c.reserved_gib_h - c.peak_gib_h,
        "GiB-h",
        "memory reserved but unused",
    ));
    out.push_str(&most_wasted(
        r.calls.iter().collect(),
        |c| c.reserved_core_h - c.used_core_h,
        "core-h",
        "cores reserved but idle",
    ));
    out
}

/// A line naming the three calls that waste the most by `waste`, if any wastes anything.
fn most_wasted(
    mut calls: Vec<&CallStats>,
    waste: impl Fn(&CallStats) -> f64,
    unit: &str,
    what: &str,
) -> String {
    calls.sort_by(|a, b| waste(b).total_cmp(&waste(a)));
    let top: Vec<String> = calls
        .iter()
        .take(3)
        .filter(|c| waste(c) >= 0.001)
        .map(|c| format!("{} {} {unit}", c.call, hours(waste(c))))
        .collect();
    if top.is_empty() {
        String::new()
    } else {
        format!("  {what}: {}\n", top.join(", "))
    }
}

/// The advice as a ferry.toml profile of per-task overrides (`--profile aws,NAME`).
pub fn rightsized_profile(r: &Report, name: &str) -> String {
    let mut by_task: BTreeMap<String, (u32, u64, bool)> = BTreeMap::new();
    for c in &r.calls {
        let (Some(a), Some(task)) = (&c.advice, &c.task) else {
            continue;
        };
        let e = by_task.entry(task.clone()).or_insert((0, 0, false));
        e.0 = e.0.max(a.cpu);
        e.1 = e.1.max(a.memory_mib);
        e.2 |= a.raise;
    }
    let mut out = format!(
        "# Written by `ferry report` from {}.\n# Rule: {RULE}.\n# Use it after your own profile: --profile <yours>,{name}\n",
        r.info.run_dir
    );
    for (task, (cpu, mem, raise)) in by_task {
        out.push_str(&format!(
            "\n[profiles.{name}.tasks.\"{}\"]{}\ncpu = {cpu}\nmemory = \"{mem} MiB\"\n",
            task.replace('"', "\\\""),
            if raise {
                "  # killed for memory or near its limit: not lowered"
            } else {
                ""
            }
        ));
    }
    out
}

pub(crate) fn hours(h: f64) -> String {
    // An empty sum of f64 is -0.0, which would print as "-0.000".
    let h = h + 0.0;
    if h > 0.0 && h < 0.001 {
        "<0.001".into()
    } else if h >= 100.0 {
        format!("{h:.0}")
    } else if h >= 1.0 {
        format!("{h:.1}")
    } else {
        format!("{h:.3}")
    }
}

pub(crate) fn seconds(s: f64) -> String {
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

pub(crate) fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.0}%", 100.0 * part / whole)
    } else {
        "-".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn line(
        dir: &str,
        exit: i32,
        start: u64,
        wall: u64,
        cpu_ms: u64,
        rss: &str,
        cpu: u32,
        mem: u64,
        event: &str,
        task: &str,
    ) -> String {
        format!(
            "{dir}\t{exit}\t{start}\t{wall}\t{cpu_ms}\t0\t{rss}\t{cpu}\t{mem}\t{event}\t{task}\n"
        )
    }

    #[test]
    fn the_cost_table_groups_attempts_by_workflow_call_and_each_tag_of_their_task() {
        let mut j = String::new();
        // align (project=atlas, team=dna): 3 shards of an hour at 4 cpu / 8 GiB, one cached.
        for i in 0..3 {
            j += &line(
                &format!("calls/align/shard-{i}.attempt-1"),
                0,
                0,
                3_600_000,
                3_600_000,
                "-",
                4,
                8192,
                "done",
                "align",
            );
        }
        j += &line(
            "calls/align/shard-3.attempt-1",
            0,
            0,
            0,
            0,
            "-",
            4,
            8192,
            "cached",
            "align",
        );
        // report (project=atlas only): half an hour at 1 cpu / 1 GiB; sort has no tags.
        j += &line(
            "calls/report/attempt-1",
            0,
            0,
            1_800_000,
            0,
            "-",
            1,
            1024,
            "done",
            "report",
        );
        j += &line(
            "calls/sort/attempt-1",
            0,
            0,
            3_600_000,
            0,
            "-",
            2,
            2048,
            "done",
            "sort",
        );
        let mut r = from_attempts(journal::parse(&j));
        r.info.workflow = Some("wgs".into());
        let tags = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        r.info.tags = BTreeMap::from([
            (
                "align".into(),
                tags(&[("project", "atlas"), ("team", "dna")]),
            ),
            ("report".into(), tags(&[("project", "atlas")])),
        ]);
        let rows = cost_by_tag(&r);
        let row = |k: &str, v: &str| {
            rows.iter()
                .find(|c| c.key == k && c.value == v)
                .unwrap_or_else(|| panic!("no row {k}={v}: {rows:#?}"))
        };
        let wf = row("ferry:workflow", "wgs");
        assert_eq!(wf.attempts, 5, "the cache hit costs nothing");
        assert!((wf.reserved_core_h - (12.0 + 0.5 + 2.0)).abs() < 1e-9);
        assert!((row("ferry:call", "align").reserved_gib_h - 24.0).abs() < 1e-9);
        assert!((row("ferry:call", "align").used_core_h - 3.0).abs() < 1e-9);
        let atlas = row("project", "atlas");
        assert_eq!(atlas.attempts, 4);
        assert!((atlas.reserved_core_h - 12.5).abs() < 1e-9);
        assert_eq!(row("project", "(untagged)").attempts, 1);
        assert_eq!(row("team", "dna").attempts, 3);
        assert_eq!(row("team", "(untagged)").attempts, 2);
        // Keys in order, the largest reservation first within one.
        let keys: Vec<&str> = rows.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys.first(), Some(&"ferry:workflow"));
        let calls: Vec<&str> = rows
            .iter()
            .filter(|c| c.key == "ferry:call")
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(calls, ["align", "sort", "report"]);
        assert!(html::html(&r).contains("Cost by tag"));
    }

    #[test]
    fn an_empty_sum_of_hours_prints_as_zero() {
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert_eq!(hours(empty), "0.000");
    }

    #[test]
    fn an_oversized_task_is_advised_down_and_an_oom_killed_one_is_not() {
        let mut j = String::new();
        // align: asks 8 cpu / 16 GiB, uses 2 cores and 2 GiB, 10 shards of an hour.
        for i in 0..10 {
            j += &line(
                &format!("calls/align/shard-{i}.attempt-1"),
                0,
                0,
                3_600_000,
                7_200_000,
                "2097152",
                8,
                16384,
                "done",
                "align",
            );
        }
        // sort: killed at 1 GiB, then 1.9 GiB of 2 GiB.
        j += &line(
            "calls/sort/attempt-1",
            137,
            0,
            1000,
            900,
            "-",
            1,
            1024,
            "oom",
            "sort",
        );
        j += &line(
            "calls/sort/attempt-2",
            0,
            1000,
            60_000,
            50_000,
            "1992294",
            1,
            2048,
            "done",
            "sort",
        );
        j += &line(
            "calls/index/attempt-1",
            0,
            0,
            0,
            0,
            "-",
            1,
            100,
            "cached",
            "index",
        );
        let r = from_attempts(journal::parse(&j));
        let align = &r.calls[0];
        assert_eq!(
            (align.call.as_str(), align.attempts, align.failed),
            ("align", 10, 0)
        );
        let a = align.advice.as_ref().unwrap();
        assert_eq!((a.cpu, a.memory_mib, a.raise), (2, 2560, false));
        assert!((a.saved_core_h - 60.0).abs() < 1e-6, "{a:?}");
        let index = &r.calls[1];
        assert_eq!((index.cached, index.attempts), (1, 0));
        assert!(index.advice.is_none());
        let sort = &r.calls[2];
        assert_eq!(
            (sort.oom_kills, sort.retried, sort.failures.len()),
            (1, 1, 0)
        );
        let s = sort.advice.as_ref().unwrap();
        assert!(s.raise && s.memory_mib >= 2048, "{s:?}");
        let profile = rightsized_profile(&r, "rightsized");
        assert!(
            profile
                .contains("[profiles.rightsized.tasks.\"align\"]\ncpu = 2\nmemory = \"2560 MiB\""),
            "{profile}"
        );
        assert!(profile.contains("not lowered"), "{profile}");
        let text = summary(&r);
        assert!(
            text.contains("12 attempts") && text.contains("1 cached, 1 retried, 0 failed"),
            "{text}"
        );
        assert!(text.contains("memory reserved but unused: align"), "{text}");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_795_727_131_579), "2026-11-26 21:05:31 UTC");
    }

    #[test]
    fn empty_and_cancelled_runs_report_nothing_to_advise() {
        let r = from_attempts(Vec::new());
        assert!(r.calls.is_empty());
        assert!(summary(&r).contains("0 attempts"));
        assert!(html(&r).contains("No attempt finished"));
        // Cancelled before any task finished: only lost attempts.
        let j = line("calls/t/attempt-1", -1, 5, 100, 0, "-", 1, 10, "lost", "t");
        let r = from_attempts(journal::parse(&j));
        assert_eq!(r.calls[0].failures.len(), 1);
        assert!(r.calls[0].advice.is_none());
    }

    #[test]
    fn a_failed_shard_is_listed_once_with_its_last_attempt() {
        let mut j = line(
            "calls/t/shard-1.attempt-1",
            3,
            0,
            10,
            1,
            "100",
            1,
            10,
            "done",
            "t",
        );
        j += &line(
            "calls/t/shard-1.attempt-2",
            4,
            20,
            10,
            1,
            "100",
            1,
            10,
            "done",
            "t",
        );
        j += &line(
            "calls/t/shard-0.attempt-1",
            0,
            0,
            10,
            1,
            "100",
            1,
            10,
            "done",
            "t",
        );
        let r = from_attempts(journal::parse(&j));
        let c = &r.calls[0];
        assert_eq!((c.attempts, c.failed, c.retried), (3, 2, 1));
        assert_eq!(c.failures.len(), 1);
        assert_eq!(c.failures[0].exit, 4);
    }
}
