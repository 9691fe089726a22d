//! The run database, holding each run's request, state and its history, times, exit code and
//! outputs: a SQLite file beside the runs' directories, or a PostgreSQL database named by URL
//! (a server whose database is kept elsewhere, or several servers sharing one: each sees only
//! the runs of its own runs directory, its `home`). It is an index, not the truth: every run
//! directory keeps its own `record.json`, and a lost database is rebuilt from them at start-up
//! (`Db::rebuild_from`).
//!
//! One set of SQL statements serves both (`$1`-style parameters, `ON CONFLICT` upserts);
//! only the tables' definitions and the history's order differ.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
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
    /// The name of the token that submitted it: only that token sees, reads and cancels it.
    #[serde(default = "default_submitter")]
    pub submitter: String,
}

/// Runs recorded before runs had submitters were the one token's of their server.
pub fn default_submitter() -> String {
    "default".into()
}

/// One finished attempt (or call-cache hit) of a run, as its journal has it.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// Its place in the journal: the order attempts ended.
    pub pos: i64,
    /// The attempt's directory under the run's `calls/`.
    pub id: String,
    pub call: String,
    pub attempt: i32,
    /// `Done`, `Oom`, `Lost`, `Preempted` or `Cached`.
    pub event: String,
    pub exit_code: i32,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Requested.
    pub cpu: f64,
    pub memory_mib: i64,
    /// Used: CPU time and peak memory.
    pub cpu_ms: i64,
    pub max_rss_kib: Option<i64>,
}

impl Task {
    pub fn from_journal(pos: usize, a: &ferry_report::journal::Attempt) -> Task {
        Task {
            pos: pos as i64,
            id: a.dir.trim_start_matches("calls/").to_string(),
            call: a.call.clone(),
            attempt: a.number as i32,
            event: format!("{:?}", a.event),
            exit_code: a.exit,
            start_ms: a.start_ms as i64,
            end_ms: a.end_ms() as i64,
            cpu: a.cpu,
            memory_mib: a.memory_mib as i64,
            cpu_ms: (a.user_ms + a.sys_ms) as i64,
            max_rss_kib: a.max_rss_kib.map(|k| k as i64),
        }
    }

    /// A run's journal, read from its run directory.
    pub fn journal(run_dir: &Path) -> Vec<Task> {
        let text = std::fs::read_to_string(run_dir.join("attempts.tsv")).unwrap_or_default();
        ferry_report::journal::parse(&text)
            .iter()
            .enumerate()
            .map(|(i, a)| Task::from_journal(i, a))
            .collect()
    }
}

const TASK_COLUMNS: &str = "pos, id, call_name, attempt, event, exit_code, start_ms, end_ms, cpu, \
                            memory_mib, cpu_ms, max_rss_kib";

pub struct Db {
    backend: Backend,
    /// The runs directory this server owns rows for.
    home: String,
}

enum Backend {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(Mutex<postgres::Client>),
}

/// A statement parameter, whichever the database.
#[derive(Clone, Debug)]
enum Param {
    Text(String),
    OptText(Option<String>),
    Big(i64),
    OptBig(Option<i64>),
    OptInt(Option<i32>),
    Int(i32),
    Float(f64),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Text(s) => s.to_sql(),
            Param::OptText(s) => s.to_sql(),
            Param::Big(n) => n.to_sql(),
            Param::OptBig(n) => n.to_sql(),
            Param::OptInt(n) => n.to_sql(),
            Param::Int(n) => n.to_sql(),
            Param::Float(x) => x.to_sql(),
        }
    }
}

impl Param {
    fn pg(&self) -> &(dyn postgres::types::ToSql + Sync) {
        match self {
            Param::Text(s) => s,
            Param::OptText(s) => s,
            Param::Big(n) => n,
            Param::OptBig(n) => n,
            Param::OptInt(n) => n,
            Param::Int(n) => n,
            Param::Float(x) => x,
        }
    }
}

fn text(s: &str) -> Param {
    Param::Text(s.to_string())
}

