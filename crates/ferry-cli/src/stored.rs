//! A Batch run's state in its work directory (`ferry_engine::run_state`), from the command
//! line: `--resume RUN_ID` on a machine without the run directory rebuilds it from there; every
//! Batch run holds its lease, keeps its pointer and ships its journal while it runs; `ferry runs
//! --profile P` lists the runs of the profile's work directory.

use super::*;
use ferry_engine::run_state::{self, RunHome, owner::Lease, ship::Shipper};
use ferry_engine::shared_cache::SharedCache;

/// The state in the store of a run being driven by this engine.
pub(crate) struct Stored {
    home: RunHome,
    lease: Lease,
    workflow: String,
    shipper: tokio::task::JoinHandle<Shipper>,
    stop: Arc<tokio::sync::Notify>,
    watcher: Option<tokio::task::JoinHandle<()>>,
}

/// The profile's Batch work directory, if its runs keep their state there.
pub(crate) fn work_dir(profile: &ferry_config::Profile) -> Option<&str> {
    if profile.executor != ferry_config::ExecutorKind::Awsbatch || profile.stub {
        return None;
    }
    profile
        .batch_work_dir
        .as_deref()
        .filter(|w| w.starts_with("s3://"))
}

/// `--resume RUN_ID`: the run's directory, rebuilt from the store when it is not here (at
/// `--run-dir`, else `./ferry-runs/<id>`), and its lease, taken before anything is rebuilt.
pub(crate) async fn resume_by_id(
    args: &RunArgs,
    profile: &ferry_config::Profile,
    run_id: &str,
) -> Result<(PathBuf, Option<(RunHome, Lease)>), Stop> {
    let run_dir = args
        .run_dir
        .clone()
        .unwrap_or_else(|| Path::new("ferry-runs").join(run_id));
    // Absolute, as the run directory of every engine is: the records name attempts under it.
    let run_dir = std::path::absolute(&run_dir).unwrap_or(run_dir);
    let here = std::fs::read_to_string(run_dir.join(ferry_engine::RUN_ID_FILE))
        .is_ok_and(|id| id.trim() == run_id);
    let Some(work) = work_dir(profile) else {
        if here {
            return Ok((run_dir, None));
        }
        return Err(Stop::usage(format!(
            "ferry: run {run_id} is not in {}, and the profile ({}) keeps no runs in an object store (`batch.work_dir`) to rebuild it from",
            run_dir.display(),
            profile.names.join(",")
        )));
    };
    let (_, objects) = ferry_exec::factory::storage_for(profile);
    let found = run_state::find_run(&objects, work, run_id)
        .await
        .map_err(|e| Stop::failed(format!("ferry: {e}")))?
        .ok_or_else(|| {
            Stop::usage(format!(
                "ferry: no run {run_id} in {work} (`ferry runs --profile {}` lists them)",
                profile.names.join(",")
            ))
        })?;
    let home = RunHome::new(objects, work, run_id, &found.run_name());
    let lease = Lease::take(&home, profile.batch_lease_ttl)
        .await
        .map_err(|e| Stop::usage(format!("ferry: {e}")))?;
    if !here {
        tracing::info!(
            "rebuilding run {run_id} ({}, last on {}) in {} from {}",
            found.workflow,
            found.host,
            run_dir.display(),
            home.state()
        );
        home.restore(&run_dir)
            .await
            .map_err(|e| Stop::failed(format!("ferry: cannot rebuild run {run_id}: {e}")))?;
    }
    Ok((run_dir, Some((home, lease))))
}

/// The run's name in its work directory: kept in the run directory, else its directory's name
/// (what earlier versions used), written there.
pub(crate) fn run_name(run_dir: &Path) -> String {
    let path = run_dir.join(run_state::RUN_NAME_FILE);
    if let Ok(name) = std::fs::read_to_string(&path)
        && !name.trim().is_empty()
    {
        return name.trim().to_string();
    }
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "run".into());
    if let Err(e) = std::fs::write(&path, format!("{name}\n")) {
        tracing::warn!("cannot write {}: {e}", path.display());
    }
    name
}

