//! The report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched.
//! Large runs get running counts over time instead of a bar per attempt, so the file stays
//! small whatever the number of attempts.

use std::fmt::Write as _;

use crate::journal::Event;
use crate::{CallStats, RULE, Report, Spread, hours, percent, seconds};

/// Runs with more attempts than this get running counts per call instead of a bar each.
const BARS_UP_TO: usize = 2000;
/// Time bins of the over-time charts.
const BINS: usize = 300;
const WIDTH: f64 = 1000.0;
const PALETTE: &[&str] = &[
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn spread(s: &Option<Spread>, unit: &str, f: impl Fn(f64) -> String) -> String {
    match s {
        Some(s) => format!(
            "{} / {} / {} / {} {unit}",
            f(s.min),
            f(s.median),
            f(s.p95),
            f(s.max)
        ),
        None => "not measured".into(),
    }
}

/// The whole report.
pub fn html(r: &Report) -> String {
    let mut h = String::with_capacity(64 << 10);
    let title = r.info.workflow.clone().unwrap_or_else(|| "run".into());
    let _ = write!(
        h,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Ferry report: {}</title><style>{CSS}</style></head><body>",
        esc(&title)
    );
    let _ = write!(
        h,
        "<h1>{} <span class=\"status {}\">{}</span></h1>",
        esc(&title),
        esc(&r.info.status),
        esc(&r.info.status)
    );
    run_table(&mut h, r);
    if r.attempts.is_empty() {
        h.push_str("<p>No attempt finished in this run.</p></body></html>");
        return h;
    }
    calls_table(&mut h, r);
    cost_table(&mut h, r);
    advice_table(&mut h, r);
    failures(&mut h, r);
    h.push_str("<h2>Timeline</h2>");
    if r.attempts.len() <= BARS_UP_TO {
        bars(&mut h, r);
    } else {
        running_counts(&mut h, r);
    }
    h.push_str("<h2>Cores over time: reserved and used</h2>");
    usage_over_time(&mut h, r);
    h.push_str("<h2>Memory over time: reserved and peak</h2>");
    memory_over_time(&mut h, r);
    h.push_str("</body></html>");
    h
}

fn run_table(h: &mut String, r: &Report) {
    let i = &r.info;
    let mut rows: Vec<(&str, String)> = vec![("run directory", esc(&i.run_dir))];
    if let Some(w) = &i.wdl {
        rows.push(("workflow file", esc(w)));
    }
    rows.push(("inputs", esc(i.inputs.as_deref().unwrap_or("-"))));
    rows.push((
        "profile / executor",
        format!(
            "{} / {}",
            esc(&i.profiles.join(",")),
            esc(i.executor.as_deref().unwrap_or("-"))
        ),
    ));
    if let Some(ms) = i.started_ms {
        rows.push(("started", crate::utc(ms)));
        if let Some(wall) = i.engine_wall_s {
            rows.push(("ended", crate::utc(ms + (wall * 1000.0) as u64)));
        }
    }
    rows.push((
        "tasks ran",
        seconds(r.last_ms.saturating_sub(r.first_ms) as f64 / 1000.0),
    ));
    rows.push((
        "engine",
        format!(
            "{} wall, {} CPU, {} peak memory",
            i.engine_wall_s.map(seconds).unwrap_or_else(|| "-".into()),
            i.engine_cpu_s.map(seconds).unwrap_or_else(|| "-".into()),
            i.engine_rss_bytes
                .map(|b| format!("{:.0} MiB", b as f64 / 1048576.0))
                .unwrap_or_else(|| "-".into())
        ),
    ));
    rows.push((
        "CPU",
        format!(
            "{} core-hours used of {} reserved ({})",
            hours(r.used_core_h()),
            hours(r.reserved_core_h()),
            percent(r.used_core_h(), r.reserved_core_h())
        ),
    ));
    h.push_str("<table class=\"run\">");
    for (k, v) in rows {
        let _ = write!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    h.push_str("</table>");
}

fn calls_table(h: &mut String, r: &Report) {
    h.push_str("<h2>Calls</h2><p class=\"note\">Distributions are min / median / p95 / max. Cores used is CPU time over wall time.</p><table class=\"calls\"><tr><th>call</th><th>attempts</th><th>cached</th><th>retried</th><th>failed</th><th>OOM kills</th><th>wall</th><th>cores used (requested)</th><th>peak memory (requested)</th><th>core-h used / reserved</th><th>GiB-h peak / reserved</th></tr>");
    for c in &r.calls {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{} ({} MiB){}</td><td>{} / {}</td><td>{} / {}</td></tr>",
            esc(&c.call),
            c.attempts,
            c.cached,
            c.retried,
            if c.failed > 0 { "bad" } else { "" },
            c.failed,
            c.oom_kills,
            spread(&c.wall_s, "s", |v| format!("{v:.1}")),
            spread(&c.cores_used, "", |v| format!("{v:.2}")),
            c.cpu_requested,
            spread(&c.peak_mib, "MiB", |v| format!("{v:.0}")),
            c.memory_requested_mib,
            if c.unmeasured > 0 && c.unmeasured < c.attempts {
                format!(" ({} not measured)", c.unmeasured)
            } else {
                String::new()
            },
            hours(c.used_core_h),
            hours(c.reserved_core_h),
            if c.unmeasured == c.attempts {
                "-".into()
            } else {
                hours(c.peak_gib_h)
            },
            hours(c.reserved_gib_h),
        );
    }
    h.push_str("</table>");
}

fn cost_table(h: &mut String, r: &Report) {
    h.push_str("<h2>Cost by tag</h2><p class=\"note\">What the attempts that ran reserved and used, grouped by the tags AWS Batch jobs carry (<code>ferry:workflow</code>, <code>ferry:call</code>, the profile's <code>batch.tags</code> and each task's own): the same groups as a bill split by those cost-allocation tags. Cache hits cost nothing and are not counted.</p><table class=\"cost\"><tr><th>tag</th><th>value</th><th>attempts</th><th>wall</th><th>core-h reserved</th><th>core-h used</th><th>GiB-h reserved</th></tr>");
    for c in crate::cost_by_tag(r) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.key),
            esc(&c.value),
            c.attempts,
            seconds(c.wall_h * 3600.0),
            hours(c.reserved_core_h),
            hours(c.used_core_h),
            hours(c.reserved_gib_h),
        );
    }
    h.push_str("</table>");
}

