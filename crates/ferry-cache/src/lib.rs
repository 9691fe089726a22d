//! The call cache: which task calls already succeeded, with what outputs.
//!
//! Stored as an append-only log, one entry per line: `<MAC of the JSON> <JSON>\n`, the MAC a
//! keyed blake3 under the key in the cache directory's `key` file (random, created with the
//! cache, readable by its owner only): whoever can append to a shared cache but not read its key
//! cannot forge an entry (say, one whose output is `/etc/passwd`, which the next hit would
//! publish), and a torn line fails the MAC like a forged one. Why a log
//! and not a database: entries are written once and never updated; lines are buffered and
//! appended whole (a `write` of complete lines to an `O_APPEND` file, when the buffer fills or the
//! engine flushes, about once a second), so a killed engine leaves at most one torn last line,
//! which the checksum rejects on the next load, and loses at most the last second of entries,
//! whose calls a resumed run adopts from their attempt directories and records again; loading 100,000 entries into a hash map takes well under a
//! second; and the file can be read, copied and pruned with ordinary tools. The file name carries
//! the format version (`calls-v2.log`); an older file is simply not read (v1 lines carried a
//! plain hash, which anyone could compute).
//!
//! File identity: an output is recorded with its size, mtime, ctime, inode and blake3. A later
//! lookup trusts a file whose (size, mtime, ctime, inode) are unchanged and re-hashes it
//! otherwise, so a modified or deleted output is detected and its call rerun. The ctime is what
//! makes that hold: a task may set an mtime back (`touch -d`), nothing but the clock sets a
//! ctime, which any write or `utimensat` moves.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 2;

/// The file in the cache directory holding the key that entries are authenticated with.
pub const KEY_FILE: &str = "key";

/// A file as recorded: enough to tell whether it is still the same.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i128,
    /// `None` in entries of an earlier Ferry: such a file is always re-hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctime_ns: Option<i128>,
    pub ino: u64,
    /// The content's digest; for a file left in an object store, the object's identity
    /// (`etag:…`) instead, never a hash of the local stub.
    pub blake3: String,
    /// The object a remote job's file lives in (`ferry_storage::remote`): a hit must find it
    /// unchanged in the store, which the caller checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

/// One successful call.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub v: u32,
    pub key: String,
    pub task: String,
    /// Seconds since the epoch.
    pub recorded: u64,
    /// Output values as JSON (File/Directory values are absolute paths).
    pub outputs: serde_json::Value,
    pub files: Vec<FileRecord>,
}

fn record(path: &Path, blake3: String, remote: Option<String>) -> std::io::Result<FileRecord> {
    let meta = std::fs::metadata(path)?;
    Ok(FileRecord {
        path: path.display().to_string(),
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
        ctime_ns: Some(ctime_ns(&meta)),
        ino: meta.ino(),
        blake3,
        remote,
    })
}

/// A file's identity for the digest memo: path, size, mtime (ns), inode and ctime (ns).
type FileId = (String, u64, i128, u64, i128);

impl FileRecord {
    fn id(&self) -> FileId {
        (
            self.path.clone(),
            self.size,
            self.mtime_ns,
            self.ino,
            // Never matches a real file's: an entry without a ctime is re-hashed.
            self.ctime_ns.unwrap_or(i128::MIN),
        )
    }

    /// Whether `meta` is the file as recorded (else its content must be hashed again). A
    /// stub's ctime is not its content's (the engine records things on it): the object's
    /// identity in the store, which the caller checks, is.
    fn same_identity(&self, meta: &std::fs::Metadata) -> bool {
        meta.len() == self.size
            && mtime_ns(meta) == self.mtime_ns
            && meta.ino() == self.ino
            && (self.remote.is_some() || self.ctime_ns == Some(ctime_ns(meta)))
    }
}

