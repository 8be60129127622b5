//! `codex-linux-sandbox`: the Landlock + seccomp fallback, entered by re-executing the Codex
//! binary (the bubblewrap backend needs no helper: bwrap installs our seccomp programs).
//!
//! ```text
//! <codex> --codex-linux-sandbox landlock [--allow-network] [--no-read-root]
//!         [--rw PATH]... [--ro PATH]... [--deny PATH]... -- COMMAND...
//! codex-linux-sandbox <same arguments after the flag>                    (arg0 form)
//! ```
//!
//! * The helper is the whole fallback sandbox. It closes inherited fds above 2, becomes a
//!   child subreaper and forks;
//!   the child drops every capability (bounding set, ambient, securebits, then the sets
//!   themselves, so a root caller cannot regain them on exec), applies Landlock (the path
//!   rules `--rw`/`--ro`/`--deny` below `/`, which is readable unless `--no-read-root`; the
//!   deepest rule wins, see the `landlock` module) and seccomp
//!   and execs the command; the parent waits, then kills whatever the command left running
//!   (detached background children are reparented to it), and exits with the command's
//!   status. It ignores `SIGINT`/`SIGQUIT` (they reach the command through the shared process
//!   group) and forwards `SIGTERM`/`SIGHUP`.
//!
//! Exit status: the command's; [`EXIT_SETUP_FAILED`] (125) when the sandbox could not be set
//! up (message on stderr, prefixed `codex-linux-sandbox:`); 127 when the command was not
//! found and 126 when it could not be executed, like a shell.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};

use super::{landlock, seccomp};
use crate::policy::PathAccess;

/// arg0 under which the Codex binary acts as the sandbox helper.
pub const LINUX_SANDBOX_ARG0: &str = "codex-linux-sandbox";
/// First argument under which the Codex binary acts as the sandbox helper (bubblewrap 0.8
/// cannot set arg0, so the helper is re-executed as `<codex> --codex-linux-sandbox ...`).
pub const LINUX_SANDBOX_FLAG: &str = "--codex-linux-sandbox";
/// Exit status when the sandbox could not be set up.
pub const EXIT_SETUP_FAILED: i32 = 125;

/// The one stage: the Landlock fallback.
pub(crate) const STAGE_LANDLOCK: &str = "landlock";

