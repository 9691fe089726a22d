//! The server's limits, shared by all its runs: every attempt of every run takes a lease here
//! before it starts (`ferry_engine::lease` is the other end), so that the runs together never
//! use more than `--max-cpus`/`--max-memory` of this machine or hold more than `--max-jobs`
//! cluster or Batch jobs, while a run alone may use all of it.
//!
//! A lease is a connection to the server's Unix socket, held for as long as its attempt runs;
//! it is given back when the connection closes, so a run that dies holds nothing. Runs are
//! served in turn (round robin): the run whose turn it is gets its next attempt started before
//! any other run's, and nobody overtakes it, so neither a run with thousands of shards nor a
//! big attempt waiting for room starves anyone.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::oneshot;

/// Two amounts a lease takes of a ledger: thousandths of a cpu and MiB on this machine, or one
/// job (and nothing) elsewhere.
type Amount = (u64, u64);

fn fits(want: Amount, free: Amount) -> bool {
    want.0 <= free.0 && want.1 <= free.1
}

struct Waiter {
    id: u64,
    want: Amount,
    granted: oneshot::Sender<()>,
}

/// One limit shared among runs, served in turn.
struct Ledger {
    total: Amount,
    free: Amount,
    /// Each run's waiting attempts, oldest first.
    waiting: HashMap<String, VecDeque<Waiter>>,
    /// The runs with waiting attempts, in the order of their turns.
    turns: VecDeque<String>,
    /// What each run holds now (the live page's "running").
    held: HashMap<String, Amount>,
}

impl Ledger {
    fn new(total: Amount) -> Ledger {
        Ledger {
            total,
            free: total,
            waiting: HashMap::new(),
            turns: VecDeque::new(),
            held: HashMap::new(),
        }
    }

    /// A request larger than the whole is cut to the whole: it runs alone rather than never.
    fn capped(&self, want: Amount) -> Amount {
        (want.0.min(self.total.0), want.1.min(self.total.1))
    }

    fn take(&mut self, run: &str, want: Amount) {
        self.free = (self.free.0 - want.0, self.free.1 - want.1);
        let held = self.held.entry(run.to_string()).or_default();
        *held = (held.0 + want.0, held.1 + want.1);
    }

    fn give_back(&mut self, run: &str, amount: Amount) {
        self.free = (self.free.0 + amount.0, self.free.1 + amount.1);
        if let Some(held) = self.held.get_mut(run) {
            *held = (
                held.0.saturating_sub(amount.0),
                held.1.saturating_sub(amount.1),
            );
            if *held == (0, 0) {
                self.held.remove(run);
            }
        }
        self.admit();
    }

    /// Grants in turn while the head of the run whose turn it is fits.
    fn admit(&mut self) {
        while let Some(run) = self.turns.front().cloned() {
            let Some(queue) = self.waiting.get_mut(&run) else {
                self.turns.pop_front();
                continue;
            };
            let Some(head) = queue.front() else {
                self.waiting.remove(&run);
                self.turns.pop_front();
                continue;
            };
            if !fits(head.want, self.free) {
                return;
            }
            let Some(w) = queue.pop_front() else { return };
            let empty = queue.is_empty();
            self.turns.pop_front();
            if empty {
                self.waiting.remove(&run);
            } else {
                self.turns.push_back(run.clone());
            }
            if w.granted.send(()).is_ok() {
                self.take(&run, w.want);
            }
        }
    }
}

/// The server's two ledgers: this machine's cpu and memory, and jobs elsewhere.
pub struct Leases {
    here: Mutex<Ledger>,
    remote: Mutex<Ledger>,
    next_id: std::sync::atomic::AtomicU64,
}

/// A lease held by one attempt of one run.
struct Held {
    leases: Arc<Leases>,
    remote: bool,
    run: String,
    amount: Amount,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut ledger) = self.leases.ledger(self.remote).lock() {
            ledger.give_back(&self.run, self.amount);
        }
    }
}

