//! The browser sign-in: a local callback server on `127.0.0.1:<port>` (1455 by default, the
//! port in the redirect URI registered for the client id) that receives the OAuth redirect.
//!
//! Routes:
//! - `GET /auth/callback?code&state` (or `?error&error_description&state`): checks `state`,
//!   turns an `error` into a [`CallbackFailure`], exchanges the code (PKCE verifier), stores the
//!   tokens, answers with a page, and ends the login either way.
//! - `GET /cancel`: ends this login with [`AuthError::LoginCancelled`]. A new `codex login`
//!   that finds the port taken calls it, then binds the port once it is free; so a second
//!   login replaces one still waiting. When the port stays taken, something else holds it:
//!   [`AuthError::CallbackPortInUse`].
//!
//! Every response carries `Connection: close`, and the server stops gracefully after the
//! deciding response has been written.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::credentials::AuthPolicy;
use crate::credentials::ChatGptLogin;
use crate::credentials::store_issued_tokens;
use crate::error::AuthError;
use crate::error::CallbackFailure;
use crate::error::error_chain;
use crate::oauth;
use crate::oauth::OAuthSettings;
use crate::pages;
use crate::pkce::PkceCodes;
use crate::pkce::generate_state;
use crate::storage::AuthStore;

/// How long a new login waits for a cancelled one to free the port.
const PORT_RELEASE_WAIT: Duration = Duration::from_secs(3);
const PORT_RETRY_STEP: Duration = Duration::from_millis(100);
/// How long to let the last page reach the browser before the server task is dropped.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the callback server needs to finish a sign-in.
#[derive(Debug, Clone)]
pub struct LoginServerOptions {
    pub settings: OAuthSettings,
    pub store: AuthStore,
    pub policy: AuthPolicy,
}

/// A running callback server. Drop cancels it; [`LoginServer::wait`] yields the outcome.
#[derive(Debug)]
pub struct LoginServer {
    auth_url: String,
    port: u16,
    outcome: oneshot::Receiver<Result<ChatGptLogin, AuthError>>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    options: LoginServerOptions,
    http: reqwest::Client,
    pkce: PkceCodes,
    state: String,
    redirect_uri: String,
    done: Mutex<Option<oneshot::Sender<Result<ChatGptLogin, AuthError>>>>,
    shutdown: CancellationToken,
}

impl Shared {
    /// Reports the outcome (only the first one counts) and stops the server.
    fn finish(&self, outcome: Result<ChatGptLogin, AuthError>) {
        if let Ok(mut done) = self.done.lock()
            && let Some(tx) = done.take()
        {
            let _ = tx.send(outcome);
        }
        self.shutdown.cancel();
    }
}

impl LoginServer {
    /// Binds the callback port (cancelling an older `codex login` holding it), prepares PKCE
    /// and `state`, and starts serving. `http` is used for the token exchange.
    pub async fn start(
        http: reqwest::Client,
        options: LoginServerOptions,
    ) -> Result<LoginServer, AuthError> {
        let listener = bind_callback_port(options.settings.callback_port).await?;
        let port = listener
            .local_addr()
            .map_err(|source| AuthError::CallbackBind {
                port: options.settings.callback_port,
                source,
            })?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}/auth/callback");
        let pkce = PkceCodes::generate();
        let state = generate_state();
        let auth_url = oauth::authorize_url(
            &options.settings,
            &redirect_uri,
            &pkce,
            &state,
            options.policy.forced_chatgpt_workspace_id.as_deref(),
        )?;
        let (tx, rx) = oneshot::channel();
        let shutdown = CancellationToken::new();
        let shared = Arc::new(Shared {
            options,
            http,
            pkce,
            state,
            redirect_uri,
            done: Mutex::new(Some(tx)),
            shutdown: shutdown.clone(),
        });
        let app = Router::new()
            .route("/auth/callback", get(callback))
            .route("/cancel", get(cancel))
            .fallback(not_found)
            .with_state(shared);
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(e) = serve.await {
                tracing::warn!("sign-in callback server stopped: {e}");
            }
        });
        Ok(LoginServer {
            auth_url,
            port,
            outcome: rx,
            shutdown,
            task,
        })
    }

    /// The URL to open in the browser.
    pub fn auth_url(&self) -> &str {
        &self.auth_url
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cancelling this token ends the login with [`AuthError::LoginCancelled`].
    pub fn cancel_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits for the browser to come back, then for the last page to be delivered.
    pub async fn wait(mut self) -> Result<ChatGptLogin, AuthError> {
        let outcome = tokio::select! {
            outcome = &mut self.outcome => outcome.unwrap_or(Err(AuthError::LoginCancelled)),
            () = self.shutdown.cancelled() => {
                // Cancelled from outside, or a handler finished at the same moment.
                self.outcome.try_recv().unwrap_or(Err(AuthError::LoginCancelled))
            }
        };
        self.shutdown.cancel();
        if tokio::time::timeout(DRAIN_TIMEOUT, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
        outcome
    }
}

impl Drop for LoginServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Binds `127.0.0.1:port`; if it is taken, asks whoever holds it to `/cancel` and retries
/// until [`PORT_RELEASE_WAIT`] has passed.
async fn bind_callback_port(port: u16) -> Result<TcpListener, AuthError> {
    match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => return Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {}
        Err(source) => return Err(AuthError::CallbackBind { port, source }),
    }
    send_cancel(port).await;
    let deadline = tokio::time::Instant::now() + PORT_RELEASE_WAIT;
    loop {
        tokio::time::sleep(PORT_RETRY_STEP).await;
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(AuthError::CallbackPortInUse { port });
                }
            }
            Err(source) => return Err(AuthError::CallbackBind { port, source }),
        }
    }
}

