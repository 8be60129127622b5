//! Turning a command into its confined launch: [`prepare`] and [`PreparedCommand`].

use std::collections::BTreeMap;
use std::path::Path;

use crate::env::{apply_sandbox_env, sandbox_env_vars};
use crate::error::SandboxError;
use crate::policy::SandboxPolicy;
use crate::probe::{Backend, Probe, probe};

/// A command ready to spawn: run [`argv`](Self::argv) directly (no shell, no wrapper: the
/// Landlock fallback may name `/proc/self/exe`, which must be resolved by the process that
/// `fork`s from Codex), in the command's cwd, with the caller's environment passed through
/// [`apply_env`](Self::apply_env), through a `std::process::Command` that went through
/// [`configure`](Self::configure) (without it bubblewrap cannot read the seccomp filter and
/// the launch fails, closed).
///
/// Keep it alive until the child has exited: it owns the read-only placeholders of missing
/// `.git`/`.codex`/`.agents` directories, which are removed when it is dropped.
#[derive(Debug)]
pub struct PreparedCommand {
    /// Program and arguments; `argv[0]` is an absolute path unless the sandbox is off.
    pub argv: Vec<String>,
    /// Variables to set (`CODEX_SANDBOX`, `CODEX_SANDBOX_NETWORK_DISABLED`); every other
    /// `CODEX_SANDBOX*` variable must be removed (see [`apply_env`](Self::apply_env)).
    pub env: Vec<(String, String)>,
    /// The backend (`bwrap`, `landlock`, `seatbelt`), `None` for `danger-full-access`.
    pub sandbox: Option<&'static str>,
    _guard: Guard,
}

/// Resources that must outlive the child.
#[derive(Debug, Default)]
pub(crate) struct Guard {
    #[cfg(target_os = "linux")]
    pub _leases: Vec<crate::linux::placeholder::Lease>,
    /// Close-on-exec fds the child must inherit (bubblewrap's seccomp programs).
    #[cfg(target_os = "linux")]
    pub inherit: Vec<std::os::fd::OwnedFd>,
}

impl PreparedCommand {
    /// `argv[0]`.
    pub fn program(&self) -> &str {
        self.argv.first().map(String::as_str).unwrap_or_default()
    }

    /// `argv[1..]`.
    pub fn args(&self) -> &[String] {
        self.argv.get(1..).unwrap_or_default()
    }

