//! Run-time WDL values, their coercions and their JSON forms.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use ferry_wdl::ir::{EnumType, StructType, Type};
use indexmap::IndexMap;
use serde_json::Value as Json;

pub type Members = IndexMap<Arc<str>, Value>;

/// A WDL value. Compound values are behind `Arc` so that copying a value between scopes (a
/// scatter's array into 100,000 shards, say) never copies its elements.
#[derive(Clone, Debug)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Arc<str>),
    File(Arc<str>),
    Directory(Arc<str>),
    Array(Arc<Vec<Value>>),
    Map(Arc<IndexMap<Value, Value>>),
    Pair(Arc<(Value, Value)>),
    Object(Arc<Members>),
    Struct(Arc<StructType>, Arc<Members>),
    /// The outputs of a call, as seen by the rest of its workflow (`call_name.output`).
    Call(Arc<Members>),
    /// A choice of a WDL 1.3 enumeration (its index). Rendered and written to JSON as its name.
    Enum(Arc<EnumType>, u32),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (None, None) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits() || a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (String(a) | File(a) | Directory(a), String(b) | File(b) | Directory(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Map(a), Map(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y),
            (Pair(a), Pair(b)) => a == b,
            (Object(a) | Call(a), Object(b) | Call(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y)
            }
            (Enum(a, i), Enum(b, j)) => i == j && a == b,
            (Struct(_, a), Struct(_, b))
            | (Struct(_, a), Object(b))
            | (Object(a), Struct(_, b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k) == Some(v))
            }
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Value::None => 0u8.hash(state),
            Value::Bool(b) => b.hash(state),
            // Ints and Floats that compare equal must hash equal.
            Value::Int(i) => (*i as f64).to_bits().hash(state),
            Value::Float(f) => f.to_bits().hash(state),
            Value::String(s) | Value::File(s) | Value::Directory(s) => s.hash(state),
            Value::Array(a) => a.len().hash(state),
            Value::Map(m) => m.len().hash(state),
            Value::Pair(p) => p.0.hash(state),
            Value::Object(m) | Value::Struct(_, m) | Value::Call(m) => m.len().hash(state),
            Value::Enum(_, i) => i.hash(state),
        }
    }
}

