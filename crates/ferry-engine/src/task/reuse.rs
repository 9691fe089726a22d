//! Work not done again: a call found in the call cache, an attempt a stopped run left finished
//! (adopted), and what such reused outputs need before a local task reads them.

use super::*;

/// The call's outputs from the call cache; else the key to record them under, if the call is
/// cacheable.
pub(crate) async fn from_cache(
    job: &CallJob,
    prepared: &Prepared,
    image: Option<&str>,
    shared: &Shared,
    at: &Attempt,
) -> Result<Members, Option<String>> {
    let (outputs, entry) = match look_up_cache(job, prepared, image, shared) {
        Cached::Hit(outputs, entry) => (outputs, entry),
        Cached::Miss(key) => return Err(key),
    };
    let outputs = reuse(job, outputs, entry, shared).await.map_err(Some)?;
    shared.journal.record_cached(&journal::Entry {
        attempt_dir: &at.journal_name,
        task: &job.task.name,
        started: std::time::SystemTime::now(),
        cpu: prepared.cpu,
        memory: prepared.memory,
    });
    job.progress.cached.fetch_add(1, Ordering::Relaxed);
    Ok(outputs)
}

/// Resuming a run: an attempt that finished before the engine stopped is adopted, not rerun;
/// anything else left in its directory is stale and cleared.
pub(crate) async fn from_earlier_run(
    job: &CallJob,
    prepared: &Prepared,
    shared: &Shared,
    at: &Attempt,
    io: &mut Io,
) -> Result<Option<Members>, CallError> {
    let journaled = shared.journal.earlier_exit_code(&at.journal_name);
    if let Some(outputs) = adopt(job, prepared, &at.dir, journaled, io, at.number, &at.id) {
        tracing::debug!(call = %job.label, attempt = at.number, "adopted from an earlier run");
        materialize(&outputs, shared)
            .await
            .map_err(|m| at.fail(m))?;
        shared.adopted_calls.fetch_add(1, Ordering::Relaxed);
        return Ok(Some(outputs));
    }
    shared.journal.forget(&at.journal_name);
    // A cluster job of the stopped engine may still be at work in it: waited for, not cleared
    // (the executor's `run` picks it up).
    if !shared.executor.still_running(&at.dir) {
        blocking(|| clear_stale_attempt(&at.dir))
            .map_err(|e| at.fail(format!("cannot clear the stale attempt directory: {e}")))?;
    }
    Ok(None)
}

/// What the call cache has for a call's first attempt.
pub(crate) enum Cached {
    /// The outputs, and the entry they come from (its remote files are still to be checked).
    Hit(Members, Box<ferry_cache::Entry>),
    /// Not cached; the key to record the outputs under, if the call is cacheable.
    Miss(Option<String>),
}

/// Looks the call up in the cache (unless it is volatile or the profile says not to cache
/// it). Hashing a new input file can take minutes: that happens off the runtime's other
/// tasks (a call without files, most scatter shards, does not pay for the hand-off).
pub(crate) fn look_up_cache(
    job: &CallJob,
    prepared: &Prepared,
    image: Option<&str>,
    shared: &Shared,
) -> Cached {
    let Some(cache) = &shared.cache else {
        return Cached::Miss(None);
    };
    if job.task.volatile() || !shared.profile.task_cache(&job.task.name) {
        return Cached::Miss(None);
    }
    let inputs: Vec<(&str, Value)> = job
        .task
        .inputs
        .iter()
        .map(|d| {
            (
                &*d.name,
                prepared.scope.get(&d.name).cloned().unwrap_or(Value::None),
            )
        })
        .collect();
    // Cromwell's `read_from_cache: false`: the key is made (to record the outputs under) but
    // never looked up.
    let lookup = || {
        callcache::key(&job.task, image, &inputs, cache).map(|key| {
            let found = if shared.cache_reads {
                cache.lookup(&key)
            } else {
                None
            };
            (found, key)
        })
    };
    let found = if has_paths(inputs.iter().map(|(_, v)| v)) {
        blocking(lookup)
    } else {
        lookup()
    };
    match found {
        Ok((found, key)) => {
            if let Some(entry) = found {
                match callcache::outputs(&job.task, &entry) {
                    Ok(outputs) => {
                        tracing::debug!(call = %job.label, "cached");
                        return Cached::Hit(outputs, Box::new(entry));
                    }
                    Err(e) => tracing::warn!("call {}: unusable cache entry: {e}", job.label),
                }
            }
            Cached::Miss(Some(key))
        }
        Err(e) => {
            tracing::warn!("call {}: not cached: {e}", job.label);
            Cached::Miss(None)
        }
    }
}

