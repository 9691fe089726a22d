//! Running one task call: evaluate the task, run attempts on the executor, evaluate its outputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferry_config::Profile;
use ferry_eval::eval::render_placeholder;
use ferry_eval::{Evaluator, Io, Members, Value, coerce};
use ferry_exec::{AttemptOutcome, AttemptSpec, ExecError};
use ferry_storage::Kind;
use ferry_wdl::ir::{CommandPart, Decl, Task, Type, Version};
use futures_util::{StreamExt, TryStreamExt};

use crate::{Shared, callcache, journal};

/// Inputs and identity of one call of a task (one shard of a scatter, say).
pub struct CallJob {
    pub task: Arc<Task>,
    pub inputs: HashMap<Arc<str>, Value>,
    /// `call` or `sub.call[3]`, for messages.
    pub label: String,
    /// `RUN/calls/.../call[/shard-i/...]`: attempts go below it, as
    /// `{attempt_prefix}attempt-N`.
    pub call_dir: PathBuf,
    /// `shard-i.` for a call in a scatter (its innermost shard), else empty.
    pub attempt_prefix: String,
    /// This call name's progress counters.
    pub progress: Arc<crate::progress::CallCounters>,
}

/// Why a call did not produce outputs.
#[derive(Debug)]
pub enum CallError {
    Failed(String),
    Cancelled,
}

/// A task evaluated up to its command: what an executor needs.
struct Prepared {
    scope: HashMap<Arc<str>, Value>,
    command: String,
    cpu: f64,
    memory: u64,
    gpu: u32,
    /// Image candidates in order of preference (WDL 1.2 allows a list).
    containers: Vec<String>,
    return_codes: ReturnCodes,
    max_retries: u32,
    queue: Option<String>,
    time: Option<std::time::Duration>,
    cluster_options: Option<String>,
    env: Vec<(String, String)>,
    inputs: Vec<PathBuf>,
    /// `task.previous` (WDL 1.3): the previous attempt's resources, None on the first.
    previous: Value,
}

pub enum ReturnCodes {
    Any,
    Some(Vec<i64>),
}

impl ReturnCodes {
    fn ok(&self, code: i32) -> bool {
        match self {
            ReturnCodes::Any => true,
            ReturnCodes::Some(c) => c.contains(&(code as i64)),
        }
    }
}

/// Parses a memory amount: bytes as an Int, or a String such as "4 GiB", "512M", "2.5 GB".
pub fn parse_memory(v: &Value) -> Result<u64, String> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as u64),
        Value::Float(f) if *f >= 0.0 => Ok(*f as u64),
        Value::String(s) => ferry_config::parse_size(s),
        v => Err(format!(
            "memory must be an Int or a String like \"4 GiB\", not {v:?}"
        )),
    }
}

pub fn human_bytes(b: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// Evaluates declarations in dependency order (WDL allows any textual order), binding each.
/// The value an input takes from what a caller gave, if any. WDL 1.2.1: `None` given for a
/// non-optional input with a default takes the default; an optional one (`String? s = "x"`)
/// is None as given.
pub(crate) fn given_value<'v>(d: &Decl, given: Option<&'v Value>) -> Option<&'v Value> {
    given.filter(|v| !v.is_none() || d.expr.is_none() || d.ty.is_optional())
}

pub fn eval_decls(
    decls: &[&Decl],
    scope: &mut HashMap<Arc<str>, Value>,
    io: &Io,
    preset: &HashMap<Arc<str>, Value>,
) -> Result<(), String> {
    let names: Vec<&str> = decls.iter().map(|d| &*d.name).collect();
    let mut done = vec![false; decls.len()];
    loop {
        let mut progressed = false;
        for (i, d) in decls.iter().enumerate() {
            if done[i] {
                continue;
            }
            if let Some(v) = given_value(d, preset.get(&d.name)) {
                let v = coerce(v, &d.ty)
                    .map_err(|e| format!("{}: input `{}`: {e}", d.location, d.name))?;
                scope.insert(d.name.clone(), v);
                done[i] = true;
                progressed = true;
                continue;
            }
            let mut free = Vec::new();
            if let Some(e) = &d.expr {
                e.free_names(&mut free);
            }
            let waiting = free
                .iter()
                .any(|n| names.contains(&&**n) && **n != *d.name && !scope.contains_key(n));
            if waiting {
                continue;
            }
            let v = match &d.expr {
                Some(e) => {
                    let v = Evaluator::new(scope, io)
                        .eval(e)
                        .map_err(|m| format!("{}: `{}`: {m}", d.location, d.name))?;
                    coerce(&v, &d.ty).map_err(|m| format!("{}: `{}`: {m}", d.location, d.name))?
                }
                None if d.ty.is_optional() => Value::None,
                None => {
                    return Err(format!(
                        "{}: required input `{}` has no value",
                        d.location, d.name
                    ));
                }
            };
            scope.insert(d.name.clone(), v);
            done[i] = true;
            progressed = true;
        }
        if done.iter().all(|d| *d) {
            return Ok(());
        }
        if !progressed {
            let stuck: Vec<&str> = names
                .iter()
                .zip(&done)
                .filter(|(_, d)| !**d)
                .map(|(n, _)| *n)
                .collect();
            return Err(format!(
                "declarations depend on each other in a cycle: {}",
                stuck.join(", ")
            ));
        }
    }
}

fn requirement<'a>(reqs: &'a HashMap<&str, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| reqs.get(*n))
}