const SQLITE_TABLES: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL,
        request TEXT NOT NULL,
        submitted_ms INTEGER NOT NULL,
        started_ms INTEGER,
        ended_ms INTEGER,
        exit_code INTEGER,
        outputs TEXT,
        submitter TEXT
    );
    CREATE TABLE IF NOT EXISTS states (
        run_id TEXT NOT NULL,
        state TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS states_by_run ON states (run_id);
    CREATE TABLE IF NOT EXISTS tasks (
        run_id TEXT NOT NULL,
        pos INTEGER NOT NULL,
        id TEXT NOT NULL,
        call_name TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        event TEXT NOT NULL,
        exit_code INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        cpu REAL NOT NULL,
        memory_mib INTEGER NOT NULL,
        cpu_ms INTEGER NOT NULL,
        max_rss_kib INTEGER,
        PRIMARY KEY (run_id, pos)
    );";

const POSTGRES_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        home TEXT NOT NULL,
        seq BIGINT NOT NULL,
        state TEXT NOT NULL,
        request TEXT NOT NULL,
        submitted_ms BIGINT NOT NULL,
        started_ms BIGINT,
        ended_ms BIGINT,
        exit_code INTEGER,
        outputs TEXT,
        submitter TEXT,
        UNIQUE (home, seq)
    );
    ALTER TABLE runs ADD COLUMN IF NOT EXISTS submitter TEXT;
    CREATE TABLE IF NOT EXISTS states (
        n BIGSERIAL PRIMARY KEY,
        run_id TEXT NOT NULL,
        state TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS states_by_run ON states (run_id);
    CREATE TABLE IF NOT EXISTS tasks (
        run_id TEXT NOT NULL,
        pos BIGINT NOT NULL,
        id TEXT NOT NULL,
        call_name TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        event TEXT NOT NULL,
        exit_code INTEGER NOT NULL,
        start_ms BIGINT NOT NULL,
        end_ms BIGINT NOT NULL,
        cpu DOUBLE PRECISION NOT NULL,
        memory_mib BIGINT NOT NULL,
        cpu_ms BIGINT NOT NULL,
        max_rss_kib BIGINT,
        PRIMARY KEY (run_id, pos)
    );";

const COLUMNS: &str =
    "id, seq, state, request, submitted_ms, started_ms, ended_ms, exit_code, outputs, submitter";

/// Rows of one submitter (runs recorded before submitters were are the `default` token's).
const OWNED: &str = "COALESCE(submitter, 'default') = $2";

impl Db {
    /// `location`: a `postgres://` (or `postgresql://`) URL, else a SQLite file's path.
    /// `home`: the runs directory whose runs this server owns. Its rows are kept under the
    /// directory's server id (`home/server-id`, made on first use), not its path: two machines
    /// with the same path sharing one PostgreSQL database stay apart.
    pub fn open(location: &str, home: &Path) -> Result<Db> {
        let (id, made) = server_id(home)?;
        let path = home.display().to_string();
        let db = Db::open_as(location, id)?;
        if made {
            // Rows of an earlier Ferry were kept under the directory's path: this id's now.
            db.execute(
                "UPDATE runs SET home = $1 WHERE home = $2",
                &[text(&db.home), text(&path)],
            )?;
        }
        Ok(db)
    }

    fn open_as(location: &str, home: String) -> Result<Db> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            return Db::postgres(location, home);
        }
        let conn = rusqlite::Connection::open(location)
            .with_context(|| format!("cannot open the run database {location}"))?;
        conn.execute_batch(SQLITE_TABLES)
            .with_context(|| format!("cannot set up the run database {location}"))?;
        // A database an earlier Ferry made has no `home`: its runs are this directory's.
        let has_home = conn
            .prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'home'")?
            .exists([])?;
        if !has_home {
            conn.execute_batch("ALTER TABLE runs ADD COLUMN home TEXT")?;
            conn.execute("UPDATE runs SET home = ?1", [&home])?;
        }
        let has_submitter = conn
            .prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'submitter'")?
            .exists([])?;
        if !has_submitter {
            conn.execute_batch("ALTER TABLE runs ADD COLUMN submitter TEXT")?;
        }
        conn.execute_batch("CREATE UNIQUE INDEX IF NOT EXISTS runs_by_seq ON runs (home, seq)")?;
        Ok(Db {
            backend: Backend::Sqlite(Mutex::new(conn)),
            home,
        })
    }

    fn postgres(url: &str, home: String) -> Result<Db> {
        // Said without the password.
        let shown = url::Url::parse(url)
            .map(|mut u| {
                let _ = u.set_password(None);
                u.to_string()
            })
            .unwrap_or_else(|_| "the PostgreSQL URL".into());
        let (url, tls) = postgres_tls(url).with_context(|| format!("cannot use {shown}"))?;
        let client = blocking(move || {
            let mut client = postgres::Client::connect(&url, tls)?;
            client.batch_execute(POSTGRES_TABLES)?;
            Ok::<_, postgres::Error>(client)
        })
        .with_context(|| format!("cannot use the run database {shown}"))?;
        Ok(Db {
            backend: Backend::Postgres(Mutex::new(client)),
            home,
        })
    }

    /// Runs `sql` (no rows back).
    fn execute(&self, sql: &str, params: &[Param]) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                lock(conn)?.execute(sql, rusqlite::params_from_iter(params))?;
            }
            Backend::Postgres(client) => {
                let pg: Vec<_> = params.iter().map(Param::pg).collect();
                let mut client = lock(client)?;
                blocking(|| client.execute(sql, &pg))?;
            }
        }
        Ok(())
    }

    /// Runs a query, each row made a `T` by `row`.
    fn select<T>(
        &self,
        sql: &str,
        params: &[Param],
        row: fn(&dyn Columns) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        match &self.backend {
            Backend::Sqlite(conn) => {
                let conn = lock(conn)?;
                let mut st = conn.prepare(sql)?;
                let mut rows = st.query(rusqlite::params_from_iter(params))?;
                while let Some(r) = rows.next()? {
                    out.push(row(r)?);
                }
            }
            Backend::Postgres(client) => {
                let pg: Vec<_> = params.iter().map(Param::pg).collect();
                let mut client = lock(client)?;
                for r in blocking(|| client.query(sql, &pg))? {
                    out.push(row(&r)?);
                }
            }
        }
        Ok(out)
    }

    /// Runs a query of `COLUMNS`.
    fn runs(&self, sql: &str, params: &[Param]) -> Result<Vec<Run>> {
        self.select(sql, params, |r| {
            Ok(Run {
                id: r.text(0)?,
                seq: r.big(1)?,
                state: r.text(2)?,
                request: json(Some(r.text(3)?)).unwrap_or_default(),
                submitted_ms: r.big(4)? as u64,
                started_ms: r.opt_big(5)?.map(|t| t as u64),
                ended_ms: r.opt_big(6)?.map(|t| t as u64),
                exit_code: r.opt_int(7)?,
                outputs: json(r.opt_text(8)?),
                submitter: r.opt_text(9)?.unwrap_or_else(default_submitter),
            })
        })
    }

    /// Runs a query of (text, number) pairs.
    fn pairs(&self, sql: &str, params: &[Param]) -> Result<Vec<(String, i64)>> {
        self.select(sql, params, |r| Ok((r.text(0)?, r.big(1)?)))
    }

    /// Adds a new run with the next submission number (`run.seq`). Two submissions at once
    /// never get the same: SQLite's writer is one connection; on PostgreSQL, where another
    /// server may add at the same moment, the loser of the unique (home, seq) tries again.
    pub fn add(&self, run: &mut Run) -> Result<()> {
        for _ in 0..20 {
            let next = self.pairs(
                "SELECT 'next', COALESCE(MAX(seq), 0) + 1 FROM runs WHERE home = $1",
                &[text(&self.home)],
            )?;
            run.seq = next.first().map(|(_, n)| *n).unwrap_or(1);
            match self.insert(run) {
                Ok(()) => return self.record_state(run),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        bail!("could not give run {} a submission number", run.id)
    }

    fn insert(&self, run: &Run) -> Result<()> {
        let sql = format!(
            "INSERT INTO runs (home, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        let mut params = vec![text(&self.home)];
        params.extend(row_params(run));
        self.execute(&sql, &params)
    }

    /// Inserts or replaces a run, and records its state in the history when it changed.
    pub fn put(&self, run: &Run) -> Result<()> {
        let sql = format!(
            "INSERT INTO runs (home, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, state = excluded.state,
               request = excluded.request, submitted_ms = excluded.submitted_ms,
               started_ms = excluded.started_ms, ended_ms = excluded.ended_ms,
               exit_code = excluded.exit_code, outputs = excluded.outputs,
               submitter = excluded.submitter"
        );
        let before = self.get(&run.id)?.map(|r| r.state);
        let mut params = vec![text(&self.home)];
        params.extend(row_params(run));
        self.execute(&sql, &params)?;
        if before.as_deref() != Some(run.state.as_str()) {
            self.record_state(run)?;
        }
        Ok(())
    }

    fn record_state(&self, run: &Run) -> Result<()> {
        self.execute(
            "INSERT INTO states (run_id, state, at_ms) VALUES ($1, $2, $3)",
            &[
                text(&run.id),
                text(&run.state),
                Param::Big(crate::now_ms() as i64),
            ],
        )
    }

    pub fn get(&self, id: &str) -> Result<Option<Run>> {
        let sql = format!("SELECT {COLUMNS} FROM runs WHERE home = $1 AND id = $2");
        Ok(self
            .runs(&sql, &[text(&self.home), text(id)])?
            .into_iter()
            .next())
    }

    /// `submitter`'s runs in submission order after `after` (a `seq`), at most `limit`.
    pub fn page(&self, submitter: &str, after: i64, limit: usize) -> Result<Vec<Run>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE home = $1 AND {OWNED} AND seq > $3 \
             ORDER BY seq LIMIT $4"
        );
        self.runs(
            &sql,
            &[
                text(&self.home),
                text(submitter),
                Param::Big(after),
                Param::Big(limit as i64),
            ],
        )
    }

    /// How many of `submitter`'s runs are in each state.
    pub fn counts(&self, submitter: &str) -> Result<Vec<(String, u64)>> {
        Ok(self
            .pairs(
                &format!(
                    "SELECT state, COUNT(*) FROM runs WHERE home = $1 AND {OWNED} GROUP BY state"
                ),
                &[text(&self.home), text(submitter)],
            )?
            .into_iter()
            .map(|(s, n)| (s, n.max(0) as u64))
            .collect())
    }

    /// The `n` runs `submitter` submitted last, newest first.
    pub fn latest(&self, submitter: &str, n: usize) -> Result<Vec<Run>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE home = $1 AND {OWNED} ORDER BY seq DESC LIMIT $3"
        );
        self.runs(
            &sql,
            &[text(&self.home), text(submitter), Param::Big(n as i64)],
        )
    }

    /// Runs not over yet, in submission order: what a restarted server takes up again.
    pub fn unfinished(&self) -> Result<Vec<Run>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE home = $1 AND state NOT IN \
             ('{COMPLETE}', '{EXECUTOR_ERROR}', '{SYSTEM_ERROR}', '{CANCELED}') ORDER BY seq"
        );
        self.runs(&sql, &[text(&self.home)])
    }

    /// The states a run went through, with when (ms since the epoch).
    pub fn history(&self, id: &str) -> Result<Vec<(String, u64)>> {
        let order = match self.backend {
            Backend::Sqlite(_) => "rowid",
            Backend::Postgres(_) => "n",
        };
        Ok(self
            .pairs(
                &format!("SELECT state, at_ms FROM states WHERE run_id = $1 ORDER BY {order}"),
                &[text(id)],
            )?
            .into_iter()
            .map(|(s, at)| (s, at.max(0) as u64))
            .collect())
    }

    /// Replaces a run's tasks (when it ends), all in one transaction.
    pub fn put_tasks(&self, run_id: &str, tasks: &[Task]) -> Result<()> {
        let delete = "DELETE FROM tasks WHERE run_id = $1";
        let insert = format!(
            "INSERT INTO tasks (run_id, {TASK_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        let rows: Vec<Vec<Param>> = tasks
            .iter()
            .map(|t| {
                vec![
                    text(run_id),
                    Param::Big(t.pos),
                    text(&t.id),
                    text(&t.call),
                    Param::Int(t.attempt),
                    text(&t.event),
                    Param::Int(t.exit_code),
                    Param::Big(t.start_ms),
                    Param::Big(t.end_ms),
                    Param::Float(t.cpu),
                    Param::Big(t.memory_mib),
                    Param::Big(t.cpu_ms),
                    Param::OptBig(t.max_rss_kib),
                ]
            })
            .collect();
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut conn = lock(conn)?;
                let tx = conn.transaction()?;
                tx.execute(delete, [run_id])?;
                {
                    let mut st = tx.prepare(&insert)?;
                    for row in &rows {
                        st.execute(rusqlite::params_from_iter(row))?;
                    }
                }
                tx.commit()?;
            }
            Backend::Postgres(client) => {
                let mut client = lock(client)?;
                blocking(|| -> Result<(), postgres::Error> {
                    let mut tx = client.transaction()?;
                    tx.execute(delete, &[&run_id])?;
                    let st = tx.prepare(&insert)?;
                    for row in &rows {
                        let pg: Vec<_> = row.iter().map(Param::pg).collect();
                        tx.execute(&st, &pg)?;
                    }
                    tx.commit()
                })?;
            }
        }
        Ok(())
    }

    /// A run's tasks in the order they ended, `limit` from `offset`.
    pub fn tasks(&self, run_id: &str, offset: usize, limit: usize) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE run_id = $1 ORDER BY pos LIMIT $2 OFFSET $3"
        );
        let params = [
            text(run_id),
            Param::Big(i64::try_from(limit).unwrap_or(i64::MAX)),
            Param::Big(i64::try_from(offset).unwrap_or(i64::MAX)),
        ];
        self.select(&sql, &params, task_row)
    }

    /// A run's task by id (its last record, should an id repeat).
    pub fn task(&self, run_id: &str, id: &str) -> Result<Option<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE run_id = $1 AND id = $2 \
             ORDER BY pos DESC LIMIT 1"
        );
        Ok(self
            .select(&sql, &[text(run_id), text(id)], task_row)?
            .into_iter()
            .next())
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
                if is_final(&run.state) {
                    self.put_tasks(&run.id, &Task::journal(&entry.path().join("run")))?;
                }
                added += 1;
            }
        }
        Ok(added)
    }
}

