//! `ferry inputs` (an inputs template, as womtool's `inputs` and miniwdl's `input-template`)
//! and `ferry validate` (inputs checked against a workflow without running it).

use super::*;

/// How `ferry inputs` writes the template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TemplateFormat {
    Json,
    Yaml,
}

/// The workflow (or `--task`) of a checked document; an error names what is wrong.
async fn load(
    file: &Path,
    task: Option<&str>,
    compat: Option<run::Compat>,
) -> Result<Arc<ferry_wdl::ir::Document>, i32> {
    let options = ferry_wdl::CheckOptions {
        lints: false,
        lenient_optionals: false,
        cromwell: compat == Some(run::Compat::Cromwell),
    };
    let checked = ferry_wdl::check(file, options).await.map_err(|e| {
        errln!("{}: error: {e:#}", file.display());
        1
    })?;
    for p in checked
        .problems
        .iter()
        .filter(|p| p.severity == ferry_wdl::Severity::Error)
    {
        errln!("{p}");
    }
    let doc = checked.document.ok_or(1)?;
    if let Err(e) = ferry_engine::pick_task(&doc, task) {
        errln!("ferry: {e}");
        return Err(2);
    }
    Ok(doc)
}

fn target<'d>(
    doc: &'d ferry_wdl::ir::Document,
    task: Option<&str>,
) -> Option<ferry_engine::inputs::Target<'d>> {
    match ferry_engine::pick_task(doc, task).ok()? {
        Some(t) => Some(ferry_engine::inputs::Target::Task(t)),
        None => doc
            .workflow
            .as_deref()
            .map(ferry_engine::inputs::Target::Workflow),
    }
}

/// The text of a declaration's default, from its source: from the `=` to the end of the line
/// where its brackets close (a few lines at most; `…` beyond).
fn default_text(at: &ferry_wdl::ir::Location) -> String {
    let source = std::fs::read_to_string(&*at.file).unwrap_or_default();
    let rest: Vec<&str> = source
        .lines()
        .skip(at.line.saturating_sub(1) as usize)
        .take(8)
        .collect();
    let Some((_, first)) = rest.first().and_then(|l| l.split_once('=')) else {
        return "…".to_string();
    };
    let (mut text, mut depth, mut quote) = (String::new(), 0i32, None::<char>);
    for (i, line) in std::iter::once(first)
        .chain(rest.iter().skip(1).copied())
        .enumerate()
    {
        if i > 0 {
            text.push(' ');
        }
        for c in line.trim().chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '(' | '[' | '{') => depth += 1,
                (None, ')' | ']' | '}') => {
                    depth -= 1;
                    // The brace closing the input section, on the declaration's line.
                    if depth < 0 {
                        return text.trim().to_string();
                    }
                }
                _ => {}
            }
            text.push(c);
        }
        if depth == 0 && quote.is_none() {
            return text.trim().to_string();
        }
    }
    format!("{} …", text.trim())
}

/// `ferry inputs WF`: every input, keyed as an inputs file has it, with its type, whether it is
/// required, and its default.
pub(crate) async fn inputs_command(
    file: &Path,
    task: Option<&str>,
    format: TemplateFormat,
    required_only: bool,
    compat: Option<run::Compat>,
) -> i32 {
    let doc = match load(file, task, compat).await {
        Ok(d) => d,
        Err(code) => return code,
    };
    let Some(target) = target(&doc, task) else {
        errln!(
            "ferry: {} has no workflow; name a task with --task",
            file.display()
        );
        return 2;
    };
    let mut template = serde_json::Map::new();
    for input in ferry_engine::inputs::template(target) {
        if required_only && !input.required {
            continue;
        }
        let text = match (&input.default_at, input.required) {
            (_, true) => input.ty.to_string(),
            (Some(at), false) => format!("{} (optional, default = {})", input.ty, default_text(at)),
            (None, false) => format!("{} (optional)", input.ty),
        };
        template.insert(input.key, serde_json::Value::String(text));
    }
    let value = serde_json::Value::Object(template);
    match format {
        TemplateFormat::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
        TemplateFormat::Yaml => match yaml_serde::to_string(&value) {
            Ok(y) => outln!("{}", y.trim_end()),
            Err(e) => {
                errln!("ferry: {e}");
                return 1;
            }
        },
    }
    0
}

/// `ferry validate WF -i inputs.json`: the document checked, then the inputs against it (keys,
/// types, required inputs, that input files exist), without running anything.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn validate_command(
    file: &Path,
    task: Option<&str>,
    inputs: Option<&Path>,
    pairs: &[String],
    profiles: &[String],
    config: Option<&Path>,
    compat: Option<run::Compat>,
) -> i32 {
    let doc = match load(file, task, compat).await {
        Ok(d) => d,
        Err(code) => return code,
    };
    let Some(target) = target(&doc, task) else {
        errln!(
            "ferry: {} has no workflow; name a task with --task",
            file.display()
        );
        return 2;
    };
    let raw = match ferry_engine::read_inputs(inputs, pairs) {
        Ok(r) => r,
        Err(e) => {
            errln!("ferry: bad inputs: {e}");
            return 2;
        }
    };
    let profile = match load_profile(Some(file), config, profiles) {
        Ok((p, _)) => p,
        Err(e) => {
            errln!("ferry: {e}");
            return 2;
        }
    };
    let (storage, _) = ferry_exec::factory::storage_for(&profile);
    match ferry_engine::inputs::resolve(target, &raw, &storage, None).await {
        Ok(_) => {
            errln!("ferry: {}: the inputs are valid", file.display());
            0
        }
        Err(e) => {
            for line in e.lines() {
                errln!("ferry: bad inputs: {line}");
            }
            2
        }
    }
}
