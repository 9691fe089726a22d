//! Files written: every `write_*`, into the directory `Io` names for the task's files.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "write_lines",
    "write_tsv",
    "write_map",
    "write_json",
    "write_object",
    "write_objects",
];

pub(super) fn call(name: &str, a: &Args, io: &Io) -> EvalResult {
    use Value as V;
    Ok(match name {
        "write_lines" => {
            arity(a, 1, 1)?;
            let mut out = String::new();
            for s in strings(&a[0])? {
                out.push_str(&s);
                out.push('\n');
            }
            write(io, "write_lines", out.as_bytes())?
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
        "write_json" => {
            arity(a, 1, 1)?;
            write(io, "write_json", json_text(&a[0])?.as_bytes())?
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