/// The run's columns after `home`, in `COLUMNS` order.
fn row_params(run: &Run) -> Vec<Param> {
    vec![
        text(&run.id),
        Param::Big(run.seq),
        text(&run.state),
        Param::Text(run.request.to_string()),
        Param::Big(run.submitted_ms as i64),
        Param::OptBig(run.started_ms.map(|t| t as i64)),
        Param::OptBig(run.ended_ms.map(|t| t as i64)),
        Param::OptInt(run.exit_code),
        Param::OptText(run.outputs.as_ref().map(|o| o.to_string())),
        // A run made without a submitter (before runs had them) is the default token's.
        text(if run.submitter.is_empty() {
            "default"
        } else {
            &run.submitter
        }),
    ]
}

/// A row of `TASK_COLUMNS`.
fn task_row(r: &dyn Columns) -> Result<Task> {
    Ok(Task {
        pos: r.big(0)?,
        id: r.text(1)?,
        call: r.text(2)?,
        attempt: r.int(3)?,
        event: r.text(4)?,
        exit_code: r.int(5)?,
        start_ms: r.big(6)?,
        end_ms: r.big(7)?,
        cpu: r.float(8)?,
        memory_mib: r.big(9)?,
        cpu_ms: r.big(10)?,
        max_rss_kib: r.opt_big(11)?,
    })
}

