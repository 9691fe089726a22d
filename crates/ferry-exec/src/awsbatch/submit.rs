//! Submitting: a job's inputs that exist only here uploaded, the attempt packed into a manifest,
//! attempts that arrive together submitted as one array job (a timed-out SubmitJob looked up by
//! name before it is tried again).

use super::*;

impl Inner {
    /// The job's inputs as S3 objects: URL inputs as they are, files from earlier jobs where
    /// those jobs put them, anything else uploaded once per run.
    pub(crate) async fn stage_inputs(
        &self,
        spec: &AttemptSpec,
        run_prefix: &str,
    ) -> Result<Vec<Input>> {
        let mut inputs = Vec::new();
        for p in &spec.inputs {
            let path = p.to_string_lossy().to_string();
            if let Some(url) = crate::remote_input_url(&path) {
                // Looked up already by the engine's input checks: no request here.
                let file = self.storage.exists(&url, Kind::File).await.unwrap_or(true);
                inputs.push(Input {
                    url,
                    path,
                    directory: !file,
                });
                continue;
            }
            // An earlier job's file or directory is read where that job left it.
            let (url, directory) = match remote::lookup(p) {
                Some(Remote::File(f)) => (f.url, false),
                Some(Remote::Directory(url)) => (url, true),
                None => (self.upload(p, run_prefix).await?, p.is_dir()),
            };
            inputs.push(Input {
                url,
                path,
                directory,
            });
        }
        // Files the engine wrote for this attempt (`write_lines()` in the command and the like).
        let mut written = Vec::new();
        if spec.attempt_dir.is_dir() {
            written = ferry_stage::files_under(&spec.attempt_dir)
                .with_context(|| format!("cannot read {}", spec.attempt_dir.display()))?;
        }
        // The command travels in the manifest, which the job writes to the script's path: not
        // one PUT and one GET more per shard.
        for f in written.into_iter().filter(|f| *f != spec.script) {
            let url = self.upload(&f, run_prefix).await?;
            inputs.push(Input {
                url,
                path: f.to_string_lossy().to_string(),
                directory: false,
            });
        }
        Ok(inputs)
    }