/// A cache hit is used if the objects behind its remote files are unchanged in the store (one
/// HEAD each); else the call runs again and its key is returned to record it under.
pub(crate) async fn reuse(
    job: &CallJob,
    outputs: Members,
    entry: Box<ferry_cache::Entry>,
    shared: &Shared,
) -> Result<Members, String> {
    let changed = callcache::changed_objects(&entry, &shared.storage).await;
    if !changed.is_empty() {
        tracing::info!(
            "call {}: not taken from the cache: {}",
            job.label,
            changed.join("; ")
        );
        return Err(entry.key);
    }
    if let Err(e) = materialize(&outputs, shared).await {
        tracing::warn!("call {}: not taken from the cache: {e}", job.label);
        return Err(entry.key);
    }
    Ok(outputs)
}

/// Outputs of an earlier run's remote jobs, reused by an executor that runs tasks on this
/// machine (a cache hit, an adopted attempt under another profile): their stubs are fetched,
/// since its tasks would read the files themselves. Remote executors read the objects.
pub(crate) async fn materialize(outputs: &Members, shared: &Shared) -> Result<(), String> {
    if shared.executor.stages_urls() {
        return Ok(());
    }
    let mut paths = Vec::new();
    for v in outputs.values() {
        v.visit_paths(&mut |p, _| {
            if ferry_storage::scheme_of(p) == "file" {
                paths.push(PathBuf::from(&**p));
            }
        });
    }
    // `fetch` leaves files that are no stubs alone.
    for p in paths {
        ferry_storage::remote::fill_stubs(&shared.storage, &p)
            .await
            .map_err(|e| format!("{e:#}"))?;
    }
    Ok(())
}

/// The outputs of an attempt that already finished successfully with the same command. Its
/// exit code is in its `rc` file, else in the journal (`journaled`: the script replaced the
/// shell's EXIT trap that writes `rc`).
pub(crate) fn adopt(
    job: &CallJob,
    prepared: &Prepared,
    attempt_dir: &Path,
    journaled: Option<i32>,
    io: &mut Io,
    attempt: u32,
    attempt_id: &str,
) -> Option<Members> {
    let rc: i32 = std::fs::read_to_string(attempt_dir.join("rc"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .or(journaled)?;
    if !prepared.return_codes.ok(rc) {
        return None;
    }
    if std::fs::read_to_string(attempt_dir.join("command")).ok()? != prepared.command {
        return None;
    }
    io.stdout = Some(attempt_dir.join("stdout"));
    io.stderr = Some(attempt_dir.join("stderr"));
    evaluate_outputs(
        job,
        prepared,
        io,
        &attempt_dir.join("work"),
        rc,
        attempt,
        attempt_id,
    )
    .ok()
}

/// Removes what an unfinished earlier attempt left, keeping `tmp/` (this attempt's `write_*`
/// files are already there).
pub(crate) fn clear_stale_attempt(attempt_dir: &Path) -> std::io::Result<()> {
    ferry_storage::remote::remove_index(attempt_dir)?;
    for name in ["rc", "command", "stdout", "stderr"] {
        match std::fs::remove_file(attempt_dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    match std::fs::remove_dir_all(attempt_dir.join("work")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
