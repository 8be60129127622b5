//! `AuthManager`: credential precedence, refresh before expiry, refresh after a 401
//! (single-flight), and a refresh the issuer rejects.

use std::sync::Arc;

use codex_auth::{
    AuthError, AuthManager, AuthPolicy, AuthStore, CredentialSource, Credentials, OAuthSettings,
    resolve_credentials,
};
use codex_config::Env;
use codex_test_support::oauth::{FakeIssuer, IssuerConfig, fake_access_token, fake_jwt};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::common::{env, file_store, http, read_json, settings_for};

fn seed(home: &tempfile::TempDir, auth: &serde_json::Value) {
    std::fs::write(home.path().join("auth.json"), auth.to_string()).unwrap();
}

fn manager(issuer: &FakeIssuer, home: &tempfile::TempDir, env: &Env) -> AuthManager {
    AuthManager::new(
        file_store(home),
        AuthPolicy::default(),
        settings_for(issuer, 0),
        http(),
        env,
    )
}

/// GET the issuer's protected resource with `token`; the status.
async fn call_api(issuer: &FakeIssuer, token: &str) -> u16 {
    http()
        .get(format!("{}/backend-api/me", issuer.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn precedence_api_key_then_access_token_then_auth_json() {
    let home = tempfile::tempdir().unwrap();
    seed(
        &home,
        &json!({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-stored"}),
    );
    let store = file_store(&home);
    let policy = AuthPolicy::default();
    let token = fake_access_token("acct-env", 3600);

    let both = env(&[("CODEX_API_KEY", "sk-env"), ("CODEX_ACCESS_TOKEN", &token)]);
    let creds = resolve_credentials(&both, &store, &policy)
        .unwrap()
        .unwrap();
    assert_eq!(
        creds,
        Credentials::ApiKey {
            key: "sk-env".into(),
            source: CredentialSource::Env("CODEX_API_KEY")
        }
    );

    let token_only = env(&[
        ("CODEX_ACCESS_TOKEN", &token),
        ("OPENAI_API_KEY", "sk-ignored"),
    ]);
    let creds = resolve_credentials(&token_only, &store, &policy)
        .unwrap()
        .unwrap();
    assert_eq!(creds.bearer(), token);
    assert_eq!(creds.account_id(), Some("acct-env"));
    assert!(matches!(
        creds,
        Credentials::AccessToken {
            source: CredentialSource::Env("CODEX_ACCESS_TOKEN"),
            ..
        }
    ));

    // OPENAI_API_KEY alone is not a credential; the stored key is used.
    let creds = resolve_credentials(&env(&[("OPENAI_API_KEY", "sk-ignored")]), &store, &policy)
        .unwrap()
        .unwrap();
    assert_eq!(creds.bearer(), "sk-stored");
    assert!(matches!(
        creds,
        Credentials::ApiKey {
            source: CredentialSource::Stored,
            ..
        }
    ));

    std::fs::remove_file(home.path().join("auth.json")).unwrap();
    assert_eq!(
        resolve_credentials(&Env::default(), &store, &policy).unwrap(),
        None
    );
}

#[tokio::test]
async fn env_credentials_never_touch_disk() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    let token = fake_access_token("acct-env", 3600);
    let m = manager(&issuer, &home, &env(&[("CODEX_ACCESS_TOKEN", &token)]));
    assert_eq!(m.bearer_token().await.unwrap(), Some(token));
    assert_eq!(m.account_id().await.unwrap().as_deref(), Some("acct-env"));
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn invalid_access_token_names_the_variable() {
    let home = tempfile::tempdir().unwrap();
    let no_account = fake_jwt(&json!({"exp": 4_000_000_000_i64}));
    for bad in ["not-a-jwt", no_account.as_str()] {
        let err = resolve_credentials(
            &env(&[("CODEX_ACCESS_TOKEN", bad)]),
            &file_store(&home),
            &AuthPolicy::default(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("CODEX_ACCESS_TOKEN: "), "{err}");
    }
}

#[tokio::test]
async fn expired_env_access_token_is_rejected_with_advice() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    let token = fake_access_token("acct-env", -10);
    let m = manager(&issuer, &home, &env(&[("CODEX_ACCESS_TOKEN", &token)]));
    let err = m.bearer_token().await.unwrap_err();
    assert!(err.to_string().contains("from CODEX_ACCESS_TOKEN"), "{err}");
}

#[tokio::test]
async fn token_about_to_expire_is_refreshed_before_use() {
    let issuer = FakeIssuer::start_with(IssuerConfig {
        access_ttl_secs: 60, // inside the refresh margin
        ..IssuerConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let seeded = issuer.auth_json();
    seed(&home, &seeded);
    issuer.set_access_ttl_secs(3600);

    let m = manager(&issuer, &home, &Env::default());
    let token = m.bearer_token().await.unwrap().unwrap();
    assert_eq!(issuer.refresh_count(), 1);
    assert_ne!(token, seeded["tokens"]["access_token"].as_str().unwrap());
    assert_eq!(call_api(&issuer, &token).await, 200);

    let refresh = &issuer.requests_to("/oauth/token")[0];
    assert_eq!(refresh.params["grant_type"], "refresh_token");
    assert_eq!(
        refresh.params["refresh_token"],
        seeded["tokens"]["refresh_token"].as_str().unwrap()
    );
    assert_eq!(refresh.params["client_id"], issuer.client_id());

    let stored = read_json(&home.path().join("auth.json"));
    assert_eq!(stored["tokens"]["access_token"], token.as_str());
    assert_ne!(
        stored["tokens"]["refresh_token"],
        seeded["tokens"]["refresh_token"]
    );
    assert_ne!(stored["last_refresh"], seeded["last_refresh"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("auth.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Fresh now: no second refresh.
    assert_eq!(m.bearer_token().await.unwrap().unwrap(), token);
    assert_eq!(issuer.refresh_count(), 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let issuer = FakeIssuer::start_with(IssuerConfig {
        access_ttl_secs: 60,
        refresh_delay_ms: 300,
        ..IssuerConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    seed(&home, &issuer.auth_json());
    issuer.set_access_ttl_secs(3600);
    let m = Arc::new(manager(&issuer, &home, &Env::default()));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.bearer_token().await.unwrap().unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    assert_eq!(issuer.refresh_count(), 1);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
}

#[tokio::test]
async fn unauthorized_triggers_one_refresh_and_a_retry_succeeds() {
    let issuer = FakeIssuer::start_with(IssuerConfig {
        refresh_delay_ms: 200,
        ..IssuerConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    seed(&home, &issuer.auth_json());
    let m = Arc::new(manager(&issuer, &home, &Env::default()));

    let token = m.bearer_token().await.unwrap().unwrap();
    assert_eq!(call_api(&issuer, &token).await, 200);
    assert_eq!(issuer.refresh_count(), 0);

    // The server stops accepting the token before it expires.
    issuer.revoke_access_tokens();
    assert_eq!(call_api(&issuer, &token).await, 401);

    // Four requests get the 401 at once: one refresh, all may retry.
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (m, rejected) = (m.clone(), token.clone());
            tokio::spawn(async move { m.refresh_after_unauthorized(&rejected).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(issuer.refresh_count(), 1);
    let new_token = m.bearer_token().await.unwrap().unwrap();
    assert_ne!(new_token, token);
    assert_eq!(call_api(&issuer, &new_token).await, 200);
}

#[tokio::test]
async fn rejected_refresh_tells_the_user_to_sign_in_again() {
    let issuer = FakeIssuer::start_with(IssuerConfig {
        access_ttl_secs: -5, // already expired
        ..IssuerConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    seed(&home, &issuer.auth_json());
    issuer.fail_refresh(Some((
        401,
        json!({"error": {"code": "refresh_token_expired"}}),
    )));
    let m = manager(&issuer, &home, &Env::default());
    let err = m.bearer_token().await.unwrap_err();
    assert!(
        matches!(&err, AuthError::RefreshFailed { reason } if reason == "refresh_token_expired"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("run `codex login` to sign in again"),
        "{err}"
    );
    // Remembered: the issuer is not asked again.
    assert!(m.bearer_token().await.is_err());
    assert_eq!(issuer.refresh_count(), 1);
}

#[tokio::test]
async fn api_key_401_is_not_retried() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    let m = manager(&issuer, &home, &env(&[("CODEX_API_KEY", "sk-env")]));
    assert_eq!(m.bearer_token().await.unwrap().as_deref(), Some("sk-env"));
    assert!(!m.refresh_after_unauthorized("sk-env").await.unwrap());
}

#[tokio::test]
async fn refresh_url_override_is_used() {
    let issuer = FakeIssuer::start_with(IssuerConfig {
        access_ttl_secs: 60,
        ..IssuerConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    seed(&home, &issuer.auth_json());
    let settings = OAuthSettings {
        client_id: issuer.client_id(),
        ..OAuthSettings::from_env(&env(&[(
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE",
            &format!("{}/oauth/token", issuer.url()),
        )]))
    };
    assert_eq!(settings.issuer, "https://auth.openai.com");
    let m = AuthManager::new(
        AuthStore::with_keyring(
            home.path(),
            codex_config::AuthCredentialsStoreMode::File,
            None,
        ),
        AuthPolicy::default(),
        settings,
        http(),
        &Env::default(),
    );
    m.bearer_token().await.unwrap();
    assert_eq!(issuer.refresh_count(), 1);
}

#[tokio::test]
async fn forced_login_method_refuses_the_other_kind() {
    let home = tempfile::tempdir().unwrap();
    seed(
        &home,
        &json!({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-stored"}),
    );
    let policy = AuthPolicy {
        forced_login_method: Some(codex_config::ForcedLoginMethod::Chatgpt),
        ..AuthPolicy::default()
    };
    let err = resolve_credentials(&Env::default(), &file_store(&home), &policy).unwrap_err();
    assert!(
        err.to_string()
            .contains("forced_login_method = \"chatgpt\""),
        "{err}"
    );
}

#[tokio::test]
async fn tokens_refreshed_by_another_process_are_adopted() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    seed(&home, &issuer.auth_json());
    let ours = manager(&issuer, &home, &Env::default());
    let old = ours.bearer_token().await.unwrap().unwrap();

    // Another codex process refreshes and rotates the refresh token in auth.json.
    let other = manager(&issuer, &home, &Env::default());
    other.refresh_after_unauthorized(&old).await.unwrap();
    assert_eq!(issuer.refresh_count(), 1);

    // Our old token gets a 401: we pick up the stored tokens instead of reusing the rotated
    // refresh token (which the issuer would reject as reused).
    assert!(ours.refresh_after_unauthorized(&old).await.unwrap());
    assert_eq!(issuer.refresh_count(), 1);
    let new = ours.bearer_token().await.unwrap().unwrap();
    assert_eq!(new, other.bearer_token().await.unwrap().unwrap());
    assert_eq!(call_api(&issuer, &new).await, 200);
}
