//! Files: `size`, `glob`, `stdout`/`stderr`, and every `read_*` and `write_*`, through the
//! paths and hooks of `Io` (a stub a remote job left is fetched before it is read).

use super::*;

pub(super) const NAMES: &[&str] = &[
    "size",
    "glob",
    "stdout",
    "stderr",
    "read_string",
    "read_int",
    "read_float",
    "read_boolean",
    "read_lines",
    "write_lines",
    "read_tsv",
    "write_tsv",
    "read_map",
    "write_map",
    "read_json",
    "write_json",
    "read_object",
    "read_objects",
    "write_object",
    "write_objects",
];

pub(super) fn call(name: &str, a: &Args, io: &Io) -> EvalResult {
    use Value as V;
    Ok(match name {
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
        _ => return Err(format!("unknown function `{name}`")),
    })
}
