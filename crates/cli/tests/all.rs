//! End-to-end tests: the built `codex` binary against the fake model server on 127.0.0.1.

mod common;
mod suite;
