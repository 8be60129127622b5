//! The fake model server: a real HTTP/1.1 server on `127.0.0.1:<ephemeral>` that answers model
//! requests from a script and records every request it sees.
//!
//! `POST /v1/responses` and `POST /v1/chat/completions` each take the next [`Scripted`] entry
//! from one shared queue. Everything else is answered without touching the queue: a WebSocket
//! upgrade attempt on `GET /v1/responses` gets 426 (the built-in provider then falls back to
//! SSE, as peer-wire.md §0 observed), any other request 404. All requests are captured first,
//! including the ones answered with a fault.
//!
//! Both constructors run the same [`serve`] future; they differ only in who drives it (the
//! caller's tokio runtime, or a private one on a background thread for plain `#[test]`s).

use std::collections::VecDeque;
use std::future::IntoFuture;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header, request};
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::oneshot;

#[cfg(test)]
mod tests;

/// Path (below the host) of the Responses API endpoint, `base_url + "/responses"`.
pub const RESPONSES_PATH: &str = "/v1/responses";
/// Path (below the host) of the Chat Completions endpoint.
pub const CHAT_COMPLETIONS_PATH: &str = "/v1/chat/completions";

/// How long a cut stream waits after its last event before failing the body, so the events
/// already written are flushed to the socket before the connection is torn down.
const CUT_GRACE: Duration = Duration::from_millis(30);

/// One scripted answer to a model request.
#[derive(Debug, Clone, PartialEq)]
pub enum Scripted {
    /// 200 `text/event-stream`: each event written as `event: <type>\ndata: <json>\n\n` and
    /// flushed on its own (chunked transfer encoding), `delay_ms` milliseconds between events.
    /// An event without `sequence_number` gets its index in the stream.
    Sse {
        /// Responses API events, each an object with a `type`.
        events: Vec<Value>,
        /// Pause between two events, in milliseconds.
        delay_ms: u64,
    },
    /// Like [`Scripted::Sse`], then the connection is cut: no terminating chunk, so the
    /// client's body read fails instead of ending (a dropped stream).
    SseCut {
        /// Responses API events written before the cut.
        events: Vec<Value>,
    },
    /// A plain HTTP answer (usually an error). `content-type` defaults to `application/json`
    /// when the body is JSON and no such header is given.
    Http {
        /// HTTP status code.
        status: u16,
        /// Extra headers, e.g. `("retry-after", "1")`.
        headers: Vec<(String, String)>,
        /// Response body.
        body: String,
    },
    /// Chat Completions SSE: each chunk written as `data: <json>\n\n`, then `data: [DONE]\n\n`.
    ChatSse {
        /// `chat.completion.chunk` objects.
        chunks: Vec<Value>,
    },
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, e.g. `/v1/responses`.
    pub path: String,
    /// Raw query string without `?`, if any.
    pub query: Option<String>,
    /// Headers in arrival order; names are lowercase.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Null` when empty or not JSON.
    pub body: Value,
}

impl CapturedRequest {
    /// The first value of header `name` (case-insensitive), if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn new(parts: &request::Parts, body: &[u8]) -> Self {
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        CapturedRequest {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
        }
    }
}

/// A running fake model server. Dropping it stops the server.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    driver: Driver,
}

/// Who drives the [`serve`] future.
enum Driver {
    /// A task on the caller's runtime ([`FakeServer::start`]).
    Task(tokio::task::JoinHandle<()>),
    /// A private runtime on its own thread ([`FakeServer::start_blocking`]).
    Thread(Option<std::thread::JoinHandle<()>>),
}

impl FakeServer {
    /// Starts serving `script` on `127.0.0.1:0` in a task on the current tokio runtime.
    ///
    /// Panics outside a tokio runtime, or when no local port can be bound.
    pub async fn start(script: Vec<Scripted>) -> FakeServer {
        let (listener, addr, shared) = bind(script);
        let (shutdown, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, Arc::clone(&shared), stopped));
        FakeServer {
            addr,
            shared,
            shutdown: Some(shutdown),
            driver: Driver::Task(task),
        }
    }

    /// Starts serving `script` on `127.0.0.1:0` from a background thread with its own tokio
    /// runtime, for plain `#[test]` functions (e.g. ones spawning the `codex` binary). The port
    /// is bound before this returns, so the URL is usable at once.
    pub fn start_blocking(script: Vec<Scripted>) -> FakeServer {
        let (listener, addr, shared) = bind(script);
        let (shutdown, stopped) = oneshot::channel();
        let served = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fake-model-server".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake server: build tokio runtime");
                runtime.block_on(serve(listener, served, stopped));
            })
            .expect("fake server: spawn server thread");
        FakeServer {
            addr,
            shared,
            shutdown: Some(shutdown),
            driver: Driver::Thread(Some(thread)),
        }
    }

    /// Base URL of the fake API, `http://127.0.0.1:PORT/v1` (a provider's `base_url`).
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order, including unscripted and faulted ones.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Number of scripted entries not consumed yet.
    pub fn remaining(&self) -> usize {
        self.shared.lock().script.len()
    }

    /// Appends an entry to the end of the script.
    pub fn push(&self, entry: Scripted) {
        self.shared.lock().script.push_back(entry);
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The receiver is gone only if the server already stopped.
            let _ = shutdown.send(());
        }
        match &mut self.driver {
            Driver::Task(task) => task.abort(),
            Driver::Thread(thread) => {
                if let Some(thread) = thread.take() {
                    // A panic on the server thread already failed whatever request it served.
                    let _ = thread.join();
                }
            }
        }
    }
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .field("remaining", &self.remaining())
            .finish_non_exhaustive()
    }
}

