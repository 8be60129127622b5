//! `codex-sandbox`: a sandbox policy in, a confined launch out.
//!
//! # Using it
//!
//! ```text
//! main():        if codex_sandbox::is_linux_sandbox_invocation(&args) {
//!                    codex_sandbox::run_linux_sandbox_main(args)      // never returns
//!                }
//! startup:       let probe = codex_sandbox::probe_with(&options);     // once, blocking
//!                if let Some(w) = probe.warning() { show it once }
//! each command:  let prepared = probe.prepare(&policy, &argv, &cwd, &codex_exe)?;
//!                build a std Command for prepared.argv in cwd, env passed through
//!                prepared.apply_env(..), then prepared.configure(&mut cmd); spawn it and
//!                keep `prepared` alive until the child has exited.
//! ```
//!
//! * [`SandboxPolicy`]: mode, writable roots, network, `/tmp` and `$TMPDIR` switches, and a
//!   permission profile's path rules (read-only paths, hidden paths, `:root` read or none;
//!   the deepest rule covering a path decides, [`SandboxPolicy::access_at`]).
//! * [`probe`] / [`probe_with`] → [`Probe`]: which [`Backend`] works here and why the
//!   stronger ones do not (`codex sandbox --probe` prints [`Probe::describe`]).
//! * [`prepare`] / [`Probe::prepare`] → [`PreparedCommand`]: argv + `CODEX_SANDBOX*` env.
//!   Fails closed ([`SandboxError`]) for `read-only`/`workspace-write`; never an unconfined
//!   launch. `danger-full-access` passes the command through.
//! * [`run_linux_sandbox_main`]: the `codex-linux-sandbox` Landlock fallback (arg0 or
//!   `--codex-linux-sandbox` as first argument).
//! * [`seatbelt_profile`]: the macOS profile for a policy.
//! * [`is_sandbox_env_var`], [`sandbox_env_vars`], [`apply_sandbox_env`]: `CODEX_SANDBOX*`
//!   hygiene.
//! * [`sandbox_denial_reason`]: did a failed command hit the sandbox? (for the message to the
//!   model and `on-failure` approvals).
//!
//! # Linux design (sandbox.md §9)
//!
//! Default backend: the system `bwrap` with an argv built here (see the `linux::bwrap`
//! module docs for every flag and why): user/pid/ipc[/net] namespaces, `--cap-drop ALL`,
//! `--new-session`, `--die-with-parent`, `--disable-userns`, `/` read-only,
//! fresh `/dev` and `/proc`, `/proc/sys` read-only, writable roots bound read-write, and
//! `.git`/`.codex`/`.agents` (plus a `.git` file's gitdir) re-bound read-only, with empty
//! placeholders for missing ones (created as the caller, removed with the last
//! [`PreparedCommand`] using them). A permission profile's read-only paths are re-bound
//! read-only and its hidden (`none`) paths covered by an empty read-only tmpfs or `/dev/null`.
//!
//! **Seccomp delivery.** Our programs (compiled once per process) go to bwrap through
//! `--add-seccomp-fd` from sealed memfds; bwrap installs them right before it execs the
//! command. The spawner calls [`PreparedCommand::configure`], whose `pre_exec` step marks
//! every fd above 2 close-on-exec (inherited fds let upstream's sandbox write outside) and
//! leaves only the memfds inheritable. An earlier design re-executed our binary inside the
//! namespaces to do this; it cost about 2 ms per command. bwrap's reaper (pid 1) runs
//! outside the filter, so its `mem` files are covered (they were measured writable from
//! inside); the command is not pid 1, so signals it sends itself work.
//!
//! Fallback (no usable user namespaces, or `features.use_legacy_landlock`): the helper
//! applies Landlock + seccomp itself, drops all capabilities (root included) and reaps what
//! the command leaves behind. It cannot keep `.git` read-only inside writable roots;
//! [`Probe::warning`] says so.
//!
//! Timeouts and kills are the tool runner's job: killing the process group of the spawned
//! `bwrap` kills the sandbox (`--die-with-parent`, and the pid namespace dies with its pid 1);
//! in the fallback the helper and the command share that process group.
//!
//! # Behaviour worth knowing
//!
//! * [`Probe::prepare`] does a little blocking file-system work (canonicalising roots,
//!   `lstat` of the protected names, creating/locking placeholders): microseconds, fine to
//!   call from async code, but [`probe_with`] runs bubblewrap and belongs in startup code.
//! * A linked worktree's gitdir (`.git` file → `gitdir:`) is read-only too, so `git add` in a
//!   linked worktree fails under `workspace-write` (upstream #23661). Adding that gitdir as a
//!   writable root explicitly lifts the protection: a root the user names wins.
//! * A symlinked `.git`/`.codex`/`.agents` keeps its *target* read-only; the link itself can
//!   still be replaced by the command (a bind mount cannot cover a symlink). A dangling one
//!   whose target would land in a writable root is refused ([`SandboxError::DanglingProtectedLink`]).
//! * With bubblewrap the command has no controlling terminal (`--new-session`): `/dev/tty`
//!   fails with `ENXIO`, so password prompts fail fast instead of hanging.
//! * Permission profiles under the Landlock fallback: Landlock can only grant, so a directory
//!   holding a read-only or hidden path is granted entry by entry; new files directly inside
//!   it cannot be created there (bubblewrap has no such limit).
//! * The seccomp filter denies `ptrace`, so `strace`/`gdb` do not work inside the sandbox;
//!   with the network off it also denies `connect`/`bind` on unix sockets.

