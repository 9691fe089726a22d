//! Common utilities for LSP handlers.

pub(crate) mod docs;
mod namespace;
mod position;

pub use docs::*;
pub use namespace::*;
pub use position::*;
