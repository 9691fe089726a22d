//! Starting a task process that sets up its own attempt directory, and waiting for it without
//! a thread.
//!
//! Creating an inode costs 150–300 µs on the disks we run on (measured: mkdir and create+write
//! on ext4 here), and an attempt needs several (its directories, `command`, `stdout`, `stderr`).
//! Done by the engine that is most of its per-shard CPU, serialized on its threads. Here the
//! child does it: we `clone(CLONE_VM)` a child that runs only raw system calls on buffers the
//! parent prepared (create the directories, write the script, open stdout/stderr, chdir, exec
//! bash), so that work is the task's and runs beside the engine on another core.
//!
//! Unlike `posix_spawn` there is no `CLONE_VFORK`: the engine's thread does not wait for the
//! exec, and the child's exit is a readable pidfd (`CLONE_PIDFD`) in the async reactor, so an
//! attempt costs no thread hand-off. What makes sharing memory with a running child safe: the
//! child touches only its own stack and the [`Plan`], both owned by the [`Child`] until it is
//! reaped; it makes system calls with inline assembly, so it never writes the parent thread's
//! `errno` (the child shares its thread pointer) nor runs any libc code; it allocates nothing
//! and takes no lock. On a kernel without `CLONE_PIDFD` (before 5.2) the wait falls back to
//! `wait4` on a blocking thread.

use std::ffi::{CString, c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// Everything the child needs, prepared by the parent; nothing in it is allocated by the child.
pub struct Plan {
    dirs: Vec<CString>,
    script_path: CString,
    script: Vec<u8>,
    stdout: CString,
    stderr: CString,
    devnull: CString,
    work_dir: CString,
    program: CString,
    _argv_storage: Vec<CString>,
    argv: Vec<*const c_char>,
    _base_env: Arc<Vec<CString>>,
    _envp_storage: Vec<CString>,
    envp: Vec<*const c_char>,
    /// The errno of the first failing step, and which step (see `STEP_*`), set by the child.
    errno: AtomicI32,
    step: AtomicI32,
}

// SAFETY: the raw pointers in `argv`/`envp` point into the heap buffers of the `CString`s the
// plan owns; moving the plan to another thread moves those owners with them.
unsafe impl Send for Plan {}

const STEP_MKDIR: i32 = 1;
const STEP_SCRIPT: i32 = 2;
const STEP_STDIO: i32 = 3;
const STEP_CHDIR: i32 = 4;
const STEP_EXEC: i32 = 5;

fn cstring(p: &Path) -> std::io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} contains a NUL byte", p.display()),
        )
    })
}

fn cstr(s: &str) -> std::io::Result<CString> {
    CString::new(s).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{s:?} contains a NUL byte"),
        )
    })
}

pub struct PlanRequest<'a> {
    /// Directories to create, outermost first (existing ones are fine).
    pub dirs: Vec<&'a Path>,
    pub script_path: &'a Path,
    pub script: &'a str,
    pub stdout: &'a Path,
    pub stderr: &'a Path,
    pub work_dir: &'a Path,
    /// Absolute path of the program, and its arguments (argv[0] included).
    pub program: &'a Path,
    pub args: Vec<String>,
    /// The environment every task gets (`KEY=VALUE`), built once.
    pub base_env: Arc<Vec<CString>>,
    /// Variables of this task, added to (and overriding) the base.
    pub env: Vec<(String, String)>,
}

/// The current process's environment as `KEY=VALUE` strings, for [`PlanRequest::base_env`]:
/// the variables `keep` says yes to.
pub fn environment_block(keep: impl Fn(&str) -> bool) -> Arc<Vec<CString>> {
    Arc::new(
        std::env::vars_os()
            .filter(|(k, _)| k.to_str().is_some_and(&keep))
            .filter_map(|(k, v)| {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                CString::new(kv).ok()
            })
            .collect(),
    )
}

