//! The OAuth wire of the OpenAI issuer: the authorize URL, the authorization-code exchange, the
//! refresh grant and the device-code endpoints. Endpoint paths, parameter names and the public
//! client id are facts of the upstream CLI (inventory §1.11); the code is ours.
//!
//! | call | request |
//! | --- | --- |
//! | authorize | `GET {issuer}/oauth/authorize?response_type=code&client_id&redirect_uri&scope&code_challenge&code_challenge_method=S256&id_token_add_organizations=true&codex_cli_simplified_flow=true&state&originator[&allowed_workspace_id]` |
//! | code exchange | `POST {issuer}/oauth/token` form: `grant_type=authorization_code`, `code`, `redirect_uri`, `client_id`, `code_verifier` |
//! | refresh | `POST {refresh_url}` JSON: `client_id`, `grant_type=refresh_token`, `refresh_token`, `scope` |
//! | device code | `POST {issuer}/api/accounts/deviceauth/usercode` JSON `{client_id}` |
//! | device poll | `POST {issuer}/api/accounts/deviceauth/token` JSON `{device_auth_id, user_code}`: 403/404 while pending, then `{authorization_code, code_challenge, code_verifier}` |

use std::time::Duration;

use codex_config::Env;
use serde::Deserialize;
use serde::Serialize;

use crate::error::AuthError;
use crate::jwt::TokenClaims;
use crate::jwt::decode_claims;
use crate::pkce::PkceCodes;

/// The production issuer.
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
/// The Codex CLI's public OAuth client id.
pub const DEFAULT_CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// The callback port registered in that client's redirect URI.
pub const DEFAULT_CALLBACK_PORT: u16 = 1455;
/// Scopes requested at sign-in.
pub const SCOPES: &str =
    "openid profile email offline_access api.connectors.read api.connectors.invoke";
/// Scope sent with the refresh grant.
pub const REFRESH_SCOPE: &str = "openid profile email";
/// `originator` sent in the authorize URL.
pub const ORIGINATOR: &str = "codex_cli_rs";
/// Environment variable replacing the refresh endpoint (upstream's name).
pub const REFRESH_TOKEN_URL_OVERRIDE_VAR: &str = "CODEX_REFRESH_TOKEN_URL_OVERRIDE";

/// How long one request to the issuer may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Device codes live this long unless the issuer says otherwise (upstream: 15 minutes).
const DEFAULT_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Poll interval when the issuer gives none.
const DEFAULT_DEVICE_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Floor for the poll interval, so an interval of 0 cannot spin.
const MIN_DEVICE_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Where and as whom Codex signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// Issuer base URL without a trailing slash, e.g. `https://auth.openai.com`.
    pub issuer: String,
    pub client_id: String,
    /// Local port of the callback server (`0` picks a free one; the redirect URI follows).
    pub callback_port: u16,
    /// Refresh endpoint override; `None` means `{issuer}/oauth/token`.
    pub refresh_token_url: Option<String>,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            issuer: DEFAULT_ISSUER.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            callback_port: DEFAULT_CALLBACK_PORT,
            refresh_token_url: None,
        }
    }
}

impl OAuthSettings {
    /// The defaults, with `CODEX_REFRESH_TOKEN_URL_OVERRIDE` applied.
    pub fn from_env(env: &Env) -> Self {
        OAuthSettings {
            refresh_token_url: env
                .get_non_empty(REFRESH_TOKEN_URL_OVERRIDE_VAR)
                .map(|v| v.trim().to_owned()),
            ..OAuthSettings::default()
        }
    }

    /// Replaces the issuer (trailing slashes removed).
    pub fn with_issuer(mut self, issuer: &str) -> Self {
        self.issuer = issuer.trim_end_matches('/').to_owned();
        self
    }

    /// `{issuer}/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.issuer)
    }

    /// The override, else [`OAuthSettings::token_url`].
    pub fn refresh_url(&self) -> String {
        self.refresh_token_url
            .clone()
            .unwrap_or_else(|| self.token_url())
    }

    fn device_api(&self, leaf: &str) -> String {
        format!("{}/api/accounts/deviceauth/{leaf}", self.issuer)
    }

    /// Where the user enters a device code.
    pub fn device_verification_url(&self) -> String {
        format!("{}/codex/device", self.issuer)
    }
}

/// The authorize URL the browser opens.
pub fn authorize_url(
    settings: &OAuthSettings,
    redirect_uri: &str,
    pkce: &PkceCodes,
    state: &str,
    allowed_workspace_id: Option<&str>,
) -> Result<String, AuthError> {
    let base = format!("{}/oauth/authorize", settings.issuer);
    let mut url = reqwest::Url::parse(&base).map_err(|e| AuthError::Body {
        url: base.clone(),
        reason: format!("the issuer is not a valid URL: {e}"),
    })?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &settings.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("code_challenge", &pkce.code_challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("id_token_add_organizations", "true")
            .append_pair("codex_cli_simplified_flow", "true")
            .append_pair("state", state)
            .append_pair("originator", ORIGINATOR);
        if let Some(id) = allowed_workspace_id {
            q.append_pair("allowed_workspace_id", id);
        }
    }
    Ok(url.into())
}

