//! One running command: its process group, stdin, buffered output and exit status.
//!
//! Two owned tasks feed a session: one reads the merged output into a bounded buffer (so the
//! child never blocks on a full terminal while nobody polls), one waits for the exit status.
//! Callers collect from the buffer with [`Session::collect`]; one collector at a time.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::buffer::{BoundedOutput, Drained};
use super::process::{self, StdinSink};
use super::{ExecError, OutputSink};

/// Pending output kept per session while nobody collects it (head + tail, middle dropped).
pub(crate) const PENDING_OUTPUT_CAP: usize = 1024 * 1024;

/// Output kept per collection; the model sees at most `max_output_tokens` of it anyway.
const COLLECTED_OUTPUT_CAP: usize = 1024 * 1024;

/// After the child exits, how long to keep reading output that is still in flight. Output
/// normally ends (EOF) right away; it only lasts longer when a background process still holds
/// the terminal or pipe.
const EXIT_DRAIN_GRACE: Duration = Duration::from_millis(100);

/// After a SIGKILL, how long to wait for the child to be reaped before giving up.
const KILL_REAP_WAIT: Duration = Duration::from_secs(2);

/// State shared between a session and its reader/waiter tasks.
pub(crate) struct Shared {
    state: Mutex<SharedState>,
    /// Woken (one stored permit) whenever output, EOF or the exit status arrives.
    notify: Notify,
}

struct SharedState {
    pending: BoundedOutput,
    eof: bool,
    exit_code: Option<i32>,
}

/// A snapshot taken by a collector.
struct Snapshot {
    drained: Drained,
    eof: bool,
    exit_code: Option<i32>,
}

impl Shared {
    fn new() -> Self {
        Self {
            state: Mutex::new(SharedState {
                pending: BoundedOutput::new(PENDING_OUTPUT_CAP),
                eof: false,
                exit_code: None,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SharedState> {
        // The state stays consistent even if a holder panicked: every update is one assignment
        // or one buffer push.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push_output(&self, data: &[u8]) {
        self.lock().pending.push(data);
        self.notify.notify_one();
    }

    pub(crate) fn mark_eof(&self) {
        self.lock().eof = true;
        self.notify.notify_one();
    }

    pub(crate) fn mark_exited(&self, code: i32) {
        self.lock().exit_code = Some(code);
        self.notify.notify_one();
    }

    fn exit_code(&self) -> Option<i32> {
        self.lock().exit_code
    }

    fn snapshot(&self) -> Snapshot {
        let mut state = self.lock();
        Snapshot {
            drained: state.pending.take(),
            eof: state.eof,
            exit_code: state.exit_code,
        }
    }
}

/// Output gathered by one [`Session::collect`] call.
pub(crate) struct Collected {
    /// Raw output bytes (PTY output still has `\r\n`), middle possibly dropped with a note.
    pub(crate) bytes: Vec<u8>,
    /// Bytes dropped from the middle (not in `bytes`).
    pub(crate) dropped: usize,
    /// `Some` once the child exited.
    pub(crate) exit_code: Option<i32>,
}

/// A spawned command and the tasks that serve it. Dropping a session whose child is still
/// running kills the child's whole process group.
pub(crate) struct Session {
    pgid: i32,
    tty: bool,
    stdin: tokio::sync::Mutex<StdinSink>,
    shared: Arc<Shared>,
    /// Serialises collectors (and stdin writes paired with them).
    pub(crate) turn: tokio::sync::Mutex<()>,
    reader: JoinHandle<()>,
    waiter: JoinHandle<()>,
    /// Kept until the session ends: the sandbox's guard.
    _sandbox: Option<codex_sandbox::PreparedCommand>,
}

impl Session {
    /// Spawns `argv` (PTY when `tty`, else pipes) and starts its reader and waiter tasks.
    pub(crate) fn spawn(launch: super::Launch, cwd: &Path, tty: bool) -> Result<Self, ExecError> {
        let spawned = if tty {
            process::spawn_pty(&launch, cwd)?
        } else {
            process::spawn_piped(&launch, cwd)?
        };
        let shared = Arc::new(Shared::new());
        let reader = tokio::spawn(process::pump_output(spawned.output, Arc::clone(&shared)));
        let waiter = tokio::spawn(process::wait_for_exit(spawned.child, Arc::clone(&shared)));
        Ok(Self {
            pgid: spawned.pgid,
            tty,
            stdin: tokio::sync::Mutex::new(spawned.stdin),
            shared,
            turn: tokio::sync::Mutex::new(()),
            reader,
            waiter,
            _sandbox: launch.guard,
        })
    }

    /// Process group id (= pid of the spawned shell).
    pub(crate) fn pgid(&self) -> i32 {
        self.pgid
    }

    /// Whether the child runs in a PTY (its output uses `\r\n`).
    pub(crate) fn tty(&self) -> bool {
        self.tty
    }

    /// The exit code, once the child exited.
    pub(crate) fn exit_code(&self) -> Option<i32> {
        self.shared.exit_code()
    }

    /// Writes `data` to the child's stdin.
    pub(crate) async fn write_stdin(&self, data: &[u8]) -> std::io::Result<()> {
        self.stdin.lock().await.write_all(data).await
    }

    /// SIGKILLs the process group, then waits (bounded) until the child is reaped.
    pub(crate) async fn kill(&self) {
        process::kill_process_group(self.pgid);
        let deadline = Instant::now() + KILL_REAP_WAIT;
        while self.shared.exit_code().is_none() && Instant::now() < deadline {
            tokio::select! {
                () = self.shared.notify.notified() => {}
                () = sleep_until(deadline) => {}
            }
        }
    }

    /// Collects output until the child exited (and its output ended, or a short grace period
    /// passed) or until `deadline`, whichever comes first. Every drained chunk is passed to
    /// `sink` as it arrives. On cancellation the process group is killed and
    /// [`ExecError::Cancelled`] returned. Callers hold [`Session::turn`].
    pub(crate) async fn collect(
        &self,
        deadline: Instant,
        cancel: &CancellationToken,
        sink: OutputSink<'_>,
    ) -> Result<Collected, ExecError> {
        let mut collected = BoundedOutput::new(COLLECTED_OUTPUT_CAP);
        let mut drain_until: Option<Instant> = None;
        loop {
            let snapshot = self.shared.snapshot();
            if !snapshot.drained.bytes.is_empty() {
                sink(&snapshot.drained.bytes);
            }
            collected.push_drained(&snapshot.drained);

            let now = Instant::now();
            let wake_at = match snapshot.exit_code {
                Some(code) => {
                    let until = *drain_until.get_or_insert(now + EXIT_DRAIN_GRACE);
                    if snapshot.eof || now >= until {
                        let Drained { bytes, dropped } = collected.take();
                        return Ok(Collected {
                            bytes,
                            dropped,
                            exit_code: Some(code),
                        });
                    }
                    until
                }
                None => {
                    if now >= deadline {
                        let Drained { bytes, dropped } = collected.take();
                        return Ok(Collected {
                            bytes,
                            dropped,
                            exit_code: None,
                        });
                    }
                    deadline
                }
            };

            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    self.kill().await;
                    return Err(ExecError::Cancelled);
                }
                () = self.shared.notify.notified() => {}
                () = sleep_until(wake_at) => {}
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.shared.exit_code().is_none() {
            process::kill_process_group(self.pgid);
        }
        self.reader.abort();
        self.waiter.abort();
    }
}
