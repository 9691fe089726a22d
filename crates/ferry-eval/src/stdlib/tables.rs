//! Structured files read: `read_tsv`, `read_map`, `read_json`, `read_object(s)`, through
//! `Io` as for the other reads.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "read_tsv",
    "read_map",
    "read_json",
    "read_object",
    "read_objects",
];

pub(super) fn call(name: &str, a: &Args, io: &Io) -> EvalResult {
    use Value as V;
    Ok(match name {
        "read_tsv" => {
            arity(a, 1, 3)?;
            let text = read(io, &a[0])?;
            if super::files::stubbed(io, &text) && a.len() == 1 {
                return Ok(V::array(vec![V::array(vec![V::string("")])]));
            }
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
        "read_json" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            if super::files::stubbed(io, &text) {
                return Ok(V::Object(Default::default()));
            }
            let j: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("invalid JSON: {e}"))?;
            json_to_value(&j)
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
        _ => return Err(format!("unknown function `{name}`")),
    })
}
