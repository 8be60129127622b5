//! The `exec_command` / `write_stdin` session table.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::process;
use super::session::{Collected, Session};
use super::{
    DEFAULT_EXEC_YIELD_MS, DEFAULT_WRITE_STDIN_YIELD_MS, ExecCommandParams, ExecEnv, ExecError,
    ExecOutput, OutputSink, WriteStdinParams, approx_token_count, effective_yield, new_chunk_id,
    output_text, resolve_workdir,
};

/// First session id handed out; ids then count up by one.
const FIRST_SESSION_ID: i32 = 1000;

/// Owns the `exec_command` processes that outlived their call.
///
/// Cheap to clone (all clones share one table). When the last clone is dropped, every
/// still-running process group is SIGKILLed.
#[derive(Clone)]
pub struct ExecSessionManager {
    inner: Arc<Inner>,
}

struct Inner {
    sessions: Mutex<HashMap<i32, Arc<Session>>>,
    next_id: AtomicI32,
}

impl Default for ExecSessionManager {
    fn default() -> Self {
        Self::new()
    }
}

impl ExecSessionManager {
    /// An empty manager; session ids start at 1000.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                sessions: Mutex::new(HashMap::new()),
                next_id: AtomicI32::new(FIRST_SESSION_ID),
            }),
        }
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<i32, Arc<Session>>> {
        // Map operations cannot leave it half-updated, so a poisoned lock is still usable.
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts `[shell, -lc|-c, cmd]` (shell default `/bin/bash`, login default true ⇒ `-lc`)
    /// in `workdir` (relative paths resolve against `env.cwd`; default `env.cwd`) as the
    /// leader of a new process group, attached to a PTY when `tty` is true (default false: stdin is a
    /// pipe and stdout + stderr share one pipe). The environment is exactly `env.env`.
    ///
    /// Collects output until the process exits or `yield_time_ms` (default 10000, clamped to
    /// 250..=30000) elapses. If it exited, the result has its exit code and no session id; if
    /// it still runs, it stays in this manager and the result carries a new session id
    /// (1000, 1001, …). Each output chunk is also passed to `on_output` as it arrives.
    ///
    /// # Errors
    /// [`ExecError::Workdir`] when the directory does not exist, [`ExecError::Pty`] /
    /// [`ExecError::Spawn`] when the process cannot be started, [`ExecError::Cancelled`] when
    /// `cancel` fires (the process group is SIGKILLed first).
    pub async fn exec_command(
        &self,
        params: ExecCommandParams,
        env: &ExecEnv,
        cancel: CancellationToken,
        on_output: OutputSink<'_>,
    ) -> Result<ExecOutput, ExecError> {
        let started = Instant::now();
        let deadline = started + effective_yield(params.yield_time_ms, DEFAULT_EXEC_YIELD_MS);
        let workdir = resolve_workdir(params.workdir.as_deref(), &env.cwd).await?;
        let argv = params.argv();
        // Pipes unless the model asks for a terminal, as upstream 0.169 does (measured: `ls`
        // prints one name per line there).
        let tty = params.tty.unwrap_or(false);
        tracing::debug!(?argv, workdir = %workdir.display(), tty, "exec_command");

        let launch = super::launch(&argv, &workdir, env)?;
        let session = Arc::new(Session::spawn(launch, &workdir, tty)?);
        let collected = {
            let _turn = session.turn.lock().await;
            session.collect(deadline, &cancel, on_output).await?
        };
        let session_id = match collected.exit_code {
            Some(_) => None,
            None => {
                let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
                self.sessions().insert(id, Arc::clone(&session));
                Some(id)
            }
        };
        Ok(build_output(started, collected, session_id, session.tty()))
    }

    /// Writes `chars` (absent or empty: just poll) to the session's stdin, then collects output
    /// like [`exec_command`](Self::exec_command) with `yield_time_ms` default 250 (clamped to
    /// 250..=30000). When the process has exited, the result has its exit code and the session
    /// is removed. Calls on one session run one after the other.
    ///
    /// # Errors
    /// [`ExecError::UnknownSession`] for an id that is not (or no longer) running,
    /// [`ExecError::Stdin`] when writing fails while the process still runs,
    /// [`ExecError::Cancelled`] when `cancel` fires (the process group is SIGKILLed and the
    /// session removed).
    pub async fn write_stdin(
        &self,
        params: WriteStdinParams,
        cancel: CancellationToken,
        on_output: OutputSink<'_>,
    ) -> Result<ExecOutput, ExecError> {
        let id = params.session_id;
        let session = self
            .sessions()
            .get(&id)
            .cloned()
            .ok_or(ExecError::UnknownSession(id))?;
        let _turn = session.turn.lock().await;
        let started = Instant::now();
        let deadline =
            started + effective_yield(params.yield_time_ms, DEFAULT_WRITE_STDIN_YIELD_MS);

        let chars = params.chars.unwrap_or_default();
        if !chars.is_empty() {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    session.kill().await;
                    self.remove(id);
                    return Err(ExecError::Cancelled);
                }
                written = session.write_stdin(chars.as_bytes()) => {
                    if let Err(source) = written {
                        // A process that already exited cannot read; report its exit instead.
                        if session.exit_code().is_none() {
                            return Err(ExecError::Stdin { session_id: id, source });
                        }
                        tracing::debug!(session_id = id, %source, "stdin write after exit");
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(session_id = id, "stdin write did not finish within the yield time");
                }
            }
        }

        let collected = match session.collect(deadline, &cancel, on_output).await {
            Ok(collected) => collected,
            Err(err) => {
                self.remove(id);
                return Err(err);
            }
        };
        let session_id = match collected.exit_code {
            Some(_) => {
                self.remove(id);
                None
            }
            None => Some(id),
        };
        Ok(build_output(started, collected, session_id, session.tty()))
    }

    /// SIGKILLs every running session's process group and forgets all sessions (shutdown,
    /// interrupt).
    pub async fn terminate_all(&self) {
        let sessions: Vec<Arc<Session>> = self.sessions().drain().map(|(_, s)| s).collect();
        // Signal every group first so they all die in parallel, then wait for each reap.
        for session in &sessions {
            tracing::debug!(pgid = session.pgid(), "terminating exec session");
            process::kill_process_group(session.pgid());
        }
        for session in &sessions {
            session.kill().await;
        }
    }

    /// Ids of the sessions currently held, ascending.
    pub fn session_ids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.sessions().keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    fn remove(&self, id: i32) {
        self.sessions().remove(&id);
    }
}

fn build_output(
    started: Instant,
    collected: Collected,
    session_id: Option<i32>,
    tty: bool,
) -> ExecOutput {
    let output = output_text(&collected.bytes, tty);
    let original_token_count = approx_token_count(&output) + collected.dropped.div_ceil(4);
    ExecOutput {
        chunk_id: new_chunk_id(),
        wall_time: started.elapsed(),
        exit_code: collected.exit_code,
        session_id,
        output,
        original_token_count,
    }
}
