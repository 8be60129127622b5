//! Empty directories that stand in for a missing `.git` / `.codex` / `.agents` while a
//! bubblewrap sandbox runs, so that the sandbox can bind them read-only and creating the name
//! inside the sandbox fails.
//!
//! A bind mount needs an existing mount point, so the placeholder has to exist on the host.
//! It is created here as the calling user before any namespace is entered (so a root caller
//! in a workspace owned by another uid works, unlike upstream's in-namespace `mkdir`), with
//! the marker mode `0555` (no user makes an empty `0555` `.codex` by hand).
//!
//! Removing it while some sandbox still binds it would be a hole, not just a nuisance:
//! `rmdir` on the host of a directory that is a mount point in another mount namespace
//! succeeds and silently detaches that mount (measured), after which the sandbox can create
//! the name. So every sandbox that binds a placeholder, whoever created it, holds a [`Lease`]:
//! a shared `flock` on the directory for the sandbox's lifetime. When a process drops its last
//! lease on a placeholder, it removes the directory only if it can take the lock exclusively
//! (no other process binds it) and it is still an empty marker directory.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustix::fs::{FlockOperation, flock};

use crate::error::SandboxError;
use crate::policy::ResolvedRoots;

/// Mode that marks a directory as our placeholder.
const MARKER_MODE: u32 = 0o555;

/// Leases held by this process, per placeholder.
static REGISTRY: Mutex<Option<HashMap<PathBuf, usize>>> = Mutex::new(None);

/// Keeps one placeholder in place while a sandbox binds it.
#[derive(Debug)]
pub(crate) struct Lease {
    path: PathBuf,
    dir: File,
}

/// Whether `path` is an (empty) placeholder directory made by some Codex process.
fn is_placeholder(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    meta.is_dir()
        && meta.permissions().mode() & 0o7777 == MARKER_MODE
        && std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// Leases a placeholder for every missing protected path (creating it) and for every
/// existing one that is a placeholder of another sandbox. Returns the paths to bind
/// read-only and the leases. A missing path that cannot be created because its parent is not
/// writable for us (`EACCES`, `EPERM`, `EROFS`) is skipped: the sandboxed command, which has
/// fewer rights, cannot create it either.
pub(crate) fn acquire(
    resolved: &ResolvedRoots,
) -> Result<(Vec<PathBuf>, Vec<Lease>), SandboxError> {
    let mut guard = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    let registry = guard.get_or_insert_with(HashMap::new);
    let candidates: Vec<PathBuf> = resolved
        .missing
        .iter()
        .chain(
            resolved
                .read_only
                .iter()
                // Ours, another sandbox's, or one removed since `resolve` saw it.
                .filter(|p| {
                    registry.contains_key(*p)
                        || is_placeholder(p)
                        || std::fs::symlink_metadata(p)
                            .is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
                }),
        )
        .cloned()
        .collect();
    let mut paths = Vec::new();
    let mut leases = Vec::new();
    for path in &candidates {
        let Some(dir) = lease_one(path).map_err(|source| SandboxError::Placeholder {
            path: path.clone(),
            source,
        })?
        else {
            continue;
        };
        *registry.entry(path.clone()).or_insert(0) += 1;
        paths.push(path.clone());
        leases.push(Lease {
            path: path.clone(),
            dir,
        });
    }
    Ok((paths, leases))
}

/// Makes sure `path` exists as a directory and holds a shared lock on it. `None` when it
/// cannot be created for lack of rights.
fn lease_one(path: &Path) -> io::Result<Option<File>> {
    // Another process may remove its placeholder between our mkdir and our lock; retry.
    for _ in 0..5 {
        match std::fs::create_dir(path) {
            Ok(()) => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(MARKER_MODE))?;
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err)
                if matches!(
                    err.raw_os_error(),
                    Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS)
                ) =>
            {
                return Ok(None);
            }
            Err(err) => return Err(err),
        }
        let dir = match File::open(path) {
            Ok(dir) => dir,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        flock(dir.as_fd(), FlockOperation::LockShared)?;
        // Still the directory at `path` (not one removed while we waited for the lock)?
        let held = dir.metadata()?;
        match std::fs::symlink_metadata(path) {
            Ok(now) if now.is_dir() && now.dev() == held.dev() && now.ino() == held.ino() => {
                return Ok(Some(dir));
            }
            Ok(now) if !now.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "exists and is not a directory",
                ));
            }
            Ok(_) => continue,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::other("placeholder kept disappearing"))
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut guard = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
        let last = match guard.as_mut().and_then(|r| r.get_mut(&self.path)) {
            Some(count) => {
                *count = count.saturating_sub(1);
                *count == 0
            }
            None => true,
        };
        if last {
            if let Some(registry) = guard.as_mut() {
                registry.remove(&self.path);
            }
            // Upgrading our shared lock fails while another process holds one.
            if flock(self.dir.as_fd(), FlockOperation::NonBlockingLockExclusive).is_ok()
                && is_placeholder(&self.path)
            {
                let _ = std::fs::remove_dir(&self.path);
            }
        }
        // Unlock before the registry lock is released, so a sibling lease dropped right
        // after us never sees our lock still held.
        let _ = flock(self.dir.as_fd(), FlockOperation::Unlock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(paths: &[&Path]) -> ResolvedRoots {
        ResolvedRoots {
            missing: paths.iter().map(|p| p.to_path_buf()).collect(),
            ..ResolvedRoots::default()
        }
    }

    #[test]
    fn placeholders_live_as_long_as_their_leases() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(".codex");
        let (paths, first) = acquire(&missing(&[&p])).unwrap();
        assert_eq!(paths, vec![p.clone()]);
        assert!(is_placeholder(&p));
        // A second sandbox finds it existing (read-only) and leases it too.
        let existing = ResolvedRoots {
            read_only: vec![p.clone()],
            ..ResolvedRoots::default()
        };
        let (paths, second) = acquire(&existing).unwrap();
        assert_eq!(paths, vec![p.clone()]);
        drop(first);
        assert!(p.is_dir(), "still leased");
        drop(second);
        assert!(!p.exists(), "removed with the last lease");
    }

    #[test]
    fn a_lock_held_elsewhere_keeps_the_placeholder() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(".agents");
        let (_, leases) = acquire(&missing(&[&p])).unwrap();
        // Another process's lease: an independent open file description with a shared lock.
        let other = File::open(&p).unwrap();
        flock(other.as_fd(), FlockOperation::LockShared).unwrap();
        drop(leases);
        assert!(p.is_dir());
        drop(other);
    }

    #[test]
    fn real_directories_are_never_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(".agents");
        std::fs::create_dir(&p).unwrap();
        let existing = ResolvedRoots {
            read_only: vec![p.clone()],
            ..ResolvedRoots::default()
        };
        let (paths, leases) = acquire(&existing).unwrap();
        assert!(paths.is_empty() && leases.is_empty());
        // Even a missing-then-found race on a user's directory: not a marker, kept.
        let (_, leases) = acquire(&missing(&[&p])).unwrap();
        drop(leases);
        assert!(p.is_dir());
    }

    #[test]
    fn non_empty_placeholders_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(".git");
        let (_, leases) = acquire(&missing(&[&p])).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(p.join("HEAD"), "x").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(MARKER_MODE)).unwrap();
        drop(leases);
        assert!(p.join("HEAD").exists());
        // Let the temp dir be removed by a non-root test run.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
