//! `ferry.toml`: where and how a workflow runs, kept out of the workflow.
//!
//! A configuration is a stack of layers (built-in defaults, then files, then `FERRY_*`
//! environment variables), each holding `[defaults]` and named `[profiles.NAME]`. Choosing
//! profiles `a,b` gives the effective profile: `defaults` of every layer, then `a` of every
//! layer, then `b`…, later values overriding earlier ones key by key. Every value remembers
//! where it came from, for `ferry config show`.

#![forbid(unsafe_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

mod check;
mod file;
mod layers;
mod profile;
mod values;

pub use check::*;
pub use file::*;
pub use layers::*;
pub use profile::*;
pub use values::{
    ContainerRuntime, ExecutorKind, Network, PullPolicy, Size, human_bytes, parse_size,
};

/// A configuration problem, located in its file when it comes from one.
#[derive(Debug, Clone)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// One effective value for `ferry config show`: key, value, where it came from, and the section
/// it was set in (`[defaults]`, `[profiles.hpc]`).
pub type Shown = (String, String, Source, String);

#[cfg(test)]
mod tests;
