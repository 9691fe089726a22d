//! Logging: Ferry's messages on stderr, and everything at debug level in the run's `ferry.log`,
//! buffered.

use super::*;

/// The run log's writer: buffered, because a wide scatter logs a few lines per shard and a
/// `write` each would cost the engine more than the rest of its per-shard work. Flushed when a
/// buffer fills and at the end of the run (a killed engine loses at most the last buffer).
#[derive(Clone)]
pub(crate) struct RunLog(Arc<std::sync::Mutex<std::io::BufWriter<std::fs::File>>>);

pub(crate) struct RunLogGuard<'a>(std::sync::MutexGuard<'a, std::io::BufWriter<std::fs::File>>);

impl std::io::Write for RunLogGuard<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RunLog {
    type Writer = Box<dyn std::io::Write + 'a>;
    fn make_writer(&'a self) -> Self::Writer {
        match self.0.lock() {
            Ok(g) => Box::new(RunLogGuard(g)),
            Err(_) => Box::new(std::io::sink()),
        }
    }
}

impl RunLog {
    pub(crate) fn flush(&self) {
        if let Ok(mut g) = self.0.lock() {
            let _ = std::io::Write::flush(&mut *g);
        }
    }
}

pub(crate) static RUN_LOG: std::sync::OnceLock<RunLog> = std::sync::OnceLock::new();

pub(crate) fn init_logging(run_dir: &Path) {
    // On stderr, Ferry's own messages from info up and the libraries' (AWS SDK, HTTP, Docker
    // client) only when they are errors: their warnings are whole debug dumps of requests,
    // kept in ferry.log. FERRY_LOG replaces this.
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "error,ferry=info,ferry_engine=info,ferry_exec=info,ferry_storage=info,\
             ferry_cache=info,ferry_config=info,ferry_wdl=info,ferry_eval=info",
        )
    });
    // Colour only for a person at a terminal, and never with NO_COLOR set (no-color.org).
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .without_time()
        .with_filter(filter);
    // Appended to: a resumed run keeps the log of the run it continues.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run_dir.join("ferry.log"))
        .ok()
        .map(|f| {
            // Room for the log's last buffers when a task fills the disk.
            sys::reserve(&f, 1 << 20);
            let log = RunLog(Arc::new(std::sync::Mutex::new(
                std::io::BufWriter::with_capacity(64 * 1024, f),
            )));
            let _ = RUN_LOG.set(log.clone());
            tracing_subscriber::fmt::layer()
                .with_writer(log)
                .with_ansi(false)
                .with_target(false)
                // Ferry's own debug events; the libraries' (AWS SDK, HTTP) only from info up,
                // or a cloud run's log is mostly request tracing.
                .with_filter(tracing_subscriber::EnvFilter::new(
                    "info,ferry=debug,ferry_engine=debug,ferry_exec=debug,ferry_storage=debug,ferry_cache=debug",
                ))
        });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}
