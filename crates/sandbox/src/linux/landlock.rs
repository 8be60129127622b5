//! The Landlock ruleset of the fallback backend.
//!
//! Read and execute everywhere (unless a profile says `:root = "none"`); full write access
//! beneath the writable roots (except creating device nodes); read/write/ioctl on a short list of harmless devices (never `/dev/sd*` or
//! `/dev/mem`, which a root caller could otherwise still open by DAC). With the network off,
//! TCP bind/connect are handled with no allowed port (ABI >= 4) and abstract unix sockets
//! outside the sandbox are scoped away (ABI >= 6). Signals to processes outside the sandbox
//! are always scoped away (ABI >= 6). The ABI is the one measured on the project machines
//! (7); newer kernels enforce the same rights, older ones a subset (best effort), and a kernel
//! without Landlock is an error, never a silent no-op.
//!
//! **Path rules** (permission profiles). Landlock can only grant: a rule on a directory
//! applies to everything beneath it, and rules add up. So where a deeper rule takes access
//! away (a `read` or `none` path inside a writable or readable one), [`grants`] does not grant
//! the shallower directory itself but each of its entries on the way down, leaving out the
//! restricted path. Consequences: entries created later directly inside such a split directory
//! get no access (creating a new file next to a hidden one fails with `EACCES`), the split
//! directory itself cannot be listed, and symlinks among the entries are not granted (their
//! targets keep whatever access their own location has). `.git`/`.codex`/`.agents` protection
//! is not done this way, because splitting every workspace would stop commands from creating
//! top-level files; [`crate::Probe::warning`] says so.

use std::path::{Path, PathBuf};

use crate::policy::PathAccess;

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};

/// The ABI whose rights we ask for (tested on Linux 6.18).
const TARGET_ABI: ABI = ABI::V7;

/// Devices a command may open read/write (and `ioctl`, for terminals).
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

#[derive(Debug, thiserror::Error)]
pub(crate) enum LandlockError {
    #[error("landlock: {0}")]
    Ruleset(#[from] landlock::RulesetError),
    #[error(
        "landlock is not enforced by this kernel (needs Linux 5.13+ with `landlock` in the `lsm=` boot list)"
    )]
    NotEnforced,
}

/// Restricts the calling thread (and what it executes) to the policy: `root` is the access of
/// `/`, `rules` the path rules (the deepest covering rule decides; see [`grants`]). Sets
/// `no_new_privs`.
pub(crate) fn restrict(
    root: PathAccess,
    rules: &[(PathBuf, PathAccess)],
    network: bool,
) -> Result<(), LandlockError> {
    let abi = TARGET_ABI;
    let mut ruleset = landlock::Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))?;
    if !network {
        ruleset = ruleset.handle_access(AccessNet::from_all(abi))?;
    }
    let mut scopes: BitFlags<Scope> = Scope::Signal.into();
    if !network {
        scopes |= Scope::AbstractUnixSocket;
    }
    ruleset = ruleset.scope(scopes)?;

    let write = AccessFs::from_all(abi) & !(AccessFs::MakeChar | AccessFs::MakeBlock);
    let device = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate | AccessFs::IoctlDev;
    let granted = grants(root, rules, &list_dir);
    let readable = granted
        .iter()
        .filter(|(_, a)| *a == PathAccess::Read)
        .map(|(p, _)| p);
    let writable = granted
        .iter()
        .filter(|(_, a)| *a == PathAccess::Write)
        .map(|(p, _)| p);
    let status = ruleset
        .create()?
        .add_rules(path_beneath_rules(readable, AccessFs::from_read(abi)))?
        .add_rules(path_beneath_rules(DEVICES, device))?
        .add_rules(path_beneath_rules(writable, write))?
        .restrict_self()?;
    match status.ruleset {
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Ok(()),
        RulesetStatus::NotEnforced => Err(LandlockError::NotEnforced),
    }
}

/// One directory entry as [`grants`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: std::ffi::OsString,
    pub is_symlink: bool,
}

/// The entries of `dir`; empty when it cannot be read (nothing beneath is granted then).
fn list_dir(dir: &Path) -> Vec<Entry> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| Entry {
            name: e.file_name(),
            is_symlink: e.file_type().is_ok_and(|t| t.is_symlink()),
        })
        .collect()
}

/// The Landlock grants (path, `Read` or `Write`) that give every path the access of the deepest
/// rule covering it, `root` covering everything. Rules are absolute canonical paths; at the
/// same path the most restrictive wins. A directory is granted whole when no rule beneath it
/// has less access; otherwise it is split into its entries (from `list`, symlinks skipped).
pub(crate) fn grants(
    root: PathAccess,
    rules: &[(PathBuf, PathAccess)],
    list: &dyn Fn(&Path) -> Vec<Entry>,
) -> Vec<(PathBuf, PathAccess)> {
    let mut unique: Vec<(PathBuf, PathAccess)> = Vec::new();
    for (path, access) in rules {
        match unique.iter_mut().find(|(p, _)| p == path) {
            Some((_, existing)) => *existing = (*existing).min(*access),
            None => unique.push((path.clone(), *access)),
        }
    }
    let root_path = Path::new("/");
    let (root, below): (PathAccess, Vec<_>) = match unique.iter().position(|(p, _)| p == root_path)
    {
        Some(i) => {
            let (_, access) = unique.remove(i);
            (access.min(root), unique)
        }
        None => (root, unique),
    };
    let mut out = Vec::new();
    visit(root_path, root, &below, list, &mut out);
    out
}

