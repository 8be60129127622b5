//! Which credential the model client sends, and the bridge from the auth manager (refreshing
//! ChatGPT tokens) to the client's [`AuthProvider`].
//!
//! Precedence for OpenAI-authenticated providers: `CODEX_API_KEY` > `CODEX_ACCESS_TOKEN` >
//! `OPENAI_API_KEY` > `$CODEX_HOME/auth.json` (API key or ChatGPT tokens). Other providers use
//! their `env_key` / `experimental_bearer_token`.

use std::sync::Arc;

use codex_auth::AuthManager;
use codex_client::{AuthProvider, ClientAuth};
use codex_config::{Config, Env};
use futures::future::BoxFuture;

use crate::error::CodexError;

struct ManagedAuth(AuthManager);

impl AuthProvider for ManagedAuth {
    fn bearer(&self) -> BoxFuture<'_, Result<Option<String>, String>> {
        Box::pin(async move { self.0.bearer_token().await.map_err(|e| format!("{e:#}")) })
    }

    fn refresh_after_unauthorized<'a>(
        &'a self,
        rejected: &'a str,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            self.0
                .refresh_after_unauthorized(rejected)
                .await
                .map_err(|e| format!("{e:#}"))
        })
    }

    fn account_id(&self) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move { self.0.account_id().await.ok().flatten() })
    }
}

/// The client credential for `config`'s provider.
pub fn client_auth(
    config: &Config,
    env: &Env,
    http: &reqwest::Client,
) -> Result<ClientAuth, CodexError> {
    let provider = &config.model_provider;
    let openai_style = config.model_provider_id == codex_config::OPENAI_PROVIDER_ID
        || (provider.requires_openai_auth && provider.env_key.is_none());
    if !openai_style {
        return Ok(
            match provider.api_key(&config.model_provider_id, env, &config.codex_home)? {
                Some(key) => ClientAuth::Static(key),
                None => ClientAuth::None,
            },
        );
    }
    let env_wins = env.get_non_empty("CODEX_API_KEY").is_some()
        || env.get_non_empty("CODEX_ACCESS_TOKEN").is_some();
    if !env_wins && let Some(key) = env.get_non_empty("OPENAI_API_KEY") {
        return Ok(ClientAuth::Static(key.to_string()));
    }
    let manager = AuthManager::from_config(config, env, http.clone());
    Ok(ClientAuth::Dynamic(Arc::new(ManagedAuth(manager))))
}
