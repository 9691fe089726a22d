//! `ferry run --detach`: the engine itself runs as an AWS Batch job. This side checks the
//! workflow and inputs, puts what the engine needs in the run's state in the work directory
//! (its id and name, inputs, the workflow's sources, how it was started), submits the engine's
//! job with the effective profile, prints the run id and returns. `ferry __engine RUN_ID`, the
//! job's command, rebuilds the run from there and drives it as `ferry run --resume RUN_ID`
//! would, so a job Batch starts again (its host went) resumes the run.

use super::*;
use ferry_engine::run_state::{self, RunHome, detached::Detached};

/// The profile's name in the file the engine's job is given.
const ENGINE_PROFILE_NAME: &str = "detached";
/// The variable that carries that file (the engine needs it before it can read the store).
const ENGINE_PROFILE_VAR: &str = "FERRY_ENGINE_PROFILE";
/// The CA bundle the engine's job is pointed at (`SSL_CERT_FILE`), written by the engine as it
/// starts: slim images (Debian's included) have none, and the engine's clients need one even
/// to be built.
const ENGINE_CA_FILE: &str = "/tmp/ferry-engine-ca.pem";

/// The `ferry run` options a detached engine keeps.
fn engine_options(args: &RunArgs) -> Vec<String> {
    let mut options = Vec::new();
    if let Some(t) = &args.task {
        options.extend(["--task".to_string(), t.clone()]);
    }
    if args.compat == Some(Compat::Cromwell) {
        options.extend(["--compat".to_string(), "cromwell".to_string()]);
    }
    for (on, flag) in [
        (args.lenient_optionals, "--lenient-optionals"),
        (args.keep_going, "--keep-going"),
        (args.fail_fast, "--fail-fast"),
        (args.no_cache, "--no-cache"),
        (args.report, "--report"),
    ] {
        if on {
            options.push(flag.to_string());
        }
    }
    options
}

/// `ferry run WF --profile P --detach [--resume RUN_ID]`.
pub(crate) async fn detach(
    args: &RunArgs,
    profile: &ferry_config::Profile,
    document: &ferry_wdl::ir::Document,
    raw: &ferry_engine::RawInputs,
    name: &str,
    sources: &[PathBuf],
) -> Result<i32, Stop> {
    let Some(work) = stored::work_dir(profile) else {
        return Err(Stop::usage(format!(
            "ferry: --detach runs the engine as an AWS Batch job: it needs a profile with `executor = \"awsbatch\"` and `batch.work_dir = \"s3://…\"` (profile {})",
            profile.names.join(",")
        )));
    };
    if profile.cache_url.is_some() && !args.no_cache && profile.cache {
        return Err(Stop::usage(
            "ferry: --detach cannot use a shared call cache yet: its key (`cache_key_file`) would have to travel with the engine's job; run with --no-cache, or without --detach",
        ));
    }
    let (_, objects) = ferry_exec::factory::storage_for(profile);
    let fail = |e: String| Stop::failed(format!("ferry: {e}"));
    let given = args.inputs.is_some() || !args.pairs.is_empty();
    let home = match args.resume.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => {
            let home = existing_run(&objects, work, id, profile).await?;
            // Detached again and given no inputs: it goes on with those it started with.
            let stored = match home.read_inputs().await.map_err(fail)? {
                Some(serde_json::Value::Object(entries)) if !given => {
                    Some(ferry_engine::RawInputs {
                        entries: entries.into_iter().collect(),
                        base_dir: raw.base_dir.clone(),
                        from_command_line: Vec::new(),
                    })
                }
                _ => None,
            };
            check_inputs(args, document, stored.as_ref().unwrap_or(raw), profile).await?;
            home
        }
        None => {
            check_inputs(args, document, raw, profile).await?;
            let id = ferry_exec::unique_id();
            let run_name = format!("{}-{name}", stamp());
            let home = RunHome::new(objects, work, &id, &run_name);
            home.save_identity(&run_name).await.map_err(fail)?;
            home
        }
    };
    if args.resume.is_none() || given {
        home.save_inputs(&stored::inputs_file(raw, name))
            .await
            .map_err(fail)?;
    }
    let main = home
        .save_workflow(sources, &args.file)
        .await
        .map_err(fail)?;
    let mut record = Detached::new(main, engine_options(args), ENGINE_PROFILE_NAME.to_string());
    home.save_detached(&record).await.map_err(fail)?;
    home.write_pointer(name, "submitted").await.map_err(fail)?;
    let profile_text = profile_file(
        &args.file,
        args.config.as_deref(),
        &args.profile,
        ENGINE_PROFILE_NAME,
    )
    .map_err(|e| Stop::usage(format!("ferry: {e}")))?;
    let request = ferry_exec::EngineJobRequest {
        run_id: &home.run_id,
        workflow: name,
        command: vec![
            ferry_exec::ENGINE_PROGRAM.to_string(),
            "__engine".to_string(),
            home.run_id.clone(),
        ],
        environment: vec![
            (ENGINE_PROFILE_VAR.to_string(), profile_text),
            // Nothing of the image's home or configuration: the profile says it all.
            ("XDG_CACHE_HOME".to_string(), "/tmp/ferry-cache".to_string()),
            (
                "XDG_CONFIG_HOME".to_string(),
                "/tmp/ferry-config".to_string(),
            ),
            ("FERRY_LOG".to_string(), "info".to_string()),
            ("SSL_CERT_FILE".to_string(), ENGINE_CA_FILE.to_string()),
        ],
    };
    let (job, queue) = ferry_exec::factory::submit_engine_job(profile, request)
        .await
        .map_err(|e| Stop::failed(format!("ferry: {e:#}")))?;
    record.engine_job = Some(job.clone());
    home.save_detached(&record).await.map_err(fail)?;
    outln!("{}", home.run_id);
    let shown = profile.names.join(",");
    errln!(
        "ferry: run {} of {name} detached: its engine is Batch job {job} on {queue}; `ferry status {} --profile {shown}` follows it, `ferry cancel {} --profile {shown}` stops it",
        home.run_id,
        home.run_id,
        home.run_id
    );
    Ok(0)
}

