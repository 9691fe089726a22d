//! The shell scripts a cluster runs: one per attempt (`job.sh` in its attempt directory, a
//! batch script that also works when submitted by hand) and one per submission (`.ferry-hpc/N.sh`),
//! which for an array picks its element's attempt from the submission's list.

use std::fmt::Write as _;
use std::path::Path;

use crate::AttemptSpec;

/// How a job runs a task's image.
#[derive(Clone, Debug)]
pub struct ClusterContainers {
    pub runtime: ferry_config::ContainerRuntime,
    pub host_network: bool,
    /// Extra words for the runtime's run command (a site's `--ulimit`s, `--nv`...).
    pub options: Vec<String>,
    /// The runtime's own options, before its subcommand (`--runtime=runc`, `--root=...`).
    pub global_options: Vec<String>,
    /// Where Apptainer/Singularity images are pulled as SIF files, once per digest (a
    /// filesystem the compute nodes share).
    pub image_cache: std::path::PathBuf,
}

/// Single-quoted for sh.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn quote_path(p: &Path) -> String {
    quote(&p.to_string_lossy())
}

/// The name of the marker an attempt's `job.sh` drops in `.ferry-hpc/done/` when it ends.
pub(crate) fn done_marker(job_script: &Path) -> Option<String> {
    let text = std::fs::read_to_string(job_script).ok()?;
    let line = text.lines().rev().find(|l| l.starts_with(": > "))?;
    let path = line.strip_prefix(": > ")?.trim();
    let path = path.strip_prefix('\'').unwrap_or(path);
    let path = path.strip_suffix('\'').unwrap_or(path);
    Some(path.rsplit('/').next()?.to_string())
}

/// What the attempt's job does, after the scheduler's directives.
pub(crate) struct AttemptScript<'a> {
    pub spec: &'a AttemptSpec,
    pub directives: &'a [String],
    pub run_dir: &'a Path,
    /// Where the job drops its marker when it is done (`.ferry-hpc/done/<marker>`).
    pub done: &'a Path,
    /// The program that runs the command and records its resource use (`ferry-launch --job`),
    /// used when the compute node can execute it.
    pub helper: &'a [String],
    pub containers: Option<&'a ClusterContainers>,
}

