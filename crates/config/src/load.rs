//! Loading: collect the layers (config file, profile, trusted project files, `-c`), merge them,
//! deserialize once into [`ConfigToml`], then apply flags and defaults to get a [`Config`].
//!
//! Precedence, lowest first: built-in defaults < `$CODEX_HOME/config.toml` < `[profiles.NAME]`
//! < `$CODEX_HOME/NAME.config.toml` < `-c profiles.NAME.*` < trusted project
//! `.codex/config.toml` (outermost first) < `-c` (in order) < flags.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::path::PathBuf;

use codex_protocol::AskForApproval;
use codex_protocol::ReasoningEffort;
use codex_protocol::ReasoningSummary;
use codex_protocol::SandboxMode;
use codex_protocol::Verbosity;

use crate::cli_override::parse_cli_override;
use crate::config_toml::ConfigToml;
use crate::config_toml::SandboxWorkspaceWrite;
use crate::config_toml::is_accepted_opaque;
use crate::env::Env;
use crate::error::ConfigError;
use crate::error::Origin;
use crate::layers::LayerStack;
use crate::layers::Located;
use crate::layers::Target;
use crate::layers::dotted;
use crate::layers::set_path;
use crate::models::model_info;
use crate::permissions::PermissionProfile;
use crate::permissions::PermissionsInput;
use crate::permissions::expand_home;
use crate::permissions::resolve_permissions;
use crate::provider::BUILT_IN_PROVIDER_IDS;
use crate::provider::ModelProviderInfo;
use crate::provider::OLLAMA_PROVIDER_ID;
use crate::provider::OPENAI_PROVIDER_ID;
use crate::provider::REPLAY_PROVIDER_ID;
use crate::shell_env::ShellEnvironmentPolicy;

/// The model when nothing selects one.
pub const DEFAULT_MODEL: &str = "gpt-5.5";
/// The model `--oss` uses unless `-m` says otherwise.
pub const DEFAULT_OSS_MODEL: &str = "gpt-oss:20b";
/// Default `project_doc_max_bytes` (32 KiB).
pub const DEFAULT_PROJECT_DOC_MAX_BYTES: usize = 32 * 1024;

/// Settings from dedicated CLI flags; every one beats the config files and `-c`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigOverrides {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    /// `-p NAME`.
    pub profile: Option<String>,
    /// `-s/--sandbox`: beats any permissions profile.
    pub sandbox_mode: Option<SandboxMode>,
    /// `-P/--permissions-profile NAME`: a built-in or `[permissions.<name>]` profile; beats
    /// `default_permissions` and `sandbox_mode` from config, loses to `sandbox_mode` here.
    pub permissions_profile: Option<String>,
    pub approval_policy: Option<AskForApproval>,
    /// The session's working directory. Required: the CLI always passes it.
    pub cwd: Option<PathBuf>,
    /// `--add-dir`; relative paths resolve against `cwd`.
    pub additional_writable_roots: Vec<PathBuf>,
    /// `--oss`: provider = `local_provider`, else `oss_provider` from config, else `ollama`;
    /// model = `model`, else [`DEFAULT_OSS_MODEL`].
    pub oss: bool,
    /// `--local-provider`.
    pub local_provider: Option<String>,
    /// `--strict-config`: unknown keys are errors instead of warnings.
    pub strict_config: bool,
}

/// A key the loader did not recognise, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// Dotted path as written in its source (e.g. `profiles.work.foo`).
    pub key: String,
    pub origin: Origin,
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: unknown configuration key",
            self.origin, self.key
        )
    }
}

