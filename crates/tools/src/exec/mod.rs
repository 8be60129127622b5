//! Running commands for the model: `exec_command` / `write_stdin` sessions and the argv
//! `shell` tool.
//!
//! - [`ExecSessionManager`] runs `exec_command` ("unified exec"): `[shell, -lc, cmd]` on pipes
//!   (or in a PTY with `tty: true`), returning after the command exits or after `yield_time_ms`;
//!   a command still running stays in the manager under a session id that `write_stdin` polls
//!   and types into. Tool facts: upstream inventory AGT-03/AGT-04, peer-wire §1.4–1.5.
//! - [`run_shell`] runs the argv `shell` tool (AGT-05): no PTY, stdin null, with a timeout.
//!
//! Every child leads its own process group and is killed as a group (SIGKILL) on
//! cancellation, timeout, [`ExecSessionManager::terminate_all`] or when its session is dropped.
//! A child killed by a signal reports exit code 128 + signal number. Processes a command left
//! running in the background after it exited are not killed, but its terminal is closed when
//! its result has been returned (PTY children then get SIGHUP, like after closing a terminal).

mod buffer;
mod manager;
mod process;
mod session;
mod shell;

#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use manager::ExecSessionManager;
pub use shell::{ShellOutput, ShellParams, run_shell};

use crate::truncate::{approx_token_count, truncate_middle};

/// Default `max_output_tokens` for text sent to the model (upstream default).
pub const DEFAULT_MAX_OUTPUT_TOKENS: usize = 10_000;

/// Default `yield_time_ms` of `exec_command`.
pub const DEFAULT_EXEC_YIELD_MS: u64 = 10_000;

/// Default `yield_time_ms` of `write_stdin`.
pub const DEFAULT_WRITE_STDIN_YIELD_MS: u64 = 250;

/// Smallest effective `yield_time_ms`; smaller requests are raised to it.
pub const MIN_YIELD_MS: u64 = 250;

/// Largest effective `yield_time_ms`; larger requests are lowered to it.
pub const MAX_YIELD_MS: u64 = 30_000;

/// Default shell of `exec_command`.
pub const DEFAULT_SHELL: &str = "/bin/bash";

/// Receives output chunks as they arrive, for live `ExecCommandOutputDelta` events.
///
/// Chunks are raw bytes as the child wrote them (a PTY's `\r\n` line endings included; a chunk
/// may end inside a UTF-8 sequence). It is called from the future of the tool call that is
/// collecting output, never between calls, so it must be quick (e.g. a `try_send`). When a
/// session's unpolled output overflowed, a chunk carries the
/// `[… N bytes of output dropped …]` note in place of the dropped middle.
pub type OutputSink<'a> = &'a (dyn Fn(&[u8]) + Send + Sync);

/// Errors of the exec tools.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The program could not be started (not found, not executable, fork failure, …).
    #[error("failed to spawn `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    /// No pseudo-terminal could be allocated.
    #[error("failed to allocate a pseudo-terminal")]
    Pty {
        #[source]
        source: io::Error,
    },
    /// The working directory does not exist or is not a directory.
    #[error("invalid working directory `{}`", path.display())]
    Workdir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The argv `shell` tool got an empty `command`.
    #[error("`command` is empty")]
    EmptyCommand,
    /// The sandbox could not confine the command, so it was not started.
    #[error("sandbox: {0}")]
    Sandbox(#[source] codex_sandbox::SandboxError),
    /// Writing to a still-running session's stdin failed.
    #[error("failed to write to stdin of session {session_id}")]
    Stdin {
        session_id: i32,
        #[source]
        source: io::Error,
    },
    /// The call was cancelled; the process group was killed.
    #[error("command cancelled")]
    Cancelled,
    /// `write_stdin` named a session that does not exist (never did, or already exited).
    #[error("unknown session id {0}")]
    UnknownSession(i32),
}

