//! Integration tests for `codex-config`, compiled as one binary.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod suite;
