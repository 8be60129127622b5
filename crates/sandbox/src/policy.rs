//! The platform-neutral policy and its resolution into concrete paths: canonical writable roots
//! and the protected `.git` / `.codex` / `.agents` entries under each of them.

use std::io;
use std::path::{Path, PathBuf};

use codex_protocol::SandboxMode;

use crate::error::SandboxError;

/// Names kept read-only directly under every writable root, also when they do not exist yet.
/// `.git` holds hooks and config that run on the host; `.codex` and `.agents` hold Codex's own
/// project config and skills.
pub const PROTECTED_NAMES: [&str; 3] = [".git", ".codex", ".agents"];

/// What a sandboxed command may do. The same policy drives every platform.
///
/// Paths are absolute; symlinks are resolved by the sandbox (a root reached through a symlink
/// is writable at its real location). Roots that do not exist are skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPolicy {
    /// `sandbox_mode`: `read-only` reads everywhere and writes nowhere; `workspace-write`
    /// writes under [`writable_roots`](Self::writable_roots) plus the temp dirs;
    /// `danger-full-access` runs commands unconfined.
    pub mode: SandboxMode,
    /// Writable roots for `workspace-write`: the session cwd first, then `--add-dir`s and
    /// `[sandbox_workspace_write] writable_roots`. Ignored by the other modes.
    pub writable_roots: Vec<PathBuf>,
    /// Network access for confined modes (`[sandbox_workspace_write] network_access`, or a
    /// permission profile's `network.enabled`). `danger-full-access` always has network.
    pub network_access: bool,
    /// `workspace-write` only: do not make `$TMPDIR` ([`tmpdir`](Self::tmpdir)) writable.
    pub exclude_tmpdir_env_var: bool,
    /// `workspace-write` only: do not make `/tmp` writable.
    pub exclude_slash_tmp: bool,
    /// The value of `$TMPDIR` in the environment commands run with (the caller reads the
    /// environment; this crate does not).
    pub tmpdir: Option<PathBuf>,
}

impl SandboxPolicy {
    /// `read-only`: read anywhere, write nowhere, no network.
    pub fn read_only() -> Self {
        Self {
            mode: SandboxMode::ReadOnly,
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
            tmpdir: None,
        }
    }

    /// `workspace-write` with the given roots (session cwd first), `/tmp` writable, no network.
    pub fn workspace_write(writable_roots: Vec<PathBuf>) -> Self {
        Self {
            mode: SandboxMode::WorkspaceWrite,
            writable_roots,
            ..Self::read_only()
        }
    }

    /// `danger-full-access`: no confinement.
    pub fn danger_full_access() -> Self {
        Self {
            mode: SandboxMode::DangerFullAccess,
            network_access: true,
            ..Self::read_only()
        }
    }

    /// Whether commands may use the network.
    pub fn has_network(&self) -> bool {
        match self.mode {
            SandboxMode::DangerFullAccess => true,
            SandboxMode::ReadOnly | SandboxMode::WorkspaceWrite => self.network_access,
        }
    }

    /// Whether commands run without any confinement.
    pub fn is_unconfined(&self) -> bool {
        match self.mode {
            SandboxMode::DangerFullAccess => true,
            SandboxMode::ReadOnly | SandboxMode::WorkspaceWrite => false,
        }
    }

    /// The roots a command may write, as given (absolute, unresolved), including `/tmp` and
    /// `$TMPDIR` unless excluded. Empty unless the mode is `workspace-write`.
    pub fn requested_writable_roots(&self) -> Vec<PathBuf> {
        match self.mode {
            SandboxMode::ReadOnly | SandboxMode::DangerFullAccess => Vec::new(),
            SandboxMode::WorkspaceWrite => {
                let mut roots = self.writable_roots.clone();
                if !self.exclude_slash_tmp {
                    roots.push(PathBuf::from("/tmp"));
                }
                if !self.exclude_tmpdir_env_var
                    && let Some(tmpdir) = &self.tmpdir
                {
                    roots.push(tmpdir.clone());
                }
                roots
            }
        }
    }
}

/// The policy's writable paths resolved on this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResolvedRoots {
    /// Canonical writable roots, parents before children, no duplicates.
    pub roots: Vec<PathBuf>,
    /// Existing protected paths under some root (canonical): bound read-only.
    pub read_only: Vec<PathBuf>,
    /// Protected names that do not exist: creating them must fail.
    pub missing: Vec<PathBuf>,
}