impl Stored {
    /// Takes the run's lease (unless `--resume RUN_ID` already did), writes its pointer and
    /// files, and ships its journal from now on. `None` when the profile keeps no state in a
    /// store.
    pub(crate) async fn start(
        profile: &ferry_config::Profile,
        objects: Arc<ferry_storage::ObjectStorage>,
        run_dir: &Path,
        run_id: &str,
        workflow: &str,
        inputs: &ferry_engine::inputs::RawInputs,
        taken: Option<(RunHome, Lease)>,
    ) -> Result<Option<Stored>, Stop> {
        let Some(work) = work_dir(profile) else {
            return Ok(None);
        };
        let (home, lease) = match taken {
            Some(t) => t,
            None => {
                let home = RunHome::new(objects, work, run_id, &run_name(run_dir));
                let lease = Lease::take(&home, profile.batch_lease_ttl)
                    .await
                    .map_err(|e| Stop::usage(format!("ferry: {e}")))?;
                (home, lease)
            }
        };
        let fail =
            |e: String| Stop::failed(format!("ferry: the run's state in {}: {e}", home.state()));
        home.write_pointer(workflow, "running")
            .await
            .map_err(fail)?;
        home.save_run_files(run_dir).await.map_err(fail)?;
        home.save_inputs(&inputs_file(inputs, workflow))
            .await
            .map_err(fail)?;
        let stop = Arc::new(tokio::sync::Notify::new());
        let mut shipper = Shipper::new(home.clone(), run_dir);
        let shipping = tokio::spawn({
            let stop = stop.clone();
            async move {
                loop {
                    let stopped = tokio::select! {
                        _ = stop.notified() => true,
                        _ = tokio::time::sleep(run_state::ship::EVERY) => false,
                    };
                    if stopped {
                        return shipper;
                    }
                    if let Err(e) = shipper.ship().await {
                        tracing::warn!("cannot ship the journal to the store: {e}");
                    }
                }
            }
        });
        Ok(Some(Stored {
            home,
            lease,
            workflow: workflow.to_string(),
            shipper: shipping,
            stop,
            watcher: None,
        }))
    }

    /// While the run goes: its progress to the store every few seconds (for `ferry status`
    /// anywhere), and a stop asked for with `ferry cancel` taken as Ctrl-C would be.
    pub(crate) fn watch(&mut self, shared: Arc<Shared>) {
        let home = self.home.clone();
        self.watcher = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(run_state::ship::EVERY).await;
                if let Err(e) = home.save_progress(&shared.progress.rows()).await {
                    tracing::debug!("cannot save the run's progress: {e}");
                }
                match home.take_cancel_request().await {
                    Ok(Some(from)) => {
                        ferry_engine::STOP_SIGNAL.store(libc::SIGTERM, Ordering::SeqCst);
                        tracing::warn!("`ferry cancel` from {from}: stopping running tasks");
                        shared.cancel();
                    }
                    Ok(None) => {}
                    Err(e) => tracing::debug!("cannot look for a cancel request: {e}"),
                }
            }
        }));
    }

    /// At the end of the run (the journal flushed): the journal whole, the run's files, the
    /// pointer's final state, the lease given back.
    pub(crate) async fn finish(
        self,
        run_dir: &Path,
        state: &str,
        rows: &[ferry_engine::progress::CallRow],
    ) {
        if let Some(w) = &self.watcher {
            w.abort();
        }
        let _ = self.home.save_progress(rows).await;
        self.stop.notify_one();
        if let Ok(mut shipper) = self.shipper.await
            && let Err(e) = shipper.compact().await
        {
            tracing::warn!("cannot ship the journal to the store: {e}");
        }
        if let Err(e) = self.home.save_run_files(run_dir).await {
            tracing::warn!("cannot save the run's files in the store: {e}");
        }
        if let Err(e) = self.home.write_pointer(&self.workflow, state).await {
            tracing::warn!("cannot update the run's pointer: {e}");
        }
        self.lease.release().await;
    }
}

/// The inputs as an inputs file has them: `NAME=VALUE` pairs that left out the workflow's name
/// get it.
pub(crate) fn inputs_file(
    inputs: &ferry_engine::inputs::RawInputs,
    workflow: &str,
) -> serde_json::Value {
    let entries = inputs.entries.iter().map(|(k, v)| {
        let short = inputs.from_command_line.contains(k) && !k.starts_with(&format!("{workflow}."));
        let key = if short {
            format!("{workflow}.{k}")
        } else {
            k.clone()
        };
        (key, v.clone())
    });
    serde_json::Value::Object(entries.collect())
}

