//! Running one task call. Its life, stage by stage, one file each:
//!
//! 1. `resources`: evaluate inputs, private declarations, runtime/requirements (after the
//!    profile) and the command.
//! 2. `inputs`: object-store inputs localized, streamed, or left for a remote job to stage.
//! 3. `reuse`: the call cache, and attempts a stopped run left finished.
//! 4. `attempt`: run an attempt on the executor; on failure, plan the next (retries, more
//!    memory after an out-of-memory kill, transient errors).
//! 5. `outputs`: evaluate and check the outputs, or placeholders for stub runs.
//!
//! This file holds the call's driver (`run_call`) and what the stages share.

mod attempt;
mod inputs;
mod outputs;
mod resources;
mod reuse;

use attempt::*;
pub use ferry_config::human_bytes;
use inputs::*;
use outputs::*;
pub(crate) use resources::given_value;
use resources::*;
pub use resources::{
    IGNORED_RUNTIME_KEYS, Resources, eval_decls, ignored_runtime_keys, parse_disks, parse_memory,
    resolve_resources,
};
use reuse::*;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferry_config::Profile;
use ferry_eval::eval::render_placeholder;
use ferry_eval::{Evaluator, Io, Members, Value, coerce};
use ferry_exec::{AttemptOutcome, AttemptSpec, ExecError};
use ferry_storage::Kind;
use ferry_wdl::ir::{CommandPart, Decl, Task, Type, Version};
use futures_util::{StreamExt, TryStreamExt};

use crate::{Shared, callcache, journal};

/// Inputs and identity of one call of a task (one shard of a scatter, say).
pub struct CallJob {
    pub task: Arc<Task>,
    pub inputs: HashMap<Arc<str>, Value>,
    /// `call` or `sub.call[3]`, for messages.
    pub label: String,
    /// `RUN/calls/.../call[/shard-i/...]`: attempts go below it, as
    /// `{attempt_prefix}attempt-N`.
    pub call_dir: PathBuf,
    /// `shard-i.` for a call in a scatter (its innermost shard), else empty.
    pub attempt_prefix: String,
    /// This call name's progress counters.
    pub progress: Arc<crate::progress::CallCounters>,
}

/// Why a call did not produce outputs.
#[derive(Debug)]
pub enum CallError {
    Failed(String),
    Cancelled,
}

/// Runs a call to completion: attempts with retries, then its outputs.
pub async fn run_call(job: CallJob, shared: Arc<Shared>) -> Result<Members, CallError> {
    let counters = job.progress.clone();
    counters.created.fetch_add(1, Ordering::Relaxed);
    let result = run_call_attempts(job, shared.clone()).await;
    match &result {
        Ok(outputs) => {
            shared.stamp_outputs(outputs);
            counters.done.fetch_add(1, Ordering::Relaxed);
        }
        Err(CallError::Failed(_)) => {
            counters.failed.fetch_add(1, Ordering::Relaxed);
        }
        Err(CallError::Cancelled) => {}
    }
    result
}

/// What carries over from one attempt of a call to the next.
pub(crate) struct Retries {
    attempt: u32,
    /// The call-cache key to record the outputs under (found by the first attempt).
    cache_key: Option<String>,
    /// After an out-of-memory kill, what the next attempt asks for.
    oom_memory: Option<u64>,
    /// `task.previous` of the next attempt (WDL 1.3).
    previous: Value,
    /// Times the executor could not start an attempt for a passing reason
    /// (`ExecError::Transient`).
    transient_tries: u32,
    /// Attempts lost to preemption so far, not counted against `maxRetries` (up to the task's
    /// preemptible budget).
    preempted: u32,
    /// The queue of the attempts after the preemptible budget ran out (`batch.fallback_queue`).
    fallback_queue: Option<String>,
}

/// One attempt's names and places.
pub(crate) struct Attempt {
    number: u32,
    dir: PathBuf,
    work_dir: PathBuf,
    /// How the journal names the attempt.
    journal_name: String,
    /// `task.id`: the call's name (its alias, if it has one) and its scatter indices, as the
    /// spec suggests: `align`, `align-3`, `sub.align-3-1`. The same for every attempt of a shard.
    id: String,
    label: String,
}

/// Shards of one call per directory: the first thousand sit in the call's directory, each
/// further thousand in a directory of its own (`shards-1000/`, `shards-2000/`, ...), so that no
/// directory the engine creates and looks up in grows with the scatter's width.
const SHARDS_PER_DIR: u64 = 1000;

/// Where attempt `number` of `job` lives: the one rule for an attempt's path.
fn attempt_dir(job: &CallJob, shared: &Shared, number: u32) -> PathBuf {
    let name = format!("{}attempt-{number}", job.attempt_prefix);
    let flat = job.call_dir.join(&name);
    let Some(group) = shard_group(&job.attempt_prefix) else {
        return flat;
    };
    // A run an earlier Ferry started kept every shard in the call's directory: what it left
    // is resumed where it is (a stat per attempt, when resuming only).
    if shared.resuming && flat.exists() {
        return flat;
    }
    job.call_dir.join(format!("shards-{group}")).join(name)
}

