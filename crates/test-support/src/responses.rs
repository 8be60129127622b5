//! Builders for scripted Responses API answers: complete event streams for one response, and
//! the faults the client must survive (peer-wire.md §2 and §5).
//!
//! A stream is `response.created`, `response.in_progress`, then per output item
//! `response.output_item.added`, the item's delta events, `response.output_item.done` carrying
//! the complete item, and finally `response.completed` with `usage`. Item ids are deterministic:
//! `<prefix>_<response id without "resp_">_<output index>` (e.g. `msg_1_0` in `resp_1`), unless
//! set with [`OutputItem::with_id`], so whole request bodies can be asserted.

use serde_json::{Map, Value, json};

use crate::server::Scripted;

/// Model slug the fake responses claim to come from (the one the test config selects).
pub const MODEL: &str = "gpt-5.5";

/// `created_at` of every fake response (2026-01-01T00:00:00Z), fixed for reproducible captures.
pub(crate) const CREATED_AT: u64 = 1_767_225_600;

/// Number of delta events a text is split into (fewer when it is shorter).
const DELTA_PIECES: usize = 3;

/// Token usage reported by `response.completed`. The default is the upstream harness's fixed
/// 100 input / 20 output tokens, which makes usage summing visible (peer-wire.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// `input_tokens`.
    pub input_tokens: u64,
    /// `input_tokens_details.cached_tokens`.
    pub cached_input_tokens: u64,
    /// `output_tokens`.
    pub output_tokens: u64,
    /// `output_tokens_details.reasoning_tokens`.
    pub reasoning_output_tokens: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage::new(100, 20)
    }
}

impl Usage {
    /// Usage with no cached or reasoning tokens.
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Usage {
            input_tokens,
            cached_input_tokens: 0,
            output_tokens,
            reasoning_output_tokens: 0,
        }
    }

    /// `total_tokens`: input plus output.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    /// The `usage` object as the API sends it.
    pub fn to_json(&self) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "input_tokens_details": { "cached_tokens": self.cached_input_tokens },
            "output_tokens": self.output_tokens,
            "output_tokens_details": { "reasoning_tokens": self.reasoning_output_tokens },
            "total_tokens": self.total_tokens(),
        })
    }
}

/// One output item of a scripted response.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputItem {
    kind: ItemKind,
    id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum ItemKind {
    Message {
        text: String,
    },
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
    CustomToolCall {
        call_id: String,
        name: String,
        input: String,
    },
    Reasoning {
        summary: String,
    },
    WebSearchCall {
        query: String,
    },
    Raw {
        item: Value,
    },
}

/// Events of one item: everything up to the last delta, then the `.done` events.
struct ItemEvents {
    opening: Vec<Value>,
    closing: Vec<Value>,
}

impl OutputItem {
    /// An assistant message with one `output_text` part:
    /// `{"type":"message","id":"msg_..","role":"assistant","status":"completed","content":[{"type":"output_text","text":..,"annotations":[]}]}`.
    pub fn message(text: impl Into<String>) -> Self {
        Self::of(ItemKind::Message { text: text.into() })
    }

    /// A function tool call; `arguments` is the JSON arguments as a string:
    /// `{"type":"function_call","id":"fc_..","call_id","name","arguments","status":"completed"}`.
    pub fn function_call(
        call_id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self::of(ItemKind::FunctionCall {
            call_id: call_id.into(),
            name: name.into(),
            arguments: arguments.into(),
        })
    }

    /// A custom (freeform) tool call such as `apply_patch`:
    /// `{"type":"custom_tool_call","id":"ctc_..","call_id","name","input","status":"completed"}`.
    pub fn custom_tool_call(
        call_id: impl Into<String>,
        name: impl Into<String>,
        input: impl Into<String>,
    ) -> Self {
        Self::of(ItemKind::CustomToolCall {
            call_id: call_id.into(),
            name: name.into(),
            input: input.into(),
        })
    }

    /// A reasoning item with one summary part (none when `summary_text` is empty):
    /// `{"type":"reasoning","id":"rs_..","summary":[{"type":"summary_text","text":..}],"encrypted_content":"enc"}`.
    pub fn reasoning(summary_text: impl Into<String>) -> Self {
        Self::of(ItemKind::Reasoning {
            summary: summary_text.into(),
        })
    }