/// The resolved configuration: every layer applied, every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub codex_home: PathBuf,
    /// `ConfigOverrides::cwd`, canonicalized.
    pub cwd: PathBuf,
    pub model: String,
    pub model_provider_id: String,
    pub model_provider: ModelProviderInfo,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    /// `model_context_window` if configured, else the catalog's value for `model`.
    pub model_context_window: Option<u64>,
    /// Token count that triggers automatic compaction, if configured.
    pub model_auto_compact_token_limit: Option<i64>,
    pub approval_policy: AskForApproval,
    /// The mode [`permissions`](Self::permissions) amounts to
    /// ([`PermissionProfile::sandbox_mode`]); the legacy `sandbox_mode` when no profile is
    /// chosen.
    pub sandbox_mode: SandboxMode,
    /// The permissions commands run with: `-s`, else `-P`/`default_permissions`, else the
    /// profile derived from `sandbox_mode` and `[sandbox_workspace_write]`.
    pub permissions: PermissionProfile,
    /// With `writable_roots` resolved to absolute paths.
    pub sandbox_workspace_write: SandboxWorkspaceWrite,
    /// `--add-dir` roots, absolute.
    pub additional_writable_roots: Vec<PathBuf>,
    pub project_doc_max_bytes: usize,
    pub project_doc_fallback_filenames: Vec<String>,
    pub developer_instructions: Option<String>,
    /// Contents of `model_instructions_file`, else `instructions`.
    pub base_instructions_override: Option<String>,
    pub tool_output_token_limit: Option<usize>,
    pub shell_environment_policy: ShellEnvironmentPolicy,
    /// Absolute path of the rollout the `replay` provider serves.
    pub replay_file: Option<PathBuf>,
    /// `tools.update_plan.enabled` (default true).
    pub include_plan_tool: bool,
    pub hide_agent_reasoning: bool,
    pub show_raw_agent_reasoning: bool,
    /// Dotted paths of keys that were ignored (for a warning), in source spelling.
    pub unknown_keys: Vec<String>,
    /// The same keys with their positions, ready to print.
    pub unknown_key_locations: Vec<UnknownKey>,
    pub active_profile: Option<String>,
    /// The merged, deserialized config for keys other crates interpret (`mcp_servers`,
    /// `notify`, `features`, `tui`, `history`, `projects`, ...).
    pub config_toml: ConfigToml,
}

/// Loads `$CODEX_HOME/config.toml` (absent = empty), the selected profile, trusted project
/// configs and the raw `-c` arguments, and resolves them with `overrides` into a [`Config`].
///
/// Errors name the source (`file:line:column` or `-c key=value`) and dotted key; see
/// [`ConfigError`].
pub fn load_config(
    codex_home: &Path,
    cli_overrides: &[String],
    overrides: ConfigOverrides,
    env: &Env,
) -> Result<Config, ConfigError> {
    let given_cwd = overrides.cwd.clone().ok_or(ConfigError::CwdRequired)?;
    let cwd = std::fs::canonicalize(&given_cwd).map_err(|source| ConfigError::Cwd {
        path: given_cwd,
        source,
    })?;
    let parsed = cli_overrides
        .iter()
        .map(|raw| parse_cli_override(raw).map(|(path, value)| (raw, path, value)))
        .collect::<Result<Vec<_>, _>>()?;

    let mut stack = LayerStack::default();
    let cli: Vec<CliArg> = parsed
        .into_iter()
        .map(|(raw, path, value)| CliArg {
            path,
            value,
            source: stack.add_cli(raw.clone()),
        })
        .collect();
    let config_file = codex_home.join("config.toml");
    let base = match LayerStack::read_file(&config_file)? {
        Some((text, table)) => {
            let id = stack.add_file(config_file.clone(), text);
            stack.push(id, Vec::new(), table.clone(), codex_home.to_owned());
            Some((id, table))
        }
        None => None,
    };

    // The profile may itself come from `-c profile=NAME`.
    let mut with_cli = base.as_ref().map(|(_, t)| t.clone()).unwrap_or_default();
    for arg in &cli {
        set_path(&mut with_cli, &arg.path, arg.value.clone());
    }
    let active_profile = overrides.profile.clone().or_else(|| {
        with_cli
            .get("profile")
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    });
    if let Some(name) = &active_profile {
        let dirs = Dirs {
            codex_home,
            config_file: &config_file,
            cwd: &cwd,
        };
        push_profile_layers(&mut stack, name, dirs, base.as_ref(), &cli)?;
    }

    let mut so_far = stack.merged();
    for arg in &cli {
        set_path(&mut so_far, &arg.path, arg.value.clone());
    }
    for dir in trusted_project_dirs(&cwd, codex_home, so_far.get("projects")) {
        let file = dir.join(".codex").join("config.toml");
        if let Some((text, table)) = LayerStack::read_file(&file)? {
            let id = stack.add_file(file, text);
            stack.push(id, Vec::new(), table, dir.join(".codex"));
        }
    }

    for arg in &cli {
        let mut table = toml::Table::new();
        set_path(&mut table, &arg.path, arg.value.clone());
        stack.push(arg.source, Vec::new(), table, cwd.clone());
    }

    let (toml_config, ignored) = deserialize(&stack, &config_file)?;
    let unknown = locate_unknown(&stack, &ignored, &config_file);
    if overrides.strict_config
        && let Some(first) = unknown.first()
    {
        return Err(ConfigError::UnknownKey {
            origin: first.origin.clone(),
            key: first.key.clone(),
        });
    }

    Resolver {
        stack: &stack,
        cfg: &toml_config,
        env,
        cwd: &cwd,
        config_file: &config_file,
    }
    .resolve(codex_home, overrides, active_profile, unknown)
    .map(|mut config| {
        config.config_toml = toml_config;
        config
    })
}