#[derive(Debug, thiserror::Error)]
enum HelperError {
    #[error(
        "usage: {LINUX_SANDBOX_ARG0} landlock [--allow-network] [--no-read-root] [--rw PATH]... [--ro PATH]... [--deny PATH]... -- COMMAND... ({0})"
    )]
    Usage(String),
    #[error(transparent)]
    Seccomp(#[from] seccomp::SeccompError),
    #[error(transparent)]
    Landlock(#[from] landlock::LandlockError),
    #[error("{what}")]
    Os {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

fn os(what: &'static str) -> impl FnOnce(rustix::io::Errno) -> HelperError {
    move |e| HelperError::Os {
        what,
        source: e.into(),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Args {
    network: bool,
    /// `/` readable (no `--no-read-root`).
    read_root: bool,
    writable: Vec<PathBuf>,
    read_only: Vec<PathBuf>,
    denied: Vec<PathBuf>,
    command: Vec<OsString>,
}

impl Args {
    /// Every path rule with its access.
    fn rules(&self) -> Vec<(PathBuf, PathAccess)> {
        let with = |paths: &[PathBuf], access| {
            paths
                .iter()
                .map(move |p| (p.clone(), access))
                .collect::<Vec<_>>()
        };
        let mut rules = with(&self.writable, PathAccess::Write);
        rules.extend(with(&self.read_only, PathAccess::Read));
        rules.extend(with(&self.denied, PathAccess::None));
        rules
    }
}

/// Whether `args` (the process's full argv) asks for the helper: arg0 named
/// [`LINUX_SANDBOX_ARG0`], or [`LINUX_SANDBOX_FLAG`] as the first argument.
pub fn is_linux_sandbox_invocation(args: &[OsString]) -> bool {
    helper_args(args).is_some()
}

fn helper_args(args: &[OsString]) -> Option<&[OsString]> {
    let arg0 = args.first()?;
    if args.get(1).map(OsString::as_os_str) == Some(OsStr::new(LINUX_SANDBOX_FLAG)) {
        return args.get(2..);
    }
    let name = std::path::Path::new(arg0).file_name();
    if name == Some(OsStr::new(LINUX_SANDBOX_ARG0)) {
        return args.get(1..);
    }
    None
}

fn parse(args: &[OsString]) -> Result<Args, HelperError> {
    let mut iter = args.iter();
    match iter.next().map(|s| s.to_string_lossy()) {
        Some(stage) if stage == STAGE_LANDLOCK => {}
        Some(stage) => return Err(HelperError::Usage(format!("unknown stage `{stage}`"))),
        None => return Err(HelperError::Usage("missing stage".into())),
    }
    let mut parsed = Args {
        network: false,
        read_root: true,
        writable: Vec::new(),
        read_only: Vec::new(),
        denied: Vec::new(),
        command: Vec::new(),
    };
    loop {
        let Some(arg) = iter.next() else {
            return Err(HelperError::Usage("missing `--`".into()));
        };
        match arg.to_str() {
            Some("--") => break,
            Some("--allow-network") => parsed.network = true,
            Some("--no-read-root") => parsed.read_root = false,
            Some(flag @ ("--rw" | "--ro" | "--deny")) => {
                let path = PathBuf::from(
                    iter.next()
                        .ok_or_else(|| HelperError::Usage(format!("`{flag}` needs a path")))?,
                );
                match flag {
                    "--rw" => parsed.writable.push(path),
                    "--ro" => parsed.read_only.push(path),
                    _ => parsed.denied.push(path),
                }
            }
            _ => {
                return Err(HelperError::Usage(format!(
                    "unexpected argument `{}`",
                    arg.to_string_lossy()
                )));
            }
        }
    }
    parsed.command = iter.cloned().collect();
    if parsed.command.is_empty() {
        return Err(HelperError::Usage("missing command".into()));
    }
    Ok(parsed)
}

/// The helper's `main`: sets up the sandbox stage named in `args` (the full argv) and execs
/// the command. Never returns; on failure it prints one line to stderr and exits with
/// [`EXIT_SETUP_FAILED`].
pub fn run_linux_sandbox_main(args: Vec<OsString>) -> ! {
    let parsed = match helper_args(&args)
        .ok_or_else(|| HelperError::Usage("not invoked as the sandbox helper".into()))
        .and_then(parse)
    {
        Ok(parsed) => parsed,
        Err(err) => fail(&err),
    };
    match landlock_stage(&parsed) {
        Ok(()) => exec(&parsed.command),
        Err(err) => fail(&err),
    }
}

/// Prints the error chain on one line and exits with [`EXIT_SETUP_FAILED`].
fn fail(err: &dyn std::error::Error) -> ! {
    let mut line = format!("{LINUX_SANDBOX_ARG0}: {err}");
    let mut source = err.source();
    while let Some(s) = source {
        line.push_str(&format!(": {s}"));
        source = s.source();
    }
    // The helper is a process entry point: stderr is its only channel.
    let _ = writeln!(std::io::stderr(), "{line}");
    std::process::exit(EXIT_SETUP_FAILED)
}

/// Returns only in the forked, confined child, which the caller turns into the command; the
/// helper itself exits with the command's status.
fn landlock_stage(args: &Args) -> Result<(), HelperError> {
    close_inherited_fds()?;
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .map_err(os("cannot become a child subreaper"))?;
    let parent = rustix::process::getpid();
    // SAFETY: the helper is single-threaded here (called from `main` before any thread is
    // spawned), so the child may run arbitrary code after `fork`.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(HelperError::Os {
            what: "fork failed",
            source: std::io::Error::last_os_error(),
        });
    }
    if pid == 0 {
        return confine_child(args, parent);
    }
    supervise(pid)
}

/// In the forked child: die with the helper, drop capabilities, Landlock, seccomp.
fn confine_child(args: &Args, parent: rustix::process::Pid) -> Result<(), HelperError> {
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .map_err(os("cannot set the parent-death signal"))?;
    if rustix::process::getppid() != Some(parent) {
        // The helper died between fork and prctl.
        std::process::exit(EXIT_SETUP_FAILED);
    }
    drop_capabilities()?;
    let root = if args.read_root {
        PathAccess::Read
    } else {
        PathAccess::None
    };
    landlock::restrict(root, &args.rules(), args.network)?;
    seccomp::install(args.network)?;
    Ok(())
}

static CHILD: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_signal(sig: libc::c_int) {
    let child = CHILD.load(Ordering::SeqCst);
    if child > 0 {
        // SAFETY: kill is async-signal-safe; the pid is our own child.
        unsafe {
            libc::kill(child, sig);
        }
    }
}

/// In the helper after `fork`: wait for the command, reap and kill leftovers, mirror the
/// command's exit status.
fn supervise(child: libc::pid_t) -> Result<(), HelperError> {
    CHILD.store(child, Ordering::SeqCst);
    // SAFETY: installing dispositions in a single-threaded process; the handler only calls
    // the async-signal-safe `kill`.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
        libc::signal(
            libc::SIGTERM,
            forward_signal as *const () as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGHUP,
            forward_signal as *const () as libc::sighandler_t,
        );
    }
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(child, &mut status, 0) };
        if r == child {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(HelperError::Os {
                what: "waitpid failed",
                source: err,
            });
        }
    }
    kill_leftovers();
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        // The command may already have dumped core; the helper must not add its own dump.
        let hard = rustix::process::getrlimit(rustix::process::Resource::Core).maximum;
        let _ = rustix::process::setrlimit(
            rustix::process::Resource::Core,
            rustix::process::Rlimit {
                current: Some(0),
                maximum: hard,
            },
        );
        // SAFETY: restoring the default disposition and re-raising the command's signal in
        // our single-threaded process so our parent sees the same termination.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
        std::process::exit(128 + sig);
    }
    std::process::exit(libc::WEXITSTATUS(status))
}

