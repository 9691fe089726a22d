//! Cancellation: TerminateJob for every job in flight, and an array's children one by one where the
//! server does not end them with their parent.

use super::*;

impl Inner {
    /// Terminates every job in flight (queued jobs are cancelled, running ones killed) and, for
    /// arrays, their children; and the jobs an earlier engine left that nothing claimed. The jobs stay tracked
    /// until it is done, so a second caller (a second Ctrl-C while the first shutdown is under
    /// way) terminates them too and returns only then, not at once on an emptied table.
    pub(crate) async fn terminate_all(&self) {
        self.terminate_unclaimed().await;
        let jobs: Vec<(String, bool)> = match self.jobs.lock() {
            Ok(j) => j
                .iter()
                .map(|(id, t)| (id.clone(), matches!(t, Tracked::Array { .. })))
                .collect(),
            Err(_) => return,
        };
        if jobs.is_empty() {
            return;
        }
        tracing::info!("terminating {} AWS Batch jobs", jobs.len());
        let ids: Vec<String> = jobs.iter().map(|(id, _)| id.clone()).collect();
        futures_util::stream::iter(jobs)
            .map(|(id, array)| async move {
                self.terminate(&id).await;
                if array {
                    self.terminate_children(&id).await;
                }
            })
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await;
        if let Ok(mut j) = self.jobs.lock() {
            for id in ids {
                j.remove(&id);
            }
        }
    }

    pub(crate) async fn terminate(&self, id: &str) {
        let r = self
            .call("TerminateJob", || {
                self.client
                    .terminate_job()
                    .job_id(id)
                    .reason("cancelled by ferry")
                    .send()
            })
            .await;
        if let Err(e) = r {
            tracing::warn!("could not terminate job {id}: {e:#}");
        }
    }

    /// Batch ends an array's children with their parent; a server that does not (moto) leaves
    /// them running, so whatever is still queued or running is terminated one by one. A child
    /// can move on between the listings of two states and be in neither, so listing repeats
    /// until a round finds no child it has not already terminated. Against Batch itself this
    /// costs a few listings.
    pub(crate) async fn terminate_children(&self, parent: &str) {
        let mut done: HashSet<String> = HashSet::new();
        for _round in 0..5 {
            let mut left = Vec::new();
            for status in LIVE_STATES {
                if let Ok(jobs) = self.children(parent, status).await {
                    left.extend(
                        jobs.iter()
                            .filter_map(|j| j.job_id())
                            .filter(|id| !done.contains(*id))
                            .map(str::to_string),
                    );
                }
            }
            if left.is_empty() {
                return;
            }
            tracing::info!("terminating {} children of array job {parent}", left.len());
            futures_util::stream::iter(left.clone())
                .map(|id| async move { self.terminate(&id).await })
                .buffer_unordered(8)
                .collect::<Vec<()>>()
                .await;
            done.extend(left);
        }
    }
}