/// `sandbox_permissions` of the exec tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxPermissions {
    /// Run under the session's sandbox policy.
    UseDefault,
    /// Ask to run outside the sandbox (subject to approval).
    RequireEscalated,
}

/// Arguments of the `exec_command` tool as the model sends them. Unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ExecCommandParams {
    /// Shell command line, run as `[shell, -lc|-c, cmd]`.
    pub cmd: String,
    /// Working directory; relative paths resolve against [`ExecEnv::cwd`].
    #[serde(default)]
    pub workdir: Option<PathBuf>,
    /// Shell binary; default [`DEFAULT_SHELL`].
    #[serde(default)]
    pub shell: Option<String>,
    /// Run a login shell (`-lc`, the default) or not (`-c`).
    #[serde(default)]
    pub login: Option<bool>,
    /// Attach a PTY (`true`) or use pipes with stdout and stderr merged (default).
    #[serde(default)]
    pub tty: Option<bool>,
    /// Milliseconds to wait for output before returning; default [`DEFAULT_EXEC_YIELD_MS`],
    /// clamped to [`MIN_YIELD_MS`]..=[`MAX_YIELD_MS`].
    #[serde(default)]
    pub yield_time_ms: Option<u64>,
    /// Token budget of the output text; default [`DEFAULT_MAX_OUTPUT_TOKENS`].
    #[serde(default)]
    pub max_output_tokens: Option<usize>,
    /// Sandbox escalation request (decided by the caller, not here).
    #[serde(default)]
    pub sandbox_permissions: Option<SandboxPermissions>,
    /// Why escalation is needed (shown in the approval prompt).
    #[serde(default)]
    pub justification: Option<String>,
    /// Command prefix the model proposes to allow from now on.
    #[serde(default)]
    pub prefix_rule: Option<Vec<String>>,
}

impl ExecCommandParams {
    /// The argv that runs `cmd`: `[shell, -lc, cmd]` (`-c` with `login: false`), shell
    /// defaulting to [`DEFAULT_SHELL`].
    pub fn argv(&self) -> Vec<String> {
        let shell = self
            .shell
            .clone()
            .unwrap_or_else(|| DEFAULT_SHELL.to_string());
        let flag = if self.login.unwrap_or(true) {
            "-lc"
        } else {
            "-c"
        };
        vec![shell, flag.to_string(), self.cmd.clone()]
    }
}

/// Arguments of the `write_stdin` tool. Unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WriteStdinParams {
    /// Session id returned by `exec_command`.
    pub session_id: i32,
    /// Text to write; empty or absent just polls for output.
    #[serde(default)]
    pub chars: Option<String>,
    /// Milliseconds to wait for output; default [`DEFAULT_WRITE_STDIN_YIELD_MS`], clamped to
    /// [`MIN_YIELD_MS`]..=[`MAX_YIELD_MS`].
    #[serde(default)]
    pub yield_time_ms: Option<u64>,
    /// Token budget of the output text; default [`DEFAULT_MAX_OUTPUT_TOKENS`].
    #[serde(default)]
    pub max_output_tokens: Option<usize>,
}

/// Where and with what environment commands run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecEnv {
    /// Default working directory (the turn's cwd); relative `workdir`s resolve against it.
    pub cwd: PathBuf,
    /// The complete environment of the child, already filtered by the caller.
    pub env: std::collections::BTreeMap<String, String>,
    /// How to confine children; `None` runs them directly (danger-full-access).
    pub sandbox: Option<SandboxLaunch>,
}

/// A sandbox policy and the path of our own binary (re-executed as the Landlock fallback,
/// see `codex_sandbox`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLaunch {
    pub policy: codex_sandbox::SandboxPolicy,
    pub codex_exe: PathBuf,
}

/// The argv and environment actually spawned, plus the sandbox's guard, which must live until
/// the child exits (it holds the read-only placeholders of missing protected directories).
pub(crate) struct Launch {
    pub(crate) argv: Vec<String>,
    pub(crate) env: std::collections::BTreeMap<String, String>,
    pub(crate) guard: Option<codex_sandbox::PreparedCommand>,
}

