//! Permission profiles: `default_permissions = "<name>"` and `[permissions.<name>]`, the
//! built-ins `:read-only`, `:workspace` and `:danger-full-access`, and the legacy
//! `sandbox_mode` (+ `[sandbox_workspace_write]`) derived into an equivalent profile.
//!
//! ```toml
//! default_permissions = "dev"
//!
//! [permissions.dev]
//! extends = ":workspace"            # a built-in or another [permissions.<name>]
//! description = "workspace, no secrets"
//! network.enabled = true
//!
//! [permissions.dev.filesystem]
//! ":root" = "read"                  # everything not named below: read | none | write
//! ":project_roots" = { "." = "write", "secrets" = "none" }   # cwd and --add-dir roots
//! ":slash_tmp" = "write"            # /tmp
//! ":tmpdir" = "write"               # $TMPDIR
//! "~/.ssh" = "none"                 # ~/ is $HOME; relative paths resolve against the file's dir
//! "../shared" = "read"
//! ```
//!
//! Semantics (what the sandbox enforces): the deepest path covering a file decides its access;
//! at the same path the most restrictive wins. `extends` merges key by key: the child's
//! entries replace the parent's for the same key (a string value `K = "write"` is the same key
//! as `K = { "." = "write" }`), `network.enabled` replaces the parent's when set. Chains may
//! be any length; a cycle is an error naming the chain.
//!
//! Which permissions apply, strongest first: `-s/--sandbox` (and `--full-auto`, `--yolo`),
//! then a profile chosen with `-P/--permissions-profile`, then `sandbox_mode`, then
//! `default_permissions` — as upstream 0.169, where the legacy key wins when both are set
//! (upstream-inventory SBX-08). The losing setting is reported in [`PermissionProfile::note`].
//!
//! The built-ins cannot be redefined. `:workspace` honours `[sandbox_workspace_write]`
//! (`writable_roots`, `network_access`, `exclude_slash_tmp`, `exclude_tmpdir_env_var`), so
//! `-P :workspace` is exactly `sandbox_mode = "workspace-write"`.
//!
//! Not supported yet (reported as unknown keys): network domain rules, `workspace_roots`, glob
//! patterns in filesystem keys (an error, so a rule never silently matches nothing).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use codex_protocol::SandboxMode;
use serde::Deserialize;

use crate::config_toml::SandboxWorkspaceWrite;
use crate::env::Env;
use crate::error::{ConfigError, Origin};
use crate::layers::{LayerStack, Target, dotted};

/// The built-in profile names, in the order messages list them.
pub const BUILTIN_PERMISSION_PROFILES: [&str; 3] =
    [":read-only", ":workspace", ":danger-full-access"];

/// `[permissions.<name>]` as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PermissionProfileToml {
    /// A built-in or another `[permissions.<name>]` this profile starts from.
    pub extends: Option<String>,
    /// Free text, shown to the model with the profile name.
    pub description: Option<String>,
    /// Path or special (`:root`, `:project_roots`, `:tmpdir`, `:slash_tmp`) → `"read"` |
    /// `"write"` | `"none"`, or a table of relative sub-paths (`"."` is the path itself) →
    /// access. Kept as TOML values so errors can name the exact key.
    #[serde(default)]
    pub filesystem: BTreeMap<String, toml::Value>,
    pub network: Option<NetworkPermissionsToml>,
}

/// `[permissions.<name>.network]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NetworkPermissionsToml {
    pub enabled: Option<bool>,
}

/// Access to a path: `"read"`, `"write"` or `"none"`. Ordered `None < Read < Write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileSystemAccess {
    None,
    Read,
    Write,
}

impl FileSystemAccess {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FileSystemAccess::None => "none",
            FileSystemAccess::Read => "read",
            FileSystemAccess::Write => "write",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(FileSystemAccess::None),
            "read" => Some(FileSystemAccess::Read),
            "write" => Some(FileSystemAccess::Write),
            _ => None,
        }
    }
}

/// What chose the permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionsSource {
    /// Nothing was configured: `:read-only`.
    Default,
    /// `sandbox_mode` in a config file or `-c`.
    SandboxMode,
    /// `-s/--sandbox` (or `--full-auto`, `--yolo`).
    SandboxFlag,
    /// `default_permissions`.
    DefaultPermissions,
    /// `-P/--permissions-profile`.
    PermissionsFlag,
}

