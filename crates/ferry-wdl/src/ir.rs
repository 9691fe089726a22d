//! Ferry's lowered form of a WDL document.
//!
//! The syntax tree of `wdl-ast` is a rowan tree: not `Send`, and walking it means re-reading
//! tokens and re-parsing literals every time. A scatter of 100,000 shards evaluates the same
//! expressions 100,000 times, so the engine evaluates this owned, `Send + Sync` form instead.
//! Everything here is immutable after lowering and shared through `Arc`.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

/// A WDL type, as declared or as resolved by lowering.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Boolean,
    Int,
    Float,
    String,
    File,
    Directory,
    /// `Array[T]` or `Array[T]+` (the flag).
    Array(Box<Type>, bool),
    Map(Box<Type>, Box<Type>),
    Pair(Box<Type>, Box<Type>),
    Object,
    Struct(Arc<StructType>),
    /// A WDL 1.3 enumeration.
    Enum(Arc<EnumType>),
    /// `T?`
    Optional(Box<Type>),
    /// A type the engine could not name statically (e.g. a `read_json` result). Accepts anything.
    Any,
}

impl Type {
    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::Any)
    }

    /// The type without its optional marker.
    pub fn required(&self) -> &Type {
        match self {
            Type::Optional(t) => t.required(),
            t => t,
        }
    }

    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Any => self,
            t => Type::Optional(Box::new(t)),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Boolean => write!(f, "Boolean"),
            Type::Int => write!(f, "Int"),
            Type::Float => write!(f, "Float"),
            Type::String => write!(f, "String"),
            Type::File => write!(f, "File"),
            Type::Directory => write!(f, "Directory"),
            Type::Array(t, ne) => write!(f, "Array[{t}]{}", if *ne { "+" } else { "" }),
            Type::Map(k, v) => write!(f, "Map[{k}, {v}]"),
            Type::Pair(l, r) => write!(f, "Pair[{l}, {r}]"),
            Type::Object => write!(f, "Object"),
            Type::Struct(s) => write!(f, "{}", s.name),
            Type::Enum(e) => write!(f, "{}", e.name),
            Type::Optional(t) => write!(f, "{t}?"),
            Type::Any => write!(f, "Any"),
        }
    }
}

#[derive(Debug, PartialEq)]
pub struct StructType {
    pub name: String,
    pub members: IndexMap<String, Type>,
}

/// A WDL 1.3 enumeration: its choices in order, each with the expression of its value (a
/// choice declared without one has its own name as value).
#[derive(Debug)]
pub struct EnumType {
    pub name: String,
    pub choices: Vec<(String, Expr)>,
}

impl EnumType {
    pub fn choice(&self, name: &str) -> Option<u32> {
        self.choices
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| i as u32)
    }

    pub fn choice_name(&self, index: u32) -> &str {
        self.choices
            .get(index as usize)
            .map(|(n, _)| n.as_str())
            .unwrap_or("")
    }
}