/// `GET http://127.0.0.1:<port>/cancel`, ignoring the outcome: whoever holds the port may not
/// be a login server at all. No proxy: this is loopback.
async fn send_cancel(port: u16) {
    let Ok(client) = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return;
    };
    let url = format!("http://127.0.0.1:{port}/cancel");
    if let Err(e) = client.get(&url).send().await {
        tracing::debug!("cancelling a previous login at {url}: {e}");
    }
}

/// Decides what a callback request carries: the authorization code, or why there is none.
/// `state` is checked first, so nobody but the issuer we sent can end the login with an
/// error of their choosing (they can still end it, as a mismatch).
pub fn classify_callback(
    params: &HashMap<String, String>,
    expected_state: &str,
) -> Result<String, CallbackFailure> {
    if params.get("state").map(String::as_str) != Some(expected_state) {
        return Err(CallbackFailure::StateMismatch);
    }
    if let Some(code) = params.get("error").filter(|e| !e.is_empty()) {
        let description = params
            .get("error_description")
            .filter(|d| !d.trim().is_empty())
            .cloned();
        if code == "access_denied"
            && description
                .as_deref()
                .is_some_and(|d| d.contains("missing_codex_entitlement"))
        {
            return Err(CallbackFailure::MissingCodexEntitlement);
        }
        return Err(CallbackFailure::Provider {
            code: code.clone(),
            description,
        });
    }
    match params.get("code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(code.clone()),
        None => Err(CallbackFailure::MissingAuthorizationCode),
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONNECTION, "close"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let code = match classify_callback(&params, &shared.state) {
        Ok(code) => code,
        Err(failure) => {
            let page = pages::failure_page(&failure);
            shared.finish(Err(AuthError::Callback(failure)));
            return html(StatusCode::BAD_REQUEST, page);
        }
    };
    match complete(&shared, &code).await {
        Ok(login) => {
            let page = pages::success_page(login.email.as_deref());
            shared.finish(Ok(login));
            html(StatusCode::OK, page)
        }
        Err(error) => {
            let page = pages::exchange_failed_page(&error_chain(&error));
            shared.finish(Err(error));
            html(StatusCode::INTERNAL_SERVER_ERROR, page)
        }
    }
}

async fn complete(shared: &Shared, code: &str) -> Result<ChatGptLogin, AuthError> {
    let issued = oauth::exchange_code(
        &shared.http,
        &shared.options.settings,
        &shared.redirect_uri,
        &shared.pkce.code_verifier,
        code,
    )
    .await?;
    store_issued_tokens(&shared.options.store, &shared.options.policy, issued).await
}

async fn cancel(State(shared): State<Arc<Shared>>) -> Response {
    shared.finish(Err(AuthError::LoginCancelled));
    (
        StatusCode::OK,
        [(header::CONNECTION, "close")],
        "This sign-in was cancelled.\n",
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONNECTION, "close")],
        "Not found\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn classification() {
        assert_eq!(
            classify_callback(&params(&[("code", "c"), ("state", "s")]), "s"),
            Ok("c".into())
        );
        assert_eq!(
            classify_callback(&params(&[("code", "c"), ("state", "x")]), "s"),
            Err(CallbackFailure::StateMismatch)
        );
        assert_eq!(
            classify_callback(&params(&[("code", "c")]), "s"),
            Err(CallbackFailure::StateMismatch)
        );
        assert_eq!(
            classify_callback(&params(&[("state", "s")]), "s"),
            Err(CallbackFailure::MissingAuthorizationCode)
        );
        assert_eq!(
            classify_callback(
                &params(&[
                    ("state", "s"),
                    ("error", "access_denied"),
                    ("error_description", "missing_codex_entitlement")
                ]),
                "s"
            ),
            Err(CallbackFailure::MissingCodexEntitlement)
        );
        assert_eq!(
            classify_callback(
                &params(&[
                    ("state", "s"),
                    ("error", "access_denied"),
                    ("error_description", "no")
                ]),
                "s"
            ),
            Err(CallbackFailure::Provider {
                code: "access_denied".into(),
                description: Some("no".into())
            })
        );
    }
}
