//! What a remote job is told to do: the manifest the `ferry-stage` helper reads inside the
//! job's container, and the array layout that lets each child of an array job read only its
//! own record.
//!
//! Paths in a manifest are the engine's host paths: the helper recreates them inside the
//! container, so the command script (which names them) runs unchanged, as in the Docker
//! executor.

#![forbid(unsafe_code)]

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where a job finds its object-store inputs: `/ferry-inputs/<scheme>/<bucket>/<key>`.
pub const REMOTE_INPUTS: &str = "/ferry-inputs";

/// One attempt, as the helper runs it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// `call[shard]`, for messages.
    pub label: String,
    pub attempt_dir: String,
    /// The command's working directory; everything in it is uploaded afterwards.
    pub work_dir: String,
    /// Where the script goes, and its text.
    pub script: String,
    pub command: String,
    /// Objects to fetch before the command runs.
    pub inputs: Vec<Input>,
    pub env: Vec<(String, String)>,
    /// URL prefix (ending in `/`) that receives `stdout`, `stderr`, `work/…`, `usage.json` and,
    /// last, `rc`.
    pub results: String,
    /// WDL `disks`, all together: the free space the working directory's filesystem must have
    /// before the command starts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub disk_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Bytes an unprivileged user may still write on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(path).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Why the job's working directory lacks the space its task asked for (`disks`), if it does.
pub fn disk_shortfall(m: &Manifest) -> Option<String> {
    if m.disk_bytes == 0 {
        return None;
    }
    let free = free_bytes(Path::new(&m.work_dir))?;
    (free < m.disk_bytes).then(|| {
        format!(
            "`disks` asks for {} MiB but {} has {} MiB free on this instance",
            m.disk_bytes.div_ceil(1 << 20),
            m.work_dir,
            free >> 20
        )
    })
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Input {
    pub url: String,
    pub path: String,
    /// A prefix whose objects become the files below `path`.
    pub directory: bool,
}

/// What the helper reports besides the exit code.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Usage {
    pub wall_ms: u64,
    pub user_ms: u64,
    pub system_ms: u64,
    pub max_rss: u64,
    /// The container's cgroup counted an OOM kill while the command ran.
    pub oom_killed: bool,
}

/// A CPU time from `getrusage` (user or system) as a duration; the one conversion the helper,
/// the launcher and the engine share (a negative field, which the kernel never gives, is zero).
pub fn cpu_time(tv: libc::timeval) -> std::time::Duration {
    std::time::Duration::from_secs(tv.tv_sec.max(0) as u64)
        + std::time::Duration::from_micros(tv.tv_usec.max(0) as u64)
}

/// Everything the engine needs from a finished job, in one object written after every file it
/// names ([`results::RESULT`]): one GET per job, where helpers before it left `rc`, `usage.json`,
/// `stdout` and `stderr` to be read with a LIST and four GETs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct JobResult {
    pub rc: i32,
    pub usage: Usage,
    pub stdout: Log,
    pub stderr: Log,
    /// The working directory's files as uploaded under [`results::WORK`].
    pub work: Vec<Uploaded>,
}

/// stdout or stderr: its text when small and UTF-8, else uploaded beside the result
/// ([`results::STDOUT`], [`results::STDERR`]) and described here.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Log {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Uploaded>,
}

/// A file the helper uploaded: its path relative to its directory, size and ETag.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Uploaded {
    pub rel: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// The largest stdout or stderr carried inside [`JobResult`].
pub const INLINE_LOG_BYTES: u64 = 64 << 10;

/// The helper's result objects, relative to [`Manifest::results`].
pub mod results {
    pub const STDOUT: &str = "stdout";
    pub const STDERR: &str = "stderr";
    /// Written last by this helper: its presence means every object it names is complete.
    pub const RESULT: &str = "result.json";
    /// Earlier helpers' usage report, read only for jobs they ran.
    pub const USAGE: &str = "usage.json";
    /// Written last by earlier helpers (a job adopted across an upgrade may have only these).
    pub const RC: &str = "rc";
    /// Written instead of `rc` when the helper could not run the command (staging failed).
    pub const ERROR: &str = "error";
    /// The prefix of the uploaded working directory.
    pub const WORK: &str = "work/";
}

