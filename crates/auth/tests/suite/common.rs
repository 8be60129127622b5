//! Shared setup: a temp CODEX_HOME and settings pointing at a fake issuer.

use codex_auth::{AuthPolicy, AuthStore, LoginServerOptions, OAuthSettings};
use codex_config::{AuthCredentialsStoreMode, Env};
use codex_test_support::oauth::FakeIssuer;

pub fn settings_for(issuer: &FakeIssuer, port: u16) -> OAuthSettings {
    OAuthSettings {
        client_id: issuer.client_id(),
        callback_port: port,
        ..OAuthSettings::default()
    }
    .with_issuer(&issuer.url())
}

pub fn file_store(home: &tempfile::TempDir) -> AuthStore {
    AuthStore::with_keyring(home.path(), AuthCredentialsStoreMode::File, None)
}

pub fn options(issuer: &FakeIssuer, home: &tempfile::TempDir, port: u16) -> LoginServerOptions {
    LoginServerOptions {
        settings: settings_for(issuer, port),
        store: file_store(home),
        policy: AuthPolicy::default(),
    }
}

pub fn http() -> reqwest::Client {
    codex_auth::http_client(&Env::default()).unwrap()
}

pub fn env(pairs: &[(&str, &str)]) -> Env {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