    /// Prepares the spawn of [`argv`](Self::argv) (Linux, confined modes): a `pre_exec` step
    /// in the child marks every fd above 2 close-on-exec, so nothing the caller inherited
    /// reaches the sandbox, and makes the fds named in the argv (`--add-seccomp-fd N`)
    /// inheritable. Other platforms and `danger-full-access`: nothing to do.
    ///
    /// For `tokio::process::Command`, pass `as_std_mut()`.
    pub fn configure(&self, cmd: &mut std::process::Command) {
        #[cfg(target_os = "linux")]
        if self.sandbox.is_some() {
            use std::os::unix::process::CommandExt;
            let hook = crate::linux::fds::child_hook(crate::linux::fds::raw(&self._guard.inherit));
            // SAFETY: the hook only calls async-signal-safe syscalls (close_range, getrlimit,
            // fcntl) and allocates nothing.
            unsafe {
                cmd.pre_exec(hook);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = cmd;
    }

    /// Whether this holds read-only placeholders of missing `.git`/`.codex`/`.agents`
    /// directories, removed on drop: then it must outlive the child. Otherwise the caller may
    /// also `exec` the argv in place of itself.
    pub fn has_placeholders(&self) -> bool {
        #[cfg(target_os = "linux")]
        return !self._guard._leases.is_empty();
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// Removes every `CODEX_SANDBOX*` variable from `env` and adds [`env`](Self::env).
    pub fn apply_env(&self, env: &mut BTreeMap<String, String>) {
        apply_sandbox_env(env, &self.env);
    }
}

/// [`Probe::prepare`] with the default [`probe()`].
pub fn prepare(
    policy: &SandboxPolicy,
    argv: &[String],
    cwd: &Path,
    codex_exe: &Path,
) -> Result<PreparedCommand, SandboxError> {
    probe().prepare(policy, argv, cwd, codex_exe)
}

impl Probe {
    /// Turns `argv` into the confined launch for `policy` with this probe's backend.
    ///
    /// * `argv`: the command as it would be exec'd (`["bash", "-lc", "..."]`).
    /// * `cwd`: the command's absolute working directory (the tool call's `workdir`); the
    ///   policy's writable roots decide what is writable, not `cwd`.
    /// * `codex_exe`: the absolute path of the running Codex binary
    ///   (`std::env::current_exe()`), re-executed as the `codex-linux-sandbox` Landlock fallback.
    ///
    /// `danger-full-access` returns `argv` unchanged (never an error, on any platform). The
    /// confined modes never return an unconfined launch: without a working backend the error
    /// says what is missing and how to fix it.
    pub fn prepare(
        &self,
        policy: &SandboxPolicy,
        argv: &[String],
        cwd: &Path,
        codex_exe: &Path,
    ) -> Result<PreparedCommand, SandboxError> {
        if argv.is_empty() {
            return Err(SandboxError::EmptyCommand);
        }
        if policy.is_unconfined() {
            return Ok(PreparedCommand {
                argv: argv.to_vec(),
                env: Vec::new(),
                sandbox: None,
                _guard: Guard::default(),
            });
        }
        let codex_exe = live_exe_path(codex_exe);
        let codex_exe = codex_exe.as_path();
        for path in [cwd, codex_exe] {
            if !path.is_absolute() {
                return Err(SandboxError::RelativePath {
                    path: path.to_path_buf(),
                });
            }
        }
        let (argv, guard) = self.confined_argv(policy, argv, cwd, codex_exe)?;
        Ok(PreparedCommand {
            argv,
            env: sandbox_env_vars(self.sandbox_name(), !policy.has_network()),
            sandbox: self.sandbox_name(),
            _guard: guard,
        })
    }

    #[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
    fn confined_argv(
        &self,
        policy: &SandboxPolicy,
        argv: &[String],
        cwd: &Path,
        codex_exe: &Path,
    ) -> Result<(Vec<String>, Guard), SandboxError> {
        match &self.backend {
            Backend::Unavailable { reason, fix } => {
                if cfg!(windows) {
                    return Err(SandboxError::UnsupportedPlatform {
                        platform: "Windows",
                    });
                }
                if !cfg!(any(target_os = "linux", target_os = "macos")) {
                    return Err(SandboxError::UnsupportedPlatform {
                        platform: std::env::consts::OS,
                    });
                }
                Err(SandboxError::Unavailable {
                    reason: reason.clone(),
                    fix: fix.clone(),
                })
            }
            #[cfg(target_os = "linux")]
            Backend::Bwrap(info) => {
                let resolved = crate::policy::resolve(policy)?;
                crate::linux::prepare_bwrap(info, policy, &resolved, argv, cwd)
            }
            #[cfg(target_os = "linux")]
            Backend::Landlock { .. } => {
                let resolved = crate::policy::resolve(policy)?;
                let argv = crate::linux::prepare_landlock(policy, &resolved, argv, codex_exe)?;
                Ok((argv, Guard::default()))
            }
            #[cfg(not(target_os = "linux"))]
            Backend::Bwrap(_) | Backend::Landlock { .. } => Err(SandboxError::Unenforceable {
                backend: "linux",
                detail: format!("not available on {}", std::env::consts::OS),
            }),
            Backend::Seatbelt { sandbox_exec } => {
                let resolved = crate::policy::resolve(policy)?;
                let argv = crate::seatbelt::argv(sandbox_exec, policy, &resolved, argv)?;
                Ok((argv, Guard::default()))
            }
        }
    }
}

/// `std::env::current_exe()` reads `/proc/self/exe`, which names a binary replaced on disk
/// (an upgrade while Codex runs) as `<path> (deleted)`; the new file at `<path>` is the one
/// to run.
fn live_exe_path(codex_exe: &Path) -> std::path::PathBuf {
    if let Some(s) = codex_exe.to_str()
        && let Some(stripped) = s.strip_suffix(" (deleted)")
        && !codex_exe.exists()
        && Path::new(stripped).exists()
    {
        return std::path::PathBuf::from(stripped);
    }
    codex_exe.to_path_buf()
}
