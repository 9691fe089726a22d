//! The system calls the standard library does not wrap: the crate's only `unsafe`.

/// Files and directories the server makes are its user's alone (mode 0700/0600): run data,
/// requests, the database and tokens. Runs inherit it.
pub fn private_umask() {
    // SAFETY: umask only sets the process's file mode mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// The child gets SIGTERM when the server dies, however it dies (kill -9 included), and then
/// stops its tasks in order as on Ctrl-C. The signal follows the *thread* that forks the child:
/// children must be spawned from a thread that lives as long as the server (`runner::Spawner`),
/// never from a runtime thread that may retire when idle.
pub fn die_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id();
    // SAFETY: between fork and exec only async-signal-safe calls are made (prctl, getppid).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The server died before prctl took effect: stop at once.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::other("the server is gone"));
            }
            Ok(())
        });
    }
}

/// Blocks until the child `pid` has exited, without reaping it: until it is reaped its pid
/// cannot be given to another process, so a signal sent meanwhile reaches the child or no one.
pub fn wait_exited(pid: u32) {
    loop {
        // SAFETY: waitid fills the zeroed siginfo it is given; WNOWAIT leaves the child unreaped.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// SIGTERM to a run's `ferry run` process (it stops its tasks in order). Only for a child not
/// yet reaped (see `wait_exited`).
pub fn terminate(pid: u32) {
    if pid > 0 {
        // SAFETY: kill with a pid this server spawned and has not reaped.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
    }
}
