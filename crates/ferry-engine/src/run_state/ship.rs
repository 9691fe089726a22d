//! The attempt journal to the store as it grows: every few seconds, the lines appended since
//! the last segment go up as one new object (`journal/<engine start>-<n>.tsv`, names that sort
//! in time: one engine drives a run at a time), never a growing object uploaded again and never
//! one PUT per attempt. An engine's first segment is its whole local journal, so lines a killed
//! engine had not shipped yet go up with the next engine on that machine. When the engine ends,
//! the whole journal goes up as `journal/attempts.tsv` and the segments it covers are deleted.

use std::path::PathBuf;
use std::time::Duration;

use super::{RunHome, now_ms};

/// Under the run's state.
pub const JOURNAL: &str = "journal/";

/// How often new lines go up.
pub const EVERY: Duration = Duration::from_secs(5);

/// Ships a run directory's journal to the store.
pub struct Shipper {
    home: RunHome,
    path: PathBuf,
    engine: u64,
    next: u64,
    shipped: u64,
}

impl Shipper {
    pub fn new(home: RunHome, run_dir: &std::path::Path) -> Shipper {
        Shipper {
            home,
            path: run_dir.join(crate::journal::FILE_NAME),
            engine: now_ms(),
            next: 0,
            shipped: 0,
        }
    }

    /// Ships the whole lines appended since the last call, as one segment.
    pub async fn ship(&mut self) -> Result<(), String> {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return Ok(());
        };
        let from = self.shipped as usize;
        let Some(end) = bytes.iter().rposition(|&b| b == b'\n').map(|i| i + 1) else {
            return Ok(());
        };
        if end <= from {
            return Ok(());
        }
        let url = format!(
            "{}{JOURNAL}{:013}-{:06}.tsv",
            self.home.state(),
            self.engine,
            self.next
        );
        self.home
            .storage
            .write(&url, bytes[from..end].to_vec())
            .await
            .map_err(|e| format!("{e:#}"))?;
        self.next += 1;
        self.shipped = end as u64;
        Ok(())
    }

    /// The journal whole, then the segments it covers removed.
    pub async fn compact(&mut self) -> Result<(), String> {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return Ok(());
        };
        let dir = format!("{}{JOURNAL}", self.home.state());
        let segments = self
            .home
            .storage
            .list_now(&dir)
            .await
            .map_err(|e| format!("{e:#}"))?;
        self.home
            .storage
            .write(&format!("{dir}{}", crate::journal::FILE_NAME), bytes)
            .await
            .map_err(|e| format!("{e:#}"))?;
        for s in segments {
            if s.url.ends_with(".tsv") && !s.url.ends_with(crate::journal::FILE_NAME) {
                self.home
                    .storage
                    .delete(&s.url)
                    .await
                    .map_err(|e| format!("{e:#}"))?;
            }
        }
        Ok(())
    }
}