impl AttemptScript<'_> {
    pub(crate) fn render(&self) -> String {
        let spec = self.spec;
        let a = quote_path(&spec.attempt_dir);
        let mut s = String::from("#!/bin/bash\n");
        for d in self.directives {
            s.push_str(d);
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "# Ferry: attempt {} of run {}. Ferry submits it through its run's .ferry-hpc/;\n# submitted by hand it runs the same way.",
            spec.label.replace('\n', " "),
            // A comment: a newline in it would start a command.
            self.run_dir
                .display()
                .to_string()
                .replace(['\n', '\r'], " ")
        );
        let _ = writeln!(s, "attempt={a}");
        // Not FERRY_RUN: that marks processes of the engine's own machine, which a resumed
        // run kills; a job belongs to the scheduler and is waited for instead.
        let _ = writeln!(s, "export FERRY_ATTEMPT=\"$attempt\"");
        // Streaming credentials stay out of the script: nodes use their own.
        let streaming = spec.streaming.iter().flat_map(|st| st.env.iter());
        for (k, v) in spec.env.iter().chain(streaming) {
            let _ = writeln!(s, "export {k}={}", quote(v));
        }
        let _ = writeln!(
            s,
            "mkdir -p {w} && cd {w} || exit 1\nrm -f \"$attempt/rc\" \"$attempt/usage\"",
            w = quote_path(&spec.work_dir)
        );
        let disk = crate::disks::total_bytes(&spec.disks);
        if disk > 0 {
            // WDL `disks`: checked on the node, before the command (a scheduler that cannot
            // place the request, like Grid Engine without a site's disk resource, still runs
            // the job: it fails here, naming the node).
            let _ = writeln!(
                s,
                "free_kib=$(df -Pk . 2>/dev/null | awk 'NR == 2 {{ print $4 }}')\nif [ -n \"$free_kib\" ] && [ \"$free_kib\" -lt {kib} ]; then\n  echo \"ferry: \\`disks\\` asks for {human} but $(pwd) on $(hostname) has $free_kib KiB free\" > \"$attempt/stderr\"\n  echo 1 > \"$attempt/rc\"\n  : > {done}\n  exit 1\nfi",
                kib = disk.div_ceil(1024),
                human = ferry_config::human_bytes(disk),
                done = quote_path(self.done),
            );
        }
        match (self.containers, &spec.container) {
            (Some(c), Some(image)) => {
                let run = container_command(c, spec, image).join(" ");
                let _ = writeln!(
                    s,
                    "{run}\nrc=$?\n# The runtime itself failed (no image, no runtime): its status is the attempt's.\n[ -e \"$attempt/rc\" ] || echo \"$rc\" > \"$attempt/rc\""
                );
            }
            _ => {
                let helper: Vec<String> = self.helper.iter().map(|w| quote(w)).collect();
                let _ = writeln!(
                    s,
                    "if [ -x {exe} ]; then\n  {cmd} \"$attempt\"\n  rc=$?\nelse\n  /bin/bash \"$attempt/command\" > \"$attempt/stdout\" 2> \"$attempt/stderr\"\n  rc=$?\n  echo \"$rc\" > \"$attempt/rc.tmp\" && mv -f \"$attempt/rc.tmp\" \"$attempt/rc\"\nfi",
                    exe = helper.first().map(String::as_str).unwrap_or("''"),
                    cmd = helper.join(" "),
                );
            }
        }
        let _ = writeln!(s, ": > {}\nexit \"$rc\"", quote_path(self.done));
        s
    }
}

/// The runtime's command line for one attempt: the attempt directory read-write and every input
/// read-only at their host paths, the same `/bin/sh` wrapper as on Docker (bash when the image
/// has it), which writes `rc`.
pub(crate) fn container_command(
    c: &ClusterContainers,
    spec: &AttemptSpec,
    image: &str,
) -> Vec<String> {
    use ferry_config::ContainerRuntime::*;
    let attempt = spec.attempt_dir.to_string_lossy();
    let mut argv: Vec<String> = Vec::new();
    // A task that streams inputs from an object store needs the network.
    let host_network = c.host_network || spec.streaming.is_some();
    match c.runtime {
        Podman => {
            argv.push("podman".into());
            argv.extend(c.global_options.iter().cloned());
            argv.extend(["run", "--rm", "--pull=never"].map(String::from));
            // Passed by name: the values are the job script's exports.
            for (k, _) in spec
                .env
                .iter()
                .chain(spec.streaming.iter().flat_map(|s| s.env.iter()))
            {
                argv.push(format!("--env={k}"));
            }
            argv.push(
                if host_network {
                    "--network=host"
                } else {
                    "--network=none"
                }
                .into(),
            );
            argv.push(format!("--volume={attempt}:{attempt}:rw"));
            for input in &spec.inputs {
                let p = input.to_string_lossy();
                argv.push(format!("--volume={p}:{p}:ro"));
            }
            argv.extend(c.options.iter().cloned());
            argv.extend(["--entrypoint", "/bin/sh"].map(String::from));
            argv.push(image.to_string());
        }
        Apptainer | Singularity => {
            argv.push(c.runtime.to_string());
            argv.extend(c.global_options.iter().cloned());
            argv.extend(["exec", "--containall", "--no-home"].map(String::from));
            // `--containall` starts from a clean environment: the task's variables go in by
            // value (never credentials: the script has none).
            for (k, v) in spec
                .env
                .iter()
                .chain(spec.streaming.iter().flat_map(|s| s.env.iter()))
            {
                argv.push(format!("--env={k}={v}"));
            }
            if !host_network {
                // Needs the site to allow `--net` for users; say so in the docs.
                argv.extend(["--net", "--network", "none"].map(String::from));
            }
            argv.push(format!("--bind={attempt}:{attempt}:rw"));
            for input in &spec.inputs {
                let p = input.to_string_lossy();
                argv.push(format!("--bind={p}:{p}:ro"));
            }
            argv.extend(c.options.iter().cloned());
            // A SIF file (pulled once per run), else a reference the node pulls itself.
            argv.push(if image.contains("://") || image.starts_with('/') {
                image.to_string()
            } else {
                format!("docker://{image}")
            });
            argv.push("/bin/sh".into());
        }
    }
    argv.push("-c".into());
    argv.push(crate::container::WRAPPER.into());
    argv.push("ferry".into());
    for p in [
        &spec.work_dir,
        &spec.script,
        &spec.stdout,
        &spec.stderr,
        &spec.attempt_dir.join("rc"),
        &spec.attempt_dir.join(crate::container::USAGE_FILE),
    ] {
        argv.push(p.to_string_lossy().into_owned());
    }
    let mut words: Vec<String> = argv.into_iter().map(|w| quote(&w)).collect();
    if matches!(c.runtime, Podman) {
        // The job's own limits, read where it runs: podman's defaults (open files, processes)
        // may exceed a node's hard limits, which the runtime cannot raise without
        // CAP_SYS_RESOURCE (`crun: setrlimit RLIMIT_NOFILE: Operation not permitted`). A site's
        // `runtime_options` come later and win.
        let after_run = 4 + c.global_options.len();
        words.splice(
            after_run..after_run,
            [PODMAN_NOFILE.to_string(), PODMAN_NPROC.to_string()],
        );
    }
    words
}

