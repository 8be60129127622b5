//! Permission profiles: built-ins, `[permissions.<name>]` with `extends`, the legacy
//! `sandbox_mode` derivation, which setting wins, and errors with positions.

use std::path::PathBuf;

use codex_config::{ConfigOverrides, Env, FileSystemAccess, PermissionProfile, PermissionsSource};
use codex_protocol::SandboxMode;
use pretty_assertions::assert_eq;

use super::harness::Home;

use FileSystemAccess::{None as N, Read as R, Write as W};

fn cwd(home: &Home) -> PathBuf {
    std::fs::canonicalize(home.cwd.path()).unwrap()
}

fn with_env(mut home: Home) -> Home {
    home.env = Env::from_iter([("HOME", "/home/u"), ("TMPDIR", "/var/tmp/u")]);
    home
}

#[test]
fn nothing_configured_is_read_only() {
    let home = Home::new();
    let config = home.load(&[]);
    assert_eq!(
        config.permissions,
        PermissionProfile {
            name: ":read-only".into(),
            description: None,
            source: PermissionsSource::Default,
            root: R,
            paths: vec![],
            slash_tmp: None,
            tmpdir: None,
            network_enabled: false,
            note: None,
        }
    );
    assert_eq!(config.sandbox_mode, SandboxMode::ReadOnly);
}

#[test]
fn legacy_workspace_write_becomes_the_workspace_profile() {
    let home = Home::with_config(
        r#"sandbox_mode = "workspace-write"
[sandbox_workspace_write]
writable_roots = ["shared"]
network_access = true
exclude_slash_tmp = true
"#,
    );
    let overrides = ConfigOverrides {
        additional_writable_roots: vec!["extra".into()],
        ..home.overrides()
    };
    let config = home.load_with(&[], overrides);
    let cwd = cwd(&home);
    assert_eq!(
        config.permissions,
        PermissionProfile {
            name: ":workspace".into(),
            description: None,
            source: PermissionsSource::SandboxMode,
            root: R,
            paths: vec![
                (cwd.clone(), W),
                (cwd.join("extra"), W),
                (home.path().join("shared"), W),
            ],
            slash_tmp: None,
            tmpdir: Some(W),
            network_enabled: true,
            note: None,
        }
    );
    assert_eq!(config.sandbox_mode, SandboxMode::WorkspaceWrite);

    let full = home.load(&["sandbox_mode=danger-full-access"]);
    assert_eq!(full.permissions.name, ":danger-full-access");
    assert_eq!(full.permissions.root, W);
    assert_eq!(full.sandbox_mode, SandboxMode::DangerFullAccess);
}

#[test]
fn user_profile_with_an_extends_chain() {
    let home = with_env(Home::with_config(
        r#"default_permissions = "dev"

[permissions.dev]
extends = "base"
description = "workspace without secrets"

[permissions.dev.filesystem]
":project_roots" = { "." = "write", "secrets" = "none" }
"~/.ssh" = "none"
"notes/../docs" = "read"
":tmpdir" = "read"

[permissions.base]
extends = ":workspace"
network.enabled = true

[permissions.base.filesystem]
"/opt/cache" = "write"
":slash_tmp" = "none"
"#,
    ));
    let config = home.load(&[]);
    let cwd = cwd(&home);
    assert_eq!(
        config.permissions,
        PermissionProfile {
            name: "dev".into(),
            description: Some("workspace without secrets".into()),
            source: PermissionsSource::DefaultPermissions,
            root: R,
            paths: vec![
                (cwd.clone(), W),
                (cwd.join("secrets"), N),
                // Other paths in key order; relative ones resolve against the directory of
                // config.toml.
                (PathBuf::from("/opt/cache"), W),
                (home.path().join("docs"), R),
                (PathBuf::from("/home/u/.ssh"), N),
            ],
            slash_tmp: Some(N),
            // The child's `read` replaces the inherited `write`.
            tmpdir: Some(R),
            network_enabled: true,
            note: None,
        }
    );
    assert_eq!(config.sandbox_mode, SandboxMode::WorkspaceWrite);
}

#[test]
fn root_access_decides_the_equivalent_mode() {
    let home = Home::with_config(
        r#"[permissions.open]
extends = ":danger-full-access"

[permissions.open-but-private]
extends = ":danger-full-access"
filesystem = { "/srv/private" = "none" }

[permissions.nothing]
filesystem = { ":root" = "none", "/srv/data" = "read" }
network.enabled = true
"#,
    );
    let mode = |name: &str| {
        let overrides = ConfigOverrides {
            permissions_profile: Some(name.into()),
            ..home.overrides()
        };
        let config = home.load_with(&[], overrides);
        assert_eq!(
            config.permissions.source,
            PermissionsSource::PermissionsFlag
        );
        (config.sandbox_mode, config.permissions)
    };
    assert_eq!(mode("open").0, SandboxMode::DangerFullAccess);
    assert_eq!(mode("open-but-private").0, SandboxMode::WorkspaceWrite);
    let (m, p) = mode("nothing");
    assert_eq!(m, SandboxMode::ReadOnly);
    assert_eq!(p.root, N);
    assert!(p.network_enabled);
    assert_eq!(mode(":workspace").0, SandboxMode::WorkspaceWrite);
}

