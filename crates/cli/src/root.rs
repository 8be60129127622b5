//! Options given before the subcommand (`codex -m o3 -s workspace-write exec "..."`). Upstream
//! 0.169.0 accepts the interactive session's flags there and applies them to the subcommand;
//! a flag given after the subcommand wins, and root `-c` overrides come before the
//! subcommand's own (so the later ones win).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::exec::SandboxArg;

/// The root-level `-a` values (upstream's interactive CLI accepts only these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum RootApprovalArg {
    OnRequest,
    Never,
}

#[derive(Debug, Default, Args)]
pub struct RootOptions {
    /// Override a config value: `-c key=value` (applies to the subcommand too).
    #[arg(short = 'c', long = "config", value_name = "key=value")]
    pub config_overrides: Vec<String>,

    /// Turn a feature flag on (`-c features.NAME=true`).
    #[arg(long = "enable", value_name = "FEATURE")]
    pub enable: Vec<String>,

    /// Turn a feature flag off (`-c features.NAME=false`).
    #[arg(long = "disable", value_name = "FEATURE")]
    pub disable: Vec<String>,

    /// Reject unknown configuration keys.
    #[arg(long = "strict-config")]
    pub strict_config: bool,

    /// Images to attach to the prompt.
    #[arg(
        long = "image",
        short = 'i',
        value_name = "FILE",
        value_delimiter = ',',
        num_args = 1
    )]
    pub images: Vec<PathBuf>,

    /// Model the agent should use.
    #[arg(long, short = 'm')]
    pub model: Option<String>,

    /// Use a local open-source model provider (see --local-provider).
    #[arg(long = "oss")]
    pub oss: bool,

    /// Local provider for --oss: `ollama` or `lmstudio`.
    #[arg(long = "local-provider", value_name = "PROVIDER")]
    pub local_provider: Option<String>,

    /// Configuration profile from config.toml.
    #[arg(long = "profile", short = 'p')]
    pub profile: Option<String>,

    /// Sandbox policy for model-issued commands.
    #[arg(long = "sandbox", short = 's', value_enum)]
    pub sandbox: Option<SandboxArg>,

    /// Run every command without sandbox or approvals. Only for externally sandboxed
    /// environments.
    #[arg(long = "dangerously-bypass-approvals-and-sandbox", alias = "yolo")]
    pub dangerously_bypass: bool,

    /// Working directory of the agent.
    #[arg(long = "cd", short = 'C', value_name = "DIR")]
    pub cwd: Option<PathBuf>,

    /// Additional writable directories (workspace-write).
    #[arg(long = "add-dir", value_name = "DIR")]
    pub add_dir: Vec<PathBuf>,

    /// When to ask before running commands (`codex exec` never asks, whatever this says).
    #[arg(long = "ask-for-approval", short = 'a', value_enum)]
    pub approval: Option<RootApprovalArg>,
}

impl RootOptions {
    /// The `-c` overrides these options stand for, in order: `-c`, then `--enable`/`--disable`.
    pub fn config_overrides(&self) -> Vec<String> {
        let mut out = self.config_overrides.clone();
        out.extend(self.enable.iter().map(|f| format!("features.{f}=true")));
        out.extend(self.disable.iter().map(|f| format!("features.{f}=false")));
        out
    }

    /// Prepends the root overrides to a subcommand's own.
    pub fn prepend_overrides(&self, subcommand: &mut Vec<String>) {
        let mut merged = self.config_overrides();
        merged.append(subcommand);
        *subcommand = merged;
    }
}
