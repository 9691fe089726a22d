//! The launcher process: starts the engine's task processes, reaps them, and kills what they
//! leave behind. Its loop never waits on a filesystem: each attempt's files are set up in a
//! thread of their own (`setup`), so one hung directory stalls one attempt, not the launcher.

use std::collections::{HashMap, VecDeque};
use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::setup::{self, Opened, Setups};
use super::wire::{self, Launch, Report, Request};
use crate::sys;

/// How long a fork that fails for want of processes or memory is retried before the attempt
/// fails: such failures pass as other tasks end.
const SPAWN_PATIENCE: Duration = Duration::from_secs(30);

struct TaskProcess {
    pid: i32,
    rc_file: Vec<u8>,
}

/// A task ready to start: what it runs, and its files, opened.
struct Ready {
    plan: sys::TaskPlan,
    opened: Opened,
    rc_file: Vec<u8>,
}

/// A launch waiting for the system to allow another process (or thread): its setup, or its
/// fork, tried again shortly.
enum Waiting {
    Setup(sys::TaskPlan, setup::Job, Vec<u8>),
    Fork(Ready),
}

struct Deferred {
    waiting: Waiting,
    since: Instant,
    next_try: Instant,
}

impl Deferred {
    fn id(&self) -> u64 {
        match &self.waiting {
            Waiting::Setup(plan, _, _) => plan.id,
            Waiting::Fork(ready) => ready.plan.id,
        }
    }
}

struct Service {
    socket: OwnedFd,
    /// What every task inherits: the environment, the signal dispositions, the spawn stack.
    spawn: sys::SpawnBase,
    running: HashMap<u64, TaskProcess>,
    by_pid: HashMap<i32, u64>,
    deferred: VecDeque<Deferred>,
    /// Setups under way, by attempt: what starts once its files are open.
    setups: Setups,
    awaiting: HashMap<u64, (sys::TaskPlan, Vec<u8>)>,
    /// Reports the engine has not taken yet (it may be stopped, swapping, in a debugger): kept
    /// in order and sent as the socket has room, never dropped.
    outbox: VecDeque<Vec<u8>>,
    /// The run is being cancelled: launches are answered `Cancelled`.
    cancelled: bool,
    /// Our children, listed after each attempt ends (see `kill_orphans`).
    children: ChildList,
}

/// The launcher's life: serve the engine on `socket` until it closes its end (it exited or was
/// killed) or this process gets SIGTERM, SIGINT or SIGHUP; then kill every task process and
/// every process marked as this launcher's (`reaper`), and return. The run directory's lock,
/// when the engine handed it over (`lock`), is held until then: a resumed run waits for this
/// cleanup before it starts anything.
pub fn serve(socket: OwnedFd, lock: Option<OwnedFd>, usage_file: &Path) {
    let signals = match sys::signal_fd(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGHUP])
    {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("ferry launcher: cannot watch signals: {e}");
            return;
        }
    };
    // Orphans of task processes (a daemon started with `setsid`, a double fork) become our
    // children, so nothing a task starts can slip out of reach.
    if let Err(e) = sys::become_subreaper() {
        eprintln!("ferry launcher: cannot become a subreaper: {e}");
    }
    let spawn = match sys::SpawnBase::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ferry launcher: cannot prepare task processes: {e}");
            return;
        }
    };
    let setups = match Setups::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ferry launcher: cannot prepare task setups: {e}");
            return;
        }
    };
    let mut launcher = Service {
        socket,
        spawn,
        running: HashMap::new(),
        by_pid: HashMap::new(),
        deferred: VecDeque::new(),
        setups,
        awaiting: HashMap::new(),
        outbox: VecDeque::new(),
        cancelled: false,
        children: ChildList::open(),
    };
    launcher.report(&Report::Hello {
        protocol: wire::PROTOCOL,
    });
    let mut buf = vec![0u8; super::MAX_MESSAGE];
    loop {
        let deferred = launcher
            .deferred
            .iter()
            .map(|d| {
                d.next_try
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .min(1000) as i32
            })
            .min();
        let timeout = match (deferred, launcher.setups.next_deadline_ms()) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(-1),
        };
        let ready = sys::poll(
            &[
                (launcher.socket.as_fd(), !launcher.outbox.is_empty()),
                (signals.as_fd(), false),
                (launcher.setups.wake_fd(), false),
            ],
            timeout,
        );
        if ready[1].0 {
            let got = sys::read_signals(signals.as_fd());
            if got.iter().any(|s| *s != libc::SIGCHLD) {
                break;
            }
            launcher.reap_children();
        }
        if ready[0].0 && !launcher.read_requests(&mut buf) {
            break;
        }
        launcher.setups_done();
        launcher.retry_deferred();
        if !launcher.flush() {
            break;
        }
    }
    launcher.kill_everything();
    record_usage(usage_file);
    drop(lock);
}

