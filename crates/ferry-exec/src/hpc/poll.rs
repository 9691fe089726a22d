//! Polling: `done/` markers read every second, the scheduler asked once per poll interval about all
//! of the run's jobs, accounting asked once per job that left without `rc`, and each attempt's
//! outcome made from what was learned; cancellation in bulk.

use super::*;

pub(crate) fn humantime_short(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

/// The resource use the job helper recorded: `wall_ms user_ms system_ms max_rss_kib`.
pub(crate) fn read_usage(path: &Path) -> Option<ResourceUse> {
    let text = std::fs::read_to_string(path).ok()?;
    let n: Vec<u64> = text
        .split_whitespace()
        .map(|w| w.parse().ok())
        .collect::<Option<_>>()?;
    let [wall, user, system, rss] = n[..] else {
        return None;
    };
    Some(ResourceUse {
        wall: Duration::from_millis(wall),
        user_cpu: Duration::from_millis(user),
        system_cpu: Duration::from_millis(system),
        max_rss: Some(rss * 1024),
    })
}

impl Inner {
    /// Settles one element and forgets its job when it was the last.
    pub(crate) fn settle(t: &mut Tracking, job: &str, pos: usize, end: JobEnd) {
        let Some(elements) = t.jobs.get_mut(job) else {
            return;
        };
        let Some(e) = elements.get_mut(pos) else {
            return;
        };
        let end = match end {
            JobEnd::Wrote { .. } => JobEnd::Wrote {
                job: job.to_string(),
                index: e.index,
            },
            other => other,
        };
        if let Some(done) = e.done.take() {
            let _ = done.send((end, e.log.clone()));
        }
        t.by_marker.remove(&e.marker);
        if elements.iter().all(|e| e.done.is_none()) {
            t.jobs.remove(job);
        }
    }

    pub(crate) async fn poller(self: Arc<Self>) {
        let mut cancelled = self.base.cancellation();
        let mut last_status = Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(MARKER_INTERVAL) => {}
                _ = cancelled.wait_for(|c| *c) => return,
            }
            self.read_markers();
            let busy = self
                .tracking
                .lock()
                .map(|t| !t.jobs.is_empty())
                .unwrap_or(false);
            if busy && last_status.elapsed() >= self.settings.poll_interval {
                last_status = Instant::now();
                if let Err(e) = self.poll().await {
                    tracing::warn!("{}: {e:#}", self.scheduler.name());
                }
            }
        }
    }

    /// Settles every element whose job dropped its marker.
    pub(crate) fn read_markers(&self) {
        let done = self.state_dir.join("done");
        let Ok(entries) = std::fs::read_dir(&done) else {
            return;
        };
        let names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        if names.is_empty() {
            return;
        }
        let Ok(mut t) = self.tracking.lock() else {
            return;
        };
        for name in names {
            if let Some((job, pos)) = t.by_marker.get(&name).cloned() {
                let _ = std::fs::remove_file(done.join(&name));
                Inner::settle(&mut t, &job, pos, JobEnd::wrote());
            }
        }
    }

    /// The one status query of a poll, and what follows from it.
    pub(crate) async fn poll(&self) -> Result<()> {
        let out = self.command(&self.scheduler.status(&self.user)).await?;
        let listed = self.scheduler.parse_status(&out);
        let mut state: HashMap<(String, Option<usize>), ListedState> = HashMap::new();
        for l in listed {
            if self.ours(&l.name).is_some() {
                state.insert((l.job, l.index), l.state);
            }
        }
        // Elements that may be over: settled here, or after their accounting is read.
        let mut unsure: Vec<Unsettled> = Vec::new();
        let mut stuck: Vec<(String, Option<usize>)> = Vec::new();
        {
            let Ok(mut t) = self.tracking.lock() else {
                return Ok(());
            };
            let mut wrote = Vec::new();
            for (job, elements) in t.jobs.iter_mut() {
                for (pos, e) in elements.iter_mut().enumerate() {
                    if e.done.is_none() {
                        continue;
                    }
                    let listed = state.get(&(job.clone(), e.index));
                    let is_stuck = matches!(listed, Some(ListedState::Stuck(_)));
                    match listed {
                        Some(ListedState::Active) => {
                            e.absent = 0;
                            continue;
                        }
                        Some(ListedState::Stuck(why)) => {
                            stuck.push((job.clone(), e.index));
                            e.ended = Some(Fate::other(why));
                        }
                        Some(ListedState::Ended(f)) => e.ended = Some(f.clone()),
                        None => {}
                    }
                    if e.attempt_dir.join("rc").exists() {
                        wrote.push((job.clone(), pos));
                        continue;
                    }
                    e.absent += 1;
                    // A kill the scheduler named needs no grace: the job wrote no rc.
                    let named = e.ended.as_ref().is_some_and(|f| f.oom || f.time);
                    if e.absent >= ABSENT_POLLS || named || is_stuck {
                        unsure.push(Unsettled {
                            job: job.clone(),
                            pos,
                            index: e.index,
                            log: e.log.clone(),
                            ended: e.ended.clone(),
                            absent: e.absent,
                        });
                    }
                }
            }
            for (job, pos) in wrote {
                Inner::settle(&mut t, &job, pos, JobEnd::wrote());
            }
        }
        for (job, index) in stuck {
            let _ = self
                .command(&self.scheduler.cancel_element(&job, index))
                .await;
        }
        for Unsettled {
            job,
            pos,
            index,
            log,
            ended,
            absent,
        } in unsure
        {
            let from_log = std::fs::read_to_string(&log)
                .ok()
                .and_then(|text| self.scheduler.log_fate(&text));
            // Settled as lost: neither the queue nor accounting knows how it ended.
            let mut lost = false;
            let fate = match (from_log, ended) {
                // The log names memory and time kills that the state alone does not.
                (Some(f), _) if f.oom || f.time => Some(f),
                (_, Some(f)) => Some(f),
                (f, None) => match self.accounted(&job, index).await {
                    Some(a) => Some(a),
                    None if absent >= ABSENT_POLLS + ACCOUNTING_PATIENCE => {
                        lost = true;
                        Some(f.unwrap_or_else(|| {
                            Fate::other(&format!(
                                "the job left the queue without writing its rc, and {} has no record of it (its log: {})",
                                self.scheduler.name(),
                                log.display()
                            ))
                        }))
                    }
                    None => None,
                },
            };
            if let Some(fate) = fate
                && let Ok(mut t) = self.tracking.lock()
            {
                Inner::settle(&mut t, &job, pos, JobEnd::Fate(fate));
            }
            if lost {
                // In case the scheduler still runs it somewhere: it must not write into an
                // attempt directory a retry may reuse. (Ended and stuck elements need none.)
                let _ = self
                    .command(&self.scheduler.cancel_element(&job, index))
                    .await;
            }
        }
        Ok(())
    }

    /// How an element that wrote a signal's exit ended, as the scheduler's accounting says once
    /// it knows: asked again for up to `VERDICT_PATIENCE` (records lag the job's end).
    pub(crate) async fn verdict(&self, job: &str, index: Option<usize>) -> Option<Fate> {
        let deadline = Instant::now() + VERDICT_PATIENCE;
        loop {
            if let Some(f) = self.accounted(job, index).await {
                return Some(f);
            }
            if Instant::now() >= deadline || self.base.is_cancelled() {
                return None;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// What accounting says of an element; each job is asked about once, and again for an
    /// element of an array that ended after the last answer.
    pub(crate) async fn accounted(&self, job: &str, index: Option<usize>) -> Option<Fate> {
        let known = self.accounting.lock().ok()?.get(job).cloned();
        let known = known.filter(|out| self.scheduler.parse_accounting(out, job, index).is_some());
        let out = match known {
            Some(out) => out,
            None => {
                let mut out = String::new();
                for q in self.scheduler.accounting(job) {
                    if let Ok(o) = self.command(&q).await
                        && self.scheduler.parse_accounting(&o, job, index).is_some()
                    {
                        out = o;
                        break;
                    }
                }
                // An empty answer is asked again at a later poll (records may lag).
                if !out.is_empty()
                    && let Ok(mut a) = self.accounting.lock()
                {
                    a.insert(job.to_string(), out.clone());
                }
                out
            }
        };
        self.scheduler.parse_accounting(&out, job, index)
    }

    /// Cancels every job in flight (and what an earlier engine left), in bulk.
    pub(crate) async fn cancel_everything(&self) {
        let mut ids: HashSet<String> = self
            .tracking
            .lock()
            .map(|t| t.jobs.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(orphans) = self
            .base
            .with_orphans(|o| o.values().map(|o| o.job.clone()).collect::<Vec<_>>())
        {
            ids.extend(orphans);
        }
        let ids: Vec<String> = ids.into_iter().collect();
        for chunk in ids.chunks(CANCEL_CHUNK) {
            if let Err(e) = self.command(&self.scheduler.cancel(chunk)).await {
                tracing::warn!("{}: {e:#}", self.scheduler.name());
            }
        }
        if !ids.is_empty() {
            tracing::info!("{}: cancelled {} job(s)", self.scheduler.name(), ids.len());
        }
    }

    /// The outcome of an attempt whose job ended.
    pub(crate) fn outcome(
        &self,
        spec: &AttemptSpec,
        end: JobEnd,
        log: &Path,
        started: Instant,
    ) -> Result<AttemptOutcome, ExecError> {
        let wall = started.elapsed();
        match end {
            JobEnd::Rejected { message, transient } => Err(if transient {
                ExecError::Transient(anyhow!(message))
            } else {
                ExecError::Permanent(anyhow!(message))
            }),
            JobEnd::Wrote { .. } => {
                let rc: Option<i32> = std::fs::read_to_string(spec.attempt_dir.join("rc"))
                    .ok()
                    .and_then(|t| t.trim().parse().ok());
                // A job the scheduler signalled (time limit: SIGTERM first) can drop its marker
                // without an rc: its log then says why.
                let named = std::fs::read_to_string(log)
                    .ok()
                    .and_then(|t| self.scheduler.log_fate(&t))
                    .filter(|f| f.oom || f.time);
                let rc = match (rc, named) {
                    (None, Some(f)) => return self.outcome(spec, JobEnd::Fate(f), log, started),
                    (Some(rc), Some(f)) if !(0..128).contains(&rc) => {
                        return self.outcome(spec, JobEnd::Fate(f), log, started);
                    }
                    (rc, _) => rc.unwrap_or(-1),
                };
                // The job helper's rusage; for a container, its own cgroup's counters.
                let usage = read_usage(&spec.attempt_dir.join("usage")).unwrap_or_else(|| {
                    let (max_rss, cpu) = crate::container::container_usage(&spec.attempt_dir);
                    ResourceUse {
                        wall,
                        user_cpu: cpu.unwrap_or_default(),
                        system_cpu: Duration::ZERO,
                        max_rss,
                    }
                });
                // A process the kernel or the scheduler killed for memory, in a job that went on
                // (the scheduler's log says so, or a container's own cgroup counted the kill).
                let oom = (rc == 137 || rc == 9)
                    && (crate::container::oom_killed(&spec.attempt_dir)
                        || std::fs::read_to_string(log)
                            .ok()
                            .and_then(|t| self.scheduler.log_fate(&t))
                            .is_some_and(|f| f.oom));
                Ok(AttemptOutcome {
                    exit_code: rc,
                    oom,
                    usage,
                    lost: None,
                    preempted: false,
                })
            }
            JobEnd::Fate(f) => Ok(AttemptOutcome {
                exit_code: 137,
                oom: f.oom,
                preempted: !f.oom && crate::is_preemption(&f.message),
                usage: ResourceUse {
                    wall,
                    ..ResourceUse::default()
                },
                lost: (!f.oom).then(|| {
                    let limit = if f.time {
                        spec.time
                            .or(self.settings.time)
                            .map(|t| format!(" of {}", humantime_short(t)))
                            .unwrap_or_default()
                    } else {
                        String::new()
                    };
                    format!("{}{limit} (scheduler log: {})", f.message, log.display())
                }),
            }),
        }
    }
}
