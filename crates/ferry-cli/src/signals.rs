//! Ctrl-C, SIGTERM and SIGHUP (a closed terminal) during a run.
//!
//! The first stops the run in order: every task gets SIGTERM (SIGKILL after a grace period),
//! remote jobs are cancelled, finished attempts are kept for `--resume`, `state` says
//! `cancelled` and Ferry exits 128+N once everything it started has ended. The second stops
//! at once, but not blindly: every task is killed and every remote job or container of the
//! run is terminated within [`ABORT_PATIENCE`] before Ferry exits. A third exits immediately.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferry_engine::Shared;

/// How long a second signal waits for remote work (Batch jobs, cluster jobs, containers) to be
/// terminated before Ferry exits anyway.
const ABORT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// Set by a second signal: the handler now owns the process's exit.
static ABORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called when a run has ended, before the process exits: while a second signal's abort is
/// still terminating remote work, the run's own (earlier) end must not exit under it, leaving
/// jobs running and the exit code of the first signal. The handler exits the process.
pub async fn let_abort_finish() {
    if ABORTING.load(Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
}

pub fn spawn_handler(shared: Arc<Shared>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            tracing::warn!("cannot watch for signals: Ctrl-C will not stop tasks in order");
            return;
        };
        let mut next = async || {
            tokio::select! {
                _ = int.recv() => libc::SIGINT,
                _ = term.recv() => libc::SIGTERM,
                _ = hup.recv() => libc::SIGHUP,
            }
        };
        let sig = next().await;
        ferry_engine::STOP_SIGNAL.store(sig, Ordering::SeqCst);
        tracing::warn!("signal {sig}: stopping running tasks (again to stop at once)");
        shared.cancel();
        let sig = next().await;
        ABORTING.store(true, Ordering::SeqCst);
        ferry_engine::STOP_SIGNAL.store(sig, Ordering::SeqCst);
        tracing::warn!(
            "signal {sig} again: killing every task now and terminating the run's remote jobs (a third signal exits at once)"
        );
        shared.executor.kill_all();
        tokio::select! {
            done = tokio::time::timeout(ABORT_PATIENCE, shared.executor.abort()) => {
                if done.is_err() {
                    tracing::error!(
                        "remote jobs or containers of the run may still be running: terminating them took over {}s",
                        ABORT_PATIENCE.as_secs()
                    );
                }
            }
            third = next() => tracing::warn!("signal {third} a third time: exiting now"),
        }
        shared.flush_records();
        if let Err(e) = crate::write_state(&shared.run_dir, "cancelled") {
            tracing::error!("cannot write {}/state: {e}", shared.run_dir.display());
        }
        if let Some(log) = crate::RUN_LOG.get() {
            log.flush();
        }
        // The launcher kills whatever the tasks still have running once this process is gone.
        std::process::exit(128 + sig);
    });
}