/// Appends this process's own CPU time and peak memory to `file` (see [`super::USAGE_FILE`]).
fn record_usage(file: &Path) {
    use std::io::Write;
    let ru = sys::own_usage();
    let line = format!(
        "{}\t{}\t{}\t{}\n",
        std::process::id(),
        micros(ru.ru_utime),
        micros(ru.ru_stime),
        ru.ru_maxrss.max(0) as u64 * 1024
    );
    let _ = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .and_then(|mut f| f.write_all(line.as_bytes()));
}

impl Service {
    /// Handles every request waiting on the socket; false once the engine has gone.
    fn read_requests(&mut self, buf: &mut [u8]) -> bool {
        loop {
            match sys::recv(self.socket.as_fd(), buf) {
                Ok(0) => return false,
                Ok(n) => match Request::decode(&buf[..n]) {
                    Some(Request::Launch(l)) if self.cancelled => {
                        self.report(&Report::Cancelled { id: l.id })
                    }
                    Some(Request::Launch(l)) => self.launch(*l),
                    Some(Request::Signal { id, signal }) => {
                        if let Some(r) = self.running.get(&id) {
                            signal_task(r.pid, signal);
                        } else if signal == libc::SIGKILL || signal == libc::SIGTERM {
                            // Not started yet: it never will be.
                            self.drop_deferred(|d| d.id() == id);
                            self.drop_awaiting(Some(id));
                        }
                    }
                    Some(Request::Cancel { signal }) => {
                        self.cancelled = true;
                        for r in self.running.values() {
                            signal_task(r.pid, signal);
                        }
                        self.drop_deferred(|_| true);
                        self.drop_awaiting(None);
                    }
                    None => eprintln!("ferry launcher: ignored a malformed request"),
                },
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    /// Drops the launches waiting for a fork that `which` picks, each answered `Cancelled`.
    fn drop_deferred(&mut self, which: impl Fn(&Deferred) -> bool) {
        let (dropped, kept) = std::mem::take(&mut self.deferred)
            .into_iter()
            .partition::<VecDeque<_>, _>(|d| which(d));
        self.deferred = kept;
        for d in dropped {
            self.report(&Report::Cancelled { id: d.id() });
        }
    }

    /// Drops launches still being set up (`id`'s, or all), each answered `Cancelled`; a setup
    /// that finishes later is closed unused.
    fn drop_awaiting(&mut self, id: Option<u64>) {
        let ids: Vec<u64> = match id {
            Some(id) => vec![id],
            None => self.awaiting.keys().copied().collect(),
        };
        for id in ids {
            if self.awaiting.remove(&id).is_some() {
                self.setups.forget(id);
                self.report(&Report::Cancelled { id });
            }
        }
    }

    /// Starts the attempts whose setup finished; fails those whose setup failed or passed its
    /// deadline.
    fn setups_done(&mut self) {
        for (id, outcome) in self.setups.collect() {
            let Some((plan, rc_file)) = self.awaiting.remove(&id) else {
                continue;
            };
            match outcome {
                Ok(opened) => self.start(
                    Ready {
                        plan,
                        opened,
                        rc_file,
                    },
                    Instant::now(),
                ),
                Err((step, errno)) => {
                    if step == wire::STEP_SETUP_TIMEOUT {
                        eprintln!(
                            "ferry launcher: attempt {id}: its setup did not finish in {} s",
                            setup::deadline().as_secs()
                        );
                    }
                    self.report(&Report::Failed { id, step, errno })
                }
            }
        }
    }

    /// A launch: its setup starts in a thread; the task starts when that is done.
    fn launch(&mut self, l: Launch) {
        let id = l.id;
        let rc_file = l.rc_file.clone();
        let (plan, job) = match self.plan(l) {
            Ok(p) => p,
            Err(_) => {
                return self.report(&Report::Failed {
                    id,
                    step: wire::STEP_SPAWN,
                    errno: libc::EINVAL,
                });
            }
        };
        self.set_up(plan, job, rc_file, Instant::now());
    }

    fn set_up(&mut self, plan: sys::TaskPlan, job: setup::Job, rc_file: Vec<u8>, since: Instant) {
        let id = plan.id;
        match self.setups.start(job) {
            Ok(()) => {
                self.awaiting.insert(id, (plan, rc_file));
            }
            Err((Some(job), _, errno))
                if matches!(errno, libc::EAGAIN | libc::ENOMEM)
                    && since.elapsed() < SPAWN_PATIENCE =>
            {
                self.deferred.push_back(Deferred {
                    waiting: Waiting::Setup(plan, *job, rc_file),
                    since,
                    next_try: Instant::now() + Duration::from_millis(50),
                });
            }
            Err((_, step, errno)) => self.report(&Report::Failed { id, step, errno }),
        }
    }

    /// The task's environment is this process's, with the launch's variables added or
    /// replacing.
    fn plan(&self, l: Launch) -> Result<(sys::TaskPlan, setup::Job), std::ffi::NulError> {
        let cstrings = |v: Vec<Vec<u8>>| -> Result<Vec<CString>, _> {
            v.into_iter().map(CString::new).collect()
        };
        let plan = sys::TaskPlan {
            id: l.id,
            // Set when its files are open (`start`).
            stdin: -1,
            stdout: -1,
            stderr: -1,
            work_dir: -1,
            program: CString::new(l.program)?,
            argv: cstrings(l.args)?,
            env: cstrings(l.env)?,
        };
        let job = setup::Job {
            id: l.id,
            dirs: cstrings(l.dirs)?,
            script_path: CString::new(l.script_path)?,
            script: l.script,
            stdout: CString::new(l.stdout)?,
            stderr: CString::new(l.stderr)?,
            work_dir: CString::new(l.work_dir)?,
        };
        Ok((plan, job))
    }

    fn start(&mut self, mut ready: Ready, since: Instant) {
        use std::os::fd::AsRawFd;
        ready.plan.stdin = ready.opened.stdin.as_raw_fd();
        ready.plan.stdout = ready.opened.stdout.as_raw_fd();
        ready.plan.stderr = ready.opened.stderr.as_raw_fd();
        ready.plan.work_dir = ready.opened.work_dir.as_raw_fd();
        let id = ready.plan.id;
        match sys::spawn_task(&self.spawn, &ready.plan) {
            // The task has its copies; the launcher's close with `ready`.
            Ok(pid) => {
                self.running.insert(
                    id,
                    TaskProcess {
                        pid,
                        rc_file: ready.rc_file,
                    },
                );
                self.by_pid.insert(pid, id);
            }
            Err((step, errno))
                if step == wire::STEP_SPAWN
                    && matches!(errno, libc::EAGAIN | libc::ENOMEM)
                    && since.elapsed() < SPAWN_PATIENCE =>
            {
                self.deferred.push_back(Deferred {
                    waiting: Waiting::Fork(ready),
                    since,
                    next_try: Instant::now() + Duration::from_millis(50),
                });
            }
            Err((step, errno)) => self.report(&Report::Failed { id, step, errno }),
        }
    }

    fn retry_deferred(&mut self) {
        let now = Instant::now();
        for _ in 0..self.deferred.len() {
            let Some(d) = self.deferred.pop_front() else {
                break;
            };
            if d.next_try > now {
                self.deferred.push_back(d);
                continue;
            }
            match d.waiting {
                Waiting::Setup(plan, job, rc_file) => self.set_up(plan, job, rc_file, d.since),
                Waiting::Fork(ready) => self.start(ready, d.since),
            }
        }
    }

    /// Queues a report for the engine and sends what the socket has room for.
    fn report(&mut self, r: &Report) {
        self.outbox.push_back(r.encode());
        self.flush();
    }

    /// Sends queued reports until the socket is full; false once the engine has gone.
    fn flush(&mut self) -> bool {
        while let Some(msg) = self.outbox.front() {
            match sys::send(self.socket.as_fd(), msg) {
                Ok(()) => {
                    self.outbox.pop_front();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }

    fn reap_children(&mut self) {
        let mut ended_attempt = false;
        while let Some(r) = sys::reap(-1, false) {
            let Some(id) = self.by_pid.remove(&r.pid) else {
                continue; // an orphan we adopted
            };
            let Some(run) = self.running.remove(&id) else {
                continue;
            };
            ended_attempt = true;
            let mut leftovers = kill_group(r.pid);
            leftovers += self.kill_orphans(Some(id), r.pid);
            if r.signaled {
                // The shell could not run its EXIT trap.
                let rc = Path::new(std::ffi::OsStr::from_bytes(&run.rc_file));
                let _ = std::fs::write(rc, format!("{}\n", r.code));
            }
            self.report(&Report::Exited {
                id,
                code: r.code,
                signaled: r.signaled,
                user_us: micros(r.usage.ru_utime),
                system_us: micros(r.usage.ru_stime),
                max_rss: r.usage.ru_maxrss.max(0) as u64 * 1024,
                leftovers: leftovers as u32,
            });
        }
        if !ended_attempt {
            // An adopted orphan died: its own children may have just become ours.
            self.kill_orphans(None, 0);
        }
    }

    /// Kills our children that are no attempt's shell and whose attempt (by the marker in
    /// their environment) is `ended` or no longer running. Returns how many, not counting
    /// those of `ended_group`, which `kill_group` counted.
    fn kill_orphans(&self, ended: Option<u64>, ended_group: i32) -> usize {
        let mut killed = 0;
        for pid in self.children.list() {
            if self.by_pid.contains_key(&pid) {
                continue;
            }
            let Some((state, group)) = state_and_group(pid) else {
                continue;
            };
            if state == 'Z' || group == ended_group {
                continue;
            }
            let done = match attempt_of(pid) {
                Some(a) => Some(a) == ended || !self.running.contains_key(&a),
                // A process that cleared its environment cannot be told apart: it goes when
                // the run does.
                None => false,
            };
            if done {
                sys::kill(pid, libc::SIGKILL);
                killed += 1;
            }
        }
        killed
    }

    /// The run is over: SIGKILL to every task's group and every adopted orphan, reap them all,
    /// then the marker sweep for anything that escaped even that.
    fn kill_everything(&mut self) {
        for r in self.running.values() {
            sys::killpg(r.pid, libc::SIGKILL);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            for pid in self.children.list() {
                sys::kill(pid, libc::SIGKILL);
            }
            while sys::reap(-1, false).is_some() {}
            if self.children.list().is_empty() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // What escaped even that (a process that left the subreaper's tree before it died):
        // everything started by this launcher carries its marker.
        if let Some(me) = std::env::var_os(crate::reaper::LAUNCHER_MARKER) {
            crate::reaper::kill_marked(crate::reaper::LAUNCHER_MARKER, me.as_bytes());
        }
    }
}

/// Sends `signal` to a task's session. A task forked a moment ago may not lead its session
/// yet: its pid gets the signal too (it is blocked until the child's `execve` setup, so it is
/// not lost).
fn signal_task(pid: i32, signal: i32) {
    sys::kill(pid, signal);
    sys::killpg(pid, signal);
}

/// Kills what is left of a task's process group after its shell ended (`cmd &`, `nohup cmd &`)
/// and returns how many processes that was. One system call when there is none.
pub(crate) fn kill_group(pgid: i32) -> usize {
    if !sys::group_alive(pgid) {
        return 0;
    }
    let count = crate::reaper::process_ids()
        .filter(|pid| state_and_group(*pid).is_some_and(|(state, g)| g == pgid && state != 'Z'))
        .count();
    sys::killpg(pgid, libc::SIGKILL);
    count
}

/// A process's state letter and process group, from `/proc/PID/stat`.
fn state_and_group(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid pgrp ...`; comm may contain spaces and parentheses.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let group = rest.nth(1)?.parse().ok()?;
    Some((state, group))
}

/// Our current children, from the main thread's `/proc/PID/task/PID/children` (only the main
/// thread forks: setup threads open files and nothing else, so its list is all of them). The file is opened once and read again from
/// offset 0 each time, which regenerates it: listing costs one `pread` per attempt that ends,
/// not an open, stat and close.
struct ChildList {
    file: Option<std::fs::File>,
}

impl ChildList {
    fn open() -> ChildList {
        let me = std::process::id();
        ChildList {
            file: std::fs::File::open(format!("/proc/{me}/task/{me}/children")).ok(),
        }
    }

    fn list(&self) -> Vec<i32> {
        use std::os::unix::fs::FileExt;
        let Some(file) = &self.file else {
            return Vec::new();
        };
        let mut text = Vec::with_capacity(256);
        let mut chunk = [0u8; 4096];
        loop {
            match file.read_at(&mut chunk, text.len() as u64) {
                Ok(n) => {
                    text.extend_from_slice(&chunk[..n]);
                    // A seq_file read fills the buffer unless the list has ended.
                    if n < chunk.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        text.split(|b| b.is_ascii_whitespace())
            .filter_map(|p| std::str::from_utf8(p).ok()?.parse().ok())
            .collect()
    }
}

/// The attempt a task process belongs to, from the marker the engine put in every task's
/// environment ([`super::ATTEMPT_MARKER`]).
fn attempt_of(pid: i32) -> Option<u64> {
    let value = crate::reaper::environ_value(pid, super::ATTEMPT_MARKER)?;
    std::str::from_utf8(&value).ok()?.parse().ok()
}

fn micros(tv: libc::timeval) -> u64 {
    ferry_stage::cpu_time(tv).as_micros() as u64
}