/// State shared between the server and its [`FakeServer`] handle. One lock for both queues, so
/// the capture order always matches the consumption order.
#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Scripted>,
    requests: Vec<CapturedRequest>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the capture from the next assertion.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn bind(script: Vec<Scripted>) -> (StdTcpListener, SocketAddr, Arc<Shared>) {
    let listener = StdTcpListener::bind("127.0.0.1:0").expect("fake server: bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("fake server: set listener non-blocking");
    let addr = listener.local_addr().expect("fake server: local address");
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            script: script.into(),
            requests: Vec::new(),
        }),
    });
    (listener, addr, shared)
}

/// Serves until `stopped` fires (or its sender is dropped).
async fn serve(listener: StdTcpListener, shared: Arc<Shared>, stopped: oneshot::Receiver<()>) {
    let listener =
        tokio::net::TcpListener::from_std(listener).expect("fake server: register listener");
    // Without TCP_NODELAY each small SSE write after the first waits for the client's delayed
    // ACK (about 40 ms per request on Linux), which real model servers do not do.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = Router::new().fallback(handle).with_state(shared);
    tokio::select! {
        result = axum::serve(listener, app).into_future() => result.expect("fake server: serve"),
        _ = stopped => {}
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // A body that fails to arrive is captured as empty; the client sees its own error anyway.
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let captured = CapturedRequest::new(&parts, &body);
    let path = captured.path.clone();
    let next = {
        let mut inner = shared.lock();
        inner.requests.push(captured);
        let is_model_call = parts.method == Method::POST
            && (path == RESPONSES_PATH || path == CHAT_COMPLETIONS_PATH);
        if is_model_call {
            Some(inner.script.pop_front())
        } else {
            None
        }
    };
    match next {
        Some(Some(entry)) => respond(entry),
        Some(None) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake server: script exhausted",
        ),
        None if path == RESPONSES_PATH && parts.headers.contains_key(header::UPGRADE) => {
            json_error(
                StatusCode::UPGRADE_REQUIRED,
                "fake server: WebSocket not supported, use POST",
            )
        }
        None => json_error(
            StatusCode::NOT_FOUND,
            &format!("fake server: no route for {} {path}", parts.method),
        ),
    }
}

fn respond(entry: Scripted) -> Response {
    match entry {
        Scripted::Sse { events, delay_ms } => event_stream(
            responses_frames(&events),
            Duration::from_millis(delay_ms),
            false,
        ),
        Scripted::SseCut { events } => {
            event_stream(responses_frames(&events), Duration::ZERO, true)
        }
        Scripted::Http {
            status,
            headers,
            body,
        } => http_answer(status, &headers, body),
        Scripted::ChatSse { chunks } => event_stream(chat_frames(&chunks), Duration::ZERO, false),
    }
}

/// `event: <type>\ndata: <json>\n\n` per event, numbering events that lack `sequence_number`.
fn responses_frames(events: &[Value]) -> Vec<Bytes> {
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let mut event = event.clone();
            if let Value::Object(fields) = &mut event {
                fields
                    .entry("sequence_number")
                    .or_insert_with(|| json!(index));
            }
            let data = event.to_string();
            let frame = match event.get("type").and_then(Value::as_str) {
                Some(kind) => format!("event: {kind}\ndata: {data}\n\n"),
                None => format!("data: {data}\n\n"),
            };
            Bytes::from(frame)
        })
        .collect()
}

/// `data: <json>\n\n` per chunk, then the `[DONE]` sentinel.
fn chat_frames(chunks: &[Value]) -> Vec<Bytes> {
    chunks
        .iter()
        .map(|chunk| Bytes::from(format!("data: {chunk}\n\n")))
        .chain(std::iter::once(Bytes::from_static(b"data: [DONE]\n\n")))
        .collect()
}

/// A 200 `text/event-stream` answer writing `frames` one by one; with `cut`, the body then
/// fails, which makes hyper drop the connection without the terminating chunk.
fn event_stream(frames: Vec<Bytes>, delay: Duration, cut: bool) -> Response {
    let events = futures::stream::iter(frames.into_iter().enumerate()).then(
        move |(index, frame)| async move {
            if index > 0 {
                pause(delay).await;
            }
            Ok::<Bytes, std::io::Error>(frame)
        },
    );
    let tail = futures::stream::iter(cut.then_some(())).then(|()| async {
        tokio::time::sleep(CUT_GRACE).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "fake server: stream cut",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(events.chain(tail)))
        .expect("fake server: static SSE response head")
}

/// Sleeps `delay`; with no delay it still yields once, so hyper flushes each event separately.
async fn pause(delay: Duration) {
    if delay.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(delay).await;
    }
}

fn http_answer(status: u16, headers: &[(String, String)], body: String) -> Response {
    let Ok(status) = StatusCode::from_u16(status) else {
        return json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("fake server: scripted status {status} is not a valid HTTP status"),
        );
    };
    let mut builder = Response::builder().status(status);
    let has_content_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !has_content_type && !body.is_empty() {
        let is_json = serde_json::from_str::<Value>(&body).is_ok();
        let content_type = if is_json {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(Body::from(body)).unwrap_or_else(|err| {
        json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("fake server: invalid scripted header: {err}"),
        )
    })
}

/// `{"error":{"message": ...}}` with the given status.
fn json_error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "message": message } }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
