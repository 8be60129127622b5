//! `codex exec` with the built-in `openai` provider and each kind of credential: the key or
//! token it sends, and a ChatGPT token refreshed once after a 401.

use std::process::Stdio;

use codex_test_support::oauth::{FakeIssuer, IssuerConfig};
use codex_test_support::responses::{message, turn, unauthorized};
use codex_test_support::{FakeServer, TestHome};
use pretty_assertions::assert_eq;

use crate::common::*;

/// An issuer that accepts the client id `codex` sends by default.
fn issuer() -> FakeIssuer {
    FakeIssuer::start_with(IssuerConfig {
        client_id: codex_auth::DEFAULT_CLIENT_ID.to_string(),
        ..IssuerConfig::default()
    })
}

fn openai_home(server: &FakeServer) -> TestHome {
    let home = TestHome::new();
    home.write_config(&format!(
        "model = \"gpt-5.5\"\nopenai_base_url = \"{}\"\n",
        server.url()
    ));
    home
}

fn exec_with(home: &TestHome, vars: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = codex_command(home);
    cmd.env_remove("OPENAI_API_KEY");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["exec", "hi"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn key_precedence_for_the_openai_provider() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("a")]),
        turn("resp_2", vec![message("b")]),
        turn("resp_3", vec![message("c")]),
    ]);
    let home = openai_home(&server);
    std::fs::write(
        home.codex_home().join("auth.json"),
        r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-from-auth-json"}"#,
    )
    .unwrap();
    assert_eq!(
        exec_with(
            &home,
            &[
                ("CODEX_API_KEY", "sk-codex"),
                ("OPENAI_API_KEY", "sk-openai")
            ]
        )
        .0,
        0
    );
    assert_eq!(exec_with(&home, &[("OPENAI_API_KEY", "sk-openai")]).0, 0);
    assert_eq!(exec_with(&home, &[]).0, 0);
    let bearers: Vec<String> = model_requests(&server)
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(
        bearers,
        vec![
            "Bearer sk-codex",
            "Bearer sk-openai",
            "Bearer sk-from-auth-json"
        ]
    );
}

#[test]
fn chatgpt_tokens_are_sent_and_refreshed_after_a_401() {
    let issuer = issuer();
    let server =
        FakeServer::start_blocking(vec![unauthorized(), turn("resp_1", vec![message("ok")])]);
    let home = openai_home(&server);
    let auth = issuer.auth_json();
    let first_token = auth["tokens"]["access_token"].as_str().unwrap().to_string();
    std::fs::write(home.codex_home().join("auth.json"), auth.to_string()).unwrap();
    let refresh_url = format!("{}/oauth/token", issuer.url());
    let (code, stderr) = exec_with(&home, &[("CODEX_REFRESH_TOKEN_URL_OVERRIDE", &refresh_url)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(issuer.refresh_count(), 1);
    let reqs = model_requests(&server);
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {first_token}").as_str())
    );
    let new_token = issuer.issued_access_tokens().last().unwrap().clone();
    assert_ne!(new_token, first_token);
    assert_eq!(
        reqs[1].header("authorization"),
        Some(format!("Bearer {new_token}").as_str())
    );
    assert_eq!(
        reqs[1].header("chatgpt-account-id"),
        Some(issuer.config().account_id.as_str())
    );
    // The refreshed tokens were saved.
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.codex_home().join("auth.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["tokens"]["access_token"], new_token.as_str());
}

#[test]
fn failed_refresh_tells_the_user_to_sign_in_again() {
    let issuer = issuer();
    issuer.fail_refresh(Some((
        401,
        serde_json::json!({"error": "refresh_token_expired"}),
    )));
    let server = FakeServer::start_blocking(vec![unauthorized()]);
    let home = openai_home(&server);
    std::fs::write(
        home.codex_home().join("auth.json"),
        issuer.auth_json().to_string(),
    )
    .unwrap();
    let refresh_url = format!("{}/oauth/token", issuer.url());
    let (code, stderr) = exec_with(&home, &[("CODEX_REFRESH_TOKEN_URL_OVERRIDE", &refresh_url)]);
    assert_eq!(code, 1);
    assert!(stderr.contains("codex login"), "{stderr}");
}
