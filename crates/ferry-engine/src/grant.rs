//! The machine's cpu and memory, granted to calls together, first come first served.
//!
//! Two semaphores taken one after the other would have a call hold its cpu idle while it waits
//! for memory. Here a call waits in one queue and gets both at once: the head of the queue is
//! served as soon as both fit, and nobody overtakes it (a big request is not starved by a
//! stream of small ones).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Amounts in whole units: thousandths of a cpu and MiB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Amount {
    pub cpu: u64,
    pub memory: u64,
}

impl Amount {
    fn fits_in(self, free: Amount) -> bool {
        self.cpu <= free.cpu && self.memory <= free.memory
    }
}

struct Waiter {
    id: u64,
    want: Amount,
    granted: oneshot::Sender<()>,
}

struct State {
    free: Amount,
    queue: VecDeque<Waiter>,
    next_id: u64,
    closed: bool,
}

/// The ledger of what is free; cheap to share.
#[derive(Clone)]
pub struct Resources {
    state: Arc<Mutex<State>>,
    total: Amount,
}

/// Resources held by a call; given back when dropped.
pub struct Grant {
    state: Arc<Mutex<State>>,
    held: Amount,
}

impl Resources {
    pub fn new(total: Amount) -> Resources {
        Resources {
            state: Arc::new(Mutex::new(State {
                free: total,
                queue: VecDeque::new(),
                next_id: 0,
                closed: false,
            })),
            total,
        }
    }

    /// Waits until `want` (capped at the total) fits, behind everyone who asked before.
    /// `None` once the ledger is closed (the run is stopping).
    pub async fn acquire(&self, want: Amount) -> Option<Grant> {
        let want = Amount {
            cpu: want.cpu.min(self.total.cpu),
            memory: want.memory.min(self.total.memory),
        };
        let (id, granted) = {
            let mut s = self.state.lock().ok()?;
            if s.closed {
                return None;
            }
            if s.queue.is_empty() && want.fits_in(s.free) {
                s.free.cpu -= want.cpu;
                s.free.memory -= want.memory;
                return Some(self.grant(want));
            }
            let (tx, rx) = oneshot::channel();
            let id = s.next_id;
            s.next_id += 1;
            s.queue.push_back(Waiter {
                id,
                want,
                granted: tx,
            });
            (id, rx)
        };
        // If this future is dropped while waiting, the place in the queue (or what was
        // granted meanwhile) is given back.
        let mut waiting = Waiting {
            resources: self,
            id,
            want,
            rx: Some(granted),
        };
        let rx = waiting.rx.as_mut()?;
        let result = rx.await;
        waiting.rx = None;
        result.ok().map(|()| self.grant(want))
    }

    fn grant(&self, held: Amount) -> Grant {
        Grant {
            state: self.state.clone(),
            held,
        }
    }

    /// Wakes every waiter with `None` and refuses new requests.
    pub fn close(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.closed = true;
            s.queue.clear();
        }
    }
}

/// Serves the head of the queue while it fits.
fn admit(s: &mut State) {
    while let Some(head) = s.queue.front() {
        if !head.want.fits_in(s.free) {
            return;
        }
        let Some(w) = s.queue.pop_front() else {
            return;
        };
        s.free.cpu -= w.want.cpu;
        s.free.memory -= w.want.memory;
        if w.granted.send(()).is_err() {
            // Its caller is gone (and could not give it back itself).
            s.free.cpu += w.want.cpu;
            s.free.memory += w.want.memory;
        }
    }
}

fn give_back(state: &Mutex<State>, amount: Amount) {
    if let Ok(mut s) = state.lock() {
        s.free.cpu += amount.cpu;
        s.free.memory += amount.memory;
        admit(&mut s);
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        give_back(&self.state, self.held);
    }
}

struct Waiting<'a> {
    resources: &'a Resources,
    id: u64,
    want: Amount,
    rx: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let Some(mut rx) = self.rx.take() else {
            return;
        };
        let state = &self.resources.state;
        // Granted but never taken: give it back. Else leave the queue; the head may have
        // been waiting behind us.
        if rx.try_recv().is_ok() {
            give_back(state, self.want);
        } else if let Ok(mut s) = state.lock() {
            s.queue.retain(|w| w.id != self.id);
            admit(&mut s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(cpu: u64, memory: u64) -> Amount {
        Amount { cpu, memory }
    }

    #[tokio::test]
    async fn a_call_waiting_for_memory_holds_no_cpu_and_nobody_overtakes_it() {
        let r = Resources::new(amount(2000, 1000));
        let big_memory = r.acquire(amount(1000, 800)).await.expect("fits");
        // Needs memory that is taken: waits, holding nothing.
        let waiting = tokio::spawn({
            let r = r.clone();
            async move { r.acquire(amount(1000, 500)).await.map(|g| g.held) }
        });
        tokio::task::yield_now().await;
        // The second cpu is still free, but a later request does not overtake the waiter.
        let later = tokio::spawn({
            let r = r.clone();
            async move { r.acquire(amount(1000, 100)).await.map(|g| g.held) }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished() && !later.is_finished());
        drop(big_memory);
        assert_eq!(waiting.await.unwrap(), Some(amount(1000, 500)));
        assert_eq!(later.await.unwrap(), Some(amount(1000, 100)));
    }

    #[tokio::test]
    async fn an_abandoned_wait_gives_its_place_back_and_close_wakes_everyone() {
        let r = Resources::new(amount(1000, 100));
        let first = r.acquire(amount(1000, 100)).await.expect("fits");
        let abandoned = tokio::spawn({
            let r = r.clone();
            async move { r.acquire(amount(1000, 100)).await.is_some() }
        });
        tokio::task::yield_now().await;
        abandoned.abort();
        let _ = abandoned.await;
        drop(first);
        // Everything is free again: the aborted waiter took nothing with it.
        let again = r.acquire(amount(1000, 100)).await.expect("free");
        let blocked = tokio::spawn({
            let r = r.clone();
            async move { r.acquire(amount(1, 1)).await.is_none() }
        });
        tokio::task::yield_now().await;
        r.close();
        assert!(blocked.await.unwrap(), "a closed ledger answers None");
        drop(again);
        assert!(r.acquire(amount(1, 1)).await.is_none());
    }
}
