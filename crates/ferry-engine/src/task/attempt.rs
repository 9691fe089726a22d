//! One attempt of a call: the image pinned, the request checked against capacity, the executor run,
//! and what a failure means for the next attempt (retries, more memory after an out-of-memory kill,
//! transient errors).

use super::*;

/// One attempt: prepared, taken from the cache or an earlier run if it can be, else run by the
/// executor and its outputs evaluated.
pub(crate) async fn run_attempt(
    job: &CallJob,
    shared: &Shared,
    streaming: &Option<Arc<ferry_exec::Streaming>>,
    at: &Attempt,
    retries: &mut Retries,
) -> Result<Next, CallError> {
    let mut io = Io::new(at.dir.join("tmp"), job.task.version);
    io.base_dir = Some(at.work_dir.clone());
    io.make_readable = shared.make_readable();
    io.fetch_url = shared.fetch_url();
    io.stub = shared.profile.stub;
    io.access = ferry_eval::ReadPolicy {
        own_dir: Some(at.dir.clone()),
        roots: shared.host_roots.clone(),
        inputs: Vec::new(),
    };
    // Whether an earlier run left this attempt behind (checked before `prepare`, whose
    // `write_*` calls create files in the attempt's tmp/). A fresh run cannot have any, and
    // the lookup costs a path walk per shard.
    let left_behind = shared.resuming && std::fs::symlink_metadata(&at.dir).is_ok();
    let mut prepared = prepare(
        job,
        at.number,
        &io,
        &at.id,
        &shared.profile,
        retries.oom_memory,
        &retries.previous,
    )
    .map_err(|m| at.fail(m))?;
    io.access.inputs = prepared.inputs.clone();
    if let Some(queue) = &retries.fallback_queue {
        prepared.queue = Some(queue.clone());
    }
    if shared.profile.stub {
        return stub_outputs(
            job,
            &prepared,
            &at.dir,
            &io,
            shared.profile.stub_array_length,
        )
        .map(Next::Done)
        .map_err(|m| at.fail(m));
    }
    let image = pin_image_within_capacity(job, &prepared, shared, at).await?;
    if at.number == 1 {
        let cache_image = image
            .as_deref()
            .or(prepared.containers.first().map(|c| c.as_str()));
        match from_cache(job, &prepared, cache_image, shared, at).await {
            Ok(outputs) => return Ok(Next::Done(outputs)),
            Err(key) => retries.cache_key = key,
        }
    }
    if left_behind
        && let Some(outputs) = from_earlier_run(job, &prepared, shared, at, &mut io).await?
    {
        record(shared, retries.cache_key.take(), job, &outputs);
        return Ok(Next::Done(outputs));
    }
    let spec = attempt_spec(job, &prepared, shared, at, image, streaming);
    let Some((outcome, started)) = execute(job, shared, &spec, at, retries).await? else {
        return Ok(Next::Again);
    };
    shared.journal.record(
        &journal::Entry {
            attempt_dir: &at.journal_name,
            task: &job.task.name,
            started,
            cpu: prepared.cpu,
            memory: prepared.memory,
        },
        &outcome,
    );
    if outcome.lost.is_none() && prepared.return_codes.ok(outcome.exit_code) {
        io.stdout = Some(spec.stdout.clone());
        io.stderr = Some(spec.stderr.clone());
        match evaluate_outputs(
            job,
            &prepared,
            &io,
            &at.work_dir,
            outcome.exit_code,
            at.number,
            &at.id,
        ) {
            Ok(outputs) => {
                record(shared, retries.cache_key.take(), job, &outputs);
                return Ok(Next::Done(outputs));
            }
            Err(m) if at.number - retries.preempted > prepared.max_retries => {
                return Err(at.fail(m));
            }
            Err(m) => tracing::warn!("call {} attempt {}: {m}; retrying", job.label, at.number),
        }
    } else {
        plan_retry(job, shared, &prepared, &spec, at, &outcome, retries)?;
    }
    retries.previous = previous_attempt(&prepared);
    Ok(Next::Retry)
}