impl Plan {
    pub fn new(req: PlanRequest<'_>) -> std::io::Result<Plan> {
        let argv_storage: Vec<CString> =
            req.args.iter().map(|a| cstr(a)).collect::<Result<_, _>>()?;
        let mut argv: Vec<*const c_char> = argv_storage.iter().map(|c| c.as_ptr()).collect();
        argv.push(std::ptr::null());
        let envp_storage: Vec<CString> = req
            .env
            .iter()
            .map(|(k, v)| cstr(&format!("{k}={v}")))
            .collect::<Result<_, _>>()?;
        let overridden = |kv: &CString| {
            req.env.iter().any(|(k, _)| {
                let b = kv.as_bytes();
                b.len() > k.len() && b.starts_with(k.as_bytes()) && b[k.len()] == b'='
            })
        };
        let mut envp: Vec<*const c_char> = req
            .base_env
            .iter()
            .filter(|kv| !overridden(kv))
            .map(|c| c.as_ptr())
            .chain(envp_storage.iter().map(|c| c.as_ptr()))
            .collect();
        envp.push(std::ptr::null());
        Ok(Plan {
            dirs: req
                .dirs
                .iter()
                .map(|d| cstring(d))
                .collect::<Result<_, _>>()?,
            script_path: cstring(req.script_path)?,
            script: req.script.as_bytes().to_vec(),
            stdout: cstring(req.stdout)?,
            stderr: cstring(req.stderr)?,
            devnull: cstr("/dev/null")?,
            work_dir: cstring(req.work_dir)?,
            program: cstring(req.program)?,
            _argv_storage: argv_storage,
            argv,
            _base_env: req.base_env,
            _envp_storage: envp_storage,
            envp,
            errno: AtomicI32::new(0),
            step: AtomicI32::new(0),
        })
    }
}

/// Raw system calls for the child: no libc, no `errno`.
mod sys {
    #[cfg(target_arch = "x86_64")]
    pub unsafe fn call(n: libc::c_long, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: the caller passes a valid system call and arguments.
        unsafe {
            core::arch::asm!(
                "syscall",
                inlateout("rax") n as isize => ret,
                in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
                in("r10") a[3], in("r8") a[4], in("r9") a[5],
                lateout("rcx") _, lateout("r11") _,
                options(nostack),
            );
        }
        ret
    }

    #[cfg(target_arch = "aarch64")]
    pub unsafe fn call(n: libc::c_long, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: the caller passes a valid system call and arguments.
        unsafe {
            core::arch::asm!(
                "svc 0",
                in("x8") n,
                inlateout("x0") a[0] as isize => ret,
                in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
                options(nostack),
            );
        }
        ret
    }
}

