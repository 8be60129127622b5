//! Which sandbox backend works on this machine, and why the stronger ones do not.
//!
//! Linux, strongest first:
//! 1. bubblewrap with a user namespace (the default; works for root and non-root alike);
//! 2. bubblewrap without a user namespace, for root only (user namespaces disabled by
//!    `user.max_user_namespaces=0`, but root may still create the other namespaces);
//! 3. Landlock + seccomp in our own helper (no namespaces: Ubuntu 24.04's AppArmor
//!    restriction, Docker's default seccomp profile, no bwrap installed);
//! 4. nothing: confined modes fail with a message saying what is missing.
//!
//! Each bubblewrap candidate is checked with a preflight run of the real hardening flags
//! (`bwrap ... -- bwrap --version`), so a bwrap that cannot create namespaces here is never
//! chosen. A preflight that fails only because `/proc` cannot be mounted (masked `/proc` in
//! containers; bwrap says `Can't mount proc on /newroot/proc` or, from 0.12, `... on /proc`)
//! is retried with the host's `/proc` read-only instead. The probe runs once per process and
//! per [`ProbeOptions`] and costs a few milliseconds; run it at startup, off the async runtime.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// How to look for backends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProbeOptions {
    /// Use this bubblewrap instead of searching for one.
    pub bwrap_path: Option<PathBuf>,
    /// `$PATH` to search for `bwrap` (the caller reads the environment). Relative entries are
    /// ignored. `None` searches `/usr/bin`, `/bin`, `/usr/local/bin`, `/usr/sbin`, `/sbin`
    /// and `/run/current-system/sw/bin`.
    pub search_path: Option<OsString>,
    /// `features.use_legacy_landlock`: skip bubblewrap, use the Landlock fallback.
    pub use_legacy_landlock: bool,
    /// Refuse the Landlock fallback (it cannot keep `.git` read-only inside writable roots).
    pub no_landlock_fallback: bool,
    /// A private directory (e.g. `$CODEX_HOME/cache`) where a working backend is remembered
    /// until the next boot or until bubblewrap changes, so short-lived processes such as
    /// `codex sandbox -- CMD` skip the trial launches. `None`: probe every process.
    pub cache_dir: Option<PathBuf>,
}

/// A bubblewrap that passed the preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BwrapInfo {
    /// The executable.
    pub path: PathBuf,
    /// `--unshare-user` works (false: root without user namespaces).
    pub user_namespace: bool,
    /// `--disable-userns` is supported (bubblewrap >= 0.8).
    pub disable_userns: bool,
    /// `--proc /proc` works (false: the host's `/proc` is used read-only).
    pub proc_mount: bool,
}

/// The backend confined commands use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// Hardened bubblewrap installing our seccomp programs (`--add-seccomp-fd`).
    Bwrap(BwrapInfo),
    /// Landlock + seccomp in the re-executed helper (Linux fallback).
    Landlock {
        /// The kernel's Landlock ABI version.
        abi: u32,
    },
    /// macOS `sandbox-exec` with a generated Seatbelt profile.
    Seatbelt {
        /// `/usr/bin/sandbox-exec`.
        sandbox_exec: PathBuf,
    },
    /// No backend: confined modes fail with this reason.
    Unavailable {
        /// What is missing.
        reason: String,
        /// How to fix it.
        fix: String,
    },
}

/// The result of probing this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub(crate) backend: Backend,
    pub(crate) notes: Vec<String>,
}

/// Warning shown once when the Landlock fallback is used.
pub const LANDLOCK_FALLBACK_WARNING: &str = "sandbox: commands run under the Landlock + seccomp fallback (no usable user namespaces, or features.use_legacy_landlock), which cannot keep .git/.codex/.agents inside writable roots read-only, does not block chmod/chown/utime, shares /tmp with the host and does not isolate processes";

impl Probe {
    /// Builds a probe result by hand (tests, `codex sandbox --probe` snapshots).
    pub fn new(backend: Backend, notes: Vec<String>) -> Self {
        Self { backend, notes }
    }

