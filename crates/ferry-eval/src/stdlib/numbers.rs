//! Numbers: rounding, `min` and `max`.

use super::*;

pub(super) const NAMES: &[&str] = &["floor", "ceil", "round", "min", "max"];

pub(super) fn call(name: &str, a: &Args, _io: &Io) -> EvalResult {
    use Value as V;
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
        _ => return Err(format!("unknown function `{name}`")),
    })
}
