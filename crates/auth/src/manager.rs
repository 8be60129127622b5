//! [`AuthManager`]: what the model client asks for a bearer token. It resolves the credential
//! once (precedence in [`crate::credentials`]), refreshes a ChatGPT access token shortly before
//! it expires and once after a 401, and makes concurrent callers share one refresh: the state
//! lock is held across the refresh, so everyone queued behind it sees the new token.
//!
//! Refresh policy: refresh when the access token's `exp` is less than
//! [`REFRESH_MARGIN`] away; when the token carries no `exp`, when `last_refresh` is older than
//! [`REFRESH_INTERVAL`] (upstream's eight days). Before refreshing, the store is re-read: if
//! another process already refreshed, its tokens are adopted instead. A refresh token the
//! issuer rejects (400/401) is remembered, so later calls fail at once with
//! [`AuthError::RefreshFailed`] ("run `codex login`") instead of hammering the issuer.

use std::time::Duration;

use codex_config::Config;
use codex_config::Env;
use tokio::sync::Mutex;

use crate::credentials::AuthPolicy;
use crate::credentials::CODEX_ACCESS_TOKEN_VAR;
use crate::credentials::CODEX_API_KEY_VAR;
use crate::credentials::CredentialSource;
use crate::credentials::Credentials;
use crate::credentials::chatgpt_credentials;
use crate::credentials::credentials_from_stored;
use crate::credentials::is_expired;
use crate::credentials::load_blocking;
use crate::credentials::resolve_with;
use crate::credentials::save_blocking;
use crate::credentials::store_mode;
use crate::error::AuthError;
use crate::oauth;
use crate::oauth::OAuthSettings;
use crate::storage::AuthDotJson;
use crate::storage::AuthStore;
use crate::storage::TokenData;

/// Refresh an access token this long before its `exp`.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Refresh a token without `exp` when `last_refresh` is older than this.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(8 * 24 * 60 * 60);

/// Resolves and refreshes the credential the model client sends. Cheap to share behind an
/// `Arc`; all methods take `&self`.
#[derive(Debug)]
pub struct AuthManager {
    store: AuthStore,
    policy: AuthPolicy,
    settings: OAuthSettings,
    http: reqwest::Client,
    env_api_key: Option<String>,
    env_access_token: Option<String>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    loaded: bool,
    current: Option<Credentials>,
    /// The issuer rejected our refresh token (its error code).
    refresh_rejected: Option<String>,
}

impl AuthManager {
    /// A manager reading `CODEX_API_KEY` / `CODEX_ACCESS_TOKEN` from `env` now and the store
    /// on first use.
    pub fn new(
        store: AuthStore,
        policy: AuthPolicy,
        settings: OAuthSettings,
        http: reqwest::Client,
        env: &Env,
    ) -> AuthManager {
        AuthManager {
            store,
            policy,
            settings,
            http,
            env_api_key: env.get_non_empty(CODEX_API_KEY_VAR).map(str::to_owned),
            env_access_token: env.get_non_empty(CODEX_ACCESS_TOKEN_VAR).map(str::to_owned),
            state: Mutex::new(State::default()),
        }
    }

    /// The manager for a resolved configuration: store per `cli_auth_credentials_store`,
    /// policy from `forced_login_method` / `forced_chatgpt_workspace_id`, OAuth defaults with
    /// `CODEX_REFRESH_TOKEN_URL_OVERRIDE`.
    pub fn from_config(config: &Config, env: &Env, http: reqwest::Client) -> AuthManager {
        AuthManager::new(
            AuthStore::new(&config.codex_home, store_mode(&config.config_toml)),
            AuthPolicy::from_config(&config.config_toml),
            OAuthSettings::from_env(env),
            http,
            env,
        )
    }