pub struct Cache {
    path: PathBuf,
    /// Authenticates entries (see the module's doc).
    key: [u8; 32],
    /// Entries by key, kept as their JSON text and parsed only on a hit: a 100,000-shard
    /// scatter must not hold 100,000 parsed JSON trees.
    entries: Mutex<HashMap<[u8; 32], Box<str>>>,
    /// Digests of files by (path, size, mtime, inode, ctime): the fast path for inputs that are
    /// outputs of earlier calls.
    digests: Mutex<HashMap<FileId, String>>,
    /// Files being hashed now, by the same identity: a second caller waits for the first
    /// instead of reading the file again (N shards sharing one 50 GB BAM hash it once).
    hashing: Mutex<HashMap<FileId, Arc<Mutex<()>>>>,
    log: Mutex<Option<BufWriter<File>>>,
    /// A cache shared through an object store: the lines written since they were last taken
    /// ([`Cache::take_new_lines`]) to go up as a segment.
    unshared: Mutex<Option<Vec<u8>>>,
}

fn key_bytes(key: &str) -> [u8; 32] {
    match blake3::Hash::from_hex(key) {
        Ok(h) => *h.as_bytes(),
        // Keys are blake3 hex digests; anything else is hashed into one.
        Err(_) => *blake3::hash(key.as_bytes()).as_bytes(),
    }
}

/// An entry's MAC: blake3 keyed with the cache's key, in hex.
fn mac(key: &[u8; 32], json: &str) -> String {
    blake3::keyed_hash(key, json.as_bytes())
        .to_hex()
        .to_string()
}

/// The cache's key: read from `path`, or created there (32 random bytes, hex, mode 0600) if
/// there is none. A key that cannot be read (another user's cache) is an error: entries could
/// be neither verified nor written.
fn read_or_create_key(path: &Path) -> std::io::Result<[u8; 32]> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let parse = |text: &str| -> std::io::Result<[u8; 32]> {
        blake3::Hash::from_hex(text.trim())
            .map(|h| *h.as_bytes())
            .map_err(|_| {
                std::io::Error::other(format!(
                    "{} is not a call-cache key (64 hex digits): remove it to start a new cache",
                    path.display()
                ))
            })
    };
    match std::fs::read_to_string(path) {
        Ok(text) => return parse(&text),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("cannot read the call cache's key {}: {e}", path.display()),
            ));
        }
        Err(_) => {}
    }
    let mut bytes = [0u8; 32];
    File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let hex = blake3::Hash::from_bytes(bytes).to_hex().to_string();
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(hex.as_bytes())?;
    f.sync_all()?;
    // Two engines creating the cache at once: the first link wins, both use its key.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse(&std::fs::read_to_string(path)?)
        }
        Err(e) => Err(e),
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128
}

fn ctime_ns(meta: &std::fs::Metadata) -> i128 {
    meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128
}

/// Opens an append-only line log (created if missing) behind a 64 KiB buffer, and returns it
/// with whether the file was empty. A torn last line a killed writer left is ended first, so
/// that the next line appended does not join it and get lost with it. The call cache and the
/// engine's attempt journal are both such logs.
pub fn open_line_log(path: &Path) -> std::io::Result<(BufWriter<File>, bool)> {
    use std::os::unix::fs::FileExt;
    let f = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)?;
    let len = f.metadata()?.len();
    let mut last = [b'\n'];
    if len > 0 {
        f.read_exact_at(&mut last, len - 1)?;
    }
    let mut w = BufWriter::with_capacity(64 * 1024, f);
    if last[0] != b'\n' {
        w.write_all(b"\n")?;
    }
    Ok((w, len == 0))
}

/// blake3 of a file's content: memory-mapped and on every core for large files.
/// Every string in `v` equal to `from` becomes `to`.
fn replace_strings(v: &mut serde_json::Value, from: &str, to: &str) {
    match v {
        serde_json::Value::String(s) if s == from => *s = to.to_string(),
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|i| replace_strings(i, from, to))
        }
        serde_json::Value::Object(m) => m.values_mut().for_each(|i| replace_strings(i, from, to)),
        _ => {}
    }
}

pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_mmap_rayon(path)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// The longest line (one call: its outputs and files) the cache log records or loads. Values
/// are stored inline, so this bounds what one call can add to every later run's start.
pub const MAX_LINE_BYTES: usize = 1 << 20;

enum Line {
    Read,
    TooLong,
    End,
}

