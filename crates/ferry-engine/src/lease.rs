//! Leases from a `ferry serve` that runs several runs at once: before an attempt starts, the
//! run asks the server for its cpu and memory (a job slot, for a cluster or Batch job), so that
//! all the server's runs together stay within its limits while a lone run may use all of them.
//!
//! A lease is one connection to the server's Unix socket, held for as long as the attempt
//! runs: closing it gives the lease back, so a run that dies, however it dies, holds nothing.
//!
//! The protocol, one line each way: `lease <run> <here|remote> <millicpus> <MiB>`, answered
//! `granted` when it fits (the server queues runs fairly), or `refused <why>`.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::grant::Amount;

/// Where this run asks for leases, and as whom.
#[derive(Clone, Debug)]
pub struct Leases {
    pub socket: PathBuf,
    /// The server's name for the run.
    pub run: String,
    /// The attempts run on this machine (local, Docker) and take its cpu and memory; else
    /// they are jobs elsewhere and take a job slot only.
    pub here: bool,
}

/// A lease held; given back when dropped (the connection closes).
pub struct Lease {
    _connection: Option<UnixStream>,
}

/// How often a waiting attempt looks whether the run is stopping.
const STOP_CHECK: Duration = Duration::from_millis(200);

/// How long an attempt waits for a server it cannot reach, and how often it tries again.
const SERVER_WAIT: Duration = Duration::from_secs(600);
const RETRY: Duration = Duration::from_secs(1);

impl Leases {
    /// Waits for the server to grant `want`: `Ok(None)` if the run started stopping meanwhile.
    /// An attempt never runs without a lease: a server that cannot be reached (restarting, its
    /// socket gone) is waited for, with a warning, up to `SERVER_WAIT`; then the attempt fails.
    pub async fn take(
        &self,
        want: Amount,
        stopping: impl Fn() -> bool,
    ) -> Result<Option<Lease>, String> {
        let started = std::time::Instant::now();
        let mut warned = false;
        loop {
            match self.ask(want, &stopping).await {
                Ok(Some(connection)) => {
                    if warned {
                        tracing::info!("the server at {} answers again", self.socket.display());
                    }
                    return Ok(Some(Lease {
                        _connection: Some(connection),
                    }));
                }
                Ok(None) => return Ok(None),
                Err(e) => {
                    if started.elapsed() >= SERVER_WAIT {
                        return Err(format!(
                            "no lease from the server at {} after {} s: {e}; the attempt did not run",
                            self.socket.display(),
                            SERVER_WAIT.as_secs()
                        ));
                    }
                    if !warned {
                        tracing::warn!(
                            "no lease from the server at {}: {e}; waiting for it (up to {} s)",
                            self.socket.display(),
                            SERVER_WAIT.as_secs()
                        );
                        warned = true;
                    }
                    let until = std::time::Instant::now() + RETRY;
                    while std::time::Instant::now() < until {
                        if stopping() {
                            return Ok(None);
                        }
                        tokio::time::sleep(STOP_CHECK).await;
                    }
                }
            }
        }
    }

    async fn ask(
        &self,
        want: Amount,
        stopping: &impl Fn() -> bool,
    ) -> std::io::Result<Option<UnixStream>> {
        let mut connection = UnixStream::connect(&self.socket).await?;
        let kind = if self.here { "here" } else { "remote" };
        let line = format!("lease {} {kind} {} {}\n", self.run, want.cpu, want.memory);
        connection.write_all(line.as_bytes()).await?;
        let mut answer = String::new();
        {
            let mut reader = BufReader::new(&mut connection);
            // One read, polled until it ends or the run stops (never dropped half-way).
            let read = reader.read_line(&mut answer);
            tokio::pin!(read);
            loop {
                if stopping() {
                    return Ok(None);
                }
                match tokio::time::timeout(STOP_CHECK, &mut read).await {
                    Err(_) => continue,
                    Ok(Err(e)) => return Err(e),
                    Ok(Ok(0)) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the server closed the connection",
                        ));
                    }
                    Ok(Ok(_)) => break,
                }
            }
        }
        match answer.trim() {
            "granted" => Ok(Some(connection)),
            other => Err(std::io::Error::other(format!(
                "the server answered {other:?}"
            ))),
        }
    }
}
