//! Model providers: the resolved [`ModelProviderInfo`], the built-in ones (`openai`, `ollama`,
//! `lmstudio`, `replay`) and credential/header resolution from an [`Env`] snapshot.

use std::collections::BTreeMap;
use std::path::Path;

use codex_protocol::WireApi;

use crate::config_toml::ModelProviderToml;
use crate::env::Env;
use crate::error::ConfigError;

/// Id of the default provider.
pub const OPENAI_PROVIDER_ID: &str = "openai";
/// Id of the Ollama provider (the `--oss` default).
pub const OLLAMA_PROVIDER_ID: &str = "ollama";
/// Id of the LM Studio provider.
pub const LMSTUDIO_PROVIDER_ID: &str = "lmstudio";
/// Id of the provider that serves a recorded rollout (`replay_file`).
pub const REPLAY_PROVIDER_ID: &str = "replay";
/// Ids that `[model_providers]` may not reuse.
pub const BUILT_IN_PROVIDER_IDS: &[&str] = &[
    LMSTUDIO_PROVIDER_ID,
    OLLAMA_PROVIDER_ID,
    OPENAI_PROVIDER_ID,
    REPLAY_PROVIDER_ID,
];

/// The OpenAI API, when neither `openai_base_url` nor `OPENAI_BASE_URL` says otherwise.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
const DEFAULT_OLLAMA_PORT: u16 = 11434;
const DEFAULT_LMSTUDIO_PORT: u16 = 1234;

const DEFAULT_REQUEST_MAX_RETRIES: u64 = 4;
const DEFAULT_STREAM_MAX_RETRIES: u64 = 5;
const DEFAULT_STREAM_IDLE_TIMEOUT_MS: u64 = 300_000;

/// A model provider with every default applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelProviderInfo {
    /// Display name.
    pub name: String,
    /// Base URL; the client appends `/responses` or `/chat/completions`. Empty for `replay`.
    pub base_url: String,
    /// Environment variable holding the API key.
    pub env_key: Option<String>,
    /// Shown when `env_key` is missing (e.g. where to get a key).
    pub env_key_instructions: Option<String>,
    /// A literal bearer token from the config (discouraged; prefer `env_key`).
    pub experimental_bearer_token: Option<String>,
    pub wire_api: WireApi,
    /// Appended to every request URL.
    pub query_params: BTreeMap<String, String>,
    /// Sent with every request.
    pub http_headers: BTreeMap<String, String>,
    /// Header name → environment variable; sent when the variable is set and non-empty.
    pub env_http_headers: BTreeMap<String, String>,
    /// Retries of a failed HTTP request (default 4).
    pub request_max_retries: u64,
    /// Reconnects of a dropped stream (default 5).
    pub stream_max_retries: u64,
    /// Milliseconds without a stream event before the stream counts as dropped (default 300000).
    pub stream_idle_timeout_ms: u64,
    /// Uses OpenAI credentials (API key from env or `auth.json`, or a ChatGPT login).
    pub requires_openai_auth: bool,
}

impl ModelProviderInfo {
    fn with_defaults(name: &str, base_url: String, wire_api: WireApi) -> Self {
        ModelProviderInfo {
            name: name.to_owned(),
            base_url,
            env_key: None,
            env_key_instructions: None,
            experimental_bearer_token: None,
            wire_api,
            query_params: BTreeMap::new(),
            http_headers: BTreeMap::new(),
            env_http_headers: BTreeMap::new(),
            request_max_retries: DEFAULT_REQUEST_MAX_RETRIES,
            stream_max_retries: DEFAULT_STREAM_MAX_RETRIES,
            stream_idle_timeout_ms: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
            requires_openai_auth: false,
        }
    }

