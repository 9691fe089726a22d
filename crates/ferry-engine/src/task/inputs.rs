//! Inputs that are object-store URLs: localized into the node's object cache, kept as URLs for
//! tasks that stream them, or rewritten to the paths a remote job stages them at.

use super::*;

/// The inputs the task reads from their URL instead of a local copy: the WDL 1.2 input hint
/// `localizationOptional`, `localization_optional` in its parameter_meta (Cromwell's
/// convention), or the profile's `stream_inputs`.
pub(crate) fn streamed_inputs(task: &Task, profile: &Profile) -> Vec<String> {
    use ferry_wdl::ir::Expr;
    let flag = |k: &str| k == "localizationOptional" || k == "localization_optional";
    let mut names: Vec<String> = profile
        .task_override(&task.name)
        .stream_inputs
        .unwrap_or_default();
    if let Some(meta) = task.parameter_meta.as_object() {
        for (name, m) in meta {
            let flagged = m
                .as_object()
                .is_some_and(|o| o.iter().any(|(k, v)| flag(k) && v.as_bool() == Some(true)));
            if flagged {
                names.push(name.clone());
            }
        }
    }
    // hints { inputs: input { bam: hints { localizationOptional: true } } }
    for (hint, expr) in &task.hints {
        if &**hint != "inputs" {
            continue;
        }
        if let Expr::Object(items) = expr {
            for (name, h) in items {
                if let Expr::Object(hs) = h
                    && hs
                        .iter()
                        .any(|(k, v)| flag(k) && matches!(v, Expr::Bool(true)))
                {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

/// Replaces object-store URLs (`s3://`, `https://`) among the call's inputs with local copies
/// from the node's object cache, except for inputs the task streams: those keep their URL (in
/// the spelling the task's tools read) and the task gets what it needs to reach them.
pub(crate) async fn localize_inputs(
    job: &mut CallJob,
    shared: &Shared,
) -> Result<Option<Arc<ferry_exec::Streaming>>, String> {
    // Worked out only once a URL turns up: most calls (every shard of a local scatter) have none.
    let mut streamed: Option<Vec<String>> = None;
    let mut streaming = ferry_exec::Streaming::default();
    for (name, value) in job.inputs.iter_mut() {
        // A URL given as a String literal for a File input (`f = "s3://b/x"` in the call) is a
        // File only once coerced to the declared type, which `prepare` would do too late.
        if has_url_string(value)
            && let Some(d) = job.task.inputs.iter().find(|d| d.name == *name)
            && let Ok(coerced) = coerce(value, &d.ty)
        {
            *value = coerced;
        }
        let mut urls: Vec<(String, bool)> = Vec::new();
        value.visit_paths(&mut |p, is_dir| {
            if ferry_storage::scheme_of(p) != "file" {
                urls.push((p.to_string(), is_dir));
            }
        });
        if urls.is_empty() {
            continue;
        }
        let streamed = streamed.get_or_insert_with(|| streamed_inputs(&job.task, &shared.profile));
        if streamed.iter().any(|s| **s == **name) {
            let mut spelled: HashMap<String, String> = HashMap::new();
            for (url, _) in &urls {
                let access = shared
                    .storage
                    .stream_access(url)
                    .await
                    .map_err(|e| format!("input `{name}`: {e:#}"))?;
                add_unset(&mut streaming.env, access.env);
                add_unset(&mut streaming.secrets, access.secrets);
                streaming.urls.push(url.clone());
                spelled.insert(url.clone(), access.url);
            }
            *value = replace_paths(value, |p| spelled.get(p).map(|u| u.as_str().into()))?;
            continue;
        }
        if shared.executor.stages_urls() {
            // The job fetches them itself; the command sees the path it will fetch them to.
            *value = replace_paths(value, |p| {
                ferry_exec::remote_input_path(p)
                    .filter(|_| ferry_storage::scheme_of(p) != "file")
                    .map(Into::into)
            })?;
            continue;
        }
        let fetched: Vec<(String, PathBuf)> = futures_util::stream::iter(urls)
            .map(|(url, is_dir)| async move {
                let kind = if is_dir { Kind::Directory } else { Kind::File };
                shared
                    .storage
                    .localize(&url, kind, &shared.object_cache)
                    .await
                    .map(|p| (url, p))
                    .map_err(|e| format!("input `{name}`: {e:#}"))
            })
            .buffer_unordered(8)
            .try_collect()
            .await?;
        let local: HashMap<String, PathBuf> = fetched.into_iter().collect();
        *value = replace_paths(value, |p| {
            local.get(p).map(|l| l.display().to_string().into())
        })?;
    }
    if streaming.urls.is_empty() {
        return Ok(None);
    }
    tracing::info!(
        call = %job.label,
        "streams {} from the object store: the task gets its endpoint and credentials in its environment, and a container gets the network",
        streaming.urls.join(", ")
    );
    Ok(Some(Arc::new(streaming)))
}

/// `value` with every path that `to` maps replaced, each staying a File or a Directory.
pub(crate) fn replace_paths(
    value: &Value,
    to: impl Fn(&str) -> Option<Arc<str>>,
) -> Result<Value, String> {
    value.map_paths(&mut |p, is_dir| {
        let at = to(p).unwrap_or_else(|| p.into());
        Ok(if is_dir {
            Value::Directory(at)
        } else {
            Value::File(at)
        })
    })
}

/// Appends the variables of `more` that `env` does not set yet.
pub(crate) fn add_unset(env: &mut Vec<(String, String)>, more: Vec<(String, String)>) {
    for (k, v) in more {
        if !env.iter().any(|(have, _)| *have == k) {
            env.push((k, v));
        }
    }
}

/// Whether a String inside `v` looks like a URL.
pub(crate) fn has_url_string(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("://"),
        Value::Array(a) => a.iter().any(has_url_string),
        Value::Pair(p) => has_url_string(&p.0) || has_url_string(&p.1),
        Value::Map(m) => m
            .iter()
            .any(|(k, v)| has_url_string(k) || has_url_string(v)),
        Value::Object(m) | Value::Struct(_, m) => m.values().any(has_url_string),
        _ => false,
    }
}
