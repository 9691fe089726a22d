//! Job definitions: one per image (registered once per run, with the staging helper's mount),
//! images pinned to their registry digest, resource requirements and tags.

use super::*;

pub(crate) fn requirement(kind: ResourceType, value: &str) -> ResourceRequirement {
    ResourceRequirement::builder()
        .r#type(kind)
        .value(value)
        .build()
}

pub(crate) fn tags(t: &[(String, String)]) -> Option<HashMap<String, String>> {
    (!t.is_empty()).then(|| t.iter().cloned().collect())
}

impl Inner {
    /// The job definition for `image`, registered once under a name derived from everything in
    /// it, so reruns and other runs reuse it.
    pub(crate) async fn job_definition(
        &self,
        image: &str,
        task: &ferry_config::BatchJobOptions,
    ) -> Result<String> {
        let s = &self.settings;
        let mut env = s.environment.clone();
        env.sort();
        // What a job definition holds of a task's options (the rest goes on each SubmitJob).
        let role = task.job_role_arn.clone().or_else(|| s.job_role_arn.clone());
        let container = (
            &task.ulimits,
            &task.shared_memory,
            task.privileged,
            &task.tmpfs,
        );
        let digest = blake3::hash(
            format!(
                "{image}\0{}\0{role:?}\0{env:?}\0{:?}\0{:?}\0{:?}\0{container:?}\0{}",
                s.helper_dir,
                s.tags,
                s.volumes,
                (s.instance_cache.as_ref().map(|(dir, _)| dir), &s.scratch),
                s.log_group,
            )
            .as_bytes(),
        )
        .to_hex();
        let name = format!(
            "{}{}",
            crate::job_name_part(&s.job_name_prefix, '-', usize::MAX),
            &digest.as_str()[..16]
        );
        memo(&self.definitions, &name, || async {
            let found = self
                .call("DescribeJobDefinitions", || {
                    self.client
                        .describe_job_definitions()
                        .job_definition_name(&name)
                        .status("ACTIVE")
                        .send()
                })
                .await?;
            if let Some(d) = found
                .job_definitions()
                .iter()
                .filter(|d| d.container_properties().and_then(|c| c.image()) == Some(image))
                .max_by_key(|d| d.revision())
            {
                return Ok(d.job_definition_arn().unwrap_or_default().to_string());
            }
            // The helper (read-only), the instance cache (at the same path, read-write, and
            // read-only as the tasks see it), the scratch directory and the profile's volumes.
            let mounts = std::iter::once((s.helper_dir.as_str(), HELPER_MOUNT, true))
                .chain(s.instance_cache.iter().flat_map(|(dir, _)| {
                    [
                        (dir.as_str(), dir.as_str(), false),
                        (dir.as_str(), INSTANCE_CACHE_VIEW, true),
                    ]
                }))
                .chain(
                    s.scratch
                        .iter()
                        .map(|dir| (dir.as_str(), SCRATCH_MOUNT, false)),
                )
                .chain(
                    s.volumes
                        .iter()
                        .map(|v| (v.host.as_str(), v.container.as_str(), v.read_only)),
                );
            let mut props = ContainerProperties::builder()
                .image(image)
                .resource_requirements(requirement(ResourceType::Vcpu, "1"))
                .resource_requirements(requirement(ResourceType::Memory, "2048"));
            for (i, (host, container, read_only)) in mounts.enumerate() {
                let name = if i == 0 {
                    "ferry-stage".to_string()
                } else {
                    format!("ferry-volume-{i}")
                };
                props = props
                    .volumes(
                        Volume::builder()
                            .name(&name)
                            .host(Host::builder().source_path(host).build())
                            .build(),
                    )
                    .mount_points(
                        MountPoint::builder()
                            .source_volume(&name)
                            .container_path(container)
                            .read_only(read_only)
                            .build(),
                    );
            }
            let props = props
                .set_environment(Some(
                    env.iter()
                        .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                        .collect(),
                ))
                .set_job_role_arn(role.clone())
                .set_ulimits(ulimits(task)?)
                .set_linux_parameters(linux_parameters(task)?)
                .set_privileged(task.privileged)
                .set_log_configuration((s.log_group != DEFAULT_LOG_GROUP).then(|| {
                    aws_sdk_batch::types::LogConfiguration::builder()
                        .log_driver(aws_sdk_batch::types::LogDriver::Awslogs)
                        .options("awslogs-group", &s.log_group)
                        .build()
                }))
                .build();
            let out = self
                .call("RegisterJobDefinition", || {
                    self.client
                        .register_job_definition()
                        .job_definition_name(&name)
                        .r#type(JobDefinitionType::Container)
                        .container_properties(props.clone())
                        .set_tags(tags(&s.tags))
                        .send()
                })
                .await?;
            tracing::info!("registered job definition {name} for image {image}");
            out.job_definition_arn()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("RegisterJobDefinition returned no ARN"))
        })
        .await
    }
}

