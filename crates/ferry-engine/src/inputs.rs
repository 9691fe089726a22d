//! Reading and checking a run's inputs (inputs.json plus `NAME=VALUE` pairs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_eval::Value;
use ferry_storage::{Kind, StorageRouter};
use ferry_wdl::ir::{Body, Callee, Decl, Stmt, Task, Workflow};
use indexmap::IndexMap;
use serde_json::Value as Json;

/// Inputs as given: keys in the `workflow.input` / `workflow.call.input` convention.
#[derive(Debug, Default)]
pub struct RawInputs {
    pub entries: IndexMap<String, Json>,
    /// Relative File paths resolve against this directory (the JSON file's).
    pub base_dir: PathBuf,
    /// Keys given as `NAME=VALUE` on the command line: these may leave out the workflow's name
    /// (`n=3` for `wf.n`), as miniwdl allows.
    pub from_command_line: Vec<String>,
}

/// Reads `file` (if any) and applies `NAME=VALUE` overrides. A value that parses as JSON is
/// taken as JSON (`n=3`, `xs=[1,2]`); anything else is a string.
pub fn read_inputs(file: Option<&Path>, pairs: &[String]) -> Result<RawInputs, String> {
    let mut raw = RawInputs {
        base_dir: std::env::current_dir().map_err(|e| e.to_string())?,
        ..Default::default()
    };
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| format!("cannot read inputs file {}: {e}", f.display()))?;
        // YAML too, as Cromwell and Sprocket read it, by the file's extension.
        let yaml = f
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
        let json: Json = if yaml {
            // The YAML parser's own limit on nesting is reached only after work quadratic in
            // the depth (100,000 brackets took a minute): counted first, in one pass.
            if flow_depth(&text) > MAX_YAML_DEPTH {
                return Err(format!(
                    "{}: invalid YAML: nested more than {MAX_YAML_DEPTH} levels deep",
                    f.display()
                ));
            }
            yaml_serde::from_str(&text)
                .map_err(|e| format!("{}: invalid YAML: {e}", f.display()))?
        } else {
            serde_json::from_str(&text)
                .map_err(|e| format!("{}: invalid JSON: {e}", f.display()))?
        };
        match json {
            Json::Object(o) => raw.entries.extend(o),
            _ => {
                return Err(format!(
                    "{}: inputs must be a {} mapping of names to values",
                    f.display(),
                    if yaml { "YAML" } else { "JSON" }
                ));
            }
        }
        let abs = std::path::absolute(f).map_err(|e| e.to_string())?;
        if let Some(dir) = abs.parent() {
            raw.base_dir = dir.to_path_buf();
        }
    }
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("input {pair:?} is not NAME=VALUE"))?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| Json::String(v.to_string()));
        raw.entries.insert(k.to_string(), value);
        raw.from_command_line.push(k.to_string());
    }
    Ok(raw)
}

/// Deeper than this, inputs are refused (serde_json's own limit too).
const MAX_YAML_DEPTH: usize = 128;

/// The deepest nesting of YAML flow collections (`[`, `{`) outside quotes and comments.
fn flow_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    let mut previous = '\n';
    for c in text.chars() {
        if comment {
            comment = c != '\n';
        } else if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == '"' && c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                // A quote opens a quoted scalar only where a scalar starts (`it's` is plain).
                '"' | '\'' if " \t\n[{,:-".contains(previous) => quote = Some(c),
                '#' if previous.is_whitespace() => comment = true,
                '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        previous = c;
    }
    deepest
}

/// Inputs checked against the workflow or task they are for.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Inputs of the workflow (or task) itself.
    pub root: HashMap<Arc<str>, Value>,
    /// Inputs of calls the workflow leaves unbound, by call path (`wf.call`, `wf.sub.call`).
    pub nested: HashMap<String, HashMap<Arc<str>, Value>>,
}

impl Inputs {
    /// The effective inputs, as JSON, for the run directory.
    pub fn to_json(&self, root_name: &str) -> Json {
        let mut o = serde_json::Map::new();
        for (k, v) in &self.root {
            o.insert(format!("{root_name}.{k}"), v.to_json());
        }
        for (path, m) in &self.nested {
            for (k, v) in m {
                o.insert(format!("{path}.{k}"), v.to_json());
            }
        }
        Json::Object(o)
    }
}