fn advice_table(h: &mut String, r: &Report) {
    // The note column only when a call has a note (no empty trailing column).
    let noted = r
        .calls
        .iter()
        .any(|c| c.advice.as_ref().is_some_and(|a| a.raise));
    let _ = write!(
        h,
        "<h2>Right-sizing advice</h2><p class=\"note\">Rule: {}. <code>ferry report RUN --profile-out rightsized.toml</code> writes it as a profile: <code>--profile yours,rightsized</code>.</p><table class=\"advice\"><tr><th>call</th><th>task</th><th>cpu now → advised</th><th>memory now → advised</th><th>core-h saved</th><th>GiB-h saved</th>{}</tr>",
        esc(RULE),
        if noted { "<th>note</th>" } else { "" }
    );
    for c in &r.calls {
        let Some(a) = &c.advice else { continue };
        let note = match (noted, a.raise) {
            (false, _) => String::new(),
            (true, false) => "<td></td>".to_string(),
            (true, true) => {
                "<td class=\"bad\">killed for memory or near its limit: raise, do not lower</td>"
                    .to_string()
            }
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{} → {} MiB</td><td>{}</td><td>{}</td>{note}</tr>",
            esc(&c.call),
            esc(c.task.as_deref().unwrap_or("-")),
            c.cpu_requested,
            a.cpu,
            c.memory_requested_mib,
            a.memory_mib,
            hours(a.saved_core_h),
            hours(a.saved_gib_h),
        );
    }
    h.push_str("</table>");
}

fn failures(h: &mut String, r: &Report) {
    let all: Vec<(&CallStats, &crate::journal::Attempt)> = r
        .calls
        .iter()
        .flat_map(|c| c.failures.iter().map(move |f| (c, f)))
        .collect();
    if all.is_empty() {
        return;
    }
    let _ = write!(h, "<h2>Failures ({})</h2>", all.len());
    for (c, f) in all.iter().take(20) {
        let why = match f.event {
            Event::Oom => "killed for exceeding its memory".to_string(),
            Event::Lost => "lost (no exit code)".to_string(),
            Event::Preempted => "preempted (Spot reclaim or node lost)".to_string(),
            _ => format!("exit code {}", f.exit),
        };
        let stderr = std::path::Path::new(&r.info.run_dir)
            .join(&f.dir)
            .join("stderr");
        let tail = file_tail(&stderr, 15);
        let _ = write!(
            h,
            "<div class=\"failure\"><b>{}</b> attempt {}: {why}<br><code>{}</code><pre>{}</pre></div>",
            esc(&c.call),
            f.number,
            esc(&f.dir),
            esc(&tail)
        );
    }
    if all.len() > 20 {
        let _ = write!(h, "<p>… and {} more.</p>", all.len() - 20);
    }
}

