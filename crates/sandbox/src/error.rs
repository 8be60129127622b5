//! Errors of [`crate::prepare`] and the probe. Each variant says what is wrong and, where the
//! user can do something about it, how to fix it.

use std::io;
use std::path::PathBuf;

/// Why a command could not be turned into a confined launch.
///
/// Every variant means "do not run the command": there is no unconfined fallback for
/// `read-only` and `workspace-write`.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// This platform has no sandbox implementation (Windows, BSDs).
    #[error(
        "sandbox not supported on {platform} yet; use --sandbox danger-full-access inside a VM or container"
    )]
    UnsupportedPlatform {
        /// `Windows`, or `std::env::consts::OS` for other unsupported systems.
        platform: &'static str,
    },
    /// The probe found no working backend on this machine.
    #[error("no usable sandbox on this machine: {reason}. Fix: {fix}")]
    Unavailable {
        /// What is missing, with the errors the probe saw.
        reason: String,
        /// What the user can do about it.
        fix: String,
    },
    /// The command argv is empty.
    #[error("cannot sandbox an empty command")]
    EmptyCommand,
    /// A path handed to the sandbox is relative; the policy only takes absolute paths.
    #[error("sandbox path `{}` is not absolute", path.display())]
    RelativePath {
        /// The offending path.
        path: PathBuf,
    },
    /// A path cannot be passed on a command line because it is not UTF-8.
    #[error("sandbox path `{}` is not valid UTF-8", path.display())]
    NonUtf8Path {
        /// The offending path.
        path: PathBuf,
    },
    /// A writable root or protected path could not be resolved (permission, symlink loop, ...).
    #[error("cannot resolve `{}` for the sandbox", path.display())]
    Resolve {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `.git`, `.codex` or `.agents` under a writable root is a symlink to a missing target that
    /// the sandboxed command could create. Refused rather than leaving it writable.
    #[error(
        "`{}` is a symlink to `{}`, which does not exist but could be created inside writable root `{}`; create the target or remove the link",
        link.display(),
        target.display(),
        root.display()
    )]
    DanglingProtectedLink {
        /// The symlink (`<root>/.codex`, ...).
        link: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// The writable root the target would land in.
        root: PathBuf,
    },
    /// An empty placeholder that keeps a missing `.git`/`.codex`/`.agents` read-only could not
    /// be created.
    #[error("cannot create read-only placeholder `{}`", path.display())]
    Placeholder {
        /// The placeholder path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// An executable the launch depends on lives inside a writable root, so an earlier
    /// sandboxed command could have replaced it.
    #[error(
        "`{}` ({what}) is inside writable root `{}`, where a sandboxed command could replace it; install it outside the writable roots",
        path.display(),
        root.display()
    )]
    ExecutableInWritableRoot {
        /// `bubblewrap` or `the codex-linux-sandbox helper`.
        what: &'static str,
        /// The executable.
        path: PathBuf,
        /// The writable root containing it.
        root: PathBuf,
    },
    /// The policy asks for something the chosen backend cannot enforce.
    #[error("the {backend} sandbox cannot enforce this policy: {detail}")]
    Unenforceable {
        /// Backend name (`landlock`, ...).
        backend: &'static str,
        /// What cannot be enforced.
        detail: String,
    },
}