/// `ferry runs --profile P`: the runs in the profile's work directory, newest first.
pub(crate) async fn list_command(config: Option<&Path>, profiles: &[String]) -> i32 {
    let profile = match load_profile(None, config, profiles) {
        Ok((p, _)) => p,
        Err(e) => {
            errln!("ferry: {e}");
            return 2;
        }
    };
    let Some(work) = work_dir(&profile) else {
        errln!(
            "ferry: the profile ({}) keeps no runs in an object store (`batch.work_dir`)",
            profile.names.join(",")
        );
        return 2;
    };
    let (_, objects) = ferry_exec::factory::storage_for(&profile);
    match run_state::list_runs(&objects, work).await {
        Ok(runs) => {
            outln!(
                "{:<24} {:<10} {:<20} {:<24} {}",
                "RUN ID",
                "STATE",
                "UPDATED",
                "WORKFLOW",
                "LAST HOST"
            );
            for r in runs {
                let when = sys::local_time((r.updated_ms / 1000) as i64, c"%Y-%m-%d %H:%M:%S")
                    .unwrap_or_default();
                outln!(
                    "{:<24} {:<10} {:<20} {:<24} {}",
                    r.run_id,
                    r.state,
                    when,
                    r.workflow,
                    r.host
                );
            }
            0
        }
        Err(e) => {
            errln!("ferry: {e}");
            1
        }
    }
}

/// A call cache shared through the store, its new entries going up as the run goes.
pub(crate) struct SharedCacheRun {
    pub(crate) cache: Arc<ferry_cache::Cache>,
    shared: Arc<SharedCache>,
    uploads: tokio::task::JoinHandle<()>,
    stop: Arc<tokio::sync::Notify>,
}

/// Opens the profile's shared call cache (`cache_dir = "s3://…"`, keyed by `cache_key_file`):
/// its working copy under the node's cache directory, every segment of the store loaded.
pub(crate) async fn open_shared_cache(
    profile: &ferry_config::Profile,
    objects: Arc<ferry_storage::ObjectStorage>,
    url: &str,
) -> Result<SharedCacheRun, Stop> {
    let Some(key_file) = &profile.cache_key_file else {
        return Err(Stop::usage(format!(
            "ferry: cache_dir = {url:?} needs `cache_key_file`: a file holding the key (e.g. 64 hex digits from `openssl rand -hex 32`) that every user of the cache has"
        )));
    };
    let key = std::fs::read_to_string(key_file)
        .map_err(|e| Stop::usage(format!("ferry: cache_key_file {}: {e}", key_file.display())))?;
    let local = profile
        .cache_directory()
        .join("shared")
        .join(&blake3::hash(url.as_bytes()).to_hex()[..16]);
    let shared = SharedCache::open(objects, url, &local, &key)
        .await
        .map_err(|e| Stop::failed(format!("ferry: the call cache at {url}: {e}")))?;
    let shared = Arc::new(shared);
    let stop = Arc::new(tokio::sync::Notify::new());
    let uploads = tokio::spawn({
        let (shared, stop) = (shared.clone(), stop.clone());
        async move {
            loop {
                // Stopped only between uploads: lines taken for a segment always go up.
                tokio::select! {
                    _ = stop.notified() => return,
                    _ = tokio::time::sleep(ferry_engine::shared_cache::EVERY) => {}
                }
                if let Err(e) = shared.upload().await {
                    tracing::warn!("cannot write to the shared call cache: {e}");
                }
            }
        }
    });
    Ok(SharedCacheRun {
        cache: shared.cache.clone(),
        shared,
        uploads,
        stop,
    })
}

impl SharedCacheRun {
    /// The last entries up, at the end of the run.
    pub(crate) async fn finish(self) {
        self.stop.notify_one();
        let _ = self.uploads.await;
        if let Err(e) = self.shared.upload().await {
            tracing::warn!("cannot write to the shared call cache: {e}");
        }
    }
}

