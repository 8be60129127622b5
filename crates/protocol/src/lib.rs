//! Pure data shared by every crate: Responses API items and stream events, the `Op`/`Event`
//! queue protocol, `exec --json` thread events, rollout lines and policy enums. No I/O.

mod config_types;
mod exec_events;
mod models;
mod protocol;
mod rollout;

pub use config_types::{
    AskForApproval, GranularApprovalConfig, ReasoningEffort, ReasoningSummary, SandboxMode,
    Verbosity, WireApi,
};
pub use exec_events::{
    CommandExecutionStatus, FileUpdateChange, McpToolCallStatus, PatchApplyStatus, PatchChangeKind,
    ThreadError, ThreadEvent, ThreadItem, ThreadItemDetails, TodoItem, Usage,
};
pub use models::{
    ContentItem, FunctionCallOutputPayload, ReasoningContent, ReasoningSummaryPart, ResponseEvent,
    ResponseItem, TokenUsage, WebSearchAction,
};
pub use protocol::{
    Event, EventMsg, FileChangeSummary, Op, ReviewDecision, TokenUsageInfo, ToolStatus, UserInput,
};
pub use rollout::{
    BaseInstructions, GitInfo, RolloutItem, RolloutLine, SandboxPolicyItem, SessionMeta,
    TurnContextItem,
};
