//! Name scopes for workflow evaluation.

use std::collections::HashMap;
use std::sync::Arc;

use ferry_eval::{Scope, Value};

/// The names bound in one frame, over a frozen snapshot of the enclosing frame's names. A scatter
/// freezes its frame's scope once and shares it with all its shards.
#[derive(Default, Clone)]
pub struct FrameScope {
    pub vars: HashMap<Arc<str>, Value>,
    pub parent: Option<Arc<FrameScope>>,
}

impl FrameScope {
    pub fn child(parent: Arc<FrameScope>) -> FrameScope {
        FrameScope {
            vars: HashMap::new(),
            parent: Some(parent),
        }
    }

    pub fn bind(&mut self, name: Arc<str>, value: Value) {
        self.vars.insert(name, value);
    }

    pub fn freeze(&self) -> Arc<FrameScope> {
        Arc::new(self.clone())
    }
}

impl Scope for FrameScope {
    fn lookup(&self, name: &str) -> Option<Value> {
        let mut scope = self;
        loop {
            if let Some(v) = scope.vars.get(name) {
                return Some(v.clone());
            }
            scope = scope.parent.as_deref()?;
        }
    }
}
