//! `ferry check`: parse and type-check a document and its imports.

use super::*;

pub(crate) async fn check(file: &Path, options: ferry_wdl::CheckOptions) -> i32 {
    match ferry_wdl::check(file, options).await {
        Ok(checked) => {
            for p in &checked.problems {
                errln!("{p}");
            }
            if let Some(doc) = &checked.document {
                for w in ferry_engine::runtime_warnings(doc) {
                    errln!("warning: {w}");
                }
            }
            if checked.has_errors() { 1 } else { 0 }
        }
        Err(e) => {
            errln!("{}: error: {e:#}", file.display());
            1
        }
    }
}
