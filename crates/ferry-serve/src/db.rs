//! The run database: one SQLite file beside the runs' directories, holding each run's request,
//! state and its history, times, exit code and outputs. It is an index, not the truth: every
//! run directory keeps its own `request.json` and `record.json`, and a lost database is rebuilt
//! from them at start-up (`Db::rebuild_from`).

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A WES run state (`State` in the WES 1.1 schema).
pub const QUEUED: &str = "QUEUED";
pub const RUNNING: &str = "RUNNING";
pub const COMPLETE: &str = "COMPLETE";
pub const EXECUTOR_ERROR: &str = "EXECUTOR_ERROR";
pub const SYSTEM_ERROR: &str = "SYSTEM_ERROR";
pub const CANCELING: &str = "CANCELING";
pub const CANCELED: &str = "CANCELED";

/// Whether a run in this state is over.
pub fn is_final(state: &str) -> bool {
    matches!(state, COMPLETE | EXECUTOR_ERROR | SYSTEM_ERROR | CANCELED)
}

/// What the database holds of a run; also written to the run directory as `record.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Run {
    pub id: String,
    /// Submission order (the paging key).
    pub seq: i64,
    pub state: String,
    /// The WES request as the client sent it (without attachments' bytes).
    pub request: serde_json::Value,
    pub submitted_ms: u64,
    pub started_ms: Option<u64>,
    pub ended_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub outputs: Option<serde_json::Value>,
}

pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &Path) -> Result<Db> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the run database {}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS runs (
                 id TEXT PRIMARY KEY,
                 seq INTEGER NOT NULL UNIQUE,
                 state TEXT NOT NULL,
                 request TEXT NOT NULL,
                 submitted_ms INTEGER NOT NULL,
                 started_ms INTEGER,
                 ended_ms INTEGER,
                 exit_code INTEGER,
                 outputs TEXT
             );
             CREATE TABLE IF NOT EXISTS states (
                 run_id TEXT NOT NULL,
                 state TEXT NOT NULL,
                 at_ms INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS states_by_run ON states (run_id);",
        )
        .with_context(|| format!("cannot set up the run database {}", path.display()))?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| anyhow::anyhow!("the run database is unusable (a writer panicked)"))?;
        Ok(f(&conn)?)
    }

    /// The next submission number.
    pub fn next_seq(&self) -> Result<i64> {
        self.with(|c| {
            c.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM runs", [], |r| {
                r.get(0)
            })
        })
    }

    /// Inserts or replaces a run, and records its state in the history when it changed.
    pub fn put(&self, run: &Run) -> Result<()> {
        self.with(|c| {
            let before: Option<String> = c
                .query_row("SELECT state FROM runs WHERE id = ?1", [&run.id], |r| {
                    r.get(0)
                })
                .optional()?;
            c.execute(
                "INSERT OR REPLACE INTO runs
                 (id, seq, state, request, submitted_ms, started_ms, ended_ms, exit_code, outputs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run.id,
                    run.seq,
                    run.state,
                    run.request.to_string(),
                    run.submitted_ms as i64,
                    run.started_ms.map(|t| t as i64),
                    run.ended_ms.map(|t| t as i64),
                    run.exit_code,
                    run.outputs.as_ref().map(|o| o.to_string()),
                ],
            )?;
            if before.as_deref() != Some(run.state.as_str()) {
                c.execute(
                    "INSERT INTO states (run_id, state, at_ms) VALUES (?1, ?2, ?3)",
                    params![run.id, run.state, crate::now_ms() as i64],
                )?;
            }
            Ok(())
        })
    }

    pub fn get(&self, id: &str) -> Result<Option<Run>> {
        self.with(|c| {
            c.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row_to_run)
                .optional()
        })
    }

    /// Runs in submission order after `after` (a `seq`), at most `limit`.
    pub fn page(&self, after: i64, limit: usize) -> Result<Vec<Run>> {
        self.with(|c| {
            let mut st = c.prepare(&format!("{SELECT} WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
            st.query_map(params![after, limit as i64], row_to_run)?
                .collect()
        })
    }

    /// How many runs are in each state.
    pub fn counts(&self) -> Result<Vec<(String, u64)>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT state, COUNT(*) FROM runs GROUP BY state")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect()
        })
    }

    /// The `n` runs submitted last, newest first.
    pub fn latest(&self, n: usize) -> Result<Vec<Run>> {
        self.with(|c| {
            let mut st = c.prepare(&format!("{SELECT} ORDER BY seq DESC LIMIT ?1"))?;
            st.query_map([n as i64], row_to_run)?.collect()
        })
    }

    /// Runs not over yet, in submission order: what a restarted server takes up again.
    pub fn unfinished(&self) -> Result<Vec<Run>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "{SELECT} WHERE state NOT IN ('{COMPLETE}', '{EXECUTOR_ERROR}', '{SYSTEM_ERROR}', '{CANCELED}') ORDER BY seq"
            ))?;
            st.query_map([], row_to_run)?.collect()
        })
    }

    /// The states a run went through, with when (ms since the epoch).
    pub fn history(&self, id: &str) -> Result<Vec<(String, u64)>> {
        self.with(|c| {
            let mut st =
                c.prepare("SELECT state, at_ms FROM states WHERE run_id = ?1 ORDER BY rowid")?;
            st.query_map([id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect()
        })
    }

    /// Puts back the runs whose directories have a record the database lacks (a database
    /// deleted or lost while the run directories stayed).
    pub fn rebuild_from(&self, runs_dir: &Path) -> Result<usize> {
        let mut added = 0;
        let Ok(entries) = std::fs::read_dir(runs_dir) else {
            return Ok(0);
        };
        for entry in entries.flatten() {
            let Ok(bytes) = std::fs::read(entry.path().join("record.json")) else {
                continue;
            };
            let Ok(run) = serde_json::from_slice::<Run>(&bytes) else {
                tracing::warn!("{}: not a run record; skipped", entry.path().display());
                continue;
            };
            if self.get(&run.id)?.is_none() {
                self.put(&run)?;
                added += 1;
            }
        }
        Ok(added)
    }
}

const SELECT: &str = "SELECT id, seq, state, request, submitted_ms, started_ms, ended_ms, exit_code, outputs FROM runs";

fn row_to_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<Run> {
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(Run {
        id: r.get(0)?,
        seq: r.get(1)?,
        state: r.get(2)?,
        request: json(Some(r.get(3)?)).unwrap_or_default(),
        submitted_ms: r.get::<_, i64>(4)? as u64,
        started_ms: r.get::<_, Option<i64>>(5)?.map(|t| t as u64),
        ended_ms: r.get::<_, Option<i64>>(6)?.map(|t| t as u64),
        exit_code: r.get(7)?,
        outputs: json(r.get(8)?),
    })
}