/// Reads one line into `buf` (cleared first), holding at most `max` bytes of it: a longer line
/// is consumed and reported as [`Line::TooLong`].
fn read_line_capped(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if !any {
                Line::End
            } else if too_long {
                Line::TooLong
            } else {
                Line::Read
            });
        }
        any = true;
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..=i], true),
            None => (chunk, false),
        };
        if !too_long && buf.len() + part.len() <= max {
            buf.extend_from_slice(part);
        } else {
            too_long = true;
            buf.clear();
        }
        let n = part.len();
        r.consume(n);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Read });
        }
    }
}

impl Cache {
    /// The log file in `dir` (created if missing).
    pub fn open(dir: &Path) -> std::io::Result<Cache> {
        std::fs::create_dir_all(dir)?;
        let key = read_or_create_key(&dir.join(KEY_FILE))?;
        Self::open_with(dir, key)
    }

    /// The working copy in `dir` of a cache shared through an object store, whose entries are
    /// authenticated with `key` (the text of the profile's `cache_key_file`), not the directory's
    /// own key. Lines from the store come in through [`Cache::load_lines`]; lines written go out
    /// through [`Cache::take_new_lines`].
    pub fn open_shared(dir: &Path, key: &str) -> std::io::Result<Cache> {
        std::fs::create_dir_all(dir)?;
        let key = key.trim();
        if key.len() < 16 {
            return Err(std::io::Error::other(
                "the cache key is too short (at least 16 characters; 64 hex digits are best)",
            ));
        }
        let cache = Self::open_with(dir, key_bytes(key))?;
        if let Ok(mut u) = cache.unshared.lock() {
            *u = Some(Vec::new());
        }
        Ok(cache)
    }

    /// Entries from lines of the log format (a segment of a shared cache): those the key
    /// authenticates are added; returns how many were, and how many were refused.
    pub fn load_lines(&self, bytes: &[u8]) -> (usize, usize) {
        let (mut loaded, mut refused) = (0, 0);
        for line in bytes.split(|&b| b == b'\n') {
            if line.is_empty() || line.len() > MAX_LINE_BYTES {
                continue;
            }
            let Some(entry) = std::str::from_utf8(line)
                .ok()
                .and_then(|l| l.split_once(' '))
                .filter(|(sum, json)| mac(&self.key, json) == *sum)
                .and_then(|(_, json)| serde_json::from_str::<Entry>(json).ok().map(|e| (e, json)))
            else {
                refused += 1;
                continue;
            };
            let (entry, json) = entry;
            if entry.v != FORMAT_VERSION {
                continue;
            }
            if let Ok(mut entries) = self.entries.lock() {
                entries.insert(key_bytes(&entry.key), Box::<str>::from(json));
            }
            loaded += 1;
        }
        (loaded, refused)
    }

    /// The lines written since the last call (a shared cache's next segment).
    pub fn take_new_lines(&self) -> Vec<u8> {
        self.unshared
            .lock()
            .ok()
            .and_then(|mut u| u.as_mut().map(std::mem::take))
            .unwrap_or_default()
    }

