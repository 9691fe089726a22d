//! What the executors whose attempts run as a scheduler's jobs (AWS Batch, the clusters) share:
//! the slots of jobs in flight, one cancellation for all of them, the submissions under way
//! (shutdown waits for those: each may create a job it must then cancel), and the jobs an
//! earlier engine of the run left behind (orphans), which an attempt of the same command adopts
//! and any other replaces. Each executor keeps one [`Scheduled`] and adds what its scheduler
//! needs: how to submit, poll and cancel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit, oneshot, watch};

use crate::{AttemptSpec, ExecError};

pub(crate) struct Scheduled<O> {
    /// Attempts in flight at once (the profile's `max_jobs`).
    slots: Semaphore,
    cancelled: watch::Sender<bool>,
    submitting: AtomicU64,
    /// Jobs an earlier engine of this run submitted, by attempt directory, until an attempt
    /// claims them.
    orphans: Mutex<HashMap<PathBuf, O>>,
}

/// An earlier engine's job for the attempt about to run.
pub(crate) enum Earlier<O> {
    /// It runs the attempt's command: wait for it (or take its results) as for a job submitted
    /// now.
    Same(O),
    /// The command changed since: cancel the job, and submit anew.
    Changed(O),
}

/// A submission under way (see [`Scheduled::submission`]): over when dropped.
pub(crate) struct Submission<'a>(&'a AtomicU64);

impl Drop for Submission<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<O> Scheduled<O> {
    pub(crate) fn new(max_jobs: usize) -> Self {
        Scheduled {
            slots: Semaphore::new(max_jobs.max(1)),
            cancelled: watch::channel(false).0,
            submitting: AtomicU64::new(0),
            orphans: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for one attempt's job, once one is free; `Cancelled` if the run was cancelled
    /// meanwhile.
    pub(crate) async fn slot(&self) -> Result<SemaphorePermit<'_>, ExecError> {
        let slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| ExecError::Cancelled)?;
        if self.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        Ok(slot)
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        *self.cancelled.borrow()
    }

    /// Cancels every attempt waiting on this executor; whether it was cancelled already.
    pub(crate) fn cancel(&self) -> bool {
        self.cancelled.send_replace(true)
    }

    /// The cancellation, for loops that must stop with it.
    pub(crate) fn cancellation(&self) -> watch::Receiver<bool> {
        self.cancelled.subscribe()
    }

    /// The end a job's tracker sends, or `Cancelled` when the run is cancelled first.
    pub(crate) async fn until_ended<T>(&self, ended: oneshot::Receiver<T>) -> Result<T, ExecError> {
        let mut cancelled = self.cancellation();
        tokio::select! {
            end = ended => end.map_err(|_| ExecError::Cancelled),
            _ = cancelled.wait_for(|c| *c) => Err(ExecError::Cancelled),
        }
    }

    /// Counts a submission under way, unless the run is cancelled: counted before the check,
    /// so either shutdown sees the submission and waits for it, or it sees the cancellation.
    pub(crate) fn submission(&self) -> Option<Submission<'_>> {
        self.submitting.fetch_add(1, Ordering::SeqCst);
        let submission = Submission(&self.submitting);
        (!self.is_cancelled()).then_some(submission)
    }

    /// Waits up to `patience` for the submissions under way; whether they all ended.
    pub(crate) async fn submissions_ended(&self, patience: Duration) -> bool {
        let waited = Instant::now();
        while self.submitting.load(Ordering::SeqCst) > 0 {
            if waited.elapsed() > patience {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    /// The jobs an earlier engine of this run left, found when this one started.
    pub(crate) fn set_orphans(&self, found: HashMap<PathBuf, O>) {
        if let Ok(mut o) = self.orphans.lock() {
            *o = found;
        }
    }

    /// Whether an earlier engine's job for this attempt is still unclaimed (the engine then
    /// does not take the attempt's leftovers for a result).
    pub(crate) fn still_running(&self, attempt_dir: &Path) -> bool {
        self.orphans
            .lock()
            .map(|o| o.contains_key(attempt_dir))
            .unwrap_or(false)
    }

    /// Claims the earlier engine's job for `spec`'s attempt, if there is one: the same job if
    /// the script it ran is the attempt's command.
    pub(crate) fn claim_orphan(&self, spec: &AttemptSpec) -> Option<Earlier<O>> {
        let orphan = self.orphans.lock().ok()?.remove(&spec.attempt_dir)?;
        // A few hundred bytes, read once per adopted attempt.
        let same = std::fs::read_to_string(&spec.script).is_ok_and(|s| s == spec.command);
        Some(if same {
            Earlier::Same(orphan)
        } else {
            Earlier::Changed(orphan)
        })
    }

    /// Every orphan still unclaimed, taken (to cancel them at the end of the run).
    pub(crate) fn unclaimed(&self) -> Vec<O> {
        match self.orphans.lock() {
            Ok(mut o) => o.drain().map(|(_, o)| o).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// What `f` makes of the unclaimed orphans, left in place.
    pub(crate) fn with_orphans<T>(&self, f: impl FnOnce(&HashMap<PathBuf, O>) -> T) -> Option<T> {
        self.orphans.lock().ok().map(|o| f(&o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancelled_run_gives_no_slot_and_ends_every_wait() {
        let s: Scheduled<()> = Scheduled::new(1);
        let (_keep, ended) = oneshot::channel::<u8>();
        let wait = s.until_ended(ended);
        let cancel = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!s.cancel());
        };
        let (waited, ()) = tokio::join!(wait, cancel);
        assert!(matches!(waited, Err(ExecError::Cancelled)));
        assert!(s.cancel());
        assert!(matches!(s.slot().await, Err(ExecError::Cancelled)));
        assert!(s.submission().is_none());
        assert!(s.submissions_ended(Duration::ZERO).await);
    }

    #[tokio::test]
    async fn shutdown_waits_for_a_submission_under_way() {
        let s: Scheduled<()> = Scheduled::new(1);
        let under_way = s.submission().unwrap();
        assert!(!s.submissions_ended(Duration::from_millis(120)).await);
        drop(under_way);
        assert!(s.submissions_ended(Duration::ZERO).await);
    }

    #[test]
    fn an_orphan_is_claimed_once_and_adopted_only_for_the_same_command() {
        let dir = tempfile::tempdir().unwrap();
        let spec = |command: &str| {
            let mut spec = AttemptSpec::for_test(dir.path());
            spec.command = command.into();
            spec
        };
        let s: Scheduled<u32> = Scheduled::new(1);
        let a = spec("echo a");
        std::fs::write(&a.script, "echo a").unwrap();
        s.set_orphans(HashMap::from([(a.attempt_dir.clone(), 7)]));
        assert!(s.still_running(&a.attempt_dir));
        assert!(matches!(s.claim_orphan(&a), Some(Earlier::Same(7))));
        assert!(!s.still_running(&a.attempt_dir));
        assert!(s.claim_orphan(&a).is_none());
        s.set_orphans(HashMap::from([(a.attempt_dir.clone(), 8)]));
        assert!(matches!(
            s.claim_orphan(&spec("echo b")),
            Some(Earlier::Changed(8))
        ));
    }
}
