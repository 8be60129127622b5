//! `wire_api = "chat"`: Chat Completions streaming with tool calls (Ollama, LM Studio and other
//! OpenAI-compatible servers).

use codex_test_support::chat::{chat_text, chat_tool_call};
use codex_test_support::{FakeServer, TestHome};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::common::*;

#[test]
fn chat_provider_runs_tools_and_answers() {
    let patch = "*** Begin Patch\n*** Add File: chat.txt\n+from chat\n*** End Patch";
    let server = FakeServer::start_blocking(vec![
        chat_tool_call(
            "call_1",
            "apply_patch",
            &json!({"input": patch}).to_string(),
        ),
        chat_text("wrote chat.txt"),
    ]);
    let home = TestHome::new();
    home.write_config(&format!(
        "model = \"gpt-oss:20b\"\nmodel_provider = \"local\"\n[model_providers.local]\nname = \"local\"\nbase_url = \"{}\"\nwire_api = \"chat\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
        server.url()
    ));
    let out = run(
        &home,
        &["exec", "--json", "-s", "workspace-write", "write a file"],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("chat.txt")).unwrap(),
        "from chat\n"
    );
    let events = out.events();
    assert_eq!(
        events.iter().rev().nth(1).unwrap()["item"],
        json!({"id": "item_1", "type": "agent_message", "text": "wrote chat.txt"})
    );
    let reqs = model_requests(&server);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    let body = &reqs[0].body;
    assert_eq!(body["model"], "gpt-oss:20b");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(tools.contains(&"apply_patch"), "{tools:?}");
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    let n = msgs.len();
    assert_eq!(msgs[n - 2]["role"], "assistant");
    assert_eq!(msgs[n - 2]["tool_calls"][0]["id"], "call_1");
    assert_eq!(msgs[n - 1]["role"], "tool");
    assert_eq!(msgs[n - 1]["tool_call_id"], "call_1");
    assert!(
        msgs[n - 1]["content"]
            .as_str()
            .unwrap()
            .contains("A chat.txt")
    );
}
