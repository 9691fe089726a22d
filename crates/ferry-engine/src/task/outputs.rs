//! A finished attempt's outputs: evaluated against its working directory, every path checked to
//! stay within the attempt or its inputs, and placeholders for stub runs.

use super::*;

pub(crate) fn check_output_path(
    path: &Path,
    work_dir: &Path,
    inputs: &[PathBuf],
) -> Result<(), String> {
    let canon = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // The attempt directory: the working directory, stdout/stderr and `write_*` files.
    let attempt_dir = work_dir.parent().unwrap_or(work_dir);
    let work = attempt_dir
        .canonicalize()
        .unwrap_or_else(|_| attempt_dir.to_path_buf());
    if canon.starts_with(&work) {
        return Ok(());
    }
    for i in inputs {
        let ic = i.canonicalize().unwrap_or_else(|_| i.clone());
        if canon == ic || canon.starts_with(&ic) {
            return Ok(());
        }
    }
    Err(format!(
        "{} is outside the task's working directory and is not one of its inputs",
        path.display()
    ))
}

/// The links inside a Directory output (walked without following any, `ferry_storage::tree`):
/// one to a file outside the directory must stay within what the task may publish (its attempt
/// directory, its inputs); a dangling one or one to a directory elsewhere fails the task,
/// named.
pub(crate) fn check_directory_links(
    dir: &Path,
    work_dir: &Path,
    inputs: &[PathBuf],
) -> Result<(), String> {
    use ferry_storage::tree::{EntryKind, LinkTarget, entries};
    let found = entries(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in found {
        let link = dir.join(&entry.rel);
        match entry.kind {
            EntryKind::Link(LinkTarget::Refused(why)) => {
                return Err(format!("link {} {why}", link.display()));
            }
            EntryKind::Link(LinkTarget::OutsideFile(target)) => {
                check_output_path(&target, work_dir, inputs)
                    .map_err(|m| format!("link {} points outside: {m}", link.display()))?;
            }
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn evaluate_outputs(
    job: &CallJob,
    p: &Prepared,
    io: &Io,
    work_dir: &Path,
    rc: i32,
    attempt: u32,
    attempt_id: &str,
) -> Result<Members, String> {
    let task = &job.task;
    let mut scope = OutputScope {
        task: (task.version >= Version::V1_2)
            .then(|| task_object(task, p, attempt, Some(rc), attempt_id)),
        outputs: Members::new(),
        before: &p.scope,
    };
    for d in &task.outputs {
        let Some(e) = &d.expr else { continue };
        let v = Evaluator::new(&scope, io)
            .eval(e)
            .map_err(|m| format!("{}: output `{}`: {m}", d.location, d.name))?;
        let v =
            coerce(&v, &d.ty).map_err(|m| format!("{}: output `{}`: {m}", d.location, d.name))?;
        let v = resolve_output_files(&v, &d.ty, work_dir, &p.inputs)
            .map_err(|m| format!("{}: output `{}`: {m}", d.location, d.name))?;
        scope.outputs.insert(d.name.clone(), v);
    }
    Ok(scope.outputs)
}

/// What output expressions see: the outputs so far, the `task` object (WDL 1.2), then the
/// task's inputs and private declarations, without copying those per attempt.
pub(crate) struct OutputScope<'a> {
    pub(crate) task: Option<Value>,
    pub(crate) outputs: Members,
    pub(crate) before: &'a HashMap<Arc<str>, Value>,
}

impl ferry_eval::eval::Scope for OutputScope<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.outputs.get(name) {
            return Some(v.clone());
        }
        match &self.task {
            Some(t) if name == "task" => Some(t.clone()),
            _ => self.before.get(name).cloned(),
        }
    }
}

/// Makes output paths absolute and checks they exist and belong to the task. A missing file is
/// an error, unless its declared type is optional, in which case it becomes None.
pub(crate) fn resolve_output_files(
    v: &Value,
    ty: &Type,
    work_dir: &Path,
    inputs: &[PathBuf],
) -> Result<Value, String> {
    match (v, ty.required()) {
        (Value::File(p), _) => resolve_output_path(p, false, ty, work_dir, inputs),
        (Value::Directory(p), _) => resolve_output_path(p, true, ty, work_dir, inputs),
        (Value::Array(a), Type::Array(t, _)) => Ok(Value::array(
            a.iter()
                .map(|e| resolve_output_files(e, t, work_dir, inputs))
                .collect::<Result<_, _>>()?,
        )),
        (Value::Pair(pr), Type::Pair(l, r)) => Ok(Value::Pair(Arc::new((
            resolve_output_files(&pr.0, l, work_dir, inputs)?,
            resolve_output_files(&pr.1, r, work_dir, inputs)?,
        )))),
        (Value::Map(m), Type::Map(kt, vt)) => Ok(Value::Map(Arc::new(
            m.iter()
                .map(|(k, v)| {
                    Ok((
                        resolve_output_files(k, kt, work_dir, inputs)?,
                        resolve_output_files(v, vt, work_dir, inputs)?,
                    ))
                })
                .collect::<Result<_, String>>()?,
        ))),
        (Value::Struct(st, m), Type::Struct(_)) => Ok(Value::Struct(
            st.clone(),
            Arc::new(
                m.iter()
                    .map(|(k, v)| {
                        let mt = st.members.get(&**k).cloned().unwrap_or(Type::Any);
                        Ok((k.clone(), resolve_output_files(v, &mt, work_dir, inputs)?))
                    })
                    .collect::<Result<_, String>>()?,
            ),
        )),
        _ => Ok(v.clone()),
    }
}

pub(crate) fn resolve_output_path(
    p: &str,
    is_dir: bool,
    ty: &Type,
    work_dir: &Path,
    inputs: &[PathBuf],
) -> Result<Value, String> {
    // A streamed input passed through: its URL, in Ferry's spelling (a task saw an S3 URL
    // behind a plain-http endpoint as htslib's `s3+http://`).
    if ferry_storage::scheme_of(p) != "file" {
        let url: Arc<str> = match p.strip_prefix("s3+http://") {
            Some(rest) => format!("s3://{rest}").into(),
            None => p.into(),
        };
        return Ok(if is_dir {
            Value::Directory(url)
        } else {
            Value::File(url)
        });
    }
    let path = if Path::new(p).is_absolute() {
        PathBuf::from(p)
    } else {
        work_dir.join(p)
    };
    let exists = if is_dir {
        path.is_dir()
    } else {
        path.is_file()
    };
    if !exists {
        if ty.is_optional() {
            return Ok(Value::None);
        }
        return Err(format!("{} does not exist", path.display()));
    }
    check_output_path(&path, work_dir, inputs)?;
    if is_dir {
        check_directory_links(&path, work_dir, inputs)?;
    }
    let s: Arc<str> = path.display().to_string().into();
    Ok(if is_dir {
        Value::Directory(s)
    } else {
        Value::File(s)
    })
}

/// Stub mode: no command runs; each output gets a placeholder of its type (empty files for
/// File outputs, `array_len` elements for arrays, a value for optionals), so a large workflow's
/// wiring can be checked in seconds and a scatter over a stubbed output still runs.
pub(crate) fn stub_outputs(
    job: &CallJob,
    p: &Prepared,
    attempt_dir: &Path,
    io: &Io,
    array_len: usize,
) -> Result<Members, String> {
    let work = attempt_dir.join("work");
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    std::fs::write(attempt_dir.join("command"), &p.command)
        .map_err(|e| format!("cannot write the command: {e}"))?;
    let mut out = Members::new();
    for d in &job.task.outputs {
        // A literal file name is kept, so that downstream globs and names still line up.
        let literal = match &d.expr {
            Some(e @ ferry_wdl::ir::Expr::Str(parts)) if parts.len() <= 1 => {
                Evaluator::new(&p.scope, io).eval(e).ok()
            }
            _ => None,
        };
        let stub = Stub {
            work: &work,
            array_len,
        };
        let v = stub.value(&d.ty, &d.name, literal.as_ref().and_then(|v| v.as_str()))?;
        out.insert(d.name.clone(), v);
    }
    Ok(out)
}

/// Where a stubbed call's placeholder files go, and how long its arrays are.
struct Stub<'a> {
    work: &'a Path,
    array_len: usize,
}

