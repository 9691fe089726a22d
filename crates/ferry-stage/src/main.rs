//! `ferry-stage`: runs one task attempt inside a remote job's container.
//!
//! It reaches the container through a read-only host mount, so it must work in any image:
//! built static (musl), no shell utilities, no AWS CLI, CA roots compiled in. Steps: read the
//! manifest (for an array child, only its own record), fetch the inputs in parallel to the
//! paths the engine chose, run the script with bash if the image has it else sh, upload the
//! working directory (and stdout/stderr when large), then `result.json` last: exit code, usage,
//! small logs inline and what was uploaded.
//!
//! Usage: `ferry-stage [--endpoint URL] [--region R] [--path-style] [--array]
//! [--instance-cache DIR --instance-cache-size BYTES] [--sse aws:kms|AES256] [--kms-key-id K]
//! [--storage-class C] [--requester-pays] [--scratch DIR] MANIFEST_URL`
//! Credentials come from the environment the way AWS tools find them (the job role's
//! container credentials on Batch, or `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`).

#![deny(unsafe_code)]

mod instance_cache;
#[allow(unsafe_code)]
mod sys;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use ferry_stage::{Input, Manifest, REMOTE_INPUTS, Usage, results};
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};

/// Objects fetched or uploaded at once.
const CONCURRENCY: usize = 16;
/// Files above this are uploaded in parts.
const PART: usize = 16 << 20;

struct Args {
    endpoint: Option<String>,
    region: Option<String>,
    path_style: bool,
    array: bool,
    /// The per-instance input cache's directory and size (see `instance_cache`).
    instance_cache: Option<PathBuf>,
    instance_cache_size: u64,
    /// The same cache mounted read-only, which tasks' inputs link to when it is there.
    instance_cache_view: Option<PathBuf>,
    /// Server-side encryption, its KMS key, the uploads' storage class, requester pays.
    sse: Option<String>,
    kms_key_id: Option<String>,
    storage_class: Option<String>,
    requester_pays: bool,
    /// A host directory (mounted) where the job's working directory and inputs live.
    scratch: Option<PathBuf>,
    manifest: String,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        endpoint: None,
        region: None,
        path_style: false,
        array: false,
        instance_cache: None,
        instance_cache_size: 50 << 30,
        instance_cache_view: None,
        sse: None,
        kms_key_id: None,
        storage_class: None,
        requester_pays: false,
        scratch: None,
        manifest: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--endpoint" => args.endpoint = it.next(),
            "--region" => args.region = it.next(),
            "--path-style" => args.path_style = true,
            "--array" => args.array = true,
            "--instance-cache" => args.instance_cache = it.next().map(PathBuf::from),
            "--instance-cache-view" => args.instance_cache_view = it.next().map(PathBuf::from),
            "--sse" => args.sse = it.next(),
            "--kms-key-id" => args.kms_key_id = it.next(),
            "--storage-class" => args.storage_class = it.next(),
            "--requester-pays" => args.requester_pays = true,
            "--scratch" => args.scratch = it.next().map(PathBuf::from),
            "--instance-cache-size" => {
                args.instance_cache_size = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| anyhow!("--instance-cache-size takes a number of bytes"))?
            }
            _ if a.starts_with("--") => bail!("unknown option {a}"),
            _ => args.manifest = a,
        }
    }
    if args.manifest.is_empty() {
        bail!(
            "usage: ferry-stage [--endpoint URL] [--region R] [--path-style] [--array] MANIFEST_URL"
        );
    }
    Ok(args)
}

/// One S3 client per bucket, built on first use.
struct Stores {
    args: Args,
    by_bucket: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    /// Where inputs are downloaded once per instance, when the profile has such a cache.
    instance_cache: Option<instance_cache::InstanceCache>,
}

fn split_url(url: &str) -> Result<(&str, ObjectPath)> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| anyhow!("{url}: only s3:// URLs are staged"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    Ok((bucket, ObjectPath::from(key)))
}

impl Stores {
    /// What every upload carries: the profile's storage class.
    fn attributes(&self) -> object_store::Attributes {
        let mut a = object_store::Attributes::new();
        if let Some(class) = &self.args.storage_class {
            a.insert(object_store::Attribute::StorageClass, class.clone().into());
        }
        a
    }

