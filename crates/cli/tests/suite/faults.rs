//! Model errors and retries (peer-wire.md §5): which failures are retried, what the user sees,
//! and the exit status.

use codex_test_support::responses::{
    bad_request, cut_stream, message, no_completion, quota_exceeded, rate_limited, response_failed,
    server_error, slow, turn, unauthorized,
};
use codex_test_support::{FakeServer, TestHome, config_with_retries};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::common::*;

fn home_with_retries(server: &FakeServer, request: u32, stream: u32, extra: &str) -> TestHome {
    let home = TestHome::new();
    home.write_config(&format!(
        "{}\n{extra}",
        config_with_retries(server, request, stream)
    ));
    home
}

#[test]
fn server_error_is_retried_silently_at_the_request_layer() {
    let server = FakeServer::start_blocking(vec![
        server_error(),
        turn("resp_1", vec![message("recovered")]),
    ]);
    let home = home_with_retries(&server, 1, 0, "");
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(model_requests(&server).len(), 2);
    assert!(!out.events().iter().any(|e| e["type"] == "error"));
    let reqs = model_requests(&server);
    assert_eq!(reqs[0].body, reqs[1].body, "a retry resends the same body");
}

#[test]
fn persistent_server_error_fails_after_both_layers() {
    let server = FakeServer::start_blocking(vec![
        server_error(),
        server_error(),
        server_error(),
        server_error(),
    ]);
    let home = home_with_retries(&server, 1, 1, "");
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 1);
    assert_eq!(model_requests(&server).len(), 4, "(1+1) x (1+1) attempts");
    let events = out.normalized_events();
    let msg = "We're currently experiencing high demand, which may cause temporary errors. (last status: 500)";
    assert_eq!(
        &events[2..],
        &[
            json!({"type": "error", "message": format!("Reconnecting... 1/1 ({msg})")}),
            json!({"type": "error", "message": msg}),
            json!({"type": "turn.failed", "error": {"message": msg}}),
        ]
    );
}

#[test]
fn rate_limit_with_retry_after_reconnects() {
    let server = FakeServer::start_blocking(vec![
        rate_limited(Some(1)),
        turn("resp_1", vec![message("ok")]),
    ]);
    let home = home_with_retries(&server, 0, 2, "");
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        out.normalized_events()[2],
        json!({"type": "error", "message": "Reconnecting... 1/2 (exceeded retry limit, last status: 429 Too Many Requests)"})
    );
}

#[test]
fn rate_limit_without_retry_after_quota_and_400_are_fatal() {
    let server = FakeServer::start_blocking(vec![
        rate_limited(None),
        quota_exceeded(),
        bad_request("Invalid 'input': bad"),
    ]);
    let home = home_with_retries(&server, 2, 2, "");
    let out = run(&home, &["exec", "--json", "a"]);
    assert_eq!(out.code, 1);
    let last = out.events().last().unwrap().clone();
    assert_eq!(last["type"], "turn.failed");
    assert!(
        last["error"]["message"].as_str().unwrap().contains("429"),
        "{last}"
    );

    let out = run(&home, &["exec", "--json", "b"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.events().last().unwrap(),
        &json!({"type": "turn.failed", "error": {"message": "Quota exceeded. Check your plan and billing details."}})
    );

    let out = run(&home, &["exec", "--json", "c"]);
    assert_eq!(out.code, 1);
    let last = out.events().last().unwrap().clone();
    let msg = last["error"]["message"].as_str().unwrap();
    let body: serde_json::Value = serde_json::from_str(msg).expect("400 message is the raw body");
    assert_eq!(body["error"]["message"], "Invalid 'input': bad");
    assert_eq!(model_requests(&server).len(), 3, "none of these is retried");
}

#[test]
fn unauthorized_tells_how_to_sign_in() {
    let server = FakeServer::start_blocking(vec![unauthorized()]);
    let home = home_with_retries(&server, 2, 2, "");
    let out = run(&home, &["exec", "hi"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("401 Unauthorized: Incorrect API key provided"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("codex login"), "{}", out.stderr);
    assert!(out.stderr.contains("OPENAI_API_KEY"), "{}", out.stderr);
}

#[test]
fn cut_stream_keeps_finished_items_and_retries() {
    let server = FakeServer::start_blocking(vec![
        cut_stream(vec![message("partial answer"), message("never finished")]),
        turn("resp_2", vec![message("final")]),
    ]);
    let home = home_with_retries(&server, 0, 1, "");
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let events = out.normalized_events();
    assert_eq!(events[2]["item"]["text"], "partial answer");
    assert_eq!(events[3]["type"], "error");
    assert!(
        events[3]["message"]
            .as_str()
            .unwrap()
            .starts_with("Reconnecting... 1/1 (stream disconnected before completion:")
    );
    assert_eq!(events[4]["item"]["text"], "final");
    // The finished item is part of the retried request.
    let reqs = model_requests(&server);
    assert!(message_texts(&reqs[1].body, "assistant").contains(&"partial answer".to_string()));
}

#[test]
fn stream_without_completion_and_response_failed_are_retried() {
    let server = FakeServer::start_blocking(vec![
        no_completion(vec![]),
        response_failed("upstream overloaded"),
        turn("resp_3", vec![message("third time")]),
    ]);
    let home = home_with_retries(&server, 0, 2, "");
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let errors: Vec<String> = out
        .events()
        .iter()
        .filter(|e| e["type"] == "error")
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        errors,
        vec![
            "Reconnecting... 1/2 (stream disconnected before completion: stream closed before response.completed)".to_string(),
            "Reconnecting... 2/2 (stream disconnected before completion: upstream overloaded)".to_string(),
        ]
    );
}

#[test]
fn idle_stream_times_out() {
    let server = FakeServer::start_blocking(vec![
        slow(vec![message("slow")], 2_000),
        turn("resp_2", vec![message("fast")]),
    ]);
    let home = TestHome::new();
    home.write_config(&config_with_retries(&server, 0, 1).replace(
        "[model_providers.mock]",
        "[model_providers.mock]\nstream_idle_timeout_ms = 300",
    ));
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let events = out.events();
    assert!(
        events.iter().any(
            |e| e["type"] == "error" && e["message"].as_str().unwrap().contains("idle timeout")
        ),
        "{events:?}"
    );
    assert_eq!(events.iter().rev().nth(1).unwrap()["item"]["text"], "fast");
}

#[test]
fn unreachable_server_stops_after_retries() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = TestHome::new();
    home.write_config(&format!(
        "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\n[model_providers.mock]\nname = \"mock\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nenv_key = \"OPENAI_API_KEY\"\nrequest_max_retries = 1\nstream_max_retries = 1\n"
    ));
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 1);
    let last = out.events().last().unwrap().clone();
    assert_eq!(last["type"], "turn.failed");
    let msg = last["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!(
            "could not reach http://127.0.0.1:{port}/v1/responses"
        )),
        "{msg}"
    );
}
