//! Arrays: building, reshaping and searching them (each checks the size of what it builds).

use super::*;

pub(super) const NAMES: &[&str] = &[
    "length",
    "range",
    "transpose",
    "cross",
    "zip",
    "unzip",
    "flatten",
    "chunk",
    "select_first",
    "select_all",
    "contains",
];

pub(super) fn call(name: &str, a: &Args, _io: &Io) -> EvalResult {
    use Value as V;
    Ok(match name {
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
            let outer = array(&a[0])?;
            // Counted before anything is built: ten arrays of ten million each are within the
            // limit alone and a hundred million elements together.
            let mut len = 0u128;
            for inner in outer.iter() {
                len += array(inner)?.len() as u128;
            }
            check_array_len(len)?;
            let mut out = Vec::with_capacity(len as usize);
            for inner in outer.iter() {
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
        "contains" => {
            arity(a, 2, 2)?;
            V::Bool(array(&a[0])?.contains(&a[1]))
        }
        _ => return Err(format!("unknown function `{name}`")),
    })
}