    fn get(&self, url: &str) -> Result<(Arc<dyn ObjectStore>, ObjectPath)> {
        let (bucket, key) = split_url(url)?;
        let mut map = self.by_bucket.lock().map_err(|_| anyhow!("poisoned"))?;
        if let Some(s) = map.get(bucket) {
            return Ok((s.clone(), key));
        }
        let mut options = ClientOptions::new().with_timeout(Duration::from_secs(300));
        // Minimal images have no CA bundle; the roots travel with the helper.
        for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
            options = options.with_root_certificate(object_store::Certificate::from_der(der)?);
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let imds_disabled =
            env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let other_source = env("AWS_ACCESS_KEY_ID").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
            || env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some();
        if imds_disabled && !other_source {
            // The instance metadata service is the last resort; told not to ask it, say so
            // now instead of retrying a request that must not be made for ten minutes.
            bail!(
                "no AWS credentials in the job: no AWS_ACCESS_KEY_ID, no container or web-identity credentials, and AWS_EC2_METADATA_DISABLED=true (give the job definition a job role, or set batch.job_role_arn)"
            );
        }
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_client_options(options)
            .with_retry(RetryConfig {
                max_retries: 10,
                retry_timeout: Duration::from_secs(600),
                ..Default::default()
            });
        if let Some(r) = &self.args.region {
            b = b.with_region(r);
        }
        if let Some(e) = &self.args.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        if self.args.path_style {
            b = b.with_virtual_hosted_style_request(false);
        }
        if let Some(sse) = &self.args.sse {
            use object_store::aws::AmazonS3ConfigKey;
            b = b.with_config(
                "aws_server_side_encryption".parse::<AmazonS3ConfigKey>()?,
                sse,
            );
            if let Some(id) = &self.args.kms_key_id {
                b = b.with_config("aws_sse_kms_key_id".parse::<AmazonS3ConfigKey>()?, id);
            }
        }
        if self.args.requester_pays {
            b = b.with_request_payer(true);
        }
        let store: Arc<dyn ObjectStore> = Arc::new(b.build()?);
        map.insert(bucket.to_string(), store.clone());
        Ok((store, key))
    }
}

#[tokio::main]
async fn main() {
    // A job with thousands of inputs: each instance-cache entry it uses stays locked (one
    // descriptor) while it runs.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ferry-stage: {e:#}");
            std::process::exit(2);
        }
    };
    let instance_cache = match &args.instance_cache {
        Some(dir) => match instance_cache::InstanceCache::open(
            dir,
            args.instance_cache_size,
            args.instance_cache_view.as_deref(),
        ) {
            Ok(c) => Some(c),
            // The job still runs: each input is downloaded into it instead.
            Err(e) => {
                eprintln!("ferry-stage: no instance cache: {e:#}");
                None
            }
        },
        None => None,
    };
    let stores = Stores {
        args,
        by_bucket: Mutex::new(HashMap::new()),
        instance_cache,
    };
    let manifest = match read_manifest(&stores).await {
        Ok(m) => m,
        Err(e) => {
            // Nowhere to report to: the job's log is all there is.
            eprintln!("ferry-stage: cannot read the manifest: {e:#}");
            std::process::exit(3);
        }
    };
    match stage(&stores, &manifest).await {
        Ok(code) => std::process::exit(code.clamp(0, 255)),
        Err(e) => {
            let message = format!("{e:#}");
            eprintln!("ferry-stage: {}: {message}", manifest.label);
            let url = format!("{}{}", manifest.results, results::ERROR);
            if let Err(e2) = put(&stores, &url, message.into_bytes()).await {
                eprintln!("ferry-stage: cannot report that either: {e2:#}");
            }
            std::process::exit(4);
        }
    }
}

async fn read_manifest(stores: &Stores) -> Result<Manifest> {
    let url = &stores.args.manifest;
    let (store, key) = stores.get(url)?;
    let bytes = if stores.args.array {
        let index = ferry_stage::array_index(
            std::env::var("AWS_BATCH_JOB_ARRAY_INDEX").ok().as_deref(),
            std::env::var("AWS_BATCH_JOB_ID").ok().as_deref(),
        )
        .ok_or_else(|| anyhow!("an array child without AWS_BATCH_JOB_ARRAY_INDEX"))?;
        let offsets = store
            .get_range(&key, ferry_stage::offsets_range(index))
            .await?;
        let range = ferry_stage::record_range(&offsets)
            .ok_or_else(|| anyhow!("{url}: no record {index}"))?;
        store.get_range(&key, range).await?
    } else {
        store.get(&key).await?.bytes().await?
    };
    Ok(serde_json::from_slice(&bytes)?)
}