/// Runs in the child, on its own stack, sharing the parent's memory until `execve`. Only raw
/// system calls on the plan's buffers: no allocation, no locks, no libc.
extern "C" fn child_main(arg: *mut c_void) -> c_int {
    use libc::{
        AT_FDCWD, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, PR_SET_PDEATHSIG, SIG_SETMASK, SIGKILL,
        SYS_chdir, SYS_close, SYS_dup3, SYS_execve, SYS_exit_group, SYS_mkdirat, SYS_openat,
        SYS_prctl, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_setpgid, SYS_write,
    };
    // SAFETY: `arg` is the `Plan` the parent keeps alive until this child is reaped.
    let plan = unsafe { &*(arg as *const Plan) };
    // SAFETY: system calls on valid, NUL-terminated buffers owned by `plan` or on this stack.
    unsafe {
        let sys = |n, a: [usize; 6]| sys::call(n, a);
        let fail = |step: i32, ret: isize| -> c_int {
            plan.errno.store((-ret) as i32, Ordering::SeqCst);
            plan.step.store(step, Ordering::SeqCst);
            sys(SYS_exit_group, [127, 0, 0, 0, 0, 0]);
            127
        };
        // Every signal is blocked (the parent blocked them around `clone`), so no handler of
        // the engine runs here; none may survive into the task, and ignored ones (Rust ignores
        // SIGPIPE) must be default again. The kernel's sigaction with SIG_DFL, no flags and an
        // empty mask is all zeros on every architecture.
        let dfl = [0u64; 4];
        for sig in 1..65usize {
            if sig != SIGKILL as usize && sig != libc::SIGSTOP as usize {
                sys(SYS_rt_sigaction, [sig, dfl.as_ptr() as usize, 0, 8, 0, 0]);
            }
        }
        sys(SYS_setpgid, [0, 0, 0, 0, 0, 0]);
        // A task dies with the engine (kill -9 included), so that a rerun never races with
        // leftovers of the run it resumes.
        sys(
            SYS_prctl,
            [PR_SET_PDEATHSIG as usize, SIGKILL as usize, 0, 0, 0, 0],
        );
        let at = AT_FDCWD as usize;
        for d in &plan.dirs {
            let r = sys(SYS_mkdirat, [at, d.as_ptr() as usize, 0o755, 0, 0, 0]);
            if r < 0 && r != -(libc::EEXIST as isize) {
                return fail(STEP_MKDIR, r);
            }
        }
        let flags = (O_WRONLY | O_CREAT | O_TRUNC | libc::O_CLOEXEC) as usize;
        let fd = sys(
            SYS_openat,
            [at, plan.script_path.as_ptr() as usize, flags, 0o644, 0, 0],
        );
        if fd < 0 {
            return fail(STEP_SCRIPT, fd);
        }
        let mut written = 0;
        while written < plan.script.len() {
            let buf = plan.script.as_ptr().add(written) as usize;
            let n = sys(
                SYS_write,
                [fd as usize, buf, plan.script.len() - written, 0, 0, 0],
            );
            if n <= 0 {
                return fail(STEP_SCRIPT, if n == 0 { -(libc::EIO as isize) } else { n });
            }
            written += n as usize;
        }
        sys(SYS_close, [fd as usize, 0, 0, 0, 0, 0]);
        let out = (O_WRONLY | O_CREAT | O_TRUNC) as usize;
        let stdio = [
            (plan.devnull.as_ptr(), O_RDONLY as usize, 0usize),
            (plan.stdout.as_ptr(), out, 1),
            (plan.stderr.as_ptr(), out, 2),
        ];
        for (path, flags, target) in stdio {
            let fd = sys(SYS_openat, [at, path as usize, flags, 0o644, 0, 0]);
            if fd < 0 {
                return fail(STEP_STDIO, fd);
            }
            if fd as usize != target {
                let r = sys(SYS_dup3, [fd as usize, target, 0, 0, 0, 0]);
                if r < 0 {
                    return fail(STEP_STDIO, r);
                }
                sys(SYS_close, [fd as usize, 0, 0, 0, 0, 0]);
            }
        }
        let r = sys(SYS_chdir, [plan.work_dir.as_ptr() as usize, 0, 0, 0, 0, 0]);
        if r < 0 {
            return fail(STEP_CHDIR, r);
        }
        let empty = 0u64;
        sys(
            SYS_rt_sigprocmask,
            [
                SIG_SETMASK as usize,
                &empty as *const u64 as usize,
                0,
                8,
                0,
                0,
            ],
        );
        let r = sys(
            SYS_execve,
            [
                plan.program.as_ptr() as usize,
                plan.argv.as_ptr() as usize,
                plan.envp.as_ptr() as usize,
                0,
                0,
                0,
            ],
        );
        fail(STEP_EXEC, r)
    }
}

/// The child's stack: it only runs system calls before `execve`.
pub const STACK: usize = 64 * 1024;

/// How a child ended.
pub struct Exit {
    /// The exit status; 128+N when killed by signal N.
    pub code: i32,
    /// Ended by a signal, so its shell could not record its exit code.
    pub signaled: bool,
    pub usage: libc::rusage,
}