/// The `task` variable of WDL 1.3 requirements, runtime and hints sections: what is known
/// before the attempt's resources are (name, id, attempt, metadata and the previous attempt's
/// resources).
fn task_object_before(task: &Task, attempt: u32, id: &str, previous: &Value) -> Value {
    let mut m = Members::new();
    m.insert("name".into(), Value::string(&*task.name));
    m.insert("id".into(), Value::string(id));
    m.insert("attempt".into(), Value::Int(attempt as i64 - 1));
    m.insert("meta".into(), ferry_eval::value::json_to_value(&task.meta));
    m.insert(
        "parameter_meta".into(),
        ferry_eval::value::json_to_value(&task.parameter_meta),
    );
    m.insert("ext".into(), Value::Object(Default::default()));
    m.insert("previous".into(), previous_or_none(previous));
    Value::Object(Arc::new(m))
}

/// `task.previous` (WDL 1.3): the resources the previous attempt had; every member None on the
/// first attempt.
fn previous_or_none(previous: &Value) -> Value {
    if !previous.is_none() {
        return previous.clone();
    }
    let mut m = Members::new();
    for k in [
        "memory",
        "cpu",
        "container",
        "gpu",
        "fpga",
        "disks",
        "max_retries",
    ] {
        m.insert(k.into(), Value::None);
    }
    Value::Object(Arc::new(m))
}

/// The resources an attempt was given, as members of the `task` variable (and of
/// `task.previous`).
fn insert_resources(m: &mut Members, p: &Prepared) {
    m.insert(
        "container".into(),
        p.containers
            .first()
            .map(|c| Value::string(c.as_str()))
            .unwrap_or(Value::None),
    );
    m.insert("cpu".into(), Value::Float(p.cpu));
    m.insert("memory".into(), Value::Int(p.memory as i64));
    m.insert("gpu".into(), Value::array(Vec::new()));
    m.insert("fpga".into(), Value::array(Vec::new()));
    m.insert("disks".into(), Value::Map(Default::default()));
}

/// What the next attempt sees as `task.previous`.
fn previous_attempt(p: &Prepared) -> Value {
    let mut m = Members::new();
    insert_resources(&mut m, p);
    m.insert("max_retries".into(), Value::Int(p.max_retries as i64));
    Value::Object(Arc::new(m))
}

fn task_object(task: &Task, p: &Prepared, attempt: u32, rc: Option<i32>, id: &str) -> Value {
    let mut m = Members::new();
    m.insert("name".into(), Value::string(&*task.name));
    m.insert("id".into(), Value::string(id));
    insert_resources(&mut m, p);
    m.insert("attempt".into(), Value::Int(attempt as i64 - 1));
    m.insert("end_time".into(), Value::None);
    m.insert(
        "return_code".into(),
        rc.map(|c| Value::Int(c as i64)).unwrap_or(Value::None),
    );
    m.insert("meta".into(), ferry_eval::value::json_to_value(&task.meta));
    m.insert(
        "parameter_meta".into(),
        ferry_eval::value::json_to_value(&task.parameter_meta),
    );
    m.insert("ext".into(), Value::Object(Default::default()));
    if task.version >= Version::V1_3 {
        m.insert("max_retries".into(), Value::Int(p.max_retries as i64));
        m.insert("previous".into(), previous_or_none(&p.previous));
    }
    Value::Object(Arc::new(m))
}

/// What a task asks for once the profile's defaults, per-task overrides and clamps are applied.
pub struct Resources {
    pub cpu: f64,
    pub memory: u64,
    pub gpu: u32,
    /// Image candidates in order of preference; empty when the task names none.
    pub containers: Vec<String>,
    pub return_codes: ReturnCodes,
    pub max_retries: u32,
    pub queue: Option<String>,
    /// Cluster jobs' wall-time limit (per-task override, else the profile's).
    pub time: Option<std::time::Duration>,
    /// Per-task scheduler options (after the profile's own).
    pub cluster_options: Option<String>,
}

/// Reads runtime/requirements values. A per-task override in the profile wins over the WDL,
/// which wins over the profile's defaults; then `max_cpu`/`max_memory` clamp.
pub fn resolve_resources(
    reqs: &HashMap<&str, Value>,
    task: &Task,
    profile: &Profile,
) -> Result<Resources, String> {
    let o = profile.task_override(&task.name);
    let wdl_cpu = match requirement(reqs, &["cpu"]) {
        Some(Value::Int(i)) => Some(*i as f64),
        Some(Value::Float(f)) => Some(*f),
        Some(Value::String(s)) => Some(
            s.trim()
                .parse()
                .map_err(|_| format!("runtime cpu {s:?} is not a number"))?,
        ),
        _ => None,
    };
    let mut cpu = o.cpu.or(wdl_cpu).or(profile.cpu).unwrap_or(1.0);
    if !cpu.is_finite() || cpu <= 0.0 {
        return Err(format!("cpu {cpu} is not a positive number"));
    }
    if let Some(max) = profile.max_cpu {
        cpu = cpu.min(max);
    }
    let wdl_memory = match requirement(reqs, &["memory"]) {
        Some(v) => Some(parse_memory(v).map_err(|m| format!("runtime memory: {m}"))?),
        None => None,
    };
    let mut memory = o
        .memory
        .map(|m| m.bytes())
        .or(wdl_memory)
        .or(profile.memory)
        .unwrap_or(2 << 30);
    if let Some(max) = profile.max_memory {
        memory = memory.min(max);
    }
    let gpu = match requirement(reqs, &["gpu"]) {
        Some(Value::Bool(true)) => 1,
        Some(Value::Int(n)) => {
            u32::try_from(*n).map_err(|_| format!("gpu {n} is not a count of GPUs"))?
        }
        _ => 0,
    };
    let containers = match requirement(reqs, &["container", "docker"]) {
        Some(Value::String(s)) => vec![s.to_string()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str())
            .map(String::from)
            .collect(),
        _ => profile.default_image.clone().into_iter().collect(),
    };
    let return_codes = match requirement(reqs, &["returnCodes", "return_codes"]) {
        Some(Value::String(s)) if &**s == "*" => ReturnCodes::Any,
        Some(Value::Int(i)) => ReturnCodes::Some(vec![*i]),
        Some(Value::Array(a)) => ReturnCodes::Some(
            a.iter()
                .filter_map(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })
                .collect(),
        ),
        _ => ReturnCodes::Some(vec![0]),
    };
    let wdl_retries = match requirement(reqs, &["maxRetries", "max_retries"]) {
        Some(Value::Int(i)) if *i >= 0 => Some(*i as u32),
        _ => None,
    };
    Ok(Resources {
        cpu,
        memory,
        gpu,
        containers,
        return_codes,
        max_retries: o.retries.or(wdl_retries).or(profile.retries).unwrap_or(0),
        queue: o.queue.or_else(|| profile.queue.clone()),
        time: o
            .time
            .as_deref()
            .and_then(|t| ferry_config::parse_time(t).ok())
            .or(profile.time),
        cluster_options: o.cluster_options,
    })
}

