//! The `codex` binary: clap command tree and dispatch to the front ends.

// The binary is the one place that talks to the terminal directly.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod exec;
mod execpolicy;
mod login;
mod output;
mod root;
mod sandbox;

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

    #[command(flatten)]
    root: root::RootOptions,

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

    /// Exec-policy rules: `check` a command against `.rules` files.
    Execpolicy(execpolicy::ExecpolicyArgs),

    /// Run a command under this platform's sandbox with the resolved policy.
    Sandbox(sandbox::SandboxArgs),

    /// Legacy spelling: `codex debug landlock|seatbelt COMMAND...` = `codex sandbox`.
    #[command(hide = true)]
    Debug(sandbox::SandboxArgs),

    /// Print which sandbox backend this machine uses and why.
    Doctor,
}

fn main() -> ExitCode {
    // The Landlock + seccomp fallback re-executes our binary to confine itself before
    // running the command: that never reaches clap.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if codex_sandbox::is_linux_sandbox_invocation(&args) {
        codex_sandbox::run_linux_sandbox_main(args);
    }
    let cli = Cli::parse();
    let root = cli.root;
    let code = match cli.command {
        Some(Command::Exec(mut args)) => {
            args.inherit(root);
            exec::run(args)
        }
        Some(Command::Login(mut args)) => {
            root.prepend_overrides(args.config_overrides_mut());
            login::run_login(args)
        }
        Some(Command::Logout(mut args)) => {
            root.prepend_overrides(args.config_overrides_mut());
            login::run_logout(args)
        }
        Some(Command::Execpolicy(args)) => execpolicy::run(args),
        Some(Command::Sandbox(mut args) | Command::Debug(mut args)) => {
            args.inherit(&root);
            sandbox::run(args)
        }
        Some(Command::Doctor) => sandbox::run_probe(),
        None => {
            eprintln!(
                "The interactive TUI is not available in this build yet. Run `codex exec \"<prompt>\"` instead."
            );
            EXIT_FAILURE
        }
    };
    ExitCode::from(code)
}
