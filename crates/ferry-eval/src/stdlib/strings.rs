//! Strings and paths: regular expressions, `basename`, `join_paths`, and the functions that
//! build strings from arrays (each checks its size before it builds).

use super::*;

pub(super) const NAMES: &[&str] = &[
    "sub",
    "find",
    "matches",
    "basename",
    "join_paths",
    "sep",
    "prefix",
    "suffix",
    "quote",
    "squote",
    "split",
];

pub(super) fn call(name: &str, a: &Args, io: &Io) -> EvalResult {
    use Value as V;
    Ok(match name {
        "sub" => {
            arity(a, 3, 3)?;
            let re = regex(&string(&a[1])?)?;
            // At most one replacement per position (an empty pattern matches at each).
            let input = string(&a[0])?;
            let bound = (input.len() as u128 + 1) * (string(&a[2])?.len() as u128 + 1);
            if bound > MAX_TEXT_BYTES {
                let matches = re.find_iter(&input).count() as u128;
                check_text_len(input.len() as u128 + matches * string(&a[2])?.len() as u128)?;
            }
            V::string(
                re.replace_all(&string(&a[0])?, replacement(&string(&a[2])?).as_str())
                    .into_owned(),
            )
        }
        "find" => {
            arity(a, 2, 2)?;
            match regex(&string(&a[1])?)?.find(&string(&a[0])?) {
                Some(m) => V::string(m.as_str()),
                None => V::None,
            }
        }
        "matches" => {
            arity(a, 2, 2)?;
            V::Bool(regex(&string(&a[1])?)?.is_match(&string(&a[0])?))
        }
        "basename" => {
            arity(a, 1, 2)?;
            let p = &*string(&a[0])?;
            let trimmed = p.trim_end_matches('/');
            let mut base = trimmed.rsplit('/').next().unwrap_or(trimmed).to_string();
            if let Some(suffix) = a.get(1) {
                let suffix = &*string(suffix)?;
                if let Some(stripped) = base.strip_suffix(suffix) {
                    base = stripped.to_string();
                }
            }
            V::string(base)
        }
        "join_paths" => {
            arity(a, 1, 2)?;
            let (base, rest): (String, Vec<String>) = if a.len() == 2 {
                let rest = match &a[1] {
                    V::Array(_) => strings(&a[1])?,
                    v => vec![v.render()?],
                };
                (string(&a[0])?.into_owned(), rest)
            } else {
                let all = strings(&a[0])?;
                let (first, rest) = all.split_first().ok_or("needs at least one path")?;
                (first.clone(), rest.to_vec())
            };
            let mut p = PathBuf::from(base);
            for r in rest {
                if Path::new(&r).is_absolute() {
                    return Err(format!("{r:?} is absolute and cannot be joined"));
                }
                p.push(r);
            }
            // Typed String (as wdl-analysis types it) so that it coerces to the File or Directory it
            // is declared as; a relative result is made absolute against the working directory.
            // `.` and `..` are resolved lexically, as the spec's examples expect
            // (`join_paths("/usr/", "./bin/../bin")` is "/usr/bin"): the path need not exist.
            let joined = io.resolve(&p.display().to_string());
            V::String(lexically_normal(&joined).display().to_string().into())
        }
        "sep" => {
            arity(a, 2, 2)?;
            check_spread(string(&a[0])?.len(), &a[1])?;
            V::string(strings(&a[1])?.join(&*string(&a[0])?))
        }
        "prefix" | "suffix" => {
            arity(a, 2, 2)?;
            let fix = &*string(&a[0])?;
            check_spread(fix.len(), &a[1])?;
            V::array(
                strings(&a[1])?
                    .into_iter()
                    .map(|s| {
                        V::string(if name == "prefix" {
                            format!("{fix}{s}")
                        } else {
                            format!("{s}{fix}")
                        })
                    })
                    .collect(),
            )
        }
        "quote" | "squote" => {
            arity(a, 1, 1)?;
            let q = if name == "quote" { '"' } else { '\'' };
            check_spread(2, &a[0])?;
            V::array(
                strings(&a[0])?
                    .into_iter()
                    .map(|s| V::string(format!("{q}{s}{q}")))
                    .collect(),
            )
        }
        "split" => {
            arity(a, 2, 2)?;
            // The delimiter is a regular expression (WDL 1.3).
            let re = regex(&string(&a[1])?)?;
            V::array(re.split(&string(&a[0])?).map(V::string).collect())
        }
        _ => return Err(format!("unknown function `{name}`")),
    })
}

/// `path` with `.` components dropped and each `..` removing the component before it (`..` at
/// the root stays at the root), without looking at the file system.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::lexically_normal;
    use std::path::Path;

    #[test]
    fn dot_and_dot_dot_are_resolved_without_the_file_system() {
        for (given, normal) in [
            ("/usr/./bin/../bin", "/usr/bin"),
            ("/usr/bin/../../..", "/"),
            ("/a/b/../../c/./d", "/c/d"),
            ("a/../../b", "../b"),
            ("/work/x/", "/work/x"),
        ] {
            assert_eq!(
                lexically_normal(Path::new(given)),
                Path::new(normal),
                "{given}"
            );
        }
    }
}
