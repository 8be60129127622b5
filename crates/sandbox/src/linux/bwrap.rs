//! The bubblewrap command line (sandbox.md §9, with the fixes measured in §4–§6).
//!
//! ```text
//! bwrap --new-session --die-with-parent
//!       [--unshare-user] --unshare-pid --unshare-ipc [--unshare-net]
//!       --ro-bind / /  --dev /dev
//!       [--proc /proc --ro-bind /dev/null /proc/1/mem --ro-bind /dev/null /proc/1/task/1/mem]
//!       --ro-bind /proc/sys /proc/sys
//!       [--ro-bind /proc/sysrq-trigger /proc/sysrq-trigger]     (no user namespace only)
//!       --bind R R | --ro-bind P P | --tmpfs D | --ro-bind /dev/null F ...
//!                                      path rules, parents first: writable roots, protected
//!                                      .git/.codex/.agents (+ linked gitdirs, placeholders),
//!                                      a profile's read-only and hidden (`none`) paths
//!       [--remount-ro D ...] [--remount-ro /]   hidden dirs (and the tmpfs root) read-only
//!       --cap-drop ALL [--disable-userns]  --chdir CWD
//!       --add-seccomp-fd MAIN --add-seccomp-fd GUARD  -- COMMAND...
//! ```
//!
//! Why each piece:
//! * `--cap-drop ALL`: without it a root caller keeps every capability in the new user
//!   namespace and can `mount -o remount,rw /` (measured escape).
//! * `--ro-bind /proc/sys`: root inside the sandbox is still kuid 0, and sysctl writes are
//!   checked against the uid, not capabilities (`kernel.core_pattern` was open-able).
//! * pid 1 is bwrap's reaper, which runs outside our seccomp filter (bwrap installs the
//!   filter right before it execs the command): its `/proc/1/mem` was measured open-able
//!   read-write from inside, a way to run code without the filter (connect to a host
//!   socket, say). Both of its `mem` files are covered by `/dev/null`, and `ptrace` and
//!   `process_vm_writev` are filtered. bwrap's `--as-pid-1` (the command as pid 1) is not
//!   used: the kernel drops signals a pid 1 sends itself without a handler, so
//!   `kill $$` in a script, or a program's own `SIGTERM`, would do nothing. When the command
//!   exits the reaper exits, the pid namespace ends, and detached background children die
//!   with it; a command killed by a signal ends bwrap with 128 + the signal.
//! * `--new-session`: no controlling terminal, so `TIOCSTI` cannot type into the parent's
//!   terminal even if the filter missed it.
//! * `--disable-userns` (bwrap >= 0.8, with a user namespace): no nested user namespace, in
//!   which the command would get capabilities back. The seccomp filter denies it too.
//! * Permission profiles: the deepest rule covering a path decides, so mounts go parents
//!   first and a deeper bind shows through a shallower mask. A hidden directory becomes an
//!   empty tmpfs, remounted read-only once every deeper mount point exists in it; a hidden file
//!   is covered by `/dev/null`, which cannot be opened there (bubblewrap's binds are `nodev`).
//!   `:root = "none"` starts from bubblewrap's empty root instead of `--ro-bind / /` and binds
//!   only the system directories ([`crate::policy::SYSTEM_READ_ROOTS`], symlinks recreated as
//!   symlinks), then remounts that root read-only.
//! * `--add-seccomp-fd`: the programs of the `seccomp` module, compiled by us, read from
//!   sealed memfds (see the `fds` module) and installed by bwrap after `no_new_privs`, right
//!   before it execs the command. Every other fd above 2 is close-on-exec by then (the
//!   spawner's `pre_exec` step): a directory fd leaked by the parent let upstream's sandbox
//!   write outside.

use std::path::{Path, PathBuf};

use crate::error::SandboxError;
use crate::probe::BwrapInfo;

/// How one path rule is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mount {
    /// Writable: `--bind`.
    Bind,
    /// Read-only: `--ro-bind`.
    ReadOnly,
    /// A hidden directory: an empty tmpfs, remounted read-only at the end.
    HideDir,
    /// A hidden file: `/dev/null` bound over it.
    HideFile,
}

