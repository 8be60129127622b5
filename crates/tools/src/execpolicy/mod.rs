//! Exec-policy rules: `$CODEX_HOME/rules/*.rules` files of `prefix_rule(...)` calls that allow,
//! prompt for or forbid commands by their leading words.
//!
//! The file syntax is the Starlark subset upstream documents (inventory POL-01):
//!
//! ```text
//! # comments
//! prefix_rule(
//!     pattern = ["git", ["push", "fetch"]],   # a list element lists alternatives
//!     decision = "prompt",                     # allow (default) | prompt | forbidden
//!     justification = "talk to the team first",
//!     match = [["git", "push", "origin"], "git fetch --all"],  # must match (checked at load)
//!     not_match = ["git status"],                              # must not match
//! )
//! host_executable(name = "git", paths = ["/usr/bin/git"])  # which paths may stand for `git`
//! ```
//!
//! Only these calls and keyword arguments are accepted; anything else is an error reported as
//! `file:line: reason`. Evaluation collects every matching rule and the strictest decision wins
//! (`forbidden` > `prompt` > `allow`).

mod amend;
mod parser;
mod policy;

use std::path::PathBuf;

pub use amend::{append_prefix_rule, render_prefix_rule};
pub use policy::{
    Decision, Evaluation, HostExecutable, PatternToken, Policy, PrefixRule, RuleMatch,
};

/// The file "remember this prefix" writes to, inside `$CODEX_HOME/rules/`.
pub const DEFAULT_RULES_FILE: &str = "default.rules";

/// Errors loading, parsing or amending rule files. Parse errors display as `file:line: reason`.
#[derive(Debug, thiserror::Error)]
pub enum ExecPolicyError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("a prefix rule needs at least one word")]
    EmptyPrefix,
}

#[cfg(test)]
mod tests;
