//! Every system call of this crate that the standard library does not wrap: the only module
//! with `unsafe`.

use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Sends `signal` to process `pid`; a process that is already gone is not an error.
pub fn kill(pid: i32, signal: i32) {
    // SAFETY: kill(2) with plain integer arguments.
    unsafe { libc::kill(pid, signal) };
}

/// The user and group this process runs as, `uid:gid`.
pub fn user_and_group() -> String {
    // SAFETY: getuid/getgid cannot fail.
    unsafe { format!("{}:{}", libc::getuid(), libc::getgid()) }
}

/// Sends `signal` to process group `pgid`; a group that is already gone is not an error.
pub fn killpg(pgid: i32, signal: i32) {
    // SAFETY: killpg(2) with plain integer arguments.
    unsafe { libc::killpg(pgid, signal) };
}

/// Whether any process of group `pgid` is alive (zombies included until reaped).
pub fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    unsafe { libc::killpg(pgid, 0) == 0 }
}

fn check(rc: libc::c_int) -> std::io::Result<libc::c_int> {
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// A connected pair of `SOCK_SEQPACKET` Unix sockets, close-on-exec.
pub fn seqpacket_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: socketpair fills the two descriptors, which we then own.
    unsafe {
        check(libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        ))?;
        Ok((OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])))
    }
}

/// Sends one message without blocking (`WouldBlock` when the socket's buffer is full) and
/// without SIGPIPE.
pub fn send(fd: BorrowedFd<'_>, msg: &[u8]) -> std::io::Result<()> {
    // SAFETY: sends from a buffer we borrow for the duration of the call.
    let n = unsafe {
        libc::send(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Receives one message without blocking; `Ok(0)` when the peer has closed its end.
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: receives into a buffer we borrow mutably for the duration of the call.
    let n = unsafe {
        libc::recv(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Waits until one of `fds` is readable (or has hung up), at most `timeout_ms` (-1: forever);
/// returns which are.
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout_ms: i32) -> Vec<bool> {
    let events: Vec<(BorrowedFd<'_>, bool)> = fds.iter().map(|fd| (*fd, false)).collect();
    poll(&events, timeout_ms)
        .into_iter()
        .map(|(r, w)| r || w)
        .collect()
}

/// Waits until one of `fds` is readable (or has hung up) or, where its flag says so, writable;
/// at most `timeout_ms` (-1: forever). Returns (readable or hung up, writable) for each.
pub fn poll(fds: &[(BorrowedFd<'_>, bool)], timeout_ms: i32) -> Vec<(bool, bool)> {
    let mut p: Vec<libc::pollfd> = fds
        .iter()
        .map(|(fd, write)| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN | if *write { libc::POLLOUT } else { 0 },
            revents: 0,
        })
        .collect();
    // SAFETY: pollfds of ours, as many as we pass.
    let n = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, timeout_ms) };
    p.iter()
        .map(|p| {
            if n <= 0 {
                return (false, false);
            }
            let read = p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL);
            (read != 0, p.revents & libc::POLLOUT != 0)
        })
        .collect()
}

/// Closes every descriptor from `first` up: what this process inherited and must not hand on
/// to the tasks it starts.
pub fn close_from(first: i32) {
    // SAFETY: close_range(2) with plain integer arguments; the caller owns no descriptor there.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0,
        )
    };
}

/// Blocks `signals` in this (single-threaded) process and returns a descriptor that becomes
/// readable when one of them is pending.
pub fn signal_fd(signals: &[i32]) -> std::io::Result<OwnedFd> {
    // SAFETY: a zeroed sigset is valid input to sigemptyset/sigaddset; signalfd returns a new
    // descriptor we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in signals {
            libc::sigaddset(&mut set, *s);
        }
        check(libc::sigprocmask(
            libc::SIG_BLOCK,
            &set,
            std::ptr::null_mut(),
        ))?;
        let fd = check(libc::signalfd(
            -1,
            &set,
            libc::SFD_CLOEXEC | libc::SFD_NONBLOCK,
        ))?;
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// The signals pending on a [`signal_fd`], consumed.
pub fn read_signals(fd: BorrowedFd<'_>) -> Vec<i32> {
    let mut out = Vec::new();
    loop {
        // SAFETY: a zeroed siginfo is a valid buffer for read to fill.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        // SAFETY: reads at most `size` bytes into `info`.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                (&mut info as *mut libc::signalfd_siginfo).cast(),
                size,
            )
        };
        if n as usize != size {
            return out;
        }
        out.push(info.ssi_signo as i32);
    }
}

