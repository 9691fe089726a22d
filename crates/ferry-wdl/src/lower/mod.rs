//! Lowering: `wdl-analysis` documents (already type-checked) into the owned IR of [`crate::ir`].

mod expr;

use expr::*;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use indexmap::IndexMap;
use wdl_analysis::types as at;
use wdl_ast::v1;
use wdl_ast::{AstNode, AstToken, SupportedVersion};

use crate::ir::*;

/// Maps byte offsets to 1-based line/column.
pub struct LineMap {
    starts: Vec<usize>,
}

impl LineMap {
    pub fn new(text: &str) -> LineMap {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineMap { starts }
    }
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        (line as u32 + 1, (offset - self.starts[line]) as u32 + 1)
    }
}

/// Lowers documents, memoized by URI so that a document imported twice is lowered once.
#[derive(Default)]
pub struct Lowerer {
    done: HashMap<String, Arc<Document>>,
    /// Every enumeration lowered so far, by [`enum_key`]: one `EnumType` per enumeration, so
    /// that a value keeps its type across documents.
    enums: HashMap<String, Arc<EnumType>>,
}

struct DocCtx<'a> {
    doc: &'a wdl_analysis::Document,
    path: Arc<str>,
    lines: LineMap,
    version: Version,
    structs: HashMap<String, Arc<StructType>>,
    /// Enumerations by the names this document uses for them (import aliases included).
    enums: HashMap<String, Arc<EnumType>>,
}

impl DocCtx<'_> {
    fn loc(&self, offset: usize) -> Location {
        let (line, col) = self.lines.line_col(offset);
        Location {
            file: self.path.clone(),
            line,
            col,
        }
    }
}

fn version_of(v: Option<SupportedVersion>) -> Version {
    match v {
        Some(SupportedVersion::V1(v1v)) => match v1v {
            wdl_ast::version::V1::Zero => Version::V1_0,
            wdl_ast::version::V1::One => Version::V1_1,
            wdl_ast::version::V1::Two => Version::V1_2,
            _ => Version::V1_3,
        },
        _ => Version::V1_2,
    }
}

/// Converts a type resolved by `wdl-analysis` (used for struct members, possibly imported), with
/// the enumerations in scope keyed by [`enum_key`].
fn from_analysis_type(
    t: &at::Type,
    structs: &mut HashMap<String, Arc<StructType>>,
    enums: &HashMap<String, Arc<EnumType>>,
) -> Type {
    let (ty, optional) = match t {
        at::Type::Primitive(p, opt) => (
            match p {
                at::PrimitiveType::Boolean => Type::Boolean,
                at::PrimitiveType::Integer => Type::Int,
                at::PrimitiveType::Float => Type::Float,
                at::PrimitiveType::String => Type::String,
                at::PrimitiveType::File => Type::File,
                at::PrimitiveType::Directory => Type::Directory,
            },
            *opt,
        ),
        at::Type::Compound(c, opt) => (
            match c {
                at::CompoundType::Array(a) => Type::Array(
                    Box::new(from_analysis_type(a.element_type(), structs, enums)),
                    a.is_non_empty(),
                ),
                at::CompoundType::Pair(p) => Type::Pair(
                    Box::new(from_analysis_type(p.left_type(), structs, enums)),
                    Box::new(from_analysis_type(p.right_type(), structs, enums)),
                ),
                at::CompoundType::Map(m) => Type::Map(
                    Box::new(from_analysis_type(m.key_type(), structs, enums)),
                    Box::new(from_analysis_type(m.value_type(), structs, enums)),
                ),
                at::CompoundType::Custom(at::CustomType::Struct(s)) => {
                    // Memoized by name *and* members: two documents may define different
                    // structs of one name (an importer's `Income` beside the `Income` of the
                    // library it imports with an alias).
                    let key = struct_key(s);
                    if let Some(done) = structs.get(&key) {
                        Type::Struct(done.clone())
                    } else {
                        let members = s
                            .members()
                            .iter()
                            .map(|(k, v)| (k.clone(), from_analysis_type(v, structs, enums)))
                            .collect();
                        let st = Arc::new(StructType {
                            name: s.name().to_string(),
                            members,
                        });
                        structs.insert(key, st.clone());
                        Type::Struct(st)
                    }
                }
                at::CompoundType::Custom(at::CustomType::Enum(e)) => {
                    match enums.get(&enum_key(e.name(), e.choices().iter().map(|c| c.as_str()))) {
                        Some(e) => Type::Enum(e.clone()),
                        None => Type::Any,
                    }
                }
            },
            *opt,
        ),
        at::Type::Object => (Type::Object, false),
        at::Type::OptionalObject => (Type::Object, true),
        _ => (Type::Any, false),
    };
    if optional { ty.optional() } else { ty }
}