/// The resolved permissions commands run with. Paths are absolute and lexically normal
/// (`~/` expanded, relative paths resolved against the directory of the file that wrote them,
/// `:project_roots` expanded to the cwd and the `--add-dir` roots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionProfile {
    /// `:read-only`, `:workspace`, `:danger-full-access` (also for a legacy `sandbox_mode`)
    /// or the `[permissions.<name>]` name.
    pub name: String,
    /// The profile's `description`, if any.
    pub description: Option<String>,
    pub source: PermissionsSource,
    /// `:root`: everything no path below covers. `read` unless set.
    pub root: FileSystemAccess,
    /// Paths and their access, project roots first (the cwd first of all), one entry per path
    /// (the most restrictive when two keys name the same path).
    pub paths: Vec<(PathBuf, FileSystemAccess)>,
    /// `:slash_tmp` (`/tmp`), when named.
    pub slash_tmp: Option<FileSystemAccess>,
    /// `:tmpdir` (the commands' `$TMPDIR`), when named.
    pub tmpdir: Option<FileSystemAccess>,
    /// `network.enabled` (false unless set).
    pub network_enabled: bool,
    /// A setting that was ignored because this profile won, with both locations; show it as
    /// a warning.
    pub note: Option<String>,
}

impl PermissionProfile {
    /// The legacy mode this profile amounts to, for code that only knows modes (approvals,
    /// the `<environment_context>`, rollouts): `danger-full-access` when nothing is
    /// restricted (`:root = "write"`, no narrower path, network on), `workspace-write` when
    /// anything is writable, else `read-only`.
    pub fn sandbox_mode(&self) -> SandboxMode {
        let writes = |a: &Option<FileSystemAccess>| *a == Some(FileSystemAccess::Write);
        let unrestricted = self.root == FileSystemAccess::Write
            && self.network_enabled
            && self
                .paths
                .iter()
                .all(|(_, a)| *a == FileSystemAccess::Write)
            && [self.slash_tmp, self.tmpdir]
                .iter()
                .all(|a| a.is_none() || writes(a));
        if unrestricted {
            SandboxMode::DangerFullAccess
        } else if self.root == FileSystemAccess::Write
            || self
                .paths
                .iter()
                .any(|(_, a)| *a == FileSystemAccess::Write)
            || writes(&self.slash_tmp)
            || writes(&self.tmpdir)
        {
            SandboxMode::WorkspaceWrite
        } else {
            SandboxMode::ReadOnly
        }
    }

    /// Whether this is a `[permissions.<name>]` profile (not a built-in or `sandbox_mode`).
    pub fn is_user_defined(&self) -> bool {
        !self.name.starts_with(':')
    }
}

/// What resolving needs from the loader.
pub(crate) struct PermissionsInput<'a> {
    pub stack: &'a LayerStack,
    pub config_file: &'a Path,
    pub env: &'a Env,
    pub cwd: &'a Path,
    /// cwd first, then `--add-dir` roots (absolute).
    pub project_roots: Vec<PathBuf>,
    /// `[sandbox_workspace_write]`, `writable_roots` already absolute.
    pub workspace_write: &'a SandboxWorkspaceWrite,
    pub profiles: &'a BTreeMap<String, PermissionProfileToml>,
    pub default_permissions: Option<&'a str>,
    pub sandbox_mode: Option<SandboxMode>,
    /// `-s/--sandbox`.
    pub sandbox_flag: Option<SandboxMode>,
    /// `-P/--permissions-profile`.
    pub profile_flag: Option<&'a str>,
}

/// Where a profile name was chosen, for error messages.
enum Chooser {
    Flag,
    Key(Vec<String>),
}

/// One flattened filesystem rule: `filesystem.<key>` (sub `.`) or `filesystem.<key>.<sub>`.
#[derive(Clone)]
struct RawRule {
    access: FileSystemAccess,
    /// Where it was written (empty for built-ins), for the base dir of relative paths.
    key_path: Vec<String>,
}

/// Merged rules of an `extends` chain: (key, sub) → rule.
#[derive(Default)]
struct Merged {
    rules: BTreeMap<(String, String), RawRule>,
    network: Option<bool>,
    description: Option<String>,
}

