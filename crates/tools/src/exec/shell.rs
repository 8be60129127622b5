//! The argv `shell` tool: run a program directly, wait (with a timeout), report the output.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::buffer::BoundedOutput;
use super::process::{self, exit_code};
use super::{
    DEFAULT_MAX_OUTPUT_TOKENS, ExecEnv, ExecError, OutputSink, SandboxPermissions, resolve_workdir,
};
use crate::truncate::truncate_middle;

/// Default `timeout_ms` of the `shell` tool.
pub const DEFAULT_SHELL_TIMEOUT_MS: u64 = 10_000;

/// Exit code reported when the command hit its timeout (as `timeout(1)` does).
pub const TIMEOUT_EXIT_CODE: i32 = 124;

/// Output kept per stream (head + tail, middle dropped with a note).
const STREAM_CAP: usize = 1024 * 1024;

/// After the process exits, how long to keep reading output still in flight (only matters when
/// a background process inherited the pipes).
const EXIT_DRAIN_GRACE: Duration = Duration::from_millis(100);

/// After a SIGKILL, how long to wait for the child to be reaped.
const KILL_REAP_WAIT: Duration = Duration::from_secs(2);

/// Arguments of the argv `shell` tool. Unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ShellParams {
    /// Program and arguments, run directly (no shell).
    pub command: Vec<String>,
    /// Working directory; relative paths resolve against [`ExecEnv::cwd`].
    #[serde(default)]
    pub workdir: Option<PathBuf>,
    /// Timeout in milliseconds; default [`DEFAULT_SHELL_TIMEOUT_MS`].
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Sandbox escalation request (decided by the caller, not here).
    #[serde(default)]
    pub sandbox_permissions: Option<SandboxPermissions>,
    /// Why escalation is needed.
    #[serde(default)]
    pub justification: Option<String>,
    /// Command prefix the model proposes to allow from now on.
    #[serde(default)]
    pub prefix_rule: Option<Vec<String>>,
}

/// Result of the argv `shell` tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellOutput {
    /// Exit code: the process's, 128 + signal when killed by a signal, 124 on timeout.
    pub exit_code: i32,
    /// Standard output, lossy UTF-8.
    pub stdout: String,
    /// Standard error, lossy UTF-8.
    pub stderr: String,
    /// Both streams interleaved in arrival order; on timeout followed by a line
    /// `command timed out after N ms`.
    pub aggregated_output: String,
    /// Time from spawn to exit.
    pub duration: Duration,
    /// Whether the timeout killed the command.
    pub timed_out: bool,
}

#[derive(Serialize)]
struct ModelShellOutput<'a> {
    output: &'a str,
    metadata: ModelShellMetadata,
}

#[derive(Serialize)]
struct ModelShellMetadata {
    exit_code: i32,
    duration_seconds: f64,
}

impl ShellOutput {
    /// Model-facing text: the JSON string
    /// `{"output": <aggregated output truncated to max_output_tokens (default 10000)>,
    /// "metadata": {"exit_code": <n>, "duration_seconds": <seconds, 1 decimal>}}`.
    pub fn to_model_text(&self, max_output_tokens: Option<usize>) -> String {
        let output = truncate_middle(
            &self.aggregated_output,
            max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS),
        );
        let body = ModelShellOutput {
            output: &output,
            metadata: ModelShellMetadata {
                exit_code: self.exit_code,
                duration_seconds: (self.duration.as_secs_f64() * 10.0).round() / 10.0,
            },
        };
        // Serialising strings and numbers cannot fail; fall back to the bare output anyway.
        serde_json::to_string(&body).unwrap_or(output)
    }
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Aborts the reader tasks and kills the process group if the child is still running when the
/// call ends early (cancelled future, error).
struct Cleanup {
    pgid: i32,
    running: bool,
    readers: Vec<JoinHandle<()>>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.running {
            process::kill_process_group(self.pgid);
        }
        for reader in &self.readers {
            reader.abort();
        }
    }
}