#[cfg(target_os = "linux")]
mod linux;

mod denial;
mod env;
mod error;
mod policy;
mod prepare;
mod probe;
mod seatbelt;

pub use denial::sandbox_denial_reason;
pub use env::{
    CODEX_SANDBOX_ENV_VAR, CODEX_SANDBOX_NETWORK_DISABLED_ENV_VAR, apply_sandbox_env,
    is_sandbox_env_var, sandbox_env_vars,
};
pub use error::SandboxError;
pub use policy::{PROTECTED_NAMES, PathAccess, SYSTEM_READ_ROOTS, SandboxPolicy};
pub use prepare::{PreparedCommand, prepare};
pub use probe::{
    Backend, BwrapInfo, LANDLOCK_FALLBACK_WARNING, Probe, ProbeOptions, probe, probe_with,
};
pub use seatbelt::{SANDBOX_EXEC, SEATBELT_SYSTEM_READ, SeatbeltProfile, seatbelt_profile};

pub use codex_protocol::SandboxMode;

#[cfg(target_os = "linux")]
pub use linux::helper::{
    EXIT_SETUP_FAILED, LINUX_SANDBOX_ARG0, LINUX_SANDBOX_FLAG, is_linux_sandbox_invocation,
    run_linux_sandbox_main,
};

#[cfg(not(target_os = "linux"))]
mod not_linux {
    use std::ffi::{OsStr, OsString};

    /// arg0 under which the Codex binary acts as the Linux sandbox helper.
    pub const LINUX_SANDBOX_ARG0: &str = "codex-linux-sandbox";
    /// First argument under which the Codex binary acts as the Linux sandbox helper.
    pub const LINUX_SANDBOX_FLAG: &str = "--codex-linux-sandbox";
    /// Exit status when the sandbox could not be set up.
    pub const EXIT_SETUP_FAILED: i32 = 125;

    /// Whether `args` asks for the Linux sandbox helper.
    pub fn is_linux_sandbox_invocation(args: &[OsString]) -> bool {
        let arg0 = args.first().map(std::path::Path::new);
        arg0.and_then(|p| p.file_name()) == Some(OsStr::new(LINUX_SANDBOX_ARG0))
            || args.get(1).map(OsString::as_os_str) == Some(OsStr::new(LINUX_SANDBOX_FLAG))
    }

    /// The Linux helper does not exist on this platform: exits with [`EXIT_SETUP_FAILED`].
    pub fn run_linux_sandbox_main(_args: Vec<OsString>) -> ! {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "{LINUX_SANDBOX_ARG0}: only available on Linux"
        );
        std::process::exit(EXIT_SETUP_FAILED)
    }
}

#[cfg(not(target_os = "linux"))]
pub use not_linux::*;
