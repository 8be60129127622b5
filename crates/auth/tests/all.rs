//! Integration tests of `codex-auth` against the fake OAuth issuer (and, for TLS, a local
//! HTTPS endpoint and intercepting proxy), all on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice
)]

mod suite;
