//! Errors of a model request, classified for the retry layers (shared/reference/peer-wire.md §5).

use std::time::Duration;

/// Why a model request or its stream failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached (DNS, refused, TLS, timeout). Retried.
    #[error("could not reach {url}: {message}")]
    Connection { url: String, message: String },
    /// HTTP 5xx after the request layer's retries. Retried by the stream layer.
    #[error(
        "We're currently experiencing high demand, which may cause temporary errors. (last status: {status})"
    )]
    ServerOverloaded { status: u16 },
    /// HTTP 429 with a `retry-after` header. Retried after that delay.
    #[error("exceeded retry limit, last status: 429 Too Many Requests")]
    RateLimited { retry_after: Duration },
    /// HTTP 429 without `retry-after`: not retried; carries the server's message.
    #[error("rate limited (429 Too Many Requests): {message}")]
    RateLimitedNoRetry { message: String },
    /// HTTP 429 `insufficient_quota`.
    #[error("Quota exceeded. Check your plan and billing details.")]
    QuotaExceeded,
    /// HTTP 401.
    #[error(
        "unexpected status 401 Unauthorized: {message}, url: {url}. Check the API key in ${env_hint}, or sign in again with `codex login`."
    )]
    Unauthorized {
        url: String,
        message: String,
        env_hint: String,
    },
    /// Other 4xx: the raw response body, as upstream reports it.
    #[error("{body}")]
    BadRequest { status: u16, body: String },
    /// The stream broke, ended without `response.completed`, went idle, or reported
    /// `response.failed` with a retryable code. Retried.
    #[error("stream disconnected before completion: {0}")]
    Stream(String),
    /// `response.failed` / `response.incomplete` that retrying cannot fix.
    #[error("{0}")]
    Fatal(String),
    /// The replay provider's recording does not match the request.
    #[error("replay diverged: {0}")]
    ReplayDiverged(String),
}

impl ClientError {
    /// Whether the stream layer should try again.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Connection { .. }
            | ClientError::ServerOverloaded { .. }
            | ClientError::RateLimited { .. }
            | ClientError::Stream(_) => true,
            ClientError::RateLimitedNoRetry { .. }
            | ClientError::QuotaExceeded
            | ClientError::Unauthorized { .. }
            | ClientError::BadRequest { .. }
            | ClientError::Fatal(_)
            | ClientError::ReplayDiverged(_) => false,
        }
    }

    /// The server-requested delay before the next attempt, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

/// Exponential backoff with ±10 % jitter: 200 ms × 2^(attempt-1) (attempt counts from 1).
pub fn backoff(attempt: u64) -> Duration {
    let exp = attempt.saturating_sub(1).min(10) as u32;
    let base = 200.0 * f64::from(2u32.pow(exp));
    let jitter = rand::random_range(0.9..1.1);
    Duration::from_millis((base * jitter) as u64)
}
