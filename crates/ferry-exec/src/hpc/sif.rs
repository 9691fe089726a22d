//! Apptainer/Singularity images, pulled once: before any job is submitted, a task's image is
//! pinned to its registry digest and pulled into `<image cache>/<digest>.sif` (once per digest,
//! under a lock, so two engines sharing the cache pull it once between them), and every job
//! execs that file. Without it each of 20,000 jobs would pull `docker://image` on its node,
//! which registries throttle (Docker Hub's pull limits) and which could move a tag mid-run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use ferry_config::ContainerRuntime;

/// The SIF file for `image`, pulled with `runtime` into `dir` if it is not there yet. An image
/// that already is a path (a `.sif` the user built) is used as it is.
pub(crate) async fn sif_for(runtime: ContainerRuntime, dir: &Path, image: &str) -> Result<String> {
    if image.starts_with('/') {
        return Ok(image.to_string());
    }
    let pinned = crate::registry::pin_digest(image)
        .await
        .with_context(|| format!("cannot pin `{image}` to a digest"))?;
    // The digest names files: 64 hex digits, nothing else (`x@sha256:../../a` is no digest).
    let digest = pinned
        .rsplit_once("@sha256:")
        .map(|(_, d)| d.to_string())
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| anyhow!("`{pinned}` is not pinned to a sha256 digest"))?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the image cache {}", dir.display()))?;
    let sif = dir.join(format!("{digest}.sif"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{digest}.sif.lock")))
        .with_context(|| format!("cannot lock {}", sif.display()))?;
    // Blocking: another engine may be pulling this very image.
    let lock = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
        .await
        .map_err(|e| anyhow!("{e}"))??;
    if !sif.exists() {
        pull(runtime, &pinned, &sif).await?;
    }
    drop(lock);
    Ok(sif.to_string_lossy().into_owned())
}

/// `apptainer pull` into a part file, renamed into place once whole.
async fn pull(runtime: ContainerRuntime, pinned: &str, sif: &PathBuf) -> Result<()> {
    let part = sif.with_extension(format!("sif.part.{}", std::process::id()));
    let _ = std::fs::remove_file(&part);
    tracing::info!("pulling {pinned} into {}", sif.display());
    let out = tokio::process::Command::new(runtime.to_string())
        .arg("pull")
        .arg(&part)
        .arg(format!("docker://{pinned}"))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run `{runtime}` to pull {pinned}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&part);
        bail!(
            "`{runtime} pull docker://{pinned}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    std::fs::rename(&part, sif)
        .with_context(|| format!("cannot move {} into place", part.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A digest names files in the image cache: anything but 64 hex digits is refused before
    /// a file is made (`x@sha256:../../a` would name one outside it).
    #[tokio::test]
    async fn only_a_real_digest_names_a_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = dir.path().join("images");
        for image in ["x@sha256:../../escaped", "x@sha256:abc", "x@sha256:"] {
            let e = super::sif_for(ferry_config::ContainerRuntime::Apptainer, &cache, image)
                .await
                .expect_err(image);
            assert!(
                format!("{e:#}").contains("not pinned to a sha256 digest"),
                "{e:#}"
            );
        }
        assert!(!dir.path().join("escaped.sif.lock").exists());
        assert!(!cache.exists());
    }
}
