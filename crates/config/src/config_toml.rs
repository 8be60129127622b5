//! The `config.toml` schema (`ConfigToml`), deserialized once from the merged layers. Keys are
//! spelled as upstream spells them. Keys upstream 0.169.0 accepts but we do not model yet are
//! listed in [`is_accepted_opaque`] so real users' files load even with `--strict-config`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use codex_protocol::AskForApproval;
use codex_protocol::ReasoningEffort;
use codex_protocol::ReasoningSummary;
use codex_protocol::SandboxMode;
use codex_protocol::Verbosity;
use codex_protocol::WireApi;
use serde::Deserialize;
use serde::Serialize;

use crate::permissions::PermissionProfileToml;
use crate::shell_env::ShellEnvironmentPolicy;

/// The whole of `config.toml` after layering. Every field is optional; defaults are applied
/// when resolving into [`crate::Config`]. `profiles.<name>` tables have the same schema.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ConfigToml {
    pub model: Option<String>,
    pub review_model: Option<String>,
    pub model_provider: Option<String>,
    #[serde(default)]
    pub model_providers: BTreeMap<String, ModelProviderToml>,
    pub openai_base_url: Option<String>,
    pub chatgpt_base_url: Option<String>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub plan_mode_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub model_context_window: Option<u64>,
    pub model_auto_compact_token_limit: Option<i64>,
    pub approval_policy: Option<AskForApproval>,
    pub sandbox_mode: Option<SandboxMode>,
    pub sandbox_workspace_write: Option<SandboxWorkspaceWrite>,
    /// The permission profile to use: a built-in (`:read-only`, `:workspace`,
    /// `:danger-full-access`) or a `[permissions.<name>]` name.
    pub default_permissions: Option<String>,
    /// `[permissions.<name>]`.
    #[serde(default)]
    pub permissions: BTreeMap<String, PermissionProfileToml>,
    pub project_doc_max_bytes: Option<usize>,
    pub project_doc_fallback_filenames: Option<Vec<String>>,
    pub developer_instructions: Option<String>,
    pub instructions: Option<String>,
    pub model_instructions_file: Option<PathBuf>,
    pub tool_output_token_limit: Option<usize>,
    pub oss_provider: Option<String>,
    pub shell_environment_policy: Option<ShellEnvironmentPolicy>,
    pub profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ConfigToml>,
    /// Our own key: the rollout file the `replay` provider serves.
    pub replay_file: Option<PathBuf>,
    pub hide_agent_reasoning: Option<bool>,
    pub show_raw_agent_reasoning: Option<bool>,
    pub tools: Option<ToolsToml>,
    /// `[features]`: feature key → enabled. Unknown feature names are kept, not rejected.
    #[serde(default)]
    pub features: BTreeMap<String, bool>,
    /// `[projects."<absolute path>"]`.
    #[serde(default)]
    pub projects: BTreeMap<String, ProjectToml>,
    /// argv of a program run after each turn with a JSON payload appended.
    pub notify: Option<Vec<String>>,
    /// `[mcp_servers.<name>]`, kept opaque here; `codex-mcp` owns the schema.
    #[serde(default)]
    pub mcp_servers: toml::Table,
    pub tui: Option<toml::Table>,
    pub history: Option<toml::Table>,
    pub file_opener: Option<FileOpener>,
    pub web_search: Option<WebSearchMode>,
    pub personality: Option<Personality>,
    pub forced_login_method: Option<ForcedLoginMethod>,
    pub forced_chatgpt_workspace_id: Option<String>,
    pub cli_auth_credentials_store: Option<AuthCredentialsStoreMode>,
    pub check_for_update_on_startup: Option<bool>,
    pub disable_paste_burst: Option<bool>,
}

/// `[model_providers.<id>]`. `name` defaults to the id; `base_url` to the OpenAI API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ModelProviderToml {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub env_key: Option<String>,
    pub env_key_instructions: Option<String>,
    pub experimental_bearer_token: Option<String>,
    pub wire_api: Option<WireApi>,
    pub query_params: Option<BTreeMap<String, String>>,
    pub http_headers: Option<BTreeMap<String, String>>,
    /// Header name → environment variable holding its value.
    pub env_http_headers: Option<BTreeMap<String, String>>,
    pub request_max_retries: Option<u64>,
    pub stream_max_retries: Option<u64>,
    pub stream_idle_timeout_ms: Option<u64>,
    pub requires_openai_auth: Option<bool>,
}

