//! A fake OAuth issuer shaped like the OpenAI one Codex signs in with, on
//! `127.0.0.1:<ephemeral>`, plus a "browser" that follows its redirects.
//!
//! | route | behaviour |
//! | --- | --- |
//! | `GET /oauth/authorize` | per [`AuthorizeBehavior`]: 302 to `redirect_uri` with `code` + `state` (the code is bound to the client id, redirect URI and PKCE challenge), or with `error`/`error_description`, or without a code, or with a wrong state |
//! | `POST /oauth/token` | `grant_type=authorization_code` (form or JSON): checks code, client id, redirect URI and `S256(code_verifier) == code_challenge`; `grant_type=refresh_token`: rotates the refresh token (an old one answers 401 `refresh_token_reused`), or fails as set with [`FakeIssuer::fail_refresh`] |
//! | `POST /api/accounts/deviceauth/usercode` | a device code (`interval` `"0"`, optional `expires_in`) |
//! | `POST /api/accounts/deviceauth/token` | per [`DeviceBehavior`]: 403 while pending, then the authorization code + PKCE pair, or a denial, or expiry |
//! | `GET /backend-api/me` | a protected resource: 200 for the newest unrevoked access token, else 401 |
//!
//! Tokens are unsigned JWTs (`alg: none`) carrying the claims Codex reads: `exp`, `email`,
//! and `https://api.openai.com/auth` with `chatgpt_account_id`, `chatgpt_plan_type`,
//! `chatgpt_user_id`. The server runs on its own runtime thread, so it serves plain `#[test]`s
//! and `#[tokio::test]`s alike.

// Test code: URLs are ASCII and built by the tests themselves.
#![allow(clippy::string_slice)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::Digest;
use tokio::sync::oneshot;

/// The client id the fake issuer expects unless told otherwise.
pub const FAKE_CLIENT_ID: &str = "app_test_client";

/// Who signs in, and how long access tokens live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerConfig {
    pub client_id: String,
    pub email: String,
    pub account_id: String,
    pub plan_type: String,
    /// Lifetime of issued access tokens, in seconds (may be negative: already expired).
    pub access_ttl_secs: i64,
    /// `expires_in` of device codes, if any.
    pub device_expires_in: Option<u64>,
    /// Delay before answering a refresh, so concurrent callers really overlap.
    pub refresh_delay_ms: u64,
}

impl Default for IssuerConfig {
    fn default() -> Self {
        IssuerConfig {
            client_id: FAKE_CLIENT_ID.to_owned(),
            email: "dev@example.com".to_owned(),
            account_id: "acct-test-123".to_owned(),
            plan_type: "plus".to_owned(),
            access_ttl_secs: 3600,
            device_expires_in: None,
            refresh_delay_ms: 0,
        }
    }
}

/// What `GET /oauth/authorize` does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthorizeBehavior {
    /// Redirect with a fresh code and the request's state.
    #[default]
    Approve,
    /// Redirect with `error` (and `error_description`) and the request's state.
    Deny {
        error: String,
        description: Option<String>,
    },
    /// Redirect with the state but no code and no error.
    NoCode,
    /// Redirect with a code but a different state.
    WrongState,
}

/// What the device-code token endpoint does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceBehavior {
    /// Pending (403) for this many polls, then approved.
    ApproveAfter(u32),
    /// Pending once, then `400 {"error": "access_denied"}`.
    Deny,
    /// Pending once, then `410 {"error": "device_code_expired"}`.
    Expire,
    /// Pending forever.
    Pending,
}

/// One request the issuer received.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerRequest {
    pub method: String,
    pub path: String,
    /// Query parameters (decoded).
    pub query: Vec<(String, String)>,
    /// Body parameters, decoded from a form or a flat JSON object.
    pub params: HashMap<String, String>,
    /// `authorization` header, if any.
    pub authorization: Option<String>,
}

#[derive(Debug)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
}

#[derive(Debug)]
struct Inner {
    config: IssuerConfig,
    authorize: AuthorizeBehavior,
    device: DeviceBehavior,
    device_polls: u32,
    /// Set by [`FakeIssuer::fail_refresh`]: status and JSON body for every refresh.
    refresh_failure: Option<(u16, Value)>,
    codes: HashMap<String, Grant>,
    live_refresh_tokens: Vec<String>,
    used_refresh_tokens: Vec<String>,
    /// Newest access token the protected resource accepts.
    current_access_token: Option<String>,
    issued_access_tokens: Vec<String>,
    refresh_count: usize,
    counter: u64,
    requests: Vec<IssuerRequest>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake issuer. Dropping it stops the server.
pub struct FakeIssuer {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeIssuer {
    /// Starts with [`IssuerConfig::default`].
    pub fn start() -> FakeIssuer {
        FakeIssuer::start_with(IssuerConfig::default())
    }