/// The struct types of a document by the names it uses for them (import aliases included).
/// Local definitions come first and win over an imported struct of the same name, which
/// analysis allows only under `--compat cromwell`.
fn struct_types(
    doc: &wdl_analysis::Document,
    enums: &HashMap<String, Arc<EnumType>>,
) -> HashMap<String, Arc<StructType>> {
    let mut converted = HashMap::new();
    let mut by_name = HashMap::new();
    for s in doc.structs() {
        if let Some(t) = s.ty()
            && let Type::Struct(st) = from_analysis_type(t, &mut converted, enums)
        {
            by_name.entry(s.name().to_string()).or_insert(st);
        }
    }
    by_name
}

/// What tells two enumerations apart: their (original) name and their choices.
fn enum_key<'a>(name: &str, choices: impl Iterator<Item = &'a str>) -> String {
    let mut key = name.to_string();
    for c in choices {
        key.push('|');
        key.push_str(c);
    }
    key
}

/// What tells two analysed struct types apart: their name and their members' names and types.
fn struct_key(s: &at::StructType) -> String {
    let mut key = s.name().to_string();
    for (name, ty) in s.members() {
        key.push_str(&format!("|{name}:{ty:#}"));
    }
    key
}

impl Lowerer {
    /// Lowers a document and, on demand, the documents it imports.
    pub fn lower(&mut self, doc: &wdl_analysis::Document) -> Result<Arc<Document>> {
        let key = doc.uri().to_string();
        if let Some(d) = self.done.get(&key) {
            return Ok(d.clone());
        }
        let root = doc.root();
        let text = root.inner().text().to_string();
        let path: Arc<str> = doc
            .uri()
            .to_file_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| doc.uri().to_string())
            .into();
        let mut ctx = DocCtx {
            doc,
            path: path.clone(),
            lines: LineMap::new(&text),
            version: version_of(doc.version()),
            structs: HashMap::new(),
            enums: HashMap::new(),
        };
        // Enumerations first: struct members may have their types. A choice's value may be a
        // struct literal (WDL 1.3 `enum Color[Rgb] { Red = Rgb {…} }`), so the structs are
        // converted once before, with the enumerations known so far (an enum-typed member of a
        // struct used in an enum value is typed loosely there), and again after.
        ctx.structs = struct_types(doc, &self.enums);
        for e in doc.enums() {
            let def = e.definition();
            let original = match e.ty().and_then(|t| t.as_enum()) {
                Some(at_enum) => at_enum.name().to_string(),
                None => def.name().text().to_string(),
            };
            let names: Vec<String> = def.choices().map(|c| c.name().text().to_string()).collect();
            let key = enum_key(&original, names.iter().map(|n| n.as_str()));
            let lowered = match self.enums.get(&key) {
                Some(done) => done.clone(),
                None => {
                    let mut choices = Vec::new();
                    for c in def.choices() {
                        let name = c.name().text().to_string();
                        let value = match c.value() {
                            Some(v) => lower_expr(&ctx, &v)?,
                            None => Expr::Str(vec![StrPart::Text(name.clone())]),
                        };
                        choices.push((name, value));
                    }
                    let lowered = Arc::new(EnumType {
                        name: original,
                        choices,
                    });
                    self.enums.insert(key, lowered.clone());
                    lowered
                }
            };
            ctx.enums.insert(e.name().to_string(), lowered);
        }
        // Struct types by the names this document uses for them, now with every enumeration.
        ctx.structs = struct_types(doc, &self.enums);
        let ast = match root.ast_with_version_fallback(doc.config().fallback_version()) {
            wdl_ast::Ast::V1(ast) => ast,
            _ => bail!("{path}: unsupported WDL version"),
        };
        let mut tasks = IndexMap::new();
        for t in ast.tasks() {
            let task = lower_task(&ctx, &t)?;
            tasks.insert(task.name.to_string(), Arc::new(task));
        }
        let mut workflow = None;
        if let Some(w) = ast.workflows().next() {
            workflow = Some(Arc::new(self.lower_workflow(&ctx, &w, &tasks)?));
        }
        let lowered = Arc::new(Document {
            path,
            version: ctx.version,
            workflow,
            tasks,
        });
        self.done.insert(key, lowered.clone());
        Ok(lowered)
    }

    fn lower_workflow(
        &mut self,
        ctx: &DocCtx<'_>,
        w: &v1::WorkflowDefinition,
        tasks: &IndexMap<String, Arc<Task>>,
    ) -> Result<Workflow> {
        let mut stmts = Vec::new();
        let mut inputs = Vec::new();
        if let Some(section) = w.input() {
            for d in section.declarations() {
                let decl = lower_decl(ctx, &d)?;
                inputs.push(decl.clone());
                stmts.push(Stmt::Input(decl));
            }
        }
        for s in w.statements() {
            stmts.push(self.lower_stmt(ctx, &s, tasks)?);
        }
        let mut outputs = Vec::new();
        if let Some(section) = w.output() {
            for d in section.declarations() {
                let decl = lower_decl(ctx, &v1::Decl::Bound(d))?;
                outputs.push(decl.clone());
                stmts.push(Stmt::Output(decl));
            }
        }
        Ok(Workflow {
            name: w.name().text().into(),
            version: ctx.version,
            body: Body::new(stmts),
            inputs,
            outputs,
            allow_nested_inputs: ctx
                .doc
                .version()
                .map(|v| w.allows_nested_inputs(v))
                .unwrap_or(false),
            location: ctx.loc(w.span().start()),
        })
    }

    fn lower_stmt(
        &mut self,
        ctx: &DocCtx<'_>,
        s: &v1::WorkflowStatement,
        tasks: &IndexMap<String, Arc<Task>>,
    ) -> Result<Stmt> {
        Ok(match s {
            v1::WorkflowStatement::Declaration(d) => {
                Stmt::Decl(lower_decl(ctx, &v1::Decl::Bound(d.clone()))?)
            }
            v1::WorkflowStatement::Scatter(sc) => {
                let mut body = Vec::new();
                for inner in sc.statements() {
                    body.push(self.lower_stmt(ctx, &inner, tasks)?);
                }
                Stmt::Scatter(Scatter {
                    variable: sc.variable().text().into(),
                    expr: lower_expr(ctx, &sc.expr())?,
                    body: Body::new(body),
                    location: ctx.loc(sc.span().start()),
                })
            }
            v1::WorkflowStatement::Conditional(c) => {
                let mut clauses = Vec::new();
                for clause in c.clauses() {
                    let cond = match clause.expr() {
                        Some(e) => Some(lower_expr(ctx, &e)?),
                        None => None,
                    };
                    let mut body = Vec::new();
                    for inner in clause.statements() {
                        body.push(self.lower_stmt(ctx, &inner, tasks)?);
                    }
                    clauses.push((cond, Body::new(body)));
                }
                Stmt::Conditional(Conditional {
                    clauses,
                    location: ctx.loc(c.span().start()),
                })
            }
            v1::WorkflowStatement::Call(call) => Stmt::Call(self.lower_call(ctx, call, tasks)?),
        })
    }

    fn lower_call(
        &mut self,
        ctx: &DocCtx<'_>,
        call: &v1::CallStatement,
        tasks: &IndexMap<String, Arc<Task>>,
    ) -> Result<Call> {
        let names: Vec<String> = call
            .target()
            .names()
            .map(|n| n.text().to_string())
            .collect();
        let location = ctx.loc(call.span().start());
        let callee = match names.as_slice() {
            [name] => match tasks.get(name) {
                Some(t) => Callee::Task(t.clone()),
                None => bail!("{location}: unknown task `{name}`"),
            },
            [ns, name] => {
                let namespace = ctx
                    .doc
                    .namespace(ns)
                    .ok_or_else(|| anyhow!("{location}: unknown namespace `{ns}`"))?;
                let imported = self.lower(namespace.document())?;
                // A document whose workflow and a task share a name (`--compat cromwell` only,
                // WARP's PeakCalling.wdl): called from outside, the name is the workflow's, as
                // in Cromwell; inside, a call of that name is to the task.
                if let Some(w) = imported.workflow.as_ref().filter(|w| *w.name == **name) {
                    Callee::Workflow(w.clone())
                } else if let Some(t) = imported.tasks.get(name) {
                    Callee::Task(t.clone())
                } else {
                    bail!("{location}: `{ns}` has no task or workflow `{name}`")
                }
            }
            _ => bail!("{location}: unsupported call target `{}`", names.join(".")),
        };
        let name: Arc<str> = match call.alias() {
            Some(a) => a.name().text().into(),
            None => names.last().map(|s| s.as_str()).unwrap_or_default().into(),
        };
        let mut inputs = Vec::new();
        for item in call.inputs() {
            let input_name: Arc<str> = item.name().text().into();
            let expr = match item.expr() {
                Some(e) => {
                    if let Some(d) = callee.inputs().iter().find(|d| d.name == input_name) {
                        check_object_literals(ctx, &e, &d.ty)?;
                    }
                    lower_expr(ctx, &e)?
                }
                None => Expr::Name(input_name.clone()),
            };
            inputs.push((input_name, expr));
        }
        Ok(Call {
            name,
            callee,
            inputs,
            after: call.after().map(|a| a.name().text().into()).collect(),
            location,
        })
    }
}

