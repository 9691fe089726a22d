//! Loading: parse and type-check a document and its imports with `wdl-analysis`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use wdl_analysis::{Analyzer, Config, DiagnosticsConfig};
use wdl_ast::AstNode;
use wdl_ast::version::V1;

use crate::ir::Document;
use crate::lower::{LineMap, Lowerer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// One problem found in a WDL document, located for a person to find it.
#[derive(Clone, Debug)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        write!(
            f,
            "{}:{}:{}: {sev}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// The result of checking a document: its problems and, when it has no errors, its lowered form.
pub struct Checked {
    pub problems: Vec<Problem>,
    pub document: Option<Arc<Document>>,
    /// Every local file of the document and its imports (imports by URL are not here).
    pub sources: Vec<std::path::PathBuf>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// How strictly [`check`] reads a document.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckOptions {
    /// Report lint-style warnings (unused inputs, deprecated syntax) and the coercions Ferry
    /// performs leniently.
    pub lints: bool,
    /// Cromwell's handling of optional values: an optional value where a required one is
    /// expected (`Int x = maybe_int`, `flag && other` with `Boolean? flag`) is accepted, and is
    /// an error only if it is actually `None` at run time (`miniwdl check --no-quant-check`).
    pub lenient_optionals: bool,
    /// `--compat cromwell`: what Cromwell accepts where the spec differs (a task called from a
    /// workflow of the same name, a call input given twice, an output named like an input, a
    /// struct defined again as imported, `sep=` on a single value), each with a warning;
    /// implies `lenient_optionals`.
    pub cromwell: bool,
}

/// How deep a document's syntax tree may nest (an expression `1 + 1 + ...` of N terms is N
/// levels deep). The type checker and the evaluator recurse over the tree; beyond this they
/// would need more stack than their threads have ([`ANALYSIS_STACK`]).
pub const MAX_SYNTAX_DEPTH: usize = 5_000;

/// Stack size of the threads that type-check documents (rayon's, which wdl-analysis uses).
pub const ANALYSIS_STACK: usize = 256 << 20;

/// Parses and type-checks `path` and everything it imports. Lint-style rules are off unless
/// `options.lints` is set; type errors are always reported.
pub async fn check(path: &Path, options: CheckOptions) -> Result<Checked> {
    let abs = std::path::absolute(path)
        .with_context(|| format!("cannot resolve path {}", path.display()))?;
    if !abs.is_file() {
        return Err(anyhow!("{}: no such WDL file", path.display()));
    }
    // wdl-analysis parses and checks on rayon's global pool; its default 2 MiB stacks overflow
    // on a few thousand nested terms. Only touched pages of a stack cost memory. (Another user
    // of the global pool may have built it first: then its stacks are what we get.)
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(ANALYSIS_STACK)
        .build_global();
    if let Some(problem) = too_deep(&abs, path)? {
        return Ok(Checked {
            problems: vec![problem],
            document: None,
            sources: vec![abs],
        });
    }
    let uri = url::Url::from_file_path(&abs)
        .map_err(|_| anyhow!("{}: cannot be turned into a file URL", abs.display()))?;
    let mut config = Config::default();
    if !options.lints {
        config = config.with_diagnostics_config(DiagnosticsConfig::except_all());
    }
    let analyzer = Analyzer::new(config, |_: (), _, _, _| async {});
    analyzer
        .add_document(uri.clone())
        .await
        .map_err(|e| anyhow!("{}: {e:#}", path.display()))?;
    let results = analyzer
        .analyze(())
        .await
        .map_err(|e| anyhow!("analysis of {} failed: {e:#}", path.display()))?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut problems = Vec::new();
    let mut root = None;
    for result in &results {
        let doc = result.document();
        let file = shown_path(doc, &cwd);
        if let Some(e) = result.error() {
            problems.push(Problem {
                severity: Severity::Error,
                file: file.clone(),
                line: 1,
                col: 1,
                message: format!("{e:#}"),
            });
            continue;
        }
        let text = doc.root().inner().to_string();
        let lines = LineMap::new(&text);
        for d in doc.diagnostics() {
            let span = d.labels().next().map(|l| l.span());
            let offset = span.map(|s| s.start()).unwrap_or(0);
            let (line, col) = lines.line_col(offset);
            let mut message = d.message().to_string();
            if let Some(l) = d.labels().next()
                && !l.message().is_empty()
            {
                message.push_str(&format!(" ({})", l.message()));
            }
            if let Some(fix) = d.fix() {
                message.push_str(&format!("; fix: {fix}"));
            }
            let expr_text = span
                .and_then(|s| text.get(s.start()..s.end()))
                .unwrap_or("");
            let lenient = if d.severity().is_error() {
                lenient_coercion(d.message(), expr_text, &options)
            } else {
                None
            };
            let cromwell = if d.severity().is_error() && options.cromwell {
                cromwell_accepts(d.message())
            } else {
                None
            };
            if let Some(note) = lenient {
                // Accepted; shown as a warning where lints are wanted.
                if !options.lints {
                    continue;
                }
                message.push_str("; ");
                message.push_str(note);
            }
            // Accepted as Cromwell accepts it, always with a warning: the user is to fix it.
            if let Some(note) = cromwell {
                message.push_str("; ");
                message.push_str(note);
            }
            let lenient = lenient.or(cromwell);
            problems.push(Problem {
                severity: if lenient.is_some() || d.severity().is_warning() {
                    Severity::Warning
                } else if d.severity().is_error() {
                    Severity::Error
                } else {
                    Severity::Note
                },
                file: file.clone(),
                line,
                col,
                message,
            });
        }
        if *doc.uri() == uri {
            root = Some(doc.clone());
        }
    }
    problems.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    let sources = results
        .iter()
        .filter_map(|r| r.document().uri().to_file_path().ok())
        .collect();
    let mut checked = Checked {
        problems,
        document: None,
        sources,
    };
    if checked.has_errors() {
        return Ok(checked);
    }
    let root = root.ok_or_else(|| anyhow!("{}: analysis gave no result", path.display()))?;
    // Every document of the run, imports included, must be a version the evaluator implements.
    for result in &results {
        let doc = result.document();
        let supported = matches!(
            doc.version(),
            Some(wdl_ast::SupportedVersion::V1(
                V1::Zero | V1::One | V1::Two | V1::Three
            ))
        );
        if !supported {
            checked.problems.push(Problem {
                severity: Severity::Error,
                file: shown_path(doc, &cwd),
                line: 1,
                col: 1,
                message: format!(
                    "missing or unsupported `version` statement{} (Ferry runs WDL 1.0 to 1.3)",
                    doc.version().map(|v| format!(" ({v})")).unwrap_or_default()
                ),
            });
        }
    }
    if checked.has_errors() {
        return Ok(checked);
    }
    let mut lowerer = Lowerer::default();
    match lowerer.lower(&root) {
        Ok(document) => checked.document = Some(document),
        // Lowering's own checks (object literals against structs...) are located problems too.
        Err(e) => checked
            .problems
            .push(located_problem(&format!("{e:#}"), &cwd)),
    }
    Ok(checked)
}

/// How a problem names a document: its path relative to `cwd` where it is below it.
fn shown_path(doc: &wdl_analysis::Document, cwd: &Path) -> String {
    doc.uri()
        .to_file_path()
        .map(|p| {
            p.strip_prefix(cwd)
                .map(|r| r.display().to_string())
                .unwrap_or_else(|_| p.display().to_string())
        })
        .unwrap_or_else(|_| doc.uri().to_string())
}

/// A problem if the document nests deeper than [`MAX_SYNTAX_DEPTH`], found with an iterative
/// walk of its syntax tree (so that the check itself cannot overflow).
fn too_deep(abs: &Path, shown: &Path) -> Result<Option<Problem>> {
    let text =
        std::fs::read_to_string(abs).with_context(|| format!("cannot read {}", shown.display()))?;
    let (document, _) = wdl_ast::Document::parse(&text, None);
    let mut stack = vec![(document.inner().clone(), 1usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_SYNTAX_DEPTH {
            let offset: usize = node.text_range().start().into();
            let (line, col) = LineMap::new(&text).line_col(offset);
            return Ok(Some(Problem {
                severity: Severity::Error,
                file: shown.display().to_string(),
                line,
                col,
                message: format!(
                    "this expression nests more than {MAX_SYNTAX_DEPTH} levels deep, Ferry's \
                     limit; split it into several declarations"
                ),
            }));
        }
        stack.extend(node.children().map(|c| (c, depth + 1)));
    }
    Ok(None)
}

/// A `path:line:col: error` error as a [`Problem`], its path relative to `cwd`.
fn located_problem(error: &str, cwd: &Path) -> Problem {
    let parsed = (|| {
        let (head, message) = error.split_once(": ")?;
        let mut parts = head.rsplitn(3, ':');
        let col = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        let file = parts.next()?;
        let file = Path::new(file)
            .strip_prefix(cwd)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| file.to_string());
        Some((file, line, col, message.to_string()))
    })();
    let (file, line, col, message) =
        parsed.unwrap_or_else(|| (String::new(), 1, 1, error.to_string()));
    Problem {
        severity: Severity::Error,
        file,
        line,
        col,
        message,
    }
}

/// The expected and found types of a type-mismatch diagnostic ("expected type `E`, but found
/// type `F`", "argument to function `f` expects type `E`, ...", "expected `logical and` operand
/// to be type `E`, ...").
fn mismatch_types(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("type mismatch: ")?;
    let expected_at = rest.find("type `")? + "type `".len();
    let (expected, rest) = rest[expected_at..].split_once('`')?;
    let found_at = rest.find("found type `")? + "found type `".len();
    let (found, _) = rest[found_at..].split_once('`')?;
    Some((expected, found))
}

/// Whether an error of wdl-analysis is one Ferry accepts, and the note that says why:
///
/// - a number where a String is expected (also inside arrays): real pipelines rely on it, and
///   the spec's conversion of primitives to strings makes it well defined;
/// - `read_lines(...)` where an array of numbers is expected: the spec's one String-to-number
///   case, converted (and checked) line by line at run time;
/// - with `lenient_optionals`, an optional value where the required type is expected.
///
/// String to Int/Float anywhere else stays an error: the spec has no such coercion.
fn lenient_coercion(
    message: &str,
    expr_text: &str,
    options: &CheckOptions,
) -> Option<&'static str> {
    // `" -L " + optional_file` outside a placeholder (GATK's JointVcfFiltering callers): Cromwell
    // concatenates a defined value and fails on None; so does Ferry under the lenient modes.
    if (options.lenient_optionals || options.cromwell)
        && let Some(rest) =
            message.strip_prefix("type mismatch: string concatenation is not supported for type `")
        && rest.split_once('`').is_some_and(|(t, _)| {
            t.ends_with('?')
                && matches!(
                    t.trim_end_matches('?'),
                    "String" | "File" | "Directory" | "Int" | "Float"
                )
        })
    {
        return Some("accepted by --lenient-optionals: an error at run time if the value is None");
    }
    let (expected, found) = mismatch_types(message)?;
    fn core(t: &str) -> &str {
        let t = t.trim_end_matches(['?', '+']);
        match t.strip_prefix("Array[").and_then(|t| t.strip_suffix(']')) {
            Some(inner) => core(inner),
            None => t,
        }
    }
    let depth = |t: &str| t.matches("Array[").count();
    if depth(expected) == depth(found) {
        match (core(expected), core(found)) {
            ("String", "Int" | "Float") => {
                return Some("Ferry converts the number to a String (lenient coercion)");
            }
            ("Int" | "Float", "String")
                if depth(expected) == 1 && expr_text.trim_start().starts_with("read_lines(") =>
            {
                return Some("Ferry converts each line at run time (read_lines coercion)");
            }
            _ => {}
        }
    }
    // Cromwell converts a String to the number expected (`toInt`), failing at run time if it
    // is not one.
    if options.cromwell
        && depth(expected) == depth(found)
        && matches!((core(expected), core(found)), ("Int" | "Float", "String"))
    {
        return Some(
            "accepted by --compat cromwell: the String is converted to the number at run time",
        );
    }
    let strip = |t: &str| t.replace(['?', '+'], "");
    if (options.lenient_optionals || options.cromwell)
        && expected != found
        && strip(expected) == strip(found)
    {
        return Some("accepted by --lenient-optionals: an error at run time if the value is None");
    }
    None
}

