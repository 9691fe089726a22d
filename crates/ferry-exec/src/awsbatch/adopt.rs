//! Jobs an earlier engine of this run left: after `kill -9` the jobs go on, and `--resume` must
//! wait for those still queued or running and take the results of those that ended, not
//! submit them again (twice the bill, and two jobs writing one attempt's results).
//!
//! Every submission leaves a record in `RUN/.ferry-batch/` before SubmitJob is sent:
//! `<n>.list` holds the queue and the job's name (unique in the run: `…-<run id>-<n>`), then
//! the attempt directory of each array index; `<n>.id` holds the job id once Batch answered. A
//! resumed engine reads the records, finds a job without an id by its name, asks Batch how each
//! job (and each array child) stands, and keeps what it learns by attempt directory until
//! `run` claims it.

use super::*;

/// The records' directory, in the run directory.
pub const STATE_DIR: &str = ".ferry-batch";

/// The run's state in the store, under its prefix (see `ferry_engine::run_state`).
pub const STATE_HOME: &str = ".ferry/";

/// The submission records there, under the state.
pub const STORED_RECORDS: &str = "batch/";

/// A job of an earlier engine, for one attempt.
#[derive(Clone, Debug)]
pub(crate) struct Orphan {
    /// The job's id, or its array's.
    pub job: String,
    /// The attempt's index in the array, and the array's size.
    pub index: Option<(usize, usize)>,
    /// How it ended, if it did.
    pub end: Option<JobEnd>,
}

impl Orphan {
    /// The id Batch knows the attempt's own job by (an array child is `<array>:<index>`).
    fn own_id(&self) -> String {
        match self.index {
            Some((i, _)) => format!("{}:{i}", self.job),
            None => self.job.clone(),
        }
    }
}

/// One past the highest submission number the run directory already used.
pub(crate) fn next_submission(state_dir: &Path) -> u64 {
    records(state_dir).last().map_or(0, |(n, _)| n + 1)
}