/// Resolves the permissions (see the module docs for the precedence).
pub(crate) fn resolve_permissions(
    input: &PermissionsInput<'_>,
) -> Result<PermissionProfile, ConfigError> {
    for name in input.profiles.keys() {
        if name.starts_with(':') {
            let (origin, key) = locate(input, &["permissions", name], Target::Key);
            return Err(ConfigError::BuiltinPermissionsProfile {
                origin,
                key,
                name: name.clone(),
            });
        }
    }
    if let Some(mode) = input.sandbox_flag {
        return Ok(legacy(input, mode, PermissionsSource::SandboxFlag));
    }
    let chosen = match (input.profile_flag, input.default_permissions) {
        (Some(name), _) => Some((name, Chooser::Flag, PermissionsSource::PermissionsFlag)),
        // As upstream: the legacy `sandbox_mode` wins over `default_permissions` when both
        // are set (upstream-inventory SBX-08); only the `-P` flag overrides it.
        (None, Some(name)) if input.sandbox_mode.is_none() => Some((
            name,
            Chooser::Key(vec!["default_permissions".to_owned()]),
            PermissionsSource::DefaultPermissions,
        )),
        (None, _) => None,
    };
    let Some((name, chooser, source)) = chosen else {
        return Ok(match input.sandbox_mode {
            Some(mode) => {
                let mut profile = legacy(input, mode, PermissionsSource::SandboxMode);
                if let Some(name) = input.default_permissions {
                    let (mode_origin, _) = locate(input, &["sandbox_mode"], Target::Value);
                    let (origin, _) = locate(input, &["default_permissions"], Target::Value);
                    profile.note = Some(format!(
                        "default_permissions = \"{name}\" ({origin}) is ignored: sandbox_mode ({mode_origin}) is set and wins; remove it to use the profile"
                    ));
                }
                profile
            }
            None => legacy(input, SandboxMode::ReadOnly, PermissionsSource::Default),
        });
    };
    let merged = merge_chain(input, name, &chooser)?;
    let mut profile = build(input, name, merged, source)?;
    if input.sandbox_mode.is_some() {
        let (mode_origin, _) = locate(input, &["sandbox_mode"], Target::Value);
        let by = match &chooser {
            Chooser::Flag => format!("--permissions-profile {name}"),
            Chooser::Key(path) => {
                let (origin, _) = locate_strings(input, path, Target::Value);
                format!("default_permissions = \"{name}\" ({origin})")
            }
        };
        profile.note = Some(format!(
            "sandbox_mode ({mode_origin}) is ignored: {by} chooses the permissions"
        ));
    }
    Ok(profile)
}

/// The profile a legacy `sandbox_mode` amounts to: the built-in of the same name.
fn legacy(
    input: &PermissionsInput<'_>,
    mode: SandboxMode,
    source: PermissionsSource,
) -> PermissionProfile {
    let name = match mode {
        SandboxMode::ReadOnly => ":read-only",
        SandboxMode::WorkspaceWrite => ":workspace",
        SandboxMode::DangerFullAccess => ":danger-full-access",
    };
    let merged = builtin(input, name).unwrap_or_default();
    // Built-ins have only well-formed rules and no file positions: building cannot fail.
    build(input, name, merged, source).unwrap_or_else(|_| PermissionProfile {
        name: name.to_owned(),
        description: None,
        source,
        root: FileSystemAccess::Read,
        paths: Vec::new(),
        slash_tmp: None,
        tmpdir: None,
        network_enabled: false,
        note: None,
    })
}

/// The raw rules of a built-in profile; `None` for other names.
fn builtin(input: &PermissionsInput<'_>, name: &str) -> Option<Merged> {
    let rule = |access| RawRule {
        access,
        key_path: Vec::new(),
    };
    let mut merged = Merged::default();
    let mut set = |key: &str, access| {
        merged
            .rules
            .insert((key.to_owned(), ".".to_owned()), rule(access));
    };
    match name {
        ":read-only" => {
            set(":root", FileSystemAccess::Read);
            merged.network = Some(false);
        }
        ":workspace" => {
            let ww = input.workspace_write;
            set(":root", FileSystemAccess::Read);
            set(":project_roots", FileSystemAccess::Write);
            if !ww.exclude_slash_tmp {
                set(":slash_tmp", FileSystemAccess::Write);
            }
            if !ww.exclude_tmpdir_env_var {
                set(":tmpdir", FileSystemAccess::Write);
            }
            for root in &ww.writable_roots {
                set(&root.to_string_lossy(), FileSystemAccess::Write);
            }
            merged.network = Some(ww.network_access);
        }
        ":danger-full-access" => {
            set(":root", FileSystemAccess::Write);
            merged.network = Some(true);
        }
        _ => return None,
    }
    Some(merged)
}