/// The first shard of the directory of shards that an attempt prefix `shard-N.` belongs in;
/// `None` for the first thousand and for calls outside a scatter.
fn shard_group(attempt_prefix: &str) -> Option<u64> {
    let index: u64 = attempt_prefix
        .strip_prefix("shard-")?
        .strip_suffix('.')?
        .parse()
        .ok()?;
    (index >= SHARDS_PER_DIR).then_some(index / SHARDS_PER_DIR * SHARDS_PER_DIR)
}

impl Attempt {
    fn new(job: &CallJob, shared: &Shared, number: u32) -> Attempt {
        let dir = attempt_dir(job, shared, number);
        Attempt {
            number,
            work_dir: dir.join("work"),
            journal_name: relative(&dir, &shared.run_dir),
            id: task_id(&job.label),
            label: job.label.clone(),
            dir,
        }
    }

    /// A failure of this attempt, naming it and its directory.
    fn fail(&self, m: impl std::fmt::Display) -> CallError {
        CallError::Failed(format!(
            "call {} (attempt {}): {m}\n  attempt dir: {}",
            self.label,
            self.number,
            self.dir.display()
        ))
    }
}

/// `task.id` of a call labelled `align[3][1]`: `align-3-1`.
fn task_id(label: &str) -> String {
    label.replace("][", "-").replace('[', "-").replace(']', "")
}

/// What the attempt loop does after an attempt.
pub(crate) enum Next {
    Done(Members),
    /// The executor could not start it for a passing reason: the same attempt again.
    Again,
    /// It failed and may be retried.
    Retry,
}

pub(crate) async fn run_call_attempts(
    mut job: CallJob,
    shared: Arc<Shared>,
) -> Result<Members, CallError> {
    let streaming = if shared.profile.stub {
        None
    } else {
        localize_inputs(&mut job, &shared)
            .await
            .map_err(|m| CallError::Failed(format!("call {}: {m}", job.label)))?
    };
    let mut retries = Retries {
        attempt: 1,
        cache_key: None,
        oom_memory: None,
        preempted: 0,
        fallback_queue: None,
        previous: Value::None,
        transient_tries: 0,
    };
    loop {
        if shared.stopping() {
            return Err(CallError::Cancelled);
        }
        let at = Attempt::new(&job, &shared, retries.attempt);
        match run_attempt(&job, &shared, &streaming, &at, &mut retries).await? {
            Next::Done(outputs) => {
                shared.journal.record_outputs(&at.journal_name, &outputs);
                return Ok(outputs);
            }
            Next::Again => {}
            Next::Retry => retries.attempt += 1,
        }
    }
}

/// Runs `f`, which may read files for a long time (hashing, removing trees), without stalling
/// the other tasks of the runtime's worker it runs on.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_go_a_thousand_to_a_directory() {
        assert_eq!(shard_group("shard-999."), None);
        assert_eq!(shard_group("shard-1000."), Some(1000));
        assert_eq!(shard_group("shard-64999."), Some(64000));
        assert_eq!(shard_group(""), None);
        assert_eq!(shard_group("shard-x."), None);
    }

    #[test]
    fn disks_in_the_spec_forms_and_cromwell_form() {
        let d = |v: Value| resources::parse_disks(&v);
        let gib = 1u64 << 30;
        let one = |mount: Option<&str>, bytes: u64| ferry_exec::DiskRequest {
            mount: mount.map(String::from),
            bytes,
        };
        assert_eq!(d(Value::Int(10)).unwrap(), [one(None, 10 * gib)]);
        assert_eq!(d(Value::string("10")).unwrap(), [one(None, 10 * gib)]);
        assert_eq!(d(Value::string("500 MiB")).unwrap(), [one(None, 500 << 20)]);
        assert_eq!(
            d(Value::string("/mnt/out 2")).unwrap(),
            [one(Some("/mnt/out"), 2 * gib)]
        );
        assert_eq!(
            d(Value::string("/mnt/out 3 GB")).unwrap(),
            [one(Some("/mnt/out"), 3_000_000_000)]
        );
        assert_eq!(
            d(Value::string("local-disk 100 HDD")).unwrap(),
            [one(None, 100 * gib)]
        );
        assert_eq!(
            d(Value::array(vec![
                Value::string("local-disk 5 SSD"),
                Value::string("/scratch 1 TiB"),
            ]))
            .unwrap(),
            [one(None, 5 * gib), one(Some("/scratch"), 1 << 40)]
        );
        for bad in ["", "big", "/a /b", "/a 1 GiB extra", "scratch 5"] {
            assert!(d(Value::string(bad)).is_err(), "{bad:?} accepted");
        }
        assert!(d(Value::Int(-1)).is_err());
        assert!(d(Value::Bool(true)).is_err());
    }

    #[test]
    fn task_ids_name_the_call_and_its_shard() {
        assert_eq!(task_id("test"), "test");
        assert_eq!(task_id("align[3]"), "align-3");
        assert_eq!(task_id("sub.align[3][1]"), "sub.align-3-1");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_memory(&Value::string("4 GiB")).unwrap(), 4 << 30);
        assert_eq!(parse_memory(&Value::string("512M")).unwrap(), 512_000_000);
        assert_eq!(parse_memory(&Value::string("1.5 KiB")).unwrap(), 1536);
        assert!(parse_memory(&Value::string("12 GX")).is_err());
        assert_eq!(parse_memory(&Value::Int(1000)).unwrap(), 1000);
    }
}
