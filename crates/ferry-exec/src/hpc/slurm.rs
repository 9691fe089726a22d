//! Slurm: `sbatch`, `squeue`, `scancel`, `sacct`.

use std::path::Path;

use super::{Fate, ListedState, QueueEntry, Scheduler, Shape};

pub(crate) struct Slurm;

impl Scheduler for Slurm {
    fn name(&self) -> &'static str {
        "slurm"
    }

    /// In a log path: a `%` starts a file-name pattern; a `"` would end the quoting.
    fn refused_in_paths(&self) -> &'static [char] {
        &['"', '%', '\\']
    }

    fn directives(
        &self,
        shape: &Shape,
        job_name: &str,
        log: &Path,
        array: Option<usize>,
    ) -> Vec<String> {
        let mut d = vec![
            format!("--job-name={job_name}"),
            // Quoted: sbatch takes a path with spaces in double quotes.
            format!("--output=\"{}\"", log.display()),
            "--open-mode=append".into(),
            format!("--cpus-per-task={}", shape.cpu),
            format!("--mem={}M", shape.memory_mib),
        ];
        if shape.gpu > 0 {
            d.push(format!("--gres=gpu:{}", shape.gpu));
        }
        if shape.disk_mib > 0 {
            d.push(format!("--tmp={}M", shape.disk_mib));
        }
        if let Some(seconds) = shape.time_seconds {
            d.push(format!("--time={}", seconds.div_ceil(60)));
        }
        if let Some(q) = &shape.queue {
            d.push(format!("--partition={q}"));
        }
        if let Some(a) = &shape.account {
            d.push(format!("--account={a}"));
        }
        if let Some(q) = &shape.qos {
            d.push(format!("--qos={q}"));
        }
        if let Some(n) = array {
            d.push(format!("--array=0-{}", n - 1));
        }
        let mut lines: Vec<String> = d.into_iter().map(|o| format!("#SBATCH {o}")).collect();
        // Verbatim, last: a site's own options win over Ferry's.
        for o in &shape.cluster_options {
            lines.push(format!("#SBATCH {o}"));
        }
        lines
    }

    fn log_name(&self, submission: u64, array: bool) -> String {
        if array {
            format!("{submission}-%a.log")
        } else {
            format!("{submission}.log")
        }
    }

    fn element_log_name(&self, submission: u64, index: Option<usize>) -> String {
        match index {
            Some(i) => format!("{submission}-{i}.log"),
            None => format!("{submission}.log"),
        }
    }

    fn submit(&self, script: &Path) -> Vec<String> {
        vec![
            "sbatch".into(),
            "--parsable".into(),
            script.display().to_string(),
        ]
    }

    fn job_id(&self, stdout: &str) -> Option<String> {
        // `--parsable` prints `id` or `id;cluster`.
        let id = stdout.trim().split(';').next()?.trim();
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_string())
    }

    fn index_expr(&self) -> &'static str {
        "${SLURM_ARRAY_TASK_ID}"
    }

    fn status(&self, user: &str) -> Vec<String> {
        // One line per array element (-r), finished jobs too while Slurm keeps them (-t all).
        vec![
            "squeue".into(),
            format!("--user={user}"),
            "--array".into(),
            "--states=all".into(),
            "--noheader".into(),
            "--format=%F|%K|%T|%r|%j".into(),
        ]
    }

    fn parse_status(&self, out: &str) -> Vec<QueueEntry> {
        out.lines()
            .filter_map(|line| {
                let mut f = line.trim().splitn(5, '|');
                let job = f.next()?.trim().to_string();
                let index = f.next()?.trim();
                let state = f.next()?.trim();
                let reason = f.next()?.trim();
                let name = f.next()?.trim().to_string();
                let index = index.parse::<usize>().ok();
                Some(QueueEntry {
                    job,
                    index,
                    name,
                    state: slurm_state(state, reason),
                })
            })
            .collect()
    }

    fn cancel(&self, jobs: &[String]) -> Vec<String> {
        let mut argv = vec!["scancel".to_string()];
        argv.extend(jobs.iter().cloned());
        argv
    }

    fn cancel_element(&self, job: &str, index: Option<usize>) -> Vec<String> {
        match index {
            Some(i) => vec!["scancel".into(), format!("{job}_{i}")],
            None => vec!["scancel".into(), job.into()],
        }
    }

    fn accounting(&self, job: &str) -> Vec<Vec<String>> {
        let sacct = |completion_log: bool| {
            let mut argv: Vec<String> = vec![
                "sacct".into(),
                "--noheader".into(),
                "--parsable2".into(),
                "--format=JobID,State,ExitCode".into(),
                format!("--jobs={job}"),
            ];
            if completion_log {
                argv.insert(1, "--completion".into());
            }
            argv
        };
        // Without slurmdbd plain `sacct` has nothing; the job completion log (-c) may.
        vec![sacct(false), sacct(true)]
    }

    fn parse_accounting(&self, out: &str, job: &str, index: Option<usize>) -> Option<Fate> {
        let wanted = match index {
            Some(i) => format!("{job}_{i}"),
            None => job.to_string(),
        };
        for line in out.lines() {
            let mut f = line.split('|');
            let (Some(id), Some(state), Some(exit)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if id.trim() != wanted {
                continue;
            }
            let state = state.split_whitespace().next().unwrap_or("");
            if let ListedState::Ended(mut fate) = slurm_state(state, "") {
                fate.message = format!("{} (exit {})", fate.message, exit.trim());
                return Some(fate);
            }
        }
        None
    }

    fn max_array_query(&self) -> Vec<String> {
        vec!["scontrol".into(), "show".into(), "config".into()]
    }

    fn max_array_size(&self, answer: &str) -> Option<usize> {
        answer
            .lines()
            .find(|l| l.trim_start().starts_with("MaxArraySize"))
            .and_then(|l| l.split('=').nth(1))
            .and_then(|v| v.trim().parse::<usize>().ok())
    }

    fn log_fate(&self, log: &str) -> Option<Fate> {
        let lower = log.to_ascii_lowercase();
        if lower.contains("exceeded memory limit")
            || lower.contains("oom-kill")
            || lower.contains("out of memory")
            || lower.contains("out_of_memory")
        {
            return Some(Fate::memory(
                "slurm killed the job for exceeding its memory",
            ));
        }
        if lower.contains("due to time limit") {
            return Some(Fate::time("slurm killed the job at its time limit"));
        }
        if lower.contains("cancelled") {
            return Some(Fate::other("the job was cancelled (scancel)"));
        }
        None
    }
}