impl Value {
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }
    pub fn array(v: Vec<Value>) -> Value {
        Value::Array(Arc::new(v))
    }
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Int",
            Value::Float(_) => "Float",
            Value::String(_) => "String",
            Value::File(_) => "File",
            Value::Directory(_) => "Directory",
            Value::Array(_) => "Array",
            Value::Map(_) => "Map",
            Value::Pair(_) => "Pair",
            Value::Object(_) => "Object",
            Value::Struct(..) => "struct",
            Value::Call(_) => "call",
            Value::Enum(..) => "enum",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::File(s) | Value::Directory(s) => Some(s),
            _ => None,
        }
    }

    /// The text a placeholder renders for a primitive value.
    pub fn render(&self) -> Result<String, String> {
        Ok(match self {
            Value::None => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::String(s) | Value::File(s) | Value::Directory(s) => s.to_string(),
            Value::Enum(e, i) => e.choice_name(*i).to_string(),
            other => {
                return Err(format!(
                    "a {} cannot be written in a string (only primitive values can)",
                    other.type_name()
                ));
            }
        })
    }

    pub fn to_json(&self) -> Json {
        match self {
            Value::None => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            Value::String(s) | Value::File(s) | Value::Directory(s) => Json::String(s.to_string()),
            Value::Enum(e, i) => Json::String(e.choice_name(*i).to_string()),
            Value::Array(a) => Json::Array(a.iter().map(|v| v.to_json()).collect()),
            Value::Map(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (k.render().unwrap_or_default(), v.to_json()))
                    .collect(),
            ),
            Value::Pair(p) => {
                let mut o = serde_json::Map::new();
                o.insert("left".into(), p.0.to_json());
                o.insert("right".into(), p.1.to_json());
                Json::Object(o)
            }
            Value::Object(m) | Value::Struct(_, m) | Value::Call(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Calls `f` on every File and Directory path inside this value.
    pub fn visit_paths(&self, f: &mut dyn FnMut(&Arc<str>, bool)) {
        match self {
            Value::File(p) => f(p, false),
            Value::Directory(p) => f(p, true),
            Value::Array(a) => a.iter().for_each(|v| v.visit_paths(f)),
            Value::Map(m) => m.iter().for_each(|(k, v)| {
                k.visit_paths(f);
                v.visit_paths(f);
            }),
            Value::Pair(p) => {
                p.0.visit_paths(f);
                p.1.visit_paths(f);
            }
            Value::Object(m) | Value::Struct(_, m) | Value::Call(m) => {
                m.values().for_each(|v| v.visit_paths(f))
            }
            _ => {}
        }
    }

    /// Rebuilds this value with every File/Directory path replaced by `f(path, is_dir)`.
    pub fn map_paths(
        &self,
        f: &mut dyn FnMut(&str, bool) -> Result<Value, String>,
    ) -> Result<Value, String> {
        Ok(match self {
            Value::File(p) => f(p, false)?,
            Value::Directory(p) => f(p, true)?,
            Value::Array(a) => {
                Value::array(a.iter().map(|v| v.map_paths(f)).collect::<Result<_, _>>()?)
            }
            Value::Map(m) => Value::Map(Arc::new(
                m.iter()
                    .map(|(k, v)| Ok((k.map_paths(f)?, v.map_paths(f)?)))
                    .collect::<Result<_, String>>()?,
            )),
            Value::Pair(p) => Value::Pair(Arc::new((p.0.map_paths(f)?, p.1.map_paths(f)?))),
            Value::Object(m) => Value::Object(Arc::new(map_members(m, f)?)),
            Value::Struct(t, m) => Value::Struct(t.clone(), Arc::new(map_members(m, f)?)),
            Value::Call(m) => Value::Call(Arc::new(map_members(m, f)?)),
            v => v.clone(),
        })
    }
}

fn map_members(
    m: &Members,
    f: &mut dyn FnMut(&str, bool) -> Result<Value, String>,
) -> Result<Members, String> {
    m.iter()
        .map(|(k, v)| Ok((k.clone(), v.map_paths(f)?)))
        .collect()
}

/// WDL renders a Float in a string with six decimals, as C's `%f` does.
pub fn format_float(f: f64) -> String {
    format!("{f:.6}")
}

/// A Float written as text (`read_float`, inputs, lines): finite only, as WDL has no infinite
/// or NaN Float.
pub fn parse_float(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| format!("{s:?} is not a Float"))
}