    /// The credential in effect, without refreshing. `Ok(None)`: not signed in.
    pub async fn current(&self) -> Result<Option<Credentials>, AuthError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        Ok(state.current.clone())
    }

    /// The value for `Authorization: Bearer`, refreshing a ChatGPT token that is about to
    /// expire first. `Ok(None)` when not signed in. An expired bare access token is
    /// [`AuthError::AccessTokenRejected`].
    pub async fn bearer_token(&self) -> Result<Option<String>, AuthError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        let now = jiff::Timestamp::now();
        let needs_refresh = match &state.current {
            None => return Ok(None),
            Some(Credentials::ApiKey { key, .. }) => return Ok(Some(key.clone())),
            Some(Credentials::AccessToken {
                token,
                claims,
                source,
            }) => {
                if is_expired(claims, now) {
                    return Err(access_token_rejected(*source));
                }
                return Ok(Some(token.clone()));
            }
            Some(Credentials::ChatGpt {
                access_expires_at,
                last_refresh,
                ..
            }) => needs_refresh(*access_expires_at, *last_refresh, now),
        };
        if needs_refresh {
            self.refresh_locked(&mut state).await?;
        }
        Ok(state.current.as_ref().map(|c| c.bearer().to_owned()))
    }

    /// The ChatGPT account id to send as `chatgpt-account-id`, if the credential has one.
    pub async fn account_id(&self) -> Result<Option<String>, AuthError> {
        Ok(self
            .current()
            .await?
            .and_then(|c| c.account_id().map(str::to_owned)))
    }

    /// Call after the server answered 401 to a request sent with `rejected_bearer`.
    /// `Ok(true)`: a new token is available, retry the request once. `Ok(false)`: nothing
    /// changed (API key, or not signed in), report the 401. Concurrent 401s for the same token
    /// trigger a single refresh; a caller whose token was already replaced gets `Ok(true)`
    /// without another refresh.
    pub async fn refresh_after_unauthorized(
        &self,
        rejected_bearer: &str,
    ) -> Result<bool, AuthError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        match &state.current {
            None | Some(Credentials::ApiKey { .. }) => Ok(false),
            Some(Credentials::AccessToken { source, .. }) => Err(access_token_rejected(*source)),
            Some(Credentials::ChatGpt { tokens, .. }) => {
                if tokens.access_token != rejected_bearer {
                    return Ok(true);
                }
                self.refresh_locked(&mut state).await?;
                Ok(true)
            }
        }
    }

    /// Forgets the cached credential; the next call reads the environment snapshot and the
    /// store again (after `codex login` in the same process).
    pub async fn reload(&self) {
        *self.state.lock().await = State::default();
    }

    async fn ensure_loaded(&self, state: &mut State) -> Result<(), AuthError> {
        if state.loaded {
            return Ok(());
        }
        let current = if self.env_api_key.is_some() || self.env_access_token.is_some() {
            resolve_with(
                self.env_api_key.as_deref(),
                self.env_access_token.as_deref(),
                &self.store,
                &self.policy,
            )?
        } else {
            match load_blocking(&self.store).await? {
                Some(stored) => credentials_from_stored(stored, &self.store, &self.policy)?,
                None => None,
            }
        };
        state.current = current;
        state.loaded = true;
        Ok(())
    }

    /// Refreshes the ChatGPT tokens in `state` (the caller holds the lock).
    async fn refresh_locked(&self, state: &mut State) -> Result<(), AuthError> {
        let Some(Credentials::ChatGpt { tokens: held, .. }) = state.current.clone() else {
            return Ok(());
        };
        // Another process may have refreshed (and rotated the refresh token) already.
        if let Some(stored) = load_blocking(&self.store).await?
            && let Some(Credentials::ChatGpt {
                tokens,
                access_expires_at,
                last_refresh,
                ..
            }) = credentials_from_stored(stored, &self.store, &self.policy)?
            && tokens.access_token != held.access_token
        {
            let fresh = !needs_refresh(access_expires_at, last_refresh, jiff::Timestamp::now());
            state.current = Some(chatgpt_credentials(
                tokens.clone(),
                last_refresh,
                &self.policy,
            )?);
            state.refresh_rejected = None;
            if fresh {
                return Ok(());
            }
            return self.refresh_with(state, tokens).await;
        }
        if let Some(reason) = &state.refresh_rejected {
            return Err(AuthError::RefreshFailed {
                reason: reason.clone(),
            });
        }
        self.refresh_with(state, held).await
    }

    async fn refresh_with(&self, state: &mut State, held: TokenData) -> Result<(), AuthError> {
        let refreshed =
            match oauth::refresh_tokens(&self.http, &self.settings, &held.refresh_token).await {
                Ok(refreshed) => refreshed,
                Err(AuthError::RefreshFailed { reason }) => {
                    state.refresh_rejected = Some(reason.clone());
                    return Err(AuthError::RefreshFailed { reason });
                }
                Err(other) => return Err(other),
            };
        let id_token = refreshed.id_token.unwrap_or(held.id_token);
        let account_id = crate::jwt::decode_claims(&id_token)
            .ok()
            .and_then(|c| c.chatgpt_account_id)
            .or(held.account_id);
        let tokens = TokenData {
            id_token,
            access_token: refreshed.access_token.unwrap_or(held.access_token),
            refresh_token: refreshed.refresh_token.unwrap_or(held.refresh_token),
            account_id,
        };
        let now = jiff::Timestamp::now();
        // Keep fields of the stored record we do not manage (written by other versions).
        let mut record = load_blocking(&self.store)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let fresh = AuthDotJson::chatgpt(tokens.clone(), now);
        record.auth_mode = fresh.auth_mode;
        record.openai_api_key = None;
        record.tokens = fresh.tokens;
        record.last_refresh = fresh.last_refresh;
        record.access_token = None;
        save_blocking(&self.store, record).await?;
        state.current = Some(chatgpt_credentials(tokens, Some(now), &self.policy)?);
        state.refresh_rejected = None;
        Ok(())
    }
}

fn access_token_rejected(source: CredentialSource) -> AuthError {
    AuthError::AccessTokenRejected {
        source_note: match source {
            CredentialSource::Env(var) => Some(format!(" from {var}")),
            CredentialSource::Stored => None,
        },
    }
}

/// See the module docs.
fn needs_refresh(
    access_expires_at: Option<i64>,
    last_refresh: Option<jiff::Timestamp>,
    now: jiff::Timestamp,
) -> bool {
    let margin = REFRESH_MARGIN.as_secs() as i64;
    match access_expires_at {
        Some(exp) => exp - margin <= now.as_second(),
        None => match last_refresh {
            Some(at) => now.as_second() - at.as_second() >= REFRESH_INTERVAL.as_secs() as i64,
            None => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_policy() {
        let now: jiff::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let t = now.as_second();
        assert!(!needs_refresh(Some(t + 3600), None, now));
        assert!(needs_refresh(Some(t + 60), None, now));
        assert!(needs_refresh(Some(t - 1), None, now));
        let recent: jiff::Timestamp = "2026-05-30T00:00:00Z".parse().unwrap();
        let old: jiff::Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
        assert!(!needs_refresh(None, Some(recent), now));
        assert!(needs_refresh(None, Some(old), now));
        assert!(needs_refresh(None, None, now));
    }
}
