//! Polling: DescribeJobs about everything in flight (100 ids a call), an array's children listed
//! only when its summary moved, and jobs Batch no longer knows settled as lost.

use super::*;

impl Inner {
    /// Every poll interval: DescribeJobs for everything in flight (100 ids a call), ListJobs
    /// for the children of arrays whose summary moved.
    pub(crate) async fn poller(self: Arc<Self>) {
        let mut cancelled = self.base.cancellation();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = cancelled.wait_for(|c| *c) => return,
            }
            let ids: Vec<String> = match self.jobs.lock() {
                Ok(j) => j.keys().cloned().collect(),
                Err(_) => return,
            };
            for chunk in ids.chunks(DESCRIBE_BATCH) {
                if let Err(e) = self.poll(chunk).await {
                    tracing::warn!("polling AWS Batch: {e:#}");
                }
            }
        }
    }

    pub(crate) async fn poll(&self, ids: &[String]) -> Result<()> {
        let out = self
            .call("DescribeJobs", || {
                self.client
                    .describe_jobs()
                    .set_jobs(Some(ids.to_vec()))
                    .send()
            })
            .await?;
        for id in self.settle_missing(ids, out.jobs()) {
            // Whatever Batch says, a job Ferry no longer waits for must not run on.
            self.terminate(&id).await;
        }
        for id in self.settle_unstarted(out.jobs()).await {
            self.terminate(&id).await;
            self.terminate_children(&id).await;
        }
        for job in out.jobs() {
            let id = job.job_id().unwrap_or_default().to_string();
            let status = job.status();
            let reason = adopt::reason_of(
                job.status_reason(),
                job.container().and_then(|c| c.reason()),
            );
            let summary_ended = job
                .array_properties()
                .and_then(|a| a.status_summary())
                .map(|s| {
                    s.get("SUCCEEDED").copied().unwrap_or(0) as i64
                        + s.get("FAILED").copied().unwrap_or(0) as i64
                });
            // Untracked: settled meanwhile. `None`: a single job. `Some`: an array.
            let tracked = self.jobs.lock().ok().and_then(|j| {
                j.get(&id).map(|t| match t {
                    Tracked::Array {
                        ended,
                        children,
                        listed,
                        ..
                    } => Some((*ended, children.len(), *listed)),
                    Tracked::Single(_) => None,
                })
            });
            let Some(array) = tracked else { continue };
            if let Some((ended_before, size, listed)) = array {
                // Listing a big array's children is many pages (1,000 a page, and every
                // listing pages through all that ended so far): while it is still running, list
                // them every (size / 1,000) intervals, or sooner once a quarter of the array more
                // have ended (their shards' successors wait for it: the engine keeps at most a
                // scatter window of shards live): a 10,000-child array about five times.
                let spacing = self.settings.poll_interval * (size / 1000).max(1) as u32;
                let quarter = (size as i64 / 4).max(1000);
                let all_ended = summary_ended.is_some_and(|n| n >= size as i64);
                let moved = summary_ended.is_none_or(|n| n > ended_before);
                let fresh = summary_ended.map_or(0, |n| n - ended_before);
                if (moved && (listed.elapsed() >= spacing || fresh >= quarter))
                    || all_ended
                    || is_terminal(status)
                {
                    self.poll_children(&id).await?;
                    if let Ok(mut jobs) = self.jobs.lock()
                        && let Some(Tracked::Array { ended, listed, .. }) = jobs.get_mut(&id)
                    {
                        *listed = Instant::now();
                        if let Some(n) = summary_ended {
                            *ended = n;
                        }
                    }
                }
            } else if is_terminal(status) {
                let tracked = self.jobs.lock().ok().and_then(|mut j| j.remove(&id));
                if let Some(Tracked::Single(done)) = tracked {
                    let _ = done.send(JobEnd {
                        job_id: id,
                        failed: status == Some(&JobStatus::Failed),
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// Jobs that have waited to start. A job merely waiting (no reason, `CAPACITY:` reasons,
    /// fair share, a Spot drought: an ordinary wait behind a busy queue) waits on; every
    /// `start_timeout` Ferry asks why, and fails its attempts, naming the queue, the request
    /// and the reason, only when it can never start: Batch says `MISCONFIGURATION:` or
    /// `CLIENT_ERROR` (of an array, its RUNNABLE children say), or the queue or all its
    /// compute environments are disabled or invalid. `max_queue_wait`, when set, bounds any
    /// wait. Returns the ids so settled, to terminate. A job some child of which started is no
    /// longer watched.
    pub(crate) async fn settle_unstarted(
        &self,
        got: &[aws_sdk_batch::types::JobDetail],
    ) -> Vec<String> {
        // (id, queue, request, how long it has waited, what the job itself says, an array?)
        let mut due = Vec::new();
        {
            let Ok(mut waiting) = self.waiting.lock() else {
                return Vec::new();
            };
            for job in got {
                let Some(id) = job.job_id() else { continue };
                let Some(w) = waiting.get_mut(id) else {
                    continue;
                };
                let summary = job.array_properties().and_then(|a| a.status_summary());
                let started = match summary {
                    Some(s) => ["STARTING", "RUNNING", "SUCCEEDED", "FAILED"]
                        .iter()
                        .any(|k| s.get(*k).copied().unwrap_or(0) > 0),
                    None => !matches!(
                        job.status(),
                        Some(JobStatus::Submitted | JobStatus::Pending | JobStatus::Runnable)
                    ),
                };
                if started {
                    waiting.remove(id);
                    continue;
                }
                let over_max = self
                    .settings
                    .max_queue_wait
                    .is_some_and(|m| w.since.elapsed() >= m);
                if w.asked.elapsed() < self.settings.start_timeout && !over_max {
                    continue;
                }
                w.asked = Instant::now();
                due.push((
                    id.to_string(),
                    w.queue.clone(),
                    w.request.clone(),
                    w.since.elapsed(),
                    job.status_reason().map(str::to_string),
                    summary.is_some(),
                ));
            }
        }
        let mut queues: HashMap<String, Option<String>> = HashMap::new();
        let mut stuck: Vec<(String, String)> = Vec::new();
        for (id, queue, request, waited, said, array) in due {
            let mut said = said;
            if array && !said.as_deref().is_some_and(never_starts) {
                said = self.a_waiting_childs_reason(&id).await.or(said);
            }
            let waited_for = humantime::format_duration(Duration::from_secs(waited.as_secs()));
            if let Some(reason) = said.as_deref().filter(|r| never_starts(r)) {
                stuck.push((
                    id.clone(),
                    format!(
                        "job {id} cannot start {request}: Batch says {reason}; check the request against the queue's compute environments"
                    ),
                ));
                continue;
            }
            if !queues.contains_key(&queue) {
                let unusable = self.queue_unusable(&queue).await;
                queues.insert(queue.clone(), unusable);
            }
            if let Some(Some(why)) = queues.get(&queue) {
                stuck.push((
                    id.clone(),
                    format!("job {id} cannot start {request}: {why}"),
                ));
                continue;
            }
            if let Some(max) = self.settings.max_queue_wait
                && waited >= max
            {
                let said = said
                    .map(|r| format!("; Batch says {r}"))
                    .unwrap_or_default();
                stuck.push((
                    id.clone(),
                    format!(
                        "job {id} waited {waited_for} to start {request}, longer than batch.max_queue_wait{said}"
                    ),
                ));
                continue;
            }
            tracing::info!(
                "job {id} has waited {waited_for} to start {request}{}: a busy queue, waited for",
                said.map(|r| format!(" ({r})")).unwrap_or_default()
            );
        }
        if let Ok(mut waiting) = self.waiting.lock() {
            for (id, _) in &stuck {
                waiting.remove(id);
            }
        }
        stuck
            .into_iter()
            .filter(|(id, reason)| self.fail_tracked(id, reason))
            .map(|(id, _)| id)
            .collect()
    }

    /// What a RUNNABLE child of array `parent` says about its wait (Batch puts a request's
    /// `MISCONFIGURATION:` reason on the children, not always on the parent).
    async fn a_waiting_childs_reason(&self, parent: &str) -> Option<String> {
        let page = self
            .call("ListJobs", || {
                self.client
                    .list_jobs()
                    .array_job_id(parent)
                    .job_status(JobStatus::Runnable)
                    .max_results(1)
                    .send()
            })
            .await
            .ok()?;
        page.job_summary_list()
            .first()
            .and_then(|j| j.status_reason())
            .map(str::to_string)
    }

    /// Why `queue` can never start a job, if it cannot: it, or every compute environment it
    /// has, is disabled or invalid. `None` when it can, or cannot be described.
    async fn queue_unusable(&self, queue: &str) -> Option<String> {
        let (q, ces) = self.describe_queue(queue).await.ok()??;
        use aws_sdk_batch::types::{CeState, CeStatus, JqState, JqStatus};
        if q.state() == Some(&JqState::Disabled) || q.status() == Some(&JqStatus::Invalid) {
            return Some(format!(
                "queue {queue} is {}{}",
                if q.state() == Some(&JqState::Disabled) {
                    "DISABLED"
                } else {
                    "INVALID"
                },
                q.status_reason()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
        }
        let dead = |c: &aws_sdk_batch::types::ComputeEnvironmentDetail| {
            c.state() == Some(&CeState::Disabled) || c.status() == Some(&CeStatus::Invalid)
        };
        (!ces.is_empty() && ces.iter().all(dead)).then(|| {
            format!(
                "every compute environment of queue {queue} is disabled or invalid ({})",
                ces.iter()
                    .map(|c| c.compute_environment_name().unwrap_or("?"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// The progress line's note: attempts submitted to Batch that have not started, and the
    /// longest wait among them.
    pub(crate) fn waiting_note(&self) -> Option<String> {
        let waiting = self.waiting.lock().ok()?;
        let n: usize = waiting.values().map(|w| w.attempts).sum();
        let longest = waiting.values().map(|w| w.since.elapsed()).max()?;
        (n > 0 && longest >= Duration::from_secs(60)).then(|| {
            format!(
                "{n} queued on Batch for {}",
                humantime::format_duration(Duration::from_secs(longest.as_secs() / 60 * 60))
            )
        })
    }

    /// Stops tracking job `id` and fails every attempt still waiting on it with `reason`.
    /// False when it was no longer tracked.
    fn fail_tracked(&self, id: &str, reason: &str) -> bool {
        let Some(tracked) = self.jobs.lock().ok().and_then(|mut j| j.remove(id)) else {
            return false;
        };
        tracing::warn!("{reason}");
        let senders = match tracked {
            Tracked::Single(done) => vec![done],
            Tracked::Array { children, .. } => children.into_iter().flatten().collect(),
        };
        for done in senders {
            let _ = done.send(JobEnd {
                job_id: id.to_string(),
                failed: true,
                reason: Some(reason.to_string()),
            });
        }
        true
    }

    /// A tracked job that DescribeJobs stops returning (Batch forgets finished jobs after a
    /// day; an id can also be wrong) would be waited for forever: after [`LOST_AFTER_POLLS`]
    /// polls in a row without it, its attempts fail as lost. Returns the ids so settled.
    pub(crate) fn settle_missing(
        &self,
        asked: &[String],
        got: &[aws_sdk_batch::types::JobDetail],
    ) -> Vec<String> {
        let returned: HashSet<&str> = got.iter().filter_map(|j| j.job_id()).collect();
        let mut lost = Vec::new();
        if let Ok(mut missing) = self.missing.lock() {
            for id in asked {
                if returned.contains(id.as_str()) {
                    missing.remove(id);
                    continue;
                }
                let n = missing.entry(id.clone()).or_insert(0);
                *n += 1;
                if *n >= LOST_AFTER_POLLS {
                    missing.remove(id);
                    lost.push(id.clone());
                }
            }
        }
        lost.retain(|id| {
            self.fail_tracked(
                id,
                &format!(
                    "AWS Batch no longer knows job {id}: DescribeJobs did not return it {LOST_AFTER_POLLS} polls in a row"
                ),
            )
        });
        lost
    }

    /// Every child of the array `parent` that is in `status`, page by page.
    pub(crate) async fn children(
        &self,
        parent: &str,
        status: JobStatus,
    ) -> Result<Vec<JobSummary>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .call("ListJobs", || {
                    self.client
                        .list_jobs()
                        .array_job_id(parent)
                        .job_status(status.clone())
                        .max_results(1000)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            out.extend(page.job_summary_list().iter().cloned());
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Lists the array's ended children (SUCCEEDED, then FAILED) and settles the new ones.
    pub(crate) async fn poll_children(&self, parent: &str) -> Result<()> {
        for status in [JobStatus::Succeeded, JobStatus::Failed] {
            let ended = self.children(parent, status.clone()).await?;
            let mut jobs = self
                .jobs
                .lock()
                .map_err(|_| anyhow!("job table poisoned"))?;
            let Some(Tracked::Array { children, open, .. }) = jobs.get_mut(parent) else {
                return Ok(());
            };
            for child in &ended {
                let id = child.job_id().unwrap_or_default();
                let Some(done) = adopt::child_index(child)
                    .and_then(|i| children.get_mut(i))
                    .and_then(Option::take)
                else {
                    continue;
                };
                *open -= 1;
                let reason = adopt::reason_of(
                    child.status_reason(),
                    child.container().and_then(|c| c.reason()),
                );
                let _ = done.send(JobEnd {
                    job_id: id.to_string(),
                    failed: status == JobStatus::Failed,
                    reason,
                });
            }
            if *open == 0 {
                jobs.remove(parent);
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Whether Batch's reason for a job's wait says it can never start.
fn never_starts(reason: &str) -> bool {
    reason.starts_with("MISCONFIGURATION:") || reason.contains("CLIENT_ERROR")
}
