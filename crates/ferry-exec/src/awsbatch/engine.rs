//! The engine's own job (`ferry run --detach`): one Batch job that runs `ferry` from the helper
//! directory (as every job reaches `ferry-stage`), drives the run by its id with the profile it
//! is given, and is started again by Batch when its host goes (the run resumes: its state is in
//! the work directory).

use aws_sdk_batch::types::{EvaluateOnExit, RetryAction, RetryStrategy};

use super::*;

/// The executable of the engine's job, inside its container.
pub const ENGINE_PROGRAM: &str = "/opt/ferry-stage/ferry";

/// What the engine's job carries beside the profile's own settings.
pub struct EngineJobRequest<'a> {
    pub run_id: &'a str,
    pub workflow: &'a str,
    /// The command line, `ENGINE_PROGRAM` first.
    pub command: Vec<String>,
    /// Variables of this job alone (the profile's `batch.environment` is in its definition).
    pub environment: Vec<(String, String)>,
}

/// Where the engine's job went.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineJobState {
    pub job_id: String,
    pub status: String,
    pub reason: Option<String>,
    /// Attempts Batch has made (a retried engine resumed the run).
    pub attempts: usize,
}

/// A client for one-off calls, with the SDK's own retries.
async fn client(settings: &BatchSettings) -> Client {
    Client::new(&sdk_loader(settings).load().await)
}

/// Submits the engine's job; its id and queue.
pub async fn submit_engine(
    settings: &BatchSettings,
    engine: &ferry_config::EngineJob,
    fallback_queue: Option<&str>,
    request: EngineJobRequest<'_>,
) -> Result<(String, String)> {
    let client = client(settings).await;
    let queue = engine
        .queue
        .clone()
        .or_else(|| fallback_queue.map(str::to_string))
        .unwrap_or_else(|| settings.queue.clone());
    if queue.is_empty() {
        bail!("--detach needs a queue for the engine's job: `batch.engine_queue` or `queue`");
    }
    let definition = engine_definition(&client, settings, engine).await?;
    // Started again when its host goes (a reclaimed or lost engine resumes the run); not when
    // the run failed (1), its inputs were bad (2) or it was stopped (`ferry cancel`: 130, 143).
    let mut retry = RetryStrategy::builder()
        .attempts(engine.attempts as i32)
        .evaluate_on_exit(
            EvaluateOnExit::builder()
                .on_status_reason("Host EC2*")
                .action(RetryAction::Retry)
                .build(),
        );
    for code in ["1", "2", "130", "143"] {
        retry = retry.evaluate_on_exit(
            EvaluateOnExit::builder()
                .on_exit_code(code)
                .action(RetryAction::Exit)
                .build(),
        );
    }
    let overrides = ContainerOverrides::builder()
        .set_command(Some(request.command))
        .set_environment(Some(
            request
                .environment
                .iter()
                .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ))
        .resource_requirements(requirement(ResourceType::Vcpu, &engine.cpu.to_string()))
        .resource_requirements(requirement(
            ResourceType::Memory,
            &engine.memory_mib.to_string(),
        ))
        .build();
    let mut tags = settings.tags.clone();
    tags.push(("ferry:workflow".into(), request.workflow.to_string()));
    tags.push(("ferry:run".into(), request.run_id.to_string()));
    tags.push(("ferry:call".into(), "engine".into()));
    let name = format!(
        "{}engine-{}",
        crate::job_name_part(&settings.job_name_prefix, '-', 64),
        request.run_id
    );
    let out = client
        .submit_job()
        .job_name(&name)
        .job_queue(&queue)
        .job_definition(&definition)
        .container_overrides(overrides)
        .retry_strategy(retry.build())
        .propagate_tags(true)
        .set_tags(tags_of(&tags))
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "SubmitJob of the engine's job to {queue}: {}",
                DisplayErrorContext(&e)
            )
        })?;
    let id = out
        .job_id()
        .ok_or_else(|| anyhow!("SubmitJob returned no job id"))?;
    Ok((id.to_string(), queue))
}

/// Batch's tags: later values of a key win.
fn tags_of(tags: &[(String, String)]) -> Option<HashMap<String, String>> {
    (!tags.is_empty()).then(|| tags.iter().cloned().collect())
}

/// The engine's job definition: its image with the helper directory mounted, the engine's
/// role and the profile's environment; registered once under a name derived from all of it.
async fn engine_definition(
    client: &Client,
    settings: &BatchSettings,
    engine: &ferry_config::EngineJob,
) -> Result<String> {
    let mut env = settings.environment.clone();
    env.sort();
    let digest = blake3::hash(
        format!(
            "{}\0{}\0{:?}\0{env:?}\0{:?}",
            engine.image, settings.helper_dir, engine.role_arn, settings.tags
        )
        .as_bytes(),
    )
    .to_hex();
    let name = format!(
        "{}engine-{}",
        crate::job_name_part(&settings.job_name_prefix, '-', 64),
        &digest.as_str()[..16]
    );
    let found = client
        .describe_job_definitions()
        .job_definition_name(&name)
        .status("ACTIVE")
        .send()
        .await
        .map_err(|e| anyhow!("DescribeJobDefinitions: {}", DisplayErrorContext(&e)))?;
    if let Some(d) = found
        .job_definitions()
        .iter()
        .filter(|d| d.container_properties().and_then(|c| c.image()) == Some(&engine.image))
        .max_by_key(|d| d.revision())
    {
        return Ok(d.job_definition_arn().unwrap_or_default().to_string());
    }
    let props = ContainerProperties::builder()
        .image(&engine.image)
        .resource_requirements(requirement(ResourceType::Vcpu, "1"))
        .resource_requirements(requirement(ResourceType::Memory, "2048"))
        .volumes(
            Volume::builder()
                .name("ferry-stage")
                .host(Host::builder().source_path(&settings.helper_dir).build())
                .build(),
        )
        .mount_points(
            MountPoint::builder()
                .source_volume("ferry-stage")
                .container_path(HELPER_MOUNT)
                .read_only(true)
                .build(),
        )
        .set_environment(Some(
            env.iter()
                .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ))
        .set_job_role_arn(engine.role_arn.clone())
        .build();
    let out = client
        .register_job_definition()
        .job_definition_name(&name)
        .r#type(JobDefinitionType::Container)
        .container_properties(props)
        .set_tags(tags_of(&settings.tags))
        .send()
        .await
        .map_err(|e| anyhow!("RegisterJobDefinition: {}", DisplayErrorContext(&e)))?;
    out.job_definition_arn()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("RegisterJobDefinition returned no ARN"))
}

/// The engine's job as Batch describes it now; `None` when Batch no longer knows it.
pub async fn engine_state(
    settings: &BatchSettings,
    job_id: &str,
) -> Result<Option<EngineJobState>> {
    let client = client(settings).await;
    let out = client
        .describe_jobs()
        .jobs(job_id)
        .send()
        .await
        .map_err(|e| anyhow!("DescribeJobs: {}", DisplayErrorContext(&e)))?;
    Ok(out.jobs().first().map(|j| EngineJobState {
        job_id: job_id.to_string(),
        status: j
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        reason: j.status_reason().map(str::to_string),
        attempts: j.attempts().len(),
    }))
}
