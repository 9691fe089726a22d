//! The system calls of `reaper.rs` that the standard library does not wrap.

/// Sends `signal` to process `pid`; a process that is already gone is not an error.
pub fn kill(pid: i32, signal: i32) {
    // SAFETY: kill(2) with plain integer arguments.
    unsafe { libc::kill(pid, signal) };
}

/// Blocks until process `pid` (not necessarily our child) has ended: through a pidfd where the
/// kernel has them (5.3+), else by polling.
pub fn wait_for_exit(pid: i32) {
    // SAFETY: pidfd_open(2) with plain integer arguments; the result is a descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    if fd >= 0 {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one pollfd of ours; a pidfd becomes readable when the process ends.
            let n = unsafe { libc::poll(&mut poll, 1, -1) };
            if n > 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                break;
            }
        }
        // SAFETY: closes the descriptor opened above.
        unsafe { libc::close(fd) };
        return;
    }
    // SAFETY: signal 0 only checks that the process exists.
    while unsafe { libc::kill(pid, 0) } == 0 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Bytes an unprivileged user may still write on the filesystem holding `path`.
pub fn free_bytes(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills a zeroed struct for a NUL-terminated path we own.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}