/// A row's columns by index, whichever the database.
trait Columns {
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn big(&self, i: usize) -> Result<i64>;
    fn opt_big(&self, i: usize) -> Result<Option<i64>>;
    fn int(&self, i: usize) -> Result<i32>;
    fn opt_int(&self, i: usize) -> Result<Option<i32>>;
    fn float(&self, i: usize) -> Result<f64>;
}

macro_rules! columns {
    ($row:ty, $get:ident) => {
        impl Columns for $row {
            fn text(&self, i: usize) -> Result<String> {
                Ok(self.$get(i)?)
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>> {
                Ok(self.$get(i)?)
            }
            fn big(&self, i: usize) -> Result<i64> {
                Ok(self.$get(i)?)
            }
            fn opt_big(&self, i: usize) -> Result<Option<i64>> {
                Ok(self.$get(i)?)
            }
            fn int(&self, i: usize) -> Result<i32> {
                Ok(self.$get(i)?)
            }
            fn opt_int(&self, i: usize) -> Result<Option<i32>> {
                Ok(self.$get(i)?)
            }
            fn float(&self, i: usize) -> Result<f64> {
                Ok(self.$get(i)?)
            }
        }
    };
}

columns!(rusqlite::Row<'_>, get);
columns!(postgres::Row, try_get);

fn json(s: Option<String>) -> Option<serde_json::Value> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| anyhow::anyhow!("the run database is unusable (a writer panicked)"))
}

