//! The server over real HTTP: reqwest for the async constructor, a hand-written HTTP/1.1
//! request over `std::net::TcpStream` for the blocking one.

use std::io::{Read, Write};

use futures::StreamExt;
use serde_json::{Value, json};

use super::*;
use crate::chat::chat_text;
use crate::responses::{
    bad_request, cut_stream, function_call, message, no_completion, quota_exceeded, rate_limited,
    turn, unauthorized,
};

/// `(event name, data)` per SSE frame; `None` for a frame without an `event:` line.
fn parse_sse(text: &str) -> Vec<(Option<String>, String)> {
    text.split("\n\n")
        .filter(|frame| !frame.is_empty())
        .map(|frame| {
            let mut name = None;
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(value) = line.strip_prefix("event: ") {
                    name = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data.push_str(value);
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            (name, data)
        })
        .collect()
}

async fn post(server: &FakeServer, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{}{path}", server.addr()))
        .header("authorization", "Bearer sk-test")
        .header("X-Client-Request-Id", "thread-1")
        .json(body)
        .send()
        .await
        .expect("send request")
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_a_scripted_turn_as_sse() {
    let script = turn(
        "resp_1",
        vec![message("Hello!"), function_call("call_1", "shell", "{}")],
    );
    let Scripted::Sse { events, .. } = script.clone() else {
        panic!("turn is an SSE entry");
    };
    let server = FakeServer::start(vec![script]).await;
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert!(server.url().ends_with("/v1"));

    let response = post(&server, RESPONSES_PATH, &json!({ "model": "gpt-5.5" })).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("ascii"),
        "text/event-stream"
    );
    assert_eq!(
        response.headers()["transfer-encoding"]
            .to_str()
            .expect("ascii"),
        "chunked"
    );
    let frames = parse_sse(&response.text().await.expect("body"));
    assert_eq!(frames.len(), events.len());
    for (index, ((name, data), sent)) in frames.iter().zip(&events).enumerate() {
        let data: Value = serde_json::from_str(data).expect("JSON data");
        assert_eq!(name.as_deref(), sent["type"].as_str());
        assert_eq!(data["type"], sent["type"]);
        assert_eq!(data["sequence_number"], index);
    }
    assert_eq!(frames[0].0.as_deref(), Some("response.created"));
    assert_eq!(
        frames.last().expect("frames").0.as_deref(),
        Some("response.completed")
    );
    assert_eq!(server.remaining(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn keeps_a_given_sequence_number() {
    let events = vec![json!({ "type": "response.created", "sequence_number": 41 })];
    let server = FakeServer::start(vec![Scripted::Sse {
        events,
        delay_ms: 1,
    }])
    .await;
    let text = post(&server, RESPONSES_PATH, &json!({}))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(
        text,
        "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":41}\n\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn consumes_entries_in_order_and_captures_requests() {
    let server = FakeServer::start(vec![
        bad_request("first"),
        chat_text("second"),
        turn("resp_3", vec![message("third")]),
    ])
    .await;

    let first = post(&server, RESPONSES_PATH, &json!({ "n": 1 })).await;
    assert_eq!(first.status(), 400);
    let body: Value = first.json().await.expect("JSON error");
    assert_eq!(
        body,
        json!({ "error": { "message": "first", "type": "invalid_request_error" } })
    );

    let second = post(&server, CHAT_COMPLETIONS_PATH, &json!({ "n": 2 })).await;
    let frames = parse_sse(&second.text().await.expect("body"));
    assert!(frames.iter().all(|(name, _)| name.is_none()));
    assert_eq!(frames.last().expect("frames").1, "[DONE]");

    // Not a model call: answered 404, captured, and the script is left alone.
    let other = reqwest::Client::new()
        .get(format!("{}/models?client_version=1", server.url()))
        .send()
        .await
        .expect("send");
    assert_eq!(other.status(), 404);
    assert_eq!(server.remaining(), 1);

    let third = post(&server, RESPONSES_PATH, &json!({ "n": 3 })).await;
    assert!(
        third
            .text()
            .await
            .expect("body")
            .contains("\"text\":\"third\"")
    );

    let exhausted = post(&server, RESPONSES_PATH, &json!({ "n": 4 })).await;
    assert_eq!(exhausted.status(), 500);
    let body: Value = exhausted.json().await.expect("JSON error");
    assert_eq!(
        body,
        json!({ "error": { "message": "fake server: script exhausted" } })
    );

    let requests = server.requests();
    let seen: Vec<(&str, &str, Option<&str>, &Value)> = requests
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                r.query.as_deref(),
                &r.body,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", RESPONSES_PATH, None, &json!({ "n": 1 })),
            ("POST", CHAT_COMPLETIONS_PATH, None, &json!({ "n": 2 })),
            ("GET", "/v1/models", Some("client_version=1"), &Value::Null),
            ("POST", RESPONSES_PATH, None, &json!({ "n": 3 })),
            ("POST", RESPONSES_PATH, None, &json!({ "n": 4 })),
        ]
    );
    let first = &requests[0];
    assert_eq!(first.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(first.header("X-CLIENT-REQUEST-ID"), Some("thread-1"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert!(
        first
            .headers
            .iter()
            .any(|(name, _)| name == "x-client-request-id")
    );
    assert_eq!(first.header("missing"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn http_faults_carry_status_headers_and_body() {
    let server = FakeServer::start(vec![
        rate_limited(Some(1)),
        rate_limited(None),
        quota_exceeded(),
        unauthorized(),
        Scripted::Http {
            status: 503,
            headers: vec![("x-custom".to_owned(), "yes".to_owned())],
            body: "overloaded".to_owned(),
        },
    ])
    .await;

    let limited = post(&server, RESPONSES_PATH, &json!({})).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    assert_eq!(limited.headers()["content-type"], "application/json");
    let body: Value = limited.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");

    let limited = post(&server, RESPONSES_PATH, &json!({})).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_none());

    let quota = post(&server, RESPONSES_PATH, &json!({})).await;
    assert_eq!(quota.status(), 429);
    let body: Value = quota.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "insufficient_quota");

    let denied = post(&server, RESPONSES_PATH, &json!({})).await;
    assert_eq!(denied.status(), 401);
    let body: Value = denied.json().await.expect("JSON");
    assert_eq!(
        body["error"]["message"],
        "Incorrect API key provided: sk-bad."
    );

    let custom = post(&server, RESPONSES_PATH, &json!({})).await;
    assert_eq!(custom.status(), 503);
    assert_eq!(custom.headers()["x-custom"], "yes");
    assert_eq!(
        custom.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(custom.text().await.expect("body"), "overloaded");
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_stream_errors_after_the_first_item() {
    let server = FakeServer::start(vec![cut_stream(vec![message("kept"), message("lost")])]).await;
    let response = post(&server, RESPONSES_PATH, &json!({})).await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the body must end in an error, not a clean end");
    let text = String::from_utf8(received).expect("UTF-8");
    let names: Vec<Option<String>> = parse_sse(&text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names
            .iter()
            .filter(|name| name.as_deref() == Some("response.output_item.done"))
            .count(),
        1
    );
    assert!(text.contains("\"text\":\"kept\""));
    assert!(!text.contains("response.completed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_completion_ends_cleanly_without_completed() {
    let server = FakeServer::start(vec![no_completion(vec![message("hi")])]).await;
    let text = post(&server, RESPONSES_PATH, &json!({}))
        .await
        .text()
        .await
        .expect("a clean end of the body");
    let frames = parse_sse(&text);
    assert_eq!(
        frames.last().expect("frames").0.as_deref(),
        Some("response.output_item.done")
    );
    assert!(!text.contains("response.completed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_upgrade_is_refused_without_consuming() {
    let server = FakeServer::start(vec![turn("resp_1", Vec::new())]).await;
    let response = reqwest::Client::new()
        .get(format!("{}/responses", server.url()))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 426);
    assert_eq!(server.remaining(), 1);
    server.push(turn("resp_2", Vec::new()));
    assert_eq!(server.remaining(), 2);
}

/// The blocking constructor, driven from a plain `#[test]` with no runtime in sight.
#[test]
fn blocking_server_answers_plain_http() {
    let server = FakeServer::start_blocking(vec![turn("resp_b", vec![message("hi")])]);
    let body = r#"{"model":"gpt-5.5"}"#;
    let mut stream = std::net::TcpStream::connect(server.addr()).expect("connect");
    write!(
        stream,
        "POST /v1/responses HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        server.addr(),
        body.len()
    )
    .expect("write request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("event: response.created\n"));
    assert!(answer.contains("event: response.completed\n"));
    assert!(answer.ends_with("0\r\n\r\n"), "chunked body ends cleanly");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body, json!({ "model": "gpt-5.5" }));
    assert_eq!(server.remaining(), 0);
    drop(server);
}