    /// A hosted web search:
    /// `{"type":"web_search_call","id":"ws_..","status":"completed","action":{"type":"search","query":..}}`.
    pub fn web_search_call(query: impl Into<String>) -> Self {
        Self::of(ItemKind::WebSearchCall {
            query: query.into(),
        })
    }

    /// Any item JSON, sent unchanged in both `output_item.added` and `output_item.done`, with no
    /// delta events (for item types without a dedicated constructor).
    pub fn raw(item: Value) -> Self {
        Self::of(ItemKind::Raw { item })
    }

    /// Overrides the generated item id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The complete item as `response.output_item.done` carries it when this item is at
    /// `output_index` of response `response_id`.
    pub fn to_json(&self, response_id: &str, output_index: usize) -> Value {
        self.item_json(&self.id_in(response_id, output_index), true)
    }

    fn of(kind: ItemKind) -> Self {
        OutputItem { kind, id: None }
    }

    fn id_in(&self, response_id: &str, output_index: usize) -> String {
        if let Some(id) = &self.id {
            return id.clone();
        }
        let prefix = match &self.kind {
            ItemKind::Message { .. } => "msg",
            ItemKind::FunctionCall { .. } => "fc",
            ItemKind::CustomToolCall { .. } => "ctc",
            ItemKind::Reasoning { .. } => "rs",
            ItemKind::WebSearchCall { .. } => "ws",
            ItemKind::Raw { item } => {
                if let Some(id) = item.get("id").and_then(Value::as_str) {
                    return id.to_owned();
                }
                "item"
            }
        };
        let tag = response_id.strip_prefix("resp_").unwrap_or(response_id);
        format!("{prefix}_{tag}_{output_index}")
    }

    /// The item JSON; `done == false` gives the in-progress shape of `output_item.added`.
    fn item_json(&self, id: &str, done: bool) -> Value {
        let status = if done { "completed" } else { "in_progress" };
        match &self.kind {
            ItemKind::Message { text } => {
                let content = if done {
                    vec![output_text_part(text)]
                } else {
                    Vec::new()
                };
                json!({
                    "type": "message",
                    "id": id,
                    "role": "assistant",
                    "status": status,
                    "content": content,
                })
            }
            ItemKind::FunctionCall {
                call_id,
                name,
                arguments,
            } => json!({
                "type": "function_call",
                "id": id,
                "call_id": call_id,
                "name": name,
                "arguments": if done { arguments.as_str() } else { "" },
                "status": status,
            }),
            ItemKind::CustomToolCall {
                call_id,
                name,
                input,
            } => json!({
                "type": "custom_tool_call",
                "id": id,
                "call_id": call_id,
                "name": name,
                "input": if done { input.as_str() } else { "" },
                "status": status,
            }),
            ItemKind::Reasoning { summary } => {
                if done {
                    let parts = if summary.is_empty() {
                        Vec::new()
                    } else {
                        vec![summary_part(summary)]
                    };
                    json!({
                        "type": "reasoning",
                        "id": id,
                        "summary": parts,
                        "encrypted_content": "enc",
                    })
                } else {
                    json!({ "type": "reasoning", "id": id, "summary": [] })
                }
            }
            ItemKind::WebSearchCall { query } => {
                if done {
                    json!({
                        "type": "web_search_call",
                        "id": id,
                        "status": status,
                        "action": { "type": "search", "query": query },
                    })
                } else {
                    json!({ "type": "web_search_call", "id": id, "status": status })
                }
            }
            ItemKind::Raw { item } => item.clone(),
        }
    }