/// The image the executor pins for the attempt (once per run and image: every shard gets the
/// same digest), after checking that what the attempt asks for fits here at all (before the
/// cache: a request that cannot run here fails the same with or without a cached result).
pub(crate) async fn pin_image_within_capacity(
    job: &CallJob,
    prepared: &Prepared,
    shared: &Shared,
    at: &Attempt,
) -> Result<Option<String>, CallError> {
    let image = match shared
        .executor
        .pin_image(&job.task.name, &prepared.containers)
        .await
    {
        Ok(image) => image,
        // Every shard of a scatter gets the same error; one report is enough.
        Err(e) if !shared.first_report(&format!("{e:#}")) => {
            return Err(CallError::Cancelled);
        }
        Err(e) => return Err(at.fail(format!("{e:#}"))),
    };
    if image.is_some() {
        ferry_exec::refuse_host_specials(&prepared.inputs).map_err(|e| at.fail(e))?;
    }
    // A server's run mounts and reads only host paths under its roots (a File made from a
    // String in the workflow reaches here without having been an input).
    if let Some(roots) = &shared.host_roots {
        for path in &prepared.inputs {
            roots.check(path).map_err(|e| at.fail(e))?;
        }
    }
    let cap = shared.capacity;
    if prepared.cpu > cap.cpu || prepared.memory > cap.memory {
        return Err(at.fail(format!(
            "task `{}` asks for {} cpu and {} of memory, but at most {} cpu and {} are available",
            job.task.name,
            prepared.cpu,
            human_bytes(prepared.memory),
            cap.cpu,
            human_bytes(cap.memory)
        )));
    }
    Ok(image)
}

/// What the executor gets. It creates the attempt directory and writes the script (see
/// ferry-exec).
pub(crate) fn attempt_spec(
    job: &CallJob,
    prepared: &Prepared,
    shared: &Shared,
    at: &Attempt,
    image: Option<String>,
    streaming: &Option<Arc<ferry_exec::Streaming>>,
) -> AttemptSpec {
    AttemptSpec {
        label: job.label.clone(),
        attempt_dir: at.dir.clone(),
        create_from: shared.run_dir.clone(),
        command: prepared.command.clone(),
        script: at.dir.join("command"),
        work_dir: at.work_dir.clone(),
        stdout: at.dir.join("stdout"),
        stderr: at.dir.join("stderr"),
        cpu: prepared.cpu,
        memory: prepared.memory,
        gpu: prepared.gpu,
        container: image,
        env: prepared.env.clone(),
        inputs: prepared.inputs.clone(),
        queue: prepared.queue.clone(),
        time: prepared.time,
        cluster_options: prepared.cluster_options.clone(),
        streaming: streaming.clone(),
        batch: shared.batch_options(&job.task.name),
        disks: prepared.disks.clone(),
    }
}

/// Runs the attempt once its cpu and memory are granted: its outcome and start time, or
/// `None` when the executor could not start it for a passing reason (after a wait: the caller
/// tries the same attempt again, not counted against the task's retries).
pub(crate) async fn execute(
    job: &CallJob,
    shared: &Shared,
    spec: &AttemptSpec,
    at: &Attempt,
    retries: &mut Retries,
) -> Result<Option<(AttemptOutcome, std::time::SystemTime)>, CallError> {
    job.progress.queued.fetch_add(1, Ordering::Relaxed);
    let permits = shared.acquire(spec.cpu, spec.memory).await;
    job.progress.queued.fetch_sub(1, Ordering::Relaxed);
    let permits = permits.map_err(|e| CallError::Failed(format!("{}: {e}", job.label)))?;
    if permits.is_none() || shared.stopping() {
        return Err(CallError::Cancelled);
    }
    job.progress.running.fetch_add(1, Ordering::Relaxed);
    let started = std::time::SystemTime::now();
    let outcome = shared.executor.run(spec).await;
    drop(permits);
    job.progress.running.fetch_sub(1, Ordering::Relaxed);
    if shared.cancelled.load(Ordering::SeqCst) {
        // A script may exit 0 on SIGTERM (its trap): what it left is not a result, and a
        // resumed run must rerun it, not adopt it.
        let _ = std::fs::remove_file(at.dir.join("rc"));
        shared.journal.forget(&at.journal_name);
        return Err(CallError::Cancelled);
    }
    match outcome {
        Ok(outcome) => Ok(Some((outcome, started))),
        Err(ExecError::Cancelled) => Err(CallError::Cancelled),
        // The platform was short of something.
        Err(ExecError::Transient(e)) if retries.transient_tries < TRANSIENT_TRIES => {
            retries.transient_tries += 1;
            let tries = retries.transient_tries;
            let wait = std::time::Duration::from_secs(1 << tries);
            tracing::warn!(
                "call {} attempt {}: {e:#}; trying again in {}s ({tries} of {TRANSIENT_TRIES}, not counted as a retry)",
                job.label,
                at.number,
                wait.as_secs()
            );
            tokio::time::sleep(wait).await;
            Ok(None)
        }
        Err(e) => Err(at.fail(e)),
    }
}

