//! Walking a Directory value without ever leaving it.
//!
//! A task controls what its output directory holds, symbolic links included: a link to `/`
//! followed by a naive walk would publish the host's root filesystem. Every walk of an output
//! tree (publishing to disk or to an object store, hashing for the call cache, checking the
//! outputs) goes through [`entries`], which never follows a link, and applies one rule to
//! links, [`LinkTarget`]:
//!
//! - a link whose target is inside the tree is kept as a link (a relative one) on disk, and
//!   stored as a copy of its target in an object store (which has no links);
//! - a link to a regular file outside the tree is published as that file (hard link or copy),
//!   but only if the engine has checked the file is the task's own (attempt directory or
//!   inputs): see `ferry-engine`'s output check;
//! - a dangling link, or a link to a directory outside the tree, is an error naming the link.

use std::path::{Path, PathBuf};

/// One entry of a directory tree, by its path relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub rel: PathBuf,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File,
    /// A symbolic link and what it resolves to.
    Link(LinkTarget),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Inside the tree: the target's path relative to the root (`is_dir` as the target is).
    Inside { rel: PathBuf, is_dir: bool },
    /// A regular file outside the tree, canonical.
    OutsideFile(PathBuf),
    /// Anything else: a dangling link, a directory outside the tree, a device or a FIFO.
    Refused(String),
}

/// Every entry under `root` (not `root` itself), parents before children, without following
/// any link. `root` itself must be a real directory, not a link.
pub fn entries(root: &Path) -> std::io::Result<Vec<Entry>> {
    let canon_root = root.canonicalize()?;
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let dir = root.join(&rel_dir);
        // The listing gives each entry's type without following links: no stat per entry.
        let mut listed: Vec<_> = std::fs::read_dir(&dir)?
            .map(|e| e.and_then(|e| Ok((e.file_name(), e.file_type()?))))
            .collect::<Result<_, _>>()?;
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, ft) in listed {
            let rel = rel_dir.join(&name);
            let path = root.join(&rel);
            let kind = if ft.is_symlink() {
                EntryKind::Link(link_target(&path, &canon_root))
            } else if ft.is_dir() {
                stack.push(rel.clone());
                EntryKind::Dir
            } else if ft.is_file() {
                EntryKind::File
            } else {
                EntryKind::Link(LinkTarget::Refused(
                    "is not a regular file, directory or link".into(),
                ))
            };
            out.push(Entry { rel, kind });
        }
    }
    Ok(out)
}

fn link_target(link: &Path, canon_root: &Path) -> LinkTarget {
    let Ok(target) = link.canonicalize() else {
        let text = std::fs::read_link(link)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        return LinkTarget::Refused(format!("points to {text}, which does not exist"));
    };
    let Ok(meta) = std::fs::metadata(&target) else {
        return LinkTarget::Refused(format!(
            "points to {}, which cannot be read",
            target.display()
        ));
    };
    if let Ok(rel) = target.strip_prefix(canon_root) {
        return LinkTarget::Inside {
            rel: rel.to_path_buf(),
            is_dir: meta.is_dir(),
        };
    }
    if meta.is_file() {
        LinkTarget::OutsideFile(target)
    } else {
        LinkTarget::Refused(format!(
            "points to {}, a directory outside the output directory",
            target.display()
        ))
    }
}

/// The relative link text that makes a link at `link_rel` point to `target_rel` (both
/// relative to the same root).
pub fn relative_link(link_rel: &Path, target_rel: &Path) -> PathBuf {
    let depth = link_rel
        .parent()
        .map(|p| p.components().count())
        .unwrap_or(0);
    let mut out = PathBuf::new();
    for _ in 0..depth {
        out.push("..");
    }
    if target_rel.as_os_str().is_empty() {
        if out.as_os_str().is_empty() {
            out.push(".");
        }
        return out;
    }
    out.join(target_rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_classified_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("d");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "o").unwrap();
        std::os::unix::fs::symlink("sub/a.txt", root.join("inside")).unwrap();
        std::os::unix::fs::symlink("..", root.join("sub/up")).unwrap();
        std::os::unix::fs::symlink("/", root.join("root")).unwrap();
        std::os::unix::fs::symlink("../outside.txt", root.join("file")).unwrap();
        std::os::unix::fs::symlink("nope", root.join("dangling")).unwrap();
        let found = entries(&root).unwrap();
        let kind = |name: &str| {
            found
                .iter()
                .find(|e| e.rel == Path::new(name))
                .map(|e| e.kind.clone())
                .unwrap()
        };
        assert_eq!(
            kind("inside"),
            EntryKind::Link(LinkTarget::Inside {
                rel: "sub/a.txt".into(),
                is_dir: false
            })
        );
        assert_eq!(
            kind("sub/up"),
            EntryKind::Link(LinkTarget::Inside {
                rel: "".into(),
                is_dir: true
            })
        );
        assert!(matches!(
            kind("root"),
            EntryKind::Link(LinkTarget::Refused(_))
        ));
        assert!(matches!(
            kind("file"),
            EntryKind::Link(LinkTarget::OutsideFile(_))
        ));
        assert!(matches!(
            kind("dangling"),
            EntryKind::Link(LinkTarget::Refused(_))
        ));
        // Nothing under `/` was walked.
        assert_eq!(found.len(), 7);
        assert_eq!(
            relative_link(Path::new("sub/up"), Path::new("")),
            PathBuf::from("..")
        );
        assert_eq!(
            relative_link(Path::new("x/y/l"), Path::new("sub/a.txt")),
            PathBuf::from("../../sub/a.txt")
        );
    }
}
