//! Local filesystem storage.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use async_trait::async_trait;

use crate::tree::{self, EntryKind, LinkTarget};
use crate::{Kind, Storage};

pub struct LocalStorage;

fn path_of(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("file://").unwrap_or(url))
}

#[async_trait]
impl Storage for LocalStorage {
    fn schemes(&self) -> &[&'static str] {
        &["file"]
    }

    /// Whether the path exists; an error that says why when it exists but cannot be used as
    /// `kind` (a directory where a file is expected, a FIFO, no permission to read it).
    async fn exists(&self, url: &str, kind: Kind) -> Result<bool> {
        let path = path_of(url);
        tokio::task::spawn_blocking(move || usable(&path, kind))
            .await
            .context("input check failed")?
    }

    async fn localize(&self, url: &str, _kind: Kind, _cache_dir: &Path) -> Result<PathBuf> {
        Ok(path_of(url))
    }

    async fn publish(&self, src: &Path, dest: &str) -> Result<String> {
        let dest = path_of(dest);
        let src = src.to_path_buf();
        let dest2 = dest.clone();
        tokio::task::spawn_blocking(move || publish_blocking(&src, &dest2))
            .await
            .context("publish task failed")??;
        Ok(dest.display().to_string())
    }
}

fn usable(path: &Path, kind: Kind) -> Result<bool> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => anyhow::bail!("{}: {}", path.display(), io_reason(&e)),
    };
    let ft = meta.file_type();
    let what = if ft.is_dir() {
        "a directory"
    } else if ft.is_file() {
        "a file"
    } else {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_socket() {
            "a socket"
        } else {
            "a device"
        }
    };
    let check = match kind {
        Kind::File if !ft.is_file() => anyhow::bail!("{} is {what}, not a file", path.display()),
        Kind::Directory if !ft.is_dir() => {
            anyhow::bail!("{} is {what}, not a directory", path.display())
        }
        Kind::File => std::fs::File::open(path).map(drop),
        Kind::Directory => std::fs::read_dir(path).map(drop),
    };
    check.map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))?;
    Ok(true)
}

/// "permission denied", not "Permission denied (os error 13)".
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Hard-links (or copies) into a temporary name beside `dest`, then renames: a reader never sees
/// a partial file under the final name.
fn publish_blocking(src: &Path, dest: &Path) -> Result<()> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // What a publish killed earlier (another engine process, resumed since) left beside it.
    let stale = format!(".{name}.partial-");
    if let Ok(siblings) = std::fs::read_dir(parent) {
        for s in siblings.flatten() {
            if s.file_name().to_string_lossy().starts_with(&stale) {
                let p = s.path();
                let _ = std::fs::remove_dir_all(&p);
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    let tmp = parent.join(format!("{stale}{}", std::process::id()));
    copy_tree(src, &tmp)
        .with_context(|| format!("cannot copy {} to {}", src.display(), tmp.display()))?;
    std::fs::rename(&tmp, dest)
        .with_context(|| format!("cannot rename into {}", dest.display()))?;
    Ok(())
}

/// Copies `src` (a file, or a directory walked without following links: see [`crate::tree`])
/// to `dest`, hard-linking files where it can.
fn copy_tree(src: &Path, dest: &Path) -> std::io::Result<()> {
    let file_type = std::fs::symlink_metadata(src)?.file_type();
    if file_type.is_symlink() {
        // A link is never hard-linked itself (that would publish the link): what it points to is
        // (a Directory output that links to the task's input directory: its tree).
        let target = src.canonicalize()?;
        return if target.is_dir() {
            copy_tree(&target, dest)
        } else {
            link_or_copy(&target, dest)
        };
    }
    if !file_type.is_dir() {
        return link_or_copy(src, dest);
    }
    std::fs::create_dir_all(dest)?;
    for entry in tree::entries(src)? {
        let to = dest.join(&entry.rel);
        match entry.kind {
            EntryKind::Dir => std::fs::create_dir_all(&to)?,
            EntryKind::File => link_or_copy(&src.join(&entry.rel), &to)?,
            EntryKind::Link(LinkTarget::Inside { rel, .. }) => {
                std::os::unix::fs::symlink(tree::relative_link(&entry.rel, &rel), &to)?
            }
            EntryKind::Link(LinkTarget::OutsideFile(target)) => link_or_copy(&target, &to)?,
            EntryKind::Link(LinkTarget::Refused(why)) => {
                return Err(std::io::Error::other(format!(
                    "{}: {why}",
                    src.join(&entry.rel).display()
                )));
            }
        }
    }
    Ok(())
}

/// A hard link costs no bytes; fall back to a copy across filesystems. `src` is a regular file,
/// not a link.
fn link_or_copy(src: &Path, dest: &Path) -> std::io::Result<()> {
    if std::fs::hard_link(src, dest).is_err() {
        std::fs::copy(src, dest)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn publishes_files_and_directories_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.txt");
        std::fs::write(&src, "hello").unwrap();
        let dest = dir.path().join("out/x/a.txt");
        LocalStorage
            .publish(&src, dest.to_str().unwrap())
            .await
            .unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "hello");
        let sub = dir.path().join("d");
        std::fs::create_dir_all(sub.join("e")).unwrap();
        std::fs::write(sub.join("e/f"), "x").unwrap();
        let dd = dir.path().join("out/d");
        LocalStorage
            .publish(&sub, dd.to_str().unwrap())
            .await
            .unwrap();
        assert_eq!(std::fs::read_to_string(dd.join("e/f")).unwrap(), "x");
        assert!(
            LocalStorage
                .exists(dd.to_str().unwrap(), Kind::Directory)
                .await
                .unwrap()
        );
        // A directory where a file is expected is an error that says so, not "missing".
        let err = LocalStorage
            .exists(dd.to_str().unwrap(), Kind::File)
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("is a directory, not a file"));
        assert!(
            !LocalStorage
                .exists(dir.path().join("nope").to_str().unwrap(), Kind::File)
                .await
                .unwrap()
        );
    }
}