/// Makes orphaned descendants of this process its children instead of init's.
pub fn become_subreaper() -> std::io::Result<()> {
    // SAFETY: prctl with integer arguments.
    check(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }).map(drop)
}

/// How a reaped child ended.
pub struct Reaped {
    pub pid: i32,
    /// The exit status; 128+N when killed by signal N.
    pub code: i32,
    pub signaled: bool,
    pub usage: libc::rusage,
}

/// Reaps one child that has ended: any child, or `pid`; `block` waits for one. `None` when
/// there is none to reap (yet, or at all).
pub fn reap(pid: i32, block: bool) -> Option<Reaped> {
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid buffer for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: wait4 fills locals that outlive the call.
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if r <= 0 {
            return None;
        }
        let (code, signaled) = if libc::WIFEXITED(status) {
            (libc::WEXITSTATUS(status), false)
        } else {
            (128 + libc::WTERMSIG(status), true)
        };
        return Some(Reaped {
            pid: r,
            code,
            signaled,
            usage,
        });
    }
}

/// Everything a task process needs between `clone` and `execve`, prepared before, so that the
/// child only makes async-signal-safe system calls on memory it does not change. Its files
/// are already open (`launcher::setup`): the child touches no path but the program's.
pub struct TaskPlan {
    pub id: u64,
    pub stdin: std::os::fd::RawFd,
    pub stdout: std::os::fd::RawFd,
    pub stderr: std::os::fd::RawFd,
    pub work_dir: std::os::fd::RawFd,
    pub program: CString,
    pub argv: Vec<CString>,
    /// `KEY=VALUE`: the launch's own variables; the rest of the environment is the launcher's.
    pub env: Vec<CString>,
}

/// What every task process inherits from the launcher, prepared once: its environment, the
/// signals whose disposition is not the default (ignored, or handled, like the standard
/// library's SIGSEGV handler: the child resets them), and the stack a new task process runs on
/// until its `execve`.
pub struct SpawnBase {
    env: Vec<CString>,
    reset_signals: Vec<libc::c_int>,
    stack: *mut libc::c_void,
    stack_len: usize,
}

/// The child's stack, below a guard page: the child only makes system calls, so a few pages
/// would do; an overflow faults instead of writing into the launcher's memory.
const SPAWN_STACK: usize = 256 << 10;

impl SpawnBase {
    pub fn new() -> std::io::Result<SpawnBase> {
        use std::os::unix::ffi::OsStrExt;
        let env = std::env::vars_os()
            .filter_map(|(k, v)| {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                CString::new(kv).ok()
            })
            .collect();
        let mut reset_signals = Vec::new();
        for sig in 1..libc::SIGRTMAX() {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            // SAFETY: sigaction with a null new action only reads the current one into `old`.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            if unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } == 0
                && old.sa_sigaction != libc::SIG_DFL
            {
                reset_signals.push(sig);
            }
        }
        // SAFETY: sysconf with a plain name.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
        let stack_len = SPAWN_STACK + page;
        // SAFETY: a new private anonymous mapping, owned by the returned value (unmapped on
        // drop); its lowest page is made inaccessible as a guard.
        let stack = unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                stack_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return Err(std::io::Error::last_os_error());
            }
            libc::mprotect(p, page, libc::PROT_NONE);
            p
        };
        Ok(SpawnBase {
            env,
            reset_signals,
            stack,
            stack_len,
        })
    }
}

impl Drop for SpawnBase {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer used (no child runs on it: `clone`
        // returns only once the child has exec'd or exited).
        unsafe { libc::munmap(self.stack, self.stack_len) };
    }
}

/// What the child of [`spawn_task`] reads: pointers into memory the suspended parent keeps,
/// and where it says why it failed (`failure`: step and errno), which the parent reads once
/// `clone` returns. The child never writes to a socket or waits on anything.
struct ChildArgs<'a> {
    plan: &'a TaskPlan,
    argv: &'a [*const libc::c_char],
    envp: &'a [*const libc::c_char],
    reset_signals: &'a [libc::c_int],
    parent: libc::c_int,
    failure: *mut [libc::c_int; 2],
}

