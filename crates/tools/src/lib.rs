//! Built-in tool implementations for the agent.
//!
//! - [`apply_patch`]: the `*** Begin Patch` format: parser, applier, and detection of
//!   `apply_patch` invoked through a shell command.
//! - [`exec`]: `exec_command` / `write_stdin` PTY sessions and the argv `shell` tool.
//! - [`truncate`]: head-and-tail truncation of tool output sent to the model.

pub mod apply_patch;
pub mod exec;
pub mod execpolicy;
pub mod safety;
pub mod truncate;