/// The PostgreSQL client blocks (it drives its own runtime): off the server's async workers.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

fn is_unique_violation(e: &anyhow::Error) -> bool {
    if let Some(pg) = e.downcast_ref::<postgres::Error>() {
        return pg.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION);
    }
    if let Some(rusqlite::Error::SqliteFailure(f, _)) = e.downcast_ref::<rusqlite::Error>() {
        return f.code == rusqlite::ErrorCode::ConstraintViolation;
    }
    false
}

/// The runs directory's server id, and whether it was made now.
fn server_id(home: &Path) -> Result<(String, bool)> {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let file = home.join("server-id");
    match std::fs::read_to_string(&file) {
        Ok(id) if !id.trim().is_empty() => return Ok((id.trim().to_string(), false)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut r| r.read_exact(&mut bytes))
        .context("cannot read /dev/urandom")?;
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = home.join(".server-id.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(format!("{id}\n").as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &file).with_context(|| format!("cannot write {}", file.display()))?;
    Ok((id, true))
}

/// The URL the client understands and the TLS it uses. `sslmode` as libpq names it, but a TLS
/// connection here always verifies the server's certificate and name — against the system's
/// roots and the file `sslrootcert` names (PEM), as libpq's `verify-full` does: `require`,
/// `verify-ca` and `verify-full` all mean TLS or nothing, verified; `prefer` TLS when the server
/// offers it, verified; `disable`, and a URL that names no `sslmode`, no TLS (as before; said
/// at start when the server is not on this machine). A certificate nobody vouches for fails
/// instead of connecting to whoever answers.
fn postgres_tls(url: &str) -> Result<(String, tokio_postgres_rustls::MakeRustlsConnect)> {
    let mut parsed = url::Url::parse(url).context("not a URL")?;
    let mut root_file = None;
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter_map(|(k, v)| match k.as_ref() {
            "sslrootcert" => {
                root_file = Some(v.into_owned());
                None
            }
            "sslmode" if v == "verify-ca" || v == "verify-full" => {
                Some((k.into_owned(), "require".to_string()))
            }
            _ => Some((k.into_owned(), v.into_owned())),
        })
        .collect();
    let mut kept = kept;
    if !kept.iter().any(|(k, _)| k == "sslmode") {
        let local = match parsed.host() {
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => true,
        };
        if !local {
            tracing::warn!(
                "the run database's connection is not encrypted: add sslmode=verify-full (and sslrootcert=FILE) to its URL"
            );
        }
        kept.push(("sslmode".into(), "disable".into()));
    }
    parsed.query_pairs_mut().clear().extend_pairs(kept);
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(file) = root_file {
        let pem =
            std::fs::read(&file).with_context(|| format!("cannot read sslrootcert {file}"))?;
        let mut added = 0;
        for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
            let cert: rustls::pki_types::CertificateDer<'static> =
                cert.with_context(|| format!("sslrootcert {file}: not PEM certificates"))?;
            roots
                .add(cert)
                .with_context(|| format!("sslrootcert {file}: a certificate rustls refuses"))?;
            added += 1;
        }
        if added == 0 {
            bail!("sslrootcert {file} holds no certificate");
        }
    }
    // The AWS SDK's provider, named: with two in the build, rustls would not pick one itself.
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((
        parsed.to_string(),
        tokio_postgres_rustls::MakeRustlsConnect::new(config),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests' PostgreSQL (scripts/services/postgres-up.sh).
    fn postgres_url() -> String {
        std::env::var("FERRY_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://ferry:ferry@127.0.0.1:5433/ferry".into())
    }

    fn run(id: &str, state: &str) -> Run {
        Run {
            id: id.into(),
            state: state.into(),
            request: serde_json::json!({"workflow_url": "w.wdl", "tags": {"a": "b"}}),
            submitted_ms: 1,
            submitter: "default".into(),
            ..Run::default()
        }
    }

    /// Everything the server asks of its database, the same on both.
    fn exercise(db: &Db, prefix: &str) {
        let mut first = run(&format!("{prefix}-1"), QUEUED);
        db.add(&mut first).expect("add");
        let mut second = run(&format!("{prefix}-2"), QUEUED);
        db.add(&mut second).expect("add");
        assert_eq!(second.seq, first.seq + 1);
        first.state = RUNNING.into();
        first.started_ms = Some(5);
        db.put(&first).expect("put");
        first.state = COMPLETE.into();
        first.ended_ms = Some(9);
        first.exit_code = Some(0);
        first.outputs = Some(serde_json::json!({"w.x": [1, 2]}));
        db.put(&first).expect("put");
        db.put(&first).expect("the same state again");
        assert_eq!(db.get(&first.id).expect("get"), Some(first.clone()));
        assert_eq!(db.get("nope").expect("get"), None);
        let states: Vec<String> = db
            .history(&first.id)
            .expect("history")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(states, [QUEUED, RUNNING, COMPLETE]);
        let page = db.page("default", 0, 1).expect("page");
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].id, first.id);
        assert_eq!(
            db.page("default", page[0].seq, 10).expect("page")[0].id,
            second.id
        );
        assert_eq!(db.latest("default", 1).expect("latest")[0].id, second.id);
        let unfinished: Vec<String> = db
            .unfinished()
            .expect("unfinished")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(unfinished, [second.id.clone()]);
        let mut counts = db.counts("default").expect("counts");
        counts.sort();
        assert_eq!(counts, [(COMPLETE.to_string(), 1), (QUEUED.to_string(), 1)]);
        // Tasks: recorded at the run's end, replaced if recorded again, read a page at a time.
        let task = |pos: i64| Task {
            pos,
            id: format!("greet/shard-{pos}/attempt-1"),
            call: "greet".into(),
            attempt: 1,
            event: "Done".into(),
            exit_code: 0,
            start_ms: 10 + pos,
            end_ms: 20 + pos,
            cpu: 1.5,
            memory_mib: 512,
            cpu_ms: 1200,
            max_rss_kib: (pos > 0).then_some(4096),
        };
        db.put_tasks(&first.id, &[task(0), task(1)]).expect("tasks");
        let all: Vec<Task> = (0..3).map(task).collect();
        db.put_tasks(&first.id, &all).expect("tasks again");
        assert_eq!(db.tasks(&first.id, 0, usize::MAX).expect("tasks"), all);
        assert_eq!(db.tasks(&first.id, 1, 1).expect("tasks"), [task(1)]);
        assert_eq!(
            db.task(&first.id, &task(2).id).expect("task"),
            Some(task(2))
        );
        assert_eq!(db.task(&first.id, "nope").expect("task"), None);
        assert!(db.tasks(&second.id, 0, 10).expect("tasks").is_empty());
        // Submissions at once, from many threads: each its own number.
        std::thread::scope(|s| {
            for t in 0..8 {
                s.spawn(move || {
                    for k in 0..5 {
                        let mut r = run(&format!("{prefix}-t{t}-{k}"), QUEUED);
                        db.add(&mut r).expect("add at once");
                    }
                });
            }
        });
        let all = db.page("default", 0, 1000).expect("page");
        assert_eq!(all.len(), 42);
        let mut seqs: Vec<i64> = all.iter().map(|r| r.seq).collect();
        seqs.dedup();
        assert_eq!(seqs.len(), 42, "two runs share a submission number");
    }

    #[test]
    fn sqlite_holds_what_the_server_asks() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("runs.sqlite");
        let db = Db::open(&file.display().to_string(), dir.path()).expect("open");
        exercise(&db, "s");
        // Reopened: the same runs.
        drop(db);
        let db = Db::open(&file.display().to_string(), dir.path()).expect("reopen");
        assert_eq!(db.page("default", 0, 1000).expect("page").len(), 42);
    }

    /// On the tests' PostgreSQL: the same, and two servers sharing it see only their own runs.
    #[test]
    fn postgres_holds_what_the_server_asks_and_servers_sharing_it_stay_apart() {
        let home = tempfile::tempdir().expect("tmp");
        let other = tempfile::tempdir().expect("tmp");
        let db = Db::open(&postgres_url(), home.path())
            .expect("PostgreSQL (start it with scripts/services/postgres-up.sh)");
        let prefix = format!("p{}", std::process::id());
        exercise(&db, &prefix);
        let neighbour = Db::open(&postgres_url(), other.path()).expect("open");
        assert!(neighbour.page("default", 0, 10).expect("page").is_empty());
        assert!(neighbour.unfinished().expect("unfinished").is_empty());
        let mut theirs = run(&format!("{prefix}-n"), QUEUED);
        neighbour.add(&mut theirs).expect("add");
        assert_eq!(theirs.seq, 1);
        assert_eq!(db.page("default", 0, 1000).expect("page").len(), 42);
    }

    /// Rows belong to the runs directory's id, not its path: another machine's directory at
    /// the same path sharing the database sees none of them; rows an earlier Ferry kept under
    /// the path are adopted by the directory that first gets an id there.
    #[test]
    fn postgres_rows_belong_to_the_directorys_id_not_its_path() {
        let home = tempfile::tempdir().expect("tmp");
        let path = home.path().display().to_string();
        let prefix = format!("id{}", std::process::id());
        let legacy = Db::open_as(&postgres_url(), path.clone()).expect("PostgreSQL");
        legacy
            .add(&mut run(&format!("{prefix}-old"), QUEUED))
            .expect("add");
        let db = Db::open(&postgres_url(), home.path()).expect("open");
        assert_ne!(db.home, path);
        assert_eq!(db.page("default", 0, 10).expect("page").len(), 1);
        db.add(&mut run(&format!("{prefix}-new"), QUEUED))
            .expect("add");
        // The same path on another machine: a directory without this one's id.
        std::fs::remove_file(home.path().join("server-id")).expect("rm");
        let elsewhere = Db::open(&postgres_url(), home.path()).expect("open");
        assert!(elsewhere.page("default", 0, 10).expect("page").is_empty());
        let mode = std::fs::metadata(home.path().join("server-id"))
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
            .expect("server-id");
        assert_eq!(mode, 0o600);
    }

    /// `sslmode=require` talks TLS and verifies the server against `sslrootcert` (the tests'
    /// server's certificate for 127.0.0.1 is signed by a CA of its own); without that root nobody vouches for
    /// it and the connection is refused, never made in the clear.
    #[test]
    fn postgres_over_tls_verifies_the_server() {
        let services = std::env::var("FERRY_SERVICES_DIR").unwrap_or("/tmp/ferry-services".into());
        let root = format!("{services}/postgres/tls/ca.crt");
        assert!(
            Path::new(&root).exists(),
            "{root}: start PostgreSQL with scripts/services/postgres-up.sh"
        );
        let home = tempfile::tempdir().expect("tmp");
        let url = format!("{}?sslmode=require&sslrootcert={root}", postgres_url());
        let db = Db::open(&url, home.path()).expect("TLS with the test root");
        let Backend::Postgres(client) = &db.backend else {
            panic!("not PostgreSQL")
        };
        let mut client = lock(client).expect("lock");
        let ssl: bool = blocking(|| {
            client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .map(|r| r.get(0))
        })
        .expect("pg_stat_ssl");
        assert!(ssl, "the connection is not TLS");
        let url = format!("{}?sslmode=verify-full", postgres_url());
        let e = Db::open(&url, home.path())
            .err()
            .expect("a server nobody vouches for");
        assert!(
            format!("{e:#}").to_lowercase().contains("certificate"),
            "{e:#}"
        );
        let e = Db::open(
            &format!("{}?sslrootcert=/no/such", postgres_url()),
            home.path(),
        )
        .err()
        .expect("a missing root");
        assert!(format!("{e:#}").contains("/no/such"), "{e:#}");
    }
}