/// Returns the command's exit code once every result is uploaded.
async fn stage(stores: &Stores, m: &Manifest) -> Result<i32> {
    // Removed when the job is done, however it ends.
    let _scratch = match &stores.args.scratch {
        Some(dir) => Some(Scratch::set_up(dir, m)?),
        None => None,
    };
    tokio::fs::create_dir_all(&m.work_dir)
        .await
        .with_context(|| format!("cannot create {}", m.work_dir))?;
    tokio::fs::write(&m.script, &m.command).await?;
    let attempt = Path::new(&m.attempt_dir);
    let stdout = attempt.join(results::STDOUT);
    let stderr = attempt.join(results::STDERR);
    let (code, usage) = match ferry_stage::disk_shortfall(m) {
        // WDL `disks`: the command does not start; the attempt fails saying why.
        Some(why) => {
            std::fs::File::create(&stdout)?;
            std::fs::write(&stderr, format!("ferry-stage: {why}\n"))?;
            (1, Usage::default())
        }
        None => run_command(stores, m, &stdout, &stderr).await?,
    };
    // A task that wrote to a shared input: that entry is no later job's.
    if let Some(cache) = &stores.instance_cache {
        for changed in cache.check_used() {
            eprintln!(
                "ferry-stage: {}: the task changed its input {} in the instance cache; removed",
                m.label,
                changed.display()
            );
        }
    }

    let work = PathBuf::from(&m.work_dir);
    let files = ferry_stage::files_under(&work)?;
    let uploads = files.into_iter().map(|f| {
        let rel = f
            .strip_prefix(&work)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        let url = format!("{}{}{rel}", m.results, results::WORK);
        (f, rel, url)
    });
    let uploaded: Vec<ferry_stage::Uploaded> = futures_util::stream::iter(uploads)
        .map(|(f, rel, url)| async move { upload(stores, &f, &url, rel).await })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let stdout = log_result(
        stores,
        &stdout,
        &format!("{}{}", m.results, results::STDOUT),
    )
    .await?;
    let stderr = log_result(
        stores,
        &stderr,
        &format!("{}{}", m.results, results::STDERR),
    )
    .await?;
    let result = ferry_stage::JobResult {
        rc: code,
        usage,
        stdout,
        stderr,
        work: uploaded,
    };
    // Last: the engine takes the result's presence to mean every object it names is there.
    let result_url = format!("{}{}", m.results, results::RESULT);
    put(stores, &result_url, serde_json::to_vec(&result)?).await?;
    Ok(code)
}

/// stdout or stderr for the result: its text when small and UTF-8, else uploaded to `url`.
async fn log_result(stores: &Stores, file: &Path, url: &str) -> Result<ferry_stage::Log> {
    let size = tokio::fs::metadata(file).await?.len();
    if size <= ferry_stage::INLINE_LOG_BYTES
        && let Ok(text) = String::from_utf8(tokio::fs::read(file).await?)
    {
        return Ok(ferry_stage::Log {
            text: Some(text),
            object: None,
        });
    }
    let name = url.rsplit('/').next().unwrap_or_default().to_string();
    Ok(ferry_stage::Log {
        text: None,
        object: Some(upload(stores, file, url, name).await?),
    })
}

/// Fetches the inputs and runs the command: its exit code and resource use.
async fn run_command(
    stores: &Stores,
    m: &Manifest,
    stdout: &Path,
    stderr: &Path,
) -> Result<(i32, Usage)> {
    futures_util::stream::iter(&m.inputs)
        .map(|input| fetch_input(stores, input))
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    let shell = if Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    };
    let oom_before = oom_kills();
    let started = Instant::now();
    let status = tokio::process::Command::new(shell)
        .arg(&m.script)
        .current_dir(&m.work_dir)
        .envs(m.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(stdout)?)
        .stderr(std::fs::File::create(stderr)?)
        .status()
        .await
        .with_context(|| format!("cannot start {shell}"))?;
    let wall = started.elapsed();
    Ok((exit_code(&status), usage(wall, oom_kills() > oom_before)))
}

/// The job's own directory on the instance's scratch volume: the attempt directory (and the
/// inputs' root) are links into it, so what the task writes does not fill the container's
/// writable layer. Removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn set_up(dir: &Path, m: &Manifest) -> Result<Scratch> {
        let id = std::env::var("AWS_BATCH_JOB_ID")
            .ok()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| format!("job-{}", std::process::id()))
            .replace([':', '/'], "-");
        let own = dir.join(id);
        let _ = std::fs::remove_dir_all(&own);
        let mut roots = vec![PathBuf::from(&m.attempt_dir)];
        // Object-store inputs' root; inputs at other paths (an earlier job's files, at their
        // place in the run directory) stay in the container's layer.
        if m.inputs
            .iter()
            .any(|i| i.path.starts_with(&format!("{REMOTE_INPUTS}/")))
        {
            roots.push(PathBuf::from(REMOTE_INPUTS));
        }
        for (n, root) in roots.iter().enumerate() {
            let target = own.join(n.to_string());
            std::fs::create_dir_all(&target)
                .with_context(|| format!("cannot create {}", target.display()))?;
            if let Some(parent) = root.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::os::unix::fs::symlink(&target, root)
                .with_context(|| format!("cannot put {} on the scratch volume", root.display()))?;
        }
        Ok(Scratch(own))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn exit_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

