//! The model client: builds the request for the provider's wire API, sends it with the request
//! layer's retries (HTTP 5xx and connection failures, backoff 0.2 s doubling), and returns the
//! parsed stream. The stream layer (retrying a broken stream with `Reconnecting... N/M`) is the
//! caller's, since it reports progress to the user.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use codex_config::ModelProviderInfo;
use codex_protocol::{ResponseEvent, ResponseItem, WireApi};
use futures::StreamExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::chat;
use crate::error::{ClientError, backoff};
use crate::replay::Replay;
use crate::responses;

/// Everything one model request needs, independent of the wire API.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub model: String,
    /// The whole history: context messages, conversation, tool calls and outputs.
    pub input: Vec<ResponseItem>,
    /// Tool specs in Responses API shape (`{"type":"function","name",...}` or `custom`).
    pub tools: Vec<Value>,
    pub parallel_tool_calls: bool,
    /// `reasoning` object, e.g. `{"effort":"medium"}`; `None` for non-reasoning models.
    pub reasoning: Option<Value>,
    /// `text` object (`verbosity`, `format`).
    pub text: Option<Value>,
    /// The thread id, sent as `prompt_cache_key` and in the session headers.
    pub thread_id: String,
}

/// Identity headers of this client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// `originator` header: `codex_exec`, or `CODEX_INTERNAL_ORIGINATOR_OVERRIDE`.
    pub originator: String,
    /// `user-agent` header.
    pub user_agent: String,
}

/// A credential that can change while the client runs (ChatGPT tokens that refresh). The agent
/// implements it over its auth manager; the client only asks for the current bearer and reports
/// a 401. Errors are user-facing messages (e.g. "sign in again with `codex login`").
pub trait AuthProvider: Send + Sync {
    /// The `Authorization: Bearer` value, refreshed if about to expire; `None` when signed out.
    fn bearer(&self) -> BoxFuture<'_, Result<Option<String>, String>>;
    /// The server rejected `rejected` with 401: `Ok(true)` when a new token is available and
    /// the request should be sent once more.
    fn refresh_after_unauthorized<'a>(
        &'a self,
        rejected: &'a str,
    ) -> BoxFuture<'a, Result<bool, String>>;
    /// The ChatGPT account id, sent as `chatgpt-account-id`.
    fn account_id(&self) -> BoxFuture<'_, Option<String>>;
}

/// How requests are authenticated.
#[derive(Clone)]
pub enum ClientAuth {
    /// No `Authorization` header (local servers, replay).
    None,
    /// A fixed bearer (API key from the environment or `env_key`).
    Static(String),
    /// A credential that may refresh.
    Dynamic(Arc<dyn AuthProvider>),
}

/// A stream of parsed events; ends after [`ResponseEvent::Completed`] or an error.
pub type ResponseStream = mpsc::Receiver<Result<ResponseEvent, ClientError>>;

/// A configured model provider connection.
#[derive(Clone)]
pub struct ModelClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    provider: ModelProviderInfo,
    auth: ClientAuth,
    headers: BTreeMap<String, String>,
    identity: ClientIdentity,
    replay: Option<Replay>,
}

