//! Validation of a profile's values before anything runs: durations, limits and their units.

use super::*;

pub(crate) fn check_profile(p: &ProfileSpec) -> Result<(), String> {
    if let Some(t) = p.container.as_ref().and_then(|c| c.daemon_timeout.as_ref()) {
        let d = humantime::parse_duration(t)
            .map_err(|e| format!("container.daemon_timeout = {t:?}: {e}"))?;
        if d < Duration::from_secs(1) {
            return Err(format!(
                "container.daemon_timeout = {t:?}: must be at least 1s"
            ));
        }
    }
    if let Some(d) = &p.poll_interval {
        let every =
            humantime::parse_duration(d).map_err(|e| format!("poll_interval = {d:?}: {e}"))?;
        // A scheduler queried in a hot loop is a scheduler its admins turn off.
        if every < Duration::from_secs(1) {
            return Err(format!("poll_interval = {d:?}: must be at least 1s"));
        }
    }
    if let Some(t) = &p.time {
        parse_time(t).map_err(|m| format!("time = {t:?}: {m}"))?;
    }
    if p.max_array_size == Some(0) {
        return Err("max_array_size = 0: must be at least 1".into());
    }
    for (k, v) in [
        ("memory_resource", &p.memory_resource),
        ("gpu_resource", &p.gpu_resource),
        ("disk_resource", &p.disk_resource),
        ("parallel_environment", &p.parallel_environment),
    ] {
        if let Some(v) = v
            && (v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(format!(
                "{k} = {v:?}: must be a resource name (letters, digits, _)"
            ));
        }
    }
    for (k, v) in [("cpu", p.cpu), ("max_cpu", p.max_cpu)] {
        if let Some(v) = v
            && (v <= 0.0 || !v.is_finite())
        {
            return Err(format!("{k} = {v}: must be a positive number"));
        }
    }
    if let Some(tasks) = &p.tasks {
        for (glob, o) in tasks {
            globset::Glob::new(glob).map_err(|e| format!("tasks.{glob:?}: bad glob: {e}"))?;
            if let Some(c) = o.cpu
                && c <= 0.0
            {
                return Err(format!("tasks.{glob:?}.cpu = {c}: must be positive"));
            }
            if let Some(t) = &o.time {
                parse_time(t).map_err(|m| format!("tasks.{glob:?}.time = {t:?}: {m}"))?;
            }
        }
    }
    Ok(())
}

/// A wall-time limit: `"90m"`, `"12h"`, `"2d 4h"` (Slurm rounds up to whole minutes).
pub fn parse_time(t: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(t).map_err(|e| e.to_string())?;
    if d < Duration::from_secs(1) {
        return Err("must be at least 1s".into());
    }
    Ok(d)
}
