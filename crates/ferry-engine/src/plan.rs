//! `ferry run --dry-run`: what would run where, without running anything.

use std::collections::HashMap;

use ferry_config::Profile;
use ferry_eval::{Evaluator, Io, Value};
use ferry_wdl::ir::{Body, Callee, Document, Stmt, Task, Version};

use crate::task::{human_bytes, resolve_resources};

struct Row {
    call: String,
    task: String,
    image: String,
    cpu: String,
    memory: String,
    queue: String,
    retries: String,
}

fn task_row(call: String, task: &Task, profile: &Profile) -> Row {
    // Requirements are evaluated where they are constant; those that depend on inputs show as
    // "?" with the profile's default in their place.
    let io = Io::new(std::env::temp_dir(), Version::V1_2);
    let scope: HashMap<std::sync::Arc<str>, Value> = HashMap::new();
    let mut reqs: HashMap<&str, Value> = HashMap::new();
    let mut unknown = Vec::new();
    for (name, e) in &task.requirements {
        match Evaluator::new(&scope, &io).eval(e) {
            Ok(v) => {
                reqs.insert(name, v);
            }
            Err(_) => unknown.push(name.to_string()),
        }
    }
    let mark = |keys: &[&str], s: String| {
        if keys.iter().any(|k| unknown.iter().any(|u| u == k)) {
            format!("{s}?")
        } else {
            s
        }
    };
    match resolve_resources(&reqs, task, profile) {
        Ok(r) => Row {
            call,
            task: task.name.to_string(),
            image: mark(
                &["container", "docker"],
                if r.containers.is_empty() {
                    "-".into()
                } else {
                    r.containers.join(" | ")
                },
            ),
            cpu: mark(&["cpu"], format!("{}", r.cpu)),
            memory: mark(&["memory"], human_bytes(r.memory)),
            queue: r.queue.unwrap_or_else(|| "-".into()),
            retries: mark(&["maxRetries", "max_retries"], r.max_retries.to_string()),
        },
        Err(e) => Row {
            call,
            task: task.name.to_string(),
            image: format!("error: {e}"),
            cpu: String::new(),
            memory: String::new(),
            queue: String::new(),
            retries: String::new(),
        },
    }
}

fn walk(body: &Body, prefix: &str, suffix: &str, profile: &Profile, rows: &mut Vec<Row>) {
    for s in &body.stmts {
        match s {
            Stmt::Call(c) => match &c.callee {
                Callee::Task(t) => {
                    rows.push(task_row(format!("{prefix}{}{suffix}", c.name), t, profile))
                }
                Callee::Workflow(w) => walk(
                    &w.body,
                    &format!("{prefix}{}{suffix}.", c.name),
                    "",
                    profile,
                    rows,
                ),
            },
            Stmt::Scatter(sc) => walk(&sc.body, prefix, &format!("{suffix}[*]"), profile, rows),
            Stmt::Conditional(cd) => {
                for (_, b) in &cd.clauses {
                    walk(b, prefix, &format!("{suffix}?"), profile, rows);
                }
            }
            _ => {}
        }
    }
}

/// The plan as a table: every call (`[*]` inside a scatter, `?` inside a conditional), with the
/// executor, image, cpu, memory, queue and retries it would get under `profile`.
pub fn dry_run(doc: &Document, task: Option<&Task>, profile: &Profile) -> String {
    let mut rows = Vec::new();
    let what = match (task, &doc.workflow) {
        (Some(t), _) => {
            rows.push(task_row(t.name.to_string(), t, profile));
            format!("task {}", t.name)
        }
        (None, Some(w)) => {
            walk(&w.body, "", "", profile, &mut rows);
            format!("workflow {}", w.name)
        }
        (None, None) => "nothing".into(),
    };
    let mut out = String::new();
    for w in crate::images::runtime_warnings(doc) {
        out.push_str(&format!("warning: {w}\n"));
    }
    out += &format!(
        "plan for {what}: profile {}, executor {}{}\n",
        profile.names.join(","),
        profile.executor,
        if profile.stub {
            " (stub: commands are not run)"
        } else {
            ""
        }
    );
    let header = ["CALL", "TASK", "IMAGE", "CPU", "MEMORY", "QUEUE", "RETRIES"];
    let cells: Vec<[String; 7]> = rows
        .into_iter()
        .map(|r| [r.call, r.task, r.image, r.cpu, r.memory, r.queue, r.retries])
        .collect();
    let mut widths = header.map(|h| h.len());
    for c in &cells {
        for (i, v) in c.iter().enumerate() {
            widths[i] = widths[i].max(v.len());
        }
    }
    let line = |vals: Vec<&str>| {
        vals.iter()
            .enumerate()
            .map(|(i, v)| format!("{v:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    out.push_str(&line(header.to_vec()));
    out.push('\n');
    for c in &cells {
        out.push_str(&line(c.iter().map(|s| s.as_str()).collect()));
        out.push('\n');
    }
    out.push_str("(? = depends on inputs; the profile default is shown)\n");
    out
}