/// One parsed `-c` argument and its registered source.
struct CliArg {
    path: Vec<String>,
    value: toml::Value,
    source: usize,
}

/// Directories relative paths and profile files are found in.
#[derive(Clone, Copy)]
struct Dirs<'a> {
    codex_home: &'a Path,
    config_file: &'a Path,
    cwd: &'a Path,
}

/// Pushes the layers of profile `name`: `[profiles.NAME]` of `config.toml` (`base`), then
/// `NAME.config.toml`, then `-c profiles.NAME.*`.
fn push_profile_layers(
    stack: &mut LayerStack,
    name: &str,
    dirs: Dirs<'_>,
    base: Option<&(usize, toml::Table)>,
    cli: &[CliArg],
) -> Result<(), ConfigError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
        return Err(ConfigError::InvalidProfileName {
            name: name.to_owned(),
        });
    }
    let prefix = vec!["profiles".to_owned(), name.to_owned()];
    let mut found = false;

    if let Some((id, base_table)) = base
        && let Some(value) = base_table.get("profiles").and_then(|p| p.get(name))
    {
        found = true;
        if let toml::Value::Table(table) = value {
            stack.push(
                *id,
                prefix.clone(),
                table.clone(),
                dirs.codex_home.to_owned(),
            );
        }
    }

    let profile_file = dirs.codex_home.join(format!("{name}.config.toml"));
    if let Some((text, table)) = LayerStack::read_file(&profile_file)? {
        found = true;
        let id = stack.add_file(profile_file.clone(), text);
        stack.push(id, Vec::new(), table, dirs.codex_home.to_owned());
    }

    for arg in cli {
        let Some(rest) = arg.path.strip_prefix(prefix.as_slice()) else {
            continue;
        };
        found = true;
        let table = if rest.is_empty() {
            match &arg.value {
                toml::Value::Table(table) => table.clone(),
                _ => continue,
            }
        } else {
            let mut table = toml::Table::new();
            set_path(&mut table, rest, arg.value.clone());
            table
        };
        stack.push(arg.source, prefix.clone(), table, dirs.cwd.to_owned());
    }

    if found {
        Ok(())
    } else {
        Err(ConfigError::UnknownProfile {
            name: name.to_owned(),
            config_file: dirs.config_file.to_owned(),
            profile_file,
        })
    }
}