/// Follows `extends` from `name` up to a built-in or a profile without `extends`, then merges
/// the chain top-down.
fn merge_chain(
    input: &PermissionsInput<'_>,
    name: &str,
    chooser: &Chooser,
) -> Result<Merged, ConfigError> {
    let mut chain: Vec<String> = Vec::new();
    let mut current = name.to_owned();
    let mut referrer: Option<Vec<String>> = match chooser {
        Chooser::Flag => None,
        Chooser::Key(path) => Some(path.clone()),
    };
    let base = loop {
        if let Some(pos) = chain.iter().position(|n| *n == current) {
            let mut cycle: Vec<String> = chain.get(pos..).map(<[_]>::to_vec).unwrap_or_default();
            cycle.push(current.clone());
            let last = chain.last().cloned().unwrap_or_default();
            let (origin, key) = locate(input, &["permissions", &last, "extends"], Target::Value);
            return Err(ConfigError::PermissionsExtendsCycle { origin, key, cycle });
        }
        if let Some(merged) = builtin(input, &current) {
            break merged;
        }
        let Some(profile) = input.profiles.get(&current) else {
            let (origin, key) = match &referrer {
                Some(path) => locate_strings(input, path, Target::Value),
                None => (
                    Origin::Flag {
                        flag: "--permissions-profile",
                    },
                    "default_permissions".to_owned(),
                ),
            };
            let mut defined: Vec<String> = input.profiles.keys().cloned().collect();
            defined.sort();
            return Err(ConfigError::UnknownPermissionsProfile {
                origin,
                key,
                name: current,
                defined,
            });
        };
        chain.push(current.clone());
        match &profile.extends {
            Some(parent) => {
                referrer = Some(vec![
                    "permissions".to_owned(),
                    current.clone(),
                    "extends".to_owned(),
                ]);
                current = parent.clone();
            }
            None => break Merged::default(),
        }
    };
    let mut merged = base;
    for name in chain.iter().rev() {
        let Some(profile) = input.profiles.get(name) else {
            continue;
        };
        if let Some(enabled) = profile.network.as_ref().and_then(|n| n.enabled) {
            merged.network = Some(enabled);
        }
        if profile.description.is_some() {
            merged.description.clone_from(&profile.description);
        }
        for (key, value) in &profile.filesystem {
            let key_path = |sub: Option<&str>| {
                let mut p = vec![
                    "permissions".to_owned(),
                    name.clone(),
                    "filesystem".to_owned(),
                    key.clone(),
                ];
                p.extend(sub.map(str::to_owned));
                p
            };
            match value {
                toml::Value::Table(subs) => {
                    for (sub, v) in subs {
                        let path = key_path(Some(sub));
                        let access = access_of(input, v, &path)?;
                        merged.rules.insert(
                            (key.clone(), sub.clone()),
                            RawRule {
                                access,
                                key_path: path,
                            },
                        );
                    }
                }
                other => {
                    let path = key_path(None);
                    let access = access_of(input, other, &path)?;
                    merged.rules.insert(
                        (key.clone(), ".".to_owned()),
                        RawRule {
                            access,
                            key_path: path,
                        },
                    );
                }
            }
        }
    }
    Ok(merged)
}

fn access_of(
    input: &PermissionsInput<'_>,
    value: &toml::Value,
    path: &[String],
) -> Result<FileSystemAccess, ConfigError> {
    match value.as_str().and_then(FileSystemAccess::parse) {
        Some(access) => Ok(access),
        None => {
            let (origin, key) = locate_strings(input, path, Target::Value);
            Err(ConfigError::InvalidValue {
                origin,
                key,
                message: format!(
                    "expected \"read\", \"write\", \"none\" or a table of sub-paths, got {}",
                    describe(value)
                ),
            })
        }
    }
}

fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("\"{s}\""),
        other => {
            let kind = other.type_str();
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {kind}")
        }
    }
}