/// A place in a ledger's queue; left when dropped before it was granted.
struct Queued {
    leases: Arc<Leases>,
    remote: bool,
    run: String,
    id: u64,
    want: Amount,
    granted: Option<oneshot::Receiver<()>>,
}

impl Drop for Queued {
    fn drop(&mut self) {
        let Some(mut granted) = self.granted.take() else {
            return;
        };
        let Ok(mut ledger) = self.leases.ledger(self.remote).lock() else {
            return;
        };
        if granted.try_recv().is_ok() {
            // Granted as the client left: give it straight back.
            ledger.give_back(&self.run, self.want);
        } else {
            if let Some(q) = ledger.waiting.get_mut(&self.run) {
                q.retain(|w| w.id != self.id);
            }
            ledger.admit();
        }
    }
}

/// What a run holds now: (cpus, MiB, jobs elsewhere).
pub type Usage = (f64, u64, u64);

impl Leases {
    /// `max_jobs`: None is no limit of the server's own (each run's profile still has one).
    pub fn new(max_cpus: f64, max_memory_mib: u64, max_jobs: Option<u64>) -> Arc<Leases> {
        let millicpus = (max_cpus * 1000.0).round().max(1.0) as u64;
        Arc::new(Leases {
            here: Mutex::new(Ledger::new((millicpus, max_memory_mib.max(1)))),
            remote: Mutex::new(Ledger::new((max_jobs.unwrap_or(u64::MAX >> 2), 0))),
            next_id: Default::default(),
        })
    }

    fn ledger(&self, remote: bool) -> &Mutex<Ledger> {
        if remote { &self.remote } else { &self.here }
    }

    /// What each run holds now.
    pub fn usage(&self) -> HashMap<String, Usage> {
        let mut usage: HashMap<String, Usage> = HashMap::new();
        if let Ok(here) = self.here.lock() {
            for (run, (cpu, mem)) in &here.held {
                let u = usage.entry(run.clone()).or_default();
                u.0 = *cpu as f64 / 1000.0;
                u.1 = *mem;
            }
        }
        if let Ok(remote) = self.remote.lock() {
            for (run, (jobs, _)) in &remote.held {
                usage.entry(run.clone()).or_default().2 = *jobs;
            }
        }
        usage
    }

    /// Joins the queue; the receiver fires when granted.
    fn enqueue(self: &Arc<Self>, run: &str, remote: bool, want: Amount) -> Option<Queued> {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut ledger = self.ledger(remote).lock().ok()?;
        let want = ledger.capped(want);
        let (tx, rx) = oneshot::channel();
        if ledger.waiting.get(run).is_none_or(VecDeque::is_empty) {
            ledger.turns.push_back(run.to_string());
        }
        ledger
            .waiting
            .entry(run.to_string())
            .or_default()
            .push_back(Waiter {
                id,
                want,
                granted: tx,
            });
        ledger.admit();
        Some(Queued {
            leases: self.clone(),
            remote,
            run: run.to_string(),
            id,
            want,
            granted: Some(rx),
        })
    }