/// Wraps `argv` in the sandbox of `env`, if any.
pub(crate) fn launch(argv: &[String], workdir: &Path, env: &ExecEnv) -> Result<Launch, ExecError> {
    let Some(sandbox) = &env.sandbox else {
        return Ok(Launch {
            argv: argv.to_vec(),
            env: env.env.clone(),
            guard: None,
        });
    };
    let prepared = codex_sandbox::prepare(&sandbox.policy, argv, workdir, &sandbox.codex_exe)
        .map_err(ExecError::Sandbox)?;
    let mut child_env = env.env.clone();
    prepared.apply_env(&mut child_env);
    Ok(Launch {
        argv: prepared.argv.clone(),
        env: child_env,
        guard: Some(prepared),
    })
}

/// Result of `exec_command` / `write_stdin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Random id of this output chunk: 6 lowercase hex digits.
    pub chunk_id: String,
    /// Time spent in this call.
    pub wall_time: Duration,
    /// Exit code once the process exited (128 + signal when killed by a signal).
    pub exit_code: Option<i32>,
    /// Session id while the process is still running.
    pub session_id: Option<i32>,
    /// Output collected during this call: lossy UTF-8, PTY `\r\n` normalised to `\n`.
    pub output: String,
    /// Approximate token count of all output produced during the call, including any bytes
    /// dropped because of the per-session memory cap.
    pub original_token_count: usize,
}

impl ExecOutput {
    /// Model-facing text, upstream's layout:
    ///
    /// ```text
    /// Chunk ID: <id>
    /// Wall time: <seconds, 4 decimals> seconds
    /// Process exited with code <n>            (or: Process running with session ID <id>)
    /// Original token count: <n>
    /// Output:
    /// <output, truncated to max_output_tokens (default 10000) with truncate_middle>
    /// ```
    pub fn to_model_text(&self, max_output_tokens: Option<usize>) -> String {
        let status = match (self.exit_code, self.session_id) {
            (Some(code), _) => format!("Process exited with code {code}"),
            (None, Some(id)) => format!("Process running with session ID {id}"),
            // Not produced by this module; say what we know.
            (None, None) => "Process running".to_string(),
        };
        let output = truncate_middle(
            &self.output,
            max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS),
        );
        format!(
            "Chunk ID: {}\nWall time: {:.4} seconds\n{status}\nOriginal token count: {}\nOutput:\n{output}",
            self.chunk_id,
            self.wall_time.as_secs_f64(),
            self.original_token_count,
        )
    }
}

/// A random chunk id: 6 lowercase hex digits.
fn new_chunk_id() -> String {
    let value: u32 = rand::random::<u32>() & 0x00ff_ffff;
    format!("{value:06x}")
}

/// Clamps a requested yield time to the effective range.
fn effective_yield(requested: Option<u64>, default_ms: u64) -> Duration {
    Duration::from_millis(
        requested
            .unwrap_or(default_ms)
            .clamp(MIN_YIELD_MS, MAX_YIELD_MS),
    )
}

/// Turns collected bytes into model text: lossy UTF-8, `\r\n` → `\n` for PTY output.
fn output_text(bytes: &[u8], tty: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    if tty {
        text.replace("\r\n", "\n")
    } else {
        text.into_owned()
    }
}

/// Resolves `workdir` against `cwd` and checks that it is an existing directory.
async fn resolve_workdir(workdir: Option<&Path>, cwd: &Path) -> Result<PathBuf, ExecError> {
    let path = match workdir {
        Some(dir) => cwd.join(dir),
        None => cwd.to_path_buf(),
    };
    match tokio::fs::metadata(&path).await {
        Ok(meta) if meta.is_dir() => Ok(path),
        Ok(_) => Err(ExecError::Workdir {
            path,
            source: io::Error::from(io::ErrorKind::NotADirectory),
        }),
        Err(source) => Err(ExecError::Workdir { path, source }),
    }
}