/// Regular files below `dir` (symlinks to files are followed, to directories are not): what
/// the helper uploads from a working directory, and what the executor uploads from an attempt
/// directory the engine wrote into.
pub fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let ty = entry.file_type()?;
            if ty.is_dir() {
                walk(&path, out)?;
            } else if ty.is_file() || (ty.is_symlink() && path.is_file()) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    Ok(out)
}

/// Width of one offset in an array manifest's header.
const OFFSET_WIDTH: u64 = 16;

/// Packs manifests for an array job into one object: a header of `n + 1` fixed-width hex byte
/// offsets, then the records. Child `i` reads two offsets and then its record: two small
/// ranged reads, whatever the array's size, and one upload for the whole array.
pub fn encode_array(records: &[Manifest]) -> serde_json::Result<Vec<u8>> {
    let bodies: Vec<Vec<u8>> = records
        .iter()
        .map(serde_json::to_vec)
        .collect::<Result<_, _>>()?;
    let header = OFFSET_WIDTH * (bodies.len() as u64 + 1);
    let mut out = Vec::with_capacity(header as usize + bodies.iter().map(Vec::len).sum::<usize>());
    let mut at = header;
    for b in &bodies {
        out.extend_from_slice(format!("{at:016x}").as_bytes());
        at += b.len() as u64;
    }
    out.extend_from_slice(format!("{at:016x}").as_bytes());
    for b in bodies {
        out.extend_from_slice(&b);
    }
    Ok(out)
}

/// The byte range of the two offsets that bound child `index`'s record.
pub fn offsets_range(index: u64) -> Range<u64> {
    OFFSET_WIDTH * index..OFFSET_WIDTH * (index + 2)
}

/// The record's byte range, from the bytes read at [`offsets_range`].
pub fn record_range(offsets: &[u8]) -> Option<Range<u64>> {
    if offsets.len() != 2 * OFFSET_WIDTH as usize {
        return None;
    }
    let text = std::str::from_utf8(offsets).ok()?;
    let (a, b) = text.split_at(OFFSET_WIDTH as usize);
    let start = u64::from_str_radix(a, 16).ok()?;
    let end = u64::from_str_radix(b, 16).ok()?;
    (start <= end).then_some(start..end)
}

/// The child's index: `AWS_BATCH_JOB_ARRAY_INDEX`, else the `:N` suffix of `AWS_BATCH_JOB_ID`
/// (some Batch-compatible servers set only the latter).
pub fn array_index(array_index: Option<&str>, job_id: Option<&str>) -> Option<u64> {
    if let Some(i) = array_index.and_then(|s| s.trim().parse().ok()) {
        return Some(i);
    }
    job_id?.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(label: &str) -> Manifest {
        Manifest {
            label: label.into(),
            attempt_dir: "/r/a".into(),
            work_dir: "/r/a/work".into(),
            script: "/r/a/command".into(),
            command: "echo hi".into(),
            inputs: vec![],
            env: vec![],
            results: "s3://b/p/".into(),
            disk_bytes: 0,
        }
    }

    #[test]
    fn each_child_reads_its_own_record() {
        let records: Vec<Manifest> = (0..25).map(|i| manifest(&format!("sq[{i}]"))).collect();
        let packed = encode_array(&records).unwrap();
        for (i, want) in records.iter().enumerate() {
            let r = offsets_range(i as u64);
            let range = record_range(&packed[r.start as usize..r.end as usize]).unwrap();
            let got: Manifest =
                serde_json::from_slice(&packed[range.start as usize..range.end as usize]).unwrap();
            assert_eq!(&got, want);
        }
    }

    #[test]
    fn index_falls_back_to_the_job_id_suffix() {
        assert_eq!(array_index(Some("7"), Some("abc:3")), Some(7));
        assert_eq!(array_index(None, Some("abc-def:3")), Some(3));
        assert_eq!(array_index(None, Some("abc-def")), None);
        assert_eq!(record_range(b"short"), None);
    }
}
