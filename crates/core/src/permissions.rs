//! From the configured permissions ([`PermissionProfile`], resolved by `codex-config`) to the
//! [`SandboxPolicy`] commands run with, and the path checks for tools that touch files
//! in-process (`apply_patch`, `view_image`), which no OS sandbox covers.

use std::path::{Path, PathBuf};

use codex_config::{FileSystemAccess, PermissionProfile};
use codex_protocol::SandboxMode;
use codex_sandbox::{PathAccess, SandboxPolicy};

/// The sandbox policy for `profile`. `tmpdir` is `$TMPDIR` of the environment commands run
/// with (`:tmpdir`). A legacy `sandbox_mode` gives exactly the policy of that mode: the cwd,
/// `--add-dir`s and `[sandbox_workspace_write] writable_roots` writable, `/tmp` and `$TMPDIR`
/// unless excluded.
pub fn sandbox_policy(profile: &PermissionProfile, tmpdir: Option<PathBuf>) -> SandboxPolicy {
    let mode = profile.sandbox_mode();
    if mode == SandboxMode::DangerFullAccess {
        return SandboxPolicy::danger_full_access();
    }
    let mut policy = SandboxPolicy {
        mode,
        network_access: profile.network_enabled,
        full_read_access: profile.root != FileSystemAccess::None,
        ..SandboxPolicy::read_only()
    };
    for (path, access) in &profile.paths {
        match access {
            FileSystemAccess::Write => policy.writable_roots.push(path.clone()),
            FileSystemAccess::Read => policy.read_only_paths.push(path.clone()),
            FileSystemAccess::None => policy.denied_paths.push(path.clone()),
        }
    }
    if profile.root == FileSystemAccess::Write {
        policy.writable_roots.push(PathBuf::from("/"));
    }
    policy.exclude_slash_tmp = profile.slash_tmp != Some(FileSystemAccess::Write);
    add_special(&mut policy, profile.slash_tmp, Some(PathBuf::from("/tmp")));
    policy.exclude_tmpdir_env_var = profile.tmpdir != Some(FileSystemAccess::Write);
    add_special(&mut policy, profile.tmpdir, tmpdir.clone());
    policy.tmpdir = tmpdir;
    policy
}

/// `:slash_tmp` / `:tmpdir` set to `read` or `none` (`write` goes through the exclude flags).
fn add_special(
    policy: &mut SandboxPolicy,
    access: Option<FileSystemAccess>,
    path: Option<PathBuf>,
) {
    let Some(path) = path else {
        return;
    };
    match access {
        Some(FileSystemAccess::Read) => policy.read_only_paths.push(path),
        Some(FileSystemAccess::None) => policy.denied_paths.push(path),
        Some(FileSystemAccess::Write) | None => {}
    }
}

/// The access `policy` gives `path` both as written and at its real location (the nearest
/// existing ancestor resolved, so a symlink inside the workspace cannot reach a hidden path):
/// the lesser of the two.
pub(crate) fn effective_access(policy: &SandboxPolicy, path: &Path) -> PathAccess {
    let lexical = policy.access_at(path);
    match real_location(path) {
        Some(real) if real != path => lexical.min(policy.access_at(&real)),
        _ => lexical,
    }
}

/// `path` with its longest existing prefix canonicalized.
fn real_location(path: &Path) -> Option<PathBuf> {
    let mut rest = Vec::new();
    let mut current = path;
    loop {
        if let Ok(real) = std::fs::canonicalize(current) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Some(out);
        }
        rest.push(current.file_name()?.to_owned());
        current = current.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_config::PermissionsSource;
    use pretty_assertions::assert_eq;

    fn profile(root: FileSystemAccess, paths: &[(&str, FileSystemAccess)]) -> PermissionProfile {
        PermissionProfile {
            name: "p".into(),
            description: None,
            source: PermissionsSource::DefaultPermissions,
            root,
            paths: paths.iter().map(|(p, a)| (PathBuf::from(p), *a)).collect(),
            slash_tmp: None,
            tmpdir: None,
            network_enabled: false,
            note: None,
        }
    }

    #[test]
    fn legacy_workspace_profile_gives_the_legacy_policy() {
        let mut p = profile(
            FileSystemAccess::Read,
            &[
                ("/w", FileSystemAccess::Write),
                ("/x", FileSystemAccess::Write),
            ],
        );
        p.name = ":workspace".into();
        p.slash_tmp = Some(FileSystemAccess::Write);
        p.network_enabled = true;
        let mut expected = SandboxPolicy::workspace_write(vec!["/w".into(), "/x".into()]);
        expected.network_access = true;
        expected.exclude_tmpdir_env_var = true;
        expected.tmpdir = Some("/t".into());
        assert_eq!(sandbox_policy(&p, Some("/t".into())), expected);
    }

    #[test]
    fn profile_rules_map_onto_the_policy() {
        let mut p = profile(
            FileSystemAccess::None,
            &[
                ("/w", FileSystemAccess::Write),
                ("/w/docs", FileSystemAccess::Read),
                ("/w/secret", FileSystemAccess::None),
            ],
        );
        p.slash_tmp = Some(FileSystemAccess::None);
        p.tmpdir = Some(FileSystemAccess::Write);
        let policy = sandbox_policy(&p, Some("/t".into()));
        assert_eq!(policy.mode, SandboxMode::WorkspaceWrite);
        assert!(!policy.full_read_access);
        assert_eq!(policy.writable_roots, vec![PathBuf::from("/w")]);
        assert_eq!(policy.read_only_paths, vec![PathBuf::from("/w/docs")]);
        assert_eq!(
            policy.denied_paths,
            vec![PathBuf::from("/w/secret"), PathBuf::from("/tmp")]
        );
        assert!(policy.exclude_slash_tmp && !policy.exclude_tmpdir_env_var);
        assert_eq!(
            policy.requested_writable_roots(),
            vec![PathBuf::from("/w"), PathBuf::from("/t")]
        );

        let read_only = sandbox_policy(&profile(FileSystemAccess::Read, &[]), None);
        assert_eq!(read_only.mode, SandboxMode::ReadOnly);
        assert!(read_only.requested_writable_roots().is_empty());
        assert!(!read_only.has_network() && !read_only.has_path_rules());
        let mut open = profile(FileSystemAccess::Write, &[]);
        open.network_enabled = true;
        assert_eq!(
            sandbox_policy(&open, None),
            SandboxPolicy::danger_full_access()
        );
        open.paths.push(("/srv".into(), FileSystemAccess::None));
        let policy = sandbox_policy(&open, None);
        assert_eq!(policy.writable_roots, vec![PathBuf::from("/")]);
        assert_eq!(policy.denied_paths, vec![PathBuf::from("/srv")]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_do_not_reach_hidden_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir(ws.join("secret")).unwrap();
        std::os::unix::fs::symlink(ws.join("secret"), ws.join("link")).unwrap();
        let mut policy = SandboxPolicy::workspace_write(vec![ws.clone()]);
        policy.denied_paths = vec![ws.join("secret")];
        assert_eq!(
            effective_access(&policy, &ws.join("link/new.txt")),
            PathAccess::None
        );
        assert_eq!(
            effective_access(&policy, &ws.join("src/new.txt")),
            PathAccess::Write
        );
    }
}
