//! The messages between the engine and its launcher: one `SOCK_SEQPACKET` datagram each, so a
//! message is never split or interleaved, whichever process (the launcher, or a task process
//! that failed before `execve`) sends it.

/// The version of these messages. The launcher says it first ([`Report::Hello`]); an engine
/// that hears another (or none) refuses to use that launcher rather than lose requests.
pub const PROTOCOL: u32 = 2;

/// Engine → launcher.
#[derive(Debug, PartialEq)]
pub enum Request {
    Launch(Box<Launch>),
    /// Send `signal` to the attempt's process group (ignored once the attempt has ended); an
    /// attempt not started yet is dropped and answered [`Report::Cancelled`].
    Signal {
        id: u64,
        signal: i32,
    },
    /// The run is being stopped: `signal` to every running attempt's group, every attempt not
    /// started yet answered [`Report::Cancelled`], and so is every later launch. Messages
    /// arrive in order, so no launch can slip between a cancellation and the launcher.
    Cancel {
        signal: i32,
    },
}

/// One attempt to start: `program args` in `work_dir`, with stdio, after creating `dirs` and
/// writing `script` (when given) to `script_path`.
#[derive(Debug, Default, PartialEq)]
pub struct Launch {
    pub id: u64,
    pub program: Vec<u8>,
    pub args: Vec<Vec<u8>>,
    /// `KEY=VALUE` added to (and overriding) the launcher's own environment.
    pub env: Vec<Vec<u8>>,
    /// Directories to create, outermost first (existing ones are fine).
    pub dirs: Vec<Vec<u8>>,
    pub script_path: Vec<u8>,
    /// None when the engine wrote the script itself (too large for one message).
    pub script: Option<Vec<u8>>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub work_dir: Vec<u8>,
    /// Written by the launcher with 128+N when the shell is killed by signal N (the shell's
    /// own EXIT trap writes it otherwise).
    pub rc_file: Vec<u8>,
}

/// Launcher (or a task process before `execve`) → engine.
#[derive(Debug, PartialEq)]
pub enum Report {
    Exited {
        id: u64,
        /// The exit status; 128+N when killed by signal N.
        code: i32,
        signaled: bool,
        user_us: u64,
        system_us: u64,
        /// Bytes: the shell's own peak and that of the commands it waited for.
        max_rss: u64,
        /// Processes the task left running, killed when its shell ended.
        leftovers: u32,
    },
    /// The attempt never ran its shell: `step` says what failed, `errno` why.
    Failed { id: u64, step: u8, errno: i32 },
    /// The attempt was never started: the run is being cancelled.
    Cancelled { id: u64 },
    /// The launcher's first message: the protocol it speaks.
    Hello { protocol: u32 },
}

pub const STEP_SPAWN: u8 = 1;
pub const STEP_MKDIR: u8 = 2;
pub const STEP_SCRIPT: u8 = 3;
pub const STEP_STDIO: u8 = 4;
pub const STEP_CHDIR: u8 = 5;
pub const STEP_EXEC: u8 = 6;
pub const STEP_SETUP_TIMEOUT: u8 = 7;

/// What failed at `step`, for messages.
pub fn step_name(step: u8) -> &'static str {
    match step {
        STEP_SPAWN => "start a process",
        STEP_MKDIR => "create the attempt directory",
        STEP_SCRIPT => "write the command script",
        STEP_STDIO => "open stdout/stderr",
        STEP_CHDIR => "enter the working directory",
        STEP_SETUP_TIMEOUT => {
            "set the attempt up in time (creating its files did not finish: its directory may be on a filesystem that does not answer)"
        }
        _ => "start bash",
    }
}

/// Bytes of a [`Report::Failed`].
pub const FAILED_LEN: usize = 14;