/// Resolves the policy's writable roots and their protected entries.
pub(crate) fn resolve(policy: &SandboxPolicy) -> Result<ResolvedRoots, SandboxError> {
    let mut roots = Vec::new();
    for root in policy.requested_writable_roots() {
        if !root.is_absolute() {
            return Err(SandboxError::RelativePath { path: root });
        }
        match std::fs::canonicalize(&root) {
            Ok(real) => {
                if !roots.contains(&real) {
                    roots.push(real);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(SandboxError::Resolve { path: root, source }),
        }
    }
    roots.sort_by_key(|p| p.components().count());

    // Roots the policy names itself (workspace, --add-dir, writable_roots), as opposed to the
    // shared temp dirs it adds (/tmp, $TMPDIR).
    let explicit: Vec<PathBuf> = policy
        .writable_roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .collect();
    let mut read_only = Vec::new();
    let mut missing = Vec::new();
    for root in &roots {
        if !root.is_dir() {
            // A single writable file has no children to protect.
            continue;
        }
        let mut root_missing = Vec::new();
        for name in PROTECTED_NAMES {
            protect(root, name, &roots, &mut read_only, &mut root_missing)?;
        }
        // A placeholder for a missing name is a real directory on the host while the sandbox
        // runs; in a shared temp dir (`/tmp/.git`) it would make every directory below look
        // like a git repository to every other process. Existing entries stay protected.
        if explicit.contains(root) {
            missing.extend(root_missing);
        }
    }
    // A root the user named explicitly inside a protected path (e.g. a linked worktree's
    // gitdir added with `--add-dir`) wins over the protection.
    read_only.retain(|p| !roots.iter().any(|r| r.starts_with(p)));
    missing.retain(|p| !roots.iter().any(|r| r.starts_with(p)));
    read_only.sort_by_key(|p| p.components().count());
    read_only.dedup();
    missing.dedup();
    Ok(ResolvedRoots {
        roots,
        read_only,
        missing,
    })
}

/// Resolves `<root>/<name>` into read-only paths or a missing entry.
fn protect(
    root: &Path,
    name: &str,
    roots: &[PathBuf],
    read_only: &mut Vec<PathBuf>,
    missing: &mut Vec<PathBuf>,
) -> Result<(), SandboxError> {
    let path = root.join(name);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            missing.push(path);
            return Ok(());
        }
        Err(source) => return Err(SandboxError::Resolve { path, source }),
    };
    let real = if meta.file_type().is_symlink() {
        match std::fs::canonicalize(&path) {
            Ok(real) => real,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return dangling_link(root, &path, roots);
            }
            Err(source) => return Err(SandboxError::Resolve { path, source }),
        }
    } else {
        path
    };
    let is_file = std::fs::metadata(&real)
        .map(|m| m.is_file())
        .unwrap_or(false);
    if name == ".git" && is_file {
        for dir in linked_git_dirs(&real) {
            add_if_under_root(dir, roots, read_only);
        }
    }
    add_if_under_root(real, roots, read_only);
    Ok(())
}

fn add_if_under_root(path: PathBuf, roots: &[PathBuf], out: &mut Vec<PathBuf>) {
    if roots.iter().any(|r| path.starts_with(r)) && !out.contains(&path) {
        out.push(path);
    }
}

/// A protected name that is a dangling symlink is refused when its target could be created
/// inside a writable root; otherwise the sandboxed command cannot create it anyway.
fn dangling_link(root: &Path, link: &Path, roots: &[PathBuf]) -> Result<(), SandboxError> {
    let target = match std::fs::read_link(link) {
        Ok(t) => root.join(t),
        Err(source) => {
            return Err(SandboxError::Resolve {
                path: link.to_path_buf(),
                source,
            });
        }
    };
    let mut ancestor = target.as_path();
    while let Some(parent) = ancestor.parent() {
        ancestor = parent;
        if let Ok(real) = std::fs::canonicalize(ancestor) {
            if let Some(r) = roots.iter().find(|r| real.starts_with(r)) {
                return Err(SandboxError::DanglingProtectedLink {
                    link: link.to_path_buf(),
                    target,
                    root: r.clone(),
                });
            }
            return Ok(());
        }
    }
    Ok(())
}

/// For a `.git` *file* (`gitdir: <path>`, linked worktrees and submodules): the gitdir it
/// points to and that gitdir's `commondir`, canonical, when they exist.
fn linked_git_dirs(git_file: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(gitdir) = read_pointer(git_file, "gitdir:") else {
        return out;
    };
    let base = git_file.parent().unwrap_or(Path::new("/"));
    let Ok(gitdir) = std::fs::canonicalize(base.join(gitdir)) else {
        return out;
    };
    if let Some(common) = read_pointer(&gitdir.join("commondir"), "")
        && let Ok(common) = std::fs::canonicalize(gitdir.join(common))
    {
        out.push(common);
    }
    out.push(gitdir);
    out
}

