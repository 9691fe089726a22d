//! Expression evaluation.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_wdl::ir::{BinaryOp, Expr, Placeholder, StrPart, UnaryOp, Version};
use indexmap::IndexMap;

use crate::stdlib;
use crate::value::{Members, Value, coerce};

/// Where names are looked up.
pub trait Scope {
    fn lookup(&self, name: &str) -> Option<Value>;
}

impl Scope for IndexMap<Arc<str>, Value> {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }
}

impl Scope for std::collections::HashMap<Arc<str>, Value> {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }
}

/// Where the file functions of the standard library read and write.
#[derive(Clone, Debug)]
pub struct Io {
    /// Relative paths resolve against this directory (a task's working directory).
    pub base_dir: Option<PathBuf>,
    /// `write_*` functions create their files here.
    pub write_dir: PathBuf,
    pub stdout: Option<PathBuf>,
    pub stderr: Option<PathBuf>,
    pub version: Version,
    /// Called before a file's bytes are read: a remote job's output may be a stub here until
    /// it is fetched (`ferry_storage::remote`).
    pub make_readable: Option<MakeReadable>,
    /// Fetches a File value that is a URL (`s3://`, `https://`, `gs://`, `az://`) to a local
    /// file for `read_*` (the workflow's own `read_string(url)`); `None`: URLs are refused.
    pub fetch_url: Option<FetchUrl>,
    /// A stub run (`--profile stub`): the `read_*` functions read an empty file (every stubbed
    /// call's File outputs are empty) as a placeholder of their type, one line or row for the
    /// functions that return arrays, so what the workflow computes from them keeps going.
    pub stub: bool,
    /// What host files the `read_*` functions and `size` may read (`access.rs`).
    pub access: crate::access::ReadPolicy,
}

/// Makes a file's bytes readable, or says why it cannot.
pub type MakeReadableFn = dyn Fn(&Path) -> Result<(), String> + Send + Sync;

/// Fetches a URL to a local file, or says why it cannot.
pub type FetchUrlFn = dyn Fn(&str) -> Result<PathBuf, String> + Send + Sync;

/// See [`Io::fetch_url`].
#[derive(Clone)]
pub struct FetchUrl(pub Arc<FetchUrlFn>);

impl std::fmt::Debug for FetchUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FetchUrl")
    }
}

/// See [`Io::make_readable`].
#[derive(Clone)]
pub struct MakeReadable(pub Arc<MakeReadableFn>);

impl std::fmt::Debug for MakeReadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MakeReadable")
    }
}

impl Io {
    pub fn new(write_dir: PathBuf, version: Version) -> Io {
        Io {
            base_dir: None,
            write_dir,
            stdout: None,
            stderr: None,
            version,
            make_readable: None,
            fetch_url: None,
            stub: false,
            access: Default::default(),
        }
    }

    /// The host path a File value names.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        match &self.base_dir {
            Some(base) if p.is_relative() => base.join(p),
            _ => p.to_path_buf(),
        }
    }
}

pub type EvalResult = Result<Value, String>;

