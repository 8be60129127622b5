//! The `codex` binary: clap command tree and dispatch to the front ends.

// The binary is the one place that talks to the terminal directly.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod exec;
mod login;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status: the run finished (`exec`: the turn completed).
pub const EXIT_OK: u8 = 0;
/// Exit status: the turn failed, the configuration is invalid, or the directory is not a git
/// repository.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status: command-line usage error (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: interrupted by Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, Parser)]
#[command(
    name = "codex",
    version,
    about = "Codex: a coding agent for the terminal (clean-room Rust implementation)",
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Prompt for an interactive session (the TUI is not available yet: use `codex exec`).
    prompt: Option<String>,
}

// Parsed once per process: variant sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run Codex non-interactively.
    #[command(visible_alias = "e")]
    Exec(exec::ExecArgs),

    /// Sign in: ChatGPT in the browser (default), a device code, an API key or an access token.
    Login(login::LoginArgs),

    /// Remove stored credentials.
    Logout(login::LogoutArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Exec(args)) => exec::run(args),
        Some(Command::Login(args)) => login::run_login(args),
        Some(Command::Logout(args)) => login::run_logout(args),
        None => {
            eprintln!(
                "The interactive TUI is not available in this build yet. Run `codex exec \"<prompt>\"` instead."
            );
            EXIT_FAILURE
        }
    };
    ExitCode::from(code)
}