fn color(r: &Report, call: &str) -> &'static str {
    let i = r.calls.iter().position(|c| c.call == call).unwrap_or(0);
    PALETTE[i % PALETTE.len()]
}

fn legend(h: &mut String, r: &Report) {
    h.push_str("<p class=\"legend\">");
    for c in &r.calls {
        let _ = write!(
            h,
            "<span style=\"color:{}\">■</span> {} ",
            color(r, &c.call),
            esc(&c.call)
        );
    }
    h.push_str("</p>");
}

fn span(r: &Report) -> (f64, f64) {
    let t0 = r.first_ms as f64;
    let len = (r.last_ms.saturating_sub(r.first_ms)).max(1) as f64;
    (t0, len)
}

/// A bar per attempt, in lanes (an attempt takes the first lane free at its start).
fn bars(h: &mut String, r: &Report) {
    let (t0, len) = span(r);
    let mut ran: Vec<&crate::journal::Attempt> = r
        .attempts
        .iter()
        .filter(|a| a.event != Event::Cached)
        .collect();
    ran.sort_by_key(|a| a.start_ms);
    let mut lanes: Vec<u64> = Vec::new();
    let mut placed = Vec::with_capacity(ran.len());
    for a in ran {
        let lane = match lanes.iter().position(|end| *end <= a.start_ms) {
            Some(l) => l,
            None => {
                lanes.push(0);
                lanes.len() - 1
            }
        };
        lanes[lane] = a.end_ms();
        placed.push((lane, a));
    }
    let row = if lanes.len() > 100 { 3.0 } else { 8.0 };
    let height = lanes.len() as f64 * row + 20.0;
    let _ = write!(
        h,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\">"
    );
    for (lane, a) in placed {
        let x = (a.start_ms as f64 - t0) / len * WIDTH;
        let w = (a.wall_ms as f64 / len * WIDTH).max(0.5);
        let _ = write!(
            h,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"{}><title>{} ({:.1} s, exit {})</title></rect>",
            lane as f64 * row,
            row * 0.8,
            color(r, &a.call),
            if a.failed() { " stroke=\"#c00\"" } else { "" },
            esc(&a.dir),
            a.wall_ms as f64 / 1000.0,
            a.exit
        );
    }
    axis(h, height - 14.0, len);
    h.push_str("</svg>");
    legend(h, r);
}

fn axis(h: &mut String, y: f64, len_ms: f64) {
    let (ticks, _) = time_ticks(len_ms);
    let last = ticks.len().saturating_sub(1);
    for (i, (at, label)) in ticks.iter().enumerate() {
        let x = WIDTH * at / len_ms.max(1.0);
        let _ = write!(
            h,
            "<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"10\" text-anchor=\"{}\">{}</text>",
            x,
            y + 12.0,
            if i == 0 {
                "start"
            } else if i == last && x > WIDTH - 30.0 {
                "end"
            } else {
                "middle"
            },
            label
        );
    }
}

/// Ticks for a time axis of `len_ms`: a round step (1, 2 or 5 of a unit, or 15 and 30 of
/// seconds and minutes) giving at most 6 intervals, each tick labelled in the unit the span
/// suggests (ms, s, min, h) with the decimals the step needs, so that no two labels read the
/// same. Returns the ticks (position
/// in ms, label) and the step.
pub(crate) fn time_ticks(len_ms: f64) -> (Vec<(f64, String)>, f64) {
    const STEPS_MS: [f64; 27] = [
        1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3,
        60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3,
        86400e3,
    ];
    let len = len_ms.max(1.0);
    let step = STEPS_MS
        .iter()
        .copied()
        .find(|s| len / s <= 6.0)
        .unwrap_or_else(|| (len / 6.0 / 86400e3).ceil() * 86400e3);
    // The unit from the span, the decimals from the step: "0.5 s" rather than "500 ms" in a
    // run of seconds.
    let (unit, per) = if len < 1e3 {
        ("ms", 1.0)
    } else if len < 120e3 {
        ("s", 1e3)
    } else if len < 7200e3 {
        ("min", 60e3)
    } else {
        ("h", 3600e3)
    };
    let decimals = (0..3)
        .find(|d| ((step / per) * 10f64.powi(*d)).fract().abs() < 1e-9)
        .unwrap_or(3) as usize;
    let mut ticks = Vec::new();
    let mut at = 0.0;
    while at <= len + step * 1e-9 {
        ticks.push((at, format!("{:.*} {unit}", decimals, at / per)));
        at += step;
    }
    (ticks, step)
}