/// Kills every process reparented to us (we are a child subreaper) until none is left.
fn kill_leftovers() {
    let me = std::process::id().to_string();
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD) {
            // The common case: nothing was left behind; skip the /proc scan.
            return;
        }
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(pid) = name.to_str().and_then(|s| s.parse::<i32>().ok()) else {
                    continue;
                };
                let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                    continue;
                };
                // `pid (comm) state ppid ...`; comm may contain spaces and parentheses.
                let Some(tail) = stat.rsplit_once(") ").map(|(_, t)| t) else {
                    continue;
                };
                if tail.split(' ').nth(1) == Some(me.as_str()) {
                    // SAFETY: signalling a process whose parent is us.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
            }
        }
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(-1, &mut status, 0) };
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD) {
            return;
        }
    }
}

/// Closes every fd above 2, so nothing the parent leaked (a directory fd outside the writable
/// roots, a socket) reaches the command.
fn close_inherited_fds() -> Result<(), HelperError> {
    // SAFETY: close_range only closes descriptors; nothing in this process refers to fds
    // above 2 (the helper opened none yet).
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    if r == 0 {
        return Ok(());
    }
    // Kernels before 5.9: close what /proc/self/fd lists.
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map_err(|source| HelperError::Os {
            what: "cannot list open fds",
            source,
        })?
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: see above; closing an fd that was the directory iterator's is harmless.
        unsafe {
            libc::close(fd);
        }
    }
    Ok(())
}

