//! The live page at `/`: the latest runs with their state, elapsed time, progress per call and
//! failures (stderr tails), refreshed every second from `/ferry/api/runs` without reloading;
//! a finished run links its report (`/ferry/runs/{id}/report`, the same HTML `ferry report`
//! writes). No external assets: it works offline, in the report's own style.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::{self, Run};
use crate::runner::Runner;
use crate::wes::WesError;

/// How many runs the page shows, newest first.
const SHOWN: usize = 50;

pub async fn index() -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Ferry runs</title>\
         <style>{}{PAGE_CSS}</style></head><body><h1>Ferry runs</h1>\
         <p class=\"note\" id=\"summary\">loading…</p><div id=\"runs\"></div>\
         <script>{SCRIPT}</script></body></html>",
        ferry_report::CSS
    ))
}

const PAGE_CSS: &str = ".run{margin:1em 0;padding:.5em 1em;border:1px solid #ddd;border-radius:6px}\
.run h2{font-size:110%;margin:.2em 0}.bar{display:inline-block;height:8px;background:#8c8;vertical-align:middle}\
.bar.failed{background:#d88}";

/// Builds the list with DOM calls only (no HTML from data), so run names and stderr stay text.
const SCRIPT: &str = r#"
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const secs = s => s < 60 ? s.toFixed(1) + " s" : s < 3600 ? (s / 60).toFixed(1) + " min" : (s / 3600).toFixed(1) + " h";
const stateClass = s => s === "COMPLETE" ? "succeeded" : (s === "EXECUTOR_ERROR" || s === "SYSTEM_ERROR") ? "failed" : s === "CANCELED" ? "cancelled" : "";
async function refresh() {
  let data;
  try { data = await (await fetch("/ferry/api/runs")).json(); } catch (e) { document.getElementById("summary").textContent = "server unreachable; retrying"; return; }
  document.getElementById("summary").textContent = data.total + " runs; " + Object.entries(data.states).map(([k, v]) => v + " " + k).join(", ");
  const box = el("div");
  for (const r of data.runs) {
    const d = el("div", "run");
    d.id = "run-" + r.run_id;
    const h = el("h2", null, r.name + " ");
    h.appendChild(el("span", "status " + stateClass(r.state), r.state));
    d.appendChild(h);
    const holds = r.holds ? [r.holds.cpus ? r.holds.cpus + " cpu" : "", r.holds.memory_mib ? r.holds.memory_mib + " MiB" : "", r.holds.jobs ? r.holds.jobs + " jobs" : ""].filter(x => x).join(", ") : "";
    d.appendChild(el("div", "note", "run " + r.run_id + (r.elapsed_s !== null ? " · " + secs(r.elapsed_s) : "") + (holds ? " · running on " + holds : "")));
    if (r.calls.length) {
      const t = el("table");
      const head = el("tr"); ["call", "finished", "failed", ""].forEach(x => head.appendChild(el("th", null, x))); t.appendChild(head);
      const most = Math.max(...r.calls.map(c => c.done + c.failed), 1);
      for (const c of r.calls) {
        const tr = el("tr");
        tr.appendChild(el("td", null, c.call)); tr.appendChild(el("td", "done", String(c.done))); tr.appendChild(el("td", null, String(c.failed)));
        const bar = el("td"); const b = el("span", "bar" + (c.failed ? " failed" : "")); b.style.width = (120 * (c.done + c.failed) / most) + "px"; bar.appendChild(b); tr.appendChild(bar);
        t.appendChild(tr);
      }
      d.appendChild(t);
    }
    for (const f of r.failures) {
      d.appendChild(el("div", "bad", f.call + " (" + f.attempt + ") exited " + f.exit));
      d.appendChild(el("pre", null, f.stderr_tail));
    }
    if (r.log_tail) d.appendChild(el("pre", "bad", r.log_tail));
    if (r.report) { const a = el("a", null, "report"); a.href = r.report; d.appendChild(a); }
    box.appendChild(d);
  }
  document.getElementById("runs").replaceChildren(...box.childNodes);
}
refresh();
setInterval(refresh, 1000);
"#;

/// What the page shows: the newest runs, with calls and failures read from each unfinished
/// run's journal (a finished run's come from the same journal, read once per view).
pub async fn api_runs(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, WesError> {
    let states: BTreeMap<String, u64> = runner.db.counts(&caller.0)?.into_iter().collect();
    let total: u64 = states.values().sum();
    let now = crate::now_ms();
    let usage = runner.leases.usage();
    let runs: Vec<Value> = runner
        .db
        .latest(&caller.0, SHOWN)?
        .iter()
        .map(|r| {
            let mut view = run_view(&runner, r, now);
            // What its running attempts hold of the server's limits.
            if let Some((cpus, memory_mib, jobs)) = usage.get(&r.id) {
                view["holds"] = json!({"cpus": cpus, "memory_mib": memory_mib, "jobs": jobs});
            }
            view
        })
        .collect();
    Ok(Json(
        json!({"total": total, "states": states, "runs": runs}),
    ))
}

fn run_view(runner: &Runner, r: &Run, now: u64) -> Value {
    let run_dir = runner.dir(&r.id).join("run");
    let text = std::fs::read_to_string(run_dir.join("attempts.tsv")).unwrap_or_default();
    let attempts = ferry_report::journal::parse(&text);
    let mut calls: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for a in &attempts {
        let c = calls.entry(a.call.as_str()).or_default();
        if a.failed() {
            c.1 += 1;
        } else {
            c.0 += 1;
        }
    }
    let failures: Vec<Value> = attempts
        .iter()
        .filter(|a| a.failed())
        .rev()
        .take(5)
        .map(|a| {
            json!({
                "call": a.call,
                "attempt": a.dir,
                "exit": a.exit,
                "stderr_tail": ferry_report::file_tail(&run_dir.join(&a.dir).join("stderr"), 8),
            })
        })
        .collect();
    let log_tail = (matches!(r.state.as_str(), db::EXECUTOR_ERROR | db::SYSTEM_ERROR)
        && failures.is_empty())
    .then(|| ferry_report::file_tail(&runner.dir(&r.id).join("stderr"), 5));
    let elapsed = r
        .started_ms
        .map(|s| (r.ended_ms.unwrap_or(now).saturating_sub(s)) as f64 / 1000.0);
    json!({
        "run_id": r.id,
        "name": r.request.get("workflow_url").and_then(|u| u.as_str()).unwrap_or(""),
        "state": r.state,
        "elapsed_s": elapsed,
        "calls": calls.iter().map(|(c, (d, f))| json!({"call": c, "done": d, "failed": f})).collect::<Vec<_>>(),
        "failures": failures,
        // A run that failed before any attempt (bad inputs, a WDL error): its own log says why.
        "log_tail": log_tail,
        "report": (db::is_final(&r.state) && run_dir.join("run.json").exists())
            .then(|| format!("/ferry/runs/{}/report", r.id)),
    })
}

/// A run's report, as `ferry report` writes it.
pub async fn report(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, WesError> {
    crate::wes::run_of(&runner, &id, &caller)?;
    let report = ferry_report::load(&runner.dir(&id).join("run")).map_err(|e| {
        WesError(
            StatusCode::NOT_FOUND,
            format!("no report for run {id}: {e}"),
        )
    })?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        ferry_report::html(&report),
    )
        .into_response())
}
