//! Responses API wire format: request body (field order as upstream sends it,
//! shared/reference/peer-wire.md §1.2) and SSE event mapping (§2).

use std::time::Duration;

use codex_protocol::{ResponseEvent, ResponseItem, TokenUsage};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::client::{Prompt, next_chunk};
use crate::error::ClientError;
use crate::sse::{SseFrame, SseParser};

/// `POST /responses` body.
pub(crate) fn request_body(prompt: &Prompt) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("model".into(), json!(prompt.model));
    body.insert("stream".into(), json!(true));
    body.insert("input".into(), json!(prompt.input));
    body.insert("tools".into(), json!(prompt.tools));
    body.insert("tool_choice".into(), json!("auto"));
    body.insert(
        "parallel_tool_calls".into(),
        json!(prompt.parallel_tool_calls),
    );
    if let Some(r) = &prompt.reasoning {
        body.insert("reasoning".into(), r.clone());
    }
    body.insert("store".into(), json!(false));
    let include: Vec<&str> = if prompt.reasoning.is_some() {
        vec!["reasoning.encrypted_content"]
    } else {
        Vec::new()
    };
    body.insert("include".into(), json!(include));
    body.insert("prompt_cache_key".into(), json!(prompt.thread_id));
    if let Some(t) = &prompt.text {
        body.insert("text".into(), t.clone());
    }
    Value::Object(body)
}

/// Outcome of one SSE frame.
enum Step {
    Event(ResponseEvent),
    Skip,
    Done(ResponseEvent),
    Fail(ClientError),
}

fn map_frame(frame: &SseFrame) -> Step {
    let Ok(data) = serde_json::from_str::<Value>(&frame.data) else {
        return Step::Skip;
    };
    let kind = data["type"]
        .as_str()
        .or(frame.event.as_deref())
        .unwrap_or_default();
    let item = |v: &Value| serde_json::from_value::<ResponseItem>(v.clone()).ok();
    match kind {
        "response.created" => Step::Event(ResponseEvent::Created),
        "response.output_item.added" => match item(&data["item"]) {
            Some(i) => Step::Event(ResponseEvent::OutputItemAdded(i)),
            None => Step::Skip,
        },
        "response.output_item.done" => match item(&data["item"]) {
            Some(i) => Step::Event(ResponseEvent::OutputItemDone(i)),
            None => Step::Skip,
        },
        "response.output_text.delta" => Step::Event(ResponseEvent::OutputTextDelta(
            data["delta"].as_str().unwrap_or_default().to_string(),
        )),
        "response.reasoning_summary_text.delta" => Step::Event(
            ResponseEvent::ReasoningSummaryDelta(data["delta"].as_str().unwrap_or_default().into()),
        ),
        "response.reasoning_summary_part.added" => {
            Step::Event(ResponseEvent::ReasoningSummaryPartAdded)
        }
        "response.completed" => Step::Done(ResponseEvent::Completed {
            response_id: data["response"]["id"].as_str().unwrap_or_default().into(),
            token_usage: parse_usage(&data["response"]["usage"]),
        }),
        "response.failed" => {
            let err = &data["response"]["error"];
            let message = err["message"]
                .as_str()
                .unwrap_or("response.failed without a message")
                .to_string();
            let code = err["code"].as_str().unwrap_or_default();
            Step::Fail(match code {
                "context_length_exceeded" | "invalid_prompt" => ClientError::Fatal(message),
                "insufficient_quota" => ClientError::QuotaExceeded,
                _ => ClientError::Stream(message),
            })
        }
        "response.incomplete" => {
            let reason = data["response"]["incomplete_details"]["reason"]
                .as_str()
                .unwrap_or("unknown");
            Step::Fail(ClientError::Fatal(format!(
                "Incomplete response returned, reason: {reason}"
            )))
        }
        "error" => Step::Fail(ClientError::Stream(
            data["message"]
                .as_str()
                .or(data["error"]["message"].as_str())
                .unwrap_or("error event")
                .to_string(),
        )),
        _ => Step::Skip,
    }
}

/// Usage object → [`TokenUsage`].
pub(crate) fn parse_usage(u: &Value) -> Option<TokenUsage> {
    if !u.is_object() {
        return None;
    }
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    Some(TokenUsage {
        input_tokens: n(&u["input_tokens"]),
        cached_input_tokens: n(&u["input_tokens_details"]["cached_tokens"]),
        output_tokens: n(&u["output_tokens"]),
        reasoning_output_tokens: n(&u["output_tokens_details"]["reasoning_tokens"]),
        total_tokens: n(&u["total_tokens"]),
    })
}

/// Reads the SSE body and forwards events as they arrive; the stream is an error unless
/// `response.completed` arrives.
pub(crate) async fn pump<S>(
    mut bytes: S,
    idle: Duration,
    tx: mpsc::Sender<Result<ResponseEvent, ClientError>>,
) where
    S: futures::Stream<Item = Result<bytes::Bytes, String>> + Unpin,
{
    let mut parser = SseParser::new();
    loop {
        let chunk = match next_chunk(&mut bytes, idle).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                let _ = tx
                    .send(Err(ClientError::Stream(
                        "stream closed before response.completed".into(),
                    )))
                    .await;
                return;
            }
            Err(e) => {
                let _ = tx.send(Err(ClientError::Stream(e))).await;
                return;
            }
        };
        for frame in parser.feed(&chunk) {
            let (msg, last) = match map_frame(&frame) {
                Step::Skip => continue,
                Step::Event(e) => (Ok(e), false),
                Step::Done(e) => (Ok(e), true),
                Step::Fail(e) => (Err(e), true),
            };
            if tx.send(msg).await.is_err() || last {
                return;
            }
        }
    }
}
