//! `codex exec` basics: JSONL schema, request body and headers, human output, prompt sources,
//! the git check and exit codes.

use codex_test_support::responses::{message, reasoning, turn};
use codex_test_support::{FAKE_API_KEY, FakeServer, TestHome};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::common::*;

#[test]
fn json_run_prints_upstream_schema_and_sends_responses_request() {
    let server = FakeServer::start_blocking(vec![turn(
        "resp_1",
        vec![
            reasoning("Thinking about it"),
            message("Hello! I am the mock model."),
        ],
    )]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "say hello"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        out.normalized_events(),
        vec![
            json!({"type": "thread.started", "thread_id": "<THREAD>"}),
            json!({"type": "turn.started"}),
            json!({"type": "item.completed", "item": {"id": "item_0", "type": "reasoning", "text": "Thinking about it"}}),
            json!({"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": "Hello! I am the mock model."}}),
            json!({"type": "turn.completed", "usage": {"input_tokens": 100, "cached_input_tokens": 0, "cache_write_input_tokens": 0, "output_tokens": 20, "reasoning_output_tokens": 0}}),
        ]
    );
    let thread_id = out.thread_id();
    let reqs = model_requests(&server);
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.path, "/v1/responses");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {FAKE_API_KEY}").as_str())
    );
    assert_eq!(req.header("originator"), Some("codex_exec"));
    assert_eq!(req.header("accept"), Some("text/event-stream"));
    assert_eq!(req.header("session-id"), Some(thread_id.as_str()));
    assert_eq!(req.header("x-client-request-id"), Some(thread_id.as_str()));
    let body = &req.body;
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec![
            "model",
            "stream",
            "input",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "reasoning",
            "store",
            "include",
            "prompt_cache_key",
            "text"
        ]
    );
    assert_eq!(body["model"], "gpt-5.5");
    assert_eq!(body["stream"], true);
    assert_eq!(body["store"], false);
    assert_eq!(body["tool_choice"], "auto");
    assert_eq!(body["parallel_tool_calls"], true);
    assert_eq!(body["reasoning"], json!({"effort": "medium"}));
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["prompt_cache_key"], thread_id.as_str());
    assert_eq!(body["text"], json!({"verbosity": "low"}));
    let tool_names: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tool_names,
        vec![
            "exec_command",
            "write_stdin",
            "update_plan",
            "apply_patch",
            "view_image"
        ]
    );
    let apply_patch = &body["tools"][3];
    assert_eq!(apply_patch["type"], "custom");
    assert_eq!(apply_patch["format"]["type"], "grammar");
    assert_eq!(apply_patch["format"]["syntax"], "lark");
    // Context: base instructions and permissions as developer messages, then the environment
    // context and the prompt as user messages.
    let developer = message_texts(body, "developer");
    assert!(
        developer[0].starts_with("You are Codex"),
        "{}",
        developer[0]
    );
    assert!(developer[1].starts_with("<permissions instructions>"));
    assert!(developer[1].contains("`read-only`"));
    let user = message_texts(body, "user");
    assert_eq!(user.len(), 2);
    assert!(user[0].starts_with("<environment_context>"));
    assert!(user[0].contains(&format!("<cwd>{}</cwd>", home.workdir().display())));
    assert_eq!(user[1], "say hello");
}

#[test]
fn human_output_puts_final_message_alone_on_stdout() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("All done.")])]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "do it"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "All done.\n");
    for needle in [
        "workdir: ",
        "model: gpt-5.5",
        "provider: mock",
        "approval: never",
        "sandbox: read-only",
        "session id: ",
        "user\ndo it",
        "codex\nAll done.",
        "tokens used\n120",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in:\n{}",
            out.stderr
        );
    }
}

#[test]
fn prompt_from_stdin_and_stdin_block() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("one")]),
        turn("resp_2", vec![message("two")]),
    ]);
    let home = home_for(&server, "");
    let out = run_with_stdin(&home, &["exec", "--json"], Some("prompt from stdin\n"));
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("Reading prompt from stdin..."));
    let out = run_with_stdin(
        &home,
        &["exec", "--json", "summarize"],
        Some("file contents\n"),
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(
        out.stderr
            .contains("Reading additional input from stdin...")
    );
    let reqs = model_requests(&server);
    assert_eq!(
        message_texts(&reqs[0].body, "user").last().unwrap(),
        "prompt from stdin"
    );
    assert_eq!(
        message_texts(&reqs[1].body, "user").last().unwrap(),
        "summarize\n\n<stdin>\nfile contents\n</stdin>"
    );
}