/// Turns merged raw rules into the resolved profile.
fn build(
    input: &PermissionsInput<'_>,
    name: &str,
    merged: Merged,
    source: PermissionsSource,
) -> Result<PermissionProfile, ConfigError> {
    let mut root = FileSystemAccess::Read;
    let mut slash_tmp = None;
    let mut tmpdir = None;
    // ((root index, is a sub-path), path, access): sorted so each root's "." comes first and
    // the cwd leads the list.
    let mut project: Vec<((usize, bool), PathBuf, FileSystemAccess)> = Vec::new();
    let mut other: Vec<(PathBuf, FileSystemAccess)> = Vec::new();
    let tmpdir_value = input.env.get_non_empty("TMPDIR").map(PathBuf::from);
    for ((key, sub), rule) in &merged.rules {
        if key.contains(['*', '?']) || sub.contains(['*', '?']) {
            return Err(invalid(
                input,
                rule,
                "glob patterns are not supported yet; name the paths",
            ));
        }
        let sub_path = Path::new(sub);
        if sub_path.is_absolute() || sub.starts_with('~') {
            return Err(invalid(
                input,
                rule,
                "a sub-path must be relative to its parent key",
            ));
        }
        let under = |base: &Path| -> PathBuf {
            if sub == "." {
                normalize(base)
            } else {
                normalize(&base.join(sub_path))
            }
        };
        match key.as_str() {
            ":root" if sub == "." => root = rule.access,
            ":root" => other.push((under(Path::new("/")), rule.access)),
            ":project_roots" => {
                for (i, r) in input.project_roots.iter().enumerate() {
                    project.push(((i, sub != "."), under(r), rule.access));
                }
            }
            ":slash_tmp" if sub == "." => slash_tmp = Some(rule.access),
            ":slash_tmp" => other.push((under(Path::new("/tmp")), rule.access)),
            ":tmpdir" if sub == "." => tmpdir = Some(rule.access),
            ":tmpdir" => {
                if let Some(t) = &tmpdir_value {
                    other.push((under(t), rule.access));
                }
            }
            special if special.starts_with(':') => {
                return Err(invalid(
                    input,
                    rule,
                    &format!(
                        "unknown special path `{special}`; known: :root, :project_roots, :tmpdir, :slash_tmp"
                    ),
                ));
            }
            path => {
                let base = expand_home(Path::new(path), input.env);
                let base = if base.is_absolute() {
                    base
                } else {
                    base_dir(input, &rule.key_path).join(base)
                };
                let resolved = under(&base);
                if resolved == Path::new("/") {
                    root = rule.access;
                } else {
                    other.push((resolved, rule.access));
                }
            }
        }
    }
    project.sort_by_key(|(order, _, _)| *order);
    let project = project.into_iter().map(|(_, p, a)| (p, a));
    let mut paths: Vec<(PathBuf, FileSystemAccess)> = Vec::new();
    for (path, access) in project.chain(other) {
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, existing)) => *existing = (*existing).min(access),
            None => paths.push((path, access)),
        }
    }
    Ok(PermissionProfile {
        name: name.to_owned(),
        description: merged.description,
        source,
        root,
        paths,
        slash_tmp,
        tmpdir,
        network_enabled: merged.network.unwrap_or(false),
        note: None,
    })
}

fn invalid(input: &PermissionsInput<'_>, rule: &RawRule, message: &str) -> ConfigError {
    let (origin, key) = locate_strings(input, &rule.key_path, Target::Key);
    ConfigError::InvalidValue {
        origin,
        key,
        message: message.to_owned(),
    }
}

fn locate(input: &PermissionsInput<'_>, path: &[&str], target: Target) -> (Origin, String) {
    let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
    locate_strings(input, &path, target)
}

fn locate_strings(
    input: &PermissionsInput<'_>,
    path: &[String],
    target: Target,
) -> (Origin, String) {
    match input.stack.locate(path, target) {
        Some(l) => (l.origin, l.key),
        None => (
            Origin::FileUnknownPosition {
                path: input.config_file.to_owned(),
            },
            dotted(path),
        ),
    }
}

/// The directory relative paths written at `key_path` resolve against: the directory of the
/// file that wrote them (the cwd for `-c` and built-ins).
fn base_dir(input: &PermissionsInput<'_>, key_path: &[String]) -> PathBuf {
    if key_path.is_empty() {
        return input.cwd.to_owned();
    }
    input
        .stack
        .locate(key_path, Target::Key)
        .map_or_else(|| input.cwd.to_owned(), |l| l.base_dir)
}

pub(crate) fn expand_home(path: &Path, env: &Env) -> PathBuf {
    match (path.strip_prefix("~"), env.get_non_empty("HOME")) {
        (Ok(rest), Some(home)) => Path::new(home).join(rest),
        _ => path.to_owned(),
    }
}

/// `.` removed and `..` applied lexically.
fn normalize(path: &Path) -> PathBuf {
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
