//! Results: what a finished job left in S3 (`rc` first, stdout and stderr downloaded, the working
//! directory's files as stubs), and the CloudWatch log tail of a job that ended without one.

use super::*;

impl Inner {
    /// Reads the attempt's results from S3 and mirrors its working directory back.
    pub(crate) async fn collect(
        &self,
        spec: &AttemptSpec,
        results_url: &str,
        end: JobEnd,
    ) -> Result<AttemptOutcome> {
        std::fs::create_dir_all(&spec.work_dir)
            .with_context(|| format!("cannot create {}", spec.work_dir.display()))?;
        if let Some(bytes) = self
            .storage
            .read(&format!("{results_url}{}", results::RESULT))
            .await?
        {
            let result: ferry_stage::JobResult = serde_json::from_slice(&bytes)
                .with_context(|| format!("{results_url}{}: not a job result", results::RESULT))?;
            return self.collect_result(spec, results_url, result, &end).await;
        }
        // A job run by an earlier helper (adopted across an upgrade): `rc` and a LIST.
        let rc = self
            .storage
            .read(&format!("{results_url}{}", results::RC))
            .await?;
        let Some(rc) = rc else {
            let staging = self
                .storage
                .read(&format!("{results_url}{}", results::ERROR))
                .await?;
            let reason = end.reason.clone().unwrap_or_default();
            let oom = reason.contains("OutOfMemory");
            // The job's own words, when it logged any (CloudWatch), say more than Batch does;
            // not for a Spot reclaim, which Batch's reason says all of (and which comes by the
            // hundred in a reclaim storm: a DescribeJobs and up to four log reads each, with
            // waits, before the shard could be retried).
            let log = match (&staging, end.job_id.is_empty()) {
                (None, false) if !crate::is_preemption(&reason) => self.log_tail(&end.job_id).await,
                _ => None,
            };
            let last_logged = log.as_ref().and_then(|(_, tail)| {
                tail.lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(|l| l.trim().to_string())
            });
            let why = match staging {
                Some(m) => format!("the job could not stage: {}", String::from_utf8_lossy(&m)),
                None if end.job_id.is_empty() => reason.clone(),
                None => format!(
                    "Batch job {} {} without a result: {}",
                    end.job_id,
                    if end.failed { "failed" } else { "ended" },
                    match (&last_logged, reason.is_empty()) {
                        (Some(last), true) => format!("its log ends: {last}"),
                        (Some(last), false) => format!("{reason}; its log ends: {last}"),
                        (None, false) => reason.clone(),
                        (None, true) => "Batch gave no reason and the job logged nothing (an image that cannot be pulled or a host that went away ends a job like this)".to_string(),
                    }
                ),
            };
            let mut text = format!("{why}\n");
            if let Some((stream, tail)) = &log {
                text.push_str(&format!(
                    "--- the job's log (CloudWatch {}, stream {stream}), last lines ---\n{tail}\n",
                    self.settings.log_group
                ));
            }
            std::fs::write(&spec.stderr, text)
                .with_context(|| format!("cannot write {}", spec.stderr.display()))?;
            return Ok(AttemptOutcome {
                exit_code: if oom { 137 } else { -1 },
                oom,
                usage: ResourceUse::default(),
                preempted: !oom && crate::is_preemption(&reason),
                lost: (!oom).then_some(why),
            });
        };
        let exit_code: i32 = String::from_utf8_lossy(&rc)
            .trim()
            .parse()
            .map_err(|_| anyhow!("{results_url}rc: not an exit code"))?;
        // One LIST of the attempt's results finds stdout, stderr and `work/`, with the sizes
        // and ETags the downloads and stubs need.
        let mut logs: Vec<(Listed, PathBuf)> = Vec::new();
        let mut work: Vec<(Listed, String)> = Vec::new();
        for object in self.storage.list_now(results_url).await? {
            let Some(rel) = object.url.strip_prefix(results_url) else {
                continue;
            };
            if rel == results::STDOUT {
                logs.push((object, spec.stdout.clone()));
            } else if rel == results::STDERR {
                logs.push((object, spec.stderr.clone()));
            } else if let Some(file) = rel.strip_prefix(results::WORK) {
                let file = file.to_string();
                work.push((object, file));
            }
        }
        for (name, want) in [
            (results::STDOUT, &spec.stdout),
            (results::STDERR, &spec.stderr),
        ] {
            if !logs.iter().any(|(_, dest)| dest == want) {
                bail!("{results_url}{name}: no such object");
            }
        }
        // The job's files stay where it wrote them: stubs here, fetched only when the engine
        // reads one (`ferry_storage::remote`).
        let left: Vec<LeftFile> = work
            .iter()
            .map(|(object, rel)| LeftFile {
                rel: rel.clone(),
                size: object.size(),
                etag: object.etag().map(str::to_string),
            })
            .collect();
        let work_url = format!("{results_url}{}", results::WORK);
        if !remote::leave_in_store(&spec.attempt_dir, &work_url, &left)? {
            logs.extend(
                work.into_iter()
                    .map(|(object, rel)| (object, spec.work_dir.join(rel))),
            );
        }
        self.download_all(logs).await?;
        let usage: Usage = self
            .storage
            .read(&format!("{results_url}{}", results::USAGE))
            .await?
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        outcome(spec, exit_code, usage, &end)
    }

