//! Policy and model-setting enums shared by config, core and front ends. Spellings are the
//! upstream `config.toml` values (kebab-case for sandbox and approval, lowercase otherwise).

use serde::{Deserialize, Serialize};

/// `sandbox_mode` / `-s`: how model-issued commands are confined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Read anywhere, write nowhere, no network. The `exec` default.
    #[default]
    ReadOnly,
    /// Write inside the workspace roots; network only when enabled.
    WorkspaceWrite,
    /// No confinement at all.
    DangerFullAccess,
}

impl SandboxMode {
    /// The config spelling, e.g. `workspace-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::DangerFullAccess => "danger-full-access",
        }
    }
}

/// `approval_policy` / `-a`: when the agent asks the user before running a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AskForApproval {
    /// Ask unless the command is known to be safe.
    #[serde(rename = "untrusted")]
    UnlessTrusted,
    /// Run sandboxed; ask to re-run unsandboxed when the sandbox blocks it.
    OnFailure,
    /// The model decides when to ask.
    #[default]
    OnRequest,
    /// Never ask; failures go back to the model. Always the case in `exec`.
    Never,
    /// Like `on-request`, but each prompt category set to `false` is rejected instead of
    /// asked. Config: `approval_policy = { granular = { sandbox_approval = true, rules = true,
    /// mcp_elicitations = false } }` (the upstream 0.169.0 shape).
    Granular(GranularApprovalConfig),
}

/// The categories of [`AskForApproval::Granular`]: `true` lets that kind of prompt reach the
/// user, `false` rejects it (the reason goes back to the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct GranularApprovalConfig {
    /// Running outside the sandbox (escalation requests) and patches the sandbox would refuse.
    pub sandbox_approval: bool,
    /// Commands matching an exec-policy `prompt` rule.
    pub rules: bool,
    /// MCP servers' elicitation requests.
    pub mcp_elicitations: bool,
    /// The model's permission requests (accepted for compatibility; optional, default false).
    #[serde(default)]
    pub request_permissions: bool,
    /// Skill scripts (accepted for compatibility; optional, default false).
    #[serde(default)]
    pub skill_approval: bool,
}

impl AskForApproval {
    /// The config spelling, e.g. `on-request` (`granular` for the table form).
    pub fn as_str(self) -> &'static str {
        match self {
            AskForApproval::UnlessTrusted => "untrusted",
            AskForApproval::OnFailure => "on-failure",
            AskForApproval::OnRequest => "on-request",
            AskForApproval::Never => "never",
            AskForApproval::Granular(_) => "granular",
        }
    }
}

/// `model_reasoning_effort`: sent as `reasoning.effort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    Xhigh,
}

impl ReasoningEffort {
    /// The wire spelling, e.g. `medium`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::None => "none",
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
            ReasoningEffort::Xhigh => "xhigh",
        }
    }
}

/// `model_reasoning_summary`: sent as `reasoning.summary` unless `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningSummary {
    Auto,
    Concise,
    Detailed,
    None,
}

impl ReasoningSummary {
    /// The wire spelling, e.g. `auto`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningSummary::Auto => "auto",
            ReasoningSummary::Concise => "concise",
            ReasoningSummary::Detailed => "detailed",
            ReasoningSummary::None => "none",
        }
    }
}

/// `model_verbosity`: sent as `text.verbosity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    Low,
    Medium,
    High,
}

impl Verbosity {
    /// The wire spelling, e.g. `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verbosity::Low => "low",
            Verbosity::Medium => "medium",
            Verbosity::High => "high",
        }
    }
}

/// `wire_api` of a model provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WireApi {
    /// `POST {base_url}/responses`, SSE (the OpenAI Responses API).
    #[default]
    Responses,
    /// `POST {base_url}/chat/completions`, SSE (OpenAI-compatible servers, Ollama, LM Studio).
    Chat,
}