impl ModelClient {
    /// `http` carries the TLS and proxy setup; `headers` are the provider's resolved extra
    /// headers.
    pub fn new(
        http: reqwest::Client,
        provider: ModelProviderInfo,
        auth: ClientAuth,
        headers: BTreeMap<String, String>,
        identity: ClientIdentity,
        replay: Option<Replay>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                provider,
                auth,
                headers,
                identity,
                replay,
            }),
        }
    }

    /// The bearer and ChatGPT account id to send now.
    async fn credentials(&self) -> Result<(Option<String>, Option<String>), ClientError> {
        match &self.inner.auth {
            ClientAuth::None => Ok((None, None)),
            ClientAuth::Static(key) => Ok((Some(key.clone()), None)),
            ClientAuth::Dynamic(p) => {
                let bearer = p.bearer().await.map_err(ClientError::Fatal)?;
                Ok((bearer, p.account_id().await))
            }
        }
    }

    pub fn provider(&self) -> &ModelProviderInfo {
        &self.inner.provider
    }

    /// Sends one request and returns its event stream. Request-layer retries happen here.
    pub async fn stream(&self, prompt: &Prompt) -> Result<ResponseStream, ClientError> {
        if let Some(replay) = &self.inner.replay {
            return replay.next_response(prompt);
        }
        let p = &self.inner.provider;
        let (path, body) = match p.wire_api {
            WireApi::Responses => ("responses", responses::request_body(prompt)),
            WireApi::Chat => ("chat/completions", chat::request_body(prompt)),
        };
        let url = endpoint_url(&p.base_url, path, &p.query_params);
        let max_retries = p.request_max_retries;
        let mut attempt = 0u64;
        let mut refreshed = false;
        let mut creds = self.credentials().await?;
        let response = loop {
            attempt += 1;
            let result = self.send(&url, &body, prompt, &creds).await;
            let retry = match result {
                Ok(resp) if resp.status().is_success() => break resp,
                Ok(resp) if resp.status().is_server_error() => {
                    let status = resp.status().as_u16();
                    ClientError::ServerOverloaded { status }
                }
                Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED && !refreshed => {
                    // A refreshable credential gets one more try with a new token.
                    if let (ClientAuth::Dynamic(provider), Some(sent)) =
                        (&self.inner.auth, &creds.0)
                        && provider
                            .refresh_after_unauthorized(sent)
                            .await
                            .map_err(ClientError::Fatal)?
                    {
                        refreshed = true;
                        attempt -= 1;
                        creds = self.credentials().await?;
                        continue;
                    }
                    return Err(classify_status(resp, &url, p).await);
                }
                Ok(resp) => return Err(classify_status(resp, &url, p).await),
                Err(e) => ClientError::Connection {
                    url: url.clone(),
                    message: error_chain(&e),
                },
            };
            if attempt > max_retries {
                return Err(retry);
            }
            tracing::debug!("request attempt {attempt} failed: {retry}; retrying");
            tokio::time::sleep(backoff(attempt)).await;
        };
        let idle = Duration::from_millis(p.stream_idle_timeout_ms);
        let (tx, rx) = mpsc::channel(64);
        let wire = p.wire_api;
        tokio::spawn(async move {
            let bytes = response
                .bytes_stream()
                .map(|r| r.map_err(|e| error_chain(&e)));
            match wire {
                WireApi::Responses => responses::pump(bytes, idle, tx).await,
                WireApi::Chat => chat::pump(bytes, idle, tx).await,
            }
        });
        Ok(rx)
    }

    async fn send(
        &self,
        url: &str,
        body: &Value,
        prompt: &Prompt,
        (bearer, account_id): &(Option<String>, Option<String>),
    ) -> Result<reqwest::Response, reqwest::Error> {
        let inner = &self.inner;
        let mut req = inner
            .http
            .post(url)
            .header("accept", "text/event-stream")
            .header("originator", &inner.identity.originator)
            .header("user-agent", &inner.identity.user_agent)
            .header("session-id", &prompt.thread_id)
            .header("thread-id", &prompt.thread_id)
            .header("x-client-request-id", &prompt.thread_id)
            .json(body);
        if let Some(key) = bearer {
            req = req.bearer_auth(key);
        }
        if let Some(account) = account_id {
            req = req.header("chatgpt-account-id", account);
        }
        for (k, v) in &inner.headers {
            req = req.header(k, v);
        }
        req.send().await
    }
}

/// `{base_url}/{path}` plus the provider's `query_params`.
fn endpoint_url(base: &str, path: &str, query: &BTreeMap<String, String>) -> String {
    let mut url = format!("{}/{path}", base.trim_end_matches('/'));
    if !query.is_empty() {
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect();
        url.push('?');
        url.push_str(&pairs.join("&"));
    }
    url
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Maps a non-success, non-5xx answer to an error, per upstream's observed classification.
async fn classify_status(
    resp: reqwest::Response,
    url: &str,
    provider: &ModelProviderInfo,
) -> ClientError {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(Duration::from_secs_f64);
    let body = resp.text().await.unwrap_or_default();
    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let message = parsed["error"]["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| body.clone());
    let code = parsed["error"]["code"].as_str().unwrap_or_default();
    let kind = parsed["error"]["type"].as_str().unwrap_or_default();
    match status {
        StatusCode::TOO_MANY_REQUESTS
            if code == "insufficient_quota" || kind == "insufficient_quota" =>
        {
            ClientError::QuotaExceeded
        }
        StatusCode::TOO_MANY_REQUESTS => match retry_after {
            Some(retry_after) => ClientError::RateLimited { retry_after },
            None => ClientError::RateLimitedNoRetry { message },
        },
        StatusCode::UNAUTHORIZED => ClientError::Unauthorized {
            url: url.to_string(),
            message,
            env_hint: provider
                .env_key
                .clone()
                .unwrap_or_else(|| "OPENAI_API_KEY".to_string()),
        },
        _ => ClientError::BadRequest {
            status: status.as_u16(),
            body,
        },
    }
}

/// `{e:#}`-style chain of a reqwest error.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// The next body chunk, `Ok(None)` at a clean end, `Err` when the body breaks or no byte arrives
/// within `idle`.
pub(crate) async fn next_chunk<S>(
    bytes: &mut S,
    idle: Duration,
) -> Result<Option<bytes::Bytes>, String>
where
    S: futures::Stream<Item = Result<bytes::Bytes, String>> + Unpin,
{
    match tokio::time::timeout(idle, bytes.next()).await {
        Err(_) => Err(format!(
            "idle timeout waiting for SSE ({} ms)",
            idle.as_millis()
        )),
        Ok(None) => Ok(None),
        Ok(Some(r)) => r.map(Some),
    }
}

/// The Responses API `text` object for a verbosity and an optional output schema.
pub fn text_param(verbosity: Option<&str>, output_schema: Option<&Value>) -> Option<Value> {
    let mut text = serde_json::Map::new();
    if let Some(v) = verbosity {
        text.insert("verbosity".into(), json!(v));
    }
    if let Some(schema) = output_schema {
        text.insert(
            "format".into(),
            json!({"type": "json_schema", "strict": true, "schema": schema, "name": "codex_output_schema"}),
        );
    }
    (!text.is_empty()).then_some(Value::Object(text))
}