/// Directories whose `.codex/config.toml` applies: from the project root (nearest ancestor with
/// `.git`, else `cwd`) down to `cwd`, outermost first, and only when the nearest
/// `[projects."<dir>"]` entry at or above `cwd` says `trust_level = "trusted"`.
/// `$CODEX_HOME` itself is never read as a project config.
fn trusted_project_dirs(
    cwd: &Path,
    codex_home: &Path,
    projects: Option<&toml::Value>,
) -> Vec<PathBuf> {
    let Some(toml::Value::Table(projects)) = projects else {
        return Vec::new();
    };
    let trust_of = |dir: &Path| {
        projects.iter().find_map(|(key, entry)| {
            (Path::new(key) == dir)
                .then(|| entry.get("trust_level").and_then(toml::Value::as_str) == Some("trusted"))
        })
    };
    if !cwd.ancestors().find_map(trust_of).unwrap_or(false) {
        return Vec::new();
    }
    let root = cwd
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd);
    let home = std::fs::canonicalize(codex_home).unwrap_or_else(|_| codex_home.to_owned());
    let mut dirs = Vec::new();
    for dir in cwd.ancestors() {
        let dot_codex = dir.join(".codex");
        if std::fs::canonicalize(&dot_codex).ok().as_deref() != Some(home.as_path()) {
            dirs.push(dir.to_owned());
        }
        if dir == root {
            break;
        }
    }
    dirs.reverse();
    dirs
}

/// Deserializes the merged layers, collecting ignored key paths.
fn deserialize(
    stack: &LayerStack,
    config_file: &Path,
) -> Result<(ConfigToml, Vec<Vec<String>>), ConfigError> {
    let mut ignored = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let result = serde_ignored::deserialize(
        serde_path_to_error::Deserializer::new(stack.merged(), &mut track),
        |path| ignored.push(ignored_path(&path)),
    );
    match result {
        Ok(config) => Ok((config, ignored)),
        Err(error) => {
            let path: Vec<String> = track
                .path()
                .iter()
                .filter_map(|segment| match segment {
                    serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                    serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                    serde_path_to_error::Segment::Enum { .. }
                    | serde_path_to_error::Segment::Unknown => None,
                })
                .collect();
            let (origin, key) =
                origin_or_file(stack.locate(&path, Target::Value), &path, config_file);
            Err(ConfigError::InvalidValue {
                origin,
                key,
                message: error.message().to_owned(),
            })
        }
    }
}

fn origin_or_file(
    located: Option<Located>,
    path: &[String],
    config_file: &Path,
) -> (Origin, String) {
    match located {
        Some(l) => (l.origin, l.key),
        None => (
            Origin::FileUnknownPosition {
                path: config_file.to_owned(),
            },
            dotted(path),
        ),
    }
}

fn ignored_path(path: &serde_ignored::Path<'_>) -> Vec<String> {
    match path {
        serde_ignored::Path::Root => Vec::new(),
        serde_ignored::Path::Seq { parent, index } => {
            let mut out = ignored_path(parent);
            out.push(index.to_string());
            out
        }
        serde_ignored::Path::Map { parent, key } => {
            let mut out = ignored_path(parent);
            out.push(key.clone());
            out
        }
        serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

/// Unknown keys with their source positions, deduplicated (a selected profile's keys are seen
/// both under `profiles.NAME` and at the top level).
fn locate_unknown(
    stack: &LayerStack,
    ignored: &[Vec<String>],
    config_file: &Path,
) -> Vec<UnknownKey> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for path in ignored.iter().filter(|p| !is_accepted_opaque(p)) {
        let (origin, key) = origin_or_file(stack.locate(path, Target::Key), path, config_file);
        if seen.insert((origin.to_string(), key.clone())) {
            out.push(UnknownKey { key, origin });
        }
    }
    out
}

/// Applies flags and defaults to the deserialized config.
struct Resolver<'a> {
    stack: &'a LayerStack,
    cfg: &'a ConfigToml,
    env: &'a Env,
    cwd: &'a Path,
    config_file: &'a Path,
}