pub struct Evaluator<'a> {
    pub scope: &'a dyn Scope,
    pub io: &'a Io,
}

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a dyn Scope, io: &'a Io) -> Self {
        Evaluator { scope, io }
    }

    pub fn eval(&self, e: &Expr) -> EvalResult {
        Ok(match e {
            Expr::None => Value::None,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(parts) => Value::String(self.interpolate(parts)?.into()),
            Expr::Name(n) => self
                .scope
                .lookup(n)
                .ok_or_else(|| format!("`{n}` has no value here"))?,
            Expr::Array(items) => Value::array(
                items
                    .iter()
                    .map(|e| self.eval(e))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Pair(p) => Value::Pair(Arc::new((self.eval(&p.0)?, self.eval(&p.1)?))),
            Expr::Map(items) => {
                let mut m = IndexMap::with_capacity(items.len());
                for (k, v) in items {
                    m.insert(self.eval(k)?, self.eval(v)?);
                }
                Value::Map(Arc::new(m))
            }
            Expr::Object(items) => {
                let mut m = Members::with_capacity(items.len());
                for (k, v) in items {
                    m.insert(k.clone(), self.eval(v)?);
                }
                Value::Object(Arc::new(m))
            }
            Expr::Struct(st, items) => {
                let mut m = Members::with_capacity(items.len());
                for (k, v) in items {
                    m.insert(k.clone(), self.eval(v)?);
                }
                coerce(
                    &Value::Object(Arc::new(m)),
                    &ferry_wdl::ir::Type::Struct(st.clone()),
                )?
            }
            Expr::If(b) => match self.eval(&b.0)? {
                Value::Bool(true) => self.eval(&b.1)?,
                Value::Bool(false) => self.eval(&b.2)?,
                v => return Err(format!("`if` needs a Boolean, not a {}", v.type_name())),
            },
            Expr::Unary(op, x) => match (op, self.eval(x)?) {
                (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
                (UnaryOp::Neg, Value::Int(i)) => Value::Int(
                    i.checked_neg()
                        .ok_or_else(|| "integer overflow in negation".to_string())?,
                ),
                (UnaryOp::Neg, Value::Float(f)) => Value::Float(-f),
                (op, v) => return Err(format!("cannot apply {op:?} to a {}", v.type_name())),
            },
            Expr::Binary(op, b) => self.binary(*op, &b.0, &b.1)?,
            Expr::Apply(name, args) => {
                let values = args
                    .iter()
                    .map(|a| self.eval(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let built =
                    stdlib::call(name, values, self.io).map_err(|e| format!("{name}(): {e}"))?;
                stdlib::check_built(&built).map_err(|e| format!("{name}(): {e}"))?;
                built
            }
            Expr::Index(b) => {
                let target = self.eval(&b.0)?;
                let index = self.eval(&b.1)?;
                match (&target, &index) {
                    // A stub run's arrays stand for data it does not have: as long as the code
                    // indexes (`gvcf_paths[1]` of a one-element stub is its last element).
                    (Value::Array(a), Value::Int(i))
                        if self.io.stub && !a.is_empty() && *i >= a.len() as i64 =>
                    {
                        a[a.len() - 1].clone()
                    }
                    _ => index_value(&target, &index)?,
                }
            }
            Expr::Access(target, member) => access(&self.eval(target)?, member)?,
            Expr::EnumChoice(e, i) => Value::Enum(e.clone(), *i),
        })
    }

    fn binary(&self, op: BinaryOp, a: &Expr, b: &Expr) -> EvalResult {
        use Value::*;
        // `Boolean?` operands type-check only under --lenient-optionals / --compat cromwell;
        // like Cromwell, a defined one is used and None is an error.
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = match self.eval(a)? {
                    Bool(l) => l,
                    v => return Err(not_boolean(op, &v)),
                };
                if (op == BinaryOp::And && !l) || (op == BinaryOp::Or && l) {
                    return Ok(Bool(l));
                }
                return match self.eval(b)? {
                    Bool(r) => Ok(Bool(r)),
                    v => Err(not_boolean(op, &v)),
                };
            }
            _ => {}
        }
        let l = self.eval(a)?;
        let r = self.eval(b)?;
        binary_values(op, &l, &r)
    }

    /// Renders a string literal with placeholders.
    pub fn interpolate(&self, parts: &[StrPart]) -> Result<String, String> {
        let mut out = String::new();
        for p in parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Placeholder(p) => match self.eval(&p.expr) {
                    // An option that does not fit the value is an error in every version.
                    Ok(v) => {
                        out.push_str(&render_placeholder(p, &v)?);
                        if out.len() as u128 > stdlib::MAX_TEXT_BYTES {
                            return Err(format!(
                                "the string would hold over {} bytes; Ferry's limit for one value",
                                stdlib::MAX_TEXT_BYTES
                            ));
                        }
                    }
                    // WDL 1.2: a placeholder whose expression fails renders as empty.
                    Err(_) if self.io.version >= Version::V1_2 => {
                        out.push_str(p.default.as_deref().unwrap_or(""))
                    }
                    Err(e) => return Err(e),
                },
            }
        }
        Ok(out)
    }
}

