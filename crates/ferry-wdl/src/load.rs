//! Loading: parse and type-check a document and its imports with `wdl-analysis`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use wdl_analysis::{Analyzer, Config, DiagnosticsConfig};
use wdl_ast::AstNode;

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
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Parses and type-checks `path` and everything it imports. Lint-style rules are off unless
/// `lints` is set; type errors are always reported.
pub async fn check(path: &Path, lints: bool) -> Result<Checked> {
    let abs = std::path::absolute(path)
        .with_context(|| format!("cannot resolve path {}", path.display()))?;
    if !abs.is_file() {
        return Err(anyhow!("{}: no such WDL file", path.display()));
    }
    let uri = url::Url::from_file_path(&abs)
        .map_err(|_| anyhow!("{}: cannot be turned into a file URL", abs.display()))?;
    let mut config = Config::default();
    if !lints {
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
        let file = doc
            .uri()
            .to_file_path()
            .map(|p| {
                p.strip_prefix(&cwd)
                    .map(|r| r.display().to_string())
                    .unwrap_or_else(|_| p.display().to_string())
            })
            .unwrap_or_else(|_| doc.uri().to_string());
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
            let offset = d.labels().next().map(|l| l.span().start()).unwrap_or(0);
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
            let lenient = d.severity().is_error() && run_time_coercible(d.message());
            if lenient {
                message.push_str("; Ferry converts the value at run time");
            }
            problems.push(Problem {
                severity: if d.severity().is_error() && !lenient {
                    Severity::Error
                } else if d.severity().is_warning() || lenient {
                    Severity::Warning
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
    let mut checked = Checked {
        problems,
        document: None,
    };
    if checked.has_errors() {
        return Ok(checked);
    }
    let root = root.ok_or_else(|| anyhow!("{}: analysis gave no result", path.display()))?;
    if root.version().is_none() {
        checked.problems.push(Problem {
            severity: Severity::Error,
            file: path.display().to_string(),
            line: 1,
            col: 1,
            message: "missing or unsupported `version` statement (Ferry runs WDL 1.0, 1.1 and 1.2)"
                .into(),
        });
        return Ok(checked);
    }
    let mut lowerer = Lowerer::default();
    checked.document = Some(lowerer.lower(&root)?);
    Ok(checked)
}

/// Type mismatches between String and a number (possibly inside `Array[...]` or optional) that
/// the spec's own examples rely on (`Array[Int] n = read_lines(...)`); Ferry converts such values
/// at run time, as miniwdl does, so these are warnings, not errors.
fn run_time_coercible(message: &str) -> bool {
    let Some(rest) = message.strip_prefix("type mismatch: expected type `") else {
        return false;
    };
    let Some((expected, rest)) = rest.split_once("`, but found type `") else {
        return false;
    };
    let Some((found, _)) = rest.split_once('`') else {
        return false;
    };
    fn core(t: &str) -> &str {
        let t = t.trim_end_matches(['?', '+']);
        match t.strip_prefix("Array[").and_then(|t| t.strip_suffix(']')) {
            Some(inner) => core(inner),
            None => t,
        }
    }
    let depth = |t: &str| t.matches("Array[").count();
    if depth(expected) != depth(found) {
        return false;
    }
    matches!(
        (core(expected), core(found)),
        ("Int" | "Float", "String") | ("String", "Int" | "Float")
    )
}

#[cfg(test)]
mod tests {
    use super::run_time_coercible;

    #[test]
    fn only_number_string_mismatches_are_lenient() {
        assert!(run_time_coercible(
            "type mismatch: expected type `Array[Int]`, but found type `Array[String]`"
        ));
        assert!(run_time_coercible(
            "type mismatch: expected type `String`, but found type `Int`"
        ));
        assert!(!run_time_coercible(
            "type mismatch: expected type `String`, but found type `Boolean`"
        ));
        assert!(!run_time_coercible(
            "type mismatch: expected type `Array[Int]`, but found type `String`"
        ));
    }
}
