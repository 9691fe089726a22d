//! The WDL standard library (1.0, 1.1 and 1.2).

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

/// Refuses to add `each` bytes to every element of `array` (and its own text) past the limit.
fn check_spread(each: usize, array: &Value) -> Result<(), String> {
    let a = array_ref(array)?;
    check_text_len(each as u128 * a.len() as u128 + a.iter().map(text_len).sum::<u128>())
}

fn array_ref(v: &Value) -> Result<&[Value], String> {
    match v {
        Value::Array(a) => Ok(a),
        v => Err(format!("expected an Array, got a {}", v.type_name())),
    }
}

fn to_int(f: f64) -> Result<Value, String> {
    if f.is_finite() && f.abs() < 9.2e18 {
        Ok(Value::Int(f as i64))
    } else {
        Err(format!("{f} does not fit in an Int"))
    }
}

fn read(io: &Io, v: &Value) -> Result<String, String> {
    let path = io.resolve(&string(v)?);
    if let Some(fetch) = &io.fetch {
        (fetch.0)(&path)?;
    }
    read_text(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// A file's text. Unlike `std::fs::read_to_string` it does not `fstat` the file for a size hint
/// first: most files read here are a shard's few bytes of stdout, 100,000 times in a scatter.
fn read_text(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
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
            std::fs::metadata(&path)
                .map_err(|e| format!("cannot stat {}: {e}", path.display()))?
                .len() as f64
        }
        Value::Directory(p) => dir_size(&io.resolve(p))? as f64,
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
    use Value as V;
    let a = &args;
    Ok(match name {
        "floor" | "ceil" | "round" => {
            arity(a, 1, 1)?;
            let f = float(&a[0])?;
            to_int(match name {
                "floor" => f.floor(),
                "ceil" => f.ceil(),
                _ => f.round(),
            })?
        }
        "min" | "max" => {
            arity(a, 2, 2)?;
            let pick_first = match compare(&a[0], &a[1])? {
                std::cmp::Ordering::Less => name == "min",
                std::cmp::Ordering::Greater => name == "max",
                std::cmp::Ordering::Equal => true,
            };
            let v = if pick_first { &a[0] } else { &a[1] };
            match (&a[0], &a[1]) {
                (V::Int(_), V::Int(_)) => v.clone(),
                _ => V::Float(float(v)?),
            }
        }
        "sub" => {
            arity(a, 3, 3)?;
            let re = regex(&string(&a[1])?)?;
            // At most one replacement per position (an empty pattern matches at each).
            let input = string(&a[0])?;
            let bound = (input.len() as u128 + 1) * (string(&a[2])?.len() as u128 + 1);
            if bound > MAX_TEXT_BYTES {
                let matches = re.find_iter(&input).count() as u128;
                check_text_len(input.len() as u128 + matches * string(&a[2])?.len() as u128)?;
            }
            V::string(
                re.replace_all(&string(&a[0])?, replacement(&string(&a[2])?).as_str())
                    .into_owned(),
            )
        }
        "find" => {
            arity(a, 2, 2)?;
            match regex(&string(&a[1])?)?.find(&string(&a[0])?) {
                Some(m) => V::string(m.as_str()),
                None => V::None,
            }
        }
        "matches" => {
            arity(a, 2, 2)?;
            V::Bool(regex(&string(&a[1])?)?.is_match(&string(&a[0])?))
        }
        "basename" => {
            arity(a, 1, 2)?;
            let p = &*string(&a[0])?;
            let trimmed = p.trim_end_matches('/');
            let mut base = trimmed.rsplit('/').next().unwrap_or(trimmed).to_string();
            if let Some(suffix) = a.get(1) {
                let suffix = &*string(suffix)?;
                if let Some(stripped) = base.strip_suffix(suffix) {
                    base = stripped.to_string();
                }
            }
            V::string(base)
        }
        "join_paths" => {
            arity(a, 1, 2)?;
            let (base, rest): (String, Vec<String>) = if a.len() == 2 {
                let rest = match &a[1] {
                    V::Array(_) => strings(&a[1])?,
                    v => vec![v.render()?],
                };
                (string(&a[0])?.into_owned(), rest)
            } else {
                let all = strings(&a[0])?;
                let (first, rest) = all.split_first().ok_or("needs at least one path")?;
                (first.clone(), rest.to_vec())
            };
            let mut p = PathBuf::from(base);
            for r in rest {
                if Path::new(&r).is_absolute() {
                    return Err(format!("{r:?} is absolute and cannot be joined"));
                }
                p.push(r);
            }
            // Typed String (as wdl-analysis types it) so that it coerces to the File or Directory it
            // is declared as; a relative result is made absolute against the working directory.
            V::String(
                io.resolve(&p.display().to_string())
                    .display()
                    .to_string()
                    .into(),
            )
        }
        "sep" => {
            arity(a, 2, 2)?;
            check_spread(string(&a[0])?.len(), &a[1])?;
            V::string(strings(&a[1])?.join(&*string(&a[0])?))
        }
        "prefix" | "suffix" => {
            arity(a, 2, 2)?;
            let fix = &*string(&a[0])?;
            check_spread(fix.len(), &a[1])?;
            V::array(
                strings(&a[1])?
                    .into_iter()
                    .map(|s| {
                        V::string(if name == "prefix" {
                            format!("{fix}{s}")
                        } else {
                            format!("{s}{fix}")
                        })
                    })
                    .collect(),
            )
        }
        "quote" | "squote" => {
            arity(a, 1, 1)?;
            let q = if name == "quote" { '"' } else { '\'' };
            check_spread(2, &a[0])?;
            V::array(
                strings(&a[0])?
                    .into_iter()
                    .map(|s| V::string(format!("{q}{s}{q}")))
                    .collect(),
            )
        }
        "size" => {
            arity(a, 1, 2)?;
            let factor = match a.get(1) {
                Some(u) => unit_factor(&string(u)?)?,
                None => 1.0,
            };
            V::Float(size_of(io, &a[0])? / factor)
        }
        "glob" => {
            arity(a, 1, 1)?;
            let pattern = &*string(&a[0])?;
            let base = io.base_dir.clone().unwrap_or_else(|| PathBuf::from("."));
            let full = base.join(pattern);
            let mut found = Vec::new();
            let paths = glob::glob(&full.display().to_string())
                .map_err(|e| format!("invalid glob {pattern:?}: {e}"))?;
            for p in paths.flatten() {
                if p.is_file() {
                    found.push(V::File(p.display().to_string().into()));
                }
            }
            V::array(found)
        }
        "stdout" | "stderr" => {
            arity(a, 0, 0)?;
            let p = if name == "stdout" {
                &io.stdout
            } else {
                &io.stderr
            };
            match p {
                Some(p) => V::File(p.display().to_string().into()),
                None => return Err("is only available in a task's output section".into()),
            }
        }
        "read_string" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            let t = text.strip_suffix('\n').unwrap_or(&text);
            let t = t.strip_suffix('\r').unwrap_or(t);
            V::string(t)
        }
        "read_int" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            V::Int(
                text.trim()
                    .parse()
                    .map_err(|_| format!("{:?} is not an Int", text.trim()))?,
            )
        }
        "read_float" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            V::Float(crate::value::parse_float(&text)?)
        }
        "read_boolean" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            match text.trim().to_ascii_lowercase().as_str() {
                "true" => V::Bool(true),
                "false" => V::Bool(false),
                t => return Err(format!("{t:?} is not a Boolean")),
            }
        }
        "read_lines" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            V::array(lines_of(&text).into_iter().map(V::string).collect())
        }
        "write_lines" => {
            arity(a, 1, 1)?;
            let mut out = String::new();
            for s in strings(&a[0])? {
                out.push_str(&s);
                out.push('\n');
            }
            write(io, "write_lines", out.as_bytes())?
        }
        "read_tsv" => {
            arity(a, 1, 3)?;
            let text = read(io, &a[0])?;
            let rows: Vec<Vec<&str>> = lines_of(&text)
                .into_iter()
                .map(|l| l.split('\t').collect())
                .collect();
            let header = matches!(a.get(1), Some(V::Bool(true)));
            let names: Option<Vec<String>> = match a.get(2) {
                Some(v @ V::Array(_)) => Some(strings(v)?),
                _ => None,
            };
            if !header && names.is_none() {
                V::array(
                    rows.into_iter()
                        .map(|r| V::array(r.into_iter().map(V::string).collect()))
                        .collect(),
                )
            } else {
                let mut rows = rows.into_iter();
                let file_header = if header { rows.next() } else { None };
                let names: Vec<String> = match names {
                    Some(n) => n,
                    None => file_header
                        .unwrap_or_default()
                        .into_iter()
                        .map(String::from)
                        .collect(),
                };
                let name_refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                V::array(
                    rows.map(|r| object_from(&name_refs, &r))
                        .collect::<Result<_, _>>()?,
                )
            }
        }
        "write_tsv" => {
            arity(a, 1, 3)?;
            let rows = array(&a[0])?;
            let mut out = String::new();
            let header = matches!(a.get(1), Some(V::Bool(true)));
            let is_structs = rows
                .first()
                .is_some_and(|r| matches!(r, V::Struct(..) | V::Object(_)));
            if is_structs {
                let names: Vec<String> = match a.get(2) {
                    Some(v @ V::Array(_)) => strings(v)?,
                    _ => members_of(&rows[0])?
                        .keys()
                        .map(|k| k.to_string())
                        .collect(),
                };
                if header || a.len() == 1 {
                    out.push_str(&tsv_line(&names)?);
                    out.push('\n');
                }
                for r in rows.iter() {
                    let fields = members_of(r)?
                        .values()
                        .map(|v| v.render())
                        .collect::<Result<Vec<_>, _>>()?;
                    out.push_str(&tsv_line(&fields)?);
                    out.push('\n');
                }
            } else {
                if header {
                    let names = match a.get(2) {
                        Some(v @ V::Array(_)) => strings(v)?,
                        _ => return Err("a header needs header names".into()),
                    };
                    out.push_str(&tsv_line(&names)?);
                    out.push('\n');
                }
                for r in rows.iter() {
                    out.push_str(&tsv_line(&strings(r)?)?);
                    out.push('\n');
                }
            }
            write(io, "write_tsv", out.as_bytes())?
        }
        "read_map" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            let mut m = IndexMap::new();
            for line in lines_of(&text) {
                let cols: Vec<&str> = line.split('\t').collect();
                if cols.len() != 2 {
                    return Err(format!("line {line:?} does not have exactly two columns"));
                }
                if m.insert(V::string(cols[0]), V::string(cols[1])).is_some() {
                    return Err(format!("duplicate key {:?}", cols[0]));
                }
            }
            V::Map(Arc::new(m))
        }
        "write_map" => {
            arity(a, 1, 1)?;
            let mut out = String::new();
            match &a[0] {
                V::Map(m) => {
                    for (k, v) in m.iter() {
                        out.push_str(&tsv_line(&[k.render()?, v.render()?])?);
                        out.push('\n');
                    }
                }
                v => return Err(format!("expected a Map, got a {}", v.type_name())),
            }
            write(io, "write_map", out.as_bytes())?
        }
        "read_json" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            let j: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("invalid JSON: {e}"))?;
            json_to_value(&j)
        }
        "write_json" => {
            arity(a, 1, 1)?;
            write(io, "write_json", json_text(&a[0])?.as_bytes())?
        }
        "read_object" | "read_objects" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            let lines = lines_of(&text);
            let (header, rows) = lines
                .split_first()
                .ok_or("the file is empty; it needs a header line")?;
            let header: Vec<&str> = header.split('\t').collect();
            let objects = rows
                .iter()
                .map(|r| object_from(&header, &r.split('\t').collect::<Vec<_>>()))
                .collect::<Result<Vec<_>, _>>()?;
            if name == "read_object" {
                if objects.len() != 1 {
                    return Err(format!(
                        "expected one row of values, found {}",
                        objects.len()
                    ));
                }
                objects.into_iter().next().unwrap_or(V::None)
            } else {
                V::array(objects)
            }
        }
        "write_object" | "write_objects" => {
            arity(a, 1, 1)?;
            let objects: Vec<&Value> = if name == "write_object" {
                vec![&a[0]]
            } else {
                array(&a[0])?.iter().collect()
            };
            let mut out = String::new();
            if let Some(first) = objects.first() {
                let keys: Vec<String> = members_of(first)?.keys().map(|k| k.to_string()).collect();
                out.push_str(&tsv_line(&keys)?);
                out.push('\n');
                for o in &objects {
                    let m = members_of(o)?;
                    if m.len() != keys.len() || !m.keys().zip(&keys).all(|(a, b)| **a == **b) {
                        return Err("all objects must have the same members".into());
                    }
                    let vals = m
                        .values()
                        .map(|v| v.render())
                        .collect::<Result<Vec<_>, _>>()?;
                    out.push_str(&tsv_line(&vals)?);
                    out.push('\n');
                }
            }
            write(io, "write_object", out.as_bytes())?
        }
        "length" => {
            arity(a, 1, 1)?;
            V::Int(match &a[0] {
                V::Array(x) => x.len(),
                V::Map(m) => m.len(),
                V::Object(m) | V::Struct(_, m) => m.len(),
                V::String(s) => s.chars().count(),
                V::None => 0,
                v => return Err(format!("length of a {} is not defined", v.type_name())),
            } as i64)
        }
        "range" => {
            arity(a, 1, 1)?;
            let n = int(&a[0])?;
            if n < 0 {
                return Err(format!("range of a negative number ({n})"));
            }
            check_array_len(n as u128)?;
            V::array((0..n).map(V::Int).collect())
        }
        "transpose" => {
            arity(a, 1, 1)?;
            let rows = array(&a[0])?;
            let rows: Vec<&Arc<Vec<Value>>> = rows.iter().map(array).collect::<Result<_, _>>()?;
            let width = rows.first().map(|r| r.len()).unwrap_or(0);
            if rows.iter().any(|r| r.len() != width) {
                return Err("all rows must have the same length".into());
            }
            V::array(
                (0..width)
                    .map(|c| V::array(rows.iter().map(|r| r[c].clone()).collect()))
                    .collect(),
            )
        }
        "cross" => {
            arity(a, 2, 2)?;
            let (x, y) = (array(&a[0])?, array(&a[1])?);
            check_array_len(x.len() as u128 * y.len() as u128)?;
            V::array(
                x.iter()
                    .flat_map(|l| {
                        y.iter()
                            .map(move |r| V::Pair(Arc::new((l.clone(), r.clone()))))
                    })
                    .collect(),
            )
        }
        "zip" => {
            arity(a, 2, 2)?;
            let (x, y) = (array(&a[0])?, array(&a[1])?);
            if x.len() != y.len() {
                return Err(format!(
                    "arrays of different lengths ({} and {})",
                    x.len(),
                    y.len()
                ));
            }
            V::array(
                x.iter()
                    .zip(y.iter())
                    .map(|(l, r)| V::Pair(Arc::new((l.clone(), r.clone()))))
                    .collect(),
            )
        }
        "unzip" => {
            arity(a, 1, 1)?;
            let (mut l, mut r) = (Vec::new(), Vec::new());
            for p in array(&a[0])?.iter() {
                match p {
                    V::Pair(p) => {
                        l.push(p.0.clone());
                        r.push(p.1.clone());
                    }
                    v => return Err(format!("expected Pairs, got a {}", v.type_name())),
                }
            }
            V::Pair(Arc::new((V::array(l), V::array(r))))
        }
        "flatten" => {
            arity(a, 1, 1)?;
            let mut out = Vec::new();
            for inner in array(&a[0])?.iter() {
                out.extend(array(inner)?.iter().cloned());
            }
            V::array(out)
        }
        "chunk" => {
            arity(a, 2, 2)?;
            let size = int(&a[1])?;
            if size <= 0 {
                return Err(format!("chunk size must be positive, got {size}"));
            }
            V::array(
                array(&a[0])?
                    .chunks(size as usize)
                    .map(|c| V::array(c.to_vec()))
                    .collect(),
            )
        }
        "select_first" => {
            arity(a, 1, 2)?;
            match array(&a[0])?.iter().find(|v| !v.is_none()) {
                Some(v) => v.clone(),
                None => match a.get(1) {
                    Some(d) if !d.is_none() => d.clone(),
                    _ => return Err("all values are None".into()),
                },
            }
        }
        "select_all" => {
            arity(a, 1, 1)?;
            V::array(
                array(&a[0])?
                    .iter()
                    .filter(|v| !v.is_none())
                    .cloned()
                    .collect(),
            )
        }
        "value" => {
            arity(a, 1, 1)?;
            match &a[0] {
                // A choice's value is a literal of its definition (WDL 1.3).
                V::Enum(e, i) => match e.choices.get(*i as usize) {
                    Some((_, expr)) => {
                        let empty: std::collections::HashMap<Arc<str>, Value> = Default::default();
                        crate::eval::Evaluator::new(&empty, io).eval(expr)?
                    }
                    None => return Err(format!("enumeration {} has no choice {i}", e.name)),
                },
                v => return Err(format!("expected an enum choice, got a {}", v.type_name())),
            }
        }
        "defined" => {
            arity(a, 1, 1)?;
            V::Bool(!a[0].is_none())
        }
        "as_pairs" => {
            arity(a, 1, 1)?;
            match &a[0] {
                V::Map(m) => V::array(
                    m.iter()
                        .map(|(k, v)| V::Pair(Arc::new((k.clone(), v.clone()))))
                        .collect(),
                ),
                v => return Err(format!("expected a Map, got a {}", v.type_name())),
            }
        }
        "as_map" => {
            arity(a, 1, 1)?;
            let mut m = IndexMap::new();
            for p in array(&a[0])?.iter() {
                match p {
                    V::Pair(p) => {
                        if m.insert(p.0.clone(), p.1.clone()).is_some() {
                            return Err(format!("duplicate key {}", p.0.render()?));
                        }
                    }
                    v => return Err(format!("expected Pairs, got a {}", v.type_name())),
                }
            }
            V::Map(Arc::new(m))
        }
        "collect_by_key" => {
            arity(a, 1, 1)?;
            let mut m: IndexMap<Value, Vec<Value>> = IndexMap::new();
            for p in array(&a[0])?.iter() {
                match p {
                    V::Pair(p) => m.entry(p.0.clone()).or_default().push(p.1.clone()),
                    v => return Err(format!("expected Pairs, got a {}", v.type_name())),
                }
            }
            V::Map(Arc::new(
                m.into_iter().map(|(k, v)| (k, V::array(v))).collect(),
            ))
        }
        "keys" => {
            arity(a, 1, 1)?;
            match &a[0] {
                V::Map(m) => V::array(m.keys().cloned().collect()),
                V::Object(m) | V::Struct(_, m) => {
                    V::array(m.keys().map(|k| V::String(k.clone())).collect())
                }
                v => return Err(format!("expected a Map, got a {}", v.type_name())),
            }
        }
        "values" => {
            arity(a, 1, 1)?;
            match &a[0] {
                V::Map(m) => V::array(m.values().cloned().collect()),
                v => return Err(format!("expected a Map, got a {}", v.type_name())),
            }
        }
        "contains" => {
            arity(a, 2, 2)?;
            V::Bool(array(&a[0])?.contains(&a[1]))
        }
        "contains_key" => {
            arity(a, 2, 2)?;
            match (&a[0], &a[1]) {
                (V::Map(m), k) => V::Bool(m.contains_key(k)),
                (V::Object(_) | V::Struct(..), V::Array(path)) => {
                    let mut cur = a[0].clone();
                    let mut found = true;
                    for key in path.iter() {
                        let key = &*string(key)?;
                        let next = match &cur {
                            V::Object(m) | V::Struct(_, m) => m.get(key).cloned(),
                            V::Map(m) => m.get(&V::string(key)).cloned(),
                            _ => None,
                        };
                        match next {
                            Some(n) => cur = n,
                            None => {
                                found = false;
                                break;
                            }
                        }
                    }
                    V::Bool(found)
                }
                (V::Object(m) | V::Struct(_, m), k) => V::Bool(m.contains_key(&*string(k)?)),
                (v, _) => return Err(format!("expected a Map, got a {}", v.type_name())),
            }
        }
        "split" => {
            arity(a, 2, 2)?;
            // The delimiter is a regular expression (WDL 1.3).
            let re = regex(&string(&a[1])?)?;
            V::array(re.split(&string(&a[0])?).map(V::string).collect())
        }
        _ => return Err(format!("unknown function `{name}`")),
    })
}

/// Renders a Float the way a placeholder does (exposed for tests).
pub fn render_float(f: f64) -> String {
    format_float(f)
}