    fn open_with(dir: &Path, key: [u8; 32]) -> std::io::Result<Cache> {
        let path = dir.join(format!("calls-v{FORMAT_VERSION}.log"));
        let mut entries = HashMap::new();
        let mut digests = HashMap::new();
        if let Ok(f) = File::open(&path) {
            let mut reader = BufReader::new(f);
            let mut buf = Vec::new();
            let mut oversized = 0usize;
            let mut forged = 0usize;
            loop {
                match read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES) {
                    Ok(Line::End) | Err(_) => break,
                    // Written before the cap existed: skipped without holding it in memory.
                    Ok(Line::TooLong) => {
                        oversized += 1;
                        continue;
                    }
                    Ok(Line::Read) => {}
                }
                let Ok(line) = std::str::from_utf8(&buf) else {
                    continue;
                };
                let line = line.trim_end_matches('\n');
                let Some((sum, json)) = line.split_once(' ') else {
                    continue;
                };
                if mac(&key, json) != sum {
                    forged += 1;
                    continue;
                }
                let Ok(entry) = serde_json::from_str::<Entry>(json) else {
                    continue;
                };
                if entry.v != FORMAT_VERSION {
                    continue;
                }
                for f in &entry.files {
                    digests.insert(f.id(), f.blake3.clone());
                }
                entries.insert(key_bytes(&entry.key), Box::<str>::from(json));
            }
            // The last line may be torn by a killed writer; more than that is not chance.
            if forged > 1 {
                tracing::warn!(
                    "the call cache {} holds {forged} lines its key does not authenticate, skipped \
                     (written with another key, or not by Ferry)",
                    path.display()
                );
            }
            if oversized > 0 {
                tracing::warn!(
                    "the call cache {} holds {oversized} entr(y/ies) over {} MiB, skipped; \
                     `ferry cache clear` removes them",
                    path.display(),
                    MAX_LINE_BYTES >> 20
                );
            }
        }
        Ok(Cache {
            path,
            key,
            entries: Mutex::new(entries),
            digests: Mutex::new(digests),
            hashing: Mutex::new(HashMap::new()),
            log: Mutex::new(None),
            unshared: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn entries(&self) -> Vec<Entry> {
        let mut v: Vec<Entry> = self
            .entries
            .lock()
            .map(|e| {
                e.values()
                    .filter_map(|j| serde_json::from_str(j).ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| (a.recorded, &a.task).cmp(&(b.recorded, &b.task)));
        v
    }

    /// The digest of a file, from memory when its (size, mtime, inode, ctime) are known. One caller
    /// hashes a given file at a time; the others wait and take its result. Blocking: callers
    /// on an async runtime use `block_in_place` or the blocking pool.
    pub fn digest(&self, path: &Path) -> std::io::Result<String> {
        let meta = std::fs::metadata(path)?;
        let id = (
            path.display().to_string(),
            meta.len(),
            mtime_ns(&meta),
            meta.ino(),
            ctime_ns(&meta),
        );
        let known = |id| self.digests.lock().ok().and_then(|d| d.get(id).cloned());
        if let Some(d) = known(&id) {
            return Ok(d);
        }
        let turn = self
            .hashing
            .lock()
            .map_err(|_| std::io::Error::other("digest table poisoned"))?
            .entry(id.clone())
            .or_default()
            .clone();
        let _turn = turn.lock();
        // Hashed by the caller we waited for (an error is not remembered: try again).
        if let Some(d) = known(&id) {
            return Ok(d);
        }
        let d = hash_file(path);
        if let Ok(d) = &d
            && let Ok(mut digests) = self.digests.lock()
        {
            digests.insert(id.clone(), d.clone());
        }
        if let Ok(mut h) = self.hashing.lock() {
            h.remove(&id);
        }
        d
    }

    /// A record of `path` as it is now.
    pub fn record_file(&self, path: &Path) -> std::io::Result<FileRecord> {
        let digest = self.digest(path)?;
        record(path, digest, None)
    }

    /// A record of a remote job's file: the local stub's identity and the object's.
    pub fn record_remote(
        &self,
        path: &Path,
        url: &str,
        identity: &str,
    ) -> std::io::Result<FileRecord> {
        record(path, identity.to_string(), Some(url.to_string()))
    }

    /// The entry for `key` if every file it names is still there, unchanged.
    pub fn lookup(&self, key: &str) -> Option<Entry> {
        let json = self.entries.lock().ok()?.get(&key_bytes(key)).cloned()?;
        let mut entry: Entry = serde_json::from_str(&json).ok()?;
        // A shared cache's entry written on another machine: its files are the objects its jobs
        // left in the store (the caller checks each is unchanged), named by URL from here on.
        if entry
            .files
            .iter()
            .any(|f| f.remote.is_some() && std::fs::symlink_metadata(&f.path).is_err())
        {
            if entry.files.iter().any(|f| f.remote.is_none()) {
                return None;
            }
            for f in &mut entry.files {
                let url = f.remote.clone()?;
                replace_strings(&mut entry.outputs, &f.path, &url);
                f.path = url;
            }
            return Some(entry);
        }
        let mut rehashed = false;
        for f in &entry.files {
            let meta = std::fs::metadata(&f.path).ok()?;
            let same_identity = f.same_identity(&meta);
            // A stub has no content to hash: it must be the one recorded.
            if f.remote.is_some() && !same_identity {
                return None;
            }
            if !same_identity {
                if meta.len() != f.size || self.digest(Path::new(&f.path)).ok()? != f.blake3 {
                    return None;
                }
                rehashed = true;
            }
        }
        if rehashed {
            // The same content under a new identity (a hard link publishing it moved its
            // ctime, say): recorded again as it is now, so that the next run need not hash it.
            let now: std::io::Result<Vec<FileRecord>> = entry
                .files
                .iter()
                .map(|f| record(Path::new(&f.path), f.blake3.clone(), f.remote.clone()))
                .collect();
            if let Ok(now) = now {
                entry.files = now;
                let _ = self.insert(entry.clone());
            }
        }
        Some(entry)
    }

    /// Records a successful call: one appended, checksummed line. A call whose outputs would
    /// make a line over [`MAX_LINE_BYTES`] is not recorded (an error saying so): every later
    /// run on the node would load it at start.
    pub fn insert(&self, entry: Entry) -> std::io::Result<()> {
        let json = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        let line = format!("{} {json}\n", mac(&self.key, &json));
        if line.len() > MAX_LINE_BYTES {
            return Err(std::io::Error::other(format!(
                "its outputs take {} KiB, over the cache's limit of {} KiB per call",
                json.len() >> 10,
                MAX_LINE_BYTES >> 10
            )));
        }
        {
            let mut log = self
                .log
                .lock()
                .map_err(|_| std::io::Error::other("cache lock poisoned"))?;
            if log.is_none() {
                *log = Some(open_line_log(&self.path)?.0);
            }
            if let Some(f) = log.as_mut() {
                f.write_all(line.as_bytes())?;
            }
        }
        if let Ok(mut u) = self.unshared.lock()
            && let Some(u) = u.as_mut()
        {
            u.extend_from_slice(line.as_bytes());
        }
        if let Ok(mut digests) = self.digests.lock() {
            for f in &entry.files {
                digests.insert(f.id(), f.blake3.clone());
            }
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key_bytes(&entry.key), json.into_boxed_str());
        }
        Ok(())
    }

    /// Writes the buffered entries to the log.
    pub fn flush(&self) -> std::io::Result<()> {
        if let Ok(mut log) = self.log.lock()
            && let Some(f) = log.as_mut()
        {
            f.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered entries and syncs the log to disk (at the end of a run: only a crash
    /// of the machine itself could then lose its tail).
    pub fn sync(&self) -> std::io::Result<()> {
        if let Ok(mut log) = self.log.lock()
            && let Some(f) = log.as_mut()
        {
            f.flush()?;
            f.get_ref().sync_data()?;
        }
        Ok(())
    }

    /// The run is over: writes what is buffered and lets go of the in-memory index (100,000
    /// entries are tens of MiB that the end-of-run report would otherwise sit on top of).
    /// Lookups find nothing afterwards; the log on disk keeps every entry.
    pub fn close(&self) -> std::io::Result<()> {
        self.sync()?;
        if let Ok(mut e) = self.entries.lock() {
            *e = HashMap::new();
        }
        if let Ok(mut d) = self.digests.lock() {
            *d = HashMap::new();
        }
        Ok(())
    }

    /// Removes every entry (and the log file).
    pub fn clear(&self) -> std::io::Result<usize> {
        let n = self.len();
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
        if let Ok(mut log) = self.log.lock() {
            *log = None;
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(n),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path, key: &str) -> (Entry, PathBuf) {
        let out = dir.join(format!("{key}.txt"));
        std::fs::write(&out, "data").unwrap();
        let cache = Cache::open(&dir.join("c")).unwrap();
        let rec = cache.record_file(&out).unwrap();
        (
            Entry {
                v: FORMAT_VERSION,
                key: key.into(),
                task: "t".into(),
                recorded: 1,
                outputs: serde_json::json!({"f": out.display().to_string()}),
                files: vec![rec],
            },
            out,
        )
    }

    #[test]
    fn entries_survive_reopening_and_torn_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (e, _) = entry(dir.path(), "k1");
        let cache = Cache::open(&dir.path().join("c")).unwrap();
        cache.insert(e).unwrap();
        cache.flush().unwrap();
        // A torn write, a corrupted line and an entry of another format version.
        let mut f = OpenOptions::new().append(true).open(cache.path()).unwrap();
        f.write_all(b"0123 {\"v\":1,\"key\":\"bad\"}\n").unwrap();
        let other = r#"{"v":0,"key":"old","task":"t","recorded":1,"outputs":{},"files":[]}"#;
        f.write_all(format!("{} {other}\n", blake3::hash(other.as_bytes()).to_hex()).as_bytes())
            .unwrap();
        f.write_all(b"abcdef {\"v\":1,\"ke").unwrap();
        drop(f);
        let again = Cache::open(&dir.path().join("c")).unwrap();
        assert_eq!(again.len(), 1);
        assert!(again.lookup("k1").is_some());
        assert!(again.lookup("old").is_none());
        // An entry appended after the torn line is not lost with it.
        let (e3, _) = entry(dir.path(), "k3");
        again.insert(e3).unwrap();
        again.sync().unwrap();
        let third = Cache::open(&dir.path().join("c")).unwrap();
        assert_eq!(third.len(), 2);
        assert!(third.lookup("k3").is_some());
    }

    #[test]
    fn a_shared_entry_loads_only_under_its_key_and_names_its_objects_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let key = "0123456789abcdef0123456789abcdef";
        let alice = Cache::open_shared(&dir.path().join("alice"), key).unwrap();
        let stub = "/elsewhere/run/calls/make/attempt-1/work/n.txt";
        let url = "s3://b/w/run/calls/make/attempt-1/work/n.txt";
        alice
            .insert(Entry {
                v: FORMAT_VERSION,
                key: "k".into(),
                task: "make".into(),
                recorded: 1,
                outputs: serde_json::json!({"f": stub, "fs": [stub]}),
                files: vec![FileRecord {
                    path: stub.into(),
                    size: 3,
                    mtime_ns: 0,
                    ctime_ns: Some(0),
                    ino: 1,
                    blake3: "etag:\"x\":3".into(),
                    remote: Some(url.into()),
                }],
            })
            .unwrap();
        let segment = alice.take_new_lines();
        assert!(alice.take_new_lines().is_empty(), "taken once");
        let bob = Cache::open_shared(&dir.path().join("bob"), key).unwrap();
        assert_eq!(bob.load_lines(&segment), (1, 0));
        let hit = bob.lookup("k").expect("a hit");
        assert_eq!(hit.outputs, serde_json::json!({"f": url, "fs": [url]}));
        assert_eq!(hit.files[0].path, url);
        let mallory =
            Cache::open_shared(&dir.path().join("m"), "another key, long enough").unwrap();
        assert_eq!(mallory.load_lines(&segment), (0, 1));
        assert!(mallory.lookup("k").is_none());
        assert!(Cache::open_shared(&dir.path().join("s"), "short").is_err());
    }

    #[test]
    fn modified_or_deleted_outputs_invalidate_an_entry() {
        let dir = tempfile::tempdir().unwrap();
        let (e, out) = entry(dir.path(), "k2");
        let cache = Cache::open(&dir.path().join("c")).unwrap();
        cache.insert(e).unwrap();
        assert!(cache.lookup("k2").is_some());
        // Same size, different content, different mtime: detected by re-hashing.
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&out, "DATA").unwrap();
        assert!(cache.lookup("k2").is_none());
        std::fs::write(&out, "data").unwrap();
        // Rewritten with the same content: its identity changed but its digest did not.
        assert!(cache.lookup("k2").is_some());
        // Changed in place with its mtime set back: the ctime tells.
        let cache = Cache::open(&dir.path().join("c")).unwrap();
        let (e, _) = entry(dir.path(), "k2");
        cache.insert(e).unwrap();
        let mtime = std::fs::metadata(&out).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&out, "DATA").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&out)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), mtime);
        assert!(
            cache.lookup("k2").is_none(),
            "a file changed under a restored mtime"
        );
        std::fs::remove_file(&out).unwrap();
        assert!(cache.lookup("k2").is_none());
        assert_eq!(cache.clear().unwrap(), 1);
        assert!(Cache::open(&dir.path().join("c")).unwrap().is_empty());
    }
}
