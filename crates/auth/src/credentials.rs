//! Which credential is in effect, and the sign-in operations that store one.
//!
//! Precedence (first match wins), documented in the README and tested:
//!
//! 1. `CODEX_API_KEY` from the environment (an API key; nothing touches disk);
//! 2. `CODEX_ACCESS_TOKEN` from the environment (a ChatGPT access token, a JWT);
//! 3. what is stored (`auth.json`, keyring or memory, per `cli_auth_credentials_store`): an
//!    API key, a ChatGPT sign-in, or an access token.
//!
//! `OPENAI_API_KEY` in the environment is not a credential by itself (as upstream): store it
//! with `printenv OPENAI_API_KEY | codex login --with-api-key`, or name it as a provider's
//! `env_key`. `forced_login_method` refuses whichever kind it does not allow, from any source.

use codex_config::AuthCredentialsStoreMode;
use codex_config::ConfigToml;
use codex_config::Env;
use codex_config::ForcedLoginMethod;

use crate::error::AuthError;
use crate::error::CredentialKind;
use crate::jwt::TokenClaims;
use crate::jwt::decode_claims;
use crate::oauth::IssuedTokens;
use crate::oauth::id_token_claims;
use crate::storage::AuthDotJson;
use crate::storage::AuthStore;
use crate::storage::SavedTo;
use crate::storage::StoredKind;
use crate::storage::TokenData;

/// Environment variable holding an API key that beats every other credential.
pub const CODEX_API_KEY_VAR: &str = "CODEX_API_KEY";
/// Environment variable holding a ChatGPT access token (JWT).
pub const CODEX_ACCESS_TOKEN_VAR: &str = "CODEX_ACCESS_TOKEN";

/// Sign-in restrictions from `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthPolicy {
    /// `forced_login_method`.
    pub forced_login_method: Option<ForcedLoginMethod>,
    /// `forced_chatgpt_workspace_id`.
    pub forced_chatgpt_workspace_id: Option<String>,
}

impl AuthPolicy {
    pub fn from_config(config: &ConfigToml) -> Self {
        AuthPolicy {
            forced_login_method: config.forced_login_method,
            forced_chatgpt_workspace_id: config
                .forced_chatgpt_workspace_id
                .clone()
                .filter(|id| !id.trim().is_empty()),
        }
    }

    /// Refuses `kind` when `forced_login_method` allows only the other one. Access tokens are
    /// ChatGPT credentials.
    pub fn ensure_allowed(&self, kind: CredentialKind) -> Result<(), AuthError> {
        let Some(required) = self.forced_login_method else {
            return Ok(());
        };
        let allowed = match (required, kind) {
            (ForcedLoginMethod::Api, CredentialKind::ApiKey)
            | (ForcedLoginMethod::Chatgpt, CredentialKind::ChatGpt | CredentialKind::AccessToken) => {
                true
            }
            (ForcedLoginMethod::Api, CredentialKind::ChatGpt | CredentialKind::AccessToken)
            | (ForcedLoginMethod::Chatgpt, CredentialKind::ApiKey) => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(AuthError::ForcedLoginMethod { kind, required })
        }
    }