/// Attempts running at each time, per call: a polyline each.
fn running_counts(h: &mut String, r: &Report) {
    let (t0, len) = span(r);
    let bin = len / BINS as f64;
    let mut series: Vec<Vec<f64>> = vec![vec![0.0; BINS]; r.calls.len()];
    let index: std::collections::HashMap<&str, usize> = r
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.call.as_str(), i))
        .collect();
    for a in r.attempts.iter().filter(|a| a.event != Event::Cached) {
        let s = &mut series[index[a.call.as_str()]];
        add_over(
            s,
            (a.start_ms as f64 - t0) / bin,
            (a.end_ms() as f64 - t0) / bin,
            1.0,
        );
    }
    plot(
        h,
        "timeline",
        &series
            .iter()
            .zip(&r.calls)
            .map(|(s, c)| (color(r, &c.call), s.clone(), c.call.clone()))
            .collect::<Vec<_>>(),
        len,
        "running",
    );
    legend(h, r);
}

/// Adds `amount` over the bins [from, to), pro rata at the edges.
fn add_over(series: &mut [f64], from: f64, to: f64, amount: f64) {
    let n = series.len();
    let (from, to) = (from.max(0.0), to.min(n as f64));
    let mut b = from.floor() as usize;
    while (b as f64) < to && b < n {
        let lo = from.max(b as f64);
        let hi = to.min(b as f64 + 1.0);
        series[b] += amount * (hi - lo).max(0.0);
        b += 1;
    }
}

fn plot(h: &mut String, class: &str, series: &[(&str, Vec<f64>, String)], len: f64, what: &str) {
    let top = series
        .iter()
        .flat_map(|(_, s, _)| s.iter().copied())
        .fold(0.0, f64::max)
        .max(1e-9);
    let height = 200.0;
    let _ = write!(
        h,
        "<svg class=\"{class}\" viewBox=\"0 0 {WIDTH} {}\" width=\"100%\">",
        height + 20.0
    );
    for (color, s, name) in series {
        let mut points = String::new();
        for (i, v) in s.iter().enumerate() {
            let _ = write!(
                points,
                "{:.1},{:.1} ",
                (i as f64 + 0.5) / s.len() as f64 * WIDTH,
                height - v / top * (height - 5.0)
            );
        }
        let _ = write!(
            h,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{points}\"><title>{}</title></polyline>",
            esc(name)
        );
    }
    let _ = write!(
        h,
        "<text x=\"4\" y=\"12\" font-size=\"10\">{top:.1} {what}</text>"
    );
    axis(h, height, len);
    h.push_str("</svg>");
}

/// Cores reserved (requested cpu while running) and used (CPU time spread over the attempt).
fn usage_over_time(h: &mut String, r: &Report) {
    let (t0, len) = span(r);
    let bin = len / BINS as f64;
    let mut reserved = vec![0.0; BINS];
    let mut used = vec![0.0; BINS];
    for a in r.attempts.iter().filter(|a| a.event != Event::Cached) {
        let (from, to) = (
            (a.start_ms as f64 - t0) / bin,
            (a.end_ms() as f64 - t0) / bin,
        );
        add_over(&mut reserved, from, to, a.cpu);
        add_over(&mut used, from, to, a.cores_used().unwrap_or(0.0));
    }
    plot(
        h,
        "usage",
        &[
            ("#4e79a7", reserved, "cores reserved".into()),
            ("#e15759", used, "cores used".into()),
        ],
        len,
        "cores",
    );
    h.push_str("<p class=\"legend\"><span style=\"color:#4e79a7\">■</span> reserved <span style=\"color:#e15759\">■</span> used</p>");
}

/// Memory reserved (requested while running) and the attempts' peaks over their whole run (an
/// upper bound of what was in use).
fn memory_over_time(h: &mut String, r: &Report) {
    let (t0, len) = span(r);
    let bin = len / BINS as f64;
    let mut reserved = vec![0.0; BINS];
    let mut peak = vec![0.0; BINS];
    let mut measured = false;
    for a in r.attempts.iter().filter(|a| a.event != Event::Cached) {
        let (from, to) = (
            (a.start_ms as f64 - t0) / bin,
            (a.end_ms() as f64 - t0) / bin,
        );
        add_over(&mut reserved, from, to, a.memory_mib as f64 / 1024.0);
        if let Some(k) = a.max_rss_kib {
            measured = true;
            add_over(&mut peak, from, to, k as f64 / 1048576.0);
        }
    }
    let mut series = vec![("#4e79a7", reserved, "GiB reserved".to_string())];
    if measured {
        series.push(("#e15759", peak, "GiB at peak".into()));
    }
    plot(h, "memory", &series, len, "GiB");
    h.push_str(if measured {
        "<p class=\"legend\"><span style=\"color:#4e79a7\">■</span> reserved <span style=\"color:#e15759\">■</span> peak</p>"
    } else {
        "<p class=\"legend\">Peak memory: not measured by this executor.</p>"
    });
}