/// A failed attempt: the call's failure when it has no retries left, else the warning, and
/// more memory for the next attempt after an out-of-memory kill.
pub(crate) fn plan_retry(
    job: &CallJob,
    shared: &Shared,
    prepared: &Prepared,
    spec: &AttemptSpec,
    at: &Attempt,
    outcome: &AttemptOutcome,
    retries: &mut Retries,
) -> Result<(), CallError> {
    let why = failure_reason(outcome, prepared.memory, &at.dir);
    // A reclaimed Spot instance, a preempted node: the task did nothing wrong. Retried on its
    // preemptible budget, apart from its retries; past it, on the fallback queue if any.
    if outcome.preempted && retries.preempted < prepared.preemptible {
        retries.preempted += 1;
        let fallback = shared.profile.batch_fallback_queue.clone();
        let mut on = String::new();
        if retries.preempted == prepared.preemptible
            && let Some(queue) = fallback
        {
            on = format!(" on the fallback queue {queue}");
            retries.fallback_queue = Some(queue);
        }
        tracing::warn!(
            "call {} attempt {} was preempted ({why}); retrying{on} ({} of {} preemptible attempts, not counted as a retry)",
            job.label,
            at.number,
            retries.preempted,
            prepared.preemptible
        );
        return Ok(());
    }
    if at.number - retries.preempted > prepared.max_retries {
        return Err(at.fail(format!(
            "{why}\n  last lines of stderr ({}):\n{}",
            spec.stderr.display(),
            indent(&ferry_report::file_tail(&spec.stderr, 20))
        )));
    }
    let mut more = String::new();
    if outcome.oom
        && let Some(next) = escalated_memory(prepared.memory, shared)
    {
        if next > prepared.memory {
            more = format!(" with {} of memory", human_bytes(next));
        }
        retries.oom_memory = Some(next);
    }
    tracing::warn!(
        "call {} attempt {} failed ({why}); retrying{more} ({} of {} retries)",
        job.label,
        at.number,
        at.number - retries.preempted,
        prepared.max_retries
    );
    Ok(())
}

/// What the retry of an attempt killed for its memory asks for: `oom_memory_factor` times as
/// much, within the profile's and the machine's limits. `None` if the profile does not
/// escalate.
pub(crate) fn escalated_memory(memory: u64, shared: &Shared) -> Option<u64> {
    let factor = shared.profile.oom_memory_factor;
    if factor <= 1.0 {
        return None;
    }
    let limit = shared
        .profile
        .max_memory
        .unwrap_or(u64::MAX)
        .min(shared.capacity.memory);
    Some(((memory as f64 * factor) as u64).min(limit).max(memory))
}

/// How many times a call tries again after transient executor errors (waiting 2, 4, 8, 16 and
/// 32 s), on top of the task's own retries.
pub(crate) const TRANSIENT_TRIES: u32 = 5;

/// Why an attempt that ran did not succeed, for the log and the final error.
pub(crate) fn failure_reason(outcome: &AttemptOutcome, memory: u64, attempt_dir: &Path) -> String {
    let why = if outcome.oom {
        format!(
            "killed for exceeding its memory (requested {})",
            human_bytes(memory)
        )
    } else if let Some(lost) = &outcome.lost {
        lost.clone()
    } else {
        format!("exit code {}", outcome.exit_code)
    };
    // A full disk often leaves no stderr to explain the failure: say it.
    match ferry_exec::free_bytes(attempt_dir) {
        Some(free) if free < 64 << 10 => format!(
            "{why}; no space left on device: the filesystem of {} is full",
            attempt_dir.display()
        ),
        _ => why,
    }
}

pub(crate) fn record(shared: &Shared, key: Option<String>, job: &CallJob, outputs: &Members) {
    let (Some(cache), Some(key), true) = (&shared.cache, key, shared.cache_writes) else {
        return;
    };
    // Made read-only before they are recorded: that moves their ctime, which the entry keeps.
    shared.stamp_outputs(outputs);
    let entry = || {
        callcache::entry(key, &job.task, outputs, cache)
            .and_then(|e| cache.insert(e).map_err(|e| e.to_string()))
    };
    let result = if has_paths(outputs.values()) {
        blocking(entry)
    } else {
        entry()
    };
    if let Err(e) = result {
        tracing::warn!(
            "call {}: could not be recorded in the cache: {e}",
            job.label
        );
    }
}

pub(crate) fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
