//! Chat Completions wire format (`wire_api = "chat"`), for Ollama, LM Studio and other
//! OpenAI-compatible servers: history → `messages`, Responses tools → `{"type":"function",
//! "function":{...}}`, and streamed `choices[0].delta` chunks → [`ResponseEvent`]s so the agent
//! loop is the same for both wire APIs.

use std::collections::BTreeMap;
use std::time::Duration;

use codex_protocol::{
    ContentItem, FunctionCallOutputPayload, ResponseEvent, ResponseItem, TokenUsage,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::client::{Prompt, next_chunk};
use crate::error::ClientError;
use crate::sse::SseParser;

/// `POST /chat/completions` body.
pub(crate) fn request_body(prompt: &Prompt) -> Value {
    let mut messages: Vec<Value> = Vec::new();
    for item in &prompt.input {
        match item {
            ResponseItem::Message { role, content, .. } => {
                let role = if role == "developer" {
                    "system"
                } else {
                    role.as_str()
                };
                let has_image = content
                    .iter()
                    .any(|c| matches!(c, ContentItem::InputImage { .. }));
                let content = if has_image {
                    json!(content_parts(content))
                } else {
                    json!(item.message_text().unwrap_or_default())
                };
                messages.push(json!({"role": role, "content": content}));
            }
            ResponseItem::FunctionCall {
                call_id,
                name,
                arguments,
                ..
            } => push_tool_call(&mut messages, call_id, name, arguments),
            ResponseItem::CustomToolCall {
                call_id,
                name,
                input,
                ..
            } => push_tool_call(
                &mut messages,
                call_id,
                name,
                &json!({"input": input}).to_string(),
            ),
            ResponseItem::FunctionCallOutput {
                call_id, output, ..
            } => {
                let text = match output {
                    FunctionCallOutputPayload::Text(t) => t.clone(),
                    FunctionCallOutputPayload::Content(parts) => parts
                        .iter()
                        .filter_map(|p| match p {
                            ContentItem::InputText { text }
                            | ContentItem::OutputText { text, .. } => Some(text.clone()),
                            ContentItem::InputImage { .. } | ContentItem::Other => None,
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                };
                messages.push(json!({"role": "tool", "tool_call_id": call_id, "content": text}));
            }
            ResponseItem::CustomToolCallOutput {
                call_id, output, ..
            } => {
                messages.push(json!({"role": "tool", "tool_call_id": call_id, "content": output}));
            }
            ResponseItem::Reasoning { .. }
            | ResponseItem::WebSearchCall { .. }
            | ResponseItem::Other => {}
        }
    }
    let tools: Vec<Value> = prompt
        .tools
        .iter()
        .filter(|t| t["type"] == "function")
        .map(|t| {
            json!({"type": "function", "function": {
                "name": t["name"], "description": t["description"], "parameters": t["parameters"]}})
        })
        .collect();
    let mut body = serde_json::Map::new();
    body.insert("model".into(), json!(prompt.model));
    body.insert("messages".into(), json!(messages));
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({"include_usage": true}));
    if !tools.is_empty() {
        body.insert("tools".into(), json!(tools));
        body.insert("tool_choice".into(), json!("auto"));
        body.insert(
            "parallel_tool_calls".into(),
            json!(prompt.parallel_tool_calls),
        );
    }
    Value::Object(body)
}

fn content_parts(content: &[ContentItem]) -> Vec<Value> {
    content
        .iter()
        .filter_map(|c| match c {
            ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                Some(json!({"type": "text", "text": text}))
            }
            ContentItem::InputImage { image_url } => {
                Some(json!({"type": "image_url", "image_url": {"url": image_url}}))
            }
            ContentItem::Other => None,
        })
        .collect()
}

/// Appends a tool call to the last assistant message, or starts one.
fn push_tool_call(messages: &mut Vec<Value>, call_id: &str, name: &str, arguments: &str) {
    let call = json!({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}});
    if let Some(last) = messages.last_mut()
        && last["role"] == "assistant"
        && last.get("tool_calls").is_some()
        && let Some(calls) = last["tool_calls"].as_array_mut()
    {
        calls.push(call);
        return;
    }
    messages.push(json!({"role": "assistant", "content": null, "tool_calls": [call]}));
}

#[derive(Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

