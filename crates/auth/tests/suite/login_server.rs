//! The browser flow end to end: `LoginServer` + the fake issuer + a "browser" following the
//! redirect, for every callback outcome.

use codex_auth::{AuthError, AuthPolicy, CallbackFailure, LoginServer, s256_challenge};
use codex_test_support::oauth::{AuthorizeBehavior, BrowserResponse, FakeIssuer, browser_sign_in};
use pretty_assertions::assert_eq;

use super::common::{free_port, http, options, read_json};

async fn sign_in(url: &str) -> BrowserResponse {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || browser_sign_in(&url))
        .await
        .unwrap()
}

#[tokio::test]
async fn success_stores_tokens_with_pkce_and_state() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    let server = LoginServer::start(http(), options(&issuer, &home, 0))
        .await
        .unwrap();
    let page = sign_in(server.auth_url()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("You're signed in as <strong>dev@example.com</strong>"),
        "{}",
        page.body
    );

    let login = server.wait().await.unwrap();
    assert_eq!(login.email.as_deref(), Some("dev@example.com"));
    assert_eq!(login.account_id.as_deref(), Some("acct-test-123"));
    assert_eq!(login.plan_type.as_deref(), Some("plus"));

    // PKCE: the verifier sent to the token endpoint hashes to the challenge in the URL.
    let authorize = &issuer.requests_to("/oauth/authorize")[0];
    let q = |k: &str| {
        authorize
            .query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let token = &issuer.requests_to("/oauth/token")[0];
    assert_eq!(token.params["grant_type"], "authorization_code");
    assert_eq!(
        s256_challenge(&token.params["code_verifier"]),
        q("code_challenge")
    );
    assert_eq!(q("code_challenge_method"), "S256");
    assert_eq!(q("state").len(), 43);
    assert_eq!(token.params["redirect_uri"], q("redirect_uri"));
    assert!(q("redirect_uri").starts_with("http://127.0.0.1:"));
    assert!(q("redirect_uri").ends_with("/auth/callback"));

    let auth = read_json(&home.path().join("auth.json"));
    assert_eq!(auth["auth_mode"], "chatgpt");
    assert_eq!(auth["OPENAI_API_KEY"], serde_json::Value::Null);
    assert_eq!(auth["tokens"]["account_id"], "acct-test-123");
    assert_eq!(
        auth["tokens"]["access_token"],
        issuer.issued_access_tokens()[0].as_str()
    );
    assert!(
        auth["tokens"]["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("refresh-")
    );
    assert!(
        auth["last_refresh"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("auth.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

async fn failing_login(
    behavior: AuthorizeBehavior,
) -> (BrowserResponse, AuthError, tempfile::TempDir, FakeIssuer) {
    let issuer = FakeIssuer::start();
    issuer.set_authorize(behavior);
    let home = tempfile::tempdir().unwrap();
    let server = LoginServer::start(http(), options(&issuer, &home, 0))
        .await
        .unwrap();
    let page = sign_in(server.auth_url()).await;
    let err = server.wait().await.unwrap_err();
    assert!(!home.path().join("auth.json").exists());
    (page, err, home, issuer)
}

#[tokio::test]
async fn missing_entitlement_shows_the_workspace_page() {
    let (page, err, _home, _issuer) = failing_login(AuthorizeBehavior::Deny {
        error: "access_denied".into(),
        description: Some("missing_codex_entitlement".into()),
    })
    .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("<title>Codex Sign-in Error</title>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Codex isn't turned on for your workspace")
    );
    assert!(page.body.contains("Ask your workspace administrator"));
    assert!(
        matches!(
            err,
            AuthError::Callback(CallbackFailure::MissingCodexEntitlement)
        ),
        "{err}"
    );
    assert!(err.to_string().contains("workspace administrator"), "{err}");
}

#[tokio::test]
async fn other_errors_show_code_and_description() {
    let (page, err, _home, _issuer) = failing_login(AuthorizeBehavior::Deny {
        error: "access_denied".into(),
        description: Some("User cancelled <the> request".into()),
    })
    .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("<dt>Error code</dt><dd>access_denied</dd>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<dt>Details</dt><dd>User cancelled &lt;the&gt; request</dd>")
    );
    assert_eq!(
        err.to_string(),
        "the sign-in page reported access_denied: User cancelled <the> request"
    );
}

#[tokio::test]
async fn missing_code_is_an_error() {
    let (page, err, _home, issuer) = failing_login(AuthorizeBehavior::NoCode).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("missing_authorization_code"));
    assert!(
        matches!(
            err,
            AuthError::Callback(CallbackFailure::MissingAuthorizationCode)
        ),
        "{err}"
    );
    assert!(issuer.requests_to("/oauth/token").is_empty());
}

#[tokio::test]
async fn state_mismatch_is_an_error_and_no_code_is_exchanged() {
    let (page, err, _home, issuer) = failing_login(AuthorizeBehavior::WrongState).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("State mismatch"));
    assert!(
        matches!(err, AuthError::Callback(CallbackFailure::StateMismatch)),
        "{err}"
    );
    assert!(issuer.requests_to("/oauth/token").is_empty());
}

#[tokio::test]
async fn a_second_login_replaces_one_still_waiting() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = LoginServer::start(http(), options(&issuer, &home, port))
        .await
        .unwrap();
    let second = LoginServer::start(http(), options(&issuer, &home, port))
        .await
        .unwrap();
    assert_eq!(second.port(), port);
    assert!(matches!(first.wait().await, Err(AuthError::LoginCancelled)));
    let page = sign_in(second.auth_url()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    second.wait().await.unwrap();
}

#[tokio::test]
async fn a_port_held_by_something_else_is_a_clear_error() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    // Answers every request with 404, like an unrelated local web server, and keeps the port.
    let holder = FakeIssuer::start();
    let port: u16 = holder.url().rsplit(':').next().unwrap().parse().unwrap();
    let err = LoginServer::start(http(), options(&issuer, &home, port))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::CallbackPortInUse { port: p } if p == port),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("port {port}")), "{err}");
}

#[tokio::test]
async fn forced_workspace_mismatch_stores_nothing() {
    let issuer = FakeIssuer::start();
    let home = tempfile::tempdir().unwrap();
    let mut opts = options(&issuer, &home, 0);
    opts.policy = AuthPolicy {
        forced_chatgpt_workspace_id: Some("acct-other".into()),
        ..AuthPolicy::default()
    };
    let server = LoginServer::start(http(), opts).await.unwrap();
    let allowed = issuer_query(server.auth_url(), "allowed_workspace_id");
    assert_eq!(allowed.as_deref(), Some("acct-other"));
    let page = sign_in(server.auth_url()).await;
    assert_eq!(page.status, 500);
    let err = server.wait().await.unwrap_err();
    assert!(matches!(err, AuthError::WorkspaceMismatch { .. }), "{err}");
    assert!(!home.path().join("auth.json").exists());
}

fn issuer_query(url: &str, key: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}