impl Inner {
    /// Fails an attempt at once when its queue cannot place it: every compute environment of
    /// the queue is managed and none may grow to `vcpus` (`maxvCpus`). Such a job would stay
    /// RUNNABLE until `start_timeout`. Queues that do not say (unmanaged environments), or
    /// that cannot be described, are not checked.
    pub(crate) async fn check_queue_fits(&self, queue: &str, vcpus: u64) -> Result<()> {
        let limit = memo(&self.queue_limits, queue, || async {
            Ok(self.queue_vcpu_limit(queue).await.unwrap_or_else(|e| {
                tracing::debug!("cannot describe queue {queue}: {e:#}");
                None
            }))
        })
        .await?;
        match limit {
            Some(max) if vcpus > max.max(0) as u64 => bail!(
                "queue {queue} cannot place a job of {vcpus} vCPU: its compute environments grow to at most {max} vCPU (maxvCpus); lower the task's cpu (or max_cpu in the profile) or send it to another queue"
            ),
            _ => Ok(()),
        }
    }

    async fn queue_vcpu_limit(&self, queue: &str) -> Result<Option<i32>> {
        let Some((_, environments)) = self.describe_queue(queue).await? else {
            return Ok(None);
        };
        if environments.is_empty() {
            return Ok(None);
        }
        let mut max = 0;
        for ce in &environments {
            // An unmanaged environment's instances are whatever its owner registers.
            let Some(resources) = ce.compute_resources() else {
                return Ok(None);
            };
            max = max.max(resources.maxv_cpus().unwrap_or(i32::MAX));
        }
        Ok((max > 0).then_some(max))
    }
}

impl Inner {
    /// The queue as Batch describes it, with its compute environments (none when it names
    /// none); `None` when Batch does not know the queue.
    pub(crate) async fn describe_queue(
        &self,
        queue: &str,
    ) -> Result<
        Option<(
            aws_sdk_batch::types::JobQueueDetail,
            Vec<aws_sdk_batch::types::ComputeEnvironmentDetail>,
        )>,
    > {
        let described = self
            .call("DescribeJobQueues", || {
                self.client.describe_job_queues().job_queues(queue).send()
            })
            .await?;
        let Some(q) = described.job_queues().first().cloned() else {
            return Ok(None);
        };
        let names: Vec<String> = q
            .compute_environment_order()
            .iter()
            .filter_map(|o| o.compute_environment().map(str::to_string))
            .collect();
        if names.is_empty() {
            return Ok(Some((q, Vec::new())));
        }
        let ces = self
            .call("DescribeComputeEnvironments", || {
                self.client
                    .describe_compute_environments()
                    .set_compute_environments(Some(names.clone()))
                    .send()
            })
            .await?;
        Ok(Some((q, ces.compute_environments().to_vec())))
    }
}

/// A task's `ulimits` (`nofile = "65536:65536"`, or one number for both limits).
fn ulimits(
    task: &ferry_config::BatchJobOptions,
) -> Result<Option<Vec<aws_sdk_batch::types::Ulimit>>> {
    let Some(u) = &task.ulimits else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (name, value) in u {
        let (soft, hard) = value.split_once(':').unwrap_or((value, value));
        let (Ok(soft), Ok(hard)) = (soft.trim().parse::<i32>(), hard.trim().parse::<i32>()) else {
            bail!("batch ulimits: {name} = {value:?} is not SOFT:HARD (numbers)");
        };
        out.push(
            aws_sdk_batch::types::Ulimit::builder()
                .name(name)
                .soft_limit(soft)
                .hard_limit(hard)
                .build(),
        );
    }
    Ok(Some(out))
}

/// A task's `shared_memory` and `tmpfs` mounts (`"/scratch:1 GiB"`), in MiB as Batch wants them.
fn linux_parameters(
    task: &ferry_config::BatchJobOptions,
) -> Result<Option<aws_sdk_batch::types::LinuxParameters>> {
    if task.shared_memory.is_none() && task.tmpfs.is_none() {
        return Ok(None);
    }
    let mib = |text: &str| -> Result<i32> {
        let bytes = ferry_config::parse_size(text).map_err(|e| anyhow!("{text:?}: {e}"))?;
        Ok(bytes.div_ceil(1 << 20).min(i32::MAX as u64) as i32)
    };
    let mut p = aws_sdk_batch::types::LinuxParameters::builder();
    if let Some(shm) = &task.shared_memory {
        p = p.shared_memory_size(mib(shm).context("batch shared_memory")?);
    }
    for t in task.tmpfs.iter().flatten() {
        let (path, size) = t
            .split_once(':')
            .ok_or_else(|| anyhow!("batch tmpfs {t:?}: write PATH:SIZE"))?;
        p = p.tmpfs(
            aws_sdk_batch::types::Tmpfs::builder()
                .container_path(path)
                .size(mib(size).context("batch tmpfs")?)
                .build(),
        );
    }
    Ok(Some(p.build()))
}
