//! Submitting: attempts gathered into array jobs of one shape, their scripts and lists written, the
//! submission made (and looked up by name when it failed ambiguously, or put off while the user's
//! submit limit is reached), and the job tracked.

use super::*;

/// One past the highest submission number a run directory already used.
pub(crate) fn next_submission(state_dir: &Path) -> u64 {
    std::fs::read_dir(state_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let name = name.to_str()?;
            name.strip_suffix(".list")?.parse::<u64>().ok()
        })
        .max()
        .map_or(1, |n| n + 1)
}

/// A file name that says which attempt a marker is for.
pub(crate) fn marker_for(run_dir: &Path, attempt_dir: &Path) -> String {
    let rel = attempt_dir
        .strip_prefix(run_dir)
        .unwrap_or(attempt_dir)
        .to_string_lossy()
        .replace('/', "+");
    if rel.len() > 200 {
        blake3::hash(rel.as_bytes()).to_hex().to_string()
    } else {
        rel
    }
}

/// Submission failures that another try may fix: the controller was busy or unreachable.
/// Submission failures that say the user may not queue more jobs now: waited out, not failed.
pub(crate) fn submit_limit(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "maxsubmitjob",
        "qosmaxsubmitjobperuserlimit",
        "assocmaxsubmitjoblimit",
        "jobs are allowed per user",
        "max_u_jobs",
    ]
    .iter()
    .any(|p| m.contains(p))
}

pub(crate) fn transient_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "socket timed out",
        "unable to contact",
        "temporarily",
        "try again",
        "slurm_load_",
        "connection refused",
        "unable to contact qmaster",
        "commlib error",
        "did not answer",
    ]
    .iter()
    .any(|p| m.contains(p))
}