    /// Starts on `127.0.0.1:0` on a private runtime thread.
    pub fn start_with(config: IssuerConfig) -> FakeIssuer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("fake issuer: bind");
        listener
            .set_nonblocking(true)
            .expect("fake issuer: nonblocking");
        let addr = listener.local_addr().expect("fake issuer: local addr");
        let shared: Shared = Arc::new(Mutex::new(Inner {
            config,
            authorize: AuthorizeBehavior::default(),
            device: DeviceBehavior::ApproveAfter(1),
            device_polls: 0,
            refresh_failure: None,
            codes: HashMap::new(),
            live_refresh_tokens: Vec::new(),
            used_refresh_tokens: Vec::new(),
            current_access_token: None,
            issued_access_tokens: Vec::new(),
            refresh_count: 0,
            counter: 0,
            requests: Vec::new(),
        }));
        let app = Router::new()
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/token", post(token))
            .route("/api/accounts/deviceauth/usercode", post(device_usercode))
            .route("/api/accounts/deviceauth/token", post(device_token))
            .route("/backend-api/me", get(me))
            .with_state((shared.clone(), format!("http://{addr}")));
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("fake issuer: runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("fake issuer: listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .expect("fake issuer: serve");
            });
        });
        FakeIssuer {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`: the issuer base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client_id(&self) -> String {
        lock(&self.shared).config.client_id.clone()
    }

    pub fn config(&self) -> IssuerConfig {
        lock(&self.shared).config.clone()
    }

    pub fn set_authorize(&self, behavior: AuthorizeBehavior) {
        lock(&self.shared).authorize = behavior;
    }

    pub fn set_device(&self, behavior: DeviceBehavior) {
        let mut inner = lock(&self.shared);
        inner.device = behavior;
        inner.device_polls = 0;
    }

    /// Makes every refresh answer `status` with `body` (`None` restores normal refreshes).
    pub fn fail_refresh(&self, failure: Option<(u16, Value)>) {
        lock(&self.shared).refresh_failure = failure;
    }

    /// Makes the protected resource reject every access token issued so far (401).
    pub fn revoke_access_tokens(&self) {
        lock(&self.shared).current_access_token = None;
    }

    /// Changes the lifetime of access tokens issued from now on.
    pub fn set_access_ttl_secs(&self, secs: i64) {
        lock(&self.shared).config.access_ttl_secs = secs;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<IssuerRequest> {
        lock(&self.shared).requests.clone()
    }

    /// Requests to `path`.
    pub fn requests_to(&self, path: &str) -> Vec<IssuerRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// How many refresh grants were answered (successfully or not).
    pub fn refresh_count(&self) -> usize {
        lock(&self.shared).refresh_count
    }

    /// Access tokens issued so far, oldest first.
    pub fn issued_access_tokens(&self) -> Vec<String> {
        lock(&self.shared).issued_access_tokens.clone()
    }

    /// Issues a token set as if a sign-in had just happened (to seed `auth.json`): returns
    /// `(id_token, access_token, refresh_token)`; the refresh token is live.
    pub fn mint_tokens(&self) -> (String, String, String) {
        issue_tokens(&mut lock(&self.shared))
    }

    /// An `auth.json` value for a ChatGPT sign-in with [`FakeIssuer::mint_tokens`].
    pub fn auth_json(&self) -> Value {
        let (id_token, access_token, refresh_token) = self.mint_tokens();
        let account = self.config().account_id;
        json!({
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": null,
            "tokens": {
                "id_token": id_token,
                "access_token": access_token,
                "refresh_token": refresh_token,
                "account_id": account,
            },
            "last_refresh": "2026-01-01T00:00:00Z"
        })
    }
}

impl Drop for FakeIssuer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An unsigned JWT (`alg: none`) with `claims` as payload.
pub fn fake_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// A ChatGPT-style access token for `account_id` expiring `ttl_secs` from now.
pub fn fake_access_token(account_id: &str, ttl_secs: i64) -> String {
    fake_jwt(&json!({
        "exp": now_secs() + ttl_secs,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": account_id,
            "chatgpt_plan_type": "plus",
        },
    }))
}

/// `S256(verifier)` as RFC 7636 defines it.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn issue_tokens(inner: &mut Inner) -> (String, String, String) {
    inner.counter += 1;
    let n = inner.counter;
    let cfg = &inner.config;
    let auth_claim = json!({
        "chatgpt_account_id": cfg.account_id,
        "chatgpt_plan_type": cfg.plan_type,
        "chatgpt_user_id": "user-test-1",
    });
    let id_token = fake_jwt(&json!({
        "email": cfg.email,
        "exp": now_secs() + 3600,
        "https://api.openai.com/auth": auth_claim,
    }));
    let access_token = fake_jwt(&json!({
        "exp": now_secs() + cfg.access_ttl_secs,
        "jti": format!("access-{n}"),
        "https://api.openai.com/auth": auth_claim,
    }));
    let refresh_token = format!("refresh-{n}");
    inner.live_refresh_tokens.push(refresh_token.clone());
    inner.current_access_token = Some(access_token.clone());
    inner.issued_access_tokens.push(access_token.clone());
    (id_token, access_token, refresh_token)
}

fn token_json(tokens: (String, String, String)) -> Value {
    let (id_token, access_token, refresh_token) = tokens;
    json!({
        "id_token": id_token,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": 3600,
    })
}

fn json_response(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=2` decoded.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn body_params(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        value
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let v = v
                            .as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string());
                        (k.clone(), v)
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        parse_form(&String::from_utf8_lossy(body))
            .into_iter()
            .collect()
    }
}