fn lower_task(ctx: &DocCtx<'_>, t: &v1::TaskDefinition) -> Result<Task> {
    let name: Arc<str> = t.name().text().into();
    let mut inputs = Vec::new();
    if let Some(section) = t.input() {
        for d in section.declarations() {
            inputs.push(lower_decl(ctx, &d)?);
        }
    }
    let mut decls = Vec::new();
    for d in t.declarations() {
        decls.push(lower_decl(ctx, &v1::Decl::Bound(d))?);
    }
    let decls = order_decls(decls, &inputs);
    let mut command = Vec::new();
    if let Some(section) = t.command() {
        let parts = section.strip_whitespace().ok_or_else(|| {
            anyhow!(
                "{}: command of task `{name}` mixes tabs and spaces in its indentation",
                ctx.loc(section.span().start())
            )
        })?;
        for p in parts {
            match p {
                v1::StrippedCommandPart::Text(s) => command.push(CommandPart::Text(s)),
                v1::StrippedCommandPart::Placeholder(p) => {
                    command.push(CommandPart::Placeholder(lower_placeholder(ctx, &p)?))
                }
            }
        }
    }
    let mut requirements = Vec::new();
    let mut requirement_locations = Vec::new();
    if let Some(rt) = t.runtime() {
        for item in rt.items() {
            requirements.push((item.name().text().into(), lower_expr(ctx, &item.expr())?));
            requirement_locations.push(ctx.loc(item.span().start()));
        }
    }
    if let Some(req) = t.requirements() {
        for item in req.items() {
            requirements.push((item.name().text().into(), lower_expr(ctx, &item.expr())?));
            requirement_locations.push(ctx.loc(item.span().start()));
        }
    }
    let mut hints = Vec::new();
    if let Some(h) = t.hints() {
        for item in h.items() {
            hints.push((item.name().text().into(), lower_expr(ctx, &item.expr())?));
        }
    }
    let mut outputs = Vec::new();
    if let Some(section) = t.output() {
        for d in section.declarations() {
            outputs.push(lower_decl(ctx, &v1::Decl::Bound(d))?);
        }
    }
    let meta = t
        .metadata()
        .map(|m| metadata_object(m.items()))
        .unwrap_or(serde_json::Value::Object(Default::default()));
    let parameter_meta = t
        .parameter_metadata()
        .map(|m| metadata_object(m.items()))
        .unwrap_or(serde_json::Value::Object(Default::default()));
    let fingerprint = task_fingerprint(
        &name,
        ctx.version,
        &inputs,
        &decls,
        &command,
        &requirements,
        &outputs,
    );
    Ok(Task {
        fingerprint,
        name,
        version: ctx.version,
        inputs,
        decls,
        command,
        requirements,
        requirement_locations,
        hints,
        outputs,
        meta,
        parameter_meta,
        location: ctx.loc(t.span().start()),
    })
}

