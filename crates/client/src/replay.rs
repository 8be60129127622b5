//! The `replay` provider: serves the model outputs recorded in a rollout file, in order, without
//! network. A recorded response is a maximal run of model-output items (`message` from the
//! assistant, `reasoning`, `function_call`, `custom_tool_call`, `web_search_call`). Before serving
//! response N, the request's new inputs (user messages and tool-call outputs since the last model
//! output) are compared with the ones recorded before response N: user text must be equal, tool
//! outputs must answer the same `call_id`s (their text holds timings, so it is not compared). The
//! first difference fails the request with [`ClientError::ReplayDiverged`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use codex_protocol::{ResponseEvent, ResponseItem, RolloutItem, RolloutLine};
use tokio::sync::mpsc;

use crate::client::{Prompt, ResponseStream};
use crate::error::ClientError;

/// Errors loading a recording.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read replay file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("replay file {path}:{line}: not a rollout line: {source}")]
    Parse {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("replay file {path} holds no model output")]
    Empty { path: PathBuf },
}

/// What the client compares to detect divergence.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    User(String),
    ToolOutput(String),
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::User(t) => write!(f, "user message {t:?}"),
            Input::ToolOutput(id) => write!(f, "output of tool call {id}"),
        }
    }
}

struct Recorded {
    inputs: Vec<Input>,
    outputs: Vec<ResponseItem>,
}

/// A loaded recording and the index of the next response to serve.
pub struct Replay {
    path: PathBuf,
    responses: Vec<Recorded>,
    next: Mutex<usize>,
}

fn is_model_output(item: &ResponseItem) -> bool {
    match item {
        ResponseItem::Message { role, .. } => role == "assistant",
        ResponseItem::Reasoning { .. }
        | ResponseItem::FunctionCall { .. }
        | ResponseItem::CustomToolCall { .. }
        | ResponseItem::WebSearchCall { .. } => true,
        ResponseItem::FunctionCallOutput { .. }
        | ResponseItem::CustomToolCallOutput { .. }
        | ResponseItem::Other => false,
    }
}

/// The comparable input of an item; context messages (environment, AGENTS.md, developer
/// notes) are not compared since they hold dates and paths.
fn as_input(item: &ResponseItem) -> Option<Input> {
    match item {
        ResponseItem::Message { role, .. } if role == "user" => {
            let text = item.message_text().unwrap_or_default();
            let context = text.starts_with("<environment_context>")
                || text.starts_with("# AGENTS.md instructions")
                || text.starts_with("<user_instructions>");
            (!context).then_some(Input::User(text))
        }
        ResponseItem::FunctionCallOutput { call_id, .. }
        | ResponseItem::CustomToolCallOutput { call_id, .. } => {
            Some(Input::ToolOutput(call_id.clone()))
        }
        _ => None,
    }
}

impl Replay {
    /// Loads the `response_item` lines of a rollout file.
    pub fn load(path: &Path) -> Result<Replay, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReplayError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut responses: Vec<Recorded> = Vec::new();
        let mut inputs = Vec::new();
        let mut outputs: Vec<ResponseItem> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed: RolloutLine =
                serde_json::from_str(line).map_err(|source| ReplayError::Parse {
                    path: path.to_path_buf(),
                    line: i + 1,
                    source,
                })?;
            let RolloutItem::ResponseItem(item) = parsed.item else {
                continue;
            };
            if is_model_output(&item) {
                outputs.push(item);
            } else {
                if !outputs.is_empty() {
                    responses.push(Recorded {
                        inputs: std::mem::take(&mut inputs),
                        outputs: std::mem::take(&mut outputs),
                    });
                }
                inputs.extend(as_input(&item));
            }
        }
        if !outputs.is_empty() {
            responses.push(Recorded { inputs, outputs });
        }
        if responses.is_empty() {
            return Err(ReplayError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Replay {
            path: path.to_path_buf(),
            responses,
            next: Mutex::new(0),
        })
    }

    /// Serves the next recorded response after checking the request against the recording.
    pub(crate) fn next_response(&self, prompt: &Prompt) -> Result<ResponseStream, ClientError> {
        let mut next = self
            .next
            .lock()
            .map_err(|_| ClientError::Fatal("replay state poisoned".into()))?;
        let n = *next;
        let Some(recorded) = self.responses.get(n) else {
            return Err(ClientError::ReplayDiverged(format!(
                "request {} has no recorded response: {} holds {} response(s)",
                n + 1,
                self.path.display(),
                self.responses.len()
            )));
        };
        let since_last_output = prompt
            .input
            .iter()
            .rposition(is_model_output)
            .map_or(0, |i| i + 1);
        let live: Vec<Input> = prompt.input[since_last_output..]
            .iter()
            .filter_map(as_input)
            .collect();
        if live != recorded.inputs {
            let describe = |v: &[Input]| {
                if v.is_empty() {
                    "nothing".to_string()
                } else {
                    v.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            return Err(ClientError::ReplayDiverged(format!(
                "request {} of {}: the recording expected {} but the agent sent {}",
                n + 1,
                self.path.display(),
                describe(&recorded.inputs),
                describe(&live)
            )));
        }
        *next += 1;
        let (tx, rx) = mpsc::channel(recorded.outputs.len() + 2);
        for item in &recorded.outputs {
            let _ = tx.try_send(Ok(ResponseEvent::OutputItemDone(item.clone())));
        }
        let _ = tx.try_send(Ok(ResponseEvent::Completed {
            response_id: format!("replay_{}", n + 1),
            token_usage: None,
        }));
        Ok(rx)
    }
}
