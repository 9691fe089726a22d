//! Starting a task process that sets up its own attempt directory.
//!
//! Creating an inode costs 150–300 µs on the disks we run on (measured: mkdir and create+write
//! on ext4 here), and an attempt needs several (its directories, `command`, `stdout`, `stderr`).
//! Done by the engine that is most of its per-shard CPU, serialized on its threads. Here the
//! child does it: like `posix_spawn`, we `clone(CLONE_VM | CLONE_VFORK)` a child that runs only
//! async-signal-safe system calls on buffers the parent prepared (create the directories, write
//! the script, open stdout/stderr, chdir, exec bash), so that work is the task's, runs beside the
//! engine on another core, and the engine only waits for the exec.

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

/// The current process's environment as `KEY=VALUE` strings, for [`PlanRequest::base_env`].
pub fn environment_block(skip: &[&str]) -> Arc<Vec<CString>> {
    Arc::new(
        std::env::vars_os()
            .filter(|(k, _)| !skip.iter().any(|s| k.as_bytes() == s.as_bytes()))
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

/// Runs in the child, on its own stack, sharing the parent's memory until `execve`. Only raw
/// system calls on the plan's buffers: no allocation, no locks.
extern "C" fn child_main(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Plan` the parent keeps alive until this child has exec'd or exited
    // (CLONE_VFORK suspends the parent until then).
    let plan = unsafe { &*(arg as *const Plan) };
    // SAFETY: plain system calls on valid, NUL-terminated buffers owned by `plan`.
    unsafe {
        let fail = |step: i32| -> c_int {
            plan.errno
                .store(*libc::__errno_location(), Ordering::SeqCst);
            plan.step.store(step, Ordering::SeqCst);
            libc::_exit(127)
        };
        // Signal handlers of the engine must not run here, nor survive into the task; ignored
        // signals (Rust ignores SIGPIPE) must be default again.
        for sig in 1..65 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        libc::setpgid(0, 0);
        // A task dies with the engine (kill -9 included), so that a rerun never races with
        // leftovers of the run it resumes.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        for d in &plan.dirs {
            if libc::mkdir(d.as_ptr(), 0o755) != 0 && *libc::__errno_location() != libc::EEXIST {
                return fail(STEP_MKDIR);
            }
        }
        let fd = libc::open(
            plan.script_path.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
            0o644,
        );
        if fd < 0 {
            return fail(STEP_SCRIPT);
        }
        let mut written = 0;
        while written < plan.script.len() {
            let n = libc::write(
                fd,
                plan.script.as_ptr().add(written) as *const c_void,
                plan.script.len() - written,
            );
            if n <= 0 {
                return fail(STEP_SCRIPT);
            }
            written += n as usize;
        }
        libc::close(fd);
        let stdio = [
            (plan.devnull.as_ptr(), libc::O_RDONLY, 0),
            (
                plan.stdout.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
                1,
            ),
            (
                plan.stderr.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
                2,
            ),
        ];
        for (path, flags, target) in stdio {
            let fd = libc::open(path, flags, 0o644);
            if fd < 0 || libc::dup2(fd, target) < 0 {
                return fail(STEP_STDIO);
            }
            if fd != target {
                libc::close(fd);
            }
        }
        if libc::chdir(plan.work_dir.as_ptr()) != 0 {
            return fail(STEP_CHDIR);
        }
        let empty: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        libc::execve(
            plan.program.as_ptr(),
            plan.argv.as_ptr(),
            plan.envp.as_ptr(),
        );
        fail(STEP_EXEC)
    }
}

/// The child's stack: it only runs system calls before `execve`.
const STACK: usize = 64 * 1024;

/// Starts the child described by `plan`; returns its pid once it has exec'd.
pub fn spawn(plan: &Plan) -> std::io::Result<libc::pid_t> {
    thread_local! {
        // One child stack per thread, reused: allocating and freeing 64 KiB per task costs the
        // allocator a consolidation pass each time.
        static STACK_BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; STACK]);
    }
    STACK_BUF.with(|buf| {
        let mut stack = buf.borrow_mut();
        spawn_on(plan, &mut stack)
    })
}

fn spawn_on(plan: &Plan, stack: &mut [u8]) -> std::io::Result<libc::pid_t> {
    // SAFETY: the stack is ours and outlives the child's use of it (the parent is suspended
    // until the child execs or exits); the signal mask is restored below on every path.
    unsafe {
        let top = stack.as_mut_ptr().add(stack.len());
        let top = (top as usize & !15) as *mut c_void;
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let pid = libc::clone(
            child_main,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            plan as *const Plan as *mut c_void,
        );
        let clone_errno = *libc::__errno_location();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if pid < 0 {
            return Err(std::io::Error::from_raw_os_error(clone_errno));
        }
        let step = plan.step.load(Ordering::SeqCst);
        if step != 0 {
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            let err = std::io::Error::from_raw_os_error(plan.errno.load(Ordering::SeqCst));
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
        Ok(pid)
    }
}
