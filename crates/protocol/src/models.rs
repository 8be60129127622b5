//! Responses API items (`input` / `output` entries) and the parsed stream events, per the OpenAI
//! Responses API. Unknown item and content types deserialize to `Other` so a newer server never
//! breaks a stream.

use serde::{Deserialize, Serialize};

/// One entry of the Responses API `input` array or of a response's `output`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseItem {
    /// `{"type":"message","role":"user|assistant|developer","content":[...]}`.
    Message {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        role: String,
        content: Vec<ContentItem>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// Reasoning output; echoed back with its `encrypted_content` so the model keeps its chain.
    Reasoning {
        #[serde(default)]
        id: String,
        #[serde(default)]
        summary: Vec<ReasoningSummaryPart>,
        #[serde(default)]
        content: Option<Vec<ReasoningContent>>,
        #[serde(default)]
        encrypted_content: Option<String>,
    },
    /// A JSON function tool call; `arguments` is a JSON text.
    FunctionCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        call_id: String,
        name: String,
        arguments: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// Our answer to a [`ResponseItem::FunctionCall`].
    FunctionCallOutput {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        call_id: String,
        output: FunctionCallOutputPayload,
    },
    /// A freeform (grammar) tool call such as `apply_patch`; `input` is raw text.
    CustomToolCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        call_id: String,
        name: String,
        input: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// Our answer to a [`ResponseItem::CustomToolCall`].
    CustomToolCallOutput {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        call_id: String,
        output: String,
    },
    /// A hosted web search the server ran; no output is sent back.
    WebSearchCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<WebSearchAction>,
    },
    /// Any item type this build does not know; dropped from history.
    #[serde(other)]
    Other,
}

impl ResponseItem {
    /// A message with one text part: `input_text` for user/developer, `output_text` for assistant.
    pub fn text_message(role: &str, text: impl Into<String>) -> Self {
        let text = text.into();
        let part = if role == "assistant" {
            ContentItem::OutputText {
                text,
                annotations: Vec::new(),
            }
        } else {
            ContentItem::InputText { text }
        };
        ResponseItem::Message {
            id: None,
            role: role.to_string(),
            content: vec![part],
            status: None,
        }
    }

    /// The concatenated text parts of a message, `None` for other items.
    pub fn message_text(&self) -> Option<String> {
        match self {
            ResponseItem::Message { content, .. } => Some(
                content
                    .iter()
                    .filter_map(|c| match c {
                        ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                            Some(text.as_str())
                        }
                        ContentItem::InputImage { .. } | ContentItem::Other => None,
                    })
                    .collect::<Vec<_>>()
                    .join(""),
            ),
            _ => None,
        }
    }
}

/// A part of a message's `content`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentItem {
    InputText {
        text: String,
    },
    /// `image_url` is a `data:` URL or an https URL.
    InputImage {
        image_url: String,
    },
    OutputText {
        text: String,
        #[serde(default)]
        annotations: Vec<serde_json::Value>,
    },
    #[serde(other)]
    Other,
}

/// `function_call_output.output`: a string, or content parts (e.g. an image for `view_image`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FunctionCallOutputPayload {
    Text(String),
    Content(Vec<ContentItem>),
}

/// `{"type":"summary_text","text":...}` inside a reasoning item's `summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningSummaryPart {
    SummaryText { text: String },
}

/// Raw reasoning text parts (`reasoning_text`), when a server sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningContent {
    ReasoningText { text: String },
    Text { text: String },
}

/// `web_search_call.action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WebSearchAction {
    Search {
        #[serde(default)]
        query: Option<String>,
    },
    #[serde(other)]
    Other,
}

/// Token usage of one response, normalised from the Responses API `usage` object
/// (`input_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
    pub total_tokens: u64,
}

impl TokenUsage {
    /// Field-wise sum.
    pub fn add(&mut self, other: &TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_output_tokens += other.reasoning_output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// A model stream event after parsing (Responses SSE or Chat Completions chunks mapped onto it).
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseEvent {
    /// `response.created`.
    Created,
    /// `response.output_item.added`: an item started (used to show progress early).
    OutputItemAdded(ResponseItem),
    /// `response.output_item.done`: the item is final and becomes effective.
    OutputItemDone(ResponseItem),
    /// `response.output_text.delta`.
    OutputTextDelta(String),
    /// `response.reasoning_summary_text.delta`.
    ReasoningSummaryDelta(String),
    /// `response.reasoning_summary_part.added`: a new summary paragraph begins.
    ReasoningSummaryPartAdded,
    /// `response.completed`.
    Completed {
        response_id: String,
        token_usage: Option<TokenUsage>,
    },
}