/// First line of a small pointer file with `prefix` stripped and trimmed.
fn read_pointer(path: &Path, prefix: &str) -> Option<PathBuf> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 4096 {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?.trim();
    let value = line.strip_prefix(prefix)?.trim();
    (!value.is_empty()).then(|| PathBuf::from(value))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn canon(p: &Path) -> PathBuf {
        std::fs::canonicalize(p).unwrap()
    }

    #[test]
    fn read_only_and_full_access_have_no_roots() {
        assert!(
            SandboxPolicy::read_only()
                .requested_writable_roots()
                .is_empty()
        );
        assert!(
            SandboxPolicy::danger_full_access()
                .requested_writable_roots()
                .is_empty()
        );
        assert!(SandboxPolicy::danger_full_access().has_network());
        assert!(!SandboxPolicy::read_only().has_network());
    }

    #[test]
    fn tmp_dirs_follow_the_exclude_flags() {
        let mut p = SandboxPolicy::workspace_write(vec!["/w".into()]);
        p.tmpdir = Some("/t".into());
        assert_eq!(
            p.requested_writable_roots(),
            vec![PathBuf::from("/w"), "/tmp".into(), "/t".into()]
        );
        p.exclude_slash_tmp = true;
        p.exclude_tmpdir_env_var = true;
        assert_eq!(p.requested_writable_roots(), vec![PathBuf::from("/w")]);
    }

    #[test]
    fn relative_roots_are_refused() {
        let mut p = SandboxPolicy::workspace_write(vec!["rel".into()]);
        p.exclude_slash_tmp = true;
        assert!(matches!(
            resolve(&p),
            Err(SandboxError::RelativePath { .. })
        ));
    }

    #[test]
    fn protected_entries_existing_missing_and_gitdir_file() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = canon(tmp.path()).join("ws");
        let main_git = canon(tmp.path()).join("main.git");
        std::fs::create_dir_all(main_git.join("worktrees/wt")).unwrap();
        std::fs::write(main_git.join("worktrees/wt/commondir"), "../..\n").unwrap();
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::write(ws.join(".git"), "gitdir: ../main.git/worktrees/wt\n").unwrap();
        std::fs::create_dir(ws.join(".codex")).unwrap();
        let mut p = SandboxPolicy::workspace_write(vec![ws.clone(), canon(tmp.path())]);
        p.exclude_slash_tmp = true;
        let r = resolve(&p).unwrap();
        let top = canon(tmp.path());
        assert_eq!(r.roots, vec![top.clone(), ws.clone()]);
        assert_eq!(
            r.read_only,
            vec![
                main_git.clone(),
                ws.join(".git"),
                ws.join(".codex"),
                main_git.join("worktrees/wt"),
            ]
        );
        assert_eq!(
            r.missing,
            vec![
                top.join(".git"),
                top.join(".codex"),
                top.join(".agents"),
                ws.join(".agents"),
            ]
        );
    }

    #[test]
    fn symlinked_protected_names_resolve_to_their_target() {
        let tmp = tempfile::tempdir().unwrap();
        let top = canon(tmp.path());
        let ws = top.join("ws");
        std::fs::create_dir_all(ws.join("real-codex")).unwrap();
        std::os::unix::fs::symlink("real-codex", ws.join(".codex")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/x", ws.join(".agents")).unwrap();
        let mut p = SandboxPolicy::workspace_write(vec![ws.clone()]);
        p.exclude_slash_tmp = true;
        let r = resolve(&p).unwrap();
        assert_eq!(r.read_only, vec![ws.join("real-codex")]);
        assert_eq!(r.missing, vec![ws.join(".git")]);

        // A dangling link whose target would land inside the root is refused.
        std::fs::remove_file(ws.join(".agents")).unwrap();
        std::os::unix::fs::symlink("not-yet", ws.join(".agents")).unwrap();
        assert!(matches!(
            resolve(&p),
            Err(SandboxError::DanglingProtectedLink { .. })
        ));
    }

    #[test]
    fn explicit_root_inside_a_protected_path_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = canon(tmp.path());
        std::fs::create_dir_all(ws.join(".git/objects")).unwrap();
        let mut p = SandboxPolicy::workspace_write(vec![ws.clone(), ws.join(".git")]);
        p.exclude_slash_tmp = true;
        let r = resolve(&p).unwrap();
        assert!(!r.read_only.contains(&ws.join(".git")));
        assert!(r.roots.contains(&ws.join(".git")));
    }
}
