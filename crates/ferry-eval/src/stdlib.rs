//! The WDL standard library (1.0, 1.1 and 1.2).

mod arrays;
mod files;
mod maps;
mod numbers;
mod strings;
mod tables;
mod writes;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;

use crate::eval::{EvalResult, Io, compare};
use crate::value::{Members, Value, format_float, json_to_value};

type Args = Vec<Value>;

fn arity(args: &Args, min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        return Err(if min == max {
            format!("takes {min} argument(s), got {}", args.len())
        } else {
            format!("takes {min} to {max} arguments, got {}", args.len())
        });
    }
    Ok(())
}

fn float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        v => Err(format!("expected a number, got a {}", v.type_name())),
    }
}

fn int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        v => Err(format!("expected an Int, got a {}", v.type_name())),
    }
}

/// A String argument. A number or Boolean is converted as a placeholder would render it: check
/// accepts numbers where a String is expected (the lenient coercion), so evaluation must too.
fn string(v: &Value) -> Result<std::borrow::Cow<'_, str>, String> {
    match v {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => Ok(v.render()?.into()),
        v => v
            .as_str()
            .map(Into::into)
            .ok_or_else(|| format!("expected a String, got a {}", v.type_name())),
    }
}

fn array(v: &Value) -> Result<&Arc<Vec<Value>>, String> {
    match v {
        Value::Array(a) => Ok(a),
        v => Err(format!("expected an Array, got a {}", v.type_name())),
    }
}

fn strings(v: &Value) -> Result<Vec<String>, String> {
    array(v)?.iter().map(|e| e.render()).collect()
}

/// The most elements a standard-library function builds into one array: a scatter of 100,000
/// shards is the largest the engine is made for, and an array of this size already takes
/// hundreds of MiB.
pub const MAX_ARRAY_LEN: u128 = 10_000_000;

fn check_array_len(len: u128) -> Result<(), String> {
    if len > MAX_ARRAY_LEN {
        return Err(format!(
            "would build an array of {len} elements; Ferry's limit is {MAX_ARRAY_LEN}"
        ));
    }
    Ok(())
}

/// The most bytes of text one value may hold (a String, or the strings of an Array together):
/// a chain of declarations that each double a string (`sep`, `flatten`, `prefix`, `+`) reaches
/// any size in a few dozen steps, and the engine must fail that call with its location, not
/// abort for want of memory.
pub const MAX_TEXT_BYTES: u128 = 256 << 20;

fn check_text_len(len: u128) -> Result<(), String> {
    if len > MAX_TEXT_BYTES {
        return Err(format!(
            "would build {len} bytes of text; Ferry's limit for one value is {MAX_TEXT_BYTES}"
        ));
    }
    Ok(())
}

/// Checks a value a function or operator built against [`MAX_ARRAY_LEN`] and
/// [`MAX_TEXT_BYTES`]. Every input already passed, so one step cannot have grown much past
/// the limits before this refuses it; the steps that multiply (a prefix for every element, a
/// separator between every two) check their size before they build.
pub fn check_built(v: &Value) -> Result<(), String> {
    match v {
        Value::String(s) | Value::File(s) | Value::Directory(s) => check_text_len(s.len() as u128),
        Value::Array(a) => {
            check_array_len(a.len() as u128)?;
            check_text_len(a.iter().map(text_len).sum())
        }
        _ => Ok(()),
    }
}

/// The bytes of text a String, File or Directory value holds (0 for others).
pub fn text_len(v: &Value) -> u128 {
    match v {
        Value::String(s) | Value::File(s) | Value::Directory(s) => s.len() as u128,
        _ => 0,
    }
}

/// Refuses to add `each` bytes to every element of `values` (and its own text) past the limit.
fn check_spread(each: usize, values: &Value) -> Result<(), String> {
    let a = array(values)?;
    check_text_len(each as u128 * a.len() as u128 + a.iter().map(text_len).sum::<u128>())
}

fn to_int(f: f64) -> Result<Value, String> {
    if f.is_finite() && f.abs() < 9.2e18 {
        Ok(Value::Int(f as i64))
    } else {
        Err(format!("{f} does not fit in an Int"))
    }
}

fn read(io: &Io, v: &Value) -> Result<String, String> {
    let name = string(v)?;
    if name.contains("://") && !name.starts_with("file://") {
        let Some(fetch) = &io.fetch_url else {
            return Err(format!("cannot read {name}: URLs are not read here"));
        };
        let path = (fetch.0)(&name).map_err(|e| format!("cannot read {name}: {e}"))?;
        let file = std::fs::File::open(&path).map_err(|e| format!("cannot read {name}: {e}"))?;
        return read_text(file).map_err(|e| format!("cannot read {name}: {e}"));
    }
    let path = io.resolve(&name);
    if let Some(fetch) = &io.make_readable {
        (fetch.0)(&path)?;
    }
    let file = io.access.open(&path)?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!(
            "cannot read {}: not a regular file",
            path.display()
        ));
    }
    read_text(file).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// A file's text. Unlike `std::fs::read_to_string` it does not `fstat` the file for a size hint
/// first: most files read here are a shard's few bytes of stdout, 100,000 times in a scatter.
fn read_text(mut f: std::fs::File) -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if buf.len() >= chunk.len() {
            // Not small: let the standard library size the rest.
            f.read_to_end(&mut buf)?;
            break;
        }
    }
    String::from_utf8(buf)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