/// Converts `v` to type `ty` as the WDL coercion rules allow.
pub fn coerce(v: &Value, ty: &Type) -> Result<Value, String> {
    match (ty, v) {
        (Type::Any, _) => Ok(v.clone()),
        (Type::Optional(_), Value::None) => Ok(Value::None),
        (Type::Optional(inner), _) => coerce(v, inner),
        (_, Value::None) => Err(format!("None where a value of type {ty} is required")),
        (Type::Boolean, Value::Bool(_))
        | (Type::Int, Value::Int(_))
        | (Type::Float, Value::Float(_))
        | (Type::String, Value::String(_))
        | (Type::File, Value::File(_))
        | (Type::Directory, Value::Directory(_)) => Ok(v.clone()),
        (Type::Float, Value::Int(i)) => Ok(Value::Float(*i as f64)),
        (Type::Enum(e), Value::Enum(t, _)) if e == t => Ok(v.clone()),
        // An enumeration's choice by name (inputs, `read_json`).
        (Type::Enum(e), Value::String(s)) => enum_choice(e, s),
        (Type::String, Value::Enum(..)) => Ok(Value::String(v.render()?.into())),
        (Type::String, Value::File(s) | Value::Directory(s)) => Ok(Value::String(s.clone())),
        (Type::File, Value::String(s)) => Ok(Value::File(s.clone())),
        // Beyond the spec's coercion table, as miniwdl does and as the spec's own examples need
        // (`Array[Int] n = read_lines(...)`): numbers parse from strings and render into them.
        (Type::Int, Value::String(s)) => s
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| format!("{s:?} is not an Int")),
        (Type::Float, Value::String(s)) => parse_float(s).map(Value::Float),
        (Type::String, Value::Int(_) | Value::Float(_)) => Ok(Value::String(v.render()?.into())),
        (Type::Directory, Value::String(s)) => Ok(Value::Directory(s.clone())),
        (Type::Array(t, non_empty), Value::Array(a)) => {
            if *non_empty && a.is_empty() {
                return Err(format!("an empty array where {ty} (non-empty) is required"));
            }
            if elements_already(a, t) {
                return Ok(v.clone());
            }
            Ok(Value::array(
                a.iter().map(|e| coerce(e, t)).collect::<Result<_, _>>()?,
            ))
        }
        (Type::Map(kt, vt), Value::Map(m)) => Ok(Value::Map(Arc::new(
            m.iter()
                .map(|(k, v)| Ok((coerce(k, kt)?, coerce(v, vt)?)))
                .collect::<Result<_, String>>()?,
        ))),
        (Type::Map(kt, vt), Value::Object(m) | Value::Struct(_, m)) => Ok(Value::Map(Arc::new(
            m.iter()
                .map(|(k, v)| Ok((coerce(&Value::String(k.clone()), kt)?, coerce(v, vt)?)))
                .collect::<Result<_, String>>()?,
        ))),
        (Type::Pair(lt, rt), Value::Pair(p)) => Ok(Value::Pair(Arc::new((
            coerce(&p.0, lt)?,
            coerce(&p.1, rt)?,
        )))),
        (Type::Object, Value::Object(_)) => Ok(v.clone()),
        (Type::Object, Value::Struct(_, m) | Value::Call(m)) => Ok(Value::Object(m.clone())),
        (Type::Object, Value::Map(m)) => Ok(Value::Object(Arc::new(
            m.iter()
                .map(|(k, v)| Ok((k.render()?.into(), v.clone())))
                .collect::<Result<_, String>>()?,
        ))),
        (Type::Struct(st), Value::Struct(_, m) | Value::Object(m)) => {
            to_struct(st, m.iter().map(|(k, v)| (k.to_string(), v)))
        }
        (Type::Struct(st), Value::Map(m)) => {
            let entries: Vec<(String, &Value)> = m
                .iter()
                .map(|(k, v)| Ok((k.render()?, v)))
                .collect::<Result<_, String>>()?;
            to_struct(st, entries.into_iter())
        }
        _ => Err(format!(
            "a {} value cannot be used where {ty} is expected",
            v.type_name()
        )),
    }
}

fn elements_already(a: &[Value], t: &Type) -> bool {
    let probe = |v: &Value| match (t, v) {
        (Type::Int, Value::Int(_))
        | (Type::Float, Value::Float(_))
        | (Type::String, Value::String(_))
        | (Type::File, Value::File(_))
        | (Type::Boolean, Value::Bool(_)) => true,
        (Type::Optional(inner), v) => matches!(
            (&**inner, v),
            (_, Value::None)
                | (Type::Int, Value::Int(_))
                | (Type::String, Value::String(_))
                | (Type::File, Value::File(_))
        ),
        _ => false,
    };
    a.iter().all(probe)
}

fn to_struct<'a>(
    st: &Arc<StructType>,
    entries: impl Iterator<Item = (String, &'a Value)>,
) -> Result<Value, String> {
    let mut given: IndexMap<String, &Value> = entries.collect();
    let mut members = Members::new();
    for (name, ty) in &st.members {
        let v = match given.shift_remove(name.as_str()) {
            Some(v) => {
                coerce(v, ty).map_err(|e| format!("member `{name}` of struct {}: {e}", st.name))?
            }
            None if ty.is_optional() => Value::None,
            None => return Err(format!("struct {} needs member `{name}`", st.name)),
        };
        members.insert(name.as_str().into(), v);
    }
    if let Some((extra, _)) = given.first() {
        return Err(format!("struct {} has no member `{extra}`", st.name));
    }
    Ok(Value::Struct(st.clone(), Arc::new(members)))
}

/// Reads a JSON value (from inputs.json or `read_json`) as a value of type `ty`.
pub fn from_json(j: &Json, ty: &Type) -> Result<Value, String> {
    convert_json(j, ty, &mut None)
}