/// The report's style sheet, shared by `ferry serve`'s live page so that both look alike.
pub const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}.status{font-size:60%;padding:2px 8px;border-radius:4px;background:#eee}.succeeded{background:#cfc}.failed{background:#fcc}.cancelled{background:#ffc}.bad{color:#b00}.note,.legend{color:#555;font-size:90%}pre{background:#f8f8f8;padding:6px;overflow:auto;max-height:15em}.failure{margin:1em 0}svg{border:1px solid #eee;background:#fff}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hundred_thousand_attempts_stay_small_and_self_contained() {
        let mut j = String::new();
        for i in 0..100_000u64 {
            let call = ["align", "sort", "call"][(i % 3) as usize];
            j += &format!(
                "calls/{call}/shard-{i}.attempt-1\t0\t{}\t{}\t500\t10\t20480\t4\t8192\tdone\t{call}\n",
                i * 10,
                1000 + i % 700
            );
        }
        let r = crate::from_attempts(crate::journal::parse(&j));
        let page = html(&r);
        assert!(page.len() < 5 << 20, "{} bytes", page.len());
        assert!(
            !page.contains("http://") && !page.contains("https://") && !page.contains("<script")
        );
        assert!(page.contains("<polyline"));
    }
}

/// The last bytes of a file (at most [`TAIL_BYTES`]), read from its end, shown lossily (an
/// invalid byte does not empty it), its last `lines` lines, each cut at [`TAIL_LINE`] chars:
/// a task that wrote 200 MB on one line gives a report of a few KiB.
/// Only a regular file that is not a link is read: a task that made its stderr a link to a host
/// file gets nothing shown.
pub fn file_tail(path: &std::path::Path, lines: usize) -> String {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::OpenOptionsExt;
    let Ok(mut f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    else {
        return String::new();
    };
    let Ok(meta) = f.metadata() else {
        return String::new();
    };
    if !meta.is_file() {
        return String::new();
    }
    let len = meta.len();
    let start = len.saturating_sub(TAIL_BYTES);
    if f.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut buf = Vec::with_capacity((len - start) as usize);
    if f.take(TAIL_BYTES).read_to_end(&mut buf).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|l| {
            if l.chars().count() > TAIL_LINE {
                let cut: String = l.chars().take(TAIL_LINE).collect();
                format!("{cut} … ({} more bytes)", l.len() - cut.len())
            } else {
                l.to_string()
            }
        })
        .collect();
    if start > 0 && out.len() == all.len() {
        out.insert(0, format!("… ({start} earlier bytes)"));
    }
    out.join("\n")
}

const TAIL_BYTES: u64 = 64 << 10;
const TAIL_LINE: usize = 2000;

#[cfg(test)]
mod tail_tests {
    #[test]
    fn a_huge_line_and_a_bad_byte_give_a_short_readable_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("stderr");
        let mut text = vec![b'x'; 5 << 20];
        text.extend_from_slice(b"\nbad \xff byte\nlast line\n");
        std::fs::write(&p, &text).expect("write");
        let tail = super::file_tail(&p, 15);
        assert!(tail.len() < 8 << 10, "{} bytes", tail.len());
        assert!(tail.contains("bad \u{fffd} byte"), "{tail}");
        assert!(tail.ends_with("last line"), "{tail}");
    }
}

#[cfg(test)]
mod axis_tests {
    use super::time_ticks;

    #[test]
    fn tick_labels_are_distinct_and_in_a_unit_the_span_suggests() {
        for (len_ms, first_labels) in [
            (200.0, vec!["0 ms", "50 ms", "100 ms"]),
            (1_500.0, vec!["0.0 s", "0.5 s", "1.0 s"]),
            (90_000.0, vec!["0 s", "15 s", "30 s"]),
            (600_000.0, vec!["0 min", "2 min", "4 min"]),
            (7_200_000.0, vec!["0.0 h", "0.5 h", "1.0 h"]),
            (36_000_000.0, vec!["0 h", "2 h", "4 h"]),
        ] {
            let (ticks, _) = time_ticks(len_ms);
            let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
            assert_eq!(&labels[..3], &first_labels[..], "{len_ms} ms: {labels:?}");
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique.len(), labels.len(), "{labels:?}");
            assert!((2..=7).contains(&labels.len()), "{labels:?}");
            assert!(ticks.last().is_some_and(|(at, _)| *at <= len_ms + 1e-6));
        }
    }
}
