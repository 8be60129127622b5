//! Test support for the workspace: a real HTTP fake model server with scripted answers, builders
//! for realistic Responses API and Chat Completions streams and faults, and throwaway homes.
//!
//! | module | what |
//! | --- | --- |
//! | [`FakeServer`], [`Scripted`], [`CapturedRequest`] | the server (`server.rs`) |
//! | [`responses`] | Responses API turns, output items and faults |
//! | [`chat`] | Chat Completions streams |
//! | [`TestHome`], [`config_for`] | temp `CODEX_HOME` + git work tree, mock-provider config (`home.rs`) |
//!
//! ```no_run
//! use codex_test_support::{FakeServer, TestHome, responses};
//!
//! let server = FakeServer::start_blocking(vec![responses::turn(
//!     "resp_1",
//!     vec![responses::message("Hello!")],
//! )]);
//! let home = TestHome::new();
//! home.write_config(&home.config_for(&server));
//! // ... run `codex exec` with `home.env()` in `home.workdir()`, then:
//! assert_eq!(server.requests()[0].path, "/v1/responses");
//! ```
//!
//! This crate is test code only (`publish = false`, a dev-dependency), hence panics on setup
//! failures instead of returning errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod chat;
mod home;
pub mod oauth;
pub mod responses;
mod server;

pub use home::{FAKE_API_KEY, TestHome, config_for, config_with_retries};
pub use server::{CHAT_COMPLETIONS_PATH, CapturedRequest, FakeServer, RESPONSES_PATH, Scripted};
