//! Grid Engine (SGE, Son of Grid Engine, Univa/Altair): `qsub`, `qstat`, `qdel`, `qacct`.

use std::path::Path;

use super::{Fate, ListedState, QueueEntry, Scheduler, Shape};

pub(crate) struct Sge {
    /// The resource that carries memory, per slot (`h_vmem`, `mem_free`, `virtual_free`).
    pub memory_resource: String,
    pub gpu_resource: String,
    pub disk_resource: Option<String>,
    /// The parallel environment that gives a job several slots on one host.
    pub parallel_environment: String,
}

impl Scheduler for Sge {
    fn name(&self) -> &'static str {
        "sge"
    }

    /// In a log path: a `:` names a host, a `$` a variable, a `'` holds the job in error;
    /// a `"` would end the quoting.
    fn refused_in_paths(&self) -> &'static [char] {
        &['"', '\'', ':', '$', '\\']
    }

    fn directives(
        &self,
        shape: &Shape,
        job_name: &str,
        log: &Path,
        array: Option<usize>,
    ) -> Vec<String> {
        let mut d = vec![
            format!("-N {job_name}"),
            format!("-o \"{}\"", log.display()),
            "-j y".into(),
            "-S /bin/bash".into(),
            // The submitting environment (the engine's, minus what the profile withholds).
            "-V".into(),
            // Refuse at submission what no queue can ever run, instead of waiting forever. The
            // check ignores load values, so a memory resource that is one (mem_free,
            // virtual_free) would fail every job: then only a warning.
            if self.memory_resource == "h_vmem" {
                "-w e".into()
            } else {
                "-w w".into()
            },
        ];
        if shape.cpu > 1 {
            d.push(format!("-pe {} {}", self.parallel_environment, shape.cpu));
        }
        // Memory resources are per slot.
        let per_slot = shape.memory_mib.div_ceil(u64::from(shape.cpu.max(1)));
        let mut limits = vec![format!("{}={per_slot}M", self.memory_resource)];
        if let Some(s) = shape.time_seconds {
            limits.push(format!(
                "h_rt={}:{:02}:{:02}",
                s / 3600,
                s / 60 % 60,
                s % 60
            ));
        }
        if shape.gpu > 0 {
            limits.push(format!("{}={}", self.gpu_resource, shape.gpu));
        }
        if let Some(r) = self.disk_resource.as_ref().filter(|_| shape.disk_mib > 0) {
            limits.push(format!("{r}={}M", shape.disk_mib));
        }
        d.push(format!("-l {}", limits.join(",")));
        if let Some(q) = &shape.queue {
            d.push(format!("-q {q}"));
        }
        if let Some(a) = &shape.account {
            d.push(format!("-A {a}"));
        }
        if let Some(n) = array {
            d.push(format!("-t 1-{n}"));
        }
        let mut lines: Vec<String> = d.into_iter().map(|o| format!("#$ {o}")).collect();
        for o in &shape.cluster_options {
            lines.push(format!("#$ {o}"));
        }
        lines
    }

    fn log_name(&self, submission: u64, array: bool) -> String {
        if array {
            format!("{submission}-$TASK_ID.log")
        } else {
            format!("{submission}.log")
        }
    }

    fn element_log_name(&self, submission: u64, index: Option<usize>) -> String {
        match index {
            Some(i) => format!("{submission}-{}.log", i + 1),
            None => format!("{submission}.log"),
        }
    }

    fn submit(&self, script: &Path) -> Vec<String> {
        vec!["qsub".into(), "-terse".into(), script.display().to_string()]
    }

    fn job_id(&self, stdout: &str) -> Option<String> {
        // `-terse` prints `id` or, for an array, `id.1-5:1`.
        let id = stdout.trim().split('.').next()?.trim();
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_string())
    }

    fn index_expr(&self) -> &'static str {
        "$((SGE_TASK_ID - 1))"
    }

    fn status(&self, user: &str) -> Vec<String> {
        vec!["qstat".into(), "-u".into(), user.into(), "-xml".into()]
    }

    fn parse_status(&self, out: &str) -> Vec<QueueEntry> {
        let mut listed = Vec::new();
        for block in out.split("<job_list").skip(1) {
            let block = block.split("</job_list>").next().unwrap_or(block);
            let (Some(job), Some(name), Some(state)) = (
                tag(block, "JB_job_number"),
                tag(block, "JB_name"),
                tag(block, "state"),
            ) else {
                continue;
            };
            let state = if state.contains('E') {
                ListedState::Stuck(format!(
                    "grid engine holds the job in error state {state} (`qstat -j {job}` says why)"
                ))
            } else {
                ListedState::Active
            };
            match tag(block, "tasks") {
                None => listed.push(QueueEntry {
                    job: job.to_string(),
                    index: None,
                    name: name.to_string(),
                    state,
                }),
                Some(tasks) => {
                    for t in task_ids(tasks) {
                        listed.push(QueueEntry {
                            job: job.to_string(),
                            index: Some(t - 1),
                            name: name.to_string(),
                            state: state.clone(),
                        });
                    }
                }
            }
        }
        listed
    }

    fn cancel(&self, jobs: &[String]) -> Vec<String> {
        let mut argv = vec!["qdel".to_string()];
        argv.extend(jobs.iter().cloned());
        argv
    }

    fn cancel_element(&self, job: &str, index: Option<usize>) -> Vec<String> {
        match index {
            Some(i) => vec!["qdel".into(), job.into(), "-t".into(), (i + 1).to_string()],
            None => vec!["qdel".into(), job.into()],
        }
    }

    fn accounting(&self, job: &str) -> Vec<Vec<String>> {
        vec![vec!["qacct".into(), "-j".into(), job.into()]]
    }

    fn parse_accounting(&self, out: &str, _job: &str, index: Option<usize>) -> Option<Fate> {
        let wanted = index.map(|i| (i + 1).to_string());
        for record in out.split("==============================================================") {
            let field = |k: &str| {
                record.lines().find_map(|l| {
                    let (key, v) = l.split_once(char::is_whitespace)?;
                    (key == k).then(|| v.trim().to_string())
                })
            };
            let Some(exit) = field("exit_status") else {
                continue;
            };
            let task = field("taskid").unwrap_or_default();
            if wanted.as_deref().is_some_and(|w| w != task) {
                continue;
            }
            let failed = field("failed").unwrap_or_default();
            let code: i32 = exit
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(-1);
            let wall: f64 = field("ru_wallclock")
                .and_then(|w| w.trim_end_matches('s').parse().ok())
                .unwrap_or(0.0);
            let h_rt = field("category").and_then(|c| limit_seconds(&c, "h_rt"));
            // Killed by the qmaster for a limit (`failed 37`), or SIGKILLed in a job that had
            // a limit and no other failure; a `qdel` also ends in 137, with `failed 100`.
            let category = field("category").unwrap_or_default();
            let enforced = failed.starts_with("37")
                || ((code == 137 || code == 152)
                    && (failed.starts_with('0') || failed.is_empty())
                    && (category.contains("h_vmem") || category.contains("h_rt")));
            if enforced && h_rt.is_some_and(|t| wall + 1.0 >= t) {
                return Some(Fate::time(
                    "grid engine killed the job at its time limit (h_rt)",
                ));
            }
            if enforced {
                return Some(Fate::memory(
                    "grid engine killed the job for exceeding its memory limit",
                ));
            }
            let why = if failed.starts_with('0') || failed.is_empty() {
                format!("exit status {exit}")
            } else {
                format!("failed: {failed}; exit status {exit}")
            };
            return Some(Fate::other(&format!("grid engine says: {why}")));
        }
        None
    }

    fn max_array_query(&self) -> Vec<String> {
        vec!["qconf".into(), "-sconf".into()]
    }

    fn max_array_size(&self, answer: &str) -> Option<usize> {
        answer
            .lines()
            .find(|l| l.starts_with("max_aj_tasks"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<usize>().ok())
            // 0 means no limit.
            .map(|n| if n == 0 { usize::MAX } else { n })
    }

    fn log_fate(&self, _log: &str) -> Option<Fate> {
        None
    }
}

