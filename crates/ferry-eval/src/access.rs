//! Which host files evaluation may read. A task's own files (its attempt directory) must stay
//! its own: a task that makes `o.txt` or `../stdout` a link to a host file gets an error, not
//! that file. A run a server started (`ferry serve`) may read host files only under the
//! directories the operator allowed and its own run directory (`HostRoots`). Each check is made
//! on the file as opened (its `/proc/self/fd` path), so a link swapped in after a check does not
//! get past it.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

/// The file in a served run's directory that names who submitted it.
pub const SUBMITTER_FILE: &str = "submitter";

/// Directories whose files may be read; every other host path is refused.
#[derive(Clone, Debug, Default)]
pub struct HostRoots {
    roots: Vec<PathBuf>,
    /// A server's runs directories: `DIR/<run>/run/...` (what runs made) is readable, not the
    /// server's own files beside the runs (its token, its database)...
    runs_dirs: Vec<PathBuf>,
    /// ...and only of the runs this submitter made (`DIR/<run>/submitter`; a run without one is
    /// `default`'s, as the server's database has it): no token reads another's outputs.
    runs_owner: String,
}

impl HostRoots {
    /// The roots as given, links resolved (a root that does not exist allows nothing).
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> HostRoots {
        HostRoots {
            roots: roots
                .into_iter()
                .filter_map(|r| r.canonicalize().ok())
                .collect(),
            runs_dirs: Vec::new(),
            runs_owner: String::new(),
        }
    }

    /// Also what the runs of `owner` under a server's runs directory made
    /// (`DIR/<run>/run/...`).
    pub fn with_runs_dirs(
        mut self,
        dirs: impl IntoIterator<Item = PathBuf>,
        owner: &str,
    ) -> HostRoots {
        self.runs_dirs
            .extend(dirs.into_iter().filter_map(|r| r.canonicalize().ok()));
        self.runs_owner = owner.to_string();
        self
    }

    /// Whether `real` (a path with its links resolved) is under a root. Under a server's runs
    /// directory only the runs rule decides (what this owner's runs made), or a root inside it
    /// (a run's own directory): an input root that holds the runs directory does not open the
    /// server's token, database or other submitters' runs.
    pub fn allows(&self, real: &Path) -> bool {
        let Some(d) = self.runs_dirs.iter().find(|d| real.starts_with(d)) else {
            return self.roots.iter().any(|r| real.starts_with(r));
        };
        if self
            .roots
            .iter()
            .any(|r| r != d && r.starts_with(d) && real.starts_with(r))
        {
            return true;
        }
        let rest = real.strip_prefix(d).unwrap_or(real);
        let mut parts = rest.components();
        let (Some(Component::Normal(run)), Some(Component::Normal(made))) =
            (parts.next(), parts.next())
        else {
            return false;
        };
        made == "run" && {
            let owner = std::fs::read_to_string(d.join(run).join(SUBMITTER_FILE))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "default".into());
            owner == self.runs_owner
        }
    }

    /// Checks a path before it is used (an input, a path to mount): its links resolved, or,
    /// for a path that does not exist yet, as written.
    pub fn check(&self, path: &Path) -> Result<(), String> {
        let real = path
            .canonicalize()
            .unwrap_or_else(|_| lexically_normal(path));
        if self.allows(&real) {
            Ok(())
        } else {
            Err(format!(
                "{} is outside the directories this run may read",
                path.display()
            ))
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }
}

/// `path` made absolute with `.` and `..` taken away, without touching the filesystem.
pub fn lexically_normal(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Who may be read: the attempt's own directory (paths in it may not lead out of it), and the
/// run's host roots when it has them.
#[derive(Clone, Debug, Default)]
pub struct ReadPolicy {
    /// A task's attempt directory: a path inside it must stay inside once links are followed.
    pub own_dir: Option<PathBuf>,
    /// Set for runs of a server: the only host directories readable.
    pub roots: Option<std::sync::Arc<HostRoots>>,
    /// The task's own inputs: a link the task made to one of them (or into an input directory)
    /// may be followed, as publishing follows it. Resolved only when a link leads out.
    pub inputs: Vec<PathBuf>,
}

impl ReadPolicy {
    /// Opens `path` for reading (never blocking on a FIFO), then checks what was opened.
    pub fn open(&self, path: &Path) -> Result<File, String> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        self.check_opened(path, &file)?;
        Ok(file)
    }

    /// Checks a file as opened against the policy.
    pub fn check_opened(&self, path: &Path, file: &File) -> Result<(), String> {
        if self.own_dir.is_none() && self.roots.is_none() {
            return Ok(());
        }
        let real =
            opened_path(file).map_err(|e| format!("cannot check {}: {e}", path.display()))?;
        if let Some(own) = &self.own_dir
            && lexically_normal(path).starts_with(lexically_normal(own))
        {
            let own_real = own.canonicalize().unwrap_or_else(|_| own.clone());
            if !real.starts_with(&own_real)
                && !self
                    .inputs
                    .iter()
                    .any(|i| i.canonicalize().is_ok_and(|i| real.starts_with(i)))
            {
                return Err(format!(
                    "{} leads out of the task's directory (to {}): not read",
                    path.display(),
                    real.display()
                ));
            }
            return Ok(());
        }
        match &self.roots {
            Some(roots) if !roots.allows(&real) => Err(format!(
                "{} is outside the directories this run may read",
                path.display()
            )),
            _ => Ok(()),
        }
    }
}