    /// Serves the socket until the server stops.
    pub fn listen(self: Arc<Self>, socket: &Path) -> Result<()> {
        // A socket file left by a server that died: nobody listens on it.
        let _ = std::fs::remove_file(socket);
        let listener = UnixListener::bind(socket)
            .with_context(|| format!("cannot listen on {}", socket.display()))?;
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(self.clone().serve(stream));
                    }
                    Err(e) => {
                        tracing::warn!("leases: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(())
    }

    /// One lease: the request, the wait, the answer, then held until the client closes.
    async fn serve(self: Arc<Self>, stream: UnixStream) {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let mut line = String::new();
        let request = tokio::time::timeout(Duration::from_secs(10), reader.read_line(&mut line));
        if !matches!(request.await, Ok(Ok(n)) if n > 0) {
            return;
        }
        let Some((run, remote, want)) = parse(&line) else {
            let _ = write.write_all(b"refused: not a lease request\n").await;
            return;
        };
        let Some(mut queued) = self.enqueue(&run, remote, want) else {
            return;
        };
        let Some(granted) = queued.granted.as_mut() else {
            return;
        };
        let mut scratch = [0u8; 64];
        tokio::select! {
            result = granted => {
                if result.is_err() {
                    return;
                }
            }
            // The client gave up waiting (its run is stopping) or died: `queued` leaves the
            // queue when dropped.
            _ = reader.read(&mut scratch) => return,
        }
        queued.granted = None;
        let held = Held {
            leases: self.clone(),
            remote,
            run,
            amount: queued.want,
        };
        drop(queued);
        if write.write_all(b"granted\n").await.is_err() {
            return;
        }
        // Held until the client closes the connection (or dies).
        while let Ok(n) = reader.read(&mut scratch).await {
            if n == 0 {
                break;
            }
        }
        drop(held);
    }
}

/// `lease <run> <here|remote> <millicpus> <MiB>`.
fn parse(line: &str) -> Option<(String, bool, Amount)> {
    let mut words = line.split_whitespace();
    if words.next()? != "lease" {
        return None;
    }
    let run = words.next()?.to_string();
    let remote = match words.next()? {
        "here" => false,
        "remote" => true,
        _ => return None,
    };
    let cpu: u64 = words.next()?.parse().ok()?;
    let memory: u64 = words.next()?.parse().ok()?;
    let want = if remote { (1, 0) } else { (cpu, memory) };
    Some((run, remote, want))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lease(socket: &Path, run: &str, cpu: u64) -> UnixStream {
        let mut s = UnixStream::connect(socket).await.expect("connect");
        s.write_all(format!("lease {run} here {cpu} 1\n").as_bytes())
            .await
            .expect("write");
        s
    }

    async fn answer(s: &mut UnixStream, wait_ms: u64) -> Option<String> {
        let mut buf = [0u8; 32];
        match tokio::time::timeout(Duration::from_millis(wait_ms), s.read(&mut buf)).await {
            Ok(Ok(n)) => Some(String::from_utf8_lossy(&buf[..n]).trim().to_string()),
            _ => None,
        }
    }

    /// Runs are served in turn, a closed connection gives its lease back, and a client that
    /// leaves the queue takes nothing with it.
    #[tokio::test]
    async fn runs_take_turns_and_closing_gives_back() {
        let dir = tempfile::tempdir().expect("tmp");
        let socket = dir.path().join("leases.sock");
        let leases = Leases::new(1.0, 1024, None);
        leases.clone().listen(&socket).expect("listen");
        let mut a1 = lease(&socket, "a", 1000).await;
        assert_eq!(answer(&mut a1, 2000).await.as_deref(), Some("granted"));
        let mut a2 = lease(&socket, "a", 1000).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut a3 = lease(&socket, "a", 1000).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut b1 = lease(&socket, "b", 1000).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A client that gives up waiting.
        let gone = lease(&socket, "c", 1000).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(gone);
        assert_eq!(answer(&mut a2, 100).await, None, "the cpu is held");
        drop(a1);
        assert_eq!(answer(&mut a2, 2000).await.as_deref(), Some("granted"));
        drop(a2);
        // b's turn before a's third: a had its go.
        assert_eq!(answer(&mut b1, 2000).await.as_deref(), Some("granted"));
        assert_eq!(answer(&mut a3, 100).await, None);
        assert_eq!(leases.usage().get("b").map(|u| u.0), Some(1.0));
        drop(b1);
        assert_eq!(answer(&mut a3, 2000).await.as_deref(), Some("granted"));
        drop(a3);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(leases.usage().is_empty(), "{:?}", leases.usage());
        let here = leases.here.lock().expect("lock");
        assert_eq!(here.free, here.total);
        assert!(here.waiting.is_empty() && here.turns.is_empty());
    }
}