/// A started child. It owns what the child still reads (the plan, the stack) until it is
/// reaped; dropped before that, it kills and reaps the child first.
pub struct Child {
    pid: libc::pid_t,
    pidfd: Option<std::os::fd::OwnedFd>,
    plan: Box<Plan>,
    stack: Vec<u8>,
    reaped: bool,
}

/// Starts the child described by `plan` on `stack` (at least [`STACK`] bytes) and returns
/// at once: the child sets itself up and execs while the caller goes on.
pub fn start(plan: Box<Plan>, mut stack: Vec<u8>) -> std::io::Result<Child> {
    use std::os::fd::FromRawFd;
    if stack.len() < STACK {
        stack.resize(STACK, 0);
    }
    let mut pidfd: c_int = -1;
    // SAFETY: the stack and the plan are moved into the returned `Child`, which keeps them
    // until the child is reaped (heap buffers: moving the owners does not move them); the
    // signal mask is restored on every path.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(stack.len());
        let top = (top as usize & !15) as *mut c_void;
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let pid = libc::clone(
            child_main,
            top,
            libc::CLONE_VM | libc::CLONE_PIDFD | libc::SIGCHLD,
            &*plan as *const Plan as *mut c_void,
            &mut pidfd as *mut c_int,
        );
        let clone_errno = *libc::__errno_location();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if pid < 0 {
            return Err(std::io::Error::from_raw_os_error(clone_errno));
        }
        // Also from this side, so that a cancel right after `start` reaches the child's group
        // whoever runs first (it fails harmlessly once the child has exec'd).
        libc::setpgid(pid, pid);
        pid
    };
    Ok(Child {
        pid,
        // SAFETY: the kernel gave us this descriptor; a kernel without CLONE_PIDFD leaves -1.
        pidfd: (pidfd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(pidfd) }),
        plan,
        stack,
        reaped: false,
    })
}

impl Child {
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Waits for the child to end. On success returns how it ended and the stack for reuse;
    /// an error if it could not be started (directory, script, stdio, exec).
    pub async fn wait(mut self) -> std::io::Result<(Exit, Vec<u8>)> {
        let registered = self.pidfd.take().and_then(|fd| {
            // SAFETY: the AsyncFd owns the descriptor, which stays open until it is dropped.
            unsafe {
                tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
            }
            .ok()
        });
        let exit = match registered {
            Some(afd) => wait_pidfd(afd).await,
            None => {
                let pid = self.pid;
                tokio::task::spawn_blocking(move || wait4(pid))
                    .await
                    .map_err(std::io::Error::other)?
            }
        };
        self.reaped = exit.is_ok();
        let exit = exit?;
        let step = self.plan.step.load(Ordering::SeqCst);
        if step != 0 {
            let err = std::io::Error::from_raw_os_error(self.plan.errno.load(Ordering::SeqCst));
            let what = match step {
                STEP_MKDIR => "create the attempt directory",
                STEP_SCRIPT => "write the command script",
                STEP_STDIO => "open stdout/stderr",
                STEP_CHDIR => "enter the working directory",
                _ => "start bash",
            };
            return Err(std::io::Error::new(
                err.kind(),
                format!("cannot {what}: {err}"),
            ));
        }
        Ok((exit, std::mem::take(&mut self.stack)))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            // The child may still be reading the plan or running on the stack: it must be gone
            // before they are freed.
            // SAFETY: signals and reaps our own child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                let mut status = 0;
                while libc::waitpid(self.pid, &mut status, 0) == -1
                    && *libc::__errno_location() == libc::EINTR
                {}
            }
        }
    }
}

