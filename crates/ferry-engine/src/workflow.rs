//! The workflow driver: runs a workflow's call graph, one frame per workflow, scatter shard and
//! taken conditional branch.
//!
//! Each frame keeps only a dependency counter per statement of its body (the graph itself was
//! computed once at lowering), so an event costs O(1) whatever the scatter width. Shards are
//! materialized lazily, at most `window` live at a time per scatter, which bounds memory for
//! 100,000-shard scatters to the gathered values.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use ferry_eval::{Evaluator, Io, Members, Scope, Value, coerce};
use ferry_wdl::ir::{Body, Callee, Decl, Stmt, Workflow};
use tokio::sync::mpsc;

use crate::Shared;
use crate::scope::FrameScope;
use crate::task::{CallError, CallJob, run_call};

/// Set in the environment, the driver panics when a call ends: how the tests check that a
/// panicking driver still stops what the run started. Not a `FERRY_` variable (those are
/// configuration).
static PANIC_AFTER_CALL: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("DEBUG_FERRY_PANIC_AFTER_CALL").is_some());

enum Parent {
    Root,
    Call {
        frame: usize,
        stmt: u32,
    },
    Shard {
        frame: usize,
        stmt: u32,
        index: usize,
    },
    Clause {
        frame: usize,
        stmt: u32,
    },
}

struct Frame<'a> {
    body: &'a Body,
    scope: FrameScope,
    remaining: Vec<u32>,
    pending: usize,
    parent: Parent,
    supplied: HashMap<Arc<str>, Value>,
    /// Directory under which this frame's calls get their directories.
    dir: PathBuf,
    /// `shard-3/shard-1` for nested shards, appended to call directories.
    shard_suffix: String,
    label_prefix: String,
    label_suffix: String,
    /// `wf` or `wf.subcall`: prefix of the nested-input keys that apply here.
    input_prefix: Arc<str>,
    outputs: &'a [Decl],
    scatters: HashMap<u32, Collector>,
}

/// Names a body defines, each with its call's output names if it is a call.
type NameKinds = Vec<(Arc<str>, Option<Vec<Arc<str>>>)>;

struct Collector {
    names: NameKinds,
    /// `columns[c][shard]`, a column per plain name and per output of each call (see
    /// `column_count`): a shard's call outputs are split into their columns as it finishes, so a
    /// 100,000-shard scatter holds 100,000 values per output, not 100,000 output maps.
    columns: Vec<Vec<Value>>,
    items: Arc<Vec<Value>>,
    variable: Arc<str>,
    scope: Arc<FrameScope>,
    next: usize,
    done: usize,
}

struct Completion {
    frame: usize,
    stmt: u32,
    result: Result<Members, CallError>,
}

pub struct Driver<'a> {
    shared: Arc<Shared>,
    nested_inputs: &'a HashMap<String, HashMap<Arc<str>, Value>>,
    frames: Vec<Option<Frame<'a>>>,
    free: Vec<usize>,
    ready: VecDeque<(usize, u32)>,
    tx: mpsc::UnboundedSender<Completion>,
    rx: mpsc::UnboundedReceiver<Completion>,
    outstanding: usize,
    failures: Vec<String>,
    window: usize,
    io: Io,
    root_outputs: Option<Members>,
}

fn name_kinds(body: &Body) -> NameKinds {
    let mut out: NameKinds = Vec::new();
    for s in &body.stmts {
        match s {
            Stmt::Call(c) => out.push((
                c.name.clone(),
                Some(c.callee.outputs().iter().map(|d| d.name.clone()).collect()),
            )),
            Stmt::Decl(d) => out.push((d.name.clone(), None)),
            Stmt::Scatter(sc) => out.extend(name_kinds(&sc.body)),
            Stmt::Conditional(cd) => out.extend(conditional_name_kinds(cd)),
            Stmt::Input(_) | Stmt::Output(_) => {}
        }
    }
    out
}

/// Names any clause of a conditional defines, each once.
fn conditional_name_kinds(cd: &ferry_wdl::ir::Conditional) -> NameKinds {
    let mut names = NameKinds::new();
    for (_, b) in &cd.clauses {
        for nk in name_kinds(b) {
            if !names.iter().any(|(n, _)| *n == nk.0) {
                names.push(nk);
            }
        }
    }
    names
}

fn located(loc: &ferry_wdl::ir::Location, what: &str, msg: String) -> String {
    format!("{loc}: {what}: {msg}")
}

