//! Integration tests for `codex-sandbox`, compiled as one binary: real commands through
//! `Probe::prepare` + `std::process::Command`, one test per enforcement case of
//! sandbox.md §10 (named `caseNN_*`), for both Linux backends and every mode.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The probe program issues raw syscalls.
#![allow(unsafe_code, clippy::undocumented_unsafe_blocks)]

#[cfg(target_os = "linux")]
mod suite;
