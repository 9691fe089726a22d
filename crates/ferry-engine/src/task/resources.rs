//! A call's evaluation before it runs: its inputs and private declarations, its runtime and
//! requirements after the profile (cpu, memory, gpu, time, queue), the `task` object, and the
//! command.

use super::*;

/// A task evaluated up to its command: what an executor needs.
pub(crate) struct Prepared {
    pub(crate) scope: HashMap<Arc<str>, Value>,
    pub(crate) command: String,
    pub(crate) cpu: f64,
    pub(crate) memory: u64,
    pub(crate) gpu: u32,
    /// Image candidates in order of preference (WDL 1.2 allows a list).
    pub(crate) containers: Vec<String>,
    pub(crate) return_codes: ReturnCodes,
    pub(crate) max_retries: u32,
    /// Attempts the call may lose to preemption beyond `max_retries`.
    pub(crate) preemptible: u32,
    pub(crate) queue: Option<String>,
    pub(crate) time: Option<std::time::Duration>,
    pub(crate) cluster_options: Option<String>,
    pub(crate) disks: Vec<ferry_exec::DiskRequest>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) inputs: Vec<PathBuf>,
    /// `task.previous` (WDL 1.3): the previous attempt's resources, None on the first.
    pub(crate) previous: Value,
}

pub enum ReturnCodes {
    Any,
    Some(Vec<i64>),
}

impl ReturnCodes {
    pub(crate) fn ok(&self, code: i32) -> bool {
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

pub(crate) fn requirement<'a>(reqs: &'a HashMap<&str, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| reqs.get(*n))
}

