//! Attempts that reach a remote executor together leave together: the submitters of AWS Batch
//! and the cluster schedulers collect what arrives within a short quiet time and group it by
//! what one submission must share, so a scatter becomes a few array jobs.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

/// How long a submitter waits for more siblings after the last one arrived (`quiet`), and at
/// most (`longest`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gathering {
    pub quiet: Duration,
    pub longest: Duration,
}

/// A cluster's: its scheduler starts a job within seconds.
pub(crate) const CLUSTER: Gathering = Gathering {
    quiet: Duration::from_millis(300),
    longest: Duration::from_secs(3),
};

impl Gathering {
    /// AWS Batch's: a job waits a poll interval or more before anyone learns it ended, and the
    /// shards that follow finished ones (a scatter window's refills, reclaimed shards' retries)
    /// come a few at a time; gathering them for up to a poll interval submits hundreds of
    /// them as one array instead of one small array each.
    pub(crate) fn batch(poll_interval: Duration) -> Gathering {
        Gathering {
            quiet: Duration::from_secs(1),
            longest: poll_interval.max(CLUSTER.longest),
        }
    }
}

/// The next batch of arrivals: waits for one, then takes more until none came for `quiet` or
/// `longest` passed. `None` when the queue is closed.
pub(crate) async fn next_batch<T>(
    queue: &mut UnboundedReceiver<T>,
    how: Gathering,
) -> Option<Vec<T>> {
    let first = queue.recv().await?;
    let started = Instant::now();
    let mut batch = vec![first];
    while started.elapsed() < how.longest {
        match tokio::time::timeout(how.quiet, queue.recv()).await {
            Ok(Some(p)) => batch.push(p),
            _ => break,
        }
    }
    Some(batch)
}

/// `items` grouped by `key`, groups in order of first arrival, each in arrival order.
pub(crate) fn group_by<T, K: PartialEq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for item in items {
        let k = key(&item);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

/// `items` in chunks of at most `size`, in order.
pub(crate) fn chunks<T>(mut items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    while !items.is_empty() {
        let rest = items.split_off(items.len().min(size.max(1)));
        out.push(std::mem::replace(&mut items, rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_arrival_order_and_chunks_their_size() {
        let g = group_by(vec![1, 2, 3, 4, 5, 6], |n| n % 2);
        assert_eq!(g, vec![(1, vec![1, 3, 5]), (0, vec![2, 4, 6])]);
        assert_eq!(
            chunks(vec![1, 2, 3, 4, 5], 2),
            vec![vec![1, 2], vec![3, 4], vec![5]]
        );
        assert!(chunks(Vec::<u8>::new(), 3).is_empty());
    }
}
