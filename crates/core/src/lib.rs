//! The agent: a session task driven by the `Op`/`Event` queue, the turn loop with the
//! stream-layer retries, context assembly (instructions, AGENTS.md, environment), the tool router
//! and the rollout recorder/reader.

mod approval;
mod auth;
mod context;
mod error;
mod events;
mod permissions;
mod rollout;
mod session;
mod tool_specs;
mod tools;

pub use approval::{
    ApprovalState, Attempt, EscalationRequest, ExecApprovalInput, ExecDecision, ExecRequest,
    ReviewOutcome, RunMode, SandboxPermissions, decide_exec, proposed_prefix_rule,
};
pub use codex_protocol::ReviewDecision;
pub use context::{BASE_INSTRUCTIONS, ProjectDoc, discover_project_docs};
pub use error::CodexError;
pub use permissions::sandbox_policy;
pub use rollout::{
    LoadedRollout, find_last_rollout, find_rollout_by_id, list_rollouts, load_rollout,
};
pub use session::{Codex, SessionInfo, SessionParams};
