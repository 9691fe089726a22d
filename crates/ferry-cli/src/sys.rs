//! The CLI's system calls that the standard library does not wrap; the only `unsafe` of the
//! crate.

use std::os::fd::AsRawFd;

/// This process's resource use (`getrusage(RUSAGE_SELF)`).
pub fn own_usage() -> Option<libc::rusage> {
    // SAFETY: getrusage fills a zeroed struct for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    Some(usage)
}

/// The width of the terminal on stderr, if it is one.
pub fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a zeroed winsize for our own stderr.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    if unsafe { libc::ioctl(2, libc::TIOCGWINSZ, &mut ws) } == 0 && ws.ws_col > 0 {
        Some(ws.ws_col as usize)
    } else {
        None
    }
}

/// Reserves `len` bytes of disk for `file` without changing its size (`fallocate` with
/// `FALLOC_FL_KEEP_SIZE`), so that later writes up to that much cannot fail for want of
/// space. Best effort: filesystems without fallocate just don't reserve.
pub fn reserve(file: &std::fs::File, len: u64) {
    // SAFETY: fallocate on a descriptor we own, with plain integer arguments.
    unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_KEEP_SIZE,
            0,
            len as libc::off_t,
        )
    };
}

/// `secs` (seconds since the epoch) in local time as `strftime` formats it with `format`
/// (NUL-free); `None` if the time cannot be represented.
pub fn local_time(secs: i64, format: &std::ffi::CStr) -> Option<String> {
    let t = secs as libc::time_t;
    // SAFETY: localtime_r fills a zeroed tm from a time we own; strftime writes at most the
    // buffer's length and returns how many bytes it wrote.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return None;
        }
        let mut buf = [0u8; 64];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), format.as_ptr(), &tm);
        (n > 0).then(|| String::from_utf8_lossy(&buf[..n]).into_owned())
    }
}

/// Marks every descriptor above stderr that this process inherited close-on-exec, so that none
/// reaches the launcher, the tasks, or the commands Ferry runs (`docker`, `sbatch`...).
pub fn close_inherited_on_exec() {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range(2) with plain integer arguments; it only sets flags.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    };
}