/// What `/` is inside the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootMount {
    /// `--ro-bind / /`.
    ReadOnly,
    /// `--bind / /` (a writable root of `/`).
    Writable,
    /// Bubblewrap's empty root with only the given system directories (`:root = "none"`).
    Restricted,
}

/// Everything the bubblewrap command line depends on.
pub(crate) struct BwrapLaunch<'a> {
    pub info: &'a BwrapInfo,
    pub root: RootMount,
    /// With [`RootMount::Restricted`]: system directories to bind read-only, and symlinks
    /// among them to recreate (`(path, target)`).
    pub system_read: &'a [PathBuf],
    pub system_links: &'a [(PathBuf, PathBuf)],
    /// Path rules, parents first.
    pub mounts: &'a [(PathBuf, Mount)],
    pub network: bool,
    pub cwd: &'a Path,
    /// Inheritable fds holding the seccomp programs, for `--add-seccomp-fd`.
    pub seccomp_fds: &'a [i32],
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
    let mut args: Vec<String> = ["--new-session", "--die-with-parent"]
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

/// Mounts for `/`, `/dev` and `/proc`. With [`RootMount::Restricted`] nothing is bound at
/// `/` here (the caller binds the system directories first).
pub(crate) fn system_mounts(info: &BwrapInfo, root: RootMount) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    match root {
        RootMount::ReadOnly => args.extend(["--ro-bind".into(), "/".into(), "/".into()]),
        RootMount::Writable => args.extend(["--bind".into(), "/".into(), "/".into()]),
        RootMount::Restricted => {}
    }
    args.extend(["--dev".into(), "/dev".into()]);
    if info.proc_mount {
        args.extend(["--proc".into(), "/proc".into()]);
        for mem in ["/proc/1/mem", "/proc/1/task/1/mem"] {
            args.extend(["--ro-bind".into(), "/dev/null".into(), mem.into()]);
        }
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

/// `--add-seccomp-fd N` for each program fd.
pub(crate) fn seccomp_args(fds: &[i32]) -> Vec<String> {
    fds.iter()
        .flat_map(|fd| ["--add-seccomp-fd".to_string(), fd.to_string()])
        .collect()
}

/// The full argv, starting with the bwrap executable.
pub(crate) fn argv(launch: &BwrapLaunch<'_>) -> Result<Vec<String>, SandboxError> {
    let mut argv = vec![path_arg(&launch.info.path)?];
    argv.extend(base_args(launch.info, launch.network));
    if launch.root == RootMount::Restricted {
        for path in launch.system_read {
            let path = path_arg(path)?;
            argv.extend(["--ro-bind".into(), path.clone(), path]);
        }
        for (link, target) in launch.system_links {
            argv.extend(["--symlink".into(), path_arg(target)?, path_arg(link)?]);
        }
    }
    argv.extend(system_mounts(launch.info, launch.root));
    let mut remount = Vec::new();
    for (path, mount) in launch.mounts {
        if path == Path::new("/") {
            // `/` itself is `launch.root`.
            continue;
        }
        let p = path_arg(path)?;
        match mount {
            Mount::Bind => argv.extend(["--bind".into(), p.clone(), p]),
            Mount::ReadOnly => argv.extend(["--ro-bind".into(), p.clone(), p]),
            Mount::HideDir => {
                argv.extend(["--tmpfs".into(), p.clone()]);
                remount.push(p);
            }
            Mount::HideFile => argv.extend(["--ro-bind".into(), "/dev/null".into(), p]),
        }
    }
    for p in remount {
        argv.extend(["--remount-ro".into(), p]);
    }
    if launch.root == RootMount::Restricted {
        argv.extend(["--remount-ro".into(), "/".into()]);
    }
    argv.extend(final_flags(launch.info));
    argv.extend(["--chdir".into(), path_arg(launch.cwd)?]);
    argv.extend(seccomp_args(launch.seccomp_fds));
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
        let mounts = [
            (PathBuf::from("/tmp"), Mount::Bind),
            (PathBuf::from("/w"), Mount::Bind),
            (PathBuf::from("/w/.git"), Mount::ReadOnly),
        ];
        let cmd = ["sh".to_string(), "-c".into(), "true".into()];
        let argv = argv(&BwrapLaunch {
            info: &info,
            root: RootMount::ReadOnly,
            system_read: &[],
            system_links: &[],
            mounts: &mounts,
            network: false,
            cwd: Path::new("/w/sub"),
            seccomp_fds: &[5, 6],
            command: &cmd,
        })
        .unwrap();
        assert_eq!(
            argv.join(" "),
            "/usr/bin/bwrap --new-session --die-with-parent --unshare-user \
             --unshare-pid --unshare-ipc --unshare-net --ro-bind / / --dev /dev --proc /proc --ro-bind /dev/null /proc/1/mem \
             --ro-bind /dev/null /proc/1/task/1/mem \
             --ro-bind /proc/sys /proc/sys --bind /tmp /tmp --bind /w /w --ro-bind /w/.git /w/.git \
             --cap-drop ALL --disable-userns --chdir /w/sub --add-seccomp-fd 5 --add-seccomp-fd 6 \
             -- sh -c true"
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
            root: RootMount::ReadOnly,
            system_read: &[],
            system_links: &[],
            mounts: &[],
            network: true,
            cwd: Path::new("/"),
            seccomp_fds: &[3, 4],
            command: &cmd,
        })
        .unwrap();
        assert_eq!(
            argv.join(" "),
            "/usr/bin/bwrap --new-session --die-with-parent --unshare-pid \
             --unshare-ipc --ro-bind / / --dev /dev --proc /proc --ro-bind /dev/null /proc/1/mem \
             --ro-bind /dev/null /proc/1/task/1/mem --ro-bind /proc/sys /proc/sys \
             --ro-bind-try /proc/sysrq-trigger /proc/sysrq-trigger --cap-drop ALL --chdir / \
             --add-seccomp-fd 3 --add-seccomp-fd 4 -- true"
        );
    }

    #[test]
    fn profile_rules_hide_and_re_expose() {
        let info = BwrapInfo {
            path: "/usr/bin/bwrap".into(),
            user_namespace: true,
            disable_userns: true,
            proc_mount: true,
        };
        let mounts = [
            (PathBuf::from("/w"), Mount::Bind),
            (PathBuf::from("/w/docs"), Mount::ReadOnly),
            (PathBuf::from("/w/secret"), Mount::HideDir),
            (PathBuf::from("/w/.env"), Mount::HideFile),
            (PathBuf::from("/w/secret/out"), Mount::Bind),
        ];
        let argv = argv(&BwrapLaunch {
            info: &info,
            root: RootMount::Restricted,
            system_read: &[PathBuf::from("/usr"), PathBuf::from("/etc")],
            system_links: &[(PathBuf::from("/bin"), PathBuf::from("usr/bin"))],
            mounts: &mounts,
            network: false,
            cwd: Path::new("/w"),
            seccomp_fds: &[3, 4],
            command: &["true".to_string()],
        })
        .unwrap();
        assert_eq!(
            argv.join(" "),
            "/usr/bin/bwrap --new-session --die-with-parent --unshare-user \
             --unshare-pid --unshare-ipc --unshare-net --ro-bind /usr /usr --ro-bind /etc /etc \
             --symlink usr/bin /bin --dev /dev --proc /proc --ro-bind /dev/null /proc/1/mem \
             --ro-bind /dev/null /proc/1/task/1/mem --ro-bind /proc/sys /proc/sys \
             --bind /w /w --ro-bind /w/docs /w/docs --tmpfs /w/secret \
             --ro-bind /dev/null /w/.env --bind /w/secret/out /w/secret/out \
             --remount-ro /w/secret --remount-ro / --cap-drop ALL --disable-userns --chdir /w \
             --add-seccomp-fd 3 --add-seccomp-fd 4 -- true"
        );
    }
}
