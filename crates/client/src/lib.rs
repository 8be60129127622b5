//! Model providers: the Responses API and Chat Completions over SSE, and the `replay` provider
//! that serves a recorded rollout. Request building, headers, the request-layer retries and the
//! stream idle timeout live here; the stream-layer retries are the agent's (it reports them).

mod chat;
mod client;
mod error;
mod replay;
mod responses;
mod sse;

pub use client::{
    AuthProvider, ClientAuth, ClientIdentity, ModelClient, Prompt, ResponseStream, text_param,
};
pub use error::{ClientError, backoff};
pub use replay::{Replay, ReplayError};
pub use sse::{SseFrame, SseParser};