static WRITE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn write(io: &Io, stem: &str, content: &[u8]) -> EvalResult {
    std::fs::create_dir_all(&io.write_dir)
        .map_err(|e| format!("cannot create {}: {e}", io.write_dir.display()))?;
    let n = WRITE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = io.write_dir.join(format!("{stem}_{n}"));
    let mut f = std::fs::File::create(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(content)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Value::File(path.display().to_string().into()))
}

fn lines_of(text: &str) -> Vec<&str> {
    let t = text.strip_suffix('\n').unwrap_or(text);
    if t.is_empty() {
        return Vec::new();
    }
    t.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

fn tsv_line(fields: &[String]) -> Result<String, String> {
    if let Some(bad) = fields.iter().find(|f| f.contains('\t') || f.contains('\n')) {
        return Err(format!("TSV field {bad:?} contains a tab or newline"));
    }
    Ok(fields.join("\t"))
}

/// The total size of the files and directories in `v`. A String counts as a path only as the
/// argument itself or an element of an array argument (`size("x.bam")`, `size(["a", "b"])`);
/// inside maps, pairs, structs and objects only File and Directory values count: a String there
/// is data (a sample name, a map key), not a path.
fn size_of(io: &Io, v: &Value) -> Result<f64, String> {
    size_walk(io, v, true)
}

fn size_walk(io: &Io, v: &Value, strings_are_paths: bool) -> Result<f64, String> {
    Ok(match v {
        Value::None => 0.0,
        Value::String(_) if !strings_are_paths => 0.0,
        Value::File(p) | Value::String(p) => {
            let path = io.resolve(p);
            // A stub run has no data: a file it does not have (one named after an input,
            // `path + ".idx"`) is empty.
            if io.stub && !path.exists() {
                return Ok(0.0);
            }
            io.access
                .open(&path)?
                .metadata()
                .map_err(|e| format!("cannot stat {}: {e}", path.display()))?
                .len() as f64
        }
        Value::Directory(p) => {
            let path = io.resolve(p);
            // Opened (and checked) as a directory; its entries are counted without following
            // their links.
            io.access.open(&path)?;
            dir_size(&path)? as f64
        }
        Value::Array(a) => a
            .iter()
            .map(|e| size_walk(io, e, strings_are_paths))
            .sum::<Result<f64, _>>()?,
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| Ok(size_walk(io, k, false)? + size_walk(io, v, false)?))
            .sum::<Result<f64, String>>()?,
        Value::Pair(p) => size_walk(io, &p.0, false)? + size_walk(io, &p.1, false)?,
        Value::Object(m) | Value::Struct(_, m) | Value::Call(m) => m
            .values()
            .map(|e| size_walk(io, e, false))
            .sum::<Result<f64, _>>()?,
        _ => 0.0,
    })
}

fn dir_size(path: &Path) -> Result<u64, String> {
    let mut total = 0;
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let meta = entry.metadata().map_err(|e| e.to_string())?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn unit_factor(unit: &str) -> Result<f64, String> {
    Ok(match unit.trim() {
        "B" | "" => 1.0,
        "K" | "KB" => 1e3,
        "M" | "MB" => 1e6,
        "G" | "GB" => 1e9,
        "T" | "TB" => 1e12,
        "Ki" | "KiB" => 1024.0,
        "Mi" | "MiB" => 1024f64.powi(2),
        "Gi" | "GiB" => 1024f64.powi(3),
        "Ti" | "TiB" => 1024f64.powi(4),
        u => return Err(format!("unknown size unit {u:?}")),
    })
}

/// Python-style `\1` back-references become the regex crate's `${1}`.
fn replacement(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            c => out.push(c),
        }
    }
    out
}

fn regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern).map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
}

fn object_from(header: &[&str], row: &[&str]) -> Result<Value, String> {
    if header.len() != row.len() {
        return Err(format!(
            "a row has {} fields but the header has {}",
            row.len(),
            header.len()
        ));
    }
    Ok(Value::Object(Arc::new(
        header
            .iter()
            .zip(row)
            .map(|(k, v)| (Arc::<str>::from(*k), Value::string(*v)))
            .collect(),
    )))
}

fn members_of(v: &Value) -> Result<&Members, String> {
    match v {
        Value::Object(m) | Value::Struct(_, m) | Value::Call(m) => Ok(m),
        v => Err(format!(
            "expected an Object or struct, got a {}",
            v.type_name()
        )),
    }
}

fn json_text(v: &Value) -> Result<String, String> {
    serde_json::to_string(&v.to_json()).map_err(|e| e.to_string())
}

/// Calls the standard-library function `name`.
pub fn call(name: &str, args: Args, io: &Io) -> EvalResult {
    let family = FAMILIES
        .iter()
        .find(|(names, _)| names.contains(&name))
        .map(|(_, f)| *f)
        .ok_or_else(|| format!("unknown function `{name}`"))?;
    family(name, &args, io)
}

/// Every function's family: its names and the function that implements them.
type Family = fn(&str, &Args, &Io) -> EvalResult;
const FAMILIES: &[(&[&str], Family)] = &[
    (numbers::NAMES, numbers::call),
    (strings::NAMES, strings::call),
    (files::NAMES, files::call),
    (tables::NAMES, tables::call),
    (writes::NAMES, writes::call),
    (arrays::NAMES, arrays::call),
    (maps::NAMES, maps::call),
];

/// Renders a Float the way a placeholder does (exposed for tests).
pub fn render_float(f: f64) -> String {
    format_float(f)
}