impl Inner {
    pub(crate) fn shape(&self, spec: &AttemptSpec) -> Shape {
        let s = &self.settings;
        let cluster_options = [
            s.cluster_options.as_deref(),
            spec.cluster_options.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(|o| o.replace('\n', " ").trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
        Shape {
            cpu: spec.cpu.ceil().max(1.0) as u32,
            memory_mib: spec.memory.div_ceil(1 << 20).max(1),
            gpu: spec.gpu,
            time_seconds: spec.time.or(s.time).map(|t| t.as_secs().max(1)),
            queue: spec.queue.clone().or_else(|| s.queue.clone()),
            account: s.account.clone(),
            qos: s.qos.clone(),
            disk_mib: if s.disk_resource.is_some() {
                crate::disks::total_bytes(&spec.disks).div_ceil(1 << 20)
            } else {
                0
            },
            cluster_options,
        }
    }

    pub(crate) fn job_name(&self, call: &str, submission: Option<u64>) -> String {
        let base = format!(
            "{}{}.{}",
            crate::job_name_part(&self.settings.job_name_prefix, '_', 64),
            crate::job_name_part(call, '_', 64),
            self.token
        );
        match submission {
            Some(n) => format!("{base}.{n}"),
            None => base,
        }
    }

    /// Writes the attempt's `command` and `job.sh`.
    pub(crate) fn write_attempt(
        &self,
        spec: &AttemptSpec,
        shape: &Shape,
        marker: &str,
    ) -> Result<()> {
        std::fs::create_dir_all(&spec.work_dir)
            .with_context(|| format!("cannot create {}", spec.work_dir.display()))?;
        for stale in ["rc", "usage"] {
            let _ = std::fs::remove_file(spec.attempt_dir.join(stale));
        }
        std::fs::write(&spec.script, &spec.command)
            .with_context(|| format!("cannot write {}", spec.script.display()))?;
        let call = spec.label.split('[').next().unwrap_or(&spec.label);
        let directives = self.scheduler.directives(
            shape,
            &self.job_name(call, None),
            &spec.attempt_dir.join("scheduler.log"),
            None,
        );
        let text = script::AttemptScript {
            spec,
            directives: &directives,
            run_dir: &self.run_dir,
            done: &self.state_dir.join("done").join(marker),
            helper: &self.settings.job_helper,
            containers: self.settings.containers.as_ref(),
        }
        .render();
        let path = spec.attempt_dir.join("job.sh");
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    }

    pub(crate) async fn submitter(self: Arc<Self>, mut queue: mpsc::UnboundedReceiver<Pending>) {
        while let Some(batch) = crate::gather::next_batch(&mut queue, crate::gather::CLUSTER).await
        {
            for ((shape, call), items) in
                crate::gather::group_by(batch, |p| (p.shape.clone(), p.call.clone()))
            {
                for chunk in crate::gather::chunks(items, self.max_array) {
                    let Some(_submission) = self.base.submission() else {
                        return;
                    };
                    self.submit_chunk(&shape, &call, chunk).await;
                }
            }
        }
    }

    pub(crate) async fn submit_chunk(&self, shape: &Shape, call: &str, items: Vec<Pending>) {
        let n = self.next_submission.fetch_add(1, Ordering::SeqCst);
        let array = (items.len() > 1).then_some(items.len());
        let list = self.state_dir.join(format!("{n}.list"));
        let script_path = self.state_dir.join(format!("{n}.sh"));
        let logs = self.state_dir.join("logs");
        let directives = self.scheduler.directives(
            shape,
            &self.job_name(call, Some(n)),
            &logs.join(self.scheduler.log_name(n, array.is_some())),
            array,
        );
        let mut lines = String::new();
        for p in &items {
            lines.push_str(&p.element.attempt_dir.to_string_lossy());
            lines.push('\n');
        }
        let text = script::submission_script(
            &directives,
            &list,
            array.map(|_| self.scheduler.index_expr()),
        );
        let written = std::fs::write(&list, lines)
            .and_then(|()| std::fs::write(&script_path, text))
            .with_context(|| format!("cannot write {}", script_path.display()));
        let submitted = match written {
            Ok(()) => self.command(&self.scheduler.submit(&script_path)).await,
            Err(e) => Err(e),
        };
        let job = submitted.and_then(|out| {
            self.scheduler.job_id(&out).ok_or_else(|| {
                anyhow!(
                    "{} printed no job id: {}",
                    self.scheduler.name(),
                    out.trim()
                )
            })
        });
        let job = match job {
            Ok(job) => job,
            Err(e) => {
                let message = format!("{} refused the job: {e:#}", self.scheduler.name());
                let transient = transient_failure(&message);
                // A submission that timed out may have created its job all the same: it is
                // looked up by its unique name, never submitted a second time beside it.
                let name = self.job_name(call, Some(n));
                if transient && let Some(job) = self.find_submitted(&name).await {
                    tracing::warn!(
                        "{}: the submission of {name} failed ({e:#}) but its job {job} exists: tracking it",
                        self.scheduler.name()
                    );
                    self.accept(job, n, array, items, &logs, call).await;
                    return;
                }
                if submit_limit(&message) {
                    self.submit_later(message, items);
                    return;
                }
                for p in items {
                    if let Some(done) = p.element.done {
                        let _ = done.send((
                            JobEnd::Rejected {
                                message: message.clone(),
                                transient,
                            },
                            p.element.log,
                        ));
                    }
                }
                return;
            }
        };
        self.accept(job, n, array, items, &logs, call).await;
    }

    /// Tracks submission `n`'s job.
    pub(crate) async fn accept(
        &self,
        job: String,
        n: u64,
        array: Option<usize>,
        items: Vec<Pending>,
        logs: &Path,
        call: &str,
    ) {
        tracing::debug!(
            "{}: job {job} runs {} attempt(s) of {call}",
            self.scheduler.name(),
            items.len()
        );
        let elements: Vec<Element> = items
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let index = array.map(|_| i);
                Element {
                    index,
                    log: logs.join(self.scheduler.element_log_name(n, index)),
                    ..p.element
                }
            })
            .collect();
        self.track(job.clone(), elements);
        // Cancelled while sbatch ran: this job was not among those cancelled.
        if self.base.is_cancelled() {
            let _ = self.command(&self.scheduler.cancel(&[job])).await;
        }
    }

    /// The id of the job named `name`, if the scheduler lists one (asked twice, a moment
    /// apart: a controller that was slow to answer may be slow to list it too).
    pub(crate) async fn find_submitted(&self, name: &str) -> Option<String> {
        for wait in [Duration::ZERO, Duration::from_secs(2)] {
            tokio::time::sleep(wait).await;
            if let Ok(out) = self.command(&self.scheduler.status(&self.user)).await
                && let Some(l) = self
                    .scheduler
                    .parse_status(&out)
                    .into_iter()
                    .find(|l| l.name == name)
            {
                return Some(l.job);
            }
        }
        None
    }

    /// The user's submit limit is reached (QOSMaxSubmitJobPerUserLimit, max_u_jobs): the
    /// attempts go back in the queue after a poll interval, when jobs may have ended.
    pub(crate) fn submit_later(&self, message: String, items: Vec<Pending>) {
        if !self.limit_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "{message}: the per-user submit limit is reached; Ferry submits more as jobs end"
            );
        }
        let again = self.submit.clone();
        let wait = self.settings.poll_interval;
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            for p in items {
                let _ = again.send(p);
            }
        });
    }

    pub(crate) fn track(&self, job: String, elements: Vec<Element>) {
        if let Ok(mut t) = self.tracking.lock() {
            let list = t.jobs.entry(job.clone()).or_default();
            let start = list.len();
            let markers: Vec<String> = elements.iter().map(|e| e.marker.clone()).collect();
            list.extend(elements);
            for (i, m) in markers.into_iter().enumerate() {
                t.by_marker.insert(m, (job.clone(), start + i));
            }
        }
    }
}
