//! The platform-neutral policy and its resolution into concrete paths: canonical writable roots,
//! the protected `.git` / `.codex` / `.agents` entries under each of them, and a permission
//! profile's read-only and hidden paths.

use std::io;
use std::path::{Component, Path, PathBuf};

use codex_protocol::SandboxMode;

use crate::error::SandboxError;

/// Names kept read-only directly under every writable root, also when they do not exist yet.
/// `.git` holds hooks and config that run on the host; `.codex` and `.agents` hold Codex's own
/// project config and skills.
pub const PROTECTED_NAMES: [&str; 3] = [".git", ".codex", ".agents"];

/// What stays readable when a permission profile says `:root = "none"`
/// ([`SandboxPolicy::full_read_access`] is false): the directories programs and the dynamic
/// loader need to start. Anything else must be named (`read`/`write`) in the profile.
pub const SYSTEM_READ_ROOTS: [&str; 8] = [
    "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
];

/// Access a sandboxed command has to a path. Ordered: `None < Read < Write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathAccess {
    /// Hidden: neither readable nor writable.
    None,
    /// Readable (and executable), not writable.
    Read,
    /// Readable and writable.
    Write,
}

/// What a sandboxed command may do. The same policy drives every platform.
///
/// Paths are absolute; symlinks are resolved by the sandbox (a root reached through a symlink
/// is writable at its real location). Paths that do not exist are skipped.
///
/// A permission profile adds per-path rules on top of the mode: [`read_only_paths`],
/// [`denied_paths`] and [`full_read_access`]. Among the writable roots, read-only paths and
/// denied paths, **the deepest path covering a file decides** its access (a `read` directory
/// inside a writable root stays read-only; a `write` directory inside a hidden one is
/// writable); at the same path the most restrictive wins. `.git`/`.codex`/`.agents` under every
/// writable root stay read-only regardless. The constructors leave these rules empty, which is
/// exactly the legacy `sandbox_mode` behaviour.
///
/// [`read_only_paths`]: Self::read_only_paths
/// [`denied_paths`]: Self::denied_paths
/// [`full_read_access`]: Self::full_read_access
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPolicy {
    /// `sandbox_mode`: `read-only` reads everywhere and writes nowhere; `workspace-write`
    /// writes under [`writable_roots`](Self::writable_roots) plus the temp dirs;
    /// `danger-full-access` runs commands unconfined (every other field is ignored).
    pub mode: SandboxMode,
    /// Writable roots for `workspace-write`: the session cwd first, then `--add-dir`s and
    /// `[sandbox_workspace_write] writable_roots` (or a profile's `write` paths). Ignored by
    /// the other modes.
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
    /// `:root = "read"` (the default): everything not covered by a deeper rule is readable.
    /// `false` (`:root = "none"`): only [`SYSTEM_READ_ROOTS`], the read-only paths and the
    /// writable roots can be read (plus `/dev` and `/proc`, which every sandbox provides).
    pub full_read_access: bool,
    /// Readable but not writable, also beneath a writable root (a profile's `read` paths).
    pub read_only_paths: Vec<PathBuf>,
    /// No access at all (a profile's `none` paths): inside the sandbox a directory is an empty
    /// read-only directory and a file cannot be opened (bubblewrap), or the path is simply not
    /// granted (Landlock). Paths that do not exist are not hidden (there is nothing to hide),
    /// so a command may create them when they lie in a writable root.
    pub denied_paths: Vec<PathBuf>,
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
            full_read_access: true,
            read_only_paths: Vec::new(),
            denied_paths: Vec::new(),
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

    /// Whether the policy has per-path rules beyond the legacy modes (a permission profile
    /// with `read`/`none` paths or `:root = "none"`).
    pub fn has_path_rules(&self) -> bool {
        !self.full_read_access || !self.read_only_paths.is_empty() || !self.denied_paths.is_empty()
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

    /// The access the policy's rules give `path` (absolute), judged lexically: no symlink is
    /// resolved and the file system is not touched, so callers that write on the host (the
    /// in-process `apply_patch`) should also check the path's real location. `.git`,
    /// `.codex` and `.agents` are not considered here.
    pub fn access_at(&self, path: &Path) -> PathAccess {
        if self.is_unconfined() {
            return PathAccess::Write;
        }
        let path = lexical_normalize(path);
        let mut best: Option<(usize, PathAccess)> = None;
        let mut consider = |rule: &Path, access: PathAccess| {
            let rule = lexical_normalize(rule);
            if !path.starts_with(&rule) {
                return;
            }
            let depth = rule.components().count();
            best = match best {
                Some((d, a)) if d > depth || (d == depth && a <= access) => Some((d, a)),
                _ => Some((depth, access)),
            };
        };
        consider(
            Path::new("/"),
            if self.full_read_access {
                PathAccess::Read
            } else {
                PathAccess::None
            },
        );
        if !self.full_read_access {
            for root in SYSTEM_READ_ROOTS {
                consider(Path::new(root), PathAccess::Read);
            }
        }
        for root in self.requested_writable_roots() {
            consider(&root, PathAccess::Write);
        }
        for p in &self.read_only_paths {
            consider(p, PathAccess::Read);
        }
        for p in &self.denied_paths {
            consider(p, PathAccess::None);
        }
        best.map_or(PathAccess::None, |(_, a)| a)
    }
}

/// `path` with `.` removed and `..` applied lexically.
fn lexical_normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::Prefix(_) | Component::Normal(_) => out.push(c),
        }
    }
    out
}