impl<'a> Driver<'a> {
    pub fn new(
        shared: Arc<Shared>,
        nested_inputs: &'a HashMap<String, HashMap<Arc<str>, Value>>,
        io: Io,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Driver {
            window: shared.scatter_window,
            shared,
            nested_inputs,
            frames: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            tx,
            rx,
            outstanding: 0,
            failures: Vec::new(),
            io,
            root_outputs: None,
        }
    }

    /// Runs `workflow` to completion. Returns its outputs, or every failure seen.
    pub async fn run(
        mut self,
        workflow: &'a Workflow,
        inputs: HashMap<Arc<str>, Value>,
        calls_dir: PathBuf,
    ) -> Result<Members, Vec<String>> {
        self.new_frame(Frame {
            body: &workflow.body,
            scope: FrameScope::default(),
            remaining: Vec::new(),
            pending: 0,
            parent: Parent::Root,
            supplied: inputs,
            dir: calls_dir,
            shard_suffix: String::new(),
            label_prefix: String::new(),
            label_suffix: String::new(),
            input_prefix: workflow.name.clone(),
            outputs: &workflow.outputs,
            scatters: HashMap::new(),
        });
        loop {
            while let Some((f, s)) = self.ready.pop_front() {
                if self.stopping() {
                    self.ready.clear();
                    break;
                }
                if let Err(e) = self.start(f, s) {
                    self.fail(e);
                }
            }
            if self.outstanding == 0 {
                break;
            }
            let Some(c) = self.rx.recv().await else { break };
            self.outstanding -= 1;
            // Fault injection for the test of the run's panic guard (`ferry_engine::run`).
            if *PANIC_AFTER_CALL {
                panic!("DEBUG_FERRY_PANIC_AFTER_CALL is set");
            }
            match c.result {
                Ok(outputs) => {
                    let name = match self.frame(c.frame).map(|f| &f.body.stmts[c.stmt as usize]) {
                        Some(Stmt::Call(call)) => call.name.clone(),
                        _ => continue,
                    };
                    self.complete(
                        c.frame,
                        c.stmt,
                        vec![(name, Value::Call(Arc::new(outputs)))],
                    );
                }
                Err(CallError::Failed(m)) => self.fail(m),
                Err(CallError::Cancelled) => {}
            }
        }
        if !self.failures.is_empty() {
            let skipped = self.skipped();
            if self.shared.keep_going && !skipped.is_empty() {
                self.failures.push(format!(
                    "skipped, as they depend on a failed call: {}",
                    skipped.join(", ")
                ));
            }
            return Err(self.failures);
        }
        if self
            .shared
            .cancelled
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Err(vec!["cancelled".into()]);
        }
        self.root_outputs
            .ok_or_else(|| vec!["the workflow did not finish (internal error)".to_string()])
    }

    fn stopping(&self) -> bool {
        self.shared.stopping()
    }

    fn fail(&mut self, message: String) {
        // Keeping going: what depends on the failed statement never becomes ready (its
        // dependency count never reaches zero), everything else runs on.
        if !self.shared.keep_going {
            self.shared.fail();
        }
        self.failures.push(message);
    }

    /// The calls that never started because something they depend on failed (with
    /// `--keep-going`), by label.
    fn skipped(&self) -> Vec<String> {
        fn calls_in(body: &Body, prefix: &str, out: &mut Vec<String>) {
            for stmt in &body.stmts {
                match stmt {
                    Stmt::Call(c) => out.push(format!("{prefix}{}", c.name)),
                    Stmt::Scatter(s) => calls_in(&s.body, prefix, out),
                    Stmt::Conditional(c) => {
                        for (_, b) in &c.clauses {
                            calls_in(b, prefix, out);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for f in self.frames.iter().flatten() {
            for (i, stmt) in f.body.stmts.iter().enumerate() {
                if f.remaining.get(i).copied().unwrap_or(0) == 0 {
                    continue;
                }
                let prefix = f.label_prefix.as_str();
                match stmt {
                    Stmt::Call(c) => out.push(format!("{prefix}{}{}", c.name, f.label_suffix)),
                    Stmt::Scatter(s) => calls_in(&s.body, prefix, &mut out),
                    Stmt::Conditional(c) => {
                        for (_, b) in &c.clauses {
                            calls_in(b, prefix, &mut out);
                        }
                    }
                    _ => {}
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn frame(&self, id: usize) -> Option<&Frame<'a>> {
        self.frames.get(id).and_then(|f| f.as_ref())
    }

    fn frame_mut(&mut self, id: usize) -> Option<&mut Frame<'a>> {
        self.frames.get_mut(id).and_then(|f| f.as_mut())
    }

    fn new_frame(&mut self, mut frame: Frame<'a>) -> usize {
        frame.remaining = frame.body.dep_counts.clone();
        frame.pending = frame.body.stmts.len();
        let ready: Vec<u32> = frame
            .remaining
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == 0)
            .map(|(i, _)| i as u32)
            .collect();
        let id = match self.free.pop() {
            Some(id) => {
                self.frames[id] = Some(frame);
                id
            }
            None => {
                self.frames.push(Some(frame));
                self.frames.len() - 1
            }
        };
        if ready.is_empty() && self.frame(id).is_some_and(|f| f.pending == 0) {
            self.finish_frame(id);
        }
        for s in ready {
            self.ready.push_back((id, s));
        }
        id
    }

    fn eval_in(&self, frame: &Frame<'a>, e: &ferry_wdl::ir::Expr) -> Result<Value, String> {
        Evaluator::new(&frame.scope, &self.io).eval(e)
    }

    /// Starts statement `sid` of frame `fid`, whose dependencies are all done.
    fn start(&mut self, fid: usize, sid: u32) -> Result<(), String> {
        let Some(frame) = self.frame(fid) else {
            return Ok(());
        };
        let body: &'a Body = frame.body;
        match &body.stmts[sid as usize] {
            Stmt::Input(d) => self.start_input(fid, sid, d),
            Stmt::Decl(d) | Stmt::Output(d) => self.start_decl(fid, sid, d),
            Stmt::Call(c) => self.start_call(fid, sid, c),
            Stmt::Scatter(sc) => self.start_scatter(fid, sid, sc),
            Stmt::Conditional(cd) => self.start_conditional(fid, sid, cd),
        }
    }

    /// A workflow input: what the caller gave, else its default.
    fn start_input(&mut self, fid: usize, sid: u32, d: &'a Decl) -> Result<(), String> {
        let Some(frame) = self.frame(fid) else {
            return Ok(());
        };
        let v = match crate::task::given_value(d, frame.supplied.get(&d.name)) {
            Some(v) => coerce(v, &d.ty).map_err(|m| located(&d.location, &d.name, m))?,
            None => match &d.expr {
                Some(e) => {
                    let v = self
                        .eval_in(frame, e)
                        .map_err(|m| located(&d.location, &d.name, m))?;
                    coerce(&v, &d.ty).map_err(|m| located(&d.location, &d.name, m))?
                }
                None if d.ty.is_optional() => Value::None,
                None => {
                    return Err(located(
                        &d.location,
                        &d.name,
                        "required input has no value".into(),
                    ));
                }
            },
        };
        let name = d.name.clone();
        self.complete(fid, sid, vec![(name, v)]);
        Ok(())
    }

    /// A declaration or an output: evaluated at once.
    fn start_decl(&mut self, fid: usize, sid: u32, d: &'a Decl) -> Result<(), String> {
        let Some(frame) = self.frame(fid) else {
            return Ok(());
        };
        let v = match &d.expr {
            Some(e) => self
                .eval_in(frame, e)
                .map_err(|m| located(&d.location, &d.name, m))?,
            None => Value::None,
        };
        let v = coerce(&v, &d.ty).map_err(|m| located(&d.location, &d.name, m))?;
        let name = d.name.clone();
        self.complete(fid, sid, vec![(name, v)]);
        Ok(())
    }

    /// A call: a task call becomes a `CallJob` on its own task; a subworkflow call, a frame.
    fn start_call(
        &mut self,
        fid: usize,
        sid: u32,
        c: &'a ferry_wdl::ir::Call,
    ) -> Result<(), String> {
        let Some(frame) = self.frame(fid) else {
            return Ok(());
        };
        let mut inputs: HashMap<Arc<str>, Value> = HashMap::new();
        // Most runs give no call inputs in inputs.json: skip building the key per shard.
        if !self.nested_inputs.is_empty()
            && let Some(extra) = self
                .nested_inputs
                .get(&format!("{}.{}", frame.input_prefix, c.name))
        {
            inputs.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for (name, e) in &c.inputs {
            let v = self.eval_in(frame, e).map_err(|m| {
                located(
                    &c.location,
                    &format!("input `{name}` of call `{}`", c.name),
                    m,
                )
            })?;
            inputs.insert(name.clone(), v);
        }
        let mut call_dir = frame.dir.join(&*c.name);
        if !frame.shard_suffix.is_empty() {
            call_dir.push(&frame.shard_suffix);
        }
        let label = format!("{}{}{}", frame.label_prefix, c.name, frame.label_suffix);
        match &c.callee {
            Callee::Task(t) => {
                let key = crate::progress::call_key(&format!("{}{}", frame.label_prefix, c.name));
                // A shard's attempts sit beside each other (`shard-3.attempt-1`),
                // not in a directory per shard: one inode less per shard.
                let (call_dir, attempt_prefix) = match (call_dir.parent(), call_dir.file_name()) {
                    (Some(parent), Some(shard)) if !frame.shard_suffix.is_empty() => (
                        parent.to_path_buf(),
                        format!("{}.", shard.to_string_lossy()),
                    ),
                    _ => (call_dir, String::new()),
                };
                let job = CallJob {
                    task: t.clone(),
                    inputs,
                    label,
                    call_dir,
                    attempt_prefix,
                    progress: self.shared.progress.counters(&key),
                };
                let shared = self.shared.clone();
                let tx = self.tx.clone();
                self.outstanding += 1;
                tokio::spawn(async move {
                    // A panic in a call must end that call, not leave the driver
                    // waiting for a completion that never comes.
                    use futures_util::FutureExt;
                    let label = job.label.clone();
                    let result = std::panic::AssertUnwindSafe(run_call(job, shared))
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|panic| {
                            let why = panic
                                .downcast_ref::<String>()
                                .map(String::as_str)
                                .or_else(|| panic.downcast_ref::<&str>().copied())
                                .unwrap_or("no message");
                            Err(crate::task::CallError::Failed(format!(
                                "call {label}: internal error: Ferry panicked ({why}); \
                                 please report it"
                            )))
                        });
                    let _ = tx.send(Completion {
                        frame: fid,
                        stmt: sid,
                        result,
                    });
                });
            }
            Callee::Workflow(w) => {
                let input_prefix: Arc<str> = format!("{}.{}", frame.input_prefix, c.name).into();
                self.new_frame(Frame {
                    body: &w.body,
                    scope: FrameScope::default(),
                    remaining: Vec::new(),
                    pending: 0,
                    parent: Parent::Call {
                        frame: fid,
                        stmt: sid,
                    },
                    supplied: inputs,
                    dir: call_dir,
                    shard_suffix: String::new(),
                    label_prefix: format!("{label}."),
                    label_suffix: String::new(),
                    input_prefix,
                    outputs: &w.outputs,
                    scatters: HashMap::new(),
                });
            }
        }
        Ok(())
    }

    /// A scatter: its shards start lazily, at most `window` live (`spawn_shards`).
    fn start_scatter(
        &mut self,
        fid: usize,
        sid: u32,
        sc: &'a ferry_wdl::ir::Scatter,
    ) -> Result<(), String> {
        let Some(frame) = self.frame(fid) else {
            return Ok(());
        };
        let items = match self
            .eval_in(frame, &sc.expr)
            .map_err(|m| located(&sc.location, "scatter", m))?
        {
            Value::Array(a) => a,
            v => {
                return Err(located(
                    &sc.location,
                    "scatter",
                    format!("needs an Array, not a {}", v.type_name()),
                ));
            }
        };
        for stmt in &sc.body.stmts {
            if let Stmt::Call(c) = stmt
                && matches!(c.callee, Callee::Task(_))
            {
                let key = crate::progress::call_key(&format!("{}{}", frame.label_prefix, c.name));
                self.shared
                    .progress
                    .counters(&key)
                    .expected
                    .fetch_add(items.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let names = name_kinds(&sc.body);
        if items.is_empty() {
            let bindings = gather(&names, vec![Vec::new(); column_count(&names)]);
            self.complete(fid, sid, bindings);
            return Ok(());
        }
        let collector = Collector {
            columns: vec![Vec::with_capacity(items.len()); column_count(&names)],
            names,
            items,
            variable: sc.variable.clone(),
            scope: frame.scope.freeze(),
            next: 0,
            done: 0,
        };
        if let Some(f) = self.frame_mut(fid) {
            f.scatters.insert(sid, collector);
        }
        self.spawn_shards(fid, sid);
        Ok(())
    }

    /// A conditional: the first clause whose condition holds runs as a frame; none, and its names are absent.
    fn start_conditional(
        &mut self,
        fid: usize,
        sid: u32,
        cd: &'a ferry_wdl::ir::Conditional,
    ) -> Result<(), String> {
        let Some(frame) = self.frame(fid) else {
            return Ok(());
        };
        let mut taken = None;
        for (i, (cond, _)) in cd.clauses.iter().enumerate() {
            let yes = match cond {
                None => true,
                Some(e) => match self
                    .eval_in(frame, e)
                    .map_err(|m| located(&cd.location, "if", m))?
                {
                    Value::Bool(b) => b,
                    v => {
                        return Err(located(
                            &cd.location,
                            "if",
                            format!("needs a Boolean, not a {}", v.type_name()),
                        ));
                    }
                },
            };
            if yes {
                taken = Some(i);
                break;
            }
        }
        if self.shared.profile.stub {
            let mut not_taken = std::collections::BTreeSet::new();
            for (i, (_, body)) in cd.clauses.iter().enumerate() {
                if Some(i) != taken {
                    crate::images::task_calls(body, &frame.label_prefix, &mut not_taken);
                }
            }
            if let Ok(mut all) = self.shared.branches_not_taken.lock() {
                all.extend(not_taken);
            }
        }
        match taken {
            None => {
                let bindings = conditional_name_kinds(cd)
                    .into_iter()
                    .map(|(n, kind)| (n, absent(&kind)))
                    .collect();
                self.complete(fid, sid, bindings);
            }
            Some(i) => {
                let body = &cd.clauses[i].1;
                let child = Frame {
                    body,
                    scope: FrameScope::child(frame.scope.freeze()),
                    remaining: Vec::new(),
                    pending: 0,
                    parent: Parent::Clause {
                        frame: fid,
                        stmt: sid,
                    },
                    supplied: HashMap::new(),
                    dir: frame.dir.clone(),
                    shard_suffix: frame.shard_suffix.clone(),
                    label_prefix: frame.label_prefix.clone(),
                    label_suffix: frame.label_suffix.clone(),
                    input_prefix: frame.input_prefix.clone(),
                    outputs: &[],
                    scatters: HashMap::new(),
                };
                self.new_frame(child);
            }
        }
        Ok(())
    }

    fn spawn_shards(&mut self, fid: usize, sid: u32) {
        let window = self.window;
        loop {
            if self.stopping() {
                return;
            }
            let Some(frame) = self.frame_mut(fid) else {
                return;
            };
            let body = match &frame.body.stmts[sid as usize] {
                Stmt::Scatter(sc) => &sc.body,
                _ => return,
            };
            let dir = frame.dir.clone();
            let shard_prefix = frame.shard_suffix.clone();
            let label_prefix = frame.label_prefix.clone();
            let label_suffix = frame.label_suffix.clone();
            let input_prefix = frame.input_prefix.clone();
            let Some(col) = frame.scatters.get_mut(&sid) else {
                return;
            };
            let live = col.next - col.done;
            if col.next >= col.items.len() || live >= window {
                return;
            }
            let index = col.next;
            col.next += 1;
            let mut scope = FrameScope::child(col.scope.clone());
            scope.bind(col.variable.clone(), col.items[index].clone());
            let shard_suffix = if shard_prefix.is_empty() {
                format!("shard-{index}")
            } else {
                format!("{shard_prefix}/shard-{index}")
            };
            self.new_frame(Frame {
                body,
                scope,
                remaining: Vec::new(),
                pending: 0,
                parent: Parent::Shard {
                    frame: fid,
                    stmt: sid,
                    index,
                },
                supplied: HashMap::new(),
                dir,
                shard_suffix,
                label_prefix,
                label_suffix: format!("{label_suffix}[{index}]"),
                input_prefix,
                outputs: &[],
                scatters: HashMap::new(),
            });
        }
    }

    /// Records that statement `sid` of frame `fid` finished with `bindings`.
    fn complete(&mut self, fid: usize, sid: u32, bindings: Vec<(Arc<str>, Value)>) {
        let Some(frame) = self.frames.get_mut(fid).and_then(|f| f.as_mut()) else {
            return;
        };
        for (n, v) in bindings {
            frame.scope.bind(n, v);
        }
        let body = frame.body;
        for &d in &body.dependents[sid as usize] {
            let r = &mut frame.remaining[d as usize];
            *r -= 1;
            if *r == 0 {
                self.ready.push_back((fid, d));
            }
        }
        frame.pending -= 1;
        if frame.pending == 0 {
            self.finish_frame(fid);
        }
    }

    fn finish_frame(&mut self, fid: usize) {
        let Some(frame) = self.frames.get_mut(fid).and_then(|f| f.take()) else {
            return;
        };
        self.free.push(fid);
        match frame.parent {
            Parent::Root => self.root_outputs = Some(workflow_outputs(&frame)),
            Parent::Call { frame: pf, stmt } => {
                let out = workflow_outputs(&frame);
                let name = match self.frame(pf).map(|f| &f.body.stmts[stmt as usize]) {
                    Some(Stmt::Call(c)) => c.name.clone(),
                    _ => return,
                };
                self.complete(pf, stmt, vec![(name, Value::Call(Arc::new(out)))]);
            }
            Parent::Clause { frame: pf, stmt } => {
                let names = match self.frame(pf).map(|f| &f.body.stmts[stmt as usize]) {
                    Some(Stmt::Conditional(cd)) => conditional_name_kinds(cd),
                    _ => return,
                };
                let bindings = names
                    .into_iter()
                    .map(|(n, kind)| {
                        let v = frame
                            .scope
                            .vars
                            .get(&n)
                            .cloned()
                            .unwrap_or_else(|| absent(&kind));
                        (n, v)
                    })
                    .collect();
                self.complete(pf, stmt, bindings);
            }
            Parent::Shard {
                frame: pf,
                stmt,
                index,
            } => {
                let finished = {
                    let Some(parent) = self.frame_mut(pf) else {
                        return;
                    };
                    let Some(col) = parent.scatters.get_mut(&stmt) else {
                        return;
                    };
                    let mut c = 0;
                    for (n, kind) in &col.names {
                        let v = frame.scope.vars.get(n);
                        match kind {
                            Some(outputs) => {
                                let members = match v {
                                    Some(Value::Call(m)) => Some(m),
                                    _ => None,
                                };
                                for o in outputs {
                                    let v = members.and_then(|m| m.get(o)).cloned();
                                    put(&mut col.columns[c], index, v.unwrap_or(Value::None));
                                    c += 1;
                                }
                            }
                            None => {
                                put(
                                    &mut col.columns[c],
                                    index,
                                    v.cloned().unwrap_or(Value::None),
                                );
                                c += 1;
                            }
                        }
                    }
                    col.done += 1;
                    col.done == col.items.len()
                };
                if finished {
                    if let Some(col) = self.frame_mut(pf).and_then(|p| p.scatters.remove(&stmt)) {
                        let bindings = gather(&col.names, col.columns);
                        self.complete(pf, stmt, bindings);
                    }
                } else {
                    self.spawn_shards(pf, stmt);
                }
            }
        }
    }
}

/// The outputs of a finished workflow frame (the root, or a subworkflow call).
fn workflow_outputs(frame: &Frame<'_>) -> Members {
    frame
        .outputs
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                frame.scope.lookup(&d.name).unwrap_or(Value::None),
            )
        })
        .collect()
}

/// The value of a name whose conditional branch did not run.
fn absent(kind: &Option<Vec<Arc<str>>>) -> Value {
    match kind {
        Some(outputs) => Value::Call(Arc::new(
            outputs.iter().map(|o| (o.clone(), Value::None)).collect(),
        )),
        None => Value::None,
    }
}

/// Columns in `Collector::columns`: one per plain name, one per output of each call.
fn column_count(names: &NameKinds) -> usize {
    names
        .iter()
        .map(|(_, kind)| kind.as_ref().map_or(1, Vec::len))
        .sum()
}

/// Puts a shard's value in its place in a column (shards finish in any order).
fn put(column: &mut Vec<Value>, index: usize, v: Value) {
    if column.len() <= index {
        column.resize(index + 1, Value::None);
    }
    column[index] = v;
}

/// Turns the columns of per-shard values into the arrays the scatter's enclosing scope sees: a
/// call becomes an object of arrays, one per output.
fn gather(names: &NameKinds, columns: Vec<Vec<Value>>) -> Vec<(Arc<str>, Value)> {
    let mut columns = columns.into_iter();
    names
        .iter()
        .map(|(name, kind)| {
            let v = match kind {
                Some(outputs) => {
                    let m: Members = outputs
                        .iter()
                        .map(|o| (o.clone(), Value::array(columns.next().unwrap_or_default())))
                        .collect();
                    Value::Call(Arc::new(m))
                }
                None => Value::array(columns.next().unwrap_or_default()),
            };
            (name.clone(), v)
        })
        .collect()
}