fn slurm_state(state: &str, reason: &str) -> ListedState {
    match state {
        "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "SUSPENDED" | "REQUEUED"
        | "REQUEUE_FED" | "REQUEUE_HOLD" | "RESIZING" | "SIGNALING" | "STAGE_OUT" | "STOPPED"
        | "RESV_DEL_HOLD" | "SPECIAL_EXIT" => ListedState::Active,
        "OUT_OF_MEMORY" => ListedState::Ended(Fate::memory(
            "slurm killed the job for exceeding its memory",
        )),
        "TIMEOUT" | "DEADLINE" => {
            ListedState::Ended(Fate::time("slurm killed the job at its time limit"))
        }
        "COMPLETED" => ListedState::Ended(Fate::other("the job ended without writing its rc")),
        other => {
            let why = if reason.is_empty() || reason == "None" {
                String::new()
            } else {
                format!(" ({reason})")
            };
            ListedState::Ended(Fate::other(&format!("slurm ended the job as {other}{why}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_lines_become_elements() {
        let out = "12|3|PENDING|Resources|ferry-t.ab.1\n13|N/A|TIMEOUT|None|ferry-u.ab.2\n14|0|OUT_OF_MEMORY|None|x\n";
        let l = Slurm.parse_status(out);
        assert_eq!(l.len(), 3);
        assert_eq!((l[0].job.as_str(), l[0].index), ("12", Some(3)));
        assert!(matches!(l[0].state, ListedState::Active));
        assert_eq!(l[1].index, None);
        assert!(matches!(&l[1].state, ListedState::Ended(f) if f.time));
        assert!(matches!(&l[2].state, ListedState::Ended(f) if f.oom));
    }

    #[test]
    fn a_memory_kill_in_the_log_is_named() {
        let log = "slurmstepd-vm: error: StepId=6.batch exceeded memory limit (329793536 > 52428800), being killed";
        assert!(Slurm.log_fate(log).is_some_and(|f| f.oom));
        let log = "slurmstepd: error: *** JOB 5 ON vm CANCELLED AT 2026-11-26T20:13:10 DUE TO TIME LIMIT ***";
        assert!(Slurm.log_fate(log).is_some_and(|f| f.time));
    }

    #[test]
    fn sacct_finds_an_array_element() {
        let out = "7_2|FAILED|0:9\n7_3|OUT_OF_MEMORY|0:125\n";
        let f = Slurm.parse_accounting(out, "7", Some(3)).unwrap();
        assert!(f.oom);
        assert!(Slurm.parse_accounting(out, "7", Some(4)).is_none());
    }

    #[test]
    fn disks_become_tmp_only_when_asked() {
        let mut shape = Shape {
            cpu: 1,
            memory_mib: 100,
            gpu: 0,
            time_seconds: None,
            queue: None,
            account: None,
            qos: None,
            disk_mib: 0,
            cluster_options: vec![],
        };
        let d = |shape: &Shape| {
            Slurm
                .directives(shape, "j", Path::new("/r/l.log"), None)
                .join("\n")
        };
        assert!(!d(&shape).contains("--tmp"), "{}", d(&shape));
        shape.disk_mib = 2048;
        assert!(d(&shape).contains("#SBATCH --tmp=2048M"), "{}", d(&shape));
    }
}