    fn events(&self, id: &str, output_index: usize) -> ItemEvents {
        let added = event(
            "response.output_item.added",
            json!({ "output_index": output_index, "item": self.item_json(id, false) }),
        );
        let done = event(
            "response.output_item.done",
            json!({ "output_index": output_index, "item": self.item_json(id, true) }),
        );
        let at = json!({ "item_id": id, "output_index": output_index });
        let mut opening = vec![added];
        let mut closing = Vec::new();
        match &self.kind {
            ItemKind::Message { text } => {
                let part = json!({ "content_index": 0 });
                opening.push(event(
                    "response.content_part.added",
                    merge(&[&at, &part, &json!({ "part": output_text_part("") })]),
                ));
                for delta in pieces(text) {
                    opening.push(event(
                        "response.output_text.delta",
                        merge(&[&at, &part, &json!({ "delta": delta, "logprobs": [] })]),
                    ));
                }
                closing.push(event(
                    "response.output_text.done",
                    merge(&[&at, &part, &json!({ "text": text, "logprobs": [] })]),
                ));
                closing.push(event(
                    "response.content_part.done",
                    merge(&[&at, &part, &json!({ "part": output_text_part(text) })]),
                ));
            }
            ItemKind::FunctionCall {
                name, arguments, ..
            } => {
                for delta in pieces(arguments) {
                    opening.push(event(
                        "response.function_call_arguments.delta",
                        merge(&[&at, &json!({ "delta": delta })]),
                    ));
                }
                closing.push(event(
                    "response.function_call_arguments.done",
                    merge(&[&at, &json!({ "name": name, "arguments": arguments })]),
                ));
            }
            ItemKind::CustomToolCall { input, .. } => {
                for delta in pieces(input) {
                    opening.push(event(
                        "response.custom_tool_call_input.delta",
                        merge(&[&at, &json!({ "delta": delta })]),
                    ));
                }
                closing.push(event(
                    "response.custom_tool_call_input.done",
                    merge(&[&at, &json!({ "input": input })]),
                ));
            }
            ItemKind::Reasoning { summary } => {
                if !summary.is_empty() {
                    let part = json!({ "summary_index": 0 });
                    opening.push(event(
                        "response.reasoning_summary_part.added",
                        merge(&[&at, &part, &json!({ "part": summary_part("") })]),
                    ));
                    for delta in pieces(summary) {
                        opening.push(event(
                            "response.reasoning_summary_text.delta",
                            merge(&[&at, &part, &json!({ "delta": delta })]),
                        ));
                    }
                    closing.push(event(
                        "response.reasoning_summary_text.done",
                        merge(&[&at, &part, &json!({ "text": summary })]),
                    ));
                    closing.push(event(
                        "response.reasoning_summary_part.done",
                        merge(&[&at, &part, &json!({ "part": summary_part(summary) })]),
                    ));
                }
            }
            ItemKind::WebSearchCall { .. } => {
                opening.push(event("response.web_search_call.in_progress", at.clone()));
                opening.push(event("response.web_search_call.searching", at.clone()));
                closing.push(event("response.web_search_call.completed", at));
            }
            ItemKind::Raw { .. } => {}
        }
        closing.push(done);
        ItemEvents { opening, closing }
    }
}

/// Shortcut for [`OutputItem::message`].
pub fn message(text: impl Into<String>) -> OutputItem {
    OutputItem::message(text)
}

/// Shortcut for [`OutputItem::function_call`].
pub fn function_call(
    call_id: impl Into<String>,
    name: impl Into<String>,
    arguments: impl Into<String>,
) -> OutputItem {
    OutputItem::function_call(call_id, name, arguments)
}

/// Shortcut for [`OutputItem::custom_tool_call`].
pub fn custom_tool_call(
    call_id: impl Into<String>,
    name: impl Into<String>,
    input: impl Into<String>,
) -> OutputItem {
    OutputItem::custom_tool_call(call_id, name, input)
}

/// Shortcut for [`OutputItem::reasoning`].
pub fn reasoning(summary_text: impl Into<String>) -> OutputItem {
    OutputItem::reasoning(summary_text)
}

/// Shortcut for [`OutputItem::web_search_call`].
pub fn web_search_call(query: impl Into<String>) -> OutputItem {
    OutputItem::web_search_call(query)
}

/// A complete, successful response `response_id` with `items` and the default [`Usage`].
pub fn turn(response_id: &str, items: Vec<OutputItem>) -> Scripted {
    turn_with_usage(response_id, items, Usage::default())
}

/// Like [`turn`], with the given `usage` in `response.completed`.
pub fn turn_with_usage(response_id: &str, items: Vec<OutputItem>, usage: Usage) -> Scripted {
    Scripted::Sse {
        events: turn_events(response_id, &items, usage),
        delay_ms: 0,
    }
}

/// Like [`turn`] (response id `resp_slow`), pausing `delay_ms` milliseconds between events.
pub fn slow(items: Vec<OutputItem>, delay_ms: u64) -> Scripted {
    Scripted::Sse {
        events: turn_events("resp_slow", &items, Usage::default()),
        delay_ms,
    }
}