/// `YYYYmmdd-HHMMSS`, as run directories are named.
fn stamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    sys::local_time(now, c"%Y%m%d-%H%M%S").unwrap_or_else(|| now.to_string())
}

/// The run to detach again (`--resume RUN_ID --detach`): it must exist and no engine may be
/// driving it.
async fn existing_run(
    objects: &Arc<ferry_storage::ObjectStorage>,
    work: &str,
    run_id: &str,
    profile: &ferry_config::Profile,
) -> Result<RunHome, Stop> {
    let found = run_state::find_run(objects, work, run_id)
        .await
        .map_err(|e| Stop::failed(format!("ferry: {e}")))?
        .ok_or_else(|| Stop::usage(format!("ferry: no run {run_id} in {work}")))?;
    let home = RunHome::new(objects.clone(), work, run_id, &found.run_name());
    let (_, lease) = home
        .status()
        .await
        .map_err(|e| Stop::failed(format!("ferry: {e}")))?;
    if let Some(l) = lease {
        let renewed = l["renewed_ms"].as_u64().unwrap_or(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let age = now.saturating_sub(renewed);
        if age < profile.batch_lease_ttl.as_millis() as u64 {
            return Err(Stop::usage(format!(
                "ferry: run {run_id} is being driven by {} (its lease was renewed {}s ago)",
                l["holder"].as_str().unwrap_or("another engine"),
                age / 1000
            )));
        }
    }
    Ok(home)
}

/// The inputs, checked as `ferry validate` checks them, and none a file of this machine: the
/// engine's job cannot read them.
async fn check_inputs(
    args: &RunArgs,
    document: &ferry_wdl::ir::Document,
    raw: &ferry_engine::RawInputs,
    profile: &ferry_config::Profile,
) -> Result<(), Stop> {
    let task = ferry_engine::pick_task(document, args.task.as_deref())
        .map_err(|e| Stop::usage(format!("ferry: {e}")))?;
    let target = match (task, &document.workflow) {
        (Some(t), _) => ferry_engine::Target::Task(t),
        (None, Some(w)) => ferry_engine::Target::Workflow(w),
        (None, None) => {
            return Err(Stop::usage(format!(
                "ferry: {} has no workflow; name a task with --task",
                args.file.display()
            )));
        }
    };
    let (storage, _) = ferry_exec::factory::storage_for(profile);
    let inputs = ferry_engine::inputs::resolve(target, raw, &storage, None)
        .await
        .map_err(|e| {
            Stop::usage(
                e.lines()
                    .map(|l| format!("ferry: bad inputs: {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?;
    let mut local = Vec::new();
    let values = inputs.root.iter().map(|(k, v)| (k.to_string(), v)).chain(
        inputs
            .nested
            .iter()
            .flat_map(|(call, m)| m.iter().map(move |(k, v)| (format!("{call}.{k}"), v))),
    );
    for (key, value) in values {
        value.visit_paths(&mut |path, _| {
            if !path.contains("://") {
                local.push(format!("{key}: {path}"));
            }
        });
    }
    if !local.is_empty() {
        local.sort();
        return Err(Stop::usage(format!(
            "ferry: --detach: these inputs are files on this machine, which the engine's job cannot read; put them in the object store and give their URLs:\n  {}",
            local.join("\n  ")
        )));
    }
    Ok(())
}

/// `ferry __engine RUN_ID`: the engine's job. The profile comes in `FERRY_ENGINE_PROFILE`;
/// the run (its workflow, inputs and state) from the work directory.
pub(crate) async fn engine_command(run_id: &str) -> i32 {
    match engine_args(run_id).await {
        Ok(argv) => match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Run(args),
            }) => run(args).await,
            Ok(_) => 2,
            Err(e) => {
                errln!("ferry: the detached run's options: {e}");
                2
            }
        },
        Err(e) => {
            errln!("ferry: detached run {run_id}: {e}");
            2
        }
    }
}

/// Writes the CA bundle `SSL_CERT_FILE` names when it is not there: the image's own bundle, if
/// it has one, and the roots that travel with Ferry (as `ferry-stage` carries them).
fn write_ca_bundle() -> Result<(), String> {
    use base64::Engine as _;
    let Some(path) = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from) else {
        return Ok(());
    };
    if path.exists() {
        return Ok(());
    }
    let mut pem = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .unwrap_or_default();
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let text = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in text.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    std::fs::write(&path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The `ferry run` command line that drives the detached run here.
async fn engine_args(run_id: &str) -> Result<Vec<String>, String> {
    write_ca_bundle()?;
    let text = std::env::var(ENGINE_PROFILE_VAR).map_err(|_| {
        format!(
            "{ENGINE_PROFILE_VAR} is not set: this is the command of a detached engine's Batch job"
        )
    })?;
    let base = std::env::temp_dir().join(format!("ferry-engine-{run_id}"));
    let workflow_dir = base.join("workflow");
    std::fs::create_dir_all(&workflow_dir)
        .map_err(|e| format!("cannot create {}: {e}", workflow_dir.display()))?;
    let config = base.join("ferry.toml");
    std::fs::write(&config, &text)
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let profile = load_profile_from(
        &[(config.clone(), true)],
        &[ENGINE_PROFILE_NAME.to_string()],
    )?
    .0;
    let work = stored::work_dir(&profile)
        .ok_or("the profile keeps no runs in an object store (`batch.work_dir`)")?;
    let (_, objects) = ferry_exec::factory::storage_for(&profile);
    let found = run_state::find_run(&objects, work, run_id)
        .await?
        .ok_or_else(|| format!("no run {run_id} in {work}"))?;
    let home = RunHome::new(objects, work, run_id, &found.run_name());
    let record = home
        .read_detached()
        .await?
        .ok_or_else(|| format!("run {run_id} was never detached"))?;
    home.restore_workflow(&workflow_dir).await?;
    let main = record.main_under(&workflow_dir)?;
    let mut argv: Vec<String> = ["ferry", "run"].map(String::from).to_vec();
    argv.push(main.to_string_lossy().to_string());
    argv.extend(record.options);
    for (flag, value) in [
        ("--resume", run_id.to_string()),
        ("--run-dir", base.join("run").to_string_lossy().to_string()),
        ("--profile", record.profile),
        ("--config", config.to_string_lossy().to_string()),
    ] {
        argv.extend([flag.to_string(), value]);
    }
    Ok(argv)
}
