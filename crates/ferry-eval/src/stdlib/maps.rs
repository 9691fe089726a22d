//! Maps, pairs, optional values and enumerations.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "value",
    "defined",
    "as_pairs",
    "as_map",
    "collect_by_key",
    "keys",
    "values",
    "contains_key",
];

pub(super) fn call(name: &str, a: &Args, io: &Io) -> EvalResult {
    use Value as V;
    Ok(match name {
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
        _ => return Err(format!("unknown function `{name}`")),
    })
}
