//! Runs submitted workflows: a FIFO queue, at most `max_runs` at once, each a `ferry run` child
//! process with its own run directory, given the server's whole limits and its lease socket:
//! every attempt takes a lease from the server (`leases.rs`), so the runs together never hold
//! more than the server's limits, and one run failing never touches another. Cancelling sends the child SIGTERM: it stops its tasks in order, as Ctrl-C
//! does. A child dies with the server (SIGTERM on the parent's death, `sys::die_with_parent`);
//! a restarted server takes its unfinished runs up again with `ferry run --resume`, which
//! keeps every call that had finished.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use crate::db::{self, Db, Run};
use crate::leases::Leases;
use crate::{Options, now_ms};

pub struct Runner {
    pub db: Db,
    pub options: Arc<Options>,
    /// The server's limits, taken by every attempt of every run.
    pub leases: Arc<Leases>,
    lease_socket: PathBuf,
    /// Fetches `https://` workflows, when the server may.
    pub fetcher: Option<crate::fetch::Fetcher>,
    queue: Mutex<VecDeque<String>>,
    /// Runs whose child has not exited, by id: its pid. A pid leaves this map before its
    /// process is reaped, so one taken from here (under the lock) is never another process's.
    running: Mutex<HashMap<String, u32>>,
    spawner: Spawner,
    /// Runs asked to stop.
    cancelled: Mutex<HashSet<String>>,
    wake: tokio::sync::Notify,
}

impl Runner {
    pub fn new(
        db: Db,
        options: Arc<Options>,
        leases: Arc<Leases>,
        lease_socket: PathBuf,
        fetcher: Option<crate::fetch::Fetcher>,
    ) -> Result<Arc<Runner>> {
        Ok(Arc::new(Runner {
            db,
            options,
            leases,
            lease_socket,
            fetcher,
            queue: Default::default(),
            running: Default::default(),
            spawner: Spawner::new()?,
            cancelled: Default::default(),
            wake: tokio::sync::Notify::new(),
        }))
    }

    /// A run's directory: its request, attachments, inputs, record and `ferry run`'s own
    /// run directory (`run/`), stdout (the outputs) and stderr (the log).
    pub fn dir(&self, id: &str) -> PathBuf {
        self.options.runs_dir.join(id)
    }

    /// Saves the run in the database and, as the database's backup, in its directory.
    pub fn save(&self, run: &Run) -> Result<()> {
        self.write_record(run)?;
        self.db.put(run)
    }

    /// A new run: in the database with its submission number, then its record.
    pub fn add(&self, run: &mut Run) -> Result<()> {
        self.db.add(run)?;
        self.write_record(run)
    }

