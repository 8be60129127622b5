//! The official TypeScript SDK (`@openai/codex-sdk`, installed by `scripts/test` into
//! `tests/sdk/node_modules`) drives our binary: a thread runs, its final response is read, and
//! it is resumed, both by a second `run()` and by `resumeThread()`.

use std::path::Path;
use std::process::Command;

use codex_test_support::responses::{message, turn};
use codex_test_support::{FakeServer, TestHome};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::model_requests;

#[test]
fn typescript_sdk_runs_and_resumes_a_thread() {
    let sdk_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
    assert!(
        sdk_dir.join("node_modules/@openai/codex-sdk").is_dir(),
        "the SDK is not installed: run `npm ci --omit=optional --prefix {}` (scripts/test does)",
        sdk_dir.display()
    );
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("answer one")]),
        turn("resp_2", vec![message("answer two")]),
        turn("resp_3", vec![message("answer three")]),
    ]);
    let home = TestHome::new();
    let out = Command::new("node")
        .arg(sdk_dir.join("run.mjs"))
        .arg(env!("CARGO_BIN_EXE_codex"))
        .arg(server.url())
        .arg(home.workdir())
        .current_dir(&sdk_dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CODEX_HOME", home.codex_home())
        .env("HOME", home.home())
        .output()
        .expect("run node");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "node failed: {stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).expect("SDK output is JSON");
    assert_eq!(result["first"], "answer one");
    assert_eq!(result["second"], "answer two");
    assert_eq!(result["third"], "answer three");
    assert_eq!(
        result["firstItems"],
        json!([{"id": "item_0", "type": "agent_message", "text": "answer one"}])
    );
    assert_eq!(result["usage"]["input_tokens"], 300);
    let reqs = model_requests(&server);
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some("Bearer sk-sdk-test"));
        assert_eq!(r.header("originator"), Some("codex_sdk_ts"));
        assert_eq!(r.body["prompt_cache_key"], result["threadId"]);
    }
    let users = crate::common::message_texts(&reqs[2].body, "user");
    assert_eq!(
        &users[users.len() - 3..],
        &["first question", "second question", "third question"]
    );
}
