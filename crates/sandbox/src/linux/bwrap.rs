//! The bubblewrap command line (sandbox.md §9, with the fixes measured in §4–§6).
//!
//! ```text
//! bwrap --new-session --die-with-parent --as-pid-1
//!       [--unshare-user] --unshare-pid --unshare-ipc [--unshare-net]
//!       --ro-bind / /  --dev /dev  [--proc /proc]  --ro-bind /proc/sys /proc/sys
//!       [--ro-bind /proc/sysrq-trigger /proc/sysrq-trigger]     (no user namespace only)
//!       --bind R R ...                 writable roots, parents first
//!       --ro-bind P P ...              .git/.codex/.agents (+ linked gitdirs, placeholders)
//!       --cap-drop ALL [--disable-userns]  --chdir CWD
//!       -- HELPER --codex-linux-sandbox seccomp [--allow-network] -- COMMAND...
//! ```
//!
//! Why each piece:
//! * `--cap-drop ALL`: without it a root caller keeps every capability in the new user
//!   namespace and can `mount -o remount,rw /` (measured escape).
//! * `--ro-bind /proc/sys`: root inside the sandbox is still kuid 0, and sysctl writes are
//!   checked against the uid, not capabilities (`kernel.core_pattern` was open-able).
//! * `--as-pid-1`: bwrap's own reaper would be pid 1 otherwise, outside our seccomp filter,
//!   and its `/proc/1/mem` was measured open-able read-write from inside the sandbox. With it,
//!   every process in the sandbox runs under the filter; when the command exits the pid
//!   namespace ends and detached background children die with it.
//! * `--new-session`: no controlling terminal, so `TIOCSTI` cannot type into the parent's
//!   terminal even if the filter missed it.
//! * `--disable-userns` (bwrap >= 0.8, with a user namespace): no nested user namespace, in
//!   which the command would get capabilities back. The seccomp filter denies it too.
//! * The helper stage closes every inherited fd above 2 (a directory fd leaked by the parent
//!   let upstream's sandbox write outside) and installs the seccomp filter, then execs.

use std::path::{Path, PathBuf};

use super::helper::{LINUX_SANDBOX_FLAG, STAGE_SECCOMP};
use crate::error::SandboxError;
use crate::probe::BwrapInfo;

/// Everything the bubblewrap command line depends on.
pub(crate) struct BwrapLaunch<'a> {
    pub info: &'a BwrapInfo,
    pub roots: &'a [PathBuf],
    pub read_only: &'a [PathBuf],
    pub network: bool,
    pub cwd: &'a Path,
    pub helper: &'a Path,
    pub command: &'a [String],
}

pub(crate) fn path_arg(path: &Path) -> Result<String, SandboxError> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| SandboxError::NonUtf8Path {
            path: path.to_path_buf(),
        })
}

/// The namespace and hardening flags shared by the real launch and the probe's preflight.
pub(crate) fn base_args(info: &BwrapInfo, network: bool) -> Vec<String> {
    let mut args: Vec<String> = ["--new-session", "--die-with-parent", "--as-pid-1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if info.user_namespace {
        args.push("--unshare-user".into());
    }
    args.extend(["--unshare-pid".into(), "--unshare-ipc".into()]);
    if !network {
        args.push("--unshare-net".into());
    }
    args
}

/// Mounts for `/`, `/dev` and `/proc`; `root_writable` when `/` itself is a writable root.
pub(crate) fn system_mounts(info: &BwrapInfo, root_writable: bool) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    let root_bind = if root_writable { "--bind" } else { "--ro-bind" };
    args.extend([root_bind.into(), "/".into(), "/".into()]);
    args.extend(["--dev".into(), "/dev".into()]);
    if info.proc_mount {
        args.extend(["--proc".into(), "/proc".into()]);
    }
    args.extend(["--ro-bind".into(), "/proc/sys".into(), "/proc/sys".into()]);
    if !info.user_namespace && info.proc_mount {
        // A procfs mounted by real root has a writable sysrq-trigger for kuid 0.
        args.extend([
            "--ro-bind-try".into(),
            "/proc/sysrq-trigger".into(),
            "/proc/sysrq-trigger".into(),
        ]);
    }
    args
}

