//! The one place that turns a profile into an executor and a storage router: a new backend is
//! its module plus a line here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use ferry_config::{ExecutorKind, Profile};
use ferry_storage::{ObjectStorage, StorageRouter};

use crate::hpc::{ClusterContainers, HpcExecutor, HpcSettings, SchedulerKind};
use crate::{
    BatchExecutor, BatchSettings, Capacity, DockerExecutor, DockerSettings, Executor,
    LauncherProgram, LocalExecutor, Pull,
};

/// What a run gives every executor besides its profile.
pub struct RunContext<'a> {
    pub run_dir: &'a Path,
    /// This machine's cpus and memory (local and Docker tasks).
    pub capacity: Capacity,
    /// The object store the run's storage uses: remote executors move job data through it.
    pub objects: Arc<ObjectStorage>,
    /// How to start the task launcher for host processes.
    pub launcher: LauncherProgram,
    /// The command that runs an attempt inside a cluster job and records its resource use
    /// (`ferry-launch --job`, or `ferry __job`), followed there by the attempt directory.
    pub job_helper: Vec<String>,
    /// The workflow's (or task's) name, for the `ferry:workflow` tag of Batch jobs.
    pub workflow: String,
    /// The run's name in its work directory in the store (`rundir`'s `run-name`).
    pub run_name: String,
}

/// Whether Ferry has an executor of this kind yet.
pub fn available(kind: &ExecutorKind) -> bool {
    matches!(
        kind,
        ExecutorKind::Local
            | ExecutorKind::Docker
            | ExecutorKind::Awsbatch
            | ExecutorKind::Slurm
            | ExecutorKind::Sge
    )
}

/// The executor the profile names. Stub runs run no commands, so they get the local one.
/// Needs a Tokio runtime.
pub async fn executor_for(profile: &Profile, run: RunContext<'_>) -> Result<Arc<dyn Executor>> {
    // Before anything looks at an attempt directory (a resume adopts earlier jobs' outputs, a
    // cache hit reuses another run's): remote files that jobs left under the profile's Batch
    // work directory are the only ones trusted, whatever executor this run uses.
    if let Some(work_dir) = profile.batch_work_dir.as_deref().filter(|w| !w.is_empty()) {
        ferry_storage::remote::trust_prefix(format!("{}/", work_dir.trim_end_matches('/')));
    }
    if profile.stub {
        return Ok(Arc::new(local(profile, &run)?));
    }
    match profile.executor {
        ExecutorKind::Awsbatch => Ok(Arc::new(
            BatchExecutor::new(
                batch_settings(profile, &run.workflow),
                run.objects.clone(),
                run.run_dir,
                &run.launcher.run_id,
                &run.run_name,
            )
            .await?,
        )),
        ExecutorKind::Docker => Ok(Arc::new(
            DockerExecutor::connect(
                run.capacity,
                &run.launcher.run_id,
                docker_settings(profile),
                local(profile, &run)?,
            )
            .await?,
        )),
        ExecutorKind::Local => Ok(Arc::new(local(profile, &run)?)),
        ExecutorKind::Slurm => Ok(Arc::new(
            HpcExecutor::new(
                hpc_settings(profile, &run, SchedulerKind::Slurm),
                run.run_dir,
                &run.launcher.run_id,
            )
            .await?,
        )),
        ExecutorKind::Sge => Ok(Arc::new(
            HpcExecutor::new(
                hpc_settings(profile, &run, SchedulerKind::Sge),
                run.run_dir,
                &run.launcher.run_id,
            )
            .await?,
        )),
    }
}

fn hpc_settings(profile: &Profile, run: &RunContext<'_>, scheduler: SchedulerKind) -> HpcSettings {
    HpcSettings {
        scheduler,
        queue: profile.queue.clone(),
        account: profile.account.clone(),
        qos: profile.qos.clone(),
        cluster_options: profile.cluster_options.clone(),
        job_name_prefix: profile.job_name_prefix.clone(),
        max_jobs: profile.max_jobs.unwrap_or(10_000) as usize,
        // Cluster admins ask for one query every tens of seconds, not every second.
        poll_interval: profile.poll_interval.unwrap_or(Duration::from_secs(30)),
        max_array_size: profile.max_array_size.map(|n| n as usize),
        memory_resource: profile
            .memory_resource
            .clone()
            .unwrap_or_else(|| "h_vmem".into()),
        gpu_resource: profile.gpu_resource.clone().unwrap_or_else(|| "gpu".into()),
        disk_resource: profile.disk_resource.clone(),
        parallel_environment: profile
            .parallel_environment
            .clone()
            .unwrap_or_else(|| "smp".into()),
        time: profile.time,
        single_node_cluster: profile.single_node_cluster,
        containers: profile.container_runtime.map(|runtime| ClusterContainers {
            runtime,
            host_network: profile.network == ferry_config::Network::Host,
            options: profile.container_runtime_options.clone(),
            global_options: profile.container_runtime_global_options.clone(),
            image_cache: profile
                .container_cache_dir
                .clone()
                .unwrap_or_else(|| profile.cache_directory().join("images")),
        }),
        capacity: Capacity {
            cpu: profile.max_cpu.unwrap_or(4096.0),
            memory: profile.max_memory.unwrap_or(24 << 40),
        },
        max_cpus_in_flight: profile.max_cpus_in_flight,
        job_helper: run.job_helper.clone(),
        environment: std::env::vars()
            .filter(|(k, _)| profile.task_inherits(k))
            .collect(),
    }
}

