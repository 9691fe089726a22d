//! Layering: the built-in defaults, the user's file, the workflow's directory, the current
//! directory, `--config` and `FERRY_*` variables, merged with the provenance of every value, and
//! the chosen profiles resolved into one.

use super::*;

/// Ferry's own environment variables that are not profile keys (logging, the server's
/// database, what tasks and test scripts are given): `FERRY_<anything else>` is a profile key,
/// and an unknown one an error, so that a misspelt override is not silently ignored.
const NOT_PROFILE_KEYS: &[&str] = &[
    "LOG",
    "PROGRESS",
    "SERVE_DB",
    "RUN",
    "ATTEMPT",
    "RC_FILE",
    "BINARY",
    "LAUNCHER",
    "PANIC_AFTER_CALL",
    "SPEC_TESTS",
    "SERVICES_DIR",
    "TARGET_DIR",
    "CORPORA",
    "ENGINE_PROFILE",
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    BuiltIn,
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn => write!(f, "built-in"),
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Env(v) => write!(f, "environment {v}"),
        }
    }
}

pub(crate) struct Layer {
    pub(crate) source: Source,
    pub(crate) file: ConfigFile,
}

/// All layers, lowest priority first.
pub struct Config {
    pub(crate) layers: Vec<Layer>,
}

pub(crate) const BUILT_IN: &str = r#"
[defaults]
executor = "local"
job_name_prefix = "ferry-"
oom_memory_factor = 2.0
[defaults.container]
network = "none"
image_size_warning = "1 GiB"
pull = "missing"

[profiles.local]
executor = "local"

[profiles.docker]
executor = "docker"

[profiles.aws]
executor = "awsbatch"

[profiles.slurm]
executor = "slurm"

[profiles.sge]
executor = "sge"

[profiles.stub]
stub = true
"#;

/// The files Ferry reads, lowest priority first: the user's (`$XDG_CONFIG_HOME/ferry/ferry.toml`),
/// the workflow's directory, the current directory, then `--config`.
pub fn default_paths(workflow: Option<&Path>, explicit: Option<&Path>) -> Vec<(PathBuf, bool)> {
    let mut paths = Vec::new();
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(x) = xdg {
        paths.push((x.join("ferry/ferry.toml"), false));
    }
    if let Some(dir) = workflow
        .and_then(|w| std::path::absolute(w).ok())
        .and_then(|w| w.parent().map(Path::to_path_buf))
    {
        paths.push((dir.join("ferry.toml"), false));
    }
    if let Ok(cwd) = std::env::current_dir() {
        paths.push((cwd.join("ferry.toml"), false));
    }
    if let Some(e) = explicit {
        paths.push((e.to_path_buf(), true));
    }
    // The same file found twice counts once, at its highest priority.
    let mut seen = Vec::new();
    let mut out: Vec<(PathBuf, bool)> = Vec::new();
    for (p, required) in paths.into_iter().rev() {
        let key = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        if !seen.contains(&key) {
            seen.push(key);
            out.push((p, required));
        }
    }
    out.reverse();
    out
}

/// The files a run of `ferry serve` reads: the server user's and the operator's `--config`,
/// never one beside the workflow or in the run's directory (a client's attachments go there).
pub fn operator_paths(explicit: Option<&Path>) -> Vec<(PathBuf, bool)> {
    default_paths(None, explicit)
        .into_iter()
        .filter(|(p, required)| {
            *required
                || std::env::current_dir()
                    .map(|cwd| p != &cwd.join("ferry.toml"))
                    .unwrap_or(true)
        })
        .collect()
}