/// The full event list of a successful response, for composing custom [`Scripted`] entries.
pub fn turn_events(response_id: &str, items: &[OutputItem], usage: Usage) -> Vec<Value> {
    let mut events = stream_start(response_id);
    for (index, item) in items.iter().enumerate() {
        let ItemEvents { opening, closing } = item.events(&item.id_in(response_id, index), index);
        events.extend(opening);
        events.extend(closing);
    }
    let output: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(index, item)| item.to_json(response_id, index))
        .collect();
    events.push(event(
        "response.completed",
        json!({ "response": response_object(response_id, "completed", output, Some(usage)) }),
    ));
    events
}

/// A dropped stream (response id `resp_cut`): created, in-progress, the first item complete up
/// to its `response.output_item.done`, the other items only opened (added and deltas), then the
/// connection is cut. The first item is effective; the rest are not (peer-wire.md §2).
pub fn cut_stream(items: Vec<OutputItem>) -> Scripted {
    let response_id = "resp_cut";
    let mut events = stream_start(response_id);
    for (index, item) in items.iter().enumerate() {
        let ItemEvents { opening, closing } = item.events(&item.id_in(response_id, index), index);
        events.extend(opening);
        if index == 0 {
            events.extend(closing);
        }
    }
    Scripted::SseCut { events }
}

/// Every event of a successful response (response id `resp_incomplete`) except
/// `response.completed`, then a clean end of the body: an error for the client.
pub fn no_completion(items: Vec<OutputItem>) -> Scripted {
    let mut events = turn_events("resp_incomplete", &items, Usage::default());
    events.pop();
    Scripted::Sse {
        events,
        delay_ms: 0,
    }
}

/// `response.created`, then `response.failed` with `error.code = "server_error"` and
/// `message` (response id `resp_failed`); the client retries it (peer-wire.md §5).
pub fn response_failed(message: &str) -> Scripted {
    let response_id = "resp_failed";
    let mut response = response_object(response_id, "failed", Vec::new(), None);
    response["error"] = json!({ "code": "server_error", "message": message });
    Scripted::Sse {
        events: vec![
            created_event(response_id),
            event("response.failed", json!({ "response": response })),
        ],
        delay_ms: 0,
    }
}

/// HTTP 500 with the API's generic server error body (retried by the request layer).
pub fn server_error() -> Scripted {
    http_json(
        500,
        Vec::new(),
        json!({ "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": null,
            "code": null,
        }}),
    )
}

/// HTTP 429 `rate_limit_exceeded`, with a `retry-after: <seconds>` header when given. Only the
/// header makes the client retry; the "try again in 1.5s" text does not (peer-wire.md §5).
pub fn rate_limited(retry_after: Option<u64>) -> Scripted {
    let headers = retry_after
        .map(|seconds| vec![("retry-after".to_owned(), seconds.to_string())])
        .unwrap_or_default();
    http_json(
        429,
        headers,
        json!({ "error": {
            "type": "requests",
            "code": "rate_limit_exceeded",
            "message": format!(
                "Rate limit reached for {MODEL} in organization org-fake on requests per min \
                 (RPM): Limit 500, Used 500, Requested 1. Please try again in 1.5s. Visit \
                 https://platform.openai.com/account/rate-limits to learn more."
            ),
        }}),
    )
}

/// HTTP 429 `insufficient_quota` (not retried).
pub fn quota_exceeded() -> Scripted {
    http_json(
        429,
        Vec::new(),
        json!({ "error": {
            "type": "insufficient_quota",
            "code": "insufficient_quota",
            "message": "You exceeded your current quota, please check your plan and billing details.",
        }}),
    )
}

/// HTTP 400 `invalid_request_error` with `message` (not retried).
pub fn bad_request(message: &str) -> Scripted {
    http_json(
        400,
        Vec::new(),
        json!({ "error": { "message": message, "type": "invalid_request_error" } }),
    )
}