    /// A `[model_providers.<id>]` entry with defaults applied.
    pub(crate) fn from_toml(id: &str, t: &ModelProviderToml) -> Self {
        let base_url = t
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.to_owned());
        let mut info = Self::with_defaults(
            t.name.as_deref().unwrap_or(id),
            base_url,
            t.wire_api.unwrap_or_default(),
        );
        info.env_key = t.env_key.clone();
        info.env_key_instructions = t.env_key_instructions.clone();
        info.experimental_bearer_token = t.experimental_bearer_token.clone();
        info.query_params = t.query_params.clone().unwrap_or_default();
        info.http_headers = t.http_headers.clone().unwrap_or_default();
        info.env_http_headers = t.env_http_headers.clone().unwrap_or_default();
        if let Some(n) = t.request_max_retries {
            info.request_max_retries = n;
        }
        if let Some(n) = t.stream_max_retries {
            info.stream_max_retries = n;
        }
        if let Some(ms) = t.stream_idle_timeout_ms {
            info.stream_idle_timeout_ms = ms;
        }
        info.requires_openai_auth = t.requires_openai_auth.unwrap_or(false);
        info
    }

    /// The built-in provider `id`, or `None` if `id` is not built in.
    ///
    /// `openai`: base URL from `openai_base_url` (config), else `OPENAI_BASE_URL`, else
    /// [`DEFAULT_OPENAI_BASE_URL`]. `ollama`/`lmstudio`: `http://localhost:{11434|1234}/v1`, where
    /// `CODEX_OSS_BASE_URL` replaces the whole URL and `CODEX_OSS_PORT` the port (upstream
    /// behaviour). `replay`: empty base URL.
    ///
    /// Errors: [`ConfigError::InvalidEnvVar`] for a `CODEX_OSS_PORT` that is not a port number.
    pub fn built_in(
        id: &str,
        openai_base_url: Option<&str>,
        env: &Env,
    ) -> Result<Option<Self>, ConfigError> {
        let info = match id {
            OPENAI_PROVIDER_ID => {
                let base_url = openai_base_url
                    .filter(|u| !u.trim().is_empty())
                    .or_else(|| env.get_non_empty("OPENAI_BASE_URL"))
                    .unwrap_or(DEFAULT_OPENAI_BASE_URL);
                let mut info =
                    Self::with_defaults("OpenAI", base_url.to_owned(), WireApi::Responses);
                info.requires_openai_auth = true;
                info
            }
            OLLAMA_PROVIDER_ID => Self::with_defaults(
                "Ollama",
                local_base_url(env, DEFAULT_OLLAMA_PORT)?,
                WireApi::Chat,
            ),
            LMSTUDIO_PROVIDER_ID => Self::with_defaults(
                "LM Studio",
                local_base_url(env, DEFAULT_LMSTUDIO_PORT)?,
                WireApi::Chat,
            ),
            REPLAY_PROVIDER_ID => Self::with_defaults("replay", String::new(), WireApi::Responses),
            _ => return Ok(None),
        };
        Ok(Some(info))
    }

    /// The API key to send as `Authorization: Bearer`.
    ///
    /// For `openai` (and providers with `requires_openai_auth` but no `env_key`):
    /// `CODEX_API_KEY`, then `OPENAI_API_KEY`, then the `OPENAI_API_KEY` field of
    /// `$CODEX_HOME/auth.json`; `Ok(None)` if none is set (a ChatGPT login may still apply).
    /// Otherwise `experimental_bearer_token` if set, then the `env_key` variable, which must be
    /// set and non-empty ([`ConfigError::MissingEnvVar`] names it and carries
    /// `env_key_instructions`). `Ok(None)` when the provider needs no key (local providers).
    pub fn api_key(
        &self,
        provider_id: &str,
        env: &Env,
        codex_home: &Path,
    ) -> Result<Option<String>, ConfigError> {
        let openai_style = provider_id == OPENAI_PROVIDER_ID
            || (self.requires_openai_auth && self.env_key.is_none());
        if openai_style {
            for var in ["CODEX_API_KEY", "OPENAI_API_KEY"] {
                if let Some(key) = env.get_non_empty(var) {
                    return Ok(Some(key.to_owned()));
                }
            }
            return api_key_from_auth_json(codex_home);
        }
        if let Some(token) = self
            .experimental_bearer_token
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            return Ok(Some(token.to_owned()));
        }
        let Some(var) = &self.env_key else {
            return Ok(None);
        };
        match env.get_non_empty(var) {
            Some(key) => Ok(Some(key.to_owned())),
            None => Err(ConfigError::MissingEnvVar {
                provider: provider_id.to_owned(),
                var: var.clone(),
                instructions: self.env_key_instructions.clone(),
            }),
        }
    }

    /// `http_headers` plus each `env_http_headers` entry whose variable is set and non-empty
    /// (the latter win on a name clash).
    pub fn resolved_headers(&self, env: &Env) -> BTreeMap<String, String> {
        let mut headers = self.http_headers.clone();
        for (header, var) in &self.env_http_headers {
            if let Some(value) = env.get_non_empty(var) {
                headers.insert(header.clone(), value.to_owned());
            }
        }
        headers
    }
}

fn local_base_url(env: &Env, default_port: u16) -> Result<String, ConfigError> {
    if let Some(url) = env.get_non_empty("CODEX_OSS_BASE_URL") {
        return Ok(url.trim().to_owned());
    }
    let port = match env.get_non_empty("CODEX_OSS_PORT") {
        Some(raw) => raw
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| ConfigError::InvalidEnvVar {
                var: "CODEX_OSS_PORT",
                value: raw.to_owned(),
                reason: "expected a port number (1-65535)".to_owned(),
            })?,
        None => default_port,
    };
    Ok(format!("http://localhost:{port}/v1"))
}