fn prepare(
    job: &CallJob,
    attempt: u32,
    io: &Io,
    attempt_id: &str,
    profile: &Profile,
    oom_memory: Option<u64>,
    previous: &Value,
) -> Result<Prepared, String> {
    let task = &job.task;
    let mut scope: HashMap<Arc<str>, Value> = HashMap::new();
    let inputs: Vec<&Decl> = task.inputs.iter().collect();
    eval_decls(&inputs, &mut scope, io, &job.inputs)?;
    let decls: Vec<&Decl> = task.decls.iter().collect();
    eval_decls(&decls, &mut scope, io, &HashMap::new())?;

    // WDL 1.3: requirements may read `task` (attempt, previous resources...).
    if task.version >= Version::V1_3 {
        scope.insert(
            "task".into(),
            task_object_before(task, attempt, attempt_id, previous),
        );
    }
    let mut reqs: HashMap<&str, Value> = HashMap::new();
    for (name, e) in &task.requirements {
        let v = Evaluator::new(&scope, io)
            .eval(e)
            .map_err(|m| format!("{}: runtime `{name}`: {m}", task.location))?;
        reqs.insert(name, v);
    }
    // Overrides from the inputs (`wf.call.requirements.cpu`, `wf.call.runtime.cpu`).
    for (key, v) in &job.inputs {
        if let Some(name) = key
            .strip_prefix("requirements.")
            .or_else(|| key.strip_prefix("runtime."))
        {
            reqs.insert(name, v.clone());
        }
    }
    let mut r = resolve_resources(&reqs, task, profile)?;
    if let Some(m) = oom_memory {
        r.memory = r.memory.max(m);
    }
    let mut prepared = Prepared {
        scope,
        command: String::new(),
        cpu: r.cpu,
        memory: r.memory,
        gpu: r.gpu,
        containers: r.containers,
        return_codes: r.return_codes,
        max_retries: r.max_retries,
        queue: r.queue,
        time: r.time,
        cluster_options: r.cluster_options,
        env: Vec::new(),
        inputs: Vec::new(),
        previous: previous.clone(),
    };
    if task.version >= Version::V1_2 {
        let obj = task_object(task, &prepared, attempt, None, attempt_id);
        prepared.scope.insert("task".into(), obj);
    }
    for d in task.inputs.iter().chain(&task.decls).filter(|d| d.env) {
        if let Some(v) = prepared.scope.get(&d.name) {
            let text = match v {
                Value::Array(_) => serde_json::to_string(&v.to_json()).unwrap_or_default(),
                v => v.render().unwrap_or_default(),
            };
            prepared.env.push((d.name.to_string(), text));
        }
    }
    let mut inputs = Vec::new();
    for d in &task.inputs {
        if let Some(v) = prepared.scope.get(&d.name) {
            // Streamed inputs stay URLs: the task reads them itself, nothing to mount or stage.
            v.visit_paths(&mut |p, _| {
                if ferry_storage::scheme_of(p) == "file" {
                    inputs.push(PathBuf::from(&**p));
                }
            });
        }
    }
    prepared.inputs = inputs;
    let mut command = String::new();
    for part in &task.command {
        match part {
            CommandPart::Text(t) => command.push_str(t),
            CommandPart::Placeholder(p) => {
                let ev = Evaluator::new(&prepared.scope, io);
                let v = ev.eval(&p.expr).map_err(|m| {
                    format!("{}: command of task `{}`: {m}", task.location, task.name)
                })?;
                command.push_str(&render_placeholder(p, &v).map_err(|m| {
                    format!("{}: command of task `{}`: {m}", task.location, task.name)
                })?);
            }
        }
    }
    if !command.ends_with('\n') {
        command.push('\n');
    }
    prepared.command = command;
    Ok(prepared)
}

/// The last `n` lines of a file, for failure messages.
pub fn tail(path: &Path, n: usize) -> String {
    // Only the end of the file: a task's stderr may be gigabytes.
    const TAIL_BYTES: u64 = 64 << 10;
    let text = (|| -> std::io::Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(path)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
        let mut buf = Vec::new();
        f.take(TAIL_BYTES).read_to_end(&mut buf)?;
        Ok(buf)
    })()
    .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