/// The container cgroup's OOM-kill count (cgroup v2, else v1), 0 when unreadable.
fn oom_kills() -> u64 {
    for file in [
        "/sys/fs/cgroup/memory.events",
        "/sys/fs/cgroup/memory/memory.oom_control",
    ] {
        if let Ok(text) = std::fs::read_to_string(file)
            && let Some(n) = text
                .lines()
                .find_map(|l| l.strip_prefix("oom_kill "))
                .and_then(|n| n.trim().parse().ok())
        {
            return n;
        }
    }
    0
}

fn usage(wall: Duration, oom_killed: bool) -> Usage {
    let ru = sys::children_usage();
    let ms = |t| ferry_stage::cpu_time(t).as_millis() as u64;
    Usage {
        wall_ms: wall.as_millis() as u64,
        user_ms: ms(ru.ru_utime),
        system_ms: ms(ru.ru_stime),
        max_rss: ru.ru_maxrss as u64 * 1024,
        oom_killed,
    }
}

async fn fetch_input(stores: &Stores, input: &Input) -> Result<()> {
    if !input.directory {
        return download(stores, &input.url, Path::new(&input.path)).await;
    }
    let (store, prefix) = stores.get(&input.url)?;
    let objects: Vec<_> = store.list(Some(&prefix)).try_collect().await?;
    let base = input.url.trim_end_matches('/');
    futures_util::stream::iter(objects)
        .map(|o| {
            let rel = o
                .location
                .as_ref()
                .strip_prefix(prefix.as_ref())
                .unwrap_or(o.location.as_ref())
                .trim_start_matches('/')
                .to_string();
            let url = format!("{base}/{rel}");
            let path = Path::new(&input.path).join(&rel);
            async move { download(stores, &url, &path).await }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

async fn download(stores: &Stores, url: &str, path: &Path) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let (store, key) = stores.get(url)?;
    if let Some(cache) = &stores.instance_cache {
        return cache.fetch(store.as_ref(), &key, url, path).await;
    }
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut body = store
        .get(&key)
        .await
        .with_context(|| format!("cannot fetch {url}"))?
        .into_stream();
    let mut file = tokio::fs::File::create(path)
        .await
        .with_context(|| format!("cannot create {}", path.display()))?;
    while let Some(chunk) = body.next().await {
        file.write_all(&chunk.with_context(|| format!("while fetching {url}"))?)
            .await?;
    }
    file.flush().await?;
    Ok(())
}

/// Uploads a file (in parts when large): what the engine needs to know of it as `rel`.
async fn upload(
    stores: &Stores,
    file: &Path,
    url: &str,
    rel: String,
) -> Result<ferry_stage::Uploaded> {
    use tokio::io::AsyncReadExt;
    let size = tokio::fs::metadata(file).await?.len();
    let uploaded = |etag| ferry_stage::Uploaded { rel, size, etag };
    if size <= PART as u64 {
        let bytes = tokio::fs::read(file).await?;
        return Ok(uploaded(put(stores, url, bytes).await?));
    }
    let (store, key) = stores.get(url)?;
    let options = object_store::PutMultipartOptions {
        attributes: stores.attributes(),
        ..Default::default()
    };
    let mut writer = object_store::WriteMultipart::new_with_chunk_size(
        store.put_multipart_opts(&key, options).await?,
        PART,
    );
    let mut f = tokio::fs::File::open(file).await?;
    let mut buf = vec![0u8; PART];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        writer.wait_for_capacity(4).await?;
        writer.write(&buf[..n]);
    }
    let done = writer
        .finish()
        .await
        .with_context(|| format!("cannot upload {url}"))?;
    Ok(uploaded(done.e_tag))
}

/// One PUT: the object's ETag, when the store gives one.
async fn put(stores: &Stores, url: &str, bytes: Vec<u8>) -> Result<Option<String>> {
    let (store, key) = stores.get(url)?;
    let options = object_store::PutOptions {
        attributes: stores.attributes(),
        ..Default::default()
    };
    let done = store
        .put_opts(&key, PutPayload::from(bytes), options)
        .await
        .with_context(|| format!("cannot upload {url}"))?;
    Ok(done.e_tag)
}