/// The run `run_id` of the profile's work directory, from its pointer.
async fn stored_run(
    config: Option<&Path>,
    profiles: &[String],
    run_id: &str,
) -> Result<(RunHome, run_state::StoredRun, ferry_config::Profile), (i32, String)> {
    let profile = load_profile(None, config, profiles).map_err(|e| (2, e))?.0;
    let work = work_dir(&profile).ok_or_else(|| {
        (
            2,
            format!(
                "the profile ({}) keeps no runs in an object store (`batch.work_dir`)",
                profile.names.join(",")
            ),
        )
    })?;
    let (_, objects) = ferry_exec::factory::storage_for(&profile);
    let found = run_state::find_run(&objects, work, run_id)
        .await
        .map_err(|e| (1, e))?
        .ok_or_else(|| (2, format!("no run {run_id} in {work}")))?;
    let home = RunHome::new(objects, work, run_id, &found.run_name());
    Ok((home, found, profile))
}

/// `ferry status RUN_ID --profile P`: the run's state, its engine and its progress by call,
/// from the store (any machine).
pub(crate) async fn status_command(
    config: Option<&Path>,
    profiles: &[String],
    run_id: &str,
) -> i32 {
    let (home, run, profile) = match stored_run(config, profiles, run_id).await {
        Ok(r) => r,
        Err((code, e)) => {
            errln!("ferry: {e}");
            return code;
        }
    };
    let (progress, lease) = match home.status().await {
        Ok(s) => s,
        Err(e) => {
            errln!("ferry: {e}");
            return 1;
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let ago = |ms: u64| format!("{}s ago", now.saturating_sub(ms) / 1000);
    outln!("run {} ({}): {}", run.run_id, run.workflow, run.state);
    match &lease {
        Some(l) => outln!(
            "engine: {} (lease renewed {})",
            l["holder"].as_str().unwrap_or("?"),
            ago(l["renewed_ms"].as_u64().unwrap_or(0))
        ),
        None => outln!("engine: none holds the run (last on {})", run.host),
    }
    if let Ok(Some(detached)) = home.read_detached().await
        && let Some(job) = &detached.engine_job
    {
        match ferry_exec::factory::engine_job_state(&profile, job).await {
            Ok(Some(s)) => outln!(
                "engine job: {job} {}{}{}",
                s.status,
                if s.attempts > 1 {
                    format!(" (attempt {})", s.attempts)
                } else {
                    String::new()
                },
                s.reason.map(|r| format!(": {r}")).unwrap_or_default()
            ),
            Ok(None) => outln!("engine job: {job} (Batch no longer knows it)"),
            Err(e) => outln!("engine job: {job} (cannot describe it: {e:#})"),
        }
    }
    if let Some(p) = &progress {
        outln!("progress ({}):", ago(p["updated_ms"].as_u64().unwrap_or(0)));
        for c in p["calls"].as_array().into_iter().flatten() {
            let n = |k: &str| c[k].as_u64().unwrap_or(0);
            outln!(
                "  {} {}/{} done ({} running, {} queued, {} cached, {} failed)",
                c["name"].as_str().unwrap_or("?"),
                n("done"),
                n("total"),
                n("running"),
                n("queued"),
                n("cached"),
                n("failed")
            );
        }
    }
    if run.state == "succeeded"
        && let Ok(Some(outputs)) = home.read_outputs().await
    {
        outln!(
            "outputs:\n{}",
            serde_json::to_string_pretty(&outputs).unwrap_or_default()
        );
    }
    0
}

/// `ferry cancel RUN_ID --profile P`: asks the engine driving the run, wherever it is, to stop
/// it as Ctrl-C would (its jobs terminated, finished work kept for `--resume`).
pub(crate) async fn cancel_command(
    config: Option<&Path>,
    profiles: &[String],
    run_id: &str,
) -> i32 {
    let (home, run, _) = match stored_run(config, profiles, run_id).await {
        Ok(r) => r,
        Err((code, e)) => {
            errln!("ferry: {e}");
            return code;
        }
    };
    if run.state != "running" && run.state != "submitted" {
        errln!("ferry: run {run_id} is not running ({})", run.state);
        return 1;
    }
    if let Err(e) = home.request_cancel().await {
        errln!("ferry: {e}");
        return 1;
    }
    errln!(
        "ferry: asked run {run_id} to stop; its engine looks every {}s (`ferry status {run_id}` follows it)",
        run_state::ship::EVERY.as_secs()
    );
    0
}