/// Starts a task process that enters its session (and process group), takes its prepared
/// descriptors as stdin, stdout and stderr, enters its working directory (a descriptor) and
/// execs the program. Returns its pid once it has exec'd, or the step that failed and errno.
///
/// `clone(CLONE_VM | CLONE_VFORK)`, as `posix_spawn` does, not `fork`: the child borrows the
/// launcher's memory until its `execve`, so no page table is copied and no page is faulted in
/// twice (a `fork` per task was half of the launcher's CPU). Sound because the calling thread
/// is suspended until the child execs or exits, the other threads (setups) never touch what
/// the child reads, and the child runs on its own stack making only system calls on buffers
/// prepared here, changing no memory but that stack, `failure` and `errno`. Every signal is
/// blocked around the `clone` (no handler of the launcher's runs on the child's stack); the
/// child resets the dispositions that are not the default, then unblocks everything.
pub fn spawn_task(base: &SpawnBase, plan: &TaskPlan) -> Result<i32, (u8, i32)> {
    use super::launcher::wire;
    let argv: Vec<*const libc::c_char> = plan
        .argv
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let key = |kv: &CString| -> usize {
        let b = kv.as_bytes();
        b.iter().position(|c| *c == b'=').unwrap_or(b.len())
    };
    let overridden = |kv: &CString| {
        let k = &kv.as_bytes()[..key(kv)];
        plan.env.iter().any(|e| &e.as_bytes()[..key(e)] == k)
    };
    let envp: Vec<*const libc::c_char> = base
        .env
        .iter()
        .filter(|kv| !overridden(kv))
        .chain(plan.env.iter())
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let mut failure: [libc::c_int; 2] = [0, 0];
    // SAFETY: sigfillset and pthread_sigmask on local sets; the old mask is restored below.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let args = ChildArgs {
        plan,
        argv: &argv,
        envp: &envp,
        reset_signals: &base.reset_signals,
        // SAFETY: getpid cannot fail.
        parent: unsafe { libc::getpid() },
        failure: &mut failure,
    };
    // SAFETY: see the function's comment. The stack's top is 16-byte aligned (a mapping's
    // end); `args` and `failure` outlive the child's use of them (clone returns after the
    // child's execve or exit).
    let pid = unsafe {
        let top = base.stack.cast::<u8>().add(base.stack_len).cast();
        libc::clone(
            task_child,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&args as *const ChildArgs).cast_mut().cast(),
        )
    };
    let clone_errno = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO);
    // SAFETY: restores the mask saved above.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
    }
    if pid < 0 {
        return Err((wire::STEP_SPAWN, clone_errno));
    }
    // SAFETY: the child wrote `failure` (or not) before its exec or exit, which `clone`
    // waited for; read as the child left it, not as the compiler last saw it.
    let [step, errno] = unsafe { std::ptr::read_volatile(&failure) };
    if step != 0 {
        // The child exited (127): reaped with the others, its attempt is reported failed.
        return Err((step as u8, errno));
    }
    Ok(pid)
}

