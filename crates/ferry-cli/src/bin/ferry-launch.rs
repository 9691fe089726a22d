//! The task launcher (`ferry_exec::launcher`) as a binary of its own: `ferry run` starts it
//! when it is installed beside `ferry` (else `ferry __launch`). Forking a process this small
//! costs a fraction of forking the `ferry` binary, whose relocated data alone is over 1 MiB.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    // Inside a cluster job: run one attempt and record its resource use.
    if std::env::args_os().nth(1).is_some_and(|a| a == "--job") {
        let Some(attempt_dir) = std::env::args_os().nth(2) else {
            eprintln!("usage: ferry-launch --job ATTEMPT_DIR");
            return ExitCode::from(2);
        };
        let rc = ferry_exec::hpc::run_job(std::path::Path::new(&attempt_dir));
        return ExitCode::from(rc.clamp(0, 255) as u8);
    }
    // The run directory argument names the process in `ps`; the engine gives it everything
    // else on descriptors 3 and 4.
    let Some(run_dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: ferry-launch RUN_DIR (started by `ferry run`, not by hand)");
        return ExitCode::from(2);
    };
    if ferry_exec::launcher::serve_engine(std::path::Path::new(&run_dir)) {
        ExitCode::SUCCESS
    } else {
        eprintln!("ferry-launch is started by `ferry run`, not by hand");
        ExitCode::from(2)
    }
}