/// Set for a run with `--compat cromwell`: evaluation follows Cromwell where the spec differs
/// and the checker let the document through on that account.
pub static CROMWELL_COMPAT: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

pub fn render_placeholder(p: &Placeholder, v: &Value) -> Result<String, String> {
    if v.is_none() {
        return Ok(p.default.clone().unwrap_or_default());
    }
    if let Some(sep) = &p.sep {
        return match v {
            Value::Array(a) => {
                let items = a
                    .iter()
                    .map(|e| e.render())
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(items.join(sep))
            }
            // `--compat cromwell`: as Cromwell does, a single value is rendered as it is.
            other if CROMWELL_COMPAT.load(std::sync::atomic::Ordering::Relaxed) => other.render(),
            other => Err(format!("`sep` needs an Array, not a {}", other.type_name())),
        };
    }
    if let Some((t, f)) = &p.true_false {
        return match v {
            Value::Bool(b) => Ok(if *b { t.clone() } else { f.clone() }),
            other => Err(format!(
                "`true/false` needs a Boolean, not a {}",
                other.type_name()
            )),
        };
    }
    v.render()
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// WDL has no infinite or NaN Float (JSON cannot carry one): an operation that would make one
/// is an error, not a `null` in the outputs.
fn finite(f: f64, op: BinaryOp) -> EvalResult {
    if f.is_finite() {
        Ok(Value::Float(f))
    } else {
        Err(format!(
            "`{op:?}` gives {f}, not a finite Float (division by zero or overflow)"
        ))
    }
}

pub fn binary_values(op: BinaryOp, l: &Value, r: &Value) -> EvalResult {
    use Value::*;
    let overflow = || format!("integer overflow in {op:?}");
    Ok(match op {
        BinaryOp::Eq => Bool(l == r),
        BinaryOp::Ne => Bool(l != r),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ord = compare(l, r)?;
            Bool(match op {
                BinaryOp::Lt => ord == Ordering::Less,
                BinaryOp::Le => ord != Ordering::Greater,
                BinaryOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
        BinaryOp::Add if stdlib::text_len(l) + stdlib::text_len(r) > stdlib::MAX_TEXT_BYTES => {
            Err(format!(
                "`+` would build {} bytes of text; Ferry's limit for one value is {}",
                stdlib::text_len(l) + stdlib::text_len(r),
                stdlib::MAX_TEXT_BYTES
            ))?
        }
        BinaryOp::Add => match (l, r) {
            (Int(a), Int(b)) => Int(a.checked_add(*b).ok_or_else(overflow)?),
            (String(a), b) if !b.is_none() => String(format!("{a}{}", b.render()?).into()),
            (File(a), b) if !b.is_none() => File(format!("{a}{}", b.render()?).into()),
            (a, String(b)) if !a.is_none() => String(format!("{}{b}", a.render()?).into()),
            (a, File(b)) if !a.is_none() => File(format!("{}{b}", a.render()?).into()),
            // In a placeholder, `"a" + x` with `x` None makes the whole placeholder None.
            (None, _) | (_, None) => None,
            _ => {
                let (a, b) = arith(l, r, op)?;
                finite(a + b, op)?
            }
        },
        BinaryOp::Sub => match (l, r) {
            (Int(a), Int(b)) => Int(a.checked_sub(*b).ok_or_else(overflow)?),
            _ => {
                let (a, b) = arith(l, r, op)?;
                finite(a - b, op)?
            }
        },
        BinaryOp::Mul => match (l, r) {
            (Int(a), Int(b)) => Int(a.checked_mul(*b).ok_or_else(overflow)?),
            _ => {
                let (a, b) = arith(l, r, op)?;
                finite(a * b, op)?
            }
        },
        BinaryOp::Div => match (l, r) {
            (Int(_), Int(0)) => return Err("division by zero".into()),
            (Int(a), Int(b)) => Int(a.checked_div(*b).ok_or_else(overflow)?),
            _ => {
                let (a, b) = arith(l, r, op)?;
                finite(a / b, op)?
            }
        },
        BinaryOp::Mod => match (l, r) {
            (Int(_), Int(0)) => return Err("modulo by zero".into()),
            (Int(a), Int(b)) => Int(a.checked_rem(*b).ok_or_else(overflow)?),
            _ => {
                let (a, b) = arith(l, r, op)?;
                finite(a % b, op)?
            }
        },
        BinaryOp::Pow => match (l, r) {
            (Int(a), Int(b)) if *b >= 0 => Int(u32::try_from(*b)
                .ok()
                .and_then(|b| a.checked_pow(b))
                .ok_or_else(overflow)?),
            _ => {
                let (a, b) = arith(l, r, op)?;
                finite(a.powf(b), op)?
            }
        },
        BinaryOp::And | BinaryOp::Or => match (l, r) {
            (Bool(a), Bool(b)) => Bool(if op == BinaryOp::And {
                *a && *b
            } else {
                *a || *b
            }),
            (Bool(_), v) | (v, _) => return Err(not_boolean(op, v)),
        },
    })
}

/// The error for an operand of `&&` or `||` that is not a Boolean (an optional without a value,
/// under the lenient modes).
fn not_boolean(op: BinaryOp, v: &Value) -> String {
    let symbol = if op == BinaryOp::And { "&&" } else { "||" };
    match v {
        Value::None => {
            format!("`{symbol}` needs Booleans; an operand is an optional with no value (None)")
        }
        v => format!("`{symbol}` needs Booleans, not a {}", v.type_name()),
    }
}

fn arith(l: &Value, r: &Value, op: BinaryOp) -> Result<(f64, f64), String> {
    match (num(l), num(r)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(format!(
            "cannot apply {op:?} to {} and {}",
            l.type_name(),
            r.type_name()
        )),
    }
}

pub fn compare(l: &Value, r: &Value) -> Result<Ordering, String> {
    match (l, r) {
        (Value::Int(a), Value::Int(b)) => Ok(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Ok(a.cmp(b)),
        (a, b) if num(a).is_some() && num(b).is_some() => num(a)
            .unwrap_or_default()
            .partial_cmp(&num(b).unwrap_or_default())
            .ok_or_else(|| "cannot compare NaN".to_string()),
        (a, b) => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => Ok(x.cmp(y)),
            _ => Err(format!(
                "cannot compare {} with {}",
                a.type_name(),
                b.type_name()
            )),
        },
    }
}

pub fn index_value(target: &Value, index: &Value) -> EvalResult {
    match (target, index) {
        (Value::Array(a), Value::Int(i)) => usize::try_from(*i)
            .ok()
            .and_then(|i| a.get(i))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "index {i} is out of bounds for an array of length {}",
                    a.len()
                )
            }),
        (Value::Map(m), k) => m.get(k).cloned().ok_or_else(|| {
            format!(
                "key {} is not in the map",
                k.render().unwrap_or_else(|_| "?".into())
            )
        }),
        (Value::Object(m) | Value::Struct(_, m) | Value::Call(m), Value::String(k)) => {
            m.get(k).cloned().ok_or_else(|| format!("no member `{k}`"))
        }
        (t, i) => Err(format!(
            "cannot index a {} with a {}",
            t.type_name(),
            i.type_name()
        )),
    }
}

pub fn access(target: &Value, member: &str) -> EvalResult {
    match target {
        Value::Pair(p) if member == "left" => Ok(p.0.clone()),
        Value::Pair(p) if member == "right" => Ok(p.1.clone()),
        Value::Object(m) | Value::Struct(_, m) | Value::Call(m) => m
            .get(member)
            .cloned()
            .ok_or_else(|| format!("no member `{member}`")),
        Value::Map(m) => m
            .get(&Value::string(member))
            .cloned()
            .ok_or_else(|| format!("no key `{member}`")),
        v => Err(format!("a {} has no member `{member}`", v.type_name())),
    }
}