impl Resolver<'_> {
    fn resolve(
        &self,
        codex_home: &Path,
        overrides: ConfigOverrides,
        active_profile: Option<String>,
        unknown: Vec<UnknownKey>,
    ) -> Result<Config, ConfigError> {
        let cfg = self.cfg;
        for id in cfg.model_providers.keys() {
            if BUILT_IN_PROVIDER_IDS.contains(&id.as_str()) {
                let (origin, key) = self.origin(&["model_providers", id], Target::Key);
                return Err(ConfigError::BuiltinProviderOverride {
                    origin,
                    key,
                    id: id.clone(),
                });
            }
        }

        let (provider_id, provider_key) = self.provider_choice(&overrides);
        let model_provider = match ModelProviderInfo::built_in(
            &provider_id,
            cfg.openai_base_url.as_deref(),
            self.env,
        )? {
            Some(info) => info,
            None => match cfg.model_providers.get(&provider_id) {
                Some(t) => ModelProviderInfo::from_toml(&provider_id, t),
                None => {
                    let (origin, key) = self.choice_origin(provider_key);
                    let mut known: Vec<String> = BUILT_IN_PROVIDER_IDS
                        .iter()
                        .map(|id| (*id).to_owned())
                        .chain(cfg.model_providers.keys().cloned())
                        .collect();
                    known.sort();
                    return Err(ConfigError::UnknownModelProvider {
                        origin,
                        key,
                        id: provider_id,
                        known,
                    });
                }
            },
        };

        let replay_file = cfg
            .replay_file
            .as_deref()
            .map(|p| self.resolve_path(&["replay_file"], p));
        if provider_id == REPLAY_PROVIDER_ID && replay_file.is_none() {
            let (origin, _) = self.choice_origin(provider_key);
            return Err(ConfigError::ReplayFileRequired { origin });
        }

        let model = overrides
            .model
            .clone()
            .or_else(|| overrides.oss.then(|| DEFAULT_OSS_MODEL.to_owned()))
            .or_else(|| cfg.model.clone())
            .unwrap_or_else(|| DEFAULT_MODEL.to_owned());

        let base_instructions_override = match &cfg.model_instructions_file {
            Some(file) => {
                let path = self.resolve_path(&["model_instructions_file"], file);
                let text = std::fs::read_to_string(&path).map_err(|source| {
                    ConfigError::InstructionsFile {
                        origin: self.origin(&["model_instructions_file"], Target::Value).0,
                        path: path.clone(),
                        source,
                    }
                })?;
                Some(text)
            }
            None => cfg.instructions.clone(),
        };

        let mut sandbox_workspace_write = cfg.sandbox_workspace_write.clone().unwrap_or_default();
        sandbox_workspace_write.writable_roots = sandbox_workspace_write
            .writable_roots
            .iter()
            .map(|root| self.resolve_path(&["sandbox_workspace_write", "writable_roots"], root))
            .collect();
        let additional_writable_roots: Vec<PathBuf> = overrides
            .additional_writable_roots
            .iter()
            .map(|root| self.cwd.join(expand_home(root, self.env)))
            .collect();
        let mut project_roots = vec![self.cwd.to_owned()];
        project_roots.extend(additional_writable_roots.iter().cloned());
        let permissions = resolve_permissions(&PermissionsInput {
            stack: self.stack,
            config_file: self.config_file,
            env: self.env,
            cwd: self.cwd,
            project_roots,
            workspace_write: &sandbox_workspace_write,
            profiles: &cfg.permissions,
            default_permissions: cfg.default_permissions.as_deref(),
            sandbox_mode: cfg.sandbox_mode,
            sandbox_flag: overrides.sandbox_mode,
            profile_flag: overrides.permissions_profile.as_deref(),
        })?;

        Ok(Config {
            codex_home: codex_home.to_owned(),
            cwd: self.cwd.to_owned(),
            model_context_window: cfg
                .model_context_window
                .or_else(|| model_info(&model).context_window),
            model,
            model_provider_id: provider_id,
            model_provider,
            model_reasoning_effort: cfg.model_reasoning_effort,
            model_reasoning_summary: cfg.model_reasoning_summary,
            model_verbosity: cfg.model_verbosity,
            model_auto_compact_token_limit: cfg.model_auto_compact_token_limit,
            approval_policy: overrides
                .approval_policy
                .or(cfg.approval_policy)
                .unwrap_or_default(),
            sandbox_mode: permissions.sandbox_mode(),
            permissions,
            sandbox_workspace_write,
            additional_writable_roots,
            project_doc_max_bytes: cfg
                .project_doc_max_bytes
                .unwrap_or(DEFAULT_PROJECT_DOC_MAX_BYTES),
            project_doc_fallback_filenames: cfg
                .project_doc_fallback_filenames
                .clone()
                .unwrap_or_default(),
            developer_instructions: cfg.developer_instructions.clone(),
            base_instructions_override,
            tool_output_token_limit: cfg.tool_output_token_limit,
            shell_environment_policy: cfg.shell_environment_policy.clone().unwrap_or_default(),
            replay_file,
            include_plan_tool: cfg
                .tools
                .as_ref()
                .and_then(|t| t.update_plan.as_ref())
                .and_then(|u| u.enabled)
                .unwrap_or(true),
            hide_agent_reasoning: cfg.hide_agent_reasoning.unwrap_or(false),
            show_raw_agent_reasoning: cfg.show_raw_agent_reasoning.unwrap_or(false),
            unknown_keys: unknown.iter().map(|u| u.key.clone()).collect(),
            unknown_key_locations: unknown,
            active_profile,
            config_toml: ConfigToml::default(),
        })
    }

    /// The provider id and what chose it.
    fn provider_choice(&self, overrides: &ConfigOverrides) -> (String, Choice) {
        let cfg = self.cfg;
        if overrides.oss {
            if let Some(id) = &overrides.local_provider {
                return (
                    id.clone(),
                    Choice::Flag("--local-provider", "local_provider"),
                );
            }
            if let Some(id) = &cfg.oss_provider {
                return (id.clone(), Choice::Key("oss_provider"));
            }
            return (
                OLLAMA_PROVIDER_ID.to_owned(),
                Choice::Flag("--oss", "model_provider"),
            );
        }
        if let Some(id) = &overrides.model_provider {
            return (
                id.clone(),
                Choice::Flag("--model-provider", "model_provider"),
            );
        }
        match &cfg.model_provider {
            Some(id) => (id.clone(), Choice::Key("model_provider")),
            None => (OPENAI_PROVIDER_ID.to_owned(), Choice::Key("model_provider")),
        }
    }

    fn choice_origin(&self, choice: Choice) -> (Origin, String) {
        match choice {
            Choice::Flag(flag, key) => (Origin::Flag { flag }, key.to_owned()),
            Choice::Key(key) => self.origin(&[key], Target::Value),
        }
    }

    fn origin(&self, path: &[&str], target: Target) -> (Origin, String) {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        origin_or_file(self.stack.locate(&path, target), &path, self.config_file)
    }

    /// Makes `path` absolute: `~/` expands to `$HOME`; a relative path resolves against the
    /// directory of the file that set `key` (or the cwd for `-c`).
    fn resolve_path(&self, key: &[&str], path: &Path) -> PathBuf {
        let path = expand_home(path, self.env);
        if path.is_absolute() {
            return path;
        }
        let key: Vec<String> = key.iter().map(|s| (*s).to_owned()).collect();
        let base = self
            .stack
            .locate(&key, Target::Value)
            .map_or_else(|| self.cwd.to_owned(), |l| l.base_dir);
        base.join(path)
    }
}

/// What selected the model provider, for error messages.
#[derive(Clone, Copy)]
enum Choice {
    /// A flag, and the key it stands for.
    Flag(&'static str, &'static str),
    /// A config key.
    Key(&'static str),
}
