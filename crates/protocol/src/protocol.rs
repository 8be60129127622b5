//! The queue protocol between the agent ([`Op`] in) and a front end ([`Event`] out).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config_types::{AskForApproval, ReasoningEffort, SandboxMode};
use crate::exec_events::{PatchChangeKind, TodoItem};
use crate::models::TokenUsage;

/// A submission from a front end.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Start a turn with the user's input.
    UserTurn { items: Vec<UserInput> },
    /// Cancel the running turn and kill its processes.
    Interrupt,
    /// The user's answer to an [`EventMsg::ExecApprovalRequest`] (`id` is its `call_id`).
    ExecApproval {
        id: String,
        decision: crate::ReviewDecision,
    },
    /// The user's answer to an [`EventMsg::ApplyPatchApprovalRequest`] (`id` is its
    /// `call_id`). A prefix-rule answer counts as [`ReviewDecision::Approved`].
    PatchApproval {
        id: String,
        decision: crate::ReviewDecision,
    },
    /// End the session; answered by [`EventMsg::ShutdownComplete`].
    Shutdown,
}

/// The user's answer to an [`EventMsg::ExecApprovalRequest`] (inventory APR-03). JSON:
/// `"approved"`, `"approved_for_session"`, `{"approved_with_prefix_rule": ["git", "push"]}`,
/// `"denied"`, `"abort"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Run this command, this once.
    Approved,
    /// Run it, and do not ask again for the same command in this session.
    ApprovedForSession,
    /// Run it, and remember an `allow` rule for commands starting with these words
    /// (appended to `$CODEX_HOME/rules/default.rules`).
    ApprovedWithPrefixRule(Vec<String>),
    /// Do not run it; the model is told and the turn goes on.
    Denied,
    /// Do not run it and end the turn.
    Abort,
}

/// User input of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserInput {
    Text {
        text: String,
    },
    /// A local image file, sent as an `input_image` data URL.
    LocalImage {
        path: PathBuf,
    },
}

/// An event from the agent: `id` is the turn (submission) id it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub msg: EventMsg,
}

/// How a tool run ended, for front ends that show a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    Completed,
    Failed,
    Declined,
}

/// One file of a patch, as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChangeSummary {
    /// Absolute path (the source path for a move).
    pub path: PathBuf,
    pub kind: PatchChangeKind,
    /// Unified diff (updates), the content (adds and deletes).
    pub diff: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_path: Option<PathBuf>,
}

/// Token accounting of a thread: `token_count.info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsageInfo {
    pub total_token_usage: TokenUsage,
    pub last_token_usage: TokenUsage,
    pub model_context_window: Option<u64>,
}

/// Everything the agent reports. Persisted in rollouts as `event_msg` lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventMsg {
    SessionConfigured {
        session_id: String,
        model: String,
        model_provider_id: String,
        cwd: PathBuf,
        approval_policy: AskForApproval,
        sandbox_mode: SandboxMode,
        reasoning_effort: Option<ReasoningEffort>,
        rollout_path: Option<PathBuf>,
        /// Turns already in the history (resumed sessions).
        history_turns: usize,
    },
    TaskStarted {
        turn_id: String,
        model_context_window: Option<u64>,
    },
    UserMessage {
        message: String,
    },
    AgentMessageDelta {
        delta: String,
    },
    AgentMessage {
        message: String,
    },
    AgentReasoningDelta {
        delta: String,
    },
    AgentReasoning {
        text: String,
    },
    ExecCommandBegin {
        call_id: String,
        /// The command as the user should read it, e.g. `/bin/bash -lc 'ls'`.
        command: String,
        cwd: PathBuf,
    },
    ExecCommandOutputDelta {
        call_id: String,
        chunk: String,
    },
    ExecCommandEnd {
        call_id: String,
        command: String,
        exit_code: Option<i32>,
        aggregated_output: String,
        duration_ms: u64,
        status: ToolStatus,
    },
    /// The agent needs the user's decision before running a command; answered with
    /// `Op::ExecApproval` carrying a [`ReviewDecision`].
    ExecApprovalRequest {
        call_id: String,
        command: Vec<String>,
        cwd: PathBuf,
        /// Why: the model's justification, the matching rule's, or the sandbox failure.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The words a "don't ask again" answer would remember.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proposed_prefix_rule: Option<Vec<String>>,
    },
    /// The agent needs the user's decision before applying a patch that writes where the
    /// sandbox does not allow (or, under `untrusted`, any patch); answered with
    /// `Op::PatchApproval`.
    ApplyPatchApprovalRequest {
        call_id: String,
        changes: Vec<FileChangeSummary>,
        /// Why it asks: the first path the sandbox does not allow, and why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    PatchApplyBegin {
        call_id: String,
        changes: Vec<FileChangeSummary>,
    },
    PatchApplyEnd {
        call_id: String,
        changes: Vec<FileChangeSummary>,
        status: ToolStatus,
        /// The success summary or the failure reason.
        output: String,
    },
    PlanUpdate {
        explanation: Option<String>,
        plan: Vec<TodoItem>,
    },
    WebSearchEnd {
        call_id: String,
        query: String,
    },
    /// Upstream's shape: `{"type":"token_count","info":{...},"rate_limits":...}`.
    TokenCount {
        info: Option<TokenUsageInfo>,
        #[serde(default)]
        rate_limits: Option<serde_json::Value>,
    },
    /// A recoverable stream failure; the agent retries (`Reconnecting... N/M (reason)`).
    StreamError {
        message: String,
    },
    /// A non-fatal notice for the user (e.g. unknown model metadata).
    Warning {
        message: String,
    },
    /// A fatal error of the turn.
    Error {
        message: String,
    },
    TaskComplete {
        last_agent_message: Option<String>,
    },
    TurnAborted {
        reason: String,
    },
    ShutdownComplete,
    /// An event type written by another version; ignored when read back.
    #[serde(other)]
    Unknown,
}