/// HTTP 401 `invalid_api_key`.
pub fn unauthorized() -> Scripted {
    http_json(
        401,
        Vec::new(),
        json!({ "error": {
            "message": "Incorrect API key provided: sk-bad.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }}),
    )
}

/// Splits `text` into up to [`DELTA_PIECES`] non-empty pieces on char boundaries; none for "".
pub(crate) fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(DELTA_PIECES).max(1);
    chars
        .chunks(size)
        .map(|chunk| chunk.iter().collect())
        .collect()
}

fn http_json(status: u16, headers: Vec<(String, String)>, body: Value) -> Scripted {
    Scripted::Http {
        status,
        headers,
        body: body.to_string(),
    }
}

fn stream_start(response_id: &str) -> Vec<Value> {
    vec![
        created_event(response_id),
        event(
            "response.in_progress",
            json!({ "response": response_object(response_id, "in_progress", Vec::new(), None) }),
        ),
    ]
}

fn created_event(response_id: &str) -> Value {
    event(
        "response.created",
        json!({ "response": response_object(response_id, "in_progress", Vec::new(), None) }),
    )
}

/// The `response` object of lifecycle events (a realistic subset of the API's fields).
fn response_object(id: &str, status: &str, output: Vec<Value>, usage: Option<Usage>) -> Value {
    json!({
        "id": id,
        "object": "response",
        "created_at": CREATED_AT,
        "status": status,
        "error": null,
        "model": MODEL,
        "output": output,
        "usage": usage.map(|usage| usage.to_json()),
    })
}

fn output_text_part(text: &str) -> Value {
    json!({ "type": "output_text", "text": text, "annotations": [] })
}

fn summary_part(text: &str) -> Value {
    json!({ "type": "summary_text", "text": text })
}

/// `{"type": kind, ..fields}` with `type` first, as the API orders it.
fn event(kind: &str, fields: Value) -> Value {
    let mut event = Map::new();
    event.insert("type".to_owned(), Value::from(kind));
    if let Value::Object(fields) = fields {
        event.extend(fields);
    }
    Value::Object(event)
}

/// The union of several JSON objects' fields, in order.
fn merge(objects: &[&Value]) -> Value {
    let mut merged = Map::new();
    for object in objects {
        if let Value::Object(fields) = object {
            merged.extend(
                fields
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone())),
            );
        }
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(scripted: Scripted) -> Vec<Value> {
        match scripted {
            Scripted::Sse { events, .. } | Scripted::SseCut { events } => events,
            other => panic!("not a Responses stream: {other:?}"),
        }
    }

    fn types(events: &[Value]) -> Vec<&str> {
        events
            .iter()
            .map(|event| event["type"].as_str().expect("event type"))
            .collect()
    }

    fn concat(events: &[Value], kind: &str) -> String {
        events
            .iter()
            .filter(|event| event["type"] == kind)
            .map(|event| event["delta"].as_str().expect("delta"))
            .collect()
    }

    #[test]
    fn message_turn_has_the_api_event_sequence() {
        let events = events_of(turn("resp_1", vec![message("Hello, world!")]));
        assert_eq!(
            types(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        assert_eq!(
            concat(&events, "response.output_text.delta"),
            "Hello, world!"
        );
        assert_eq!(
            events[9]["item"],
            json!({
                "type": "message",
                "id": "msg_1_0",
                "role": "assistant",
                "status": "completed",
                "content": [{ "type": "output_text", "text": "Hello, world!", "annotations": [] }],
            })
        );
        let completed = &events[10]["response"];
        assert_eq!(completed["id"], "resp_1");
        assert_eq!(completed["status"], "completed");
        assert_eq!(
            completed["usage"],
            json!({
                "input_tokens": 100,
                "input_tokens_details": { "cached_tokens": 0 },
                "output_tokens": 20,
                "output_tokens_details": { "reasoning_tokens": 0 },
                "total_tokens": 120,
            })
        );
        assert_eq!(completed["output"], json!([events[9]["item"]]));
    }

    #[test]
    fn tool_calls_stream_their_arguments_and_input() {
        let arguments = r#"{"command":["echo","hi"]}"#;
        let events = events_of(turn(
            "resp_2",
            vec![
                function_call("call_1", "shell", arguments),
                custom_tool_call("call_2", "apply_patch", "*** Begin Patch\n*** End Patch"),
            ],
        ));
        assert_eq!(
            concat(&events, "response.function_call_arguments.delta"),
            arguments
        );
        assert_eq!(
            concat(&events, "response.custom_tool_call_input.delta"),
            "*** Begin Patch\n*** End Patch"
        );
        let done: Vec<&Value> = events
            .iter()
            .filter(|event| event["type"] == "response.output_item.done")
            .map(|event| &event["item"])
            .collect();
        assert_eq!(
            done,
            [
                &json!({
                    "type": "function_call",
                    "id": "fc_2_0",
                    "call_id": "call_1",
                    "name": "shell",
                    "arguments": arguments,
                    "status": "completed",
                }),
                &json!({
                    "type": "custom_tool_call",
                    "id": "ctc_2_1",
                    "call_id": "call_2",
                    "name": "apply_patch",
                    "input": "*** Begin Patch\n*** End Patch",
                    "status": "completed",
                }),
            ]
        );
        let args_done = events
            .iter()
            .find(|event| event["type"] == "response.function_call_arguments.done")
            .expect("arguments done");
        assert_eq!(args_done["arguments"], arguments);
        assert_eq!(args_done["item_id"], "fc_2_0");
    }

    #[test]
    fn reasoning_and_web_search_items() {
        let events = events_of(turn(
            "resp_3",
            vec![reasoning("Thinking about it"), web_search_call("rust sse")],
        ));
        assert_eq!(
            &types(&events)[2..=8],
            [
                "response.output_item.added",
                "response.reasoning_summary_part.added",
                "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done",
                "response.reasoning_summary_part.done",
            ]
        );
        assert_eq!(
            concat(&events, "response.reasoning_summary_text.delta"),
            "Thinking about it"
        );
        assert_eq!(
            reasoning("Thinking about it").to_json("resp_3", 0),
            json!({
                "type": "reasoning",
                "id": "rs_3_0",
                "summary": [{ "type": "summary_text", "text": "Thinking about it" }],
                "encrypted_content": "enc",
            })
        );
        assert_eq!(
            web_search_call("rust sse")
                .with_id("ws_fixed")
                .to_json("resp_3", 1),
            json!({
                "type": "web_search_call",
                "id": "ws_fixed",
                "status": "completed",
                "action": { "type": "search", "query": "rust sse" },
            })
        );
    }

    #[test]
    fn cut_stream_completes_only_the_first_item() {
        let events = events_of(cut_stream(vec![message("first"), message("second")]));
        let done: Vec<&Value> = events
            .iter()
            .filter(|event| event["type"] == "response.output_item.done")
            .collect();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0]["item"]["content"][0]["text"], "first");
        assert_eq!(
            events.last().expect("events")["type"],
            "response.output_text.delta"
        );
        assert!(!types(&events).contains(&"response.completed"));
    }

    #[test]
    fn failure_shapes() {
        let events = events_of(response_failed("boom"));
        assert_eq!(types(&events), ["response.created", "response.failed"]);
        assert_eq!(events[1]["response"]["status"], "failed");
        assert_eq!(
            events[1]["response"]["error"],
            json!({ "code": "server_error", "message": "boom" })
        );

        let events = events_of(no_completion(vec![message("hi")]));
        assert_eq!(
            events.last().expect("events")["type"],
            "response.output_item.done"
        );

        let Scripted::Http {
            status,
            headers,
            body,
        } = rate_limited(Some(2))
        else {
            panic!("not an HTTP answer");
        };
        assert_eq!(status, 429);
        assert_eq!(headers, [("retry-after".to_owned(), "2".to_owned())]);
        let body: Value = serde_json::from_str(&body).expect("json body");
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        assert!(
            body["error"]["message"]
                .as_str()
                .expect("message")
                .contains("Please try again in 1.5s")
        );
    }

    #[test]
    fn custom_usage() {
        let usage = Usage {
            cached_input_tokens: 40,
            ..Usage::new(50, 7)
        };
        let events = events_of(turn_with_usage("resp_u", Vec::new(), usage));
        let reported = &events.last().expect("events")["response"]["usage"];
        assert_eq!(reported["total_tokens"], 57);
        assert_eq!(reported["input_tokens_details"]["cached_tokens"], 40);
    }

    #[test]
    fn pieces_split_on_char_boundaries() {
        assert!(pieces("").is_empty());
        assert_eq!(pieces("ab"), ["a", "b"]);
        assert_eq!(pieces("héllo wörld").concat(), "héllo wörld");
        assert_eq!(pieces("héllo wörld").len(), 3);
    }
}