/// Local paths, plus s3://, gs://, az:// and http(s):// through the object-store backend with the profile's
/// settings (credentials come from the AWS chain, never from the profile). The object store is
/// also returned on its own, for executors that move job data themselves.
pub fn storage_for(profile: &Profile) -> (StorageRouter, Arc<ObjectStorage>) {
    let mut router = StorageRouter::default();
    let objects = Arc::new(ObjectStorage::new(ferry_storage::ObjectSettings {
        endpoint: profile.s3_endpoint.clone(),
        region: profile.s3_region.clone(),
        path_style: profile.s3_path_style,
        anonymous: profile.s3_anonymous,
        upload_checksums: profile.s3_upload_checksums,
        concurrency: profile.transfer_concurrency as usize,
        part_size: profile.transfer_part_size,
        copy_part_size: profile.transfer_copy_part_size,
        gcs: ferry_storage::GcsSettings {
            endpoint: profile.gcs_endpoint.clone(),
            anonymous: profile.gcs_anonymous,
        },
        azure: ferry_storage::AzureSettings {
            account: profile.azure_account.clone(),
            endpoint: profile.azure_endpoint.clone(),
            use_emulator: profile.azure_use_emulator,
            anonymous: profile.azure_anonymous,
        },
        cache_max: profile.object_cache_max,
        s3_writes: s3_writes(profile),
    }));
    router.register(objects.clone());
    (router, objects)
}

/// Host processes inherit the engine's environment minus what the profile withholds.
fn local(profile: &Profile, run: &RunContext<'_>) -> Result<LocalExecutor> {
    LocalExecutor::new(
        run.capacity,
        run.run_dir,
        |name| profile.task_inherits(name),
        &run.launcher,
    )
}

/// `ferry run --detach`: submits the engine's own Batch job for the profile; its job id and
/// queue.
pub async fn submit_engine_job(
    profile: &Profile,
    request: crate::EngineJobRequest<'_>,
) -> Result<(String, String)> {
    let settings = batch_settings(profile, request.workflow);
    crate::awsbatch::engine::submit_engine(
        &settings,
        &profile.batch_engine,
        profile.batch_fallback_queue.as_deref(),
        request,
    )
    .await
}

/// The engine's job of a detached run, as Batch describes it now.
pub async fn engine_job_state(
    profile: &Profile,
    job_id: &str,
) -> Result<Option<crate::EngineJobState>> {
    crate::awsbatch::engine::engine_state(&batch_settings(profile, ""), job_id).await
}

fn docker_settings(profile: &Profile) -> DockerSettings {
    DockerSettings {
        host_network: profile.network == ferry_config::Network::Host,
        pull: match profile.pull {
            ferry_config::PullPolicy::Always => Pull::Always,
            ferry_config::PullPolicy::Missing => Pull::Missing,
            ferry_config::PullPolicy::Never => Pull::Never,
        },
        image_size_warning: profile.image_size_warning,
        daemon_timeout: profile.daemon_timeout,
    }
}

fn batch_settings(profile: &Profile, workflow: &str) -> BatchSettings {
    let s3 =
        ferry_storage::s3_endpoint(profile.s3_endpoint.as_deref(), profile.s3_path_style, |k| {
            std::env::var(k).ok()
        });
    BatchSettings {
        queue: profile.queue.clone().unwrap_or_default(),
        work_dir: profile.batch_work_dir.clone().unwrap_or_default(),
        region: profile.batch_region.clone(),
        endpoint: profile.batch_endpoint.clone(),
        s3_endpoint: s3.url,
        s3_region: profile.s3_region.clone(),
        s3_path_style: s3.path_style,
        job_role_arn: profile.batch_job_role_arn.clone(),
        job_name_prefix: profile.job_name_prefix.clone(),
        tags: profile.batch_tags.clone(),
        max_jobs: profile.max_jobs.unwrap_or(10_000) as usize,
        submit_rate: profile.batch_submit_rate,
        poll_interval: profile.poll_interval.unwrap_or(Duration::from_secs(10)),
        call_timeout: profile.batch_call_timeout,
        helper_dir: profile.batch_helper_dir.clone(),
        environment: profile.batch_environment.clone(),
        pin_digests: profile.pull != ferry_config::PullPolicy::Never,
        capacity: Capacity {
            cpu: profile.max_cpu.unwrap_or(4096.0),
            memory: profile.max_memory.unwrap_or(24 << 40),
        },
        max_cpus_in_flight: profile.max_cpus_in_flight,
        volumes: profile.batch_volumes.clone(),
        instance_cache: profile.batch_instance_cache.clone(),
        s3_writes: s3_writes(profile),
        scratch: profile.batch_scratch.clone(),
        workflow: workflow.to_string(),
        start_timeout: profile.batch_start_timeout,
        max_queue_wait: profile.batch_max_queue_wait,
        log_group: profile
            .batch_log_group
            .clone()
            .unwrap_or_else(|| crate::awsbatch::DEFAULT_LOG_GROUP.to_string()),
    }
}

fn s3_writes(profile: &Profile) -> ferry_storage::S3Writes {
    let w = &profile.s3_writes;
    ferry_storage::S3Writes {
        sse: w.sse.clone(),
        kms_key_id: w.kms_key_id.clone(),
        requester_pays: w.requester_pays,
        storage_class: w.storage_class.clone(),
    }
}