    /// Uploads a local file or directory once per run; files of one directory share a prefix,
    /// as index files expect.
    pub(crate) async fn upload(&self, path: &Path, run_prefix: &str) -> Result<String> {
        let key = path.to_string_lossy().to_string();
        let dir = path.parent().unwrap_or(Path::new("/"));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "input".into());
        let url = format!(
            "{run_prefix}uploads/{}/{name}",
            &blake3::hash(dir.as_os_str().as_encoded_bytes()).to_hex()[..16]
        );
        memo(&self.uploads, &key, || async {
            self.storage
                .publish(path, &url)
                .await
                .with_context(|| format!("cannot upload input {}", path.display()))
        })
        .await
    }

    /// Gathers submissions into groups and submits each group as one array job (a lone
    /// attempt as a plain job).
    pub(crate) async fn submitter(self: Arc<Self>, mut queue: mpsc::UnboundedReceiver<Pending>) {
        let gap = Duration::from_secs_f64(1.0 / self.settings.submit_rate);
        let mut next_submit = Instant::now();
        let how = crate::gather::Gathering::batch(self.settings.poll_interval);
        while let Some(batch) = crate::gather::next_batch(&mut queue, how).await {
            for (group, items) in crate::gather::group_by(batch, |p| p.group.clone()) {
                for chunk in crate::gather::chunks(items, MAX_ARRAY) {
                    let Some(_submission) = self.base.submission() else {
                        return;
                    };
                    tokio::time::sleep_until(next_submit.into()).await;
                    next_submit = Instant::now() + gap;
                    self.submit_group(&group, chunk).await;
                }
            }
        }
    }

    pub(crate) async fn submit_group(&self, group: &Group, items: Vec<Pending>) {
        let n = self.next_submission.fetch_add(1, Ordering::SeqCst);
        let suffix = format!("-{}-{n}", self.run_id);
        let mut name = group.job_name.clone();
        name.truncate(128 - suffix.len().min(64));
        name.push_str(&suffix);
        name.truncate(128);
        let result = match self.record_submission(n, &group.queue, &name, &items).await {
            Err(e) => Err(e),
            Ok(()) if items.len() == 1 => {
                self.submit_single(group, &name, &items[0].manifest).await
            }
            Ok(()) => self.submit_array(group, n, &name, &items).await,
        };
        match result {
            Ok(job_id) => {
                self.record_job_id(n, &job_id).await;
                let tracked = if items.len() == 1 {
                    items.into_iter().next().map(|p| Tracked::Single(p.done))
                } else {
                    let open = items.len();
                    Some(Tracked::Array {
                        children: items.into_iter().map(|p| Some(p.done)).collect(),
                        open,
                        ended: 0,
                        listed: Instant::now(),
                    })
                };
                if let Ok(mut waiting) = self.waiting.lock() {
                    let gpu = if group.gpu > 0 {
                        format!(", {} GPU", group.gpu)
                    } else {
                        String::new()
                    };
                    let request = format!(
                        "in queue {} (it asks for {} vCPU, {} MiB{gpu})",
                        group.queue, group.vcpus, group.memory_mib
                    );
                    waiting.insert(
                        job_id.clone(),
                        Waiting {
                            since: Instant::now(),
                            asked: Instant::now(),
                            request,
                            queue: group.queue.clone(),
                            attempts: tracked.as_ref().map_or(1, Tracked::attempts),
                        },
                    );
                }
                if let (Some(t), Ok(mut jobs)) = (tracked, self.jobs.lock()) {
                    jobs.insert(job_id, t);
                }
            }
            Err(e) => {
                let reason = format!("could not submit: {e:#}");
                for p in items {
                    let _ = p.done.send(JobEnd {
                        job_id: String::new(),
                        failed: true,
                        reason: Some(reason.clone()),
                    });
                }
            }
        }
    }

    pub(crate) fn helper_command(&self, manifest_url: &str, array: bool) -> Vec<String> {
        let s = &self.settings;
        let mut cmd = vec![format!("{HELPER_MOUNT}/ferry-stage")];
        if let Some(e) = &s.s3_endpoint {
            cmd.extend(["--endpoint".into(), e.clone()]);
        }
        if let Some(r) = s.s3_region.as_ref().or(s.region.as_ref()) {
            cmd.extend(["--region".into(), r.clone()]);
        }
        if s.s3_path_style {
            cmd.push("--path-style".into());
        }
        if array {
            cmd.push("--array".into());
        }
        let w = &s.s3_writes;
        if let Some(sse) = &w.sse {
            cmd.extend(["--sse".into(), sse.clone()]);
        }
        if let Some(key) = &w.kms_key_id {
            cmd.extend(["--kms-key-id".into(), key.clone()]);
        }
        if let Some(class) = &w.storage_class {
            cmd.extend(["--storage-class".into(), class.clone()]);
        }
        if w.requester_pays {
            cmd.push("--requester-pays".into());
        }
        if s.scratch.is_some() {
            cmd.extend(["--scratch".into(), SCRATCH_MOUNT.into()]);
        }
        if let Some((dir, size)) = &s.instance_cache {
            cmd.extend([
                "--instance-cache".into(),
                dir.clone(),
                "--instance-cache-size".into(),
                size.to_string(),
                "--instance-cache-view".into(),
                INSTANCE_CACHE_VIEW.into(),
            ]);
        }
        cmd.push(manifest_url.into());
        cmd
    }

    pub(crate) fn overrides(&self, group: &Group, command: Vec<String>) -> ContainerOverrides {
        let mut o = ContainerOverrides::builder()
            .set_command(Some(command))
            .resource_requirements(requirement(ResourceType::Vcpu, &group.vcpus.to_string()))
            .resource_requirements(requirement(
                ResourceType::Memory,
                &group.memory_mib.to_string(),
            ));
        if group.gpu > 0 {
            o = o.resource_requirements(requirement(ResourceType::Gpu, &group.gpu.to_string()));
        }
        o.build()
    }

    pub(crate) async fn submit_single(
        &self,
        group: &Group,
        name: &str,
        manifest: &Manifest,
    ) -> Result<String> {
        let url = format!("{}manifest.json", manifest.results);
        self.storage
            .write(&url, serde_json::to_vec(manifest)?)
            .await?;
        let id = self.submit(group, name, &url, None).await?;
        tracing::info!("submitted {} as job {id}", manifest.label);
        Ok(id)
    }

    /// One SubmitJob: a plain job, or an array of `size` children, all reading `manifest_url`.
    /// Each submission has a job name of its own in the run; one whose answer timed out is looked
    /// for by that name, and submitted again only if no such job appears.
    pub(crate) async fn submit(
        &self,
        group: &Group,
        name: &str,
        manifest_url: &str,
        size: Option<i32>,
    ) -> Result<String> {
        let overrides = self.overrides(group, self.helper_command(manifest_url, size.is_some()));
        let array = size.map(|n| ArrayProperties::builder().size(n).build());
        let tags = self.job_tags(group);
        let timeout = group.timeout_seconds.map(|t| {
            aws_sdk_batch::types::JobTimeout::builder()
                .attempt_duration_seconds(t.min(i32::MAX as i64) as i32)
                .build()
        });
        for attempt in 1..=3 {
            let result = self
                .call("SubmitJob", || {
                    self.client
                        .submit_job()
                        .job_name(name)
                        .job_queue(&group.queue)
                        .job_definition(&group.job_definition)
                        .set_array_properties(array.clone())
                        .container_overrides(overrides.clone())
                        .set_tags(Some(tags.clone()))
                        .propagate_tags(true)
                        .set_share_identifier(group.share_identifier.clone())
                        .set_scheduling_priority_override(group.scheduling_priority)
                        .set_timeout(timeout.clone())
                        .send()
                })
                .await;
            match result {
                Ok(out) => {
                    return out
                        .job_id()
                        .map(str::to_string)
                        .ok_or_else(|| anyhow!("SubmitJob returned no job id"));
                }
                Err(e) if e.downcast_ref::<SubmitTimedOut>().is_some() => {
                    if let Some(id) = self.find_job(&group.queue, name, 3).await? {
                        tracing::info!("SubmitJob timed out but created job {id} ({name})");
                        return Ok(id);
                    }
                    tracing::warn!(
                        "SubmitJob for {name} timed out and no such job appeared (attempt {attempt} of 3)"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        bail!("SubmitJob for {name} timed out three times")
    }

    /// A job's tags, for cost attribution (propagated to its ECS tasks): the run, the workflow
    /// and the call, the profile's tags and the task's own (which win).
    pub(crate) fn job_tags(&self, group: &Group) -> HashMap<String, String> {
        let mut tags: HashMap<String, String> = self.settings.tags.iter().cloned().collect();
        tags.insert("ferry:run".into(), self.run_id.clone());
        tags.insert("ferry:workflow".into(), self.settings.workflow.clone());
        tags.insert("ferry:call".into(), group.call.clone());
        tags.extend(group.tags.clone());
        tags
    }

    /// The id of the job named `name` in `queue`, looked for `tries` times (a job a timed-out
    /// SubmitJob created may take a moment to be listed).
    pub(crate) async fn find_job(
        &self,
        queue: &str,
        name: &str,
        tries: usize,
    ) -> Result<Option<String>> {
        for attempt in 1..=tries {
            let out = self
                .call("ListJobs", || {
                    self.client
                        .list_jobs()
                        .job_queue(queue)
                        .filters(
                            KeyValuesPair::builder()
                                .name("JOB_NAME")
                                .values(name)
                                .build(),
                        )
                        .send()
                })
                .await?;
            if let Some(id) = out
                .job_summary_list()
                .iter()
                .find(|j| j.job_name() == Some(name))
                .and_then(|j| j.job_id())
            {
                return Ok(Some(id.to_string()));
            }
            if attempt < tries {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
        Ok(None)
    }

    /// One array job for submission `n`. Its manifests are named after the submission, which
    /// no other engine of the run uses: the children of an earlier engine's array still queued
    /// read their own.
    pub(crate) async fn submit_array(
        &self,
        group: &Group,
        n: u64,
        name: &str,
        items: &[Pending],
    ) -> Result<String> {
        let url = format!("{}arrays/{n}-{name}.manifests", group.run_prefix);
        let manifests: Vec<Manifest> = items.iter().map(|p| p.manifest.clone()).collect();
        self.storage
            .write(&url, ferry_stage::encode_array(&manifests)?)
            .await?;
        let id = self
            .submit(group, name, &url, Some(items.len() as i32))
            .await?;
        tracing::info!(
            "submitted {} shards of {} as array job {id}",
            items.len(),
            group.job_name,
        );
        Ok(id)
    }
}