/// `[sandbox_workspace_write]`: extra knobs for `sandbox_mode = "workspace-write"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxWorkspaceWrite {
    /// Extra writable directories besides the cwd (relative entries resolve against the
    /// directory of the file that set them).
    pub writable_roots: Vec<PathBuf>,
    pub network_access: bool,
    /// Do not make `$TMPDIR` writable.
    pub exclude_tmpdir_env_var: bool,
    /// Do not make `/tmp` writable.
    pub exclude_slash_tmp: bool,
}

/// `[tools]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolsToml {
    pub update_plan: Option<UpdatePlanToml>,
    /// Upstream accepts a bool or a table here; kept opaque.
    pub web_search: Option<toml::Value>,
    pub view_image: Option<bool>,
}

/// `[tools.update_plan]` (our own key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UpdatePlanToml {
    pub enabled: Option<bool>,
}

/// `[projects."<path>"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ProjectToml {
    pub trust_level: Option<TrustLevel>,
}

/// `projects.<path>.trust_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustLevel {
    Trusted,
    Untrusted,
}

/// `file_opener`: the URI scheme file citations are rewritten to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileOpener {
    Vscode,
    VscodeInsiders,
    Windsurf,
    Cursor,
    None,
}

/// Top-level `web_search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebSearchMode {
    Disabled,
    Cached,
    Indexed,
    Live,
}

/// `personality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Personality {
    None,
    Friendly,
    Pragmatic,
}

/// `forced_login_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForcedLoginMethod {
    Chatgpt,
    Api,
}

/// `cli_auth_credentials_store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthCredentialsStoreMode {
    File,
    Keyring,
    Auto,
    Ephemeral,
}

/// Top-level keys upstream 0.169.0 accepts (inventory CFG-02) that we do not interpret yet.
const OPAQUE_TOP_LEVEL: &[&str] = &[
    "model_auto_compact_token_limit_scope",
    "model_post_turn_compact_threshold_percent",
    "model_catalog_json",
    "approvals_reviewer",
    "auto_review",
    "allow_login_shell",
    "compact_prompt",
    "experimental_compact_prompt_file",
    "include_environment_context",
    "mcp_oauth_credentials_store",
    "mcp_oauth_callback_port",
    "mcp_oauth_callback_url",
    "mcp_optional_startup_grace_ms",
    "mcp_enterprise_managed_auth",
    "project_root_markers",
    "background_terminal_max_timeout",
    "sqlite_home",
    "log_dir",
    "otel",
    "analytics",
    "feedback",
    "notice",
    "service_tier",
    "memories",
    "skills",
    "hooks",
    "windows",
    "ghost_snapshot",
    "goals",
    "agents",
    "apps",
    "plugins",
    "marketplaces",
    "realtime",
    "audio",
    "suppress_unstable_features_warning",
    "allow_symlinked_codex_home",
    "thread_unload_delay_secs",
    "js_repl_node_path",
];

/// `[model_providers.<id>]` keys upstream accepts (inventory PRV-04) that we do not interpret.
const OPAQUE_PROVIDER_KEYS: &[&str] = &[
    "websocket_connect_timeout_ms",
    "supports_websockets",
    "supports_standalone_web_search",
    "model_catalog_url",
    "auth",
    "gateway_oauth",
    "aws",
];

/// Whether an ignored key path is a known upstream key we deliberately leave uninterpreted
/// (so it is neither warned about nor rejected by `--strict-config`).
pub(crate) fn is_accepted_opaque(path: &[String]) -> bool {
    match path {
        [profiles, _, rest @ ..] if profiles == "profiles" && !rest.is_empty() => {
            is_accepted_opaque(rest)
        }
        [key, ..] if OPAQUE_TOP_LEVEL.contains(&key.as_str()) => true,
        [key, ..] if key.starts_with("include_") && key.ends_with("_instructions") => true,
        [providers, _, key, ..] if providers == "model_providers" => {
            OPAQUE_PROVIDER_KEYS.contains(&key.as_str())
        }
        _ => false,
    }
}