/// Orders private declarations so that each comes after those it reads (WDL allows any order).
fn order_decls(decls: Vec<Decl>, inputs: &[Decl]) -> Vec<Decl> {
    let mut pending: Vec<Option<Decl>> = decls.into_iter().map(Some).collect();
    let mut known: Vec<Arc<str>> = inputs.iter().map(|d| d.name.clone()).collect();
    let names: Vec<Arc<str>> = pending.iter().flatten().map(|d| d.name.clone()).collect();
    let mut out = Vec::new();
    loop {
        let mut progressed = false;
        for slot in pending.iter_mut() {
            let ready = match slot {
                Some(d) => {
                    let mut free = Vec::new();
                    if let Some(e) = &d.expr {
                        e.free_names(&mut free);
                    }
                    free.iter()
                        .all(|n| known.contains(n) || !names.contains(n) || **n == *d.name)
                }
                None => false,
            };
            if ready && let Some(d) = slot.take() {
                known.push(d.name.clone());
                out.push(d);
                progressed = true;
            }
        }
        if !progressed {
            // Cycles were rejected by analysis; keep whatever is left in source order.
            out.extend(pending.into_iter().flatten());
            return out;
        }
    }
}

fn metadata_object(items: impl Iterator<Item = v1::MetadataObjectItem>) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for item in items {
        map.insert(
            item.name().text().to_string(),
            metadata_value(&item.value()),
        );
    }
    serde_json::Value::Object(map)
}

