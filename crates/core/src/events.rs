//! The outgoing side of the queue: sends [`Event`]s to the front end and appends the ones worth
//! keeping to the rollout first (deltas are not persisted).

use std::sync::Arc;

use codex_protocol::{Event, EventMsg, RolloutItem};
use tokio::sync::{Mutex, mpsc};

use crate::rollout::RolloutRecorder;

/// Shared rollout handle; `None` for ephemeral sessions.
pub type SharedRecorder = Arc<Mutex<Option<RolloutRecorder>>>;

/// Sends events of one turn (or of the session, with an empty id).
#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Event>,
    recorder: SharedRecorder,
    id: String,
}

/// Whether an event is kept in the rollout.
fn persisted(msg: &EventMsg) -> bool {
    match msg {
        EventMsg::AgentMessageDelta { .. }
        | EventMsg::AgentReasoningDelta { .. }
        | EventMsg::ExecCommandOutputDelta { .. }
        | EventMsg::ExecApprovalRequest { .. }
        | EventMsg::ApplyPatchApprovalRequest { .. }
        | EventMsg::SessionConfigured { .. }
        | EventMsg::ShutdownComplete
        | EventMsg::Unknown => false,
        EventMsg::TaskStarted { .. }
        | EventMsg::UserMessage { .. }
        | EventMsg::AgentMessage { .. }
        | EventMsg::AgentReasoning { .. }
        | EventMsg::ExecCommandBegin { .. }
        | EventMsg::ExecCommandEnd { .. }
        | EventMsg::PatchApplyBegin { .. }
        | EventMsg::PatchApplyEnd { .. }
        | EventMsg::PlanUpdate { .. }
        | EventMsg::WebSearchEnd { .. }
        | EventMsg::TokenCount { .. }
        | EventMsg::StreamError { .. }
        | EventMsg::Warning { .. }
        | EventMsg::Error { .. }
        | EventMsg::TaskComplete { .. }
        | EventMsg::TurnAborted { .. } => true,
    }
}

impl EventSink {
    pub fn new(tx: mpsc::Sender<Event>, recorder: SharedRecorder, id: String) -> Self {
        Self { tx, recorder, id }
    }

    /// The same sink for another turn id.
    pub fn with_id(&self, id: &str) -> Self {
        Self {
            tx: self.tx.clone(),
            recorder: self.recorder.clone(),
            id: id.to_string(),
        }
    }

    /// Records (if persisted) then delivers. A closed front end is not an error: the agent
    /// finishes its work and the rollout stays complete.
    pub async fn send(&self, msg: EventMsg) {
        if persisted(&msg) {
            self.record(RolloutItem::EventMsg(msg.clone())).await;
        }
        let _ = self
            .tx
            .send(Event {
                id: self.id.clone(),
                msg,
            })
            .await;
    }

    /// Appends a line to the rollout; a write failure is logged, not fatal.
    pub async fn record(&self, item: RolloutItem) {
        let mut guard = self.recorder.lock().await;
        if let Some(rec) = guard.as_mut()
            && let Err(e) = rec.record(item).await
        {
            tracing::error!("{e}");
        }
    }
}
