//! `ConfigError`: every failure names where the offending setting came from (file, line and
//! column, or the `-c` argument) and its dotted key, so a user can fix it without guessing.

use std::fmt;
use std::path::PathBuf;

/// Where a setting (or a syntax error) came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in a config file. `line` and `column` are 1-based; the column counts chars.
    File {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A config file whose exact position could not be recovered.
    FileUnknownPosition { path: PathBuf },
    /// One `-c key=value` argument, exactly as given.
    CliOverride { raw: String },
    /// A dedicated command-line flag such as `--local-provider`.
    Flag { flag: &'static str },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Origin::FileUnknownPosition { path } => write!(f, "{}", path.display()),
            Origin::CliOverride { raw } => write!(f, "-c {raw}"),
            Origin::Flag { flag } => f.write_str(flag),
        }
    }
}

/// Why `$CODEX_HOME` cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodexHomeProblem {
    DoesNotExist,
    NotADirectory,
}

impl fmt::Display for CodexHomeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodexHomeProblem::DoesNotExist => f.write_str("directory does not exist"),
            CodexHomeProblem::NotADirectory => f.write_str("not a directory"),
        }
    }
}

/// Errors from locating, parsing, layering and resolving the configuration.
///
/// Variants that wrap an I/O error keep it as `source`, so print them with `{:#}` (anyhow) to see
/// the cause; every other variant is complete in its `Display`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `$CODEX_HOME` is set but unusable.
    #[error("CODEX_HOME={}: {problem}", path.display())]
    CodexHome {
        path: PathBuf,
        problem: CodexHomeProblem,
    },
    /// Neither `$CODEX_HOME` nor `$HOME` (nor `%USERPROFILE%`) is set.
    #[error("cannot locate the Codex home: neither CODEX_HOME nor HOME is set")]
    NoHomeDirectory,
    /// A config file exists but could not be read.
    #[error("cannot read {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A config file could not be written.
    #[error("cannot write {}", path.display())]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// [`crate::set_config_value`] was given no key.
    #[error("no configuration key given")]
    EmptyKeyPath,
    /// TOML syntax error: position and the parser's message.
    #[error("{origin}: {message}")]
    Syntax { origin: Origin, message: String },
    /// A value has the wrong type or an unknown enum variant, or a table lacks a required key.
    #[error("{origin}: {key}: {message}")]
    InvalidValue {
        origin: Origin,
        key: String,
        message: String,
    },
    /// With `--strict-config`: a key this version does not know.
    #[error("{origin}: {key}: unknown configuration key")]
    UnknownKey { origin: Origin, key: String },
    /// A malformed `-c key=value` argument.
    #[error("-c {raw}: {reason}")]
    CliOverride { raw: String, reason: String },
    /// `-p NAME` or `profile = "NAME"` names no `[profiles.NAME]` table and no `NAME.config.toml`.
    #[error(
        "profile `{name}` not found: no [profiles.{name}] in {} and no file {}",
        config_file.display(),
        profile_file.display()
    )]
    UnknownProfile {
        name: String,
        config_file: PathBuf,
        profile_file: PathBuf,
    },
    /// A profile name that cannot be used as a file name.
    #[error("invalid profile name `{name}`: it must be non-empty and contain no path separators")]
    InvalidProfileName { name: String },
    /// `model_provider` (or `--local-provider`, `oss_provider`) names no known provider.
    #[error("{origin}: {key}: unknown model provider `{id}`; known providers: {}", known.join(", "))]
    UnknownModelProvider {
        origin: Origin,
        key: String,
        id: String,
        known: Vec<String>,
    },
    /// A `[model_providers.<id>]` entry reuses a built-in id.
    #[error(
        "{origin}: {key}: `{id}` is a built-in provider and cannot be overridden; use another id"
    )]
    BuiltinProviderOverride {
        origin: Origin,
        key: String,
        id: String,
    },
    /// `default_permissions`, `-P` or `extends` names no built-in and no `[permissions.<name>]`.
    #[error(
        "{origin}: {key}: unknown permissions profile `{name}`; built-in: :read-only, :workspace, :danger-full-access; defined: {}",
        if defined.is_empty() { "none".to_owned() } else { defined.join(", ") }
    )]
    UnknownPermissionsProfile {
        origin: Origin,
        key: String,
        name: String,
        /// The `[permissions.<name>]` names, sorted.
        defined: Vec<String>,
    },
    /// A `[permissions.<name>]` table uses a reserved `:`-name (the built-ins cannot be
    /// redefined).
    #[error(
        "{origin}: {key}: `{name}` is reserved: built-in permissions profiles (:read-only, :workspace, :danger-full-access) cannot be redefined and profile names cannot start with `:`; use another name and `extends = \"{name}\"`"
    )]
    BuiltinPermissionsProfile {
        origin: Origin,
        key: String,
        name: String,
    },
    /// `extends` loops back to a profile already in the chain.
    #[error("{origin}: {key}: permissions profiles extend each other in a cycle: {}", cycle.join(" -> "))]
    PermissionsExtendsCycle {
        origin: Origin,
        key: String,
        /// The chain, first profile repeated at the end (`a -> b -> a`).
        cycle: Vec<String>,
    },
    /// The `replay` provider was selected without `replay_file`.
    #[error(
        "{origin}: model_provider: the `replay` provider needs `replay_file` (a recorded rollout)"
    )]
    ReplayFileRequired { origin: Origin },
    /// `model_instructions_file` could not be read.
    #[error("{origin}: model_instructions_file: cannot read {}", path.display())]
    InstructionsFile {
        origin: Origin,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `ConfigOverrides::cwd` was not given.
    #[error("no working directory given (ConfigOverrides::cwd is required)")]
    CwdRequired,
    /// The working directory does not exist or cannot be resolved.
    #[error("working directory {}", path.display())]
    Cwd {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A provider's `env_key` variable is unset or empty.
    #[error(
        "model provider `{provider}` needs the environment variable {var}, which is not set or empty{}",
        instructions.as_deref().map(|i| format!(". {i}")).unwrap_or_default()
    )]
    MissingEnvVar {
        provider: String,
        var: String,
        instructions: Option<String>,
    },
    /// An environment variable this crate interprets has an unusable value.
    #[error("environment variable {var}={value}: {reason}")]
    InvalidEnvVar {
        var: &'static str,
        value: String,
        reason: String,
    },
    /// `$CODEX_HOME/auth.json` exists but cannot be read or parsed.
    #[error("{}: {message}", path.display())]
    AuthFile { path: PathBuf, message: String },
}