/// Reads an inputs file's value as Cromwell does where the spec would refuse it (WARP's test
/// inputs rely on it): `"true"`/`"false"` in any case for a Boolean, an integral number such as
/// `2.0` for an Int, File and Directory paths with surrounding whitespace (trimmed), struct
/// members the struct does not declare (ignored). Each such reading is added to `notes` ("`.x`:
/// what was done"), for a warning.
pub fn from_input_json(j: &Json, ty: &Type, notes: &mut Vec<String>) -> Result<Value, String> {
    let mut lenient = Some(Lenient {
        notes,
        at: String::new(),
    });
    convert_json(j, ty, &mut lenient)
}

/// Where a lenient reading is and what it has noted so far.
struct Lenient<'n> {
    notes: &'n mut Vec<String>,
    /// The path inside the value (`.member[2]`).
    at: String,
}

impl Lenient<'_> {
    fn note(&mut self, what: String) {
        let at = if self.at.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.at)
        };
        self.notes.push(format!("{at}{what}"));
    }
}

/// `from_json` one level down (`.member`, `[i]`), the path kept for notes.
fn convert_inner(
    j: &Json,
    ty: &Type,
    lenient: &mut Option<Lenient<'_>>,
    step: impl Fn() -> String,
) -> Result<Value, String> {
    let Some(l) = lenient else {
        return convert_json(j, ty, lenient);
    };
    let len = l.at.len();
    l.at.push_str(&step());
    let r = convert_json(j, ty, lenient);
    if let Some(l) = lenient {
        l.at.truncate(len);
    }
    r
}