/// Runs `params.command` directly (no PTY, stdin null, stdout and stderr captured and also
/// interleaved into `aggregated_output`) in `workdir` (relative to `env.cwd`) as the leader of
/// a new process group, with exactly `env.env` as environment. Each output chunk is passed to
/// `on_output` as it arrives.
///
/// After `timeout_ms` (default 10000) the group is SIGKILLed and the result has exit code 124,
/// `timed_out`, and a `command timed out after N ms` line appended to the aggregated output.
///
/// # Errors
/// [`ExecError::EmptyCommand`], [`ExecError::Workdir`], [`ExecError::Spawn`], and
/// [`ExecError::Cancelled`] when `cancel` fires (the group is SIGKILLed first).
pub async fn run_shell(
    params: ShellParams,
    env: &ExecEnv,
    cancel: CancellationToken,
    on_output: OutputSink<'_>,
) -> Result<ShellOutput, ExecError> {
    if params.command.is_empty() {
        return Err(ExecError::EmptyCommand);
    }
    let workdir = resolve_workdir(params.workdir.as_deref(), &env.cwd).await?;
    let timeout_ms = params.timeout_ms.unwrap_or(DEFAULT_SHELL_TIMEOUT_MS);
    tracing::debug!(argv = ?params.command, workdir = %workdir.display(), timeout_ms, "shell");

    let started = Instant::now();
    let timeout_at = started + Duration::from_millis(timeout_ms);
    // `launch` keeps the sandbox guard alive until the command is done.
    let launch = super::launch(&params.command, &workdir, env)?;
    let (mut child, pgid) = process::spawn_captured(&launch, &workdir)?;

    let (tx, mut rx) = mpsc::channel::<(Stream, Vec<u8>)>(64);
    let mut cleanup = Cleanup {
        pgid,
        running: true,
        readers: Vec::new(),
    };
    if let Some(stdout) = child.stdout.take() {
        cleanup
            .readers
            .push(tokio::spawn(forward(stdout, Stream::Stdout, tx.clone())));
    }
    if let Some(stderr) = child.stderr.take() {
        cleanup
            .readers
            .push(tokio::spawn(forward(stderr, Stream::Stderr, tx.clone())));
    }
    drop(tx);

    let mut stdout = BoundedOutput::new(STREAM_CAP);
    let mut stderr = BoundedOutput::new(STREAM_CAP);
    let mut aggregated = BoundedOutput::new(STREAM_CAP);
    let mut accept = |stream: Stream, chunk: &[u8]| {
        on_output(chunk);
        aggregated.push(chunk);
        match stream {
            Stream::Stdout => stdout.push(chunk),
            Stream::Stderr => stderr.push(chunk),
        }
    };

    let mut timed_out = false;
    let mut streams_open = true;
    // Phase 1: until the child exits (killing it on timeout or cancellation).
    let status = loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                process::kill_process_group(pgid);
                // Reap it so no zombie is left behind; bounded in case it is stuck in the kernel.
                let _ = tokio::time::timeout(KILL_REAP_WAIT, child.wait()).await;
                cleanup.running = false;
                return Err(ExecError::Cancelled);
            }
            chunk = rx.recv(), if streams_open => match chunk {
                Some((stream, bytes)) => accept(stream, &bytes),
                None => streams_open = false,
            },
            status = child.wait() => break status,
            () = sleep_until(timeout_at), if !timed_out => {
                timed_out = true;
                process::kill_process_group(pgid);
            }
        }
    };
    cleanup.running = false;
    let duration = started.elapsed();

    // Phase 2: output still in flight.
    let drain_until = Instant::now() + EXIT_DRAIN_GRACE;
    while streams_open {
        tokio::select! {
            chunk = rx.recv() => match chunk {
                Some((stream, bytes)) => accept(stream, &bytes),
                None => streams_open = false,
            },
            () = sleep_until(drain_until) => break,
        }
    }
    drop(cleanup);

    let mut exit = match status {
        Ok(status) => exit_code(status),
        Err(err) => {
            tracing::warn!(%err, "failed to wait for shell command");
            -1
        }
    };
    let mut aggregated_output = String::from_utf8_lossy(&aggregated.take().bytes).into_owned();
    if timed_out {
        exit = TIMEOUT_EXIT_CODE;
        if !aggregated_output.is_empty() && !aggregated_output.ends_with('\n') {
            aggregated_output.push('\n');
        }
        aggregated_output.push_str(&format!("command timed out after {timeout_ms} ms"));
    }
    Ok(ShellOutput {
        exit_code: exit,
        stdout: String::from_utf8_lossy(&stdout.take().bytes).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.take().bytes).into_owned(),
        aggregated_output,
        duration,
        timed_out,
    })
}

/// Forwards one stream's chunks to the collector until EOF.
async fn forward(
    mut reader: impl AsyncRead + Unpin,
    stream: Stream,
    tx: mpsc::Sender<(Stream, Vec<u8>)>,
) {
    let mut buf = vec![0_u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default().to_vec();
                if tx.send((stream, chunk)).await.is_err() {
                    break;
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => {
                tracing::trace!(%err, ?stream, "output stream ended");
                break;
            }
        }
    }
}