impl Config {
    /// Built-in defaults, then each existing file of `paths` (required ones must exist).
    pub fn load(paths: &[(PathBuf, bool)]) -> Result<Config, ConfigError> {
        let builtin = parse_file(BUILT_IN, Path::new("<built-in>"))?;
        let mut layers = vec![Layer {
            source: Source::BuiltIn,
            file: builtin,
        }];
        for (path, required) in paths {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => continue,
                Err(e) => {
                    return Err(ConfigError(format!(
                        "cannot read config {}: {e}",
                        path.display()
                    )));
                }
            };
            layers.push(Layer {
                source: Source::File(path.clone()),
                file: parse_file(&text, path)?,
            });
        }
        Ok(Config { layers })
    }

    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for l in &self.layers {
            for n in l.file.profiles.keys() {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        names
    }

    /// The effective profile for `profiles` (applied in order; empty means `local`), with
    /// `FERRY_*` variables from `env` on top.
    pub fn resolve(
        &self,
        profiles: &[String],
        env: &[(String, String)],
    ) -> Result<(Profile, Vec<Shown>), ConfigError> {
        let (names, entries) = self.merged(profiles, env)?;
        let mut table = toml::Table::new();
        for (path, (v, _, _)) in &entries {
            insert(&mut table, path, v.clone());
        }
        let spec: ProfileSpec =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    ConfigError(format!(
                        "effective profile `{}`: {}",
                        names.join(","),
                        e.message().trim()
                    ))
                })?;
        check_profile(&spec).map_err(|m| ConfigError(format!("effective profile: {m}")))?;
        let shown = entries
            .into_iter()
            .map(|(path, (v, s, section))| (show_path(&path), v.to_string(), s, section))
            .collect();
        Ok((build_profile(spec, names)?, shown))
    }

    /// The effective profile for `profiles` as a ferry.toml of its own, with that one profile
    /// under `name`: what a detached engine runs with where none of these files are.
    pub fn profile_file(
        &self,
        profiles: &[String],
        env: &[(String, String)],
        name: &str,
    ) -> Result<String, ConfigError> {
        let (_, entries) = self.merged(profiles, env)?;
        let mut table = toml::Table::new();
        for (path, (v, _, _)) in &entries {
            insert(&mut table, path, v.clone());
        }
        let mut by_name = toml::Table::new();
        by_name.insert(name.to_string(), toml::Value::Table(table));
        let mut file = toml::Table::new();
        file.insert("profiles".into(), toml::Value::Table(by_name));
        toml::to_string(&file).map_err(|e| ConfigError(e.to_string()))
    }

    /// Every key of the effective profile, with its value, source and section, in the order
    /// they were set (later ones win).
    #[allow(clippy::type_complexity)]
    fn merged(
        &self,
        profiles: &[String],
        env: &[(String, String)],
    ) -> Result<
        (
            Vec<String>,
            IndexMap<Vec<String>, (toml::Value, Source, String)>,
        ),
        ConfigError,
    > {
        let names: Vec<String> = if profiles.is_empty() {
            vec!["local".into()]
        } else {
            profiles.to_vec()
        };
        let known = self.profile_names();
        for n in &names {
            if !known.contains(n) {
                let hint = known
                    .iter()
                    .min_by_key(|k| distance(k, n))
                    .filter(|k| distance(k, n) <= 2)
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                return Err(ConfigError(format!(
                    "unknown profile `{n}` (profiles: {}){hint}",
                    known.join(", ")
                )));
            }
        }
        let mut entries: IndexMap<Vec<String>, (toml::Value, Source, String)> = IndexMap::new();
        let mut overlay =
            |spec: &ProfileSpec, source: &Source, section: String| -> Result<(), ConfigError> {
                let value = toml::Value::try_from(spec).map_err(|e| ConfigError(e.to_string()))?;
                let mut flat = Vec::new();
                flatten(&value, &mut Vec::new(), &mut flat);
                for (path, v) in flat {
                    entries.insert(path, (v, source.clone(), section.clone()));
                }
                Ok(())
            };
        for l in &self.layers {
            overlay(&l.file.defaults, &l.source, "[defaults]".into())?;
        }
        for n in &names {
            for l in &self.layers {
                if let Some(p) = l.file.profiles.get(n) {
                    overlay(p, &l.source, format!("[profiles.{n}]"))?;
                }
            }
        }
        for (k, v) in env {
            let Some(rest) = k.strip_prefix("FERRY_") else {
                continue;
            };
            if NOT_PROFILE_KEYS.contains(&rest) || rest.starts_with("TEST_") || rest.is_empty() {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            let value = toml::from_str::<toml::Table>(&format!("v = {v}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(v.clone()));
            entries.insert(path, (value, Source::Env(k.clone()), String::new()));
        }
        Ok((names, entries))
    }
}

pub(crate) fn flatten(
    v: &toml::Value,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, toml::Value)>,
) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                prefix.push(k.clone());
                flatten(v, prefix, out);
                prefix.pop();
            }
        }
        leaf => out.push((prefix.clone(), leaf.clone())),
    }
}

pub(crate) fn insert(table: &mut toml::Table, path: &[String], v: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), v);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = entry {
                insert(t, rest, v);
            }
        }
    }
}

pub(crate) fn show_path(path: &[String]) -> String {
    path.iter()
        .map(|p| {
            if p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                p.clone()
            } else {
                format!("{p:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}