/// The policy's paths resolved on this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResolvedRoots {
    /// Canonical writable roots, parents before children, no duplicates.
    pub roots: Vec<PathBuf>,
    /// Existing protected paths under some root (canonical): bound read-only.
    pub read_only: Vec<PathBuf>,
    /// Protected names that do not exist: creating them must fail.
    pub missing: Vec<PathBuf>,
    /// A profile's `read` paths that exist (canonical), parents first.
    pub profile_read_only: Vec<PathBuf>,
    /// A profile's `none` paths that exist (canonical), parents first.
    pub denied: Vec<PathBuf>,
    /// `:root = "none"`: only [`Self::system_read`] and the paths above are readable.
    pub restricted_read: bool,
    /// With [`Self::restricted_read`]: the [`SYSTEM_READ_ROOTS`] that exist, as spelled there
    /// (`/bin` may be a symlink to `usr/bin`).
    pub system_read: Vec<PathBuf>,
}

impl ResolvedRoots {
    /// Every path rule with its access, parents before children (stable for equal depths),
    /// one entry per path (the most restrictive when a path is named twice): writable roots,
    /// protected paths, profile read-only paths, denied paths.
    pub(crate) fn path_rules(&self) -> Vec<(PathBuf, PathAccess)> {
        let mut rules: Vec<(PathBuf, PathAccess)> = Vec::new();
        let all = self
            .roots
            .iter()
            .map(|p| (p, PathAccess::Write))
            .chain(self.read_only.iter().map(|p| (p, PathAccess::Read)))
            .chain(self.profile_read_only.iter().map(|p| (p, PathAccess::Read)))
            .chain(self.denied.iter().map(|p| (p, PathAccess::None)));
        for (path, access) in all {
            match rules.iter_mut().find(|(p, _)| p == path) {
                Some((_, existing)) => *existing = (*existing).min(access),
                None => rules.push((path.clone(), access)),
            }
        }
        rules.sort_by_key(|(p, _)| p.components().count());
        rules
    }
}