/// Tokens the token endpoint issued.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssuedTokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// What a refresh returned; absent fields keep their old values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefreshedTokens {
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// Exchanges an authorization code for tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    settings: &OAuthSettings,
    redirect_uri: &str,
    code_verifier: &str,
    code: &str,
) -> Result<IssuedTokens, AuthError> {
    let url = settings.token_url();
    let response = http
        .post(&url)
        .timeout(REQUEST_TIMEOUT)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", settings.client_id.as_str()),
            ("code_verifier", code_verifier),
        ])
        .send()
        .await
        .map_err(|e| request_error(&url, e))?;
    json_body(&url, response).await
}

#[derive(Serialize)]
struct RefreshRequest<'a> {
    client_id: &'a str,
    grant_type: &'static str,
    refresh_token: &'a str,
    scope: &'static str,
}

/// Uses a refresh token. A 400/401 answer means the refresh token is no good any more
/// ([`AuthError::RefreshFailed`], with the issuer's error code when it sent one); other
/// failures are transient ([`AuthError::Request`], [`AuthError::Status`]).
pub async fn refresh_tokens(
    http: &reqwest::Client,
    settings: &OAuthSettings,
    refresh_token: &str,
) -> Result<RefreshedTokens, AuthError> {
    let url = settings.refresh_url();
    let response = http
        .post(&url)
        .timeout(REQUEST_TIMEOUT)
        .json(&RefreshRequest {
            client_id: &settings.client_id,
            grant_type: "refresh_token",
            refresh_token,
            scope: REFRESH_SCOPE,
        })
        .send()
        .await
        .map_err(|e| request_error(&url, e))?;
    let status = response.status().as_u16();
    if status == 400 || status == 401 {
        let body = response.text().await.unwrap_or_default();
        return Err(AuthError::RefreshFailed {
            reason: oauth_error_code(&body).unwrap_or_else(|| format!("HTTP {status}")),
        });
    }
    json_body(&url, response).await
}

/// The OAuth error code of an error body: `{"error": "code"}` or `{"error": {"code": ...}}`.
fn oauth_error_code(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = value.get("error")?;
    error
        .as_str()
        .or_else(|| error.get("code").and_then(serde_json::Value::as_str))
        .map(str::to_owned)
}

