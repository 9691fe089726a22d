//! Tests of the configuration: the file format, profile layering and validation.

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn resolve(paths: &[PathBuf], profiles: &[&str]) -> Result<Profile, ConfigError> {
    let cfg = Config::load(&paths.iter().map(|p| (p.clone(), true)).collect::<Vec<_>>())?;
    let names: Vec<String> = profiles.iter().map(|s| s.to_string()).collect();
    cfg.resolve(&names, &[]).map(|(p, _)| p)
}

#[test]
fn built_in_profiles_need_no_file() {
    let p = resolve(&[], &[]).unwrap();
    assert_eq!(p.executor, ExecutorKind::Local);
    assert_eq!(
        resolve(&[], &["docker"]).unwrap().executor,
        ExecutorKind::Docker
    );
    assert!(resolve(&[], &["stub"]).unwrap().stub);
}

#[test]
fn layers_override_key_by_key_and_profiles_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(
        dir.path(),
        "user.toml",
        "[defaults]\nretries = 1\nqueue = \"short\"\n[profiles.hpc]\nexecutor = \"slurm\"\naccount = \"lab\"\n",
    );
    let project = write(
        dir.path(),
        "project.toml",
        "[profiles.hpc]\nqueue = \"long\"\n[profiles.big]\nmax_memory = \"64 GB\"\nqueue = \"bigmem\"\n",
    );
    let p = resolve(&[user.clone(), project.clone()], &["hpc"]).unwrap();
    assert_eq!(p.executor, ExecutorKind::Slurm);
    assert_eq!(p.queue.as_deref(), Some("long"));
    assert_eq!(p.account.as_deref(), Some("lab"));
    assert_eq!(p.retries, Some(1));
    let p = resolve(&[user.clone(), project.clone()], &["hpc", "big"]).unwrap();
    assert_eq!(p.queue.as_deref(), Some("bigmem"));
    assert_eq!(p.max_memory, Some(64_000_000_000));
    // Provenance: each value names the file it came from.
    let cfg = Config::load(&[(user.clone(), true), (project.clone(), true)]).unwrap();
    let (_, shown) = cfg
        .resolve(&["hpc".into()], &[("FERRY_RETRIES".into(), "4".into())])
        .unwrap();
    let find = |k: &str| {
        let (key, v, s, _) = shown
            .iter()
            .find(|(key, _, _, _)| key == k)
            .cloned()
            .unwrap();
        (key, v, s)
    };
    assert_eq!(find("queue").2, Source::File(project.clone()));
    assert_eq!(find("account").2, Source::File(user.clone()));
    assert_eq!(find("executor").2, Source::File(user));
    assert_eq!(
        find("retries"),
        (
            "retries".into(),
            "4".into(),
            Source::Env("FERRY_RETRIES".into())
        )
    );
    assert_eq!(find("container.network").2, Source::BuiltIn);
}

#[test]
fn per_task_overrides_by_glob() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "f.toml",
        "[profiles.hpc]\nexecutor = \"slurm\"\n[profiles.hpc.tasks.\"align_*\"]\nmemory = \"16 GiB\"\ncpu = 8\n[profiles.hpc.tasks.align_long]\nretries = 3\n",
    );
    let p = resolve(&[f], &["hpc"]).unwrap();
    let o = p.task_override("align_long");
    assert_eq!(o.memory.map(|m| m.bytes()), Some(16 << 30));
    assert_eq!(o.cpu, Some(8.0));
    assert_eq!(o.retries, Some(3));
    assert_eq!(p.task_override("sort"), TaskOverride::default());
}

#[test]
fn bad_configs_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[profiles.hpc]\nexecutor = \"slurm\"\nqueu = \"x\"\n",
            ":3:",
            "queu",
        ),
        ("[defaults]\nmemory = \"12 GX\"\n", ":2:", "memory"),
        ("[defaults]\nretries = \"many\"\n", ":2:", "retries"),
        ("[defaults]\nexecutor = \"kubernetes\"\n", ":2:", "executor"),
        (
            "[defaults]\npoll_interval = \"often\"\n",
            "poll_interval",
            "often",
        ),
        ("[defaults]\ncpu = -1.0\n", "cpu", "positive"),
        (
            "[defaults]\npoll_interval = \"0s\"\n",
            "poll_interval",
            "at least 1s",
        ),
        ("[defaults\n", ":1:", ""),
    ];
    for (text, where_, key) in cases {
        let f = write(dir.path(), "bad.toml", text);
        let err = resolve(std::slice::from_ref(&f), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml"), "{text}: {err}");
        assert!(err.contains(where_), "{text}: {err}");
        assert!(err.contains(key), "{text}: {err}");
    }
    let ok = write(dir.path(), "ok.toml", "[defaults]\nmemory = \"12 GB\"\n");
    assert_eq!(
        resolve(std::slice::from_ref(&ok), &[]).unwrap().memory,
        Some(12_000_000_000)
    );
    let err = resolve(&[ok], &["hcp"]).unwrap_err().to_string();
    assert!(err.contains("unknown profile `hcp`"), "{err}");
    let missing = dir.path().join("missing.toml");
    assert!(
        resolve(&[missing], &[])
            .unwrap_err()
            .to_string()
            .contains("cannot read config")
    );
}

