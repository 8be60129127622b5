//! Configuration as the binary reads it: errors name file, line, column and key; `-c` and
//! profiles layer as documented.

use codex_test_support::responses::{message, turn};
use codex_test_support::{FakeServer, TestHome};
use pretty_assertions::assert_eq;

use crate::common::*;

#[test]
fn bad_config_value_names_file_line_and_key() {
    let home = TestHome::new();
    home.write_config("model = \"gpt-5.5\"\nsandbox_mode = \"wide-open\"\n");
    let out = run(&home, &["exec", "hi"]);
    assert_eq!(out.code, 1);
    let path = home.codex_home().join("config.toml");
    assert!(
        out.stderr.contains(&format!("{}:2:", path.display())),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("sandbox_mode"), "{}", out.stderr);
}

#[test]
fn strict_config_rejects_unknown_keys() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("ok")])]);
    let home = TestHome::new();
    home.write_config(&format!("no_such_key = 1\n{}", home.config_for(&server)));
    let out = run(&home, &["exec", "--strict-config", "hi"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no_such_key"), "{}", out.stderr);
    let out = run(&home, &["exec", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
}

#[test]
fn cli_overrides_and_profiles_layer_over_the_file() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("a")]),
        turn("resp_2", vec![message("b")]),
        turn("resp_3", vec![message("c")]),
    ]);
    let home = TestHome::new();
    home.write_config(&format!(
        "model_reasoning_effort = \"low\"\n{}\n[profiles.deep]\nmodel_reasoning_effort = \"high\"\n",
        home.config_for(&server)
    ));
    assert_eq!(run(&home, &["exec", "x"]).code, 0);
    assert_eq!(run(&home, &["exec", "-p", "deep", "x"]).code, 0);
    assert_eq!(
        run(
            &home,
            &[
                "exec",
                "-p",
                "deep",
                "-c",
                "model_reasoning_effort=minimal",
                "x"
            ]
        )
        .code,
        0
    );
    let efforts: Vec<String> = model_requests(&server)
        .iter()
        .map(|r| r.body["reasoning"]["effort"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(efforts, vec!["low", "high", "minimal"]);
}

#[test]
fn model_flag_and_unknown_model_warning() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("ok")])]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "-m", "my-custom-model", "x"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let events = out.events();
    assert_eq!(events[1]["item"]["type"], "error");
    assert!(
        events[1]["item"]["message"]
            .as_str()
            .unwrap()
            .contains("Model metadata for `my-custom-model` not found")
    );
    let body = &model_requests(&server)[0].body;
    assert_eq!(body["model"], "my-custom-model");
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tools.contains(&"apply_patch"),
        "unknown models still get apply_patch: {tools:?}"
    );
}
