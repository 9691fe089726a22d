//! Representation of evaluation graphs.
//!
//! Evaluation graphs are used to process the items in a task or workflow in
//! topological order.

pub mod v1;
