//! `config.toml` and everything else that decides how a session runs: `$CODEX_HOME`
//! resolution, layering (defaults < `config.toml` < profile < trusted project config < `-c` <
//! flags), `-c key=value` parsing, model providers with their credentials, the shell
//! environment policy and the bundled model catalog.
//!
//! This crate never reads the process environment by itself: callers pass an [`Env`] snapshot
//! ([`Env::from_process`] is for the CLI only), so tests never mutate the environment.
//!
//! | module | owns |
//! | --- | --- |
//! | `env` | [`Env`], [`find_codex_home`] |
//! | `cli_override` | [`parse_cli_override`] |
//! | `config_toml` | the file schema, [`ConfigToml`] |
//! | `layers` | merging layers and tracing keys back to `file:line:column` |
//! | `load` | [`load_config`], [`Config`], [`ConfigOverrides`] |
//! | `provider` | [`ModelProviderInfo`], built-in providers, API keys, headers |
//! | `shell_env` | [`ShellEnvironmentPolicy`] |
//! | `permissions` | [`PermissionProfile`]: `default_permissions`, `[permissions.<name>]`, built-ins, legacy `sandbox_mode` |
//! | `persist` | [`set_config_value`]: `toml_edit` write-back keeping comments |
//! | [`models`] | the model catalog, [`models::model_info`] |
//! | `error` | [`ConfigError`], [`Origin`] |

mod cli_override;
mod config_toml;
mod env;
mod error;
mod layers;
mod load;
pub mod models;
mod permissions;
mod persist;
mod provider;
mod shell_env;

pub use cli_override::parse_cli_override;
pub use config_toml::AuthCredentialsStoreMode;
pub use config_toml::ConfigToml;
pub use config_toml::FileOpener;
pub use config_toml::ForcedLoginMethod;
pub use config_toml::ModelProviderToml;
pub use config_toml::Personality;
pub use config_toml::ProjectToml;
pub use config_toml::SandboxWorkspaceWrite;
pub use config_toml::ToolsToml;
pub use config_toml::TrustLevel;
pub use config_toml::UpdatePlanToml;
pub use config_toml::WebSearchMode;
pub use env::Env;
pub use env::find_codex_home;
pub use error::CodexHomeProblem;
pub use error::ConfigError;
pub use error::Origin;
pub use load::Config;
pub use load::ConfigOverrides;
pub use load::DEFAULT_MODEL;
pub use load::DEFAULT_OSS_MODEL;
pub use load::DEFAULT_PROJECT_DOC_MAX_BYTES;
pub use load::UnknownKey;
pub use load::load_config;
pub use permissions::BUILTIN_PERMISSION_PROFILES;
pub use permissions::FileSystemAccess;
pub use permissions::NetworkPermissionsToml;
pub use permissions::PermissionProfile;
pub use permissions::PermissionProfileToml;
pub use permissions::PermissionsSource;
pub use persist::set_config_value;
pub use provider::BUILT_IN_PROVIDER_IDS;
pub use provider::DEFAULT_OPENAI_BASE_URL;
pub use provider::LMSTUDIO_PROVIDER_ID;
pub use provider::ModelProviderInfo;
pub use provider::OLLAMA_PROVIDER_ID;
pub use provider::OPENAI_PROVIDER_ID;
pub use provider::REPLAY_PROVIDER_ID;
pub use shell_env::CORE_VARS;
pub use shell_env::DEFAULT_EXCLUDES;
pub use shell_env::Inherit;
pub use shell_env::ShellEnvironmentPolicy;