/// The numbers of the submissions recorded, in order, with their `.list` files.
fn records(state_dir: &Path) -> Vec<(u64, PathBuf)> {
    let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(state_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e
                .file_name()
                .to_str()?
                .strip_suffix(".list")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// A submission as recorded.
struct Record {
    queue: String,
    name: String,
    dirs: Vec<PathBuf>,
    id: Option<String>,
}

fn read_record(state_dir: &Path, n: u64, list: &Path) -> Option<Record> {
    let text = std::fs::read_to_string(list).ok()?;
    let mut lines = text.lines();
    let (queue, name) = lines.next()?.split_once('\t')?;
    let id = std::fs::read_to_string(state_dir.join(format!("{n}.id")))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Some(Record {
        queue: queue.to_string(),
        name: name.to_string(),
        dirs: lines.map(PathBuf::from).collect(),
        id,
    })
}

impl Inner {
    /// Records submission `n` before it is sent: on disk, and in the run's state in the store
    /// (attempt directories relative to the run directory there), where an engine on another
    /// machine resuming the run finds it.
    pub(crate) async fn record_submission(
        &self,
        n: u64,
        queue: &str,
        name: &str,
        items: &[Pending],
    ) -> Result<()> {
        let mut text = format!("{queue}\t{name}\n");
        let mut stored = text.clone();
        let run_dir = self.state_dir.parent().unwrap_or(&self.state_dir);
        for p in items {
            text.push_str(&p.manifest.attempt_dir);
            text.push('\n');
            let dir = Path::new(&p.manifest.attempt_dir);
            stored.push_str(&dir.strip_prefix(run_dir).unwrap_or(dir).to_string_lossy());
            stored.push('\n');
        }
        let path = self.state_dir.join(format!("{n}.list"));
        // On disk (file and name) before SubmitJob is sent: a machine that loses power right
        // after must still know the job exists.
        write_synced(&self.state_dir, &path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        let url = format!("{}{STORED_RECORDS}{n}.list", self.state_home());
        self.storage
            .write(&url, stored.into_bytes())
            .await
            .with_context(|| format!("cannot record the submission in the run's state at {url}"))
    }

    /// Records the id Batch gave submission `n`.
    pub(crate) async fn record_job_id(&self, n: u64, id: &str) {
        let path = self.state_dir.join(format!("{n}.id"));
        if let Err(e) = write_synced(&self.state_dir, &path, id.as_bytes()) {
            // The record's name still finds the job.
            tracing::warn!("cannot write {}: {e}", path.display());
        }
        let url = format!("{}{STORED_RECORDS}{n}.id", self.state_home());
        if let Err(e) = self.storage.write(&url, id.as_bytes().to_vec()).await {
            tracing::warn!("{e:#}");
        }
    }

    /// The run's state in the store.
    fn state_home(&self) -> String {
        format!("{}{STATE_HOME}", self.run_prefix)
    }

    /// Reads the records an earlier engine of this run left and asks Batch where each of
    /// their jobs stands.
    pub(crate) async fn find_orphans(&self) -> Result<()> {
        let mut found: HashMap<PathBuf, Orphan> = HashMap::new();
        let mut jobs: Vec<(String, Record)> = Vec::new();
        for (n, list) in records(&self.state_dir) {
            let Some(r) = read_record(&self.state_dir, n, &list) else {
                continue;
            };
            // Collected by the engine that submitted it (its `rc` came down): nothing to ask.
            if r.dirs.iter().all(|d| d.join("rc").exists()) {
                continue;
            }
            let id = match &r.id {
                Some(id) => Some(id.clone()),
                // Killed before Batch answered: the job may exist all the same.
                // A job submitted just before the engine died may take a moment to be listed,
                // as after a timed-out SubmitJob: asked as often.
                None => self.find_job(&r.queue, &r.name, 3).await?,
            };
            if let Some(id) = id {
                jobs.push((id, r));
            }
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = jobs.iter().map(|(id, _)| id.clone()).collect();
        let mut status: HashMap<String, (Option<JobStatus>, Option<String>)> = HashMap::new();
        for chunk in ids.chunks(DESCRIBE_BATCH) {
            let out = self
                .call("DescribeJobs", || {
                    self.client
                        .describe_jobs()
                        .set_jobs(Some(chunk.to_vec()))
                        .send()
                })
                .await
                .context(
                    "cannot ask AWS Batch about the jobs an earlier engine of this run left",
                )?;
            for j in out.jobs() {
                status.insert(
                    j.job_id().unwrap_or_default().to_string(),
                    (
                        j.status().cloned(),
                        reason_of(j.status_reason(), j.container().and_then(|c| c.reason())),
                    ),
                );
            }
        }
        for (id, r) in jobs {
            // Batch forgets jobs after a day or so: such an attempt simply runs again.
            let Some((state, reason)) = status.remove(&id) else {
                continue;
            };
            if r.dirs.len() == 1 {
                let end = is_terminal(state.as_ref()).then(|| JobEnd {
                    job_id: id.clone(),
                    failed: state == Some(JobStatus::Failed),
                    reason,
                });
                found.insert(
                    r.dirs[0].clone(),
                    Orphan {
                        job: id,
                        index: None,
                        end,
                    },
                );
                continue;
            }
            for (index, end) in self.children_now(&id).await? {
                if let Some(dir) = r.dirs.get(index) {
                    found.insert(
                        dir.clone(),
                        Orphan {
                            job: id.clone(),
                            index: Some((index, r.dirs.len())),
                            end,
                        },
                    );
                }
            }
        }
        let live = found.values().filter(|o| o.end.is_none()).count();
        if live > 0 {
            tracing::info!(
                "AWS Batch: {live} job(s) of an earlier engine of this run are still queued or running: waited for, not run again"
            );
        }
        if found.len() > live {
            tracing::info!(
                "AWS Batch: {} job(s) of an earlier engine of this run ended after it stopped: their results are taken",
                found.len() - live
            );
        }
        self.base.set_orphans(found);
        Ok(())
    }

    /// Every child of the array `parent`, by index, with how it ended if it did.
    async fn children_now(&self, parent: &str) -> Result<Vec<(usize, Option<JobEnd>)>> {
        let mut out = Vec::new();
        for status in LIVE_STATES
            .into_iter()
            .chain([JobStatus::Succeeded, JobStatus::Failed])
        {
            let terminal = is_terminal(Some(&status));
            for child in self.children(parent, status.clone()).await? {
                let id = child.job_id().unwrap_or_default().to_string();
                let Some(index) = child_index(&child) else {
                    continue;
                };
                let end = terminal.then(|| JobEnd {
                    job_id: id,
                    failed: status == JobStatus::Failed,
                    reason: reason_of(
                        child.status_reason(),
                        child.container().and_then(|c| c.reason()),
                    ),
                });
                out.push((index, end));
            }
        }
        Ok(out)
    }

    /// Waits for an earlier engine's job as for one submitted now.
    pub(crate) fn track_orphan(&self, o: Orphan, done: oneshot::Sender<JobEnd>) {
        let Ok(mut jobs) = self.jobs.lock() else {
            return;
        };
        match o.index {
            None => {
                jobs.insert(o.job, Tracked::Single(done));
            }
            Some((index, size)) => {
                let entry = jobs.entry(o.job).or_insert_with(|| Tracked::Array {
                    children: (0..size).map(|_| None).collect(),
                    open: 0,
                    ended: 0,
                    listed: Instant::now(),
                });
                if let Tracked::Array { children, open, .. } = entry
                    && let Some(slot) = children.get_mut(index)
                {
                    *slot = Some(done);
                    *open += 1;
                }
            }
        }
    }

    /// Terminates an earlier engine's job that this run does not wait for (its command changed,
    /// or nothing claimed it before the run ended).
    pub(crate) async fn terminate_orphan(&self, o: &Orphan) {
        if o.end.is_none() {
            self.terminate(&o.own_id()).await;
        }
    }

    /// Terminates the earlier engine's jobs nothing claimed.
    pub(crate) async fn terminate_unclaimed(&self) {
        let left: Vec<Orphan> = self
            .base
            .unclaimed()
            .into_iter()
            .filter(|o| o.end.is_none())
            .collect();
        if left.is_empty() {
            return;
        }
        tracing::info!(
            "terminating {} AWS Batch job(s) an earlier engine of this run left and this run did not use",
            left.len()
        );
        futures_util::stream::iter(left)
            .map(|o| async move { self.terminate_orphan(&o).await })
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await;
    }
}

/// Why Batch says a job ended, if it says.
pub(crate) fn reason_of(
    status_reason: Option<&str>,
    container_reason: Option<&str>,
) -> Option<String> {
    status_reason
        .or(container_reason)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

/// An array child's index (moto leaves `arrayProperties` out: the id's suffix says it).
pub(crate) fn child_index(child: &JobSummary) -> Option<usize> {
    child
        .array_properties()
        .and_then(|a| a.index())
        .map(|i| i as usize)
        .or_else(|| {
            child
                .job_id()?
                .rsplit_once(':')
                .and_then(|(_, i)| i.parse().ok())
        })
}

/// Writes `bytes` to `path` and syncs it and its directory.
fn write_synced(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::File::open(dir)?.sync_all()
}

/// A run directory rebuilt on another machine has the submission records but not the scripts
/// its attempts ran, which adoption compares before taking a job as this run's: each attempt's
/// script comes back from the manifest its job was submitted with (one GET per submission; an
/// array's manifests are one object). Returns how many were written.
pub async fn restore_scripts(
    storage: &ObjectStorage,
    run_prefix: &str,
    run_dir: &Path,
) -> Result<usize> {
    let state_dir = run_dir.join(STATE_DIR);
    let mut written = 0;
    for (n, list) in records(&state_dir) {
        let Some(record) = read_record(&state_dir, n, &list) else {
            continue;
        };
        let manifests: Vec<ferry_stage::Manifest> = if record.dirs.len() == 1 {
            let rel = record.dirs[0]
                .strip_prefix(run_dir)
                .unwrap_or(&record.dirs[0]);
            let url = format!("{run_prefix}{}/manifest.json", rel.to_string_lossy());
            match storage.read(&url).await? {
                Some(bytes) => vec![serde_json::from_slice(&bytes).with_context(|| url.clone())?],
                None => continue,
            }
        } else {
            let url = format!("{run_prefix}arrays/{n}-{}.manifests", record.name);
            let Some(bytes) = storage.read(&url).await? else {
                continue;
            };
            (0..record.dirs.len() as u64)
                .filter_map(|i| {
                    let r = bytes.get(
                        ferry_stage::offsets_range(i).start as usize
                            ..ferry_stage::offsets_range(i).end as usize,
                    )?;
                    let r = ferry_stage::record_range(r)?;
                    serde_json::from_slice(bytes.get(r.start as usize..r.end as usize)?).ok()
                })
                .collect()
        };
        for (dir, manifest) in record.dirs.iter().zip(manifests) {
            let script = dir.join("command");
            if script.exists() {
                continue;
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            std::fs::write(&script, manifest.command)
                .with_context(|| format!("cannot write {}", script.display()))?;
            written += 1;
        }
    }
    Ok(written)
}