fn api_key_from_auth_json(codex_home: &Path) -> Result<Option<String>, ConfigError> {
    let path = codex_home.join("auth.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError::AuthFile {
                path,
                message: e.to_string(),
            });
        }
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ConfigError::AuthFile {
            path: path.clone(),
            message: e.to_string(),
        })?;
    Ok(json
        .get("OPENAI_API_KEY")
        .and_then(serde_json::Value::as_str)
        .filter(|k| !k.trim().is_empty())
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().copied().collect()
    }

    fn built_in(id: &str, config_url: Option<&str>, e: &Env) -> ModelProviderInfo {
        ModelProviderInfo::built_in(id, config_url, e)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn openai_base_url_precedence() {
        let e = env(&[("OPENAI_BASE_URL", "http://env/v1")]);
        assert_eq!(
            built_in("openai", None, &Env::default()).base_url,
            DEFAULT_OPENAI_BASE_URL
        );
        assert_eq!(built_in("openai", None, &e).base_url, "http://env/v1");
        assert_eq!(
            built_in("openai", Some("http://cfg/v1"), &e).base_url,
            "http://cfg/v1"
        );
        assert!(built_in("openai", None, &e).requires_openai_auth);
    }

    #[test]
    fn oss_env_overrides() {
        assert_eq!(
            built_in("ollama", None, &Env::default()).base_url,
            "http://localhost:11434/v1"
        );
        let port = env(&[("CODEX_OSS_PORT", "9999")]);
        assert_eq!(
            built_in("ollama", None, &port).base_url,
            "http://localhost:9999/v1"
        );
        assert_eq!(
            built_in("lmstudio", None, &port).base_url,
            "http://localhost:9999/v1"
        );
        let both = env(&[
            ("CODEX_OSS_PORT", "9999"),
            ("CODEX_OSS_BASE_URL", "http://gpu:1/v1"),
        ]);
        assert_eq!(
            built_in("lmstudio", None, &both).base_url,
            "http://gpu:1/v1"
        );
        assert_eq!(built_in("lmstudio", None, &both).wire_api, WireApi::Chat);
        let bad = env(&[("CODEX_OSS_PORT", "http")]);
        assert_eq!(
            ModelProviderInfo::built_in("ollama", None, &bad)
                .unwrap_err()
                .to_string(),
            "environment variable CODEX_OSS_PORT=http: expected a port number (1-65535)"
        );
        assert!(
            ModelProviderInfo::built_in("nope", None, &bad)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn openai_api_key_precedence() {
        let home = tempfile::tempdir().unwrap();
        let openai = built_in("openai", None, &Env::default());
        let key = |e: &Env| openai.api_key("openai", e, home.path()).unwrap();
        assert_eq!(key(&Env::default()), None);
        std::fs::write(
            home.path().join("auth.json"),
            r#"{"OPENAI_API_KEY":"from-file","tokens":null}"#,
        )
        .unwrap();
        assert_eq!(key(&Env::default()).as_deref(), Some("from-file"));
        let e = env(&[("OPENAI_API_KEY", "from-openai")]);
        assert_eq!(key(&e).as_deref(), Some("from-openai"));
        let e = env(&[
            ("OPENAI_API_KEY", "from-openai"),
            ("CODEX_API_KEY", "from-codex"),
        ]);
        assert_eq!(key(&e).as_deref(), Some("from-codex"));
        let e = env(&[("OPENAI_API_KEY", ""), ("CODEX_API_KEY", "")]);
        assert_eq!(key(&e).as_deref(), Some("from-file"));

        std::fs::write(home.path().join("auth.json"), "{").unwrap();
        assert!(
            openai
                .api_key("openai", &Env::default(), home.path())
                .is_err()
        );
    }

    #[test]
    fn custom_provider_env_key() {
        let home = tempfile::tempdir().unwrap();
        let toml = ModelProviderToml {
            env_key: Some("MOCK_KEY".into()),
            env_key_instructions: Some("Get one at https://mock.example".into()),
            ..Default::default()
        };
        let info = ModelProviderInfo::from_toml("mock", &toml);
        assert_eq!(info.name, "mock");
        assert_eq!(
            info.api_key("mock", &env(&[("MOCK_KEY", "k")]), home.path())
                .unwrap(),
            Some("k".to_owned())
        );
        assert_eq!(
            info.api_key("mock", &env(&[("OPENAI_API_KEY", "sk")]), home.path())
                .unwrap_err()
                .to_string(),
            "model provider `mock` needs the environment variable MOCK_KEY, which is not set or \
             empty. Get one at https://mock.example"
        );
        let local = built_in("ollama", None, &Env::default());
        assert_eq!(
            local
                .api_key("ollama", &Env::default(), home.path())
                .unwrap(),
            None
        );
    }

    #[test]
    fn headers_from_env_only_when_set() {
        let toml = ModelProviderToml {
            http_headers: Some([("X-A".to_owned(), "a".to_owned())].into()),
            env_http_headers: Some(
                [
                    ("X-B".to_owned(), "B_VAR".to_owned()),
                    ("X-C".to_owned(), "C_VAR".to_owned()),
                ]
                .into(),
            ),
            ..Default::default()
        };
        let info = ModelProviderInfo::from_toml("p", &toml);
        let headers = info.resolved_headers(&env(&[("B_VAR", "b"), ("C_VAR", "")]));
        assert_eq!(
            headers,
            [
                ("X-A".to_owned(), "a".to_owned()),
                ("X-B".to_owned(), "b".to_owned())
            ]
            .into()
        );
    }
}
