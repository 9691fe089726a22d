//! The WDL front end of Ferry: parsing and type checking (by `wdl-analysis`), then lowering into
//! Ferry's own immutable, thread-safe IR that the engine evaluates.

#![forbid(unsafe_code)]

pub mod ir;
mod load;
mod lower;

pub use load::{CheckOptions, Checked, Problem, Severity, check};
pub use lower::LineMap;