/// A [`Report::Failed`] without allocating (see [`FAILED_LEN`]).
pub fn encode_failed(id: u64, step: u8, errno: i32) -> [u8; FAILED_LEN] {
    let mut b = [0u8; FAILED_LEN];
    b[0] = b'F';
    b[1..9].copy_from_slice(&id.to_le_bytes());
    b[9] = step;
    b[10..14].copy_from_slice(&errno.to_le_bytes());
    b
}

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.0.extend_from_slice(b);
    }
    fn list(&mut self, l: &[Vec<u8>]) {
        self.0.extend_from_slice(&(l.len() as u32).to_le_bytes());
        for b in l {
            self.bytes(b);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        self.take(n).map(<[u8]>::to_vec)
    }
    fn list(&mut self) -> Option<Vec<Vec<u8>>> {
        let n = self.u32()? as usize;
        // Each entry takes at least its 4-byte length: a bad count cannot reserve much.
        let mut l = Vec::with_capacity(n.min(self.0.len() / 4));
        for _ in 0..n {
            l.push(self.bytes()?);
        }
        Some(l)
    }
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(512));
        match self {
            Request::Signal { id, signal } => {
                w.0.push(b'S');
                w.u64(*id);
                w.i32(*signal);
            }
            Request::Cancel { signal } => {
                w.0.push(b'C');
                w.i32(*signal);
            }
            Request::Launch(l) => {
                w.0.push(b'L');
                w.u64(l.id);
                w.bytes(&l.program);
                w.list(&l.args);
                w.list(&l.env);
                w.list(&l.dirs);
                w.bytes(&l.script_path);
                match &l.script {
                    Some(s) => {
                        w.0.push(1);
                        w.bytes(s);
                    }
                    None => w.0.push(0),
                }
                w.bytes(&l.stdout);
                w.bytes(&l.stderr);
                w.bytes(&l.work_dir);
                w.bytes(&l.rc_file);
            }
        }
        w.0
    }

    pub fn decode(buf: &[u8]) -> Option<Request> {
        let mut r = Reader(buf);
        match r.u8()? {
            b'S' => Some(Request::Signal {
                id: r.u64()?,
                signal: r.i32()?,
            }),
            b'C' => Some(Request::Cancel { signal: r.i32()? }),
            b'L' => Some(Request::Launch(Box::new(Launch {
                id: r.u64()?,
                program: r.bytes()?,
                args: r.list()?,
                env: r.list()?,
                dirs: r.list()?,
                script_path: r.bytes()?,
                script: match r.u8()? {
                    0 => None,
                    _ => Some(r.bytes()?),
                },
                stdout: r.bytes()?,
                stderr: r.bytes()?,
                work_dir: r.bytes()?,
                rc_file: r.bytes()?,
            }))),
            _ => None,
        }
    }
}

impl Report {
    /// The attempt the report is about (none for [`Report::Hello`]).
    pub fn id(&self) -> Option<u64> {
        match self {
            Report::Exited { id, .. } | Report::Failed { id, .. } | Report::Cancelled { id } => {
                Some(*id)
            }
            Report::Hello { .. } => None,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            Report::Failed { id, step, errno } => encode_failed(*id, *step, *errno).to_vec(),
            Report::Cancelled { id } => {
                let mut w = Writer(Vec::with_capacity(9));
                w.0.push(b'C');
                w.u64(*id);
                w.0
            }
            Report::Hello { protocol } => {
                let mut w = Writer(Vec::with_capacity(9));
                w.0.extend_from_slice(b"H");
                w.0.extend_from_slice(&protocol.to_le_bytes());
                w.0
            }
            Report::Exited {
                id,
                code,
                signaled,
                user_us,
                system_us,
                max_rss,
                leftovers,
            } => {
                let mut w = Writer(Vec::with_capacity(48));
                w.0.push(b'E');
                w.u64(*id);
                w.i32(*code);
                w.0.push(u8::from(*signaled));
                w.u64(*user_us);
                w.u64(*system_us);
                w.u64(*max_rss);
                w.0.extend_from_slice(&leftovers.to_le_bytes());
                w.0
            }
        }
    }

    pub fn decode(buf: &[u8]) -> Option<Report> {
        let mut r = Reader(buf);
        match r.u8()? {
            b'F' => Some(Report::Failed {
                id: r.u64()?,
                step: r.u8()?,
                errno: r.i32()?,
            }),
            b'C' => Some(Report::Cancelled { id: r.u64()? }),
            b'H' => Some(Report::Hello { protocol: r.u32()? }),
            b'E' => Some(Report::Exited {
                id: r.u64()?,
                code: r.i32()?,
                signaled: r.u8()? != 0,
                user_us: r.u64()?,
                system_us: r.u64()?,
                max_rss: r.u64()?,
                leftovers: r.u32()?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_a_round_trip_and_truncation_is_refused() {
        let launch = Request::Launch(Box::new(Launch {
            id: 7,
            program: b"/bin/bash".to_vec(),
            args: vec![b"bash".to_vec(), b"command".to_vec()],
            env: vec![b"A=b".to_vec()],
            dirs: vec![b"/x".to_vec(), b"/x/work".to_vec()],
            script_path: b"/x/command".to_vec(),
            script: Some(b"echo hi\n".to_vec()),
            stdout: b"/x/stdout".to_vec(),
            stderr: b"/x/stderr".to_vec(),
            work_dir: b"/x/work".to_vec(),
            rc_file: b"/x/rc".to_vec(),
        }));
        let buf = launch.encode();
        assert_eq!(Request::decode(&buf), Some(launch));
        assert_eq!(Request::decode(&buf[..buf.len() - 1]), None);
        let exited = Report::Exited {
            id: 9,
            code: 137,
            signaled: true,
            user_us: 1,
            system_us: 2,
            max_rss: 3 << 20,
            leftovers: 2,
        };
        assert_eq!(Report::decode(&exited.encode()), Some(exited));
        let failed = Report::Failed {
            id: 1,
            step: STEP_EXEC,
            errno: 2,
        };
        assert_eq!(Report::decode(&failed.encode()), Some(failed));
        for r in [
            Report::Cancelled { id: 5 },
            Report::Hello { protocol: PROTOCOL },
        ] {
            assert_eq!(Report::decode(&r.encode()), Some(r));
        }
        let cancel = Request::Cancel { signal: 15 };
        assert_eq!(Request::decode(&cancel.encode()), Some(cancel));
    }
}