/// The `task` variable of WDL 1.3 requirements, runtime and hints sections: what is known
/// before the attempt's resources are (name, id, attempt, metadata and the previous attempt's
/// resources).
pub(crate) fn task_object_before(task: &Task, attempt: u32, id: &str, previous: &Value) -> Value {
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
pub(crate) fn previous_or_none(previous: &Value) -> Value {
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
pub(crate) fn insert_resources(m: &mut Members, p: &Prepared) {
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
pub(crate) fn previous_attempt(p: &Prepared) -> Value {
    let mut m = Members::new();
    insert_resources(&mut m, p);
    m.insert("max_retries".into(), Value::Int(p.max_retries as i64));
    Value::Object(Arc::new(m))
}

pub(crate) fn task_object(
    task: &Task,
    p: &Prepared,
    attempt: u32,
    rc: Option<i32>,
    id: &str,
) -> Value {
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
    /// Attempts the task may lose to preemption beyond `max_retries` (WDL `preemptible`, as
    /// Cromwell reads it, else the profile's `spot_retries`).
    pub preemptible: u32,
    pub queue: Option<String>,
    /// Cluster jobs' wall-time limit (per-task override, else the profile's).
    pub time: Option<std::time::Duration>,
    /// Per-task scheduler options (after the profile's own).
    pub cluster_options: Option<String>,
    /// WDL `disks` (Cromwell's `local-disk N HDD` too).
    pub disks: Vec<ferry_exec::DiskRequest>,
}

/// Reads runtime/requirements values. A per-task override in the profile wins over the WDL,
/// which wins over the profile's defaults; then `max_cpu`/`max_memory` clamp.
pub fn resolve_resources(
    reqs: &HashMap<&str, Value>,
    task: &Task,
    profile: &Profile,
) -> Result<Resources, String> {
    let o = profile.task_override(&task.name);
    // A bad value is reported where its key is written (an override from the inputs of a key
    // the task does not write points at the task).
    let at =
        |names: &[&str], m: String| format!("{}: runtime {m}", task.requirement_location(names));
    let wdl_cpu = match requirement(reqs, &["cpu"]) {
        Some(Value::Int(i)) => Some(*i as f64),
        Some(Value::Float(f)) => Some(*f),
        Some(Value::String(s)) => Some(
            s.trim()
                .parse()
                .map_err(|_| at(&["cpu"], format!("cpu {s:?} is not a number")))?,
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
        Some(v) => Some(parse_memory(v).map_err(|m| at(&["memory"], format!("memory: {m}")))?),
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
    // Cromwell's `gpuCount: N` (with or without `gpu: true`) is a count of GPUs too.
    let gpu_count = match requirement(reqs, &["gpuCount"]) {
        Some(Value::Int(n)) => Some(u32::try_from(*n).map_err(|_| {
            at(
                &["gpuCount"],
                format!("gpuCount {n} is not a count of GPUs"),
            )
        })?),
        Some(Value::String(s)) => Some(s.trim().parse::<u32>().map_err(|_| {
            at(
                &["gpuCount"],
                format!("gpuCount {s:?} is not a count of GPUs"),
            )
        })?),
        _ => None,
    };
    let gpu = match requirement(reqs, &["gpu"]) {
        Some(Value::Bool(true)) => gpu_count.unwrap_or(1),
        Some(Value::Bool(false)) => 0,
        Some(Value::Int(n)) => u32::try_from(*n)
            .map_err(|_| at(&["gpu"], format!("gpu {n} is not a count of GPUs")))?,
        _ => gpu_count.unwrap_or(0),
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
    let containers = crate::images::through_mirrors(containers, profile);
    // Cromwell's `continueOnReturnCode` means what `returnCodes` does (true: any code).
    let return_codes = match requirement(
        reqs,
        &["returnCodes", "return_codes", "continueOnReturnCode"],
    ) {
        Some(Value::String(s)) if &**s == "*" => ReturnCodes::Any,
        Some(Value::Bool(true)) => ReturnCodes::Any,
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
    // Cromwell on AWS Batch: `awsBatchRetryAttempts` when the task says no `maxRetries`.
    let wdl_retries = match requirement(
        reqs,
        &["maxRetries", "max_retries", "awsBatchRetryAttempts"],
    ) {
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
        preemptible: match requirement(reqs, &["preemptible"]) {
            Some(Value::Int(n)) if *n >= 0 => *n as u32,
            _ => profile.spot_retries,
        },
        // Cromwell's `queueArn`: the task's own Batch queue (an ARN is a queue name to Batch).
        queue: o
            .queue
            .or_else(|| match requirement(reqs, &["queueArn"]) {
                Some(Value::String(q)) if !q.is_empty() => Some(q.to_string()),
                _ => None,
            })
            .or_else(|| profile.queue.clone()),
        time: o
            .time
            .as_deref()
            .and_then(|t| ferry_config::parse_time(t).ok())
            .or(profile.time),
        cluster_options: o.cluster_options,
        // Cromwell's local backends ignore `disks` (WARP asks `local-disk 100 HDD` of a laptop's
        // test run): under `--compat cromwell` so does Ferry, with the ignored-keys warning.
        disks: match requirement(reqs, &["disks"]) {
            Some(v) if !cromwell_compat() => parse_disks(v).map_err(|m| at(&["disks"], m))?,
            _ => Vec::new(),
        },
    })
}

/// WDL `disks`: an Int (GiB), a String `"[mount-point] size [units]"` (size alone in GiB), or
/// an Array of such Strings. Cromwell's `"local-disk 100 HDD"` is accepted as written: `local-disk`
/// is the working directory and the disk type (`HDD`, `SSD`, `LOCAL`) is the platform's business.
pub fn parse_disks(v: &Value) -> Result<Vec<ferry_exec::DiskRequest>, String> {
    const GIB: f64 = (1u64 << 30) as f64;
    let one = |spec: &str| -> Result<ferry_exec::DiskRequest, String> {
        let bad = || {
            format!(
                "disks {spec:?} is not \"SIZE\", \"SIZE UNIT\", \"MOUNT SIZE\" or \"MOUNT SIZE UNIT\" (e.g. \"/scratch 100 GiB\", or Cromwell's \"local-disk 100 HDD\")"
            )
        };
        let mut words: Vec<&str> = spec.split_whitespace().collect();
        if words
            .last()
            .is_some_and(|w| ["HDD", "SSD", "LOCAL"].contains(&w.to_ascii_uppercase().as_str()))
        {
            words.pop();
        }
        let numeric = |w: &str| w.parse::<f64>().ok().filter(|n| *n >= 0.0 && n.is_finite());
        let (mount, size, unit) = match words.as_slice() {
            [size] if numeric(size).is_some() => (None, *size, None),
            [size, unit] if numeric(size).is_some() => (None, *size, Some(*unit)),
            [mount, size] => (Some(*mount), *size, None),
            [mount, size, unit] => (Some(*mount), *size, Some(*unit)),
            _ => return Err(bad()),
        };
        let n = numeric(size).ok_or_else(bad)?;
        let bytes = match unit {
            None => (n * GIB) as u64,
            Some(u) => ferry_config::parse_size(&format!("{size} {u}"))?,
        };
        let mount = match mount {
            None | Some("local-disk") => None,
            Some(m) if m.starts_with('/') => Some(m.to_string()),
            Some(m) => {
                return Err(format!(
                    "disks {spec:?}: the mount point {m:?} is not an absolute path"
                ));
            }
        };
        Ok(ferry_exec::DiskRequest { mount, bytes })
    };
    match v {
        Value::Int(n) if *n >= 0 => Ok(vec![ferry_exec::DiskRequest {
            mount: None,
            bytes: (*n as u64).saturating_mul(1 << 30),
        }]),
        Value::String(s) => Ok(vec![one(s)?]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => one(s),
                other => Err(format!(
                    "disks: {other:?} is not a disk specification String"
                )),
            })
            .collect(),
        other => Err(format!(
            "disks must be an Int (GiB), a String or an Array of Strings, not {other:?}"
        )),
    }
}

pub(crate) fn prepare(
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
    for ((name, e), at) in task.requirements.iter().zip(&task.requirement_locations) {
        let v = Evaluator::new(&scope, io)
            .eval(e)
            .map_err(|m| format!("{at}: runtime `{name}`: {m}"))?;
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
        preemptible: r.preemptible,
        queue: r.queue,
        time: r.time,
        cluster_options: r.cluster_options,
        disks: r.disks,
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

fn cromwell_compat() -> bool {
    ferry_eval::eval::CROMWELL_COMPAT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runtime keys of Cromwell's backends that mean nothing to Ferry: evaluated, then ignored (with
/// a warning naming them, once per task). `preemptible`, `continueOnReturnCode`, `gpuCount`,
/// `queueArn` and `awsBatchRetryAttempts` are read (see `resolve_resources`).
pub const IGNORED_RUNTIME_KEYS: &[&str] = &[
    "bootDiskSizeGb",
    "gpuType",
    "noAddress",
    "zones",
    "cpuPlatform",
    "nvidiaDriverVersion",
];

/// The keys of `task`'s runtime section Ferry ignores, if any, as a warning.
pub fn ignored_runtime_keys(task: &Task) -> Option<String> {
    let found: Vec<&str> = task
        .requirements
        .iter()
        .map(|(n, _)| &**n)
        .filter(|n| IGNORED_RUNTIME_KEYS.contains(n) || (*n == "disks" && cromwell_compat()))
        .collect();
    (!found.is_empty()).then(|| {
        format!(
            "{}: task `{}`: runtime {} {} ignored here (Cromwell backend settings with no meaning for Ferry's executors)",
            task.location,
            task.name,
            found.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            if found.len() == 1 { "is" } else { "are" }
        )
    })
}
