//! `ferry config show`, and loading the profile every subcommand runs with.

use super::*;

pub(crate) fn load_profile(
    workflow: Option<&Path>,
    config: Option<&Path>,
    profiles: &[String],
) -> Result<(ferry_config::Profile, Vec<ferry_config::Shown>), String> {
    load_profile_from(&ferry_config::default_paths(workflow, config), profiles)
}

/// The profile from these files (and `FERRY_*` variables).
pub(crate) fn load_profile_from(
    paths: &[(PathBuf, bool)],
    profiles: &[String],
) -> Result<(ferry_config::Profile, Vec<ferry_config::Shown>), String> {
    let cfg = ferry_config::Config::load(paths).map_err(|e| e.to_string())?;
    let env = ferry_env();
    cfg.resolve(profiles, &env).map_err(|e| e.to_string())
}

/// The effective profile as a ferry.toml of its own, its one profile named `name` (what a
/// detached engine is given).
pub(crate) fn profile_file(
    workflow: &Path,
    config: Option<&Path>,
    profiles: &[String],
    name: &str,
) -> Result<String, String> {
    let cfg = ferry_config::Config::load(&ferry_config::default_paths(Some(workflow), config))
        .map_err(|e| e.to_string())?;
    let env = ferry_env();
    cfg.profile_file(profiles, &env, name)
        .map_err(|e| e.to_string())
}

/// The `FERRY_*` variables, which override profile keys.
fn ferry_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("FERRY_"))
        .collect()
}

pub(crate) fn config_show(
    workflow: Option<&Path>,
    config: Option<&Path>,
    profiles: &[String],
) -> i32 {
    match load_profile(workflow, config, profiles) {
        Ok((profile, shown)) => {
            outln!("# effective profile: {}", profile.names.join(","));
            let width = shown
                .iter()
                .map(|(k, v, _, _)| k.len() + v.len() + 3)
                .max()
                .unwrap_or(0);
            for (key, value, source, section) in shown {
                let kv = format!("{key} = {value}");
                outln!("{kv:<width$}  # {source} {section}");
            }
            0
        }
        Err(e) => {
            errln!("ferry: {e}");
            2
        }
    }
}