fn check_output_path(path: &Path, work_dir: &Path, inputs: &[PathBuf]) -> Result<(), String> {
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
fn check_directory_links(dir: &Path, work_dir: &Path, inputs: &[PathBuf]) -> Result<(), String> {
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

fn evaluate_outputs(
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
struct OutputScope<'a> {
    task: Option<Value>,
    outputs: Members,
    before: &'a HashMap<Arc<str>, Value>,
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
fn resolve_output_files(
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

fn resolve_output_path(
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

/// Runs a call to completion: attempts with retries, then its outputs.
pub async fn run_call(job: CallJob, shared: Arc<Shared>) -> Result<Members, CallError> {
    let counters = job.progress.clone();
    counters.created.fetch_add(1, Ordering::Relaxed);
    let result = run_call_attempts(job, shared.clone()).await;
    match &result {
        Ok(outputs) => {
            shared.stamp_outputs(outputs);
            counters.done.fetch_add(1, Ordering::Relaxed);
        }
        Err(CallError::Failed(_)) => {
            counters.failed.fetch_add(1, Ordering::Relaxed);
        }
        Err(CallError::Cancelled) => {}
    }
    result
}

/// The inputs the task reads from their URL instead of a local copy: the WDL 1.2 input hint
/// `localizationOptional`, `localization_optional` in its parameter_meta (Cromwell's
/// convention), or the profile's `stream_inputs`.
fn streamed_inputs(task: &Task, profile: &Profile) -> Vec<String> {
    use ferry_wdl::ir::Expr;
    let flag = |k: &str| k == "localizationOptional" || k == "localization_optional";
    let mut names: Vec<String> = profile
        .task_override(&task.name)
        .stream_inputs
        .unwrap_or_default();
    if let Some(meta) = task.parameter_meta.as_object() {
        for (name, m) in meta {
            let flagged = m
                .as_object()
                .is_some_and(|o| o.iter().any(|(k, v)| flag(k) && v.as_bool() == Some(true)));
            if flagged {
                names.push(name.clone());
            }
        }
    }
    // hints { inputs: input { bam: hints { localizationOptional: true } } }
    for (hint, expr) in &task.hints {
        if &**hint != "inputs" {
            continue;
        }
        if let Expr::Object(items) = expr {
            for (name, h) in items {
                if let Expr::Object(hs) = h
                    && hs
                        .iter()
                        .any(|(k, v)| flag(k) && matches!(v, Expr::Bool(true)))
                {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

/// Replaces object-store URLs (`s3://`, `https://`) among the call's inputs with local copies
/// from the node's object cache, except for inputs the task streams: those keep their URL (in
/// the spelling the task's tools read) and the task gets what it needs to reach them.
async fn localize_inputs(
    job: &mut CallJob,
    shared: &Shared,
) -> Result<Option<Arc<ferry_exec::Streaming>>, String> {
    // Worked out only once a URL turns up: most calls (every shard of a local scatter) have none.
    let mut streamed: Option<Vec<String>> = None;
    let mut streaming = ferry_exec::Streaming::default();
    for (name, value) in job.inputs.iter_mut() {
        // A URL given as a String literal for a File input (`f = "s3://b/x"` in the call) is a
        // File only once coerced to the declared type, which `prepare` would do too late.
        if has_url_string(value)
            && let Some(d) = job.task.inputs.iter().find(|d| d.name == *name)
            && let Ok(coerced) = coerce(value, &d.ty)
        {
            *value = coerced;
        }
        let mut urls: Vec<(String, bool)> = Vec::new();
        value.visit_paths(&mut |p, is_dir| {
            if ferry_storage::scheme_of(p) != "file" {
                urls.push((p.to_string(), is_dir));
            }
        });
        if urls.is_empty() {
            continue;
        }
        let streamed = streamed.get_or_insert_with(|| streamed_inputs(&job.task, &shared.profile));
        if streamed.iter().any(|s| **s == **name) {
            let mut spelled: HashMap<String, String> = HashMap::new();
            for (url, _) in &urls {
                let access = shared
                    .storage
                    .stream_access(url)
                    .await
                    .map_err(|e| format!("input `{name}`: {e:#}"))?;
                add_unset(&mut streaming.env, access.env);
                add_unset(&mut streaming.secrets, access.secrets);
                streaming.urls.push(url.clone());
                spelled.insert(url.clone(), access.url);
            }
            *value = replace_paths(value, |p| spelled.get(p).map(|u| u.as_str().into()))?;
            continue;
        }
        if shared.executor.stages_urls() {
            // The job fetches them itself; the command sees the path it will fetch them to.
            *value = replace_paths(value, |p| {
                ferry_exec::remote_input_path(p)
                    .filter(|_| ferry_storage::scheme_of(p) != "file")
                    .map(Into::into)
            })?;
            continue;
        }
        let fetched: Vec<(String, PathBuf)> = futures_util::stream::iter(urls)
            .map(|(url, is_dir)| async move {
                let kind = if is_dir { Kind::Directory } else { Kind::File };
                shared
                    .storage
                    .localize(&url, kind, &shared.object_cache)
                    .await
                    .map(|p| (url, p))
                    .map_err(|e| format!("input `{name}`: {e:#}"))
            })
            .buffer_unordered(8)
            .try_collect()
            .await?;
        let local: HashMap<String, PathBuf> = fetched.into_iter().collect();
        *value = replace_paths(value, |p| {
            local.get(p).map(|l| l.display().to_string().into())
        })?;
    }
    if streaming.urls.is_empty() {
        return Ok(None);
    }
    tracing::info!(
        call = %job.label,
        "streams {} from the object store: the task gets its endpoint and credentials in its environment, and a container gets the network",
        streaming.urls.join(", ")
    );
    Ok(Some(Arc::new(streaming)))
}

/// `value` with every path that `to` maps replaced, each staying a File or a Directory.
fn replace_paths(value: &Value, to: impl Fn(&str) -> Option<Arc<str>>) -> Result<Value, String> {
    value.map_paths(&mut |p, is_dir| {
        let at = to(p).unwrap_or_else(|| p.into());
        Ok(if is_dir {
            Value::Directory(at)
        } else {
            Value::File(at)
        })
    })
}

/// Appends the variables of `more` that `env` does not set yet.
fn add_unset(env: &mut Vec<(String, String)>, more: Vec<(String, String)>) {
    for (k, v) in more {
        if !env.iter().any(|(have, _)| *have == k) {
            env.push((k, v));
        }
    }
}

/// Whether a String inside `v` looks like a URL.
fn has_url_string(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("://"),
        Value::Array(a) => a.iter().any(has_url_string),
        Value::Pair(p) => has_url_string(&p.0) || has_url_string(&p.1),
        Value::Map(m) => m
            .iter()
            .any(|(k, v)| has_url_string(k) || has_url_string(v)),
        Value::Object(m) | Value::Struct(_, m) => m.values().any(has_url_string),
        _ => false,
    }
}

/// What carries over from one attempt of a call to the next.
struct Retries {
    attempt: u32,
    /// The call-cache key to record the outputs under (found by the first attempt).
    cache_key: Option<String>,
    /// After an out-of-memory kill, what the next attempt asks for.
    oom_memory: Option<u64>,
    /// `task.previous` of the next attempt (WDL 1.3).
    previous: Value,
    /// Times the executor could not start an attempt for a passing reason
    /// (`ExecError::Transient`).
    transient_tries: u32,
}

/// One attempt's names and places.
struct Attempt {
    number: u32,
    dir: PathBuf,
    work_dir: PathBuf,
    /// How the journal names the attempt.
    journal_name: String,
    /// `label-N`, for `task.id`.
    id: String,
    label: String,
}

impl Attempt {
    fn new(job: &CallJob, shared: &Shared, number: u32) -> Attempt {
        let dir = job
            .call_dir
            .join(format!("{}attempt-{number}", job.attempt_prefix));
        Attempt {
            number,
            work_dir: dir.join("work"),
            journal_name: relative(&dir, &shared.run_dir),
            id: format!("{}-{number}", job.label),
            label: job.label.clone(),
            dir,
        }
    }

    /// A failure of this attempt, naming it and its directory.
    fn fail(&self, m: impl std::fmt::Display) -> CallError {
        CallError::Failed(format!(
            "call {} (attempt {}): {m}\n  attempt dir: {}",
            self.label,
            self.number,
            self.dir.display()
        ))
    }
}

/// What the attempt loop does after an attempt.
enum Next {
    Done(Members),
    /// The executor could not start it for a passing reason: the same attempt again.
    Again,
    /// It failed and may be retried.
    Retry,
}

async fn run_call_attempts(mut job: CallJob, shared: Arc<Shared>) -> Result<Members, CallError> {
    let streaming = if shared.profile.stub {
        None
    } else {
        localize_inputs(&mut job, &shared)
            .await
            .map_err(|m| CallError::Failed(format!("call {}: {m}", job.label)))?
    };
    let mut retries = Retries {
        attempt: 1,
        cache_key: None,
        oom_memory: None,
        previous: Value::None,
        transient_tries: 0,
    };
    loop {
        if shared.stopping() {
            return Err(CallError::Cancelled);
        }
        let at = Attempt::new(&job, &shared, retries.attempt);
        match run_attempt(&job, &shared, &streaming, &at, &mut retries).await? {
            Next::Done(outputs) => return Ok(outputs),
            Next::Again => {}
            Next::Retry => retries.attempt += 1,
        }
    }
}

/// One attempt: prepared, taken from the cache or an earlier run if it can be, else run by the
/// executor and its outputs evaluated.
async fn run_attempt(
    job: &CallJob,
    shared: &Shared,
    streaming: &Option<Arc<ferry_exec::Streaming>>,
    at: &Attempt,
    retries: &mut Retries,
) -> Result<Next, CallError> {
    let mut io = Io::new(at.dir.join("tmp"), job.task.version);
    io.base_dir = Some(at.work_dir.clone());
    io.fetch = shared.fetcher();
    // Whether an earlier run left this attempt behind (checked before `prepare`, whose
    // `write_*` calls create files in the attempt's tmp/). A fresh run cannot have any, and
    // the lookup costs a path walk per shard.
    let left_behind = shared.resuming && std::fs::symlink_metadata(&at.dir).is_ok();
    let prepared = prepare(
        job,
        at.number,
        &io,
        &at.id,
        &shared.profile,
        retries.oom_memory,
        &retries.previous,
    )
    .map_err(|m| at.fail(m))?;
    if shared.profile.stub {
        return stub_outputs(job, &prepared, &at.dir, &io)
            .map(Next::Done)
            .map_err(|m| at.fail(m));
    }
    let image = pin_image_within_capacity(job, &prepared, shared, at).await?;
    if at.number == 1 {
        let cache_image = image
            .as_deref()
            .or(prepared.containers.first().map(|c| c.as_str()));
        match from_cache(job, &prepared, cache_image, shared, at).await {
            Ok(outputs) => return Ok(Next::Done(outputs)),
            Err(key) => retries.cache_key = key,
        }
    }
    if left_behind
        && let Some(outputs) = from_earlier_run(job, &prepared, shared, at, &mut io).await?
    {
        record(shared, retries.cache_key.take(), job, &outputs);
        return Ok(Next::Done(outputs));
    }
    let spec = attempt_spec(job, &prepared, shared, at, image, streaming);
    let Some((outcome, started)) = execute(job, shared, &spec, at, retries).await? else {
        return Ok(Next::Again);
    };
    shared.journal.record(
        &journal::Entry {
            attempt_dir: &at.journal_name,
            task: &job.task.name,
            started,
            cpu: prepared.cpu,
            memory: prepared.memory,
        },
        &outcome,
    );
    if outcome.lost.is_none() && prepared.return_codes.ok(outcome.exit_code) {
        io.stdout = Some(spec.stdout.clone());
        io.stderr = Some(spec.stderr.clone());
        match evaluate_outputs(
            job,
            &prepared,
            &io,
            &at.work_dir,
            outcome.exit_code,
            at.number,
            &at.id,
        ) {
            Ok(outputs) => {
                record(shared, retries.cache_key.take(), job, &outputs);
                return Ok(Next::Done(outputs));
            }
            Err(m) if at.number > prepared.max_retries => return Err(at.fail(m)),
            Err(m) => tracing::warn!("call {} attempt {}: {m}; retrying", job.label, at.number),
        }
    } else {
        plan_retry(job, shared, &prepared, &spec, at, &outcome, retries)?;
    }
    retries.previous = previous_attempt(&prepared);
    Ok(Next::Retry)
}

/// The image the executor pins for the attempt (once per run and image: every shard gets the
/// same digest), after checking that what the attempt asks for fits here at all (before the
/// cache: a request that cannot run here fails the same with or without a cached result).
async fn pin_image_within_capacity(
    job: &CallJob,
    prepared: &Prepared,
    shared: &Shared,
    at: &Attempt,
) -> Result<Option<String>, CallError> {
    let image = match shared
        .executor
        .pin_image(&job.task.name, &prepared.containers)
        .await
    {
        Ok(image) => image,
        // Every shard of a scatter gets the same error; one report is enough.
        Err(e) if !shared.first_report(&format!("{e:#}")) => {
            return Err(CallError::Cancelled);
        }
        Err(e) => return Err(at.fail(format!("{e:#}"))),
    };
    let cap = shared.capacity;
    if prepared.cpu > cap.cpu || prepared.memory > cap.memory {
        return Err(at.fail(format!(
            "task `{}` asks for {} cpu and {} of memory, but at most {} cpu and {} are available",
            job.task.name,
            prepared.cpu,
            human_bytes(prepared.memory),
            cap.cpu,
            human_bytes(cap.memory)
        )));
    }
    Ok(image)
}

/// The call's outputs from the call cache; else the key to record them under, if the call is
/// cacheable.
async fn from_cache(
    job: &CallJob,
    prepared: &Prepared,
    image: Option<&str>,
    shared: &Shared,
    at: &Attempt,
) -> Result<Members, Option<String>> {
    let (outputs, entry) = match look_up_cache(job, prepared, image, shared) {
        Cached::Hit(outputs, entry) => (outputs, entry),
        Cached::Miss(key) => return Err(key),
    };
    let outputs = reuse(job, outputs, entry, shared).await.map_err(Some)?;
    shared.journal.record_cached(&journal::Entry {
        attempt_dir: &at.journal_name,
        task: &job.task.name,
        started: std::time::SystemTime::now(),
        cpu: prepared.cpu,
        memory: prepared.memory,
    });
    job.progress.cached.fetch_add(1, Ordering::Relaxed);
    Ok(outputs)
}

/// Resuming a run: an attempt that finished before the engine stopped is adopted, not rerun;
/// anything else left in its directory is stale and cleared.
async fn from_earlier_run(
    job: &CallJob,
    prepared: &Prepared,
    shared: &Shared,
    at: &Attempt,
    io: &mut Io,
) -> Result<Option<Members>, CallError> {
    let journaled = shared.journal.earlier_exit_code(&at.journal_name);
    if let Some(outputs) = adopt(job, prepared, &at.dir, journaled, io, at.number, &at.id) {
        tracing::debug!(call = %job.label, attempt = at.number, "adopted from an earlier run");
        materialize(&outputs, shared)
            .await
            .map_err(|m| at.fail(m))?;
        shared.adopted_calls.fetch_add(1, Ordering::Relaxed);
        return Ok(Some(outputs));
    }
    shared.journal.forget(&at.journal_name);
    // A cluster job of the stopped engine may still be at work in it: waited for, not cleared
    // (the executor's `run` picks it up).
    if !shared.executor.still_running(&at.dir) {
        blocking(|| clear_stale_attempt(&at.dir))
            .map_err(|e| at.fail(format!("cannot clear the stale attempt directory: {e}")))?;
    }
    Ok(None)
}

/// What the executor gets. It creates the attempt directory and writes the script (see
/// ferry-exec).
fn attempt_spec(
    job: &CallJob,
    prepared: &Prepared,
    shared: &Shared,
    at: &Attempt,
    image: Option<String>,
    streaming: &Option<Arc<ferry_exec::Streaming>>,
) -> AttemptSpec {
    AttemptSpec {
        label: job.label.clone(),
        attempt_dir: at.dir.clone(),
        create_from: shared.run_dir.clone(),
        command: prepared.command.clone(),
        script: at.dir.join("command"),
        work_dir: at.work_dir.clone(),
        stdout: at.dir.join("stdout"),
        stderr: at.dir.join("stderr"),
        cpu: prepared.cpu,
        memory: prepared.memory,
        gpu: prepared.gpu,
        container: image,
        env: prepared.env.clone(),
        inputs: prepared.inputs.clone(),
        queue: prepared.queue.clone(),
        time: prepared.time,
        cluster_options: prepared.cluster_options.clone(),
        streaming: streaming.clone(),
    }
}

/// Runs the attempt once its cpu and memory are granted: its outcome and start time, or
/// `None` when the executor could not start it for a passing reason (after a wait: the caller
/// tries the same attempt again, not counted against the task's retries).
async fn execute(
    job: &CallJob,
    shared: &Shared,
    spec: &AttemptSpec,
    at: &Attempt,
    retries: &mut Retries,
) -> Result<Option<(AttemptOutcome, std::time::SystemTime)>, CallError> {
    job.progress.queued.fetch_add(1, Ordering::Relaxed);
    let permits = shared.acquire(spec.cpu, spec.memory).await;
    job.progress.queued.fetch_sub(1, Ordering::Relaxed);
    if permits.is_none() || shared.stopping() {
        return Err(CallError::Cancelled);
    }
    job.progress.running.fetch_add(1, Ordering::Relaxed);
    let started = std::time::SystemTime::now();
    let outcome = shared.executor.run(spec).await;
    drop(permits);
    job.progress.running.fetch_sub(1, Ordering::Relaxed);
    if shared.cancelled.load(Ordering::SeqCst) {
        // A script may exit 0 on SIGTERM (its trap): what it left is not a result, and a
        // resumed run must rerun it, not adopt it.
        let _ = std::fs::remove_file(at.dir.join("rc"));
        shared.journal.forget(&at.journal_name);
        return Err(CallError::Cancelled);
    }
    match outcome {
        Ok(outcome) => Ok(Some((outcome, started))),
        Err(ExecError::Cancelled) => Err(CallError::Cancelled),
        // The platform was short of something.
        Err(ExecError::Transient(e)) if retries.transient_tries < TRANSIENT_TRIES => {
            retries.transient_tries += 1;
            let tries = retries.transient_tries;
            let wait = std::time::Duration::from_secs(1 << tries);
            tracing::warn!(
                "call {} attempt {}: {e:#}; trying again in {}s ({tries} of {TRANSIENT_TRIES}, not counted as a retry)",
                job.label,
                at.number,
                wait.as_secs()
            );
            tokio::time::sleep(wait).await;
            Ok(None)
        }
        Err(e) => Err(at.fail(e)),
    }
}

/// A failed attempt: the call's failure when it has no retries left, else the warning, and
/// more memory for the next attempt after an out-of-memory kill.
fn plan_retry(
    job: &CallJob,
    shared: &Shared,
    prepared: &Prepared,
    spec: &AttemptSpec,
    at: &Attempt,
    outcome: &AttemptOutcome,
    retries: &mut Retries,
) -> Result<(), CallError> {
    let why = failure_reason(outcome, prepared.memory, &at.dir);
    if at.number > prepared.max_retries {
        return Err(at.fail(format!(
            "{why}\n  last lines of stderr ({}):\n{}",
            spec.stderr.display(),
            indent(&tail(&spec.stderr, 20))
        )));
    }
    let mut more = String::new();
    if outcome.oom
        && let Some(next) = escalated_memory(prepared.memory, shared)
    {
        if next > prepared.memory {
            more = format!(" with {} of memory", human_bytes(next));
        }
        retries.oom_memory = Some(next);
    }
    tracing::warn!(
        "call {} attempt {} failed ({why}); retrying{more} ({} of {} retries)",
        job.label,
        at.number,
        at.number,
        prepared.max_retries
    );
    Ok(())
}

/// What the retry of an attempt killed for its memory asks for: `oom_memory_factor` times as
/// much, within the profile's and the machine's limits. `None` if the profile does not
/// escalate.
fn escalated_memory(memory: u64, shared: &Shared) -> Option<u64> {
    let factor = shared.profile.oom_memory_factor;
    if factor <= 1.0 {
        return None;
    }
    let limit = shared
        .profile
        .max_memory
        .unwrap_or(u64::MAX)
        .min(shared.capacity.memory);
    Some(((memory as f64 * factor) as u64).min(limit).max(memory))
}

/// How many times a call tries again after transient executor errors (waiting 2, 4, 8, 16 and
/// 32 s), on top of the task's own retries.
const TRANSIENT_TRIES: u32 = 5;

/// Why an attempt that ran did not succeed, for the log and the final error.
fn failure_reason(outcome: &AttemptOutcome, memory: u64, attempt_dir: &Path) -> String {
    let why = if outcome.oom {
        format!(
            "killed for exceeding its memory (requested {})",
            human_bytes(memory)
        )
    } else if let Some(lost) = &outcome.lost {
        lost.clone()
    } else {
        format!("exit code {}", outcome.exit_code)
    };
    // A full disk often leaves no stderr to explain the failure: say it.
    match ferry_exec::free_bytes(attempt_dir) {
        Some(free) if free < 64 << 10 => format!(
            "{why}; no space left on device: the filesystem of {} is full",
            attempt_dir.display()
        ),
        _ => why,
    }
}

/// What the call cache has for a call's first attempt.
enum Cached {
    /// The outputs, and the entry they come from (its remote files are still to be checked).
    Hit(Members, Box<ferry_cache::Entry>),
    /// Not cached; the key to record the outputs under, if the call is cacheable.
    Miss(Option<String>),
}

/// Looks the call up in the cache (unless it is volatile or the profile says not to cache
/// it). Hashing a new input file can take minutes: that happens off the runtime's other
/// tasks (a call without files, most scatter shards, does not pay for the hand-off).
fn look_up_cache(
    job: &CallJob,
    prepared: &Prepared,
    image: Option<&str>,
    shared: &Shared,
) -> Cached {
    let Some(cache) = &shared.cache else {
        return Cached::Miss(None);
    };
    if job.task.volatile() || !shared.profile.task_cache(&job.task.name) {
        return Cached::Miss(None);
    }
    let inputs: Vec<(&str, Value)> = job
        .task
        .inputs
        .iter()
        .map(|d| {
            (
                &*d.name,
                prepared.scope.get(&d.name).cloned().unwrap_or(Value::None),
            )
        })
        .collect();
    let lookup =
        || callcache::key(&job.task, image, &inputs, cache).map(|key| (cache.lookup(&key), key));
    let found = if has_paths(inputs.iter().map(|(_, v)| v)) {
        blocking(lookup)
    } else {
        lookup()
    };
    match found {
        Ok((found, key)) => {
            if let Some(entry) = found {
                match callcache::outputs(&job.task, &entry) {
                    Ok(outputs) => {
                        tracing::debug!(call = %job.label, "cached");
                        return Cached::Hit(outputs, Box::new(entry));
                    }
                    Err(e) => tracing::warn!("call {}: unusable cache entry: {e}", job.label),
                }
            }
            Cached::Miss(Some(key))
        }
        Err(e) => {
            tracing::warn!("call {}: not cached: {e}", job.label);
            Cached::Miss(None)
        }
    }
}

/// A cache hit is used if the objects behind its remote files are unchanged in the store (one
/// HEAD each); else the call runs again and its key is returned to record it under.
async fn reuse(
    job: &CallJob,
    outputs: Members,
    entry: Box<ferry_cache::Entry>,
    shared: &Shared,
) -> Result<Members, String> {
    let changed = callcache::changed_objects(&entry, &shared.storage).await;
    if !changed.is_empty() {
        tracing::info!(
            "call {}: not taken from the cache: {}",
            job.label,
            changed.join("; ")
        );
        return Err(entry.key);
    }
    if let Err(e) = materialize(&outputs, shared).await {
        tracing::warn!("call {}: not taken from the cache: {e}", job.label);
        return Err(entry.key);
    }
    Ok(outputs)
}

/// Outputs of an earlier run's remote jobs, reused by an executor that runs tasks on this
/// machine (a cache hit, an adopted attempt under another profile): their stubs are fetched,
/// since its tasks would read the files themselves. Remote executors read the objects.
async fn materialize(outputs: &Members, shared: &Shared) -> Result<(), String> {
    if shared.executor.stages_urls() {
        return Ok(());
    }
    let mut paths = Vec::new();
    for v in outputs.values() {
        v.visit_paths(&mut |p, _| {
            if ferry_storage::scheme_of(p) == "file" {
                paths.push(PathBuf::from(&**p));
            }
        });
    }
    // `fetch` leaves files that are no stubs alone.
    for p in paths {
        ferry_storage::remote::fetch(&shared.storage, &p)
            .await
            .map_err(|e| format!("{e:#}"))?;
    }
    Ok(())
}

/// Stub mode: no command runs; each output gets a placeholder of its type (empty files for
/// File outputs), so a large workflow's wiring can be checked in seconds.
fn stub_outputs(
    job: &CallJob,
    p: &Prepared,
    attempt_dir: &Path,
    io: &Io,
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
        let v = stub_value(
            &d.ty,
            &work,
            &d.name,
            literal.as_ref().and_then(|v| v.as_str()),
        )?;
        out.insert(d.name.clone(), v);
    }
    Ok(out)
}

fn stub_value(ty: &Type, work: &Path, name: &str, literal: Option<&str>) -> Result<Value, String> {
    Ok(match ty {
        Type::Optional(_) => Value::None,
        Type::Boolean => Value::Bool(false),
        Type::Int => Value::Int(0),
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
        Type::Array(_, _) => Value::array(Vec::new()),
        Type::Map(_, _) => Value::Map(Default::default()),
        Type::Pair(l, r) => Value::Pair(Arc::new((
            stub_value(l, work, &format!("{name}_left"), None)?,
            stub_value(r, work, &format!("{name}_right"), None)?,
        ))),
        Type::Object | Type::Any => Value::Object(Default::default()),
        Type::Enum(e) => Value::Enum(e.clone(), 0),
        Type::Struct(st) => {
            let mut m = Members::new();
            for (k, t) in &st.members {
                m.insert(
                    k.as_str().into(),
                    stub_value(t, work, &format!("{name}_{k}"), None)?,
                );
            }
            Value::Struct(st.clone(), Arc::new(m))
        }
    })
}

/// `path` below the run directory, as the journal names it.
fn relative(path: &Path, run_dir: &Path) -> String {
    path.strip_prefix(run_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The outputs of an attempt that already finished successfully with the same command. Its
/// exit code is in its `rc` file, else in the journal (`journaled`: the script replaced the
/// shell's EXIT trap that writes `rc`).
fn adopt(
    job: &CallJob,
    prepared: &Prepared,
    attempt_dir: &Path,
    journaled: Option<i32>,
    io: &mut Io,
    attempt: u32,
    attempt_id: &str,
) -> Option<Members> {
    let rc: i32 = std::fs::read_to_string(attempt_dir.join("rc"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .or(journaled)?;
    if !prepared.return_codes.ok(rc) {
        return None;
    }
    if std::fs::read_to_string(attempt_dir.join("command")).ok()? != prepared.command {
        return None;
    }
    io.stdout = Some(attempt_dir.join("stdout"));
    io.stderr = Some(attempt_dir.join("stderr"));
    evaluate_outputs(
        job,
        prepared,
        io,
        &attempt_dir.join("work"),
        rc,
        attempt,
        attempt_id,
    )
    .ok()
}

/// Whether any of `values` holds a File or Directory.
fn has_paths<'a>(values: impl Iterator<Item = &'a Value>) -> bool {
    let mut found = false;
    for v in values {
        v.visit_paths(&mut |_, _| found = true);
    }
    found
}

/// Runs `f`, which may read files for a long time (hashing, removing trees), without stalling
/// the other tasks of the runtime's worker it runs on.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Removes what an unfinished earlier attempt left, keeping `tmp/` (this attempt's `write_*`
/// files are already there).
fn clear_stale_attempt(attempt_dir: &Path) -> std::io::Result<()> {
    for name in [
        "rc",
        "command",
        "stdout",
        "stderr",
        ferry_storage::remote::INDEX_FILE,
    ] {
        match std::fs::remove_file(attempt_dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    match std::fs::remove_dir_all(attempt_dir.join("work")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn record(shared: &Shared, key: Option<String>, job: &CallJob, outputs: &Members) {
    let (Some(cache), Some(key)) = (&shared.cache, key) else {
        return;
    };
    let entry = || {
        callcache::entry(key, &job.task, outputs, cache)
            .and_then(|e| cache.insert(e).map_err(|e| e.to_string()))
    };
    let result = if has_paths(outputs.values()) {
        blocking(entry)
    } else {
        entry()
    };
    if let Err(e) = result {
        tracing::warn!(
            "call {}: could not be recorded in the cache: {e}",
            job.label
        );
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_memory(&Value::string("4 GiB")).unwrap(), 4 << 30);
        assert_eq!(parse_memory(&Value::string("512M")).unwrap(), 512_000_000);
        assert_eq!(parse_memory(&Value::string("1.5 KiB")).unwrap(), 1536);
        assert!(parse_memory(&Value::string("12 GX")).is_err());
        assert_eq!(parse_memory(&Value::Int(1000)).unwrap(), 1000);
    }
}