fn metadata_value(v: &v1::MetadataValue) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        v1::MetadataValue::Boolean(b) => J::Bool(b.value()),
        v1::MetadataValue::Integer(i) => i.value().map(J::from).unwrap_or(J::Null),
        v1::MetadataValue::Float(f) => f.value().map(J::from).unwrap_or(J::Null),
        v1::MetadataValue::String(s) => {
            let mut out = String::new();
            for p in s.parts() {
                if let v1::StringPart::Text(t) = p {
                    t.unescape_to(&mut out);
                }
            }
            J::String(out)
        }
        v1::MetadataValue::Null(_) => J::Null,
        v1::MetadataValue::Object(o) => metadata_object(o.items()),
        v1::MetadataValue::Array(a) => J::Array(a.elements().map(|e| metadata_value(&e)).collect()),
    }
}

fn lower_decl(ctx: &DocCtx<'_>, d: &v1::Decl) -> Result<Decl> {
    let ty = lower_type(ctx, &d.ty())?;
    Ok(Decl {
        name: d.name().text().into(),
        expr: match d.expr() {
            Some(e) => {
                check_object_literals(ctx, &e, &ty)?;
                Some(lower_expr(ctx, &e)?)
            }
            None => None,
        },
        ty,
        env: d.env().is_some(),
        location: ctx.loc(d.span().start()),
    })
}

fn lower_type(ctx: &DocCtx<'_>, t: &v1::Type) -> Result<Type> {
    let ty = match t {
        v1::Type::Primitive(p) => match p.kind() {
            v1::PrimitiveTypeKind::Boolean => Type::Boolean,
            v1::PrimitiveTypeKind::Integer => Type::Int,
            v1::PrimitiveTypeKind::Float => Type::Float,
            v1::PrimitiveTypeKind::String => Type::String,
            v1::PrimitiveTypeKind::File => Type::File,
            v1::PrimitiveTypeKind::Directory => Type::Directory,
        },
        v1::Type::Array(a) => Type::Array(
            Box::new(lower_type(ctx, &a.element_type())?),
            a.is_non_empty(),
        ),
        v1::Type::Map(m) => {
            let (k, v) = m.types();
            Type::Map(
                Box::new(lower_type(ctx, &v1::Type::Primitive(k))?),
                Box::new(lower_type(ctx, &v)?),
            )
        }
        v1::Type::Pair(p) => {
            let (l, r) = p.types();
            Type::Pair(
                Box::new(lower_type(ctx, &l)?),
                Box::new(lower_type(ctx, &r)?),
            )
        }
        v1::Type::Object(_) => Type::Object,
        v1::Type::Ref(r) => {
            let name = r.name();
            match (ctx.structs.get(name.text()), ctx.enums.get(name.text())) {
                (Some(s), _) => Type::Struct(s.clone()),
                (None, Some(e)) => Type::Enum(e.clone()),
                (None, None) => bail!(
                    "{}: unknown type `{}`",
                    ctx.loc(name.span().start()),
                    name.text()
                ),
            }
        }
    };
    Ok(if t.is_optional() { ty.optional() } else { ty })
}