#[test]
fn environment_variables_override_single_keys() {
    let cfg = Config::load(&[]).unwrap();
    let env = vec![
        ("FERRY_EXECUTOR".to_string(), "docker".to_string()),
        ("FERRY_CONTAINER__NETWORK".to_string(), "host".to_string()),
        ("FERRY_MAX_CPU".to_string(), "4".to_string()),
    ];
    let (p, _) = cfg.resolve(&[], &env).unwrap();
    assert_eq!(p.executor, ExecutorKind::Docker);
    assert_eq!(p.network, Network::Host);
    assert_eq!(p.max_cpu, Some(4.0));
    let bad = vec![("FERRY_RETRIES".to_string(), "lots".to_string())];
    assert!(cfg.resolve(&[], &bad).is_err());
    let typo = vec![("FERRY_RETIRES".to_string(), "2".to_string())];
    assert!(
        cfg.resolve(&[], &typo).is_err(),
        "a misspelt key is an error"
    );
    // Ferry's own variables that are not profile keys (the server's database, the test
    // scripts' service directory...) are no error in a `ferry run`'s environment.
    let own = vec![
        ("FERRY_SERVE_DB".to_string(), "postgres://x".to_string()),
        ("FERRY_SERVICES_DIR".to_string(), "/tmp/s".to_string()),
        (
            "FERRY_TEST_POSTGRES".to_string(),
            "postgres://y".to_string(),
        ),
        ("FERRY_PROGRESS".to_string(), "0".to_string()),
    ];
    assert!(cfg.resolve(&[], &own).is_ok());
}

#[test]
fn the_aws_profile_is_built_in_and_its_batch_keys_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "ferry.toml",
        "[profiles.aws]\nqueue = \"q\"\n[profiles.aws.batch]\nwork_dir = \"s3://b/w/\"\nsubmit_rate = 5\ntags = { project = \"atlas\" }\nenvironment = { A = \"1\" }\n",
    );
    let p = resolve(&[f], &["aws"]).unwrap();
    assert_eq!(p.executor, ExecutorKind::Awsbatch);
    assert_eq!(p.batch_work_dir.as_deref(), Some("s3://b/w/"));
    assert_eq!(p.batch_submit_rate, 5.0);
    assert_eq!(p.batch_tags, vec![("project".into(), "atlas".into())]);
    assert_eq!(p.batch_environment, vec![("A".into(), "1".into())]);
    assert_eq!(p.batch_helper_dir, "/opt/ferry/bin");

    for (i, (key, expected)) in [
        ("work_dir = \"/local/dir\"", "must be an s3:// prefix"),
        ("submit_rate = 0", "submit_rate"),
        ("helper_dir = \"target/x\"", "absolute"),
        ("volumes = [\"data:/data\"]", "absolute"),
        ("volumes = [\"/a:/b:rx\"]", "unknown mode"),
        ("instance_cache = \"cache\"", "absolute"),
        ("scratch = \"scratch\"", "absolute"),
    ]
    .into_iter()
    .enumerate()
    {
        let bad = write(
            dir.path(),
            &format!("bad{i}.toml"),
            &format!("[profiles.aws.batch]\n{key}\n"),
        );
        let e = resolve(&[bad], &["aws"]).unwrap_err().to_string();
        assert!(e.contains(expected), "{key}: {e}");
    }
}

#[test]
fn batch_volumes_instance_cache_and_s3_write_settings() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "ferry.toml",
        "[profiles.aws.batch]\nvolumes = [\"/mnt/efs:/refs:ro\", \"/scratch\"]\ninstance_cache = \"/var/cache/ferry/\"\ninstance_cache_size = \"2 GiB\"\n[profiles.aws.s3]\nsse = \"aws:kms\"\nkms_key_id = \"alias/k\"\nstorage_class = \"STANDARD_IA\"\nrequester_pays = true\n",
    );
    let p = resolve(&[f], &["aws"]).unwrap();
    assert_eq!(
        p.batch_volumes,
        vec![
            BatchVolume {
                host: "/mnt/efs".into(),
                container: "/refs".into(),
                read_only: true
            },
            BatchVolume {
                host: "/scratch".into(),
                container: "/scratch".into(),
                read_only: false
            },
        ]
    );
    assert_eq!(
        p.batch_instance_cache,
        Some(("/var/cache/ferry".into(), 2 << 30))
    );
    assert_eq!(p.s3_writes.sse.as_deref(), Some("aws:kms"));
    assert!(p.s3_writes.requester_pays);
    for (i, (key, expected)) in [
        ("sse = \"kms\"", "aws:kms"),
        ("kms_key_id = \"k\"", "needs s3.sse"),
        ("storage_class = \"cold\"", "storage class"),
    ]
    .into_iter()
    .enumerate()
    {
        let bad = write(
            dir.path(),
            &format!("s3bad{i}.toml"),
            &format!("[profiles.aws.s3]\n{key}\n"),
        );
        let e = resolve(&[bad], &["aws"]).unwrap_err().to_string();
        assert!(e.contains(expected), "{key}: {e}");
    }
}
