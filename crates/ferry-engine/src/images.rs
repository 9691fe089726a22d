//! Images checked before anything runs: a missing image should fail the run in a second, not
//! after an hour of upstream work, and never once per shard.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_exec::Executor;
use ferry_wdl::ir::{Body, Callee, Expr, Stmt, StrPart, Task};

/// The image candidates of a task whose `container`/`docker` requirement is a literal (the
/// common case), or the profile's default image when it names none; `None` when it is computed
/// from inputs, which is pinned when the call runs.
fn literal_images(task: &Task, default_image: Option<&str>) -> Option<Vec<String>> {
    let Some((_, expr)) = task
        .requirements
        .iter()
        .find(|(n, _)| &**n == "container" || &**n == "docker")
    else {
        return default_image.map(|d| vec![d.to_string()]);
    };
    let text = |e: &Expr| match e {
        Expr::Str(parts) => match parts.as_slice() {
            [StrPart::Text(t)] => Some(t.clone()),
            _ => None,
        },
        _ => None,
    };
    match expr {
        Expr::Array(items) => items.iter().map(text).collect(),
        e => text(e).map(|t| vec![t]),
    }
}

/// Every task the body can call, directly or through sub-workflows, by name.
pub fn reachable_tasks(body: &Body, out: &mut BTreeMap<Arc<str>, Arc<Task>>) {
    for stmt in &body.stmts {
        match stmt {
            Stmt::Call(call) => match &call.callee {
                Callee::Task(t) => {
                    out.entry(t.name.clone()).or_insert_with(|| t.clone());
                }
                Callee::Workflow(w) => reachable_tasks(&w.body, out),
            },
            Stmt::Scatter(s) => reachable_tasks(&s.body, out),
            Stmt::Conditional(c) => {
                for (_, body) in &c.clauses {
                    reachable_tasks(body, out);
                }
            }
            _ => {}
        }
    }
}

/// Every task call a workflow can make, named as the progress line names them (`align`,
/// `sub.align` inside a subworkflow call): what a stub run says it reached out of.
pub fn task_calls(body: &Body, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    for stmt in &body.stmts {
        match stmt {
            Stmt::Call(call) => match &call.callee {
                Callee::Task(_) => {
                    out.insert(format!("{prefix}{}", call.name));
                }
                Callee::Workflow(w) => task_calls(&w.body, &format!("{prefix}{}.", call.name), out),
            },
            Stmt::Scatter(s) => task_calls(&s.body, prefix, out),
            Stmt::Conditional(c) => {
                for (_, body) in &c.clauses {
                    task_calls(body, prefix, out);
                }
            }
            _ => {}
        }
    }
}

/// The images as pulled: each through the profile's registry mirror, if one covers its
/// registry (`container.mirrors`). Every path to an image goes through here: the check before
/// the run and each attempt.
pub(crate) fn through_mirrors(images: Vec<String>, profile: &ferry_config::Profile) -> Vec<String> {
    if profile.container_mirrors.is_empty() {
        return images;
    }
    images
        .into_iter()
        .map(|i| ferry_exec::registry::mirrored(&i, &profile.container_mirrors).unwrap_or(i))
        .collect()
}

/// Pins the literal images of `tasks` with the executor. Returns one message per task whose
/// image cannot be had.
pub async fn pin_literal_images(
    executor: &dyn Executor,
    tasks: impl Iterator<Item = &Arc<Task>>,
    profile: &ferry_config::Profile,
) -> Vec<String> {
    let mut errors = Vec::new();
    for task in tasks {
        let Some(candidates) = literal_images(task, profile.default_image.as_deref()) else {
            continue;
        };
        let candidates = through_mirrors(candidates, profile);
        if let Err(e) = executor.pin_image(&task.name, &candidates).await {
            errors.push(format!("{}: {e:#}", task.location));
        }
    }
    errors
}

/// The document's tasks and every task its workflow can call (imported ones too), by name.
pub fn all_tasks(doc: &ferry_wdl::ir::Document) -> BTreeMap<Arc<str>, Arc<Task>> {
    let mut tasks: BTreeMap<Arc<str>, Arc<Task>> = doc
        .tasks
        .values()
        .map(|t| (t.name.clone(), t.clone()))
        .collect();
    if let Some(w) = &doc.workflow {
        reachable_tasks(&w.body, &mut tasks);
    }
    tasks
}

/// The cost-attribution tags of each task the run can call: the profile's (`batch.tags`) with
/// the task's own (`[tasks."glob".batch] tags`) over them. Batch puts them on the jobs beside
/// `ferry:run`, `ferry:workflow` and `ferry:call`; the report groups its cost table by them
/// whatever the executor.
pub fn cost_tags(
    doc: &ferry_wdl::ir::Document,
    profile: &ferry_config::Profile,
) -> BTreeMap<String, BTreeMap<String, String>> {
    all_tasks(doc)
        .keys()
        .map(|name| {
            let mut tags: BTreeMap<String, String> = profile.batch_tags.iter().cloned().collect();
            tags.extend(
                profile
                    .batch_job_options(name)
                    .tags
                    .clone()
                    .unwrap_or_default(),
            );
            (name.to_string(), tags)
        })
        .filter(|(_, tags)| !tags.is_empty())
        .collect()
}

/// One warning per task (of the document, and every task the workflow can call) whose runtime
/// section has Cromwell backend keys Ferry ignores; for `check`, `--dry-run` and `run`.
pub fn runtime_warnings(doc: &ferry_wdl::ir::Document) -> Vec<String> {
    all_tasks(doc)
        .values()
        .filter_map(|t| crate::task::ignored_runtime_keys(t))
        .collect()
}