/// The type checker's errors that Cromwell does not make, for `--compat cromwell`, each with
/// what Ferry then does.
fn cromwell_accepts(message: &str) -> Option<&'static str> {
    if message.starts_with("cannot recursively call workflow")
        || message.starts_with("conflicting task name")
    {
        return Some(
            "accepted by --compat cromwell: a task may share its workflow's name; a call of that name is to the task",
        );
    }
    if message.starts_with("duplicate call input") {
        return Some("accepted by --compat cromwell: the last value given is used");
    }
    if message.starts_with("conflicting output name") {
        return Some(
            "accepted by --compat cromwell: after the command, the output's value replaces the input's",
        );
    }
    if message.starts_with("conflicting struct name") {
        return Some(
            "accepted by --compat cromwell: this document uses its own definition; the imported tasks keep theirs",
        );
    }
    if message.starts_with("type mismatch for placeholder option `sep`") {
        return Some("accepted by --compat cromwell: `sep` on a single value renders that value");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{CheckOptions, lenient_coercion};

    #[test]
    fn only_benign_coercions_are_lenient() {
        let strict = CheckOptions::default();
        let msg =
            |e: &str, f: &str| format!("type mismatch: expected type `{e}`, but found type `{f}`");
        assert!(lenient_coercion(&msg("String", "Int"), "read_int(f)", &strict).is_some());
        assert!(
            lenient_coercion(
                "type mismatch: argument to function `write_lines` expects type `Array[String]`, \
             but found type `Array[Int]`",
                "values",
                &strict
            )
            .is_some()
        );
        assert!(
            lenient_coercion(
                &msg("Array[Int]", "Array[String]"),
                "read_lines(f)",
                &strict
            )
            .is_some()
        );
        assert!(lenient_coercion(&msg("Array[Int]", "Array[String]"), "names", &strict).is_none());
        assert!(lenient_coercion(&msg("Int", "String"), "label", &strict).is_none());
        assert!(lenient_coercion(&msg("String", "Boolean"), "b", &strict).is_none());
        assert!(lenient_coercion(&msg("Int", "Int?"), "x", &strict).is_none());
        let lenient = CheckOptions {
            lenient_optionals: true,
            ..strict
        };
        assert!(lenient_coercion(&msg("Int", "Int?"), "x", &lenient).is_some());
        assert!(lenient_coercion(
            "type mismatch: expected `logical and` operand to be type `Boolean`, but found type \
             `Boolean?`",
            "b",
            &lenient
        )
        .is_some());
        assert!(lenient_coercion(&msg("Int", "String?"), "x", &lenient).is_none());
    }
}
