//! Errors of the agent.

use std::path::PathBuf;

/// Errors that stop a session or a turn.
#[derive(Debug, thiserror::Error)]
pub enum CodexError {
    #[error("rollout file {path}: {source}")]
    Rollout {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("rollout file {path} is not valid: {message}")]
    BadRollout { path: PathBuf, message: String },
    #[error("no recorded session matches {0}")]
    SessionNotFound(String),
    #[error(transparent)]
    Config(#[from] codex_config::ConfigError),
    #[error(transparent)]
    Replay(#[from] codex_client::ReplayError),
    #[error(transparent)]
    Client(#[from] codex_client::ClientError),
    #[error(transparent)]
    Auth(#[from] codex_auth::AuthError),
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
    /// An exec-policy rules file is invalid (`file:line: reason`).
    #[error("invalid exec-policy rules: {0}")]
    Rules(String),
}