    /// The chosen backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Why stronger backends were not chosen, strongest first.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The value of `CODEX_SANDBOX` for confined commands, `None` without a backend.
    pub fn sandbox_name(&self) -> Option<&'static str> {
        match &self.backend {
            Backend::Bwrap(_) => Some("bwrap"),
            Backend::Landlock { .. } => Some("landlock"),
            Backend::Seatbelt { .. } => Some("seatbelt"),
            Backend::Unavailable { .. } => None,
        }
    }

    /// A warning to show the user once, if the backend is weaker than the default.
    pub fn warning(&self) -> Option<&'static str> {
        match &self.backend {
            Backend::Landlock { .. } => Some(LANDLOCK_FALLBACK_WARNING),
            Backend::Bwrap(_) | Backend::Seatbelt { .. } | Backend::Unavailable { .. } => None,
        }
    }

    /// Human-readable report for `codex sandbox --probe` / `codex doctor`.
    pub fn describe(&self) -> String {
        let mut out = match &self.backend {
            Backend::Bwrap(info) => format!(
                "sandbox: bubblewrap at {} ({}, {}, {})",
                info.path.display(),
                if info.user_namespace {
                    "user namespace"
                } else {
                    "root without user namespace"
                },
                if info.disable_userns {
                    "--disable-userns"
                } else {
                    "no --disable-userns"
                },
                if info.proc_mount {
                    "fresh /proc"
                } else {
                    "host /proc read-only"
                },
            ),
            Backend::Landlock { abi } => {
                format!("sandbox: Landlock ABI {abi} + seccomp fallback (weaker)")
            }
            Backend::Seatbelt { sandbox_exec } => {
                format!("sandbox: Seatbelt via {}", sandbox_exec.display())
            }
            Backend::Unavailable { reason, fix } => {
                format!("sandbox: unavailable: {reason}\nfix: {fix}")
            }
        };
        for note in &self.notes {
            out.push_str("\n  ");
            out.push_str(note);
        }
        if let Some(w) = self.warning() {
            out.push_str("\nwarning: ");
            out.push_str(w);
        }
        out
    }
}

static CACHE: Mutex<Vec<(ProbeOptions, &'static Probe)>> = Mutex::new(Vec::new());

/// The probe with default options, run once per process.
pub fn probe() -> &'static Probe {
    probe_with(&ProbeOptions::default())
}

/// The probe for `options`, run once per process and distinct options.
pub fn probe_with(options: &ProbeOptions) -> &'static Probe {
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, probe)) = cache.iter().find(|(o, _)| o == options) {
        return probe;
    }
    let probe: &'static Probe = Box::leak(Box::new(run_probe(options)));
    match &probe.backend {
        Backend::Landlock { .. } => tracing::warn!("{LANDLOCK_FALLBACK_WARNING}"),
        Backend::Unavailable { reason, .. } => tracing::warn!("no sandbox backend: {reason}"),
        Backend::Bwrap(_) | Backend::Seatbelt { .. } => {}
    }
    tracing::debug!(describe = %probe.describe(), "sandbox probe");
    cache.push((options.clone(), probe));
    probe
}

#[cfg(target_os = "linux")]
fn run_probe(options: &ProbeOptions) -> Probe {
    crate::linux::probe::run(options)
}

#[cfg(target_os = "macos")]
fn run_probe(_options: &ProbeOptions) -> Probe {
    let sandbox_exec = PathBuf::from(crate::seatbelt::SANDBOX_EXEC);
    if sandbox_exec.is_file() {
        Probe::new(Backend::Seatbelt { sandbox_exec }, Vec::new())
    } else {
        Probe::new(
            Backend::Unavailable {
                reason: format!("{} is missing", crate::seatbelt::SANDBOX_EXEC),
                fix: "restore the system's sandbox-exec, or use --sandbox danger-full-access inside a VM".into(),
            },
            Vec::new(),
        )
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn run_probe(_options: &ProbeOptions) -> Probe {
    Probe::new(
        Backend::Unavailable {
            reason: format!("sandbox not supported on {} yet", std::env::consts::OS),
            fix: "use --sandbox danger-full-access inside a VM or container".into(),
        },
        Vec::new(),
    )
}