fn record(
    shared: &Shared,
    method: &str,
    path: &str,
    query: Vec<(String, String)>,
    params: HashMap<String, String>,
    headers: &HeaderMap,
) {
    lock(shared).requests.push(IssuerRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        params,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
}

type AppState = (Shared, String);

async fn authorize(
    State((shared, _)): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    record(
        &shared,
        "GET",
        "/oauth/authorize",
        query.clone(),
        HashMap::new(),
        &headers,
    );
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let redirect_uri = get("redirect_uri");
    let state = get("state");
    if redirect_uri.is_empty()
        || get("response_type") != "code"
        || get("code_challenge_method") != "S256"
    {
        return json_response(400, json!({"error": "invalid_request"}));
    }
    let mut inner = lock(&shared);
    if get("client_id") != inner.config.client_id {
        return json_response(400, json!({"error": "invalid_client"}));
    }
    inner.counter += 1;
    let code = format!("code-{}", inner.counter);
    let mut params: Vec<(&str, String)> = Vec::new();
    match inner.authorize.clone() {
        AuthorizeBehavior::Approve => {
            params.push(("code", code.clone()));
            params.push(("state", state));
        }
        AuthorizeBehavior::Deny { error, description } => {
            params.push(("error", error));
            if let Some(d) = description {
                params.push(("error_description", d));
            }
            params.push(("state", state));
        }
        AuthorizeBehavior::NoCode => params.push(("state", state)),
        AuthorizeBehavior::WrongState => {
            params.push(("code", code.clone()));
            params.push(("state", "not-the-state-you-sent".to_owned()));
        }
    }
    inner.codes.insert(
        code,
        Grant {
            client_id: get("client_id"),
            redirect_uri: redirect_uri.clone(),
            code_challenge: get("code_challenge"),
        },
    );
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    let location = format!("{redirect_uri}?{}", query.join("&"));
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn token(State((shared, _)): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let params = body_params(&headers, &body);
    record(
        &shared,
        "POST",
        "/oauth/token",
        Vec::new(),
        params.clone(),
        &headers,
    );
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    match get("grant_type").as_str() {
        "authorization_code" => {
            let mut inner = lock(&shared);
            let Some(grant) = inner.codes.remove(&get("code")) else {
                return json_response(
                    400,
                    json!({"error": "invalid_grant", "error_description": "unknown or used code"}),
                );
            };
            if grant.client_id != get("client_id") {
                return json_response(400, json!({"error": "invalid_client"}));
            }
            if grant.redirect_uri != get("redirect_uri") {
                return json_response(
                    400,
                    json!({"error": "invalid_grant", "error_description": "redirect_uri mismatch"}),
                );
            }
            if pkce_challenge(&get("code_verifier")) != grant.code_challenge {
                return json_response(
                    400,
                    json!({"error": "invalid_grant", "error_description": "PKCE verification failed"}),
                );
            }
            json_response(200, token_json(issue_tokens(&mut inner)))
        }
        "refresh_token" => {
            let delay = lock(&shared).config.refresh_delay_ms;
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let mut inner = lock(&shared);
            inner.refresh_count += 1;
            if let Some((status, body)) = inner.refresh_failure.clone() {
                return json_response(status, body);
            }
            if get("client_id") != inner.config.client_id {
                return json_response(400, json!({"error": "invalid_client"}));
            }
            let presented = get("refresh_token");
            if inner.used_refresh_tokens.contains(&presented) {
                return json_response(
                    401,
                    json!({"error": {"code": "refresh_token_reused", "message": "already used"}}),
                );
            }
            let Some(pos) = inner
                .live_refresh_tokens
                .iter()
                .position(|t| *t == presented)
            else {
                return json_response(401, json!({"error": {"code": "refresh_token_invalidated"}}));
            };
            inner.live_refresh_tokens.remove(pos);
            inner.used_refresh_tokens.push(presented);
            json_response(200, token_json(issue_tokens(&mut inner)))
        }
        _ => json_response(400, json!({"error": "unsupported_grant_type"})),
    }
}

async fn device_usercode(
    State((shared, _)): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = body_params(&headers, &body);
    record(
        &shared,
        "POST",
        "/api/accounts/deviceauth/usercode",
        Vec::new(),
        params.clone(),
        &headers,
    );
    let mut inner = lock(&shared);
    if params.get("client_id") != Some(&inner.config.client_id) {
        return json_response(400, json!({"error": "invalid_client"}));
    }
    inner.device_polls = 0;
    let mut body = json!({
        "device_auth_id": "dev-auth-1",
        "user_code": "ABCD-12345",
        "interval": "0",
    });
    if let Some(secs) = inner.config.device_expires_in {
        body["expires_in"] = json!(secs);
    }
    json_response(200, body)
}

async fn device_token(
    State((shared, issuer)): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = body_params(&headers, &body);
    record(
        &shared,
        "POST",
        "/api/accounts/deviceauth/token",
        Vec::new(),
        params.clone(),
        &headers,
    );
    let mut inner = lock(&shared);
    if params.get("device_auth_id").map(String::as_str) != Some("dev-auth-1")
        || params.get("user_code").map(String::as_str) != Some("ABCD-12345")
    {
        return json_response(400, json!({"error": "invalid_request"}));
    }
    inner.device_polls += 1;
    let polls = inner.device_polls;
    let pending = || json_response(403, json!({"error": "authorization_pending"}));
    match inner.device.clone() {
        DeviceBehavior::Pending => pending(),
        DeviceBehavior::Deny if polls > 1 => json_response(400, json!({"error": "access_denied"})),
        DeviceBehavior::Expire if polls > 1 => {
            json_response(410, json!({"error": "device_code_expired"}))
        }
        DeviceBehavior::Deny | DeviceBehavior::Expire => pending(),
        DeviceBehavior::ApproveAfter(n) if polls <= n => pending(),
        DeviceBehavior::ApproveAfter(_) => {
            inner.counter += 1;
            let code = format!("device-code-{}", inner.counter);
            let verifier = format!(
                "device-verifier-{}-abcdefghijklmnopqrstuvwxyz0123456789",
                inner.counter
            );
            let challenge = pkce_challenge(&verifier);
            let client_id = inner.config.client_id.clone();
            inner.codes.insert(
                code.clone(),
                Grant {
                    client_id,
                    redirect_uri: format!("{issuer}/deviceauth/callback"),
                    code_challenge: challenge.clone(),
                },
            );
            json_response(
                200,
                json!({
                    "authorization_code": code,
                    "code_challenge": challenge,
                    "code_verifier": verifier,
                }),
            )
        }
    }
}

async fn me(State((shared, _)): State<AppState>, headers: HeaderMap) -> Response {
    record(
        &shared,
        "GET",
        "/backend-api/me",
        Vec::new(),
        HashMap::new(),
        &headers,
    );
    let inner = lock(&shared);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (bearer, &inner.current_access_token) {
        (Some(b), Some(current)) if b == current => {
            json_response(200, json!({"account_id": inner.config.account_id}))
        }
        _ => json_response(401, json!({"error": {"code": "token_expired"}})),
    }
}

/// What the test "browser" got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserResponse {
    pub status: u16,
    /// `Location` header, if any.
    pub location: Option<String>,
    pub body: String,
}

/// A plain HTTP/1.1 `GET` of an `http://127.0.0.1:<port>/...` URL, as a browser would send it
/// (no redirects followed).
pub fn browser_get(url: &str) -> BrowserResponse {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("browser_get: only http:// URLs: {url}"));
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("browser_get {url}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fake-browser\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    )
    .expect("browser_get: write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("browser_get: read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("browser_get {url}: no status line in {head:?}"));
    let mut location = None;
    let mut chunked = false;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("location") {
                location = Some(v.trim().to_owned());
            }
            if k.eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
        }
    }
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    BrowserResponse {
        status,
        location,
        body,
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&after[..size.min(after.len())]);
        rest = after.get(size + 2..).unwrap_or("");
    }
    out
}

/// Opens `authorize_url` like a browser: the issuer's 302 is followed to the callback server,
/// whose answer is returned.
pub fn browser_sign_in(authorize_url: &str) -> BrowserResponse {
    let first = browser_get(authorize_url);
    assert_eq!(first.status, 302, "authorize did not redirect: {first:?}");
    let location = first.location.expect("authorize redirect without Location");
    browser_get(&location)
}