/// Two enum types are the same type when they have the same name and choices (an enum imported
/// under an alias is still the enum it names).
impl PartialEq for EnumType {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.choices.len() == other.choices.len()
            && self
                .choices
                .iter()
                .zip(&other.choices)
                .all(|(a, b)| a.0 == b.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

/// A position in a WDL source file, for messages a person can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[derive(Clone, Debug)]
pub enum Expr {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string literal; a literal without placeholders is one `Text` part.
    Str(Vec<StrPart>),
    Name(Arc<str>),
    Array(Vec<Expr>),
    Pair(Box<(Expr, Expr)>),
    Map(Vec<(Expr, Expr)>),
    Object(Vec<(Arc<str>, Expr)>),
    Struct(Arc<StructType>, Vec<(Arc<str>, Expr)>),
    If(Box<(Expr, Expr, Expr)>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<(Expr, Expr)>),
    Apply(Arc<str>, Vec<Expr>),
    Index(Box<(Expr, Expr)>),
    Access(Box<Expr>, Arc<str>),
    /// `Color.Red`: a choice of an enumeration, by index.
    EnumChoice(Arc<EnumType>, u32),
}

#[derive(Clone, Debug)]
pub enum StrPart {
    Text(String),
    Placeholder(Box<Placeholder>),
}

#[derive(Clone, Debug)]
pub struct Placeholder {
    pub expr: Expr,
    pub sep: Option<String>,
    /// `true=".." false=".."`
    pub true_false: Option<(String, String)>,
    pub default: Option<String>,
}

impl Expr {
    /// Names this expression reads from its environment.
    pub fn free_names(&self, out: &mut Vec<Arc<str>>) {
        match self {
            Expr::None | Expr::Bool(_) | Expr::Int(_) | Expr::Float(_) | Expr::EnumChoice(..) => {}
            Expr::Str(parts) => {
                for p in parts {
                    if let StrPart::Placeholder(p) = p {
                        p.expr.free_names(out);
                    }
                }
            }
            Expr::Name(n) => out.push(n.clone()),
            Expr::Array(items) | Expr::Apply(_, items) => {
                items.iter().for_each(|e| e.free_names(out))
            }
            Expr::Pair(p) | Expr::Index(p) | Expr::Binary(_, p) => {
                p.0.free_names(out);
                p.1.free_names(out);
            }
            Expr::Map(items) => items.iter().for_each(|(k, v)| {
                k.free_names(out);
                v.free_names(out);
            }),
            Expr::Object(items) | Expr::Struct(_, items) => {
                items.iter().for_each(|(_, v)| v.free_names(out))
            }
            Expr::If(b) => {
                b.0.free_names(out);
                b.1.free_names(out);
                b.2.free_names(out);
            }
            Expr::Unary(_, e) | Expr::Access(e, _) => e.free_names(out),
        }
    }
}

/// A declaration: an input, a private value or an output.
#[derive(Clone, Debug)]
pub struct Decl {
    pub name: Arc<str>,
    pub ty: Type,
    pub expr: Option<Expr>,
    /// WDL 1.2 `env`: also exported to the command's environment.
    pub env: bool,
    pub location: Location,
}

/// A piece of a command section after common indentation was removed.
#[derive(Clone, Debug)]
pub enum CommandPart {
    Text(String),
    Placeholder(Placeholder),
}

#[derive(Debug)]
pub struct Task {
    pub name: Arc<str>,
    pub version: Version,
    pub inputs: Vec<Decl>,
    /// Private declarations, in an order where each only depends on earlier ones or inputs.
    pub decls: Vec<Decl>,
    pub command: Vec<CommandPart>,
    /// `runtime` (1.0/1.1) or `requirements` (1.2) items.
    pub requirements: Vec<(Arc<str>, Expr)>,
    /// Where each of `requirements` is written, index for index.
    pub requirement_locations: Vec<Location>,
    pub hints: Vec<(Arc<str>, Expr)>,
    pub outputs: Vec<Decl>,
    pub meta: serde_json::Value,
    pub parameter_meta: serde_json::Value,
    pub location: Location,
    /// The parts of the definition that decide its results (inputs, declarations, command,
    /// container and return codes, outputs), without source positions, comments or metadata:
    /// what the call cache keys on.
    pub fingerprint: String,
}

impl Task {
    /// Where the first requirement of these names (one key and its aliases) is written, or the
    /// task's own position if none is: what an error about that requirement points at.
    pub fn requirement_location(&self, names: &[&str]) -> &Location {
        self.requirements
            .iter()
            .position(|(k, _)| names.contains(&&**k))
            .and_then(|i| self.requirement_locations.get(i))
            .unwrap_or(&self.location)
    }

    /// `volatile: true` in the hints or runtime section: never cached.
    pub fn volatile(&self) -> bool {
        self.hints
            .iter()
            .chain(&self.requirements)
            .any(|(k, e)| &**k == "volatile" && matches!(e, Expr::Bool(true)))
    }
}

/// See [`Task::fingerprint`].
pub fn task_fingerprint(
    name: &str,
    version: Version,
    inputs: &[Decl],
    decls: &[Decl],
    command: &[CommandPart],
    requirements: &[(Arc<str>, Expr)],
    outputs: &[Decl],
) -> String {
    let strip = |ds: &[Decl]| -> Vec<(Arc<str>, String, Option<String>)> {
        ds.iter()
            .map(|d| {
                (
                    d.name.clone(),
                    d.ty.to_string(),
                    d.expr.as_ref().map(|e| format!("{e:?}")),
                )
            })
            .collect()
    };
    let reqs: Vec<&(Arc<str>, Expr)> = requirements
        .iter()
        .filter(|(k, _)| {
            matches!(
                &**k,
                "container" | "docker" | "returnCodes" | "return_codes"
            )
        })
        .collect();
    format!(
        "{name}|{version}|{:?}|{:?}|{command:?}|{reqs:?}|{:?}",
        strip(inputs),
        strip(decls),
        strip(outputs)
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1_0 => "1.0",
            Version::V1_1 => "1.1",
            Version::V1_2 => "1.2",
            Version::V1_3 => "1.3",
        })
    }
}

#[derive(Debug)]
pub enum Callee {
    Task(Arc<Task>),
    Workflow(Arc<Workflow>),
}

impl Callee {
    pub fn inputs(&self) -> &[Decl] {
        match self {
            Callee::Task(t) => &t.inputs,
            Callee::Workflow(w) => &w.inputs,
        }
    }
    pub fn outputs(&self) -> &[Decl] {
        match self {
            Callee::Task(t) => &t.outputs,
            Callee::Workflow(w) => &w.outputs,
        }
    }
    pub fn name(&self) -> &str {
        match self {
            Callee::Task(t) => &t.name,
            Callee::Workflow(w) => &w.name,
        }
    }
}

#[derive(Debug)]
pub struct Call {
    /// The name the call is known by in its workflow (alias or callee name).
    pub name: Arc<str>,
    pub callee: Callee,
    pub inputs: Vec<(Arc<str>, Expr)>,
    pub after: Vec<Arc<str>>,
    pub location: Location,
}