    /// Refuses an account other than `forced_chatgpt_workspace_id`.
    pub fn ensure_workspace(&self, account_id: Option<&str>) -> Result<(), AuthError> {
        match (&self.forced_chatgpt_workspace_id, account_id) {
            (Some(expected), actual) if actual != Some(expected.as_str()) => {
                Err(AuthError::WorkspaceMismatch {
                    expected: expected.clone(),
                    actual: actual.unwrap_or("(none)").to_owned(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// `cli_auth_credentials_store`, defaulting to `file`.
pub fn store_mode(config: &ConfigToml) -> AuthCredentialsStoreMode {
    config
        .cli_auth_credentials_store
        .unwrap_or(AuthCredentialsStoreMode::File)
}

/// Where a credential in effect came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// An environment variable (its name).
    Env(&'static str),
    /// The credential store.
    Stored,
}

/// The credential in effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Credentials {
    ApiKey {
        key: String,
        source: CredentialSource,
    },
    /// A bare ChatGPT access token: usable until it expires, never refreshed.
    AccessToken {
        token: String,
        claims: TokenClaims,
        source: CredentialSource,
    },
    /// A ChatGPT sign-in with a refresh token.
    ChatGpt {
        tokens: TokenData,
        /// Claims of the id token (email, plan, account).
        id_claims: TokenClaims,
        /// Expiry of the access token, seconds since the epoch, if it says.
        access_expires_at: Option<i64>,
        last_refresh: Option<jiff::Timestamp>,
    },
}

impl Credentials {
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credentials::ApiKey { .. } => CredentialKind::ApiKey,
            Credentials::AccessToken { .. } => CredentialKind::AccessToken,
            Credentials::ChatGpt { .. } => CredentialKind::ChatGpt,
        }
    }

    /// The value for `Authorization: Bearer` as it stands (no refresh).
    pub fn bearer(&self) -> &str {
        match self {
            Credentials::ApiKey { key, .. } => key,
            Credentials::AccessToken { token, .. } => token,
            Credentials::ChatGpt { tokens, .. } => &tokens.access_token,
        }
    }

    /// The ChatGPT account (workspace) id, for the `chatgpt-account-id` header.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Credentials::ApiKey { .. } => None,
            Credentials::AccessToken { claims, .. } => claims.chatgpt_account_id.as_deref(),
            Credentials::ChatGpt {
                tokens, id_claims, ..
            } => tokens
                .account_id
                .as_deref()
                .or(id_claims.chatgpt_account_id.as_deref()),
        }
    }

    /// True for ChatGPT sign-ins and access tokens (requests go to the ChatGPT backend).
    pub fn is_chatgpt(&self) -> bool {
        match self {
            Credentials::ApiKey { .. } => false,
            Credentials::AccessToken { .. } | Credentials::ChatGpt { .. } => true,
        }
    }
}

/// Resolves the credential in effect (see the module docs for the order). `Ok(None)` when
/// nothing is configured.
pub fn resolve_credentials(
    env: &Env,
    store: &AuthStore,
    policy: &AuthPolicy,
) -> Result<Option<Credentials>, AuthError> {
    resolve_with(
        env.get_non_empty(CODEX_API_KEY_VAR),
        env.get_non_empty(CODEX_ACCESS_TOKEN_VAR),
        store,
        policy,
    )
}

pub(crate) fn resolve_with(
    env_api_key: Option<&str>,
    env_access_token: Option<&str>,
    store: &AuthStore,
    policy: &AuthPolicy,
) -> Result<Option<Credentials>, AuthError> {
    if let Some(key) = env_api_key {
        policy.ensure_allowed(CredentialKind::ApiKey)?;
        return Ok(Some(Credentials::ApiKey {
            key: key.trim().to_owned(),
            source: CredentialSource::Env(CODEX_API_KEY_VAR),
        }));
    }
    if let Some(token) = env_access_token {
        let token = token.trim();
        let claims = access_token_claims(token, CODEX_ACCESS_TOKEN_VAR)?;
        policy.ensure_allowed(CredentialKind::AccessToken)?;
        policy.ensure_workspace(claims.chatgpt_account_id.as_deref())?;
        return Ok(Some(Credentials::AccessToken {
            token: token.to_owned(),
            claims,
            source: CredentialSource::Env(CODEX_ACCESS_TOKEN_VAR),
        }));
    }
    let Some(stored) = store.load()? else {
        return Ok(None);
    };
    credentials_from_stored(stored, store, policy)
}

pub(crate) fn credentials_from_stored(
    stored: AuthDotJson,
    store: &AuthStore,
    policy: &AuthPolicy,
) -> Result<Option<Credentials>, AuthError> {
    let Some(kind) = stored.kind() else {
        return Ok(None);
    };
    match kind {
        StoredKind::ApiKey => {
            policy.ensure_allowed(CredentialKind::ApiKey)?;
            Ok(stored.openai_api_key.map(|key| Credentials::ApiKey {
                key: key.trim().to_owned(),
                source: CredentialSource::Stored,
            }))
        }
        StoredKind::AccessToken => {
            let Some(token) = stored.access_token else {
                return Ok(None);
            };
            let what = format!("the access token stored in {}", store.auth_file().display());
            let claims = access_token_claims(&token, &what)?;
            policy.ensure_allowed(CredentialKind::AccessToken)?;
            policy.ensure_workspace(claims.chatgpt_account_id.as_deref())?;
            Ok(Some(Credentials::AccessToken {
                token,
                claims,
                source: CredentialSource::Stored,
            }))
        }
        StoredKind::ChatGpt => {
            let last_refresh = stored.last_refresh_time();
            let Some(tokens) = stored.tokens else {
                return Ok(None);
            };
            policy.ensure_allowed(CredentialKind::ChatGpt)?;
            Ok(Some(chatgpt_credentials(tokens, last_refresh, policy)?))
        }
    }
}

pub(crate) fn chatgpt_credentials(
    tokens: TokenData,
    last_refresh: Option<jiff::Timestamp>,
    policy: &AuthPolicy,
) -> Result<Credentials, AuthError> {
    // A stored id token we cannot read only costs us the display name; do not lock the user
    // out over it.
    let id_claims = decode_claims(&tokens.id_token).unwrap_or_default();
    let access_expires_at = decode_claims(&tokens.access_token).ok().and_then(|c| c.exp);
    let credentials = Credentials::ChatGpt {
        tokens,
        id_claims,
        access_expires_at,
        last_refresh,
    };
    policy.ensure_workspace(credentials.account_id())?;
    Ok(credentials)
}

/// Decodes an access token and checks it carries what Codex needs: a `chatgpt_account_id`
/// (sent with every request) and an `exp`. `what` names the token in errors.
pub fn access_token_claims(token: &str, what: &str) -> Result<TokenClaims, AuthError> {
    let invalid = |reason: String| AuthError::InvalidToken {
        what: what.to_owned(),
        reason,
    };
    let claims =
        decode_claims(token).map_err(|e| invalid(format!("not a ChatGPT access token: {e}")))?;
    if claims.chatgpt_account_id.is_none() {
        return Err(invalid(
            "the token has no chatgpt_account_id in its \"https://api.openai.com/auth\" claim; \
             is it a ChatGPT access token?"
                .to_owned(),
        ));
    }
    if claims.exp.is_none() {
        return Err(invalid(
            "the token has no \"exp\" (expiry) claim".to_owned(),
        ));
    }
    Ok(claims)
}

/// True when the token's `exp` is at or before `now`.
pub fn is_expired(claims: &TokenClaims, now: jiff::Timestamp) -> bool {
    claims.exp.is_some_and(|exp| exp <= now.as_second())
}

/// `codex login --with-api-key`: stores `key` (trimmed; must not be empty).
pub fn login_with_api_key(
    store: &AuthStore,
    policy: &AuthPolicy,
    key: &str,
) -> Result<SavedTo, AuthError> {
    policy.ensure_allowed(CredentialKind::ApiKey)?;
    let key = key.trim();
    if key.is_empty() {
        return Err(AuthError::InvalidToken {
            what: "the API key".to_owned(),
            reason: "it is empty".to_owned(),
        });
    }
    store.save(&AuthDotJson::api_key(key))
}

/// `codex login --with-access-token`: validates and stores a ChatGPT access token.
pub fn login_with_access_token(
    store: &AuthStore,
    policy: &AuthPolicy,
    token: &str,
) -> Result<(TokenClaims, SavedTo), AuthError> {
    policy.ensure_allowed(CredentialKind::AccessToken)?;
    let token = token.trim();
    let claims = access_token_claims(token, "the access token")?;
    if is_expired(&claims, jiff::Timestamp::now()) {
        return Err(AuthError::InvalidToken {
            what: "the access token".to_owned(),
            reason: "it has already expired".to_owned(),
        });
    }
    policy.ensure_workspace(claims.chatgpt_account_id.as_deref())?;
    let saved = store.save(&AuthDotJson::access_token(token))?;
    Ok((claims, saved))
}

/// The result of a ChatGPT sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatGptLogin {
    pub email: Option<String>,
    pub account_id: Option<String>,
    pub plan_type: Option<String>,
    pub saved_to: SavedTo,
}

/// Checks freshly issued tokens against the policy and stores them (browser and device flows).
/// The store is written on a blocking thread: keyring calls may block.
pub async fn store_issued_tokens(
    store: &AuthStore,
    policy: &AuthPolicy,
    issued: IssuedTokens,
) -> Result<ChatGptLogin, AuthError> {
    let claims = id_token_claims(&issued.id_token)?;
    let account_id = claims.chatgpt_account_id.clone().or_else(|| {
        decode_claims(&issued.access_token)
            .ok()
            .and_then(|c| c.chatgpt_account_id)
    });
    policy.ensure_workspace(account_id.as_deref())?;
    let auth = AuthDotJson::chatgpt(
        TokenData {
            id_token: issued.id_token,
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            account_id: account_id.clone(),
        },
        jiff::Timestamp::now(),
    );
    let saved_to = save_blocking(store, auth).await?;
    Ok(ChatGptLogin {
        email: claims.email,
        account_id,
        plan_type: claims.chatgpt_plan_type,
        saved_to,
    })
}

pub(crate) async fn save_blocking(
    store: &AuthStore,
    auth: AuthDotJson,
) -> Result<SavedTo, AuthError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || store.save(&auth))
        .await
        .map_err(|e| AuthError::Internal(format!("credential writer task failed: {e}")))?
}