/// Grants for `node` with access `access`; `below` holds the rules strictly beneath it.
fn visit(
    node: &Path,
    access: PathAccess,
    below: &[(PathBuf, PathAccess)],
    list: &dyn Fn(&Path) -> Vec<Entry>,
    out: &mut Vec<(PathBuf, PathAccess)>,
) {
    if below.iter().all(|(_, a)| *a >= access) {
        if access > PathAccess::None {
            out.push((node.to_path_buf(), access));
        }
        // Deeper rules only add access from here; each handles its own subtree.
        for (path, a) in below {
            let nested = below
                .iter()
                .any(|(p, _)| p != path && path.starts_with(p) && p.starts_with(node));
            if !nested {
                let sub: Vec<_> = strictly_below(path, below);
                visit(path, *a, &sub, list, out);
            }
        }
        return;
    }
    // Some rule beneath takes access away: grant the entries instead of `node`.
    let mut children: Vec<(PathBuf, bool)> = list(node)
        .into_iter()
        .map(|e| (node.join(&e.name), e.is_symlink))
        .collect();
    for (path, _) in below {
        if let Ok(rest) = path.strip_prefix(node)
            && let Some(first) = rest.components().next()
        {
            let child = node.join(first);
            if !children.iter().any(|(c, _)| *c == child) {
                children.push((child, false));
            }
        }
    }
    for (child, is_symlink) in children {
        match below.iter().find(|(p, _)| *p == child) {
            Some((_, a)) => {
                let sub = strictly_below(&child, below);
                visit(&child, *a, &sub, list, out);
            }
            None => {
                let sub = strictly_below(&child, below);
                if !sub.is_empty() {
                    visit(&child, access, &sub, list, out);
                } else if !is_symlink && access > PathAccess::None {
                    out.push((child, access));
                }
            }
        }
    }
}

fn strictly_below(node: &Path, rules: &[(PathBuf, PathAccess)]) -> Vec<(PathBuf, PathAccess)> {
    rules
        .iter()
        .filter(|(p, _)| p != node && p.starts_with(node))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::collections::BTreeMap;

    /// A fake tree: directory → entries (`@name` is a symlink).
    fn tree(dirs: &[(&str, &[&str])]) -> impl Fn(&Path) -> Vec<Entry> {
        let map: BTreeMap<PathBuf, Vec<Entry>> = dirs
            .iter()
            .map(|(d, names)| {
                let entries = names
                    .iter()
                    .map(|n| Entry {
                        name: n.trim_start_matches('@').into(),
                        is_symlink: n.starts_with('@'),
                    })
                    .collect();
                (PathBuf::from(d), entries)
            })
            .collect();
        move |p: &Path| map.get(p).cloned().unwrap_or_default()
    }

    fn rules(list: &[(&str, PathAccess)]) -> Vec<(PathBuf, PathAccess)> {
        list.iter().map(|(p, a)| (PathBuf::from(p), *a)).collect()
    }

    use PathAccess::{None as N, Read as R, Write as W};

    #[test]
    fn legacy_rules_need_no_split() {
        let list = tree(&[]);
        let got = grants(R, &rules(&[("/w", W), ("/tmp", W), ("/w/sub", W)]), &list);
        assert_eq!(
            got,
            rules(&[("/", R), ("/w", W), ("/w/sub", W), ("/tmp", W)])
        );
    }

    #[test]
    fn a_hidden_path_splits_its_ancestors() {
        let list = tree(&[
            ("/", &["etc", "home", "@bin"]),
            ("/home", &["u"]),
            ("/home/u", &["ws", ".ssh", "notes"]),
            ("/home/u/ws", &["src", "secret", "@link"]),
        ]);
        let got = grants(
            R,
            &rules(&[
                ("/home/u/ws", W),
                ("/home/u/ws/secret", N),
                ("/home/u/.ssh", N),
            ]),
            &list,
        );
        assert_eq!(
            got,
            rules(&[("/etc", R), ("/home/u/ws/src", W), ("/home/u/notes", R),])
        );
    }

    #[test]
    fn deeper_rules_re_grant_inside_hidden_and_read_only_paths() {
        let list = tree(&[("/", &["usr", "w"]), ("/w", &["docs", "src"])]);
        let got = grants(
            N,
            &rules(&[
                ("/usr", R),
                ("/w", W),
                ("/w/docs", R),
                ("/w/docs/gen", W),
                ("/w/src/private", N),
            ]),
            &list,
        );
        assert_eq!(
            got,
            rules(&[
                ("/usr", R),
                ("/w/docs", R),
                ("/w/docs/gen", W),
                // `/w/src` is not listed by the fake tree: nothing else inside it is granted.
            ])
        );
    }

    #[test]
    fn same_path_most_restrictive_and_root_rule() {
        let list = tree(&[("/", &["a", "b"])]);
        let got = grants(R, &rules(&[("/a", W), ("/a", N), ("/", R)]), &list);
        assert_eq!(got, rules(&[("/b", R)]));
    }
}