/// The task process from `clone` to `execve`: straight-line system calls, nothing allocated,
/// nothing returned.
extern "C" fn task_child(arg: *mut libc::c_void) -> libc::c_int {
    use super::launcher::wire;
    // SAFETY: `arg` is the `ChildArgs` that `spawn_task` keeps alive until this process execs
    // or exits; everything below is a system call on memory it points to.
    unsafe {
        let a = &*(arg as *const ChildArgs);
        let plan = a.plan;
        let fail = |step: u8| -> ! {
            let errno = *libc::__errno_location();
            *a.failure = [libc::c_int::from(step), errno];
            libc::_exit(127)
        };
        // A session of its own, without a controlling terminal: a task that opens /dev/tty
        // gets an error instead of stopping the run (a background group reading its terminal
        // would be stopped by SIGTTIN), and Ctrl-C at the engine's terminal is the engine's
        // to handle, in order.
        libc::setsid();
        // The shell dies with the launcher (its process group is the launcher's to clean up).
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        if libc::getppid() != a.parent {
            libc::_exit(127);
        }
        for (fd, target) in [(plan.stdin, 0), (plan.stdout, 1), (plan.stderr, 2)] {
            if libc::dup2(fd, target) < 0 {
                fail(wire::STEP_STDIO);
            }
        }
        if libc::fchdir(plan.work_dir) != 0 {
            fail(wire::STEP_CHDIR);
        }
        // Nothing of the launcher's signal handling survives into the task: what it ignores
        // (SIGPIPE) or handles (the standard library's SIGSEGV handler) is default again, and
        // nothing is blocked (the launcher blocks what its signalfd reads, and everything
        // around the clone).
        for sig in a.reset_signals {
            libc::signal(*sig, libc::SIG_DFL);
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        libc::execve(plan.program.as_ptr(), a.argv.as_ptr(), a.envp.as_ptr());
        fail(wire::STEP_EXEC)
    }
}

/// A pipe whose ends never block and are closed on exec: a thread wakes the launcher's poll by
/// writing a byte.
pub fn nonblocking_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors, owned from here.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: descriptors just made, owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// One byte into the pipe (a full pipe already wakes its reader).
pub fn wake(fd: &OwnedFd) {
    // SAFETY: write of one byte from a local buffer.
    unsafe {
        libc::write(fd.as_raw_fd(), [1u8].as_ptr().cast(), 1);
    }
}

/// Empties the pipe's read end.
pub fn drain(fd: &OwnedFd) {
    let mut buf = [0u8; 64];
    // SAFETY: reads into a local buffer until the (non-blocking) pipe is empty.
    while unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

/// Makes `fds[i]` the child's descriptor 3+i (not close-on-exec there), and closes every
/// other descriptor above 2 that the child would inherit.
pub fn pass_fds(cmd: &mut std::process::Command, fds: Vec<OwnedFd>) {
    use std::os::unix::process::CommandExt;
    let raw: Vec<i32> = fds.iter().map(|f| f.as_raw_fd()).collect();
    let high = 3 + raw.len() as i32 + 64;
    // SAFETY: fcntl, dup2 and close_range are async-signal-safe; the closure owns `fds` until
    // the command is dropped and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let _ = &fds;
            let mut moved = [0i32; 8];
            // First out of the way of the targets (a source may sit on another's target).
            for (i, fd) in raw.iter().enumerate().take(moved.len()) {
                moved[i] = libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, high);
                if moved[i] < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            for (i, fd) in moved.iter().enumerate().take(raw.len()) {
                if libc::dup2(*fd, 3 + i as i32) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            libc::syscall(
                libc::SYS_close_range,
                (3 + raw.len()) as libc::c_uint,
                libc::c_uint::MAX,
                0,
            );
            Ok(())
        });
    }
}

/// Takes descriptor `fd`, which [`pass_fds`] gave this process, and makes it close-on-exec
/// so that no task process inherits it. `None` if there is no such descriptor.
pub fn take_fd(fd: i32) -> Option<OwnedFd> {
    // SAFETY: fcntl on a descriptor number; we only take ownership if it is open.
    unsafe {
        if libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) != 0 {
            return None;
        }
        Some(OwnedFd::from_raw_fd(fd))
    }
}

/// Registers a socket we own with the Tokio reactor (reads and writes use `MSG_DONTWAIT`).
pub fn async_socket(fd: OwnedFd) -> std::io::Result<tokio::io::unix::AsyncFd<OwnedFd>> {
    // SAFETY: the AsyncFd owns the descriptor, so it stays open while it is registered.
    unsafe { tokio::io::unix::AsyncFd::register(fd) }.map_err(|e| e.into())
}

/// This process's own resource use (`getrusage(RUSAGE_SELF)`).
pub fn own_usage() -> libc::rusage {
    // SAFETY: getrusage only writes into the zeroed struct it is given.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    }
}

/// The resource use of this process's waited-for children (the job helper has one).
pub fn children_usage() -> crate::ResourceUse {
    // SAFETY: getrusage only writes into the zeroed struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru
    };
    let time = ferry_stage::cpu_time;
    crate::ResourceUse {
        wall: std::time::Duration::ZERO,
        user_cpu: time(ru.ru_utime),
        system_cpu: time(ru.ru_stime),
        max_rss: Some(ru.ru_maxrss.max(0) as u64 * 1024),
    }
}