#[test]
fn which_setting_wins() {
    let home = Home::with_config(
        "sandbox_mode = \"danger-full-access\"\ndefault_permissions = \"ro\"\n[permissions.ro]\nextends = \":read-only\"\n",
    );
    let file = home.file("config.toml");
    // As upstream: the legacy `sandbox_mode` beats `default_permissions`, and says so.
    let config = home.load(&[]);
    assert_eq!(config.permissions.name, ":danger-full-access");
    assert_eq!(config.sandbox_mode, SandboxMode::DangerFullAccess);
    assert_eq!(
        config.permissions.note.as_deref(),
        Some(
            format!(
                "default_permissions = \"ro\" ({}:2:23) is ignored: sandbox_mode ({}:1:16) is set and wins; remove it to use the profile",
                file.display(),
                file.display()
            )
            .as_str()
        )
    );
    // `-P` beats `default_permissions`.
    let by_flag = ConfigOverrides {
        permissions_profile: Some(":workspace".into()),
        ..home.overrides()
    };
    let config = home.load_with(&[], by_flag.clone());
    assert_eq!(config.permissions.name, ":workspace");
    assert_eq!(
        config.permissions.note.as_deref(),
        Some(
            format!(
                "sandbox_mode ({}:1:16) is ignored: --permissions-profile :workspace chooses the permissions",
                file.display()
            )
            .as_str()
        )
    );
    // `-s` beats everything.
    let sandbox_flag = ConfigOverrides {
        sandbox_mode: Some(SandboxMode::WorkspaceWrite),
        ..by_flag
    };
    let config = home.load_with(&[], sandbox_flag);
    assert_eq!(config.permissions.name, ":workspace");
    assert_eq!(config.permissions.source, PermissionsSource::SandboxFlag);
    assert_eq!(config.permissions.note, None);
    // `-c default_permissions=...` selects too.
    let config = home.load(&["default_permissions=\":danger-full-access\""]);
    assert_eq!(config.sandbox_mode, SandboxMode::DangerFullAccess);
}

#[test]
fn unknown_profiles_name_where_they_were_asked_for() {
    let home = Home::with_config(
        "default_permissions = \"nope\"\n[permissions.dev]\nextends = \"missing\"\n",
    );
    let file = home.file("config.toml");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:1:23: default_permissions: unknown permissions profile `nope`; built-in: :read-only, :workspace, :danger-full-access; defined: dev",
            file.display()
        )
    );
    assert_eq!(
        home.error(&["default_permissions=\"dev\""]),
        format!(
            "{}:3:11: permissions.dev.extends: unknown permissions profile `missing`; built-in: :read-only, :workspace, :danger-full-access; defined: dev",
            file.display()
        )
    );
    let flag = ConfigOverrides {
        permissions_profile: Some("other".into()),
        ..home.overrides()
    };
    assert_eq!(
        home.error_with(&[], flag),
        "--permissions-profile: default_permissions: unknown permissions profile `other`; built-in: :read-only, :workspace, :danger-full-access; defined: dev"
    );
}

#[test]
fn extends_cycles_are_named() {
    let home = Home::with_config(
        r#"default_permissions = "a"
[permissions.a]
extends = "b"
[permissions.b]
extends = "c"
[permissions.c]
extends = "a"
"#,
    );
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:7:11: permissions.c.extends: permissions profiles extend each other in a cycle: a -> b -> c -> a",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn built_ins_cannot_be_redefined() {
    let home = Home::with_config("[permissions.\":workspace\"]\nnetwork.enabled = true\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:1:14: permissions.\":workspace\": `:workspace` is reserved: built-in permissions profiles (:read-only, :workspace, :danger-full-access) cannot be redefined and profile names cannot start with `:`; use another name and `extends = \":workspace\"`",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn bad_filesystem_entries_name_file_line_and_key() {
    let file_error = |body: &str| {
        let home = Home::with_config(&format!(
            "default_permissions = \"p\"\n[permissions.p.filesystem]\n{body}\n"
        ));
        home.error(&[])
            .replace(&home.file("config.toml").display().to_string(), "CONFIG")
    };
    assert_eq!(
        file_error("\"src\" = \"rw\""),
        "CONFIG:3:9: permissions.p.filesystem.src: expected \"read\", \"write\", \"none\" or a table of sub-paths, got \"rw\""
    );
    assert_eq!(
        file_error("\":project_roots\" = { \".\" = \"write\", \"x\" = 1 }"),
        "CONFIG:3:43: permissions.p.filesystem.\":project_roots\".x: expected \"read\", \"write\", \"none\" or a table of sub-paths, got an integer"
    );
    assert_eq!(
        file_error("\":home\" = \"read\""),
        "CONFIG:3:1: permissions.p.filesystem.\":home\": unknown special path `:home`; known: :root, :project_roots, :tmpdir, :slash_tmp"
    );
    assert_eq!(
        file_error("\":project_roots\" = { \"**/*.env\" = \"none\" }"),
        "CONFIG:3:22: permissions.p.filesystem.\":project_roots\".\"**/*.env\": glob patterns are not supported yet; name the paths"
    );
    assert_eq!(
        file_error("\"/srv\" = { \"/etc\" = \"read\" }"),
        "CONFIG:3:12: permissions.p.filesystem.\"/srv\".\"/etc\": a sub-path must be relative to its parent key"
    );
}

#[test]
fn unsupported_profile_keys_are_reported_as_unknown() {
    let home = Home::with_config(
        "default_permissions = \"p\"\n[permissions.p]\nnetwork = { enabled = true, domains = [\"example.com\"] }\n",
    );
    let config = home.load(&[]);
    assert_eq!(config.unknown_keys, vec!["permissions.p.network.domains"]);
    assert!(config.permissions.network_enabled);
    let strict = ConfigOverrides {
        strict_config: true,
        ..home.overrides()
    };
    assert_eq!(
        home.error_with(&[], strict),
        format!(
            "{}:3:29: permissions.p.network.domains: unknown configuration key",
            home.file("config.toml").display()
        )
    );
}
