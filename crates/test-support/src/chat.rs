//! Builders for scripted Chat Completions streams (`POST /v1/chat/completions`). The `codex`
//! binary no longer speaks this wire API (peer-wire.md §0), but other clients under test do.
//!
//! Chunks are `chat.completion.chunk` objects for one choice (index 0); every stream ends with
//! a usage chunk (`choices: []`, as with `stream_options.include_usage`) and the server's
//! `data: [DONE]` sentinel.

use serde_json::{Value, json};

use crate::responses::{CREATED_AT, MODEL, pieces};
use crate::server::Scripted;

/// `id` of every fake chat completion.
const COMPLETION_ID: &str = "chatcmpl-fake";

/// An assistant text answer: a role chunk, `text` in a few content deltas, a chunk with
/// `finish_reason: "stop"`, then usage (100 prompt / 20 completion tokens).
pub fn chat_text(text: &str) -> Scripted {
    let mut chunks = vec![chunk(
        json!({ "role": "assistant", "content": "", "refusal": null }),
        None,
    )];
    chunks.extend(
        pieces(text)
            .into_iter()
            .map(|piece| chunk(json!({ "content": piece }), None)),
    );
    chunks.push(chunk(json!({}), Some("stop")));
    chunks.push(usage_chunk());
    Scripted::ChatSse { chunks }
}

/// One function tool call: a first chunk with the role and `tool_calls[0]` = `{index: 0, id,
/// type: "function", function: {name, arguments: ""}}`, then `arguments` in pieces, then
/// `finish_reason: "tool_calls"` and usage.
pub fn chat_tool_call(call_id: &str, name: &str, arguments: &str) -> Scripted {
    let mut chunks = vec![chunk(
        json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "index": 0,
                "id": call_id,
                "type": "function",
                "function": { "name": name, "arguments": "" },
            }],
        }),
        None,
    )];
    chunks.extend(pieces(arguments).into_iter().map(|piece| {
        chunk(
            json!({ "tool_calls": [{ "index": 0, "function": { "arguments": piece } }] }),
            None,
        )
    }));
    chunks.push(chunk(json!({}), Some("tool_calls")));
    chunks.push(usage_chunk());
    Scripted::ChatSse { chunks }
}

fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({
        "id": COMPLETION_ID,
        "object": "chat.completion.chunk",
        "created": CREATED_AT,
        "model": MODEL,
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
    })
}

fn usage_chunk() -> Value {
    json!({
        "id": COMPLETION_ID,
        "object": "chat.completion.chunk",
        "created": CREATED_AT,
        "model": MODEL,
        "choices": [],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks_of(scripted: Scripted) -> Vec<Value> {
        match scripted {
            Scripted::ChatSse { chunks } => chunks,
            other => panic!("not a chat stream: {other:?}"),
        }
    }

    #[test]
    fn text_deltas_rebuild_the_answer() {
        let chunks = chunks_of(chat_text("Hello there, friend"));
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let text: String = chunks
            .iter()
            .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(text, "Hello there, friend");
        assert_eq!(chunks.len(), 6);
        assert_eq!(chunks[4]["choices"][0]["finish_reason"], "stop");
        assert_eq!(chunks[5]["usage"]["total_tokens"], 120);
    }

    #[test]
    fn tool_call_deltas_rebuild_the_arguments() {
        let chunks = chunks_of(chat_tool_call("call_9", "shell", r#"{"command":["ls"]}"#));
        let first = &chunks[0]["choices"][0]["delta"]["tool_calls"][0];
        assert_eq!(
            first,
            &json!({
                "index": 0,
                "id": "call_9",
                "type": "function",
                "function": { "name": "shell", "arguments": "" },
            })
        );
        let arguments: String = chunks
            .iter()
            .filter_map(|chunk| {
                chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str()
            })
            .collect();
        assert_eq!(arguments, r#"{"command":["ls"]}"#);
        let finish = &chunks[chunks.len() - 2];
        assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    }
}
