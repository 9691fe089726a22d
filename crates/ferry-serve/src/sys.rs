//! The system calls the standard library does not wrap: the crate's only `unsafe`.

/// The child gets SIGTERM when the server dies, however it dies (kill -9 included), and then
/// stops its tasks in order as on Ctrl-C. The signal follows the thread that spawned the child:
/// children are spawned from the runtime's worker threads, which live as long as the server.
pub fn die_with_parent(cmd: &mut tokio::process::Command) {
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

/// SIGTERM to a run's `ferry run` process (it stops its tasks in order).
pub fn terminate(pid: u32) {
    if pid > 0 {
        // SAFETY: kill with a pid this server spawned and has not reaped yet.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
    }
}