/// Where an open file really is.
/// Opens `path` for reading only if it is a regular file inside `within` as it is: a final
/// link is not followed (`O_NOFOLLOW`), a FIFO does not block the caller (`O_NONBLOCK`), and
/// the file opened must lie under `within` with every link resolved. For files a task could
/// have replaced (its logs, served or shown).
pub fn open_within(within: &Path, path: &Path) -> Result<File, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let real = opened_path(&file).map_err(|e| format!("cannot check {}: {e}", path.display()))?;
    let within = within
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {e}", within.display()))?;
    if !meta.is_file() || !real.starts_with(&within) {
        return Err(format!(
            "{} is not a file of {}",
            path.display(),
            within.display()
        ));
    }
    Ok(file)
}

fn opened_path(file: &File) -> std::io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_out_of_the_attempt_are_refused() {
        let d = tempfile::tempdir().expect("tmp");
        let own = d.path().join("attempt");
        std::fs::create_dir_all(own.join("work")).expect("dir");
        std::fs::write(d.path().join("secret"), "s").expect("secret");
        std::fs::write(own.join("work/ok.txt"), "ok").expect("ok");
        std::os::unix::fs::symlink(d.path().join("secret"), own.join("work/o.txt")).expect("link");
        std::os::unix::fs::symlink(d.path().join("secret"), own.join("stdout")).expect("link");
        std::os::unix::fs::symlink(own.join("work/ok.txt"), own.join("inside")).expect("link");
        let given = d.path().join("given.txt");
        std::fs::write(&given, "g").expect("input");
        std::os::unix::fs::symlink(&given, own.join("work/in.txt")).expect("link");
        let policy = ReadPolicy {
            own_dir: Some(own.clone()),
            roots: None,
            inputs: vec![given.clone()],
        };
        // A link to one of its own inputs is the task's to follow.
        assert!(policy.open(&own.join("work/in.txt")).is_ok());
        assert!(policy.open(&own.join("work/ok.txt")).is_ok());
        assert!(policy.open(&own.join("inside")).is_ok());
        let e = policy.open(&own.join("work/o.txt")).expect_err("link out");
        assert!(e.contains("leads out of the task's directory"), "{e}");
        assert!(policy.open(&own.join("work/../stdout")).is_err());
        // A host path the task was given (not in its directory) is not its to confine.
        assert!(policy.open(&d.path().join("secret")).is_ok());
        let confined = ReadPolicy {
            own_dir: Some(own.clone()),
            roots: Some(std::sync::Arc::new(HostRoots::new([own.clone()]))),
            inputs: Vec::new(),
        };
        assert!(confined.open(&d.path().join("secret")).is_err());
        assert!(
            HostRoots::new([own.clone()])
                .check(&own.join("work/../../secret"))
                .is_err()
        );
        // A server's runs: what its submitter's runs made, not the server's files beside them,
        // not another submitter's runs.
        let runs = HostRoots::new([]).with_runs_dirs([d.path().to_path_buf()], "ann");
        std::fs::create_dir_all(d.path().join("r1/run/calls")).expect("dir");
        std::fs::create_dir_all(d.path().join("r2/run/calls")).expect("dir");
        std::fs::write(d.path().join("r1").join(SUBMITTER_FILE), "ann\n").expect("write");
        std::fs::write(d.path().join("r2").join(SUBMITTER_FILE), "bob\n").expect("write");
        assert!(runs.check(&d.path().join("r1/run/calls")).is_ok());
        assert!(runs.check(&d.path().join("r2/run/calls")).is_err());
        assert!(runs.check(&d.path().join("secret")).is_err());
        assert!(runs.check(&d.path().join("r1/workflow")).is_err());
        // A root that holds the runs directory opens none of it; one inside it, itself.
        let wide = HostRoots::new([d.path().to_path_buf(), d.path().join("r2")])
            .with_runs_dirs([d.path().to_path_buf()], "ann");
        assert!(wide.check(&d.path().join("secret")).is_err());
        assert!(wide.check(&d.path().join("r1/run/calls")).is_ok());
        assert!(wide.check(&d.path().join("r2/run/calls")).is_ok());
    }
}