impl Stub<'_> {
    fn value(&self, ty: &Type, name: &str, literal: Option<&str>) -> Result<Value, String> {
        let work = self.work;
        Ok(match ty {
            // A value, not None: `if defined(x)` downstream takes the branch that does work.
            Type::Optional(inner) => self.value(inner, name, literal)?,
            Type::Boolean => Value::Bool(false),
            // 1, as `read_int` of a stubbed file: a count of 0 would empty the scatters over it.
            Type::Int => Value::Int(1),
            Type::Float => Value::Float(0.0),
            Type::String => Value::string(""),
            Type::File => {
                let path = work.join(literal.filter(|l| !l.contains('/')).unwrap_or(name));
                std::fs::write(&path, "")
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                Value::File(path.display().to_string().into())
            }
            Type::Directory => {
                let path = work.join(name);
                std::fs::create_dir_all(&path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                Value::Directory(path.display().to_string().into())
            }
            Type::Array(t, _) => Value::array(
                (0..self.array_len)
                    .map(|i| self.value(t, &format!("{name}_{i}"), None))
                    .collect::<Result<_, _>>()?,
            ),
            Type::Map(_, _) => Value::Map(Default::default()),
            Type::Pair(l, r) => Value::Pair(Arc::new((
                self.value(l, &format!("{name}_left"), None)?,
                self.value(r, &format!("{name}_right"), None)?,
            ))),
            Type::Object | Type::Any => Value::Object(Default::default()),
            Type::Enum(e) => Value::Enum(e.clone(), 0),
            Type::Struct(st) => {
                let mut m = Members::new();
                for (k, t) in &st.members {
                    m.insert(
                        k.as_str().into(),
                        self.value(t, &format!("{name}_{k}"), None)?,
                    );
                }
                Value::Struct(st.clone(), Arc::new(m))
            }
        })
    }
}

/// `path` below the run directory, as the journal names it.
pub(crate) fn relative(path: &Path, run_dir: &Path) -> String {
    path.strip_prefix(run_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Whether any of `values` holds a File or Directory.
pub(crate) fn has_paths<'a>(values: impl Iterator<Item = &'a Value>) -> bool {
    let mut found = false;
    for v in values {
        v.visit_paths(&mut |_, _| found = true);
    }
    found
}