    fn write_record(&self, run: &Run) -> Result<()> {
        let dir = self.dir(&run.id);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = dir.join(".record.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(run)?)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, dir.join("record.json"))
            .with_context(|| format!("cannot write {}/record.json", dir.display()))
    }

    /// Back at the head of the queue (a run whose start had to wait).
    fn enqueue_front(&self, id: String) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_front(id);
        }
        self.wake.notify_one();
    }

    pub fn enqueue(&self, id: String) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_back(id);
        }
        self.wake.notify_one();
    }

    /// Takes up the runs a previous server left unfinished: queued ones queue again, running
    /// ones resume, one being cancelled is cancelled.
    pub fn recover(&self) -> Result<()> {
        for mut run in self.db.unfinished()? {
            if run.state == db::CANCELING {
                run.state = db::CANCELED.into();
                run.ended_ms = Some(now_ms());
                self.save(&run)?;
                continue;
            }
            tracing::info!("run {}: taken up again ({})", run.id, run.state);
            self.enqueue(run.id);
        }
        Ok(())
    }

    /// Asks a run to stop. False if it is already over.
    pub fn cancel(&self, id: &str) -> Result<bool> {
        let Some(mut run) = self.db.get(id)? else {
            return Ok(false);
        };
        if db::is_final(&run.state) {
            return Ok(false);
        }
        if let Ok(mut c) = self.cancelled.lock() {
            c.insert(id.to_string());
        }
        let signalled = match self.running.lock() {
            Ok(r) => r.get(id).map(|pid| crate::sys::terminate(*pid)).is_some(),
            Err(_) => false,
        };
        match signalled {
            true => {
                run.state = db::CANCELING.into();
                self.save(&run)?;
            }
            false => {
                // Still queued: it never starts.
                if let Ok(mut q) = self.queue.lock() {
                    q.retain(|q| q != id);
                }
                run.state = db::CANCELED.into();
                run.ended_ms = Some(now_ms());
                self.save(&run)?;
            }
        }
        Ok(true)
    }

    /// Starts queued runs while fewer than `max_runs` are running; forever.
    pub async fn dispatch(self: Arc<Self>) {
        loop {
            loop {
                let busy = self.running.lock().map(|r| r.len()).unwrap_or(usize::MAX);
                if busy >= self.options.max_runs {
                    break;
                }
                let Some(id) = self.queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                    break;
                };
                if let Err(e) = self.clone().start(&id) {
                    tracing::error!("run {id}: cannot start: {e:#}");
                    if let Ok(Some(mut run)) = self.db.get(&id) {
                        run.state = db::SYSTEM_ERROR.into();
                        run.ended_ms = Some(now_ms());
                        let _ = std::fs::write(self.dir(&id).join("stderr"), format!("{e:#}\n"));
                        let _ = self.save(&run);
                    }
                }
            }
            self.wake.notified().await;
        }
    }

    fn start(self: Arc<Self>, id: &str) -> Result<()> {
        let mut run = self.db.get(id)?.context("no such run")?;
        let dir = self.dir(id);
        // Anything in the run directory is an earlier start of this run (a server that died):
        // `ferry run` continues it only with --resume.
        let resume = std::fs::read_dir(dir.join("run")).is_ok_and(|mut d| d.next().is_some());
        // The `ferry run` of a server that died may still be stopping its tasks and hold the run
        // directory's lock: try again shortly rather than fail the run.
        if resume && ferry_report::is_locked(&dir.join("run")) {
            tracing::info!("run {id}: its previous ferry run is still stopping; waiting");
            let runner = self.clone();
            let id = id.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                runner.enqueue_front(id);
            });
            return Ok(());
        }
        let workflow = dir.join("workflow").join(
            run.request["workflow_file"]
                .as_str()
                .context("the request names no workflow file")?,
        );
        let mut cmd = std::process::Command::new(&self.options.ferry);
        cmd.arg("run")
            .arg(&workflow)
            .arg("-i")
            .arg(dir.join("workflow").join(".wes-inputs.json"))
            .arg("--run-dir")
            .arg(dir.join("run"))
            // The server's limits hold through its leases, not through --max-cpus, which
            // would also cap how big one cluster or Batch job may be.
            .arg("--lease-socket")
            .arg(&self.lease_socket)
            .arg("--lease-as")
            .arg(id);
        if resume {
            cmd.arg("--resume");
        }
        if let Some(p) = run.request["profile"].as_str() {
            cmd.arg("--profile").arg(p);
        }
        // A Cromwell submission's options, checked when it was accepted.
        let options = dir.join(crate::cromwell::OPTIONS_FILE);
        if options.is_file() {
            cmd.arg("--options").arg(options);
        }
        // What the run may reach on this machine: its inputs under the operator's roots and its
        // own directory; reads and mounts also under the server's runs (its submitter's earlier
        // runs' outputs, which its call cache names); no configuration of a client's.
        cmd.arg("--served")
            .arg("--input-root")
            .arg(&dir)
            .arg("--readable-runs")
            .arg(&self.options.runs_dir)
            .arg("--cache-namespace")
            .arg(&run.submitter);
        for root in &self.options.input_roots {
            cmd.arg("--input-root").arg(root);
        }
        if let Some(c) = &self.options.config {
            cmd.arg("--config").arg(c);
        }
        let stdout = std::fs::File::create(dir.join("stdout"))?;
        let stderr = std::fs::File::create(dir.join("stderr"))?;
        cmd.stdin(std::process::Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .current_dir(&dir)
            .env("FERRY_LOG", "info")
            .env_remove("FERRY_PROGRESS")
            // The database URL (and its password) is the server's, not the run's.
            .env_remove("FERRY_SERVE_DB");
        crate::sys::die_with_parent(&mut cmd);
        let mut child = self
            .spawner
            .spawn(cmd)
            .with_context(|| format!("cannot start {}", self.options.ferry.display()))?;
        let pid = child.id();
        if let Ok(mut r) = self.running.lock() {
            r.insert(id.to_string(), pid);
        }
        if run.state != db::CANCELING {
            run.state = db::RUNNING.into();
        }
        run.started_ms.get_or_insert(now_ms());
        self.save(&run)?;
        tracing::info!(
            "run {id}: started (pid {pid}{})",
            if resume { ", resumed" } else { "" }
        );
        let id = id.to_string();
        std::thread::Builder::new()
            .name(format!("run-{id}"))
            .spawn(move || {
                crate::sys::wait_exited(pid);
                // Out of the map before it is reaped: cancel never signals a recycled pid.
                if let Ok(mut r) = self.running.lock() {
                    r.remove(&id);
                }
                let status = child.wait();
                self.finished(&id, status.ok().and_then(|s| exit_code(&s)));
            })
            .context("cannot start a thread to wait for the run")?;
        Ok(())
    }

    fn finished(&self, id: &str, code: Option<i32>) {
        if let Ok(mut r) = self.running.lock() {
            r.remove(id);
        }
        let cancelled = self
            .cancelled
            .lock()
            .map(|c| c.contains(id))
            .unwrap_or(false);
        if let Ok(Some(mut run)) = self.db.get(id) {
            run.exit_code = code;
            run.ended_ms = Some(now_ms());
            run.state = match code {
                _ if cancelled => db::CANCELED,
                Some(0) => db::COMPLETE,
                // A task failed (1) or the run was stopped by a signal it got (130, 143).
                Some(1) => db::EXECUTOR_ERROR,
                _ => db::SYSTEM_ERROR,
            }
            .into();
            run.outputs = std::fs::read(self.dir(id).join("stdout"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            if let Err(e) = self.save(&run) {
                tracing::error!("run {id}: cannot record its end: {e:#}");
            }
            let tasks = db::Task::journal(&self.dir(id).join("run"));
            if let Err(e) = self.db.put_tasks(id, &tasks) {
                tracing::error!("run {id}: cannot record its tasks: {e:#}");
            }
            tracing::info!("run {id}: {}", run.state);
        }
        self.wake.notify_one();
    }
}

/// Forks every run's `ferry run` from one thread that lives as long as the server: the
/// children's parent-death signal follows the forking thread, and a runtime thread that forked
/// and then retired (tokio's blocking threads do after 10 s idle) would kill its runs with it.
struct Spawner {
    requests: Mutex<std::sync::mpsc::Sender<SpawnRequest>>,
}

type SpawnRequest = (
    std::process::Command,
    std::sync::mpsc::Sender<std::io::Result<std::process::Child>>,
);

impl Spawner {
    fn new() -> Result<Spawner> {
        let (tx, rx) = std::sync::mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .context("cannot start the spawner thread")?;
        Ok(Spawner {
            requests: Mutex::new(tx),
        })
    }

    fn spawn(&self, cmd: std::process::Command) -> std::io::Result<std::process::Child> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.requests
            .lock()
            .map_err(|_| std::io::Error::other("the spawner is gone"))?
            .send((cmd, reply))
            .map_err(|_| std::io::Error::other("the spawner is gone"))?;
        answer
            .recv()
            .map_err(|_| std::io::Error::other("the spawner is gone"))?
    }
}

fn exit_code(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.code().or_else(|| status.signal().map(|s| 128 + s))
}

/// Where a request's attachments go: the file name a client gave, kept inside `dir`.
pub fn attachment_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    let safe = !name.is_empty()
        && rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    safe.then(|| dir.join(rel))
}
