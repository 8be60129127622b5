//! Spawning children in their own process group, reading their output, killing the group.
//!
//! Every child we start leads a new process group (a new session, for PTY children), so its
//! process group id equals its pid and one `killpg(pgid, SIGKILL)` ends the whole tree it
//! forked (background jobs of a non-interactive shell stay in the shell's group).

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};

use super::session::Shared;
use super::{ExecError, Launch};

/// Terminal size given to PTY children (rows, columns).
const PTY_ROWS: u16 = 24;
const PTY_COLS: u16 = 80;

/// Read buffer size for child output.
const READ_CHUNK: usize = 8192;

/// Exit code reported when the status carries neither a code nor a signal (should not happen).
const UNKNOWN_EXIT_CODE: i32 = -1;

/// Exit code of a finished child: its own code, or 128 + signal number when a signal killed it
/// (the shell convention).
pub(crate) fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(UNKNOWN_EXIT_CODE)
}

/// Sends SIGKILL to every process in group `pgid`. A group that no longer exists is not an
/// error; other failures are logged, since there is nothing better to do with them.
pub(crate) fn kill_process_group(pgid: i32) {
    // Never signal group 0 (our own) or 1 (init); our children always have larger ids.
    if pgid <= 1 {
        return;
    }
    let Some(pid) = rustix::process::Pid::from_raw(pgid) else {
        return;
    };
    match rustix::process::kill_process_group(pid, rustix::process::Signal::KILL) {
        Ok(()) => {}
        Err(rustix::io::Errno::SRCH) => {}
        Err(err) => tracing::warn!(pgid, %err, "failed to kill process group"),
    }
}

/// Where a child's stdin goes.
pub(crate) enum StdinSink {
    /// The PTY master (also carries the terminal's line discipline and echo).
    Pty(pty_process::OwnedWritePty),
    /// A plain pipe.
    Pipe(ChildStdin),
}

impl StdinSink {
    /// Writes all of `data` and flushes.
    pub(crate) async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Self::Pty(pty) => write_and_flush(pty, data).await,
            Self::Pipe(pipe) => write_and_flush(pipe, data).await,
        }
    }
}

async fn write_and_flush(writer: &mut (impl AsyncWrite + Unpin), data: &[u8]) -> io::Result<()> {
    writer.write_all(data).await?;
    writer.flush().await
}

/// A freshly spawned child whose output is read by the returned reader.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    /// Process group id (= the child's pid).
    pub(crate) pgid: i32,
    pub(crate) stdin: StdinSink,
    /// Merged stdout + stderr (the PTY master, or the read end of one shared pipe).
    pub(crate) output: Box<dyn AsyncRead + Send + Unpin>,
}

/// Builds the base command: argv, exact environment, working directory, and the sandbox's
/// spawn step (fd hygiene, inherited seccomp programs) when confined.
fn base_command(launch: &Launch, cwd: &Path) -> Command {
    let (program, args) = launch
        .argv
        .split_first()
        .map_or(("", &[][..]), |(p, a)| (p.as_str(), a));
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(&launch.env)
        .current_dir(cwd);
    if let Some(prepared) = &launch.guard {
        prepared.configure(cmd.as_std_mut());
    }
    cmd
}

fn spawn_error(argv: &[String], source: io::Error) -> ExecError {
    ExecError::Spawn {
        program: argv.first().cloned().unwrap_or_default(),
        source,
    }
}

fn pgid_of(child: &Child, argv: &[String]) -> Result<i32, ExecError> {
    child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .ok_or_else(|| spawn_error(argv, io::Error::other("child has no process id")))
}

/// Converts the PTY crate's error into the `io::Error` it usually wraps.
fn pty_io_error(err: pty_process::Error) -> io::Error {
    match err {
        pty_process::Error::Io(err) => err,
        pty_process::Error::Rustix(errno) => errno.into(),
        other => io::Error::other(other.to_string()),
    }
}

/// Spawns `argv` as the leader of a new session whose controlling terminal is a fresh PTY;
/// stdin, stdout and stderr are all the PTY.
pub(crate) fn spawn_pty(launch: &Launch, cwd: &Path) -> Result<Spawned, ExecError> {
    let argv = &launch.argv;
    let (pty, pts) = pty_process::open().map_err(|err| ExecError::Pty {
        source: pty_io_error(err),
    })?;
    pty.resize(pty_process::Size::new(PTY_ROWS, PTY_COLS))
        .map_err(|err| ExecError::Pty {
            source: pty_io_error(err),
        })?;
    // `spawn` consumes both the command and the pts, so no copy of the slave side stays open
    // in this process and reads on the master end (EIO) once every child has closed it.
    let child = pty_process::Command::from(base_command(launch, cwd))
        .spawn(pts)
        .map_err(|err| spawn_error(argv, pty_io_error(err)))?;
    let pgid = pgid_of(&child, argv)?;
    let (read, write) = pty.into_split();
    Ok(Spawned {
        child,
        pgid,
        stdin: StdinSink::Pty(write),
        output: Box::new(read),
    })
}

/// Spawns `argv` in a new process group with piped stdin and stdout + stderr both writing
/// into one pipe (so their interleaving is preserved).
pub(crate) fn spawn_piped(launch: &Launch, cwd: &Path) -> Result<Spawned, ExecError> {
    let argv = &launch.argv;
    let (reader, writer) = io::pipe().map_err(|err| spawn_error(argv, err))?;
    let writer_for_stderr = writer.try_clone().map_err(|err| spawn_error(argv, err))?;
    let mut cmd = base_command(launch, cwd);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer_for_stderr))
        .process_group(0);
    let mut child = cmd.spawn().map_err(|err| spawn_error(argv, err))?;
    // Close our copies of the pipe's write end so the reader sees EOF when the children do.
    drop(cmd);
    let pgid = pgid_of(&child, argv)?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| spawn_error(argv, io::Error::other("child stdin was not piped")))?;
    let output = tokio::net::unix::pipe::Receiver::from_owned_fd(OwnedFd::from(reader))
        .map_err(|err| spawn_error(argv, err))?;
    Ok(Spawned {
        child,
        pgid,
        stdin: StdinSink::Pipe(stdin),
        output: Box::new(output),
    })
}

/// Spawns `argv` in a new process group with stdin null and stdout, stderr on separate pipes
/// (the argv `shell` tool).
pub(crate) fn spawn_captured(launch: &Launch, cwd: &Path) -> Result<(Child, i32), ExecError> {
    let argv = &launch.argv;
    let mut cmd = base_command(launch, cwd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = cmd.spawn().map_err(|err| spawn_error(argv, err))?;
    let pgid = pgid_of(&child, argv)?;
    Ok((child, pgid))
}

/// Reads `output` into the session's shared buffer until EOF or a read error (a PTY master
/// reports EIO once the last slave fd is closed), then marks EOF.
pub(crate) async fn pump_output(
    mut output: Box<dyn AsyncRead + Send + Unpin>,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0_u8; READ_CHUNK];
    loop {
        match output.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => shared.push_output(buf.get(..n).unwrap_or_default()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                tracing::trace!(%err, "output stream ended");
                break;
            }
        }
    }
    shared.mark_eof();
}

/// Waits for the child and records its exit code.
pub(crate) async fn wait_for_exit(mut child: Child, shared: Arc<Shared>) {
    let code = match child.wait().await {
        Ok(status) => exit_code(status),
        Err(err) => {
            tracing::warn!(%err, "failed to wait for child process");
            UNKNOWN_EXIT_CODE
        }
    };
    shared.mark_exited(code);
}