/// Drops every capability for good: securebits (no root fix-up on exec), bounding set,
/// ambient set, then effective/permitted/inheritable. A no-op for callers without any.
fn drop_capabilities() -> Result<(), HelperError> {
    use rustix::thread::{
        CapabilitiesSecureBits, CapabilitySet, CapabilitySets, capabilities, set_capabilities,
        set_capabilities_secure_bits,
    };
    let current = capabilities(None).map_err(os("cannot read capabilities"))?;
    if current.permitted.is_empty() && current.effective.is_empty() {
        return Ok(());
    }
    if current.effective.contains(CapabilitySet::SETPCAP) {
        set_capabilities_secure_bits(
            CapabilitiesSecureBits::NO_ROOT
                | CapabilitiesSecureBits::NO_ROOT_LOCKED
                | CapabilitiesSecureBits::NO_SETUID_FIXUP
                | CapabilitiesSecureBits::NO_SETUID_FIXUP_LOCKED,
        )
        .map_err(os("cannot set securebits"))?;
        let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or(63);
        for cap in 0..=last {
            // SAFETY: PR_CAPBSET_DROP with a capability number; EINVAL past the last one is
            // ignored.
            let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
            if r != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
                return Err(HelperError::Os {
                    what: "cannot drop the capability bounding set",
                    source: std::io::Error::last_os_error(),
                });
            }
        }
    }
    rustix::thread::clear_ambient_capability_set().map_err(os("cannot clear ambient caps"))?;
    set_capabilities(
        None,
        CapabilitySets {
            effective: CapabilitySet::empty(),
            permitted: CapabilitySet::empty(),
            inheritable: CapabilitySet::empty(),
        },
    )
    .map_err(os("cannot drop capabilities"))?;
    Ok(())
}

/// Replaces the process with the command (PATH lookup like `execvp`). Only returns by
/// exiting: 127 when not found, 126 otherwise.
fn exec(command: &[OsString]) -> ! {
    let Some((program, rest)) = command.split_first() else {
        std::process::exit(EXIT_SETUP_FAILED);
    };
    let err = std::process::Command::new(program).args(rest).exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    let _ = writeln!(
        std::io::stderr(),
        "{LINUX_SANDBOX_ARG0}: cannot execute `{}`: {err}",
        program.to_string_lossy()
    );
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn os_args(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn dispatch_by_arg0_or_flag() {
        assert!(is_linux_sandbox_invocation(&os_args(&[
            "/x/codex-linux-sandbox",
            "landlock"
        ])));
        assert!(is_linux_sandbox_invocation(&os_args(&[
            "/usr/bin/codex",
            "--codex-linux-sandbox"
        ])));
        assert!(!is_linux_sandbox_invocation(&os_args(&["codex", "exec"])));
        assert!(!is_linux_sandbox_invocation(&os_args(&[
            "codex",
            "exec",
            "--codex-linux-sandbox"
        ])));
    }

    #[test]
    fn parse_landlock_stage() {
        let args = os_args(&[
            "landlock",
            "--allow-network",
            "--rw",
            "/w",
            "--rw",
            "/tmp",
            "--",
            "sh",
            "-c",
            "--rw",
        ]);
        assert_eq!(
            parse(&args).unwrap(),
            Args {
                network: true,
                read_root: true,
                writable: vec!["/w".into(), "/tmp".into()],
                read_only: Vec::new(),
                denied: Vec::new(),
                command: os_args(&["sh", "-c", "--rw"]),
            }
        );
    }

    #[test]
    fn parse_profile_rules() {
        let args = os_args(&[
            "landlock",
            "--no-read-root",
            "--ro",
            "/usr",
            "--rw",
            "/w",
            "--deny",
            "/w/secret",
            "--",
            "true",
        ]);
        let parsed = parse(&args).unwrap();
        assert!(!parsed.read_root);
        assert_eq!(
            parsed.rules(),
            vec![
                (PathBuf::from("/w"), PathAccess::Write),
                (PathBuf::from("/usr"), PathAccess::Read),
                (PathBuf::from("/w/secret"), PathAccess::None),
            ]
        );
    }

    #[test]
    fn parse_errors() {
        for bad in [
            &["bogus", "--", "x"][..],
            &["seccomp", "--", "x"],
            &["landlock", "x"],
            &["landlock", "--"],
            &["landlock", "--rw"],
            &["landlock", "--deny"],
            &[],
        ] {
            assert!(parse(&os_args(bad)).is_err(), "{bad:?}");
        }
    }
}