/// Shell words (not quoted: expanded in the job) giving podman limits it can set: the job's
/// own open-files limit, and its process limit capped at 32,768, where podman caps its own
/// (and its monitor's) when it starts: the container cannot be given more than they have.
const PODMAN_NOFILE: &str =
    r#""--ulimit=nofile=$(n=$(ulimit -Hn); [ "$n" = unlimited ] && n=1048576; echo "$n:$n")""#;
const PODMAN_NPROC: &str = r#""--ulimit=nproc=$(n=$(ulimit -Hu); { [ "$n" = unlimited ] || [ "$n" -gt 32768 ]; } && n=32768; echo "$n:$n")""#;

/// The script of one submission: the scheduler's directives, then the element's attempt.
pub(crate) fn submission_script(
    directives: &[String],
    list: &Path,
    index_expr: Option<&str>,
) -> String {
    let mut s = String::from("#!/bin/bash\n");
    for d in directives {
        s.push_str(d);
        s.push('\n');
    }
    match index_expr {
        Some(index) => {
            let _ = writeln!(
                s,
                "# Ferry: one element of an array; line N+1 of the list is element N's attempt.\nattempt=$(sed -n \"$(({index} + 1))p\" {list})\n[ -n \"$attempt\" ] || {{ echo \"ferry: no attempt for element {index}\" >&2; exit 1; }}\nexec /bin/bash \"$attempt/job.sh\"",
                list = quote_path(list)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "attempt=$(head -n 1 {list})\nexec /bin/bash \"$attempt/job.sh\"",
                list = quote_path(list)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> AttemptSpec {
        let mut spec = AttemptSpec::for_test(Path::new("/runs/r1/calls/t/attempt-1"));
        spec.create_from = "/runs/r1".into();
        spec.container = Some("ubuntu@sha256:abc".into());
        spec.inputs = vec!["/data/it's.bam".into()];
        spec
    }

    #[test]
    fn apptainer_binds_inputs_read_only_and_has_no_network() {
        let c = ClusterContainers {
            runtime: ferry_config::ContainerRuntime::Apptainer,
            host_network: false,
            options: vec![],
            global_options: vec![],
            image_cache: "/cache/images".into(),
        };
        let cmd = container_command(&c, &spec(), "ubuntu@sha256:abc").join(" ");
        assert!(
            cmd.starts_with("'apptainer' 'exec' '--containall'"),
            "{cmd}"
        );
        assert!(cmd.contains("'--net' '--network' 'none'"), "{cmd}");
        assert!(
            cmd.contains(r"'--bind=/data/it'\''s.bam:/data/it'\''s.bam:ro'"),
            "{cmd}"
        );
        assert!(
            cmd.contains("'--bind=/runs/r1/calls/t/attempt-1:/runs/r1/calls/t/attempt-1:rw'"),
            "{cmd}"
        );
        assert!(
            cmd.contains("'docker://ubuntu@sha256:abc' '/bin/sh' '-c'"),
            "{cmd}"
        );
    }

    #[test]
    fn a_streaming_job_gets_the_endpoint_and_network_but_never_the_credentials() {
        let mut spec = spec();
        spec.streaming = Some(std::sync::Arc::new(crate::Streaming {
            urls: vec!["s3://b/x.bam".into()],
            env: vec![("HTS_S3_HOST".into(), "s3.example.org".into())],
            secrets: vec![("AWS_SECRET_ACCESS_KEY".into(), "very-secret".into())],
        }));
        let c = ClusterContainers {
            runtime: ferry_config::ContainerRuntime::Podman,
            host_network: false,
            options: vec![],
            global_options: vec![],
            image_cache: "/cache/images".into(),
        };
        let script = AttemptScript {
            spec: &spec,
            directives: &[],
            run_dir: Path::new("/runs/r1"),
            done: Path::new("/runs/r1/.ferry-hpc/done/1"),
            helper: &[],
            containers: Some(&c),
        }
        .render();
        assert!(
            script.contains("export HTS_S3_HOST='s3.example.org'"),
            "{script}"
        );
        assert!(
            !script.contains("very-secret") && !script.contains("AWS_SECRET"),
            "{script}"
        );
        assert!(script.contains("'--env=HTS_S3_HOST'"), "{script}");
        assert!(script.contains("'--network=host'"), "{script}");
        let apptainer = ClusterContainers {
            runtime: ferry_config::ContainerRuntime::Apptainer,
            host_network: false,
            options: vec![],
            global_options: vec![],
            image_cache: "/cache/images".into(),
        };
        let cmd = container_command(&apptainer, &spec, "x").join(" ");
        assert!(cmd.contains("'--env=HTS_S3_HOST=s3.example.org'"), "{cmd}");
        assert!(
            !cmd.contains("--network"),
            "streaming needs the network: {cmd}"
        );
        assert!(!cmd.contains("very-secret"), "{cmd}");
    }

    #[test]
    fn podman_runs_the_docker_wrapper_without_network() {
        let c = ClusterContainers {
            runtime: ferry_config::ContainerRuntime::Podman,
            host_network: false,
            options: vec!["--ulimit=nofile=4096:4096".into()],
            global_options: vec!["--runtime=runc".into()],
            image_cache: "/cache/images".into(),
        };
        let cmd = container_command(&c, &spec(), "local/busybox:1").join(" ");
        assert!(cmd.contains("'--network=none'"), "{cmd}");
        // The runtime's own options before `run`; the job's limits, then the site's options.
        assert!(
            cmd.starts_with(
                "'podman' '--runtime=runc' 'run' '--rm' '--pull=never' \"--ulimit=nofile=$("
            ),
            "{cmd}"
        );
        assert!(
            cmd.contains(
                "'--ulimit=nofile=4096:4096' '--entrypoint' '/bin/sh' 'local/busybox:1' '-c'"
            ),
            "{cmd}"
        );
        assert!(
            cmd.ends_with(
                "'/runs/r1/calls/t/attempt-1/rc' '/runs/r1/calls/t/attempt-1/container-usage'"
            ),
            "{cmd}"
        );
    }
}