/// Reads `data:` chunks until `[DONE]` (or a clean end after a `finish_reason`), then emits the
/// accumulated assistant message and tool calls as done items and a `Completed` event.
pub(crate) async fn pump<S>(
    mut bytes: S,
    idle: Duration,
    tx: mpsc::Sender<Result<ResponseEvent, ClientError>>,
) where
    S: futures::Stream<Item = Result<bytes::Bytes, String>> + Unpin,
{
    let mut parser = SseParser::new();
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut calls: BTreeMap<u64, PendingCall> = BTreeMap::new();
    let mut usage: Option<TokenUsage> = None;
    let mut finished = false;
    let mut response_id = String::new();
    if tx.send(Ok(ResponseEvent::Created)).await.is_err() {
        return;
    }
    'read: loop {
        let chunk = match next_chunk(&mut bytes, idle).await {
            Ok(Some(c)) => c,
            Ok(None) if finished => break,
            Ok(None) => {
                let _ = tx
                    .send(Err(ClientError::Stream(
                        "stream closed before [DONE]".into(),
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
            if frame.data.trim() == "[DONE]" {
                break 'read;
            }
            let Ok(data) = serde_json::from_str::<Value>(&frame.data) else {
                continue;
            };
            if let Some(msg) = data["error"]["message"].as_str() {
                let _ = tx.send(Err(ClientError::Stream(msg.to_string()))).await;
                return;
            }
            if let Some(id) = data["id"].as_str() {
                response_id = id.to_string();
            }
            if data["usage"].is_object() {
                let u = &data["usage"];
                let n = |v: &Value| v.as_u64().unwrap_or(0);
                usage = Some(TokenUsage {
                    input_tokens: n(&u["prompt_tokens"]),
                    cached_input_tokens: n(&u["prompt_tokens_details"]["cached_tokens"]),
                    output_tokens: n(&u["completion_tokens"]),
                    reasoning_output_tokens: n(&u["completion_tokens_details"]["reasoning_tokens"]),
                    total_tokens: n(&u["total_tokens"]),
                });
            }
            let Some(choice) = data["choices"].get(0) else {
                continue;
            };
            let delta = &choice["delta"];
            if let Some(t) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                text.push_str(t);
                if tx
                    .send(Ok(ResponseEvent::OutputTextDelta(t.into())))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let r = delta["reasoning_content"]
                .as_str()
                .or(delta["reasoning"].as_str());
            if let Some(r) = r.filter(|r| !r.is_empty()) {
                reasoning.push_str(r);
                if tx
                    .send(Ok(ResponseEvent::ReasoningSummaryDelta(r.into())))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if let Some(tc) = delta["tool_calls"].as_array() {
                for call in tc {
                    let index = call["index"].as_u64().unwrap_or(0);
                    let entry = calls.entry(index).or_default();
                    if let Some(id) = call["id"].as_str() {
                        entry.id = id.to_string();
                    }
                    if let Some(name) = call["function"]["name"].as_str() {
                        entry.name.push_str(name);
                    }
                    if let Some(args) = call["function"]["arguments"].as_str() {
                        entry.arguments.push_str(args);
                    }
                }
            }
            if choice["finish_reason"].is_string() {
                finished = true;
            }
        }
    }
    let mut items = Vec::new();
    if !reasoning.is_empty() {
        items.push(ResponseItem::Reasoning {
            id: String::new(),
            summary: vec![codex_protocol::ReasoningSummaryPart::SummaryText { text: reasoning }],
            content: None,
            encrypted_content: None,
        });
    }
    if !text.is_empty() {
        items.push(ResponseItem::text_message("assistant", text));
    }
    for (i, call) in calls.into_values().enumerate() {
        let call_id = if call.id.is_empty() {
            format!("call_{i}")
        } else {
            call.id
        };
        items.push(ResponseItem::FunctionCall {
            id: None,
            call_id,
            name: call.name,
            arguments: if call.arguments.is_empty() {
                "{}".into()
            } else {
                call.arguments
            },
            status: None,
        });
    }
    for item in items {
        if tx
            .send(Ok(ResponseEvent::OutputItemDone(item)))
            .await
            .is_err()
        {
            return;
        }
    }
    let _ = tx
        .send(Ok(ResponseEvent::Completed {
            response_id,
            token_usage: usage,
        }))
        .await;
}