fn convert_json(j: &Json, ty: &Type, lenient: &mut Option<Lenient<'_>>) -> Result<Value, String> {
    if let Some(l) = lenient {
        match (ty.required(), j) {
            (Type::Boolean, Json::String(s))
                if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
            {
                l.note(format!(
                    "the String {s:?} read as a Boolean (as Cromwell does)"
                ));
                return Ok(Value::Bool(s.eq_ignore_ascii_case("true")));
            }
            (Type::Int, Json::Number(n))
                if n.as_i64().is_none()
                    && n.as_f64()
                        .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.2e18) =>
            {
                l.note(format!("{n} read as an Int (as Cromwell does)"));
                return Ok(Value::Int(n.as_f64().unwrap_or_default() as i64));
            }
            (Type::File | Type::Directory, Json::String(s)) if s.trim() != s => {
                l.note(format!(
                    "the path {s:?} read without its surrounding whitespace (as Cromwell does)"
                ));
                let t = s.trim();
                return Ok(if matches!(ty.required(), Type::File) {
                    Value::File(t.into())
                } else {
                    Value::Directory(t.into())
                });
            }
            _ => {}
        }
    }
    match (ty, j) {
        (Type::Optional(_) | Type::Any, Json::Null) => Ok(Value::None),
        (Type::Optional(inner), _) => convert_json(j, inner, lenient),
        (_, Json::Null) => Err(format!("null where a value of type {ty} is required")),
        (Type::Any, _) => Ok(json_to_value(j)),
        (Type::Boolean, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Int, Json::Number(n)) => n
            .as_i64()
            .map(Value::Int)
            .ok_or_else(|| format!("{n} is not an Int")),
        (Type::Float, Json::Number(n)) => n
            .as_f64()
            .map(Value::Float)
            .ok_or_else(|| format!("{n} is not a Float")),
        (Type::String, Json::String(s)) => Ok(Value::string(s.as_str())),
        (Type::File, Json::String(s)) => Ok(Value::File(s.as_str().into())),
        (Type::Directory, Json::String(s)) => Ok(Value::Directory(s.as_str().into())),
        (Type::Enum(e), Json::String(s)) => enum_choice(e, s),
        (Type::Array(t, ne), Json::Array(a)) => {
            if *ne && a.is_empty() {
                return Err(format!("an empty array where {ty} (non-empty) is required"));
            }
            let mut out = Vec::with_capacity(a.len());
            for (i, e) in a.iter().enumerate() {
                out.push(
                    convert_inner(e, t, lenient, || format!("[{i}]"))
                        .map_err(|m| format!("[{i}]: {m}"))?,
                );
            }
            Ok(Value::array(out))
        }
        (Type::Map(kt, vt), Json::Object(o)) => {
            let mut out = Vec::with_capacity(o.len());
            for (k, v) in o {
                let key = coerce_str_key(k, kt)?;
                let v = convert_inner(v, vt, lenient, || format!("[{k:?}]"))
                    .map_err(|m| format!("[{k:?}]: {m}"))?;
                out.push((key, v));
            }
            Ok(Value::Map(Arc::new(out.into_iter().collect())))
        }
        (Type::Pair(lt, rt), Json::Object(o)) => match (o.get("left"), o.get("right")) {
            (Some(l), Some(r)) if o.len() == 2 => Ok(Value::Pair(Arc::new((
                convert_inner(l, lt, lenient, || ".left".into())?,
                convert_inner(r, rt, lenient, || ".right".into())?,
            )))),
            _ => Err("a Pair is written as {\"left\": ..., \"right\": ...}".into()),
        },
        (Type::Object, Json::Object(o)) => Ok(Value::Object(Arc::new(
            o.iter()
                .map(|(k, v)| (k.as_str().into(), json_to_value(v)))
                .collect(),
        ))),
        (Type::Struct(st), Json::Object(o)) => {
            let mut members = Members::new();
            for (name, mt) in &st.members {
                let v = match o.get(name) {
                    Some(v) => convert_inner(v, mt, lenient, || format!(".{name}"))
                        .map_err(|m| format!(".{name}: {m}"))?,
                    None if mt.is_optional() => Value::None,
                    None => return Err(format!("struct {} needs member `{name}`", st.name)),
                };
                members.insert(name.as_str().into(), v);
            }
            let extra: Vec<&String> = o.keys().filter(|k| !st.members.contains_key(*k)).collect();
            match (extra.first(), lenient) {
                (None, _) => {}
                (Some(_), Some(l)) => l.note(format!(
                    "struct {} has no member {}: ignored (as Cromwell does)",
                    st.name,
                    extra
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                (Some(k), None) => {
                    return Err(format!("struct {} has no member `{k}`", st.name));
                }
            }
            Ok(Value::Struct(st.clone(), Arc::new(members)))
        }
        (Type::String, Json::Number(n)) => Ok(Value::string(n.to_string())),
        (Type::Float, Json::String(s)) => parse_float(s).map(Value::Float),
        (Type::Int, Json::String(s)) => s
            .parse()
            .map(Value::Int)
            .map_err(|_| format!("{s:?} is not an Int")),
        _ => Err(format!("{j} is not a valid {ty}")),
    }
}

/// The choice of `e` named `name`.
fn enum_choice(e: &Arc<EnumType>, name: &str) -> Result<Value, String> {
    match e.choice(name) {
        Some(i) => Ok(Value::Enum(e.clone(), i)),
        None => Err(format!(
            "{name:?} is not a choice of enumeration {} ({})",
            e.name,
            e.choices
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn coerce_str_key(k: &str, kt: &Type) -> Result<Value, String> {
    match kt.required() {
        Type::Int => k
            .parse()
            .map(Value::Int)
            .map_err(|_| format!("map key {k:?} is not an Int")),
        Type::Float => k
            .parse()
            .map(Value::Float)
            .map_err(|_| format!("map key {k:?} is not a Float")),
        Type::Boolean => k
            .parse()
            .map(Value::Bool)
            .map_err(|_| format!("map key {k:?} is not a Boolean")),
        Type::File => Ok(Value::File(k.into())),
        Type::Directory => Ok(Value::Directory(k.into())),
        _ => Ok(Value::string(k)),
    }
}

/// A JSON value without a declared type (`read_json`, `Object` members).
pub fn json_to_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::None,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::string(s.as_str()),
        Json::Array(a) => Value::array(a.iter().map(json_to_value).collect()),
        Json::Object(o) => Value::Object(Arc::new(
            o.iter()
                .map(|(k, v)| (k.as_str().into(), json_to_value(v)))
                .collect(),
        )),
    }
}
