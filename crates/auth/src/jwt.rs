//! Reading the claims of the JWTs the OpenAI issuer hands out. Signatures are not verified: the
//! tokens come straight from the issuer over TLS (or from the user), and the server that
//! receives them verifies them. We only need the claims to show who is signed in, to send the
//! account id, and to know when an access token expires.
//!
//! Claim names (facts from the upstream issuer): `exp`, `email` (or `email` inside
//! `https://api.openai.com/profile`), and inside `https://api.openai.com/auth`:
//! `chatgpt_account_id`, `chatgpt_plan_type`, `chatgpt_user_id` (or `user_id`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// Namespaced claim holding the ChatGPT account data.
pub const AUTH_CLAIM: &str = "https://api.openai.com/auth";
/// Namespaced claim holding profile data such as the email.
pub const PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// The claims of an id or access token that Codex uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenClaims {
    /// Expiry, seconds since the Unix epoch.
    pub exp: Option<i64>,
    pub email: Option<String>,
    /// The ChatGPT workspace (account) id, sent as `chatgpt-account-id`.
    pub chatgpt_account_id: Option<String>,
    /// e.g. `plus`, `pro`, `business`; kept as the issuer spells it.
    pub chatgpt_plan_type: Option<String>,
    pub chatgpt_user_id: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    #[serde(default)]
    exp: Option<serde_json::Number>,
    #[serde(default)]
    email: Option<String>,
    #[serde(rename = "https://api.openai.com/profile", default)]
    profile: Option<RawProfile>,
    #[serde(rename = "https://api.openai.com/auth", default)]
    auth: Option<RawAuth>,
}

#[derive(Deserialize)]
struct RawProfile {
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
struct RawAuth {
    #[serde(default)]
    chatgpt_account_id: Option<String>,
    #[serde(default)]
    chatgpt_plan_type: Option<String>,
    #[serde(default)]
    chatgpt_user_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

/// Why a string is not a readable JWT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("not a JWT (expected three dot-separated base64url parts)")]
    Shape,
    #[error("the payload is not base64url: {0}")]
    Base64(String),
    #[error("the payload is not a JSON object of claims: {0}")]
    Json(String),
}

/// Decodes the claims of `jwt` without verifying its signature.
pub fn decode_claims(jwt: &str) -> Result<TokenClaims, JwtError> {
    let mut parts = jwt.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Shape);
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(JwtError::Shape);
    }
    // Some issuers pad; base64url without padding is the JWT norm.
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| JwtError::Base64(e.to_string()))?;
    let raw: RawClaims =
        serde_json::from_slice(&bytes).map_err(|e| JwtError::Json(e.to_string()))?;
    let auth = raw.auth;
    Ok(TokenClaims {
        exp: raw
            .exp
            .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
        email: raw.email.or_else(|| raw.profile.and_then(|p| p.email)),
        chatgpt_account_id: auth.as_ref().and_then(|a| a.chatgpt_account_id.clone()),
        chatgpt_plan_type: auth.as_ref().and_then(|a| a.chatgpt_plan_type.clone()),
        chatgpt_user_id: auth
            .as_ref()
            .and_then(|a| a.chatgpt_user_id.clone().or_else(|| a.user_id.clone())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn jwt(payload: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.sig", enc(&json!({"alg": "none"})), enc(&payload))
    }

    #[test]
    fn reads_namespaced_claims() {
        let token = jwt(json!({
            "exp": 1_900_000_000,
            "https://api.openai.com/profile": {"email": "a@example.com"},
            "https://api.openai.com/auth": {
                "chatgpt_account_id": "acct-1",
                "chatgpt_plan_type": "pro",
                "user_id": "user-9"
            }
        }));
        assert_eq!(
            decode_claims(&token).unwrap(),
            TokenClaims {
                exp: Some(1_900_000_000),
                email: Some("a@example.com".into()),
                chatgpt_account_id: Some("acct-1".into()),
                chatgpt_plan_type: Some("pro".into()),
                chatgpt_user_id: Some("user-9".into()),
            }
        );
    }

    #[test]
    fn rejects_non_jwts() {
        assert_eq!(decode_claims("sk-abc"), Err(JwtError::Shape));
        assert_eq!(decode_claims("a.b.c.d"), Err(JwtError::Shape));
        assert!(matches!(decode_claims("a.!!!.c"), Err(JwtError::Base64(_))));
        let not_json = format!("a.{}.c", URL_SAFE_NO_PAD.encode("[1,2]"));
        assert!(matches!(decode_claims(&not_json), Err(JwtError::Json(_))));
    }
}
