//! Rollout files: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<ts>-<id>.jsonl`, one [`RolloutLine`]
//! per line, `session_meta` first (upstream's line shape: `timestamp`, `ordinal`, `type`,
//! `payload`; shared/reference/peer-wire.md §6).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config_types::{AskForApproval, ReasoningEffort, ReasoningSummary, SandboxMode};
use crate::models::ResponseItem;
use crate::protocol::EventMsg;

/// One line of a rollout file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRolloutLine")]
pub struct RolloutLine {
    /// ISO-8601 UTC with milliseconds, e.g. `2026-11-22T01:02:03.456Z`.
    pub timestamp: String,
    #[serde(default)]
    pub ordinal: u64,
    #[serde(flatten)]
    pub item: RolloutItem,
}

/// The typed content of a line: `{"type": ..., "payload": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum RolloutItem {
    SessionMeta(SessionMeta),
    ResponseItem(ResponseItem),
    EventMsg(EventMsg),
    TurnContext(TurnContextItem),
    /// Line types of other versions (`world_state`, `token_usage_record`, ...): read and skipped.
    Other,
}

/// The untyped line, so unknown `type`s with any payload can be skipped.
#[derive(Deserialize)]
struct RawRolloutLine {
    timestamp: String,
    #[serde(default)]
    ordinal: u64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    payload: serde_json::Value,
}

impl TryFrom<RawRolloutLine> for RolloutLine {
    type Error = serde_json::Error;

    fn try_from(raw: RawRolloutLine) -> Result<Self, Self::Error> {
        let payload = raw.payload;
        // Only the first line's meta is required to match; lines written by other versions
        // in another shape are skipped rather than failing the whole file.
        let item =
            match raw.kind.as_str() {
                "session_meta" => RolloutItem::SessionMeta(serde_json::from_value(payload)?),
                "response_item" => serde_json::from_value(payload)
                    .map_or(RolloutItem::Other, RolloutItem::ResponseItem),
                "event_msg" => serde_json::from_value(payload)
                    .map_or(RolloutItem::Other, RolloutItem::EventMsg),
                "turn_context" => serde_json::from_value(payload)
                    .map_or(RolloutItem::Other, RolloutItem::TurnContext),
                _ => RolloutItem::Other,
            };
        Ok(RolloutLine {
            timestamp: raw.timestamp,
            ordinal: raw.ordinal,
            item,
        })
    }
}

/// First line of every rollout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: String,
    #[serde(default)]
    pub session_id: String,
    pub timestamp: String,
    pub cwd: PathBuf,
    pub originator: String,
    pub cli_version: String,
    /// `exec`, `cli`, `mcp`.
    pub source: String,
    #[serde(default)]
    pub model_provider: Option<String>,
    #[serde(default)]
    pub base_instructions: Option<BaseInstructions>,
    #[serde(default)]
    pub git: Option<GitInfo>,
}

/// `session_meta.base_instructions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseInstructions {
    pub text: String,
}

/// `session_meta.git`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitInfo {
    #[serde(default)]
    pub commit_hash: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
}

/// `turn_context`: the settings a turn ran with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnContextItem {
    #[serde(default)]
    pub turn_id: String,
    pub cwd: PathBuf,
    pub approval_policy: AskForApproval,
    pub sandbox_policy: SandboxPolicyItem,
    pub model: String,
    #[serde(default)]
    pub effort: Option<ReasoningEffort>,
    #[serde(default)]
    pub summary: Option<ReasoningSummary>,
}

/// `turn_context.sandbox_policy`: `{"type": "read-only"}` and friends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxPolicyItem {
    #[serde(rename = "type")]
    pub mode: SandboxMode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable_roots: Vec<PathBuf>,
    #[serde(default)]
    pub network_access: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shape_round_trips_and_tolerates_unknown_types() {
        let line = RolloutLine {
            timestamp: "2026-11-22T00:00:00.000Z".into(),
            ordinal: 3,
            item: RolloutItem::ResponseItem(ResponseItem::text_message("user", "hi")),
        };
        let text = serde_json::to_string(&line).unwrap();
        assert_eq!(
            text,
            r#"{"timestamp":"2026-11-22T00:00:00.000Z","ordinal":3,"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}"#
        );
        assert_eq!(serde_json::from_str::<RolloutLine>(&text).unwrap(), line);
        let other: RolloutLine = serde_json::from_str(
            r#"{"timestamp":"t","ordinal":1,"type":"world_state","payload":{"full":true}}"#,
        )
        .unwrap();
        assert_eq!(other.item, RolloutItem::Other);
        let ev: RolloutLine = serde_json::from_str(
            r#"{"timestamp":"t","type":"event_msg","payload":{"type":"thread_settings_applied","model":"x"}}"#,
        )
        .unwrap();
        assert_eq!(ev.item, RolloutItem::EventMsg(EventMsg::Unknown));
    }
}