async fn json_body<T: serde::de::DeserializeOwned>(
    url: &str,
    response: reqwest::Response,
) -> Result<T, AuthError> {
    let status = response.status();
    let text = response.text().await.map_err(|e| request_error(url, e))?;
    if !status.is_success() {
        return Err(AuthError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            body: truncate(&text, 500),
        });
    }
    serde_json::from_str(&text).map_err(|e| AuthError::Body {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

/// The URL is already in our message; keep reqwest's from repeating it.
fn request_error(url: &str, source: reqwest::Error) -> AuthError {
    AuthError::Request {
        url: url.to_owned(),
        source: source.without_url(),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// The claims of an id token, or an [`AuthError::InvalidToken`] naming it.
pub fn id_token_claims(id_token: &str) -> Result<TokenClaims, AuthError> {
    decode_claims(id_token).map_err(|e| AuthError::InvalidToken {
        what: "the id token from the issuer".to_owned(),
        reason: e.to_string(),
    })
}

/// A device code to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// Page where the user enters [`DeviceCode::user_code`].
    pub verification_url: String,
    pub user_code: String,
    device_auth_id: String,
    interval: Duration,
    /// How long the code stays valid.
    pub lifetime: Duration,
}

#[derive(Deserialize)]
struct UserCodeResponse {
    device_auth_id: String,
    #[serde(alias = "usercode")]
    user_code: String,
    #[serde(default)]
    interval: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// Seconds given as a number or a numeric string (the issuer sends strings).
fn seconds(value: Option<&serde_json::Value>) -> Option<Duration> {
    let secs = match value? {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// Asks the issuer for a device code.
pub async fn request_device_code(
    http: &reqwest::Client,
    settings: &OAuthSettings,
) -> Result<DeviceCode, AuthError> {
    let url = settings.device_api("usercode");
    let response = http
        .post(&url)
        .timeout(REQUEST_TIMEOUT)
        .json(&serde_json::json!({ "client_id": settings.client_id }))
        .send()
        .await
        .map_err(|e| request_error(&url, e))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(AuthError::DeviceAuthNotEnabled);
    }
    let body: UserCodeResponse = json_body(&url, response).await?;
    Ok(DeviceCode {
        verification_url: settings.device_verification_url(),
        user_code: body.user_code,
        device_auth_id: body.device_auth_id,
        interval: seconds(body.interval.as_ref())
            .unwrap_or(DEFAULT_DEVICE_POLL_INTERVAL)
            .max(MIN_DEVICE_POLL_INTERVAL),
        lifetime: seconds(body.expires_in.as_ref()).unwrap_or(DEFAULT_DEVICE_CODE_LIFETIME),
    })
}

#[derive(Deserialize)]
struct DeviceTokenResponse {
    authorization_code: String,
    code_verifier: String,
}

/// Polls until the user approves the device code, then exchanges the authorization code for
/// tokens. Errors: [`AuthError::DeviceCodeExpired`] when the lifetime runs out (or the issuer
/// says so), [`AuthError::DeviceCodeDenied`] when the user declines.
pub async fn complete_device_code(
    http: &reqwest::Client,
    settings: &OAuthSettings,
    device: &DeviceCode,
) -> Result<IssuedTokens, AuthError> {
    let url = settings.device_api("token");
    let deadline = tokio::time::Instant::now() + device.lifetime;
    let approved: DeviceTokenResponse = loop {
        let response = http
            .post(&url)
            .timeout(REQUEST_TIMEOUT)
            .json(&serde_json::json!({
                "device_auth_id": device.device_auth_id,
                "user_code": device.user_code,
            }))
            .send()
            .await
            .map_err(|e| request_error(&url, e))?;
        let status = response.status();
        if status.is_success() {
            break json_body(&url, response).await?;
        }
        let body = response.text().await.unwrap_or_default();
        let code = oauth_error_code(&body).unwrap_or_default();
        let code_lower = code.to_ascii_lowercase();
        if code_lower.contains("expired") || status == reqwest::StatusCode::GONE {
            return Err(AuthError::DeviceCodeExpired);
        }
        if code_lower.contains("denied") || code_lower.contains("declined") {
            return Err(AuthError::DeviceCodeDenied { reason: code });
        }
        let pending =
            status == reqwest::StatusCode::FORBIDDEN || status == reqwest::StatusCode::NOT_FOUND;
        if !pending {
            return Err(AuthError::Status {
                url,
                status: status.as_u16(),
                body: truncate(&body, 500),
            });
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Err(AuthError::DeviceCodeExpired);
        }
        tokio::time::sleep(device.interval.min(deadline - now)).await;
    };
    let redirect_uri = format!("{}/deviceauth/callback", settings.issuer);
    exchange_code(
        http,
        settings,
        &redirect_uri,
        &approved.code_verifier,
        &approved.authorization_code,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn authorize_url_carries_every_parameter() {
        let settings = OAuthSettings::default();
        let pkce = PkceCodes {
            code_verifier: "v".into(),
            code_challenge: "c".into(),
        };
        let url = authorize_url(
            &settings,
            "http://127.0.0.1:1455/auth/callback",
            &pkce,
            "s",
            Some("ws-1"),
        )
        .unwrap();
        let parsed = reqwest::Url::parse(&url).unwrap();
        assert_eq!(parsed.path(), "/oauth/authorize");
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some(DEFAULT_CLIENT_ID));
        assert_eq!(
            get("redirect_uri"),
            Some("http://127.0.0.1:1455/auth/callback")
        );
        assert_eq!(get("scope"), Some(SCOPES));
        assert_eq!(get("code_challenge"), Some("c"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("id_token_add_organizations"), Some("true"));
        assert_eq!(get("codex_cli_simplified_flow"), Some("true"));
        assert_eq!(get("state"), Some("s"));
        assert_eq!(get("originator"), Some(ORIGINATOR));
        assert_eq!(get("allowed_workspace_id"), Some("ws-1"));
    }

    #[test]
    fn refresh_url_override_comes_from_env() {
        let env: Env = [(REFRESH_TOKEN_URL_OVERRIDE_VAR, "http://127.0.0.1:9/r")]
            .into_iter()
            .collect();
        let settings = OAuthSettings::from_env(&env);
        assert_eq!(settings.refresh_url(), "http://127.0.0.1:9/r");
        assert_eq!(settings.token_url(), "https://auth.openai.com/oauth/token");
    }

    #[test]
    fn error_codes_in_both_shapes() {
        assert_eq!(
            oauth_error_code(r#"{"error":"refresh_token_expired"}"#).as_deref(),
            Some("refresh_token_expired")
        );
        assert_eq!(
            oauth_error_code(r#"{"error":{"code":"refresh_token_reused","message":"x"}}"#)
                .as_deref(),
            Some("refresh_token_reused")
        );
        assert_eq!(oauth_error_code("nope"), None);
    }

    #[test]
    fn seconds_accepts_strings_and_numbers() {
        assert_eq!(
            seconds(Some(&serde_json::json!("5"))),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            seconds(Some(&serde_json::json!(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(seconds(Some(&serde_json::json!(-1))), None);
        assert_eq!(seconds(None), None);
    }
}
