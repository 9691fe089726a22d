//! The helper's one system call the standard library does not wrap: its only `unsafe`.

/// The resource use of this process's waited-for children (the task's shell and what it ran).
pub fn children_usage() -> libc::rusage {
    // SAFETY: getrusage only writes into the zeroed struct it is given.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru
    }
}