fn exit_of(status: c_int, usage: libc::rusage) -> Exit {
    let (code, signaled) = if libc::WIFEXITED(status) {
        (libc::WEXITSTATUS(status), false)
    } else if libc::WIFSIGNALED(status) {
        (128 + libc::WTERMSIG(status), true)
    } else {
        (-1, true)
    };
    Exit {
        code,
        signaled,
        usage,
    }
}

/// Waits on a blocking thread (kernels without pidfds, or no reactor to register one with).
fn wait4(pid: libc::pid_t) -> std::io::Result<Exit> {
    let mut status: c_int = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits on our own child; `status` and `usage` outlive the call.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == -1 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(err);
        }
        return Ok(exit_of(status, usage));
    }
}

/// Waits for the pidfd to become readable (the child exited) in the reactor, then reaps it
/// with `waitid(P_PIDFD)`, which also returns its resource use.
async fn wait_pidfd(afd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>) -> std::io::Result<Exit> {
    use std::os::fd::AsRawFd;
    loop {
        let mut guard = afd.readable().await?;
        // SAFETY: zeroed siginfo/rusage are valid values for waitid to fill in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: the raw waitid takes a fifth argument, the rusage to fill; all point to
        // locals that outlive the call.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_waitid,
                libc::P_PIDFD,
                afd.get_ref().as_raw_fd(),
                &mut info as *mut libc::siginfo_t,
                libc::WEXITED | libc::WNOHANG,
                &mut usage as *mut libc::rusage,
            )
        };
        if rc == -1 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(err);
        }
        // SAFETY: waitid filled `info` (si_pid is 0 if the child has not exited yet).
        let (pid, code, status) = unsafe { (info.si_pid(), info.si_code, info.si_status()) };
        if pid == 0 {
            guard.clear_ready();
            continue;
        }
        let signaled = code == libc::CLD_KILLED || code == libc::CLD_DUMPED;
        return Ok(Exit {
            code: if signaled { 128 + status } else { status },
            signaled,
            usage,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(dir: &Path, script: &str) -> Box<Plan> {
        let attempt = dir.join("a");
        let work = attempt.join("work");
        Box::new(
            Plan::new(PlanRequest {
                dirs: vec![&attempt, &work],
                script_path: &attempt.join("command"),
                script,
                stdout: &attempt.join("stdout"),
                stderr: &attempt.join("stderr"),
                work_dir: &work,
                program: Path::new("/bin/sh"),
                args: vec!["sh".into(), attempt.join("command").display().to_string()],
                base_env: environment_block(|_| true),
                env: vec![("FERRY_X".into(), "x".into())],
            })
            .unwrap(),
        )
    }

    #[tokio::test]
    async fn without_a_pidfd_the_child_is_reaped_on_a_blocking_thread() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = start(plan(dir.path(), "echo $FERRY_X; exit 7\n"), Vec::new()).unwrap();
        assert!(child.pidfd.is_some(), "this kernel gives pidfds");
        child.pidfd = None;
        let (exit, stack) = child.wait().await.unwrap();
        assert_eq!((exit.code, exit.signaled), (7, false));
        assert_eq!(stack.len(), STACK);
        let out = std::fs::read_to_string(dir.path().join("a/stdout")).unwrap();
        assert_eq!(out, "x\n");
    }

    #[tokio::test]
    async fn a_child_dropped_before_it_ends_is_killed_and_reaped() {
        let dir = tempfile::tempdir().unwrap();
        let child = start(plan(dir.path(), "sleep 30\n"), Vec::new()).unwrap();
        let pid = child.pid();
        drop(child);
        // Reaped: the pid is no longer our child.
        // SAFETY: probing our own (former) child.
        let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        assert_eq!(r, -1);
    }

    #[tokio::test]
    async fn a_signal_is_reported_as_128_plus_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let child = start(plan(dir.path(), "kill -9 $$\n"), Vec::new()).unwrap();
        let (exit, _) = child.wait().await.unwrap();
        assert_eq!((exit.code, exit.signaled), (128 + 9, true));
    }
}