/// The trailing hardening flags.
pub(crate) fn final_flags(info: &BwrapInfo) -> Vec<String> {
    let mut args = vec!["--cap-drop".to_string(), "ALL".to_string()];
    if info.user_namespace && info.disable_userns {
        args.push("--disable-userns".into());
    }
    args
}

/// The full argv, starting with the bwrap executable.
pub(crate) fn argv(launch: &BwrapLaunch<'_>) -> Result<Vec<String>, SandboxError> {
    let mut argv = vec![path_arg(&launch.info.path)?];
    argv.extend(base_args(launch.info, launch.network));
    let root_writable = launch.roots.iter().any(|r| r == Path::new("/"));
    argv.extend(system_mounts(launch.info, root_writable));
    for root in launch.roots {
        if root == Path::new("/") {
            continue;
        }
        let root = path_arg(root)?;
        argv.extend(["--bind".into(), root.clone(), root]);
    }
    for path in launch.read_only {
        let path = path_arg(path)?;
        argv.extend(["--ro-bind".into(), path.clone(), path]);
    }
    argv.extend(final_flags(launch.info));
    argv.extend(["--chdir".into(), path_arg(launch.cwd)?]);
    argv.push("--".into());
    argv.push(path_arg(launch.helper)?);
    argv.push(LINUX_SANDBOX_FLAG.into());
    argv.push(STAGE_SECCOMP.into());
    if launch.network {
        argv.push("--allow-network".into());
    }
    argv.push("--".into());
    argv.extend(launch.command.iter().cloned());
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn workspace_write_argv() {
        let info = BwrapInfo {
            path: "/usr/bin/bwrap".into(),
            user_namespace: true,
            disable_userns: true,
            proc_mount: true,
        };
        let roots = [PathBuf::from("/tmp"), PathBuf::from("/w")];
        let ro = [PathBuf::from("/w/.git")];
        let cmd = ["sh".to_string(), "-c".into(), "true".into()];
        let argv = argv(&BwrapLaunch {
            info: &info,
            roots: &roots,
            read_only: &ro,
            network: false,
            cwd: Path::new("/w/sub"),
            helper: Path::new("/opt/codex"),
            command: &cmd,
        })
        .unwrap();
        assert_eq!(
            argv.join(" "),
            "/usr/bin/bwrap --new-session --die-with-parent --as-pid-1 --unshare-user \
             --unshare-pid --unshare-ipc --unshare-net --ro-bind / / --dev /dev --proc /proc \
             --ro-bind /proc/sys /proc/sys --bind /tmp /tmp --bind /w /w --ro-bind /w/.git /w/.git \
             --cap-drop ALL --disable-userns --chdir /w/sub -- /opt/codex --codex-linux-sandbox \
             seccomp -- sh -c true"
        );
    }

    #[test]
    fn root_without_user_namespace_and_with_network() {
        let info = BwrapInfo {
            path: "/usr/bin/bwrap".into(),
            user_namespace: false,
            disable_userns: true,
            proc_mount: true,
        };
        let cmd = ["true".to_string()];
        let argv = argv(&BwrapLaunch {
            info: &info,
            roots: &[],
            read_only: &[],
            network: true,
            cwd: Path::new("/"),
            helper: Path::new("/opt/codex"),
            command: &cmd,
        })
        .unwrap();
        assert_eq!(
            argv.join(" "),
            "/usr/bin/bwrap --new-session --die-with-parent --as-pid-1 --unshare-pid \
             --unshare-ipc --ro-bind / / --dev /dev --proc /proc --ro-bind /proc/sys /proc/sys \
             --ro-bind-try /proc/sysrq-trigger /proc/sysrq-trigger --cap-drop ALL --chdir / -- \
             /opt/codex --codex-linux-sandbox seccomp --allow-network -- true"
        );
    }
}