    /// A job's `result.json`: logs written from it (or downloaded when large), the working
    /// directory's files as stubs of the objects it names. No LIST, one GET in the usual case.
    async fn collect_result(
        &self,
        spec: &AttemptSpec,
        results_url: &str,
        result: ferry_stage::JobResult,
        end: &JobEnd,
    ) -> Result<AttemptOutcome> {
        let mut downloads: Vec<(Listed, PathBuf)> = Vec::new();
        for (log, name, dest) in [
            (&result.stdout, results::STDOUT, &spec.stdout),
            (&result.stderr, results::STDERR, &spec.stderr),
        ] {
            match (&log.text, &log.object) {
                (Some(text), _) => std::fs::write(dest, text)
                    .with_context(|| format!("cannot write {}", dest.display()))?,
                (None, Some(o)) => downloads.push((
                    Listed::known(&format!("{results_url}{name}"), o.size, o.etag.clone())?,
                    dest.clone(),
                )),
                (None, None) => bail!("{results_url}{}: no {name}", results::RESULT),
            }
        }
        let left: Vec<LeftFile> = result
            .work
            .iter()
            .map(|u| LeftFile {
                rel: u.rel.clone(),
                size: u.size,
                etag: u.etag.clone(),
            })
            .collect();
        let work_url = format!("{results_url}{}", results::WORK);
        if !remote::leave_in_store(&spec.attempt_dir, &work_url, &left)? {
            for u in &result.work {
                downloads.push((
                    Listed::known(&format!("{work_url}{}", u.rel), u.size, u.etag.clone())?,
                    spec.work_dir.join(&u.rel),
                ));
            }
        }
        self.download_all(downloads).await?;
        outcome(spec, result.rc, result.usage, end)
    }

    /// Objects of a job's results to local files, 16 at a time.
    async fn download_all(&self, downloads: Vec<(Listed, PathBuf)>) -> Result<()> {
        futures_util::stream::iter(downloads)
            .map(|(object, dest)| async move { self.storage.download_listed(&object, &dest).await })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// The last lines a job wrote to its CloudWatch log stream, and the stream's name; None when
    /// there is no log (the job never started) or it cannot be read.
    pub(crate) async fn log_tail(&self, job_id: &str) -> Option<(String, String)> {
        let described = self
            .call("DescribeJobs", || {
                self.client.describe_jobs().jobs(job_id).send()
            })
            .await
            .ok()?;
        let job = described.jobs().first()?;
        let stream = match job.container().and_then(|c| c.log_stream_name()) {
            Some(s) => s.to_string(),
            // Batch's naming, for servers that do not report it: <definition>/default/<job id>.
            None => {
                let definition = job.job_definition()?;
                let name = definition.rsplit('/').next()?.split(':').next()?;
                format!("{name}/default/{job_id}")
            }
        };
        // Logs are shipped when the container ends, a moment after the job's status says so.
        for wait in [0, 1, 2, 3] {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            self.calls.bump("GetLogEvents");
            let sent = self
                .logs
                .get_log_events()
                .log_group_name(&self.settings.log_group)
                .log_stream_name(&stream)
                .start_from_head(false)
                .limit(LOG_TAIL_LINES)
                .send()
                .await;
            let lines: Vec<String> = match sent {
                Ok(out) => out
                    .events()
                    .iter()
                    .filter_map(|e| e.message())
                    .map(String::from)
                    .collect(),
                // Some servers (moto) send fractional timestamps, which the SDK refuses to
                // parse: the messages are read from the answer itself then.
                Err(SdkError::ServiceError(e)) if e.raw().status().is_success() => e
                    .raw()
                    .body()
                    .bytes()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                    .and_then(|v| {
                        v["events"].as_array().map(|events| {
                            events
                                .iter()
                                .filter_map(|e| e["message"].as_str().map(String::from))
                                .collect()
                        })
                    })
                    .unwrap_or_default(),
                Err(e) => {
                    tracing::debug!(
                        "no log for Batch job {job_id} yet: {}",
                        DisplayErrorContext(&e)
                    );
                    Vec::new()
                }
            };
            if !lines.is_empty() {
                return Some((stream, lines.join("\n")));
            }
        }
        None
    }
}

/// The attempt's outcome from its exit code and usage: `rc` written beside it, an OOM kill told
/// apart from other failures.
fn outcome(
    spec: &AttemptSpec,
    exit_code: i32,
    usage: Usage,
    end: &JobEnd,
) -> Result<AttemptOutcome> {
    let rc_file = spec.attempt_dir.join("rc");
    std::fs::write(&rc_file, format!("{exit_code}\n"))
        .with_context(|| format!("cannot write {}", rc_file.display()))?;
    let oom = usage.oom_killed
        || (exit_code == 137
            && end
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("OutOfMemory")));
    Ok(AttemptOutcome {
        exit_code,
        oom,
        usage: ResourceUse {
            wall: Duration::from_millis(usage.wall_ms),
            user_cpu: Duration::from_millis(usage.user_ms),
            system_cpu: Duration::from_millis(usage.system_ms),
            max_rss: (usage.max_rss > 0).then_some(usage.max_rss),
        },
        lost: None,
        preempted: false,
    })
}