pub(crate) async fn load_blocking(store: &AuthStore) -> Result<Option<AuthDotJson>, AuthError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || store.load())
        .await
        .map_err(|e| AuthError::Internal(format!("credential reader task failed: {e}")))?
}

/// `codex logout`: removes stored credentials. `Ok(true)` when something was removed.
pub fn logout(store: &AuthStore) -> Result<bool, AuthError> {
    store.delete()
}

/// An API key for display: the first 8 and last 5 characters around `***` (`sk-test-***bcdef`,
/// upstream's format); keys of 16 characters or fewer show only `***` plus the last 2.
pub fn mask_api_key(key: &str) -> String {
    let chars: Vec<char> = key.trim().chars().collect();
    if chars.len() <= 16 {
        let tail: String = chars.iter().skip(chars.len().saturating_sub(2)).collect();
        return format!("***{tail}");
    }
    let head: String = chars.iter().take(8).collect();
    let tail: String = chars.iter().skip(chars.len() - 5).collect();
    format!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn masks_like_upstream() {
        assert_eq!(mask_api_key("sk-test-0123456789abcdef"), "sk-test-***bcdef");
        assert_eq!(mask_api_key("sk-short"), "***rt");
    }

    #[test]
    fn forced_method_matrix() {
        let api = AuthPolicy {
            forced_login_method: Some(ForcedLoginMethod::Api),
            ..AuthPolicy::default()
        };
        let chatgpt = AuthPolicy {
            forced_login_method: Some(ForcedLoginMethod::Chatgpt),
            ..AuthPolicy::default()
        };
        assert!(api.ensure_allowed(CredentialKind::ApiKey).is_ok());
        assert!(api.ensure_allowed(CredentialKind::ChatGpt).is_err());
        assert!(api.ensure_allowed(CredentialKind::AccessToken).is_err());
        assert!(chatgpt.ensure_allowed(CredentialKind::ChatGpt).is_ok());
        assert!(chatgpt.ensure_allowed(CredentialKind::AccessToken).is_ok());
        let err = chatgpt
            .ensure_allowed(CredentialKind::ApiKey)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "an API key is not allowed: forced_login_method = \"chatgpt\" in config.toml; sign \
             in with ChatGPT: `codex login`"
        );
        assert!(
            AuthPolicy::default()
                .ensure_allowed(CredentialKind::ApiKey)
                .is_ok()
        );
    }
}
