//! Provider selection and built-in provider environment handling through `load_config`.

use codex_config::Env;
use pretty_assertions::assert_eq;

use super::harness::Home;

#[test]
fn openai_base_url_from_env_and_config() {
    let mut home = Home::new();
    home.env = [("OPENAI_BASE_URL", "http://proxy.local/v1")]
        .into_iter()
        .collect();
    assert_eq!(
        home.load(&[]).model_provider.base_url,
        "http://proxy.local/v1"
    );
    home.write("config.toml", "openai_base_url = \"http://cfg.local/v1\"\n");
    assert_eq!(
        home.load(&[]).model_provider.base_url,
        "http://cfg.local/v1"
    );
}

#[test]
fn oss_port_from_env() {
    let mut home = Home::with_config("model_provider = \"lmstudio\"\n");
    home.env = [("CODEX_OSS_PORT", "4321")].into_iter().collect();
    assert_eq!(
        home.load(&[]).model_provider.base_url,
        "http://localhost:4321/v1"
    );
    home.env = Env::default();
    assert_eq!(
        home.load(&[]).model_provider.base_url,
        "http://localhost:1234/v1"
    );
}

#[test]
fn unknown_provider_lists_known_ones() {
    let home = Home::with_config(
        "model_provider = \"nope\"\n[model_providers.mock]\nbase_url = \"http://x\"\n",
    );
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:1:18: model_provider: unknown model provider `nope`; known providers: lmstudio, mock, ollama, openai, replay",
            home.file("config.toml").display()
        )
    );
    assert_eq!(
        Home::new().error(&["model_provider=x"]),
        "-c model_provider=x: model_provider: unknown model provider `x`; known providers: lmstudio, ollama, openai, replay"
    );
}

#[test]
fn built_in_providers_cannot_be_overridden() {
    let home = Home::with_config("\n[model_providers.ollama]\nbase_url = \"http://x\"\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:2:18: model_providers.ollama: `ollama` is a built-in provider and cannot be overridden; use another id",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn replay_needs_a_file() {
    let home = Home::with_config("model_provider = \"replay\"\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:1:18: model_provider: the `replay` provider needs `replay_file` (a recorded rollout)",
            home.file("config.toml").display()
        )
    );
    let config = home.load(&["replay_file=/tmp/r.jsonl"]);
    assert_eq!(config.model_provider_id, "replay");
    assert_eq!(config.model_provider.base_url, "");
    assert_eq!(config.replay_file, Some("/tmp/r.jsonl".into()));
}

#[test]
fn custom_provider_key_and_headers() {
    let mut home = Home::with_config(
        r#"
model_provider = "mock"
[model_providers.mock]
name = "Mock"
base_url = "http://localhost:9/v1"
env_key = "MOCK_API_KEY"
http_headers = { "X-Static" = "1" }
env_http_headers = { "X-Org" = "MOCK_ORG" }
request_max_retries = 0
stream_idle_timeout_ms = 1000
"#,
    );
    home.env = [("MOCK_API_KEY", "secret"), ("MOCK_ORG", "org-1")]
        .into_iter()
        .collect();
    let config = home.load(&[]);
    let provider = &config.model_provider;
    assert_eq!(provider.request_max_retries, 0);
    assert_eq!(provider.stream_max_retries, 5);
    assert_eq!(provider.stream_idle_timeout_ms, 1000);
    assert_eq!(
        provider
            .api_key(&config.model_provider_id, &home.env, home.path())
            .unwrap(),
        Some("secret".to_owned())
    );
    assert_eq!(
        provider.resolved_headers(&home.env),
        [
            ("X-Org".to_owned(), "org-1".to_owned()),
            ("X-Static".to_owned(), "1".to_owned())
        ]
        .into()
    );
}