fn tag<'a>(block: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = block.find(&open)? + open.len();
    let end = block[start..].find(&format!("</{name}>"))? + start;
    Some(block[start..end].trim())
}

/// `3`, `3-5:1`, `1,4-6` → task ids.
fn task_ids(tasks: &str) -> Vec<usize> {
    let mut ids = Vec::new();
    for part in tasks.split(',') {
        let (range, step) = part.split_once(':').unwrap_or((part, "1"));
        let step: usize = step.trim().parse().unwrap_or(1).max(1);
        match range.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
                    ids.extend((a..=b).step_by(step));
                }
            }
            None => ids.extend(range.trim().parse::<usize>().ok()),
        }
    }
    ids
}

/// The seconds of limit `name` in a qacct category such as `-l h_rt=3,h_vmem=50M -pe smp 2`.
fn limit_seconds(category: &str, name: &str) -> Option<f64> {
    let at = category.find(&format!("{name}="))? + name.len() + 1;
    let value: String = category[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ':')
        .collect();
    let mut seconds = 0.0;
    for part in value.split(':') {
        seconds = seconds * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sge() -> Sge {
        Sge {
            memory_resource: "h_vmem".into(),
            gpu_resource: "gpu".into(),
            disk_resource: None,
            parallel_environment: "smp".into(),
        }
    }

    #[test]
    fn qstat_xml_lists_every_array_task() {
        let xml = r#"<job_list state="running"><JB_job_number>10</JB_job_number><JB_name>ferry-a.x.1</JB_name><state>r</state><tasks>1</tasks></job_list>
<job_list state="pending"><JB_job_number>10</JB_job_number><JB_name>ferry-a.x.1</JB_name><state>qw</state><tasks>3-5:1</tasks></job_list>
<job_list state="pending"><JB_job_number>11</JB_job_number><JB_name>b</JB_name><state>Eqw</state></job_list>"#;
        let l = sge().parse_status(xml);
        let idx: Vec<Option<usize>> = l.iter().map(|e| e.index).collect();
        assert_eq!(idx, vec![Some(0), Some(2), Some(3), Some(4), None]);
        assert!(matches!(l[4].state, ListedState::Stuck(_)));
    }

    #[test]
    fn qacct_tells_time_from_memory() {
        let timed = "==============================================================\njobnumber    4\ntaskid       undefined\nfailed       37  : qmaster enforced h_rt, h_cpu, or h_vmem limit\nexit_status  137                  (Killed)\nru_wallclock 3s\ncategory     -l h_rt=3\n";
        assert!(
            sge()
                .parse_accounting(timed, "4", None)
                .is_some_and(|f| f.time)
        );
        let mem = "==============================================================\njobnumber    5\ntaskid       2\nfailed       0\nexit_status  137\nru_wallclock 1s\ncategory     -l h_rt=600,h_vmem=50M\n";
        assert!(
            sge()
                .parse_accounting(mem, "5", Some(1))
                .is_some_and(|f| f.oom)
        );
        assert!(sge().parse_accounting(mem, "5", Some(0)).is_none());
        // A qdel: SIGKILL too, but no memory kill.
        let deleted = "==============================================================\njobnumber    6\ntaskid       undefined\nfailed       100 : assumedly after job\nexit_status  137\nru_wallclock 2s\ncategory     -l h_vmem=2048M\n";
        assert!(
            sge()
                .parse_accounting(deleted, "6", None)
                .is_some_and(|f| !f.oom && !f.time)
        );
    }

    #[test]
    fn memory_is_asked_per_slot() {
        let shape = Shape {
            cpu: 4,
            memory_mib: 1000,
            gpu: 0,
            time_seconds: Some(90 * 60),
            queue: Some("long".into()),
            account: None,
            qos: None,
            disk_mib: 0,
            cluster_options: vec!["-l virtual_free=64G".into()],
        };
        let d = sge()
            .directives(&shape, "j", Path::new("/r/l.log"), Some(3))
            .join("\n");
        assert!(d.contains("#$ -pe smp 4"), "{d}");
        assert!(d.contains("#$ -l h_vmem=250M,h_rt=1:30:00"), "{d}");
        assert!(d.contains("#$ -t 1-3"), "{d}");
        assert!(d.ends_with("#$ -l virtual_free=64G"), "{d}");
    }

    #[test]
    fn disks_go_to_the_sites_disk_resource() {
        let mut s = sge();
        s.disk_resource = Some("tmp_free".into());
        let shape = Shape {
            cpu: 2,
            memory_mib: 1000,
            gpu: 0,
            time_seconds: None,
            queue: None,
            account: None,
            qos: None,
            disk_mib: 4096,
            cluster_options: vec![],
        };
        let d = s
            .directives(&shape, "j", Path::new("/r/l.log"), None)
            .join("\n");
        assert!(d.contains("tmp_free=4096M"), "{d}");
    }
}
