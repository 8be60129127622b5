//! `codex execpolicy check`: evaluate a command against exec-policy rule files and print the
//! result as JSON (upstream's shape: `{"matchedRules": [{"prefixRuleMatch": {...}}],
//! "decision": "..."}`), so users can try rules before relying on them.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use codex_tools::execpolicy::Policy;

use crate::{EXIT_FAILURE, EXIT_OK};

#[derive(Debug, Args)]
pub struct ExecpolicyArgs {
    #[command(subcommand)]
    command: ExecpolicyCommand,
}

#[derive(Debug, Subcommand)]
enum ExecpolicyCommand {
    /// Check a command against rule files and print the matching rules and the decision as JSON.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// A `.rules` file to load (repeatable; all files are combined).
    #[arg(
        short = 'r',
        long = "rules",
        alias = "policy",
        value_name = "PATH",
        required = true
    )]
    rules: Vec<PathBuf>,

    /// Pretty-print the JSON.
    #[arg(long)]
    pretty: bool,

    /// Check a program given by absolute path against the rules for its basename too
    /// (`/usr/bin/git` as `git`), when `host_executable` declarations allow that path.
    #[arg(long)]
    resolve_host_executables: bool,

    /// The command to check, word by word (put it after `--`).
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<String>,
}

/// Runs the subcommand; exit 0 with the JSON on stdout, or 1 with `file:line: reason` on stderr.
pub fn run(args: ExecpolicyArgs) -> u8 {
    match args.command {
        ExecpolicyCommand::Check(check) => run_check(check),
    }
}

fn run_check(args: CheckArgs) -> u8 {
    let policy = match Policy::load_files(&args.rules) {
        Ok(policy) => policy,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_FAILURE;
        }
    };
    let evaluation = policy.check_with(&args.command, args.resolve_host_executables);
    let json = if args.pretty {
        serde_json::to_string_pretty(&evaluation)
    } else {
        serde_json::to_string(&evaluation)
    };
    match json {
        Ok(json) => {
            println!("{json}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("cannot serialize the evaluation: {e}");
            EXIT_FAILURE
        }
    }
}