#[test]
fn refuses_outside_git_repo_unless_skipped() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("ok")])]);
    let home = home_for(&server, "");
    let outside = home.root().join("plain");
    std::fs::create_dir_all(&outside).unwrap();
    let dir = outside.to_str().unwrap();
    let out = run(&home, &["exec", "-C", dir, "hi"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(
            "Not inside a trusted directory and --skip-git-repo-check was not specified."
        )
    );
    assert_eq!(model_requests(&server).len(), 0);
    let out = run(&home, &["exec", "-C", dir, "--skip-git-repo-check", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "ok\n");
}

#[test]
fn usage_error_exits_2() {
    let home = TestHome::new();
    let out = run(&home, &["exec", "--no-such-flag", "hi"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--no-such-flag"));
}

#[test]
fn output_last_message_and_output_schema() {
    let server = FakeServer::start_blocking(vec![turn(
        "resp_1",
        vec![message("first"), message("{\"answer\":42}")],
    )]);
    let home = home_for(&server, "");
    let schema = home.root().join("schema.json");
    let schema_json = json!({"type": "object", "properties": {"answer": {"type": "number"}}, "required": ["answer"], "additionalProperties": false});
    std::fs::write(&schema, schema_json.to_string()).unwrap();
    let last = home.root().join("last.txt");
    let out = run(
        &home,
        &[
            "exec",
            "--output-schema",
            schema.to_str().unwrap(),
            "-o",
            last.to_str().unwrap(),
            "answer",
        ],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(std::fs::read_to_string(&last).unwrap(), "{\"answer\":42}");
    let body = &model_requests(&server)[0].body;
    assert_eq!(
        body["text"],
        json!({"verbosity": "low", "format": {"type": "json_schema", "strict": true, "schema": schema_json, "name": "codex_output_schema"}})
    );
}

#[test]
fn agents_md_is_sent_as_instructions() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("ok")])]);
    let home = home_for(&server, "");
    std::fs::write(home.workdir().join("AGENTS.md"), "Always run the tests.\n").unwrap();
    std::fs::write(home.codex_home().join("AGENTS.md"), "Be terse.\n").unwrap();
    let out = run(&home, &["exec", "--json", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let user = message_texts(&model_requests(&server)[0].body, "user");
    assert_eq!(
        user[0],
        format!(
            "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\nBe terse.\n\nAlways run the tests.\n</INSTRUCTIONS>",
            home.workdir().display()
        )
    );
}

#[test]
fn dash_prompt_alias_full_auto_and_profile_file() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("one")]),
        turn("resp_2", vec![message("two")]),
    ]);
    let home = home_for(&server, "");
    std::fs::write(
        home.codex_home().join("fast.config.toml"),
        "model_reasoning_effort = \"low\"\n",
    )
    .unwrap();
    let out = run_with_stdin(
        &home,
        &["e", "--json", "-p", "fast", "-"],
        Some("from dash\n"),
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let out = run(&home, &["exec", "--full-auto", "x"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("--full-auto is deprecated"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("sandbox: workspace-write ["),
        "{}",
        out.stderr
    );
    let reqs = model_requests(&server);
    assert_eq!(
        message_texts(&reqs[0].body, "user").last().unwrap(),
        "from dash"
    );
    assert_eq!(reqs[0].body["reasoning"]["effort"], "low");
    assert!(message_texts(&reqs[1].body, "developer")[1].contains("`workspace-write`"));
}

#[test]
fn color_always_paints_and_never_does_not() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("one")]),
        turn("resp_2", vec![message("two")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--color", "always", "x"]);
    assert!(out.stderr.contains("\u{1b}["), "{:?}", out.stderr);
    assert_eq!(out.stdout, "one\n", "the answer on stdout stays plain");
    let out = run(&home, &["exec", "--color", "never", "x"]);
    assert!(!out.stderr.contains("\u{1b}["), "{:?}", out.stderr);
}

#[test]
fn web_search_call_becomes_web_search_item() {
    let server = FakeServer::start_blocking(vec![turn(
        "resp_1",
        vec![
            codex_test_support::responses::web_search_call("rust sse parser"),
            message("found it"),
        ],
    )]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "search"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        out.events()[2],
        json!({"type": "item.completed", "item": {"id": "item_0", "type": "web_search", "query": "rust sse parser", "action": {"type": "search", "query": "rust sse parser"}}})
    );
}

#[test]
fn tool_output_is_truncated_to_the_configured_limit() {
    let cmd = json!({"cmd": "seq 1 5000", "login": false}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![codex_test_support::responses::function_call(
                "c1",
                "exec_command",
                cmd,
            )],
        ),
        turn("resp_2", vec![message("ok")]),
    ]);
    let home = TestHome::new();
    home.write_config(&format!(
        "tool_output_token_limit = 200\n{}",
        home.config_for(&server)
    ));
    let out = run(&home, &["exec", "--json", "--yolo", "count"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let body = &model_requests(&server)[1].body;
    let output = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["call_id"] == "c1" && i["type"] == "function_call_output")
        .unwrap()["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(output.len() < 1200, "{} bytes", output.len());
    assert!(output.contains("tokens truncated"), "{output}");
    assert!(output.contains("Output:\n1\n2\n"), "head kept: {output}");
    assert!(output.trim_end().ends_with("5000"), "tail kept: {output}");
}

#[test]
fn human_output_shows_commands_and_patches_as_diffs() {
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** Update File: README.md\n@@\n-# test repo\n+# patched repo\n*** End Patch";
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![codex_test_support::responses::custom_tool_call(
                "p1",
                "apply_patch",
                patch,
            )],
        ),
        turn(
            "resp_2",
            vec![codex_test_support::responses::function_call(
                "c1",
                "exec_command",
                json!({"cmd": "exit 3", "login": false}).to_string(),
            )],
        ),
        turn("resp_3", vec![message("done")]),
    ]);
    let home = home_for(&server, "");
    std::fs::write(home.workdir().join("README.md"), "# test repo\n").unwrap();
    let out = run(&home, &["exec", "-s", "workspace-write", "x"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let wd = home.workdir().display().to_string();
    for needle in [
        "reasoning effort: none".to_string(),
        format!(
            "apply patch\npatch: completed\n{wd}/hello.txt\n--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1,1 @@\n+hello\n{wd}/README.md\n--- a/README.md\n+++ b/README.md\n"
        ),
        "-# test repo\n+# patched repo\n".to_string(),
        format!("exec\n/bin/bash -c 'exit 3' in {wd}\n exited 3 in "),
        "codex\ndone\ntokens used\n".to_string(),
    ] {
        assert!(
            out.stderr.contains(&needle),
            "missing {needle:?} in:\n{}",
            out.stderr
        );
    }
}

#[test]
fn options_before_exec_apply_to_it_and_later_ones_win() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("one")]),
        turn("resp_2", vec![message("two")]),
    ]);
    let home = home_for(&server, "");
    // As upstream accepts them: the interactive session's flags before the subcommand.
    let out = run(
        &home,
        &[
            "-m",
            "gpt-5.4",
            "-s",
            "workspace-write",
            "-c",
            "model_reasoning_effort=\"low\"",
            "-a",
            "never",
            "exec",
            "x",
        ],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("model: gpt-5.4"), "{}", out.stderr);
    assert!(
        out.stderr.contains("sandbox: workspace-write ["),
        "{}",
        out.stderr
    );
    // After `exec`: those win over the root ones (flags and `-c` alike).
    let out = run(
        &home,
        &[
            "-m",
            "gpt-5.4",
            "-c",
            "model_reasoning_effort=\"low\"",
            "exec",
            "-m",
            "gpt-5.5",
            "-c",
            "model_reasoning_effort=\"high\"",
            "y",
        ],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let reqs = model_requests(&server);
    assert_eq!(reqs[0].body["model"], "gpt-5.4");
    assert_eq!(reqs[0].body["reasoning"]["effort"], "low");
    assert_eq!(reqs[1].body["model"], "gpt-5.5");
    assert_eq!(reqs[1].body["reasoning"]["effort"], "high");
    // The root -a takes only what upstream's does.
    let out = run(&home, &["-a", "untrusted", "exec", "z"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
}
