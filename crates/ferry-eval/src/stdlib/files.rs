//! Files read: `size`, `glob`, `stdout`/`stderr` and the `read_*` of one value or one line
//! each, through the paths and hooks of `Io` (a stub a remote job left is fetched first).

use super::*;

pub(super) const NAMES: &[&str] = &[
    "size",
    "glob",
    "stdout",
    "stderr",
    "read_string",
    "read_int",
    "read_float",
    "read_boolean",
    "read_lines",
];

pub(super) fn call(name: &str, a: &Args, io: &Io) -> EvalResult {
    use Value as V;
    Ok(match name {
        "size" => {
            arity(a, 1, 2)?;
            let factor = match a.get(1) {
                Some(u) => unit_factor(&string(u)?)?,
                None => 1.0,
            };
            V::Float(size_of(io, &a[0])? / factor)
        }
        "glob" => {
            arity(a, 1, 1)?;
            let pattern = &*string(&a[0])?;
            let base = io.base_dir.clone().unwrap_or_else(|| PathBuf::from("."));
            let full = base.join(pattern);
            let mut found = Vec::new();
            let paths = glob::glob(&full.display().to_string())
                .map_err(|e| format!("invalid glob {pattern:?}: {e}"))?;
            for p in paths.flatten() {
                if p.is_file() {
                    found.push(V::File(p.display().to_string().into()));
                }
            }
            V::array(found)
        }
        "stdout" | "stderr" => {
            arity(a, 0, 0)?;
            let p = if name == "stdout" {
                &io.stdout
            } else {
                &io.stderr
            };
            match p {
                Some(p) => V::File(p.display().to_string().into()),
                None => return Err("is only available in a task's output section".into()),
            }
        }
        "read_string" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            let t = text.strip_suffix('\n').unwrap_or(&text);
            let t = t.strip_suffix('\r').unwrap_or(t);
            V::string(t)
        }
        "read_int" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            // 1, not 0: an Int read from a stubbed file is most often a count (`range(n)` of
            // intervals), and a count of 0 would leave the scatter behind it unreached.
            if stubbed(io, &text) {
                return Ok(V::Int(1));
            }
            V::Int(
                text.trim()
                    .parse()
                    .map_err(|_| format!("{:?} is not an Int", text.trim()))?,
            )
        }
        "read_float" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            if stubbed(io, &text) {
                return Ok(V::Float(0.0));
            }
            V::Float(crate::value::parse_float(&text)?)
        }
        "read_boolean" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            if stubbed(io, &text) {
                return Ok(V::Bool(false));
            }
            match text.trim().to_ascii_lowercase().as_str() {
                "true" => V::Bool(true),
                "false" => V::Bool(false),
                t => return Err(format!("{t:?} is not a Boolean")),
            }
        }
        "read_lines" => {
            arity(a, 1, 1)?;
            let text = read(io, &a[0])?;
            if stubbed(io, &text) {
                return Ok(V::array(vec![V::string("")]));
            }
            V::array(lines_of(&text).into_iter().map(V::string).collect())
        }
        _ => return Err(format!("unknown function `{name}`")),
    })
}

/// A stub run reading a stubbed (empty) file: the caller returns its placeholder.
pub(super) fn stubbed(io: &Io, text: &str) -> bool {
    io.stub && text.is_empty()
}