pub enum Target<'a> {
    Workflow(&'a Workflow),
    Task(&'a Task),
}

fn find_call<'a>(body: &'a Body, name: &str) -> Option<&'a ferry_wdl::ir::Call> {
    for s in &body.stmts {
        match s {
            Stmt::Call(c) if &*c.name == name => return Some(c),
            Stmt::Scatter(sc) => {
                if let Some(c) = find_call(&sc.body, name) {
                    return Some(c);
                }
            }
            Stmt::Conditional(cd) => {
                for (_, b) in &cd.clauses {
                    if let Some(c) = find_call(b, name) {
                        return Some(c);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// An input's value as the inputs file gives it, read as Cromwell would where the spec refuses
/// (`ferry_eval::value::from_input_json`), with a warning for each such reading.
fn convert(key: &str, decl: &Decl, json: &Json) -> Result<Value, String> {
    let mut notes = Vec::new();
    let v = ferry_eval::value::from_input_json(json, &decl.ty, &mut notes)
        .map_err(|m| format!("input `{key}` ({}): {m}", decl.ty))?;
    for n in notes {
        tracing::warn!("input `{key}`: {n}");
    }
    Ok(v)
}

/// Checks raw inputs against `target`: every key must name an input (or a requirement of a
/// call to override: `wf.call.requirements.cpu`, 1.0/1.1's `wf.call.runtime.cpu`), values must
/// have the declared types, required inputs must be present and input files must exist. Every
/// problem is reported, in the order the inputs were given, one per line.
pub async fn resolve(
    target: Target<'_>,
    raw: &RawInputs,
    storage: &StorageRouter,
    host_roots: Option<&ferry_eval::HostRoots>,
) -> Result<Inputs, String> {
    let mut inputs = Inputs::default();
    let mut errors = Vec::new();
    let mut rejected = std::collections::HashSet::new();
    let root_name = match &target {
        Target::Workflow(w) => w.name.to_string(),
        Target::Task(t) => t.name.to_string(),
    };
    for (key, json) in &raw.entries {
        let prefixed;
        let key =
            if !key.starts_with(&format!("{root_name}.")) && raw.from_command_line.contains(key) {
                prefixed = format!("{root_name}.{key}");
                &prefixed
            } else {
                key
            };
        if let Err(e) = add_input(&target, &root_name, key, json, &mut inputs) {
            errors.push(e);
            rejected.insert(key.to_string());
        }
    }
    // A required input given with a bad value is reported for that value, not again as missing.
    let missing = |key: String, ty: &ferry_wdl::ir::Type, errors: &mut Vec<String>| {
        if !rejected.contains(&key) {
            errors.push(format!("missing required input `{key}` ({ty})"));
        }
    };
    // Required inputs.
    match &target {
        Target::Task(t) => {
            for d in &t.inputs {
                if d.expr.is_none() && !d.ty.is_optional() && !inputs.root.contains_key(&d.name) {
                    missing(format!("{}.{}", t.name, d.name), &d.ty, &mut errors);
                }
            }
        }
        Target::Workflow(w) => {
            for d in &w.inputs {
                if d.expr.is_none() && !d.ty.is_optional() && !inputs.root.contains_key(&d.name) {
                    missing(format!("{}.{}", w.name, d.name), &d.ty, &mut errors);
                }
            }
            check_calls(&w.body, &root_name, &inputs.nested, &mut |key, ty| {
                missing(key, ty, &mut errors)
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    // Files: relative to the inputs file, and they must exist.
    let base = raw.base_dir.clone();
    let mut to_check: Vec<(String, Arc<str>, bool)> = Vec::new();
    let mut fix = |key: String, v: &mut Value| -> Result<(), String> {
        *v = v.map_paths(&mut |p, is_dir| {
            let resolved: Arc<str> =
                if ferry_storage::scheme_of(p) == "file" && Path::new(p).is_relative() {
                    base.join(p).display().to_string().into()
                } else {
                    p.into()
                };
            to_check.push((key.clone(), resolved.clone(), is_dir));
            Ok(if is_dir {
                Value::Directory(resolved)
            } else {
                Value::File(resolved)
            })
        })?;
        Ok(())
    };
    for (k, v) in inputs.root.iter_mut() {
        fix(format!("{root_name}.{k}"), v)?;
    }
    for (path, m) in inputs.nested.iter_mut() {
        for (k, v) in m.iter_mut() {
            fix(format!("{path}.{k}"), v)?;
        }
    }
    // A server's run reads host files only under the directories it was given.
    if let Some(roots) = host_roots {
        let outside: Vec<String> = to_check
            .iter()
            .filter(|(_, path, _)| ferry_storage::scheme_of(path) == "file")
            .filter_map(|(key, path, _)| {
                let local = path.strip_prefix("file://").unwrap_or(path);
                roots
                    .check(Path::new(local))
                    .err()
                    .map(|e| format!("input `{key}`: {e}"))
            })
            .collect();
        if !outside.is_empty() {
            return Err(outside.join("\n"));
        }
    }
    // Checked concurrently (object stores answer one HEAD per URL); the first problem in input
    // order is the one reported.
    use futures_util::StreamExt;
    let results: Vec<Result<(), String>> = futures_util::stream::iter(to_check)
        .map(|(key, path, is_dir)| async move {
            let kind = if is_dir { Kind::Directory } else { Kind::File };
            let exists = storage
                .exists(&path, kind)
                .await
                .map_err(|e| format!("input `{key}`: {e:#}"))?;
            if exists {
                Ok(())
            } else {
                let what = if is_dir { "directory" } else { "file" };
                Err(format!("input `{key}`: {what} {path} does not exist"))
            }
        })
        .buffered(32)
        .collect()
        .await;
    let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    Ok(inputs)
}

/// The sections of a call whose values an input may override. `hints` are advisory: any key is
/// accepted, and none changes what Ferry does.
const OVERRIDABLE_SECTIONS: [&str; 3] = ["requirements", "runtime", "hints"];

/// Keys an input may override in `requirements` (`runtime` in WDL 1.0/1.1), with Cromwell's
/// runtime keys: anything else is a misspelling (`memroy`) that would be ignored.
const OVERRIDABLE_KEYS: &[&str] = &[
    "container",
    "docker",
    "cpu",
    "memory",
    "gpu",
    "fpga",
    "disks",
    "maxRetries",
    "max_retries",
    "returnCodes",
    "return_codes",
    "preemptible",
    "continueOnReturnCode",
    "gpuCount",
    "gpuType",
    "queueArn",
    "awsBatchRetryAttempts",
    "bootDiskSizeGb",
    "noAddress",
    "zones",
    "cpuPlatform",
    "nvidiaDriverVersion",
];

/// Checks an override of a call's requirement (`wf.call.requirements.cpu`) before anything
/// runs: the key must be one a task can have, the value of the type that key takes.
fn check_override(key: &str, section: &str, name: &str, json: &Json) -> Result<Value, String> {
    let v = ferry_eval::value::json_to_value(json);
    if section == "hints" {
        return Ok(v);
    }
    if !OVERRIDABLE_KEYS.contains(&name) {
        return Err(format!(
            "unknown input `{key}`: `{name}` is not a {section} key (known: {})",
            OVERRIDABLE_KEYS.join(", ")
        ));
    }
    let count = |v: &Value| matches!(v, Value::Int(n) if *n >= 0);
    let ok = match name {
        "cpu" => match &v {
            Value::Int(n) => *n > 0,
            Value::Float(f) => *f > 0.0 && f.is_finite(),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .is_ok_and(|f| f > 0.0 && f.is_finite()),
            _ => false,
        },
        "memory" => crate::task::parse_memory(&v).is_ok(),
        "disks" => {
            return crate::task::parse_disks(&v)
                .map(|_| v)
                .map_err(|m| format!("input `{key}`: {m}"));
        }
        "container" | "docker" => match &v {
            Value::String(_) => true,
            Value::Array(a) => a.iter().all(|i| matches!(i, Value::String(_))),
            _ => false,
        },
        "gpu" | "fpga" => matches!(v, Value::Bool(_)) || count(&v),
        "maxRetries" | "max_retries" | "preemptible" | "gpuCount" | "awsBatchRetryAttempts" => {
            count(&v)
        }
        "returnCodes" | "return_codes" | "continueOnReturnCode" => match &v {
            Value::Int(_) | Value::Bool(_) => true,
            Value::String(s) => &**s == "*",
            Value::Array(a) => a.iter().all(|i| matches!(i, Value::Int(_))),
            _ => false,
        },
        _ => true,
    };
    if ok {
        Ok(v)
    } else {
        Err(format!(
            "input `{key}`: {json} is not a valid `{name}` (a {})",
            match name {
                "cpu" => "positive number",
                "memory" => "size: bytes as an Int or a String like \"4 GiB\"",
                "container" | "docker" => "String or an Array of Strings",
                "gpu" | "fpga" => "Boolean or a count",
                "returnCodes" | "return_codes" | "continueOnReturnCode" =>
                    "code, an Array of codes, or \"*\"",
                _ => "count",
            }
        ))
    }
}

/// Checks one input and adds it to `inputs`.
fn add_input(
    target: &Target<'_>,
    root_name: &str,
    key: &str,
    json: &Json,
    inputs: &mut Inputs,
) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() < 2 || parts[0] != root_name {
        return Err(format!(
            "unknown input `{key}`: inputs are keyed `{root_name}.<input>`"
        ));
    }
    // `...call.requirements.cpu`: a value for the call's requirement, kept with its inputs
    // under the section-qualified name (no input name has a dot).
    let section = (parts.len() >= 3)
        .then(|| parts[parts.len() - 2])
        .filter(|s| OVERRIDABLE_SECTIONS.contains(s));
    match target {
        Target::Task(t) => {
            if let (Some(section), 3) = (section, parts.len()) {
                let value = check_override(key, section, parts[2], json)?;
                inputs
                    .root
                    .insert(format!("{section}.{}", parts[2]).into(), value);
                return Ok(());
            }
            let decl = (parts.len() == 2)
                .then(|| t.inputs.iter().find(|d| *d.name == *parts[1]))
                .flatten()
                .ok_or_else(|| {
                    format!("unknown input `{key}`: task `{}` has no such input", t.name)
                })?;
            inputs
                .root
                .insert(decl.name.clone(), convert(key, decl, json)?);
        }
        Target::Workflow(w) => {
            if let Some(section) = section {
                let call_parts = &parts[1..parts.len() - 2];
                let path = call_path(w, call_parts, key, root_name)?;
                let name = parts[parts.len() - 1];
                let value = check_override(key, section, name, json)?;
                inputs
                    .nested
                    .entry(path)
                    .or_default()
                    .insert(format!("{section}.{name}").into(), value);
            } else if parts.len() == 2 {
                let decl = w
                    .inputs
                    .iter()
                    .find(|d| *d.name == *parts[1])
                    .ok_or_else(|| {
                        format!(
                            "unknown input `{key}`: workflow `{}` has no such input",
                            w.name
                        )
                    })?;
                inputs
                    .root
                    .insert(decl.name.clone(), convert(key, decl, json)?);
            } else {
                let (path, decl) = nested_decl(w, &parts[1..], key, root_name)?;
                let value = convert(key, decl, json)?;
                inputs
                    .nested
                    .entry(path)
                    .or_default()
                    .insert(decl.name.clone(), value);
            }
        }
    }
    Ok(())
}

/// The input path (`wf.sub.call`) of the task call that `names` (`sub`, `call`) leads to.
fn call_path(w: &Workflow, names: &[&str], key: &str, prefix: &str) -> Result<String, String> {
    let Some((first, rest)) = names.split_first() else {
        return Err(format!(
            "unknown input `{key}`: name a call of the workflow"
        ));
    };
    let call = find_call(&w.body, first).ok_or_else(|| {
        format!(
            "unknown input `{key}`: workflow `{}` has no call `{first}`",
            w.name
        )
    })?;
    let path = format!("{prefix}.{}", call.name);
    match (&call.callee, rest.is_empty()) {
        (Callee::Task(_), true) => Ok(path),
        (Callee::Workflow(sub), false) => call_path(sub, rest, key, &path),
        (Callee::Workflow(_), true) => Err(format!(
            "unknown input `{key}`: `{}` calls a workflow; name one of its task calls",
            call.name
        )),
        (Callee::Task(t), false) => Err(format!(
            "unknown input `{key}`: task `{}` has no call `{}`",
            t.name, rest[0]
        )),
    }
}

fn nested_decl<'a>(
    w: &'a Workflow,
    rest: &[&str],
    key: &str,
    prefix: &str,
) -> Result<(String, &'a Decl), String> {
    let call = find_call(&w.body, rest[0]).ok_or_else(|| {
        format!(
            "unknown input `{key}`: workflow `{}` has no call `{}`",
            w.name, rest[0]
        )
    })?;
    let path = format!("{prefix}.{}", call.name);
    match (&call.callee, rest.len()) {
        (callee, 2) => {
            let decl = callee
                .inputs()
                .iter()
                .find(|d| *d.name == *rest[1])
                .ok_or_else(|| {
                    format!(
                        "unknown input `{key}`: `{}` has no input `{}`",
                        callee.name(),
                        rest[1]
                    )
                })?;
            if call.inputs.iter().any(|(n, _)| *n == decl.name) {
                return Err(format!(
                    "input `{key}` is already set by the workflow's call `{}`",
                    call.name
                ));
            }
            Ok((path, decl))
        }
        (Callee::Workflow(sub), _) => nested_decl(sub, &rest[1..], key, &path),
        (Callee::Task(t), _) => Err(format!(
            "unknown input `{key}`: task `{}` has no input `{}`",
            t.name,
            rest[1..].join(".")
        )),
    }
}

/// One input of a workflow or task as an inputs template lists it (`ferry inputs`).
pub struct TemplateInput {
    /// `workflow.input`, or `workflow.call.input` for a required input its call leaves open.
    pub key: String,
    pub ty: ferry_wdl::ir::Type,
    pub required: bool,
    /// Where its default is written, if it has one.
    pub default_at: Option<ferry_wdl::ir::Location>,
}

/// Every input `target` takes, in declaration order: its own, then each required input of a
/// call that the call does not give (a WDL 1.0 workflow takes those from the inputs).
pub fn template(target: Target<'_>) -> Vec<TemplateInput> {
    let (root, decls) = match &target {
        Target::Workflow(w) => (w.name.to_string(), &w.inputs),
        Target::Task(t) => (t.name.to_string(), &t.inputs),
    };
    let mut out: Vec<TemplateInput> = decls
        .iter()
        .map(|d| TemplateInput {
            key: format!("{root}.{}", d.name),
            ty: d.ty.clone(),
            required: d.expr.is_none() && !d.ty.is_optional(),
            default_at: d.expr.as_ref().map(|_| d.location.clone()),
        })
        .collect();
    if let Target::Workflow(w) = target {
        check_calls(&w.body, &root, &HashMap::new(), &mut |key, ty| {
            out.push(TemplateInput {
                key,
                ty: ty.clone(),
                required: true,
                default_at: None,
            })
        });
    }
    out
}

/// Reports (through `missing`) each required input of a call that neither the call nor the
/// inputs give, by its full name.
fn check_calls(
    body: &Body,
    prefix: &str,
    nested: &HashMap<String, HashMap<Arc<str>, Value>>,
    missing: &mut dyn FnMut(String, &ferry_wdl::ir::Type),
) {
    for s in &body.stmts {
        match s {
            Stmt::Call(c) => {
                let path = format!("{prefix}.{}", c.name);
                let given = nested.get(&path);
                for d in c.callee.inputs() {
                    let bound = c.inputs.iter().any(|(n, _)| *n == d.name)
                        || given.is_some_and(|g| g.contains_key(&d.name));
                    if !bound && d.expr.is_none() && !d.ty.is_optional() {
                        missing(format!("{path}.{}", d.name), &d.ty);
                    }
                }
                if let Callee::Workflow(sub) = &c.callee {
                    check_calls(&sub.body, &path, nested, missing);
                }
            }
            Stmt::Scatter(sc) => check_calls(&sc.body, prefix, nested, missing),
            Stmt::Conditional(cd) => {
                for (_, b) in &cd.clauses {
                    check_calls(b, prefix, nested, missing);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn flow_depth_counts_brackets_outside_quotes_and_comments() {
        use super::flow_depth;
        assert_eq!(flow_depth("a: [1, [2, {b: [3]}]]\n"), 4);
        assert_eq!(
            flow_depth("a: \"[[[[\"\nb: '{{{'\n# [[[[[\nc: it's [x]\n"),
            1
        );
        assert_eq!(
            flow_depth(&format!(
                "a: {}{}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )),
            100_000
        );
    }
}
