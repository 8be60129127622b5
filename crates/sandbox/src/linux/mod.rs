//! Linux backends: hardened bubblewrap with our seccomp programs (default) and Landlock +
//! seccomp in the re-executed `codex-linux-sandbox` helper (fallback).

pub(crate) mod bwrap;
pub(crate) mod fds;
pub(crate) mod helper;
pub(crate) mod landlock;
pub(crate) mod placeholder;
pub(crate) mod probe;
pub(crate) mod seccomp;

use std::path::{Path, PathBuf};

use crate::error::SandboxError;
use crate::policy::{PathAccess, ResolvedRoots, SandboxPolicy};
use crate::prepare::Guard;
use crate::probe::BwrapInfo;

/// argv (and resources to keep alive) for the bubblewrap backend.
pub(crate) fn prepare_bwrap(
    info: &BwrapInfo,
    policy: &SandboxPolicy,
    resolved: &ResolvedRoots,
    command: &[String],
    cwd: &Path,
) -> Result<(Vec<String>, Guard), SandboxError> {
    if let Some(root) = containing_root(&info.path, &resolved.roots) {
        return Err(SandboxError::ExecutableInWritableRoot {
            what: "bubblewrap",
            path: info.path.clone(),
            root,
        });
    }
    let (placeholders, leases) = placeholder::acquire(resolved)?;
    let mut resolved = resolved.clone();
    for path in placeholders {
        if !resolved.read_only.contains(&path) {
            resolved.read_only.push(path);
        }
    }
    let mounts: Vec<(PathBuf, bwrap::Mount)> = resolved
        .path_rules()
        .into_iter()
        .map(|(path, access)| {
            let mount = match access {
                PathAccess::Write => bwrap::Mount::Bind,
                PathAccess::Read => bwrap::Mount::ReadOnly,
                PathAccess::None if path.is_dir() => bwrap::Mount::HideDir,
                PathAccess::None => bwrap::Mount::HideFile,
            };
            (path, mount)
        })
        .collect();
    let root = if resolved.restricted_read {
        bwrap::RootMount::Restricted
    } else if resolved.roots.iter().any(|r| r == Path::new("/")) {
        bwrap::RootMount::Writable
    } else {
        bwrap::RootMount::ReadOnly
    };
    let mut system_read = Vec::new();
    let mut system_links = Vec::new();
    for path in &resolved.system_read {
        match std::fs::read_link(path) {
            Ok(target) => system_links.push((path.clone(), target)),
            Err(_) => system_read.push(path.clone()),
        }
    }
    let seccomp = fds::seccomp_memfds(policy.has_network())?;
    let argv = bwrap::argv(&bwrap::BwrapLaunch {
        info,
        root,
        system_read: &system_read,
        system_links: &system_links,
        mounts: &mounts,
        network: policy.has_network(),
        cwd,
        seccomp_fds: &fds::raw(&seccomp),
        command,
    })?;
    Ok((
        argv,
        Guard {
            _leases: leases,
            inherit: seccomp,
        },
    ))
}

/// argv for the Landlock fallback: the helper applies everything itself (it turns the path
/// rules into Landlock grants, see the `landlock` module).
pub(crate) fn prepare_landlock(
    policy: &SandboxPolicy,
    resolved: &ResolvedRoots,
    command: &[String],
    codex_exe: &Path,
) -> Result<Vec<String>, SandboxError> {
    let helper = landlock_helper(codex_exe, &resolved.roots)?;
    let mut argv = vec![
        helper,
        helper::LINUX_SANDBOX_FLAG.into(),
        helper::STAGE_LANDLOCK.into(),
    ];
    if policy.has_network() {
        argv.push("--allow-network".into());
    }
    if resolved.restricted_read {
        argv.push("--no-read-root".into());
        let system = resolved
            .system_read
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .chain([PathBuf::from("/proc")]);
        let mut seen = Vec::new();
        for path in system {
            if !seen.contains(&path) {
                argv.push("--ro".into());
                argv.push(bwrap::path_arg(&path)?);
                seen.push(path);
            }
        }
    }
    for root in &resolved.roots {
        argv.push("--rw".into());
        argv.push(bwrap::path_arg(root)?);
    }
    for path in &resolved.profile_read_only {
        argv.push("--ro".into());
        argv.push(bwrap::path_arg(path)?);
    }
    for path in &resolved.denied {
        argv.push("--deny".into());
        argv.push(bwrap::path_arg(path)?);
    }
    argv.push("--".into());
    argv.extend(command.iter().cloned());
    Ok(argv)
}

/// In the fallback the helper *is* the sandbox, so it must not be replaceable by an earlier
/// sandboxed command. A helper inside a writable root is only accepted when it is this very
/// process's executable, which is then exec'd as `/proc/self/exe` (the running image, whatever
/// happened to the file since).
fn landlock_helper(codex_exe: &Path, roots: &[PathBuf]) -> Result<String, SandboxError> {
    let real = std::fs::canonicalize(codex_exe).map_err(|source| SandboxError::Resolve {
        path: codex_exe.to_path_buf(),
        source,
    })?;
    let Some(root) = containing_root(&real, roots) else {
        return bwrap::path_arg(codex_exe);
    };
    let current = std::fs::read_link("/proc/self/exe").ok();
    if current.as_deref() == Some(real.as_path()) {
        return Ok("/proc/self/exe".to_string());
    }
    Err(SandboxError::ExecutableInWritableRoot {
        what: "the codex-linux-sandbox helper",
        path: codex_exe.to_path_buf(),
        root,
    })
}

fn containing_root(path: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    // A writable `/` means the user gave everything away; nothing left to protect.
    roots
        .iter()
        .find(|r| r.as_path() != Path::new("/") && real.starts_with(r))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_helper_inside_a_writable_root() {
        let exe = std::fs::canonicalize(std::env::current_exe().unwrap()).unwrap();
        let dir = exe.parent().unwrap().to_path_buf();
        // Outside every root: the path itself.
        assert_eq!(
            landlock_helper(&exe, &[PathBuf::from("/nonexistent")]).unwrap(),
            exe.to_str().unwrap()
        );
        // Inside a root and the running executable: the running image.
        assert_eq!(
            landlock_helper(&exe, std::slice::from_ref(&dir)).unwrap(),
            "/proc/self/exe"
        );
        // Inside a root and some other file: refused.
        let tmp = tempfile::tempdir().unwrap();
        let other = tmp.path().join("codex");
        std::fs::write(&other, "").unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        assert!(matches!(
            landlock_helper(&other, &[root]),
            Err(SandboxError::ExecutableInWritableRoot { .. })
        ));
        // A writable `/` protects nothing.
        assert!(containing_root(&exe, &[PathBuf::from("/")]).is_none());
    }
}