#[derive(Debug)]
pub struct Scatter {
    pub variable: Arc<str>,
    pub expr: Expr,
    pub body: Body,
    pub location: Location,
}

#[derive(Debug)]
pub struct Conditional {
    /// `if`, `else if`… clauses; an `else` clause has no condition.
    pub clauses: Vec<(Option<Expr>, Body)>,
    pub location: Location,
}

#[derive(Debug)]
pub enum Stmt {
    /// A workflow input: bound from the caller's inputs, else from its default.
    Input(Decl),
    Decl(Decl),
    Call(Call),
    Scatter(Scatter),
    Conditional(Conditional),
    Output(Decl),
}

impl Stmt {
    /// Names this statement introduces into its enclosing scope.
    pub fn defined_names(&self, out: &mut Vec<Arc<str>>) {
        match self {
            Stmt::Input(d) | Stmt::Decl(d) | Stmt::Output(d) => out.push(d.name.clone()),
            Stmt::Call(c) => out.push(c.name.clone()),
            Stmt::Scatter(s) => s.body.stmts.iter().for_each(|s| s.defined_names(out)),
            Stmt::Conditional(c) => {
                for (_, body) in &c.clauses {
                    body.stmts.iter().for_each(|s| s.defined_names(out));
                }
                out.sort();
                out.dedup();
            }
        }
    }

    /// Names read from outside this statement.
    pub fn free_names(&self, out: &mut Vec<Arc<str>>) {
        match self {
            Stmt::Input(d) | Stmt::Decl(d) | Stmt::Output(d) => {
                if let Some(e) = &d.expr {
                    e.free_names(out)
                }
            }
            Stmt::Call(c) => {
                c.inputs.iter().for_each(|(_, e)| e.free_names(out));
                out.extend(c.after.iter().cloned());
            }
            Stmt::Scatter(s) => {
                s.expr.free_names(out);
                let mut inner = s.body.outer_names.clone();
                inner.retain(|n| **n != *s.variable);
                out.extend(inner);
            }
            Stmt::Conditional(c) => {
                for (cond, body) in &c.clauses {
                    if let Some(e) = cond {
                        e.free_names(out);
                    }
                    out.extend(body.outer_names.iter().cloned());
                }
            }
        }
    }
}

/// A list of statements with their dependency graph, computed once at lowering so that running
/// a body (a scatter shard, say) only needs a counter per statement.
#[derive(Debug, Default)]
pub struct Body {
    pub stmts: Vec<Stmt>,
    /// For each statement, how many statements of this body it waits for.
    pub dep_counts: Vec<u32>,
    /// For each statement, the statements of this body that wait for it.
    pub dependents: Vec<Vec<u32>>,
    /// Names read by this body that no statement of it defines.
    pub outer_names: Vec<Arc<str>>,
}

impl Body {
    pub fn new(stmts: Vec<Stmt>) -> Body {
        let mut definers: std::collections::HashMap<Arc<str>, Vec<u32>> = Default::default();
        for (i, s) in stmts.iter().enumerate() {
            let mut names = Vec::new();
            s.defined_names(&mut names);
            for n in names {
                definers.entry(n).or_default().push(i as u32);
            }
        }
        let mut dep_counts = vec![0u32; stmts.len()];
        let mut dependents = vec![Vec::new(); stmts.len()];
        let mut outer = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            let mut names = Vec::new();
            s.free_names(&mut names);
            let mut deps: Vec<u32> = Vec::new();
            for n in names {
                match definers.get(&n) {
                    Some(ds) => deps.extend(ds.iter().copied().filter(|&d| d as usize != i)),
                    None => outer.push(n),
                }
            }
            // A workflow output may share a name with nothing else, but a body statement never
            // depends on an output.
            deps.retain(|&d| {
                !matches!(stmts[d as usize], Stmt::Output(_)) || matches!(s, Stmt::Output(_))
            });
            deps.sort_unstable();
            deps.dedup();
            dep_counts[i] = deps.len() as u32;
            for d in deps {
                dependents[d as usize].push(i as u32);
            }
        }
        outer.sort();
        outer.dedup();
        Body {
            stmts,
            dep_counts,
            dependents,
            outer_names: outer,
        }
    }
}

#[derive(Debug)]
pub struct Workflow {
    pub name: Arc<str>,
    pub version: Version,
    /// Inputs, body statements and outputs, in one dependency graph.
    pub body: Body,
    pub inputs: Vec<Decl>,
    pub outputs: Vec<Decl>,
    pub allow_nested_inputs: bool,
    pub location: Location,
}

/// A lowered document: what `ferry run` executes.
#[derive(Debug)]
pub struct Document {
    pub path: Arc<str>,
    pub version: Version,
    pub workflow: Option<Arc<Workflow>>,
    pub tasks: IndexMap<String, Arc<Task>>,
}