/// Resolves the policy's writable roots, their protected entries and the profile's paths.
pub(crate) fn resolve(policy: &SandboxPolicy) -> Result<ResolvedRoots, SandboxError> {
    let denied = canonical_existing(&policy.denied_paths)?;
    let mut profile_read_only = canonical_existing(&policy.read_only_paths)?;
    // At the same path the most restrictive rule wins.
    profile_read_only.retain(|p| !denied.contains(p));

    let mut roots = Vec::new();
    for real in canonical_existing(&policy.requested_writable_roots())? {
        if !roots.contains(&real) && !denied.contains(&real) && !profile_read_only.contains(&real) {
            roots.push(real);
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
        if !root.is_dir() || root == Path::new("/") {
            // A single writable file has no children to protect; a writable `/` (a profile's
            // `:root = "write"`) gave everything away, and placeholders in `/` would only
            // clutter the host.
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
    // A protected path the profile hides stays hidden.
    read_only.retain(|p| !denied.contains(p));
    read_only.sort_by_key(|p| p.components().count());
    read_only.dedup();
    missing.dedup();
    let system_read = if policy.full_read_access {
        Vec::new()
    } else {
        SYSTEM_READ_ROOTS
            .iter()
            .map(PathBuf::from)
            .filter(|p| std::fs::symlink_metadata(p).is_ok())
            .collect()
    };
    Ok(ResolvedRoots {
        roots,
        read_only,
        missing,
        profile_read_only,
        denied,
        restricted_read: !policy.full_read_access,
        system_read,
    })
}

/// Canonical forms of the paths that exist, parents first, without duplicates. Relative paths
/// are refused; paths that do not exist are skipped.
fn canonical_existing(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SandboxError> {
    let mut out: Vec<PathBuf> = Vec::new();
    for path in paths {
        if !path.is_absolute() {
            return Err(SandboxError::RelativePath { path: path.clone() });
        }
        match std::fs::canonicalize(path) {
            Ok(real) => {
                if !out.contains(&real) {
                    out.push(real);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(SandboxError::Resolve {
                    path: path.clone(),
                    source,
                });
            }
        }
    }
    out.sort_by_key(|p| p.components().count());
    Ok(out)
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

    #[test]
    fn access_at_takes_the_deepest_rule() {
        let mut p = SandboxPolicy::workspace_write(vec!["/w".into()]);
        p.exclude_slash_tmp = true;
        p.read_only_paths = vec!["/w/docs".into(), "/home/u/.gitconfig".into()];
        p.denied_paths = vec!["/w/secret".into(), "/home/u".into(), "/w/docs".into()];
        p.writable_roots.push("/w/secret/out".into());
        let at = |s: &str| p.access_at(Path::new(s));
        assert_eq!(at("/w/src/main.rs"), PathAccess::Write);
        assert_eq!(at("/w/secret/key"), PathAccess::None);
        assert_eq!(at("/w/secret/out/x"), PathAccess::Write);
        assert_eq!(at("/w/secret/../src/x"), PathAccess::Write);
        // `/w/docs` is both read-only and denied: the most restrictive wins.
        assert_eq!(at("/w/docs/a.md"), PathAccess::None);
        assert_eq!(at("/home/u/.ssh/id"), PathAccess::None);
        assert_eq!(at("/home/u/.gitconfig"), PathAccess::Read);
        assert_eq!(at("/etc/passwd"), PathAccess::Read);
        assert_eq!(at("/tmp/x"), PathAccess::Read);

        p.full_read_access = false;
        assert_eq!(p.access_at(Path::new("/etc/passwd")), PathAccess::Read);
        assert_eq!(p.access_at(Path::new("/opt/x")), PathAccess::None);
        assert!(p.has_path_rules());
        assert!(!SandboxPolicy::workspace_write(vec![]).has_path_rules());
        assert_eq!(
            SandboxPolicy::danger_full_access().access_at(Path::new("/x")),
            PathAccess::Write
        );
        assert_eq!(
            SandboxPolicy::read_only().access_at(Path::new("/x")),
            PathAccess::Read
        );
    }

    #[test]
    fn profile_paths_resolve_and_the_most_restrictive_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = canon(tmp.path());
        for d in ["docs", "secret/out", ".git"] {
            std::fs::create_dir_all(ws.join(d)).unwrap();
        }
        let mut p = SandboxPolicy::workspace_write(vec![ws.clone(), ws.join("secret/out")]);
        p.exclude_slash_tmp = true;
        p.read_only_paths = vec![ws.join("docs"), ws.join("missing")];
        p.denied_paths = vec![ws.join("secret"), ws.join(".git")];
        let r = resolve(&p).unwrap();
        assert_eq!(r.roots, vec![ws.clone(), ws.join("secret/out")]);
        assert_eq!(r.profile_read_only, vec![ws.join("docs")]);
        assert_eq!(r.denied, vec![ws.join("secret"), ws.join(".git")]);
        // `.git` is hidden, not merely read-only.
        assert!(!r.read_only.contains(&ws.join(".git")));
        assert_eq!(
            r.path_rules(),
            vec![
                (ws.clone(), PathAccess::Write),
                (ws.join("docs"), PathAccess::Read),
                (ws.join("secret"), PathAccess::None),
                (ws.join(".git"), PathAccess::None),
                (ws.join("secret/out"), PathAccess::Write),
            ]
        );
        assert!(!r.restricted_read);

        // A writable root that is also denied is not writable.
        p.denied_paths.push(ws.join("secret/out"));
        let r = resolve(&p).unwrap();
        assert_eq!(r.roots, vec![ws.clone()]);

        p.full_read_access = false;
        let r = resolve(&p).unwrap();
        assert!(r.restricted_read);
        assert!(r.system_read.contains(&PathBuf::from("/usr")));
    }
}
