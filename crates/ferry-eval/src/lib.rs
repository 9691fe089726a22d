//! WDL values and expression evaluation: the pure half of the engine, with no scheduling and no
//! processes. File functions touch the filesystem only through the paths in [`Io`].

#![forbid(unsafe_code)]

pub mod access;
pub mod eval;
pub mod stdlib;
pub mod value;

pub use access::{HostRoots, ReadPolicy, SUBMITTER_FILE};
pub use eval::{Evaluator, FetchUrl, Io, MakeReadable, Scope};
pub use value::{Members, Value, coerce, from_json};
