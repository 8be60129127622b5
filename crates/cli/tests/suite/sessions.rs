//! Rollout files, resume, ephemeral runs and the replay provider.

use std::io::BufRead;

use codex_test_support::FakeServer;
use codex_test_support::responses::{function_call, message, slow, turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::*;

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn rollout_is_written_and_resume_sends_full_history() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("first answer")]),
        turn("resp_2", vec![message("second answer")]),
        turn("resp_3", vec![message("third answer")]),
    ]);
    let home = home_for(&server, "");
    let first = run(&home, &["exec", "--json", "first question"]);
    assert_eq!(first.code, 0, "stderr: {}", first.stderr);
    let thread = first.thread_id();
    let files = rollout_files(&home);
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("rollout-") && name.ends_with(&format!("-{thread}.jsonl")),
        "{name}"
    );
    let rel = files[0]
        .strip_prefix(home.codex_home())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let today = jiff::Timestamp::now()
        .strftime("sessions/%Y/%m/%d/")
        .to_string();
    assert!(rel.starts_with(&today), "{rel}");
    let recorded = lines(&files[0]);
    assert_eq!(recorded[0]["type"], "session_meta");
    assert_eq!(recorded[0]["payload"]["id"], thread.as_str());
    assert_eq!(recorded[0]["payload"]["originator"], "codex_exec");
    assert_eq!(recorded[0]["payload"]["source"], "exec");
    for (i, l) in recorded.iter().enumerate() {
        assert_eq!(l["ordinal"], i as u64);
        assert!(l["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let types: Vec<&str> = recorded
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"turn_context")
            && types.contains(&"event_msg")
            && types.contains(&"response_item")
    );

    // Resume by id, with the prompt on stdin the way the TypeScript SDK does it.
    let second = run_with_stdin(
        &home,
        &["exec", "--json", "resume", &thread],
        Some("second question"),
    );
    assert_eq!(second.code, 0, "stderr: {}", second.stderr);
    assert_eq!(second.thread_id(), thread);
    let last = second.events().last().unwrap().clone();
    assert_eq!(
        last["usage"]["input_tokens"], 200,
        "usage is the thread's running total"
    );
    // And --last.
    let third = run(
        &home,
        &["exec", "--json", "resume", "--last", "third question"],
    );
    assert_eq!(third.code, 0, "stderr: {}", third.stderr);
    assert_eq!(
        rollout_files(&home).len(),
        1,
        "resume appends to the same file"
    );

    let reqs = model_requests(&server);
    let users = message_texts(&reqs[2].body, "user");
    assert_eq!(
        &users[users.len() - 3..],
        &["first question", "second question", "third question"]
    );
    assert_eq!(
        message_texts(&reqs[2].body, "assistant"),
        vec!["first answer".to_string(), "second answer".to_string()]
    );
    assert_eq!(reqs[2].body["prompt_cache_key"], thread.as_str());
    // The base instructions are sent once, first.
    let dev = message_texts(&reqs[2].body, "developer");
    assert_eq!(
        dev.iter()
            .filter(|d| d.starts_with("You are Codex"))
            .count(),
        1
    );
}

#[test]
fn ephemeral_writes_nothing() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("ok")])]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--ephemeral", "--json", "hi"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(rollout_files(&home).is_empty());
}

#[test]
fn replay_provider_reproduces_a_recorded_session_offline() {
    let cmd = json!({"cmd": "echo replayed > out.txt"}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![function_call("call_1", "exec_command", cmd)]),
        turn("resp_2", vec![message("wrote out.txt")]),
    ]);
    let home = home_for(&server, "");
    let recorded = run(&home, &["exec", "--json", "--yolo", "write the file"]);
    assert_eq!(recorded.code, 0, "stderr: {}", recorded.stderr);
    let rollout = rollout_files(&home).remove(0);
    std::fs::remove_file(home.workdir().join("out.txt")).unwrap();
    drop(server);

    let replay_cfg = format!(
        "-c model_provider=replay -c replay_file={}",
        rollout.display()
    );
    let args: Vec<&str> = replay_cfg.split(' ').collect();
    let mut argv = vec!["exec", "--json", "--yolo", "--ephemeral"];
    argv.extend(args.iter());
    argv.push("write the file");
    let replayed = run(&home, &argv);
    assert_eq!(replayed.code, 0, "stderr: {}", replayed.stderr);
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("out.txt")).unwrap(),
        "replayed\n"
    );
    let strip = |events: Vec<Value>| -> Vec<Value> {
        events
            .into_iter()
            .filter(|e| e["type"] != "turn.completed")
            .collect()
    };
    assert_eq!(
        strip(replayed.normalized_events()),
        strip(recorded.normalized_events())
    );

    // A different prompt diverges from the recording at the first request.
    let last = argv.len() - 1;
    argv[last] = "something else";
    let diverged = run(&home, &argv);
    assert_eq!(diverged.code, 1);
    let msg = diverged.events().last().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.starts_with("replay diverged: request 1 of "), "{msg}");
    assert!(
        msg.contains("\"write the file\"") && msg.contains("\"something else\""),
        "{msg}"
    );
}

#[test]
fn killed_mid_turn_keeps_rollout_and_resumes() {
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![message("before the crash")]),
        slow(vec![message("never seen")], 60_000),
        turn("resp_3", vec![message("after resume")]),
    ]);
    let home = home_for(&server, "");
    let first = run(&home, &["exec", "--json", "one"]);
    assert_eq!(first.code, 0, "stderr: {}", first.stderr);
    let thread = first.thread_id();
    // The second turn hangs on the slow stream; kill -9 once it has started.
    let mut child = codex_command(&home)
        .args(["exec", "--json", "resume", "--last", "two"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        if line.contains("turn.started") {
            break;
        }
        line.clear();
    }
    // Wait until the request reached the server, then kill.
    for _ in 0..1500 {
        if model_requests(&server).len() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        model_requests(&server).len(),
        2,
        "the resumed turn reached the server"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let file = rollout_files(&home).remove(0);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.ends_with('\n'), "every line is complete");
    assert!(
        text.contains("\"two\""),
        "the user message was recorded before the request"
    );
    let resumed = run(&home, &["exec", "--json", "resume", &thread, "three"]);
    assert_eq!(resumed.code, 0, "stderr: {}", resumed.stderr);
    let users = message_texts(&model_requests(&server)[2].body, "user");
    assert_eq!(&users[users.len() - 3..], &["one", "two", "three"]);
}

/// The README's offline quick start: the shipped example repository and its recorded session,
/// replayed with real tools.
#[test]
fn shipped_example_replays_offline() {
    let home = codex_test_support::TestHome::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for f in ["greet.sh", "test.sh"] {
        std::fs::copy(example.join("hello-repo").join(f), home.workdir().join(f)).unwrap();
    }
    let rollout = example.join("hello-repo.rollout.jsonl");
    let replay_file = format!("replay_file={}", rollout.display());
    let out = run(
        &home,
        &[
            "exec",
            "--yolo",
            "--ephemeral",
            "-c",
            "model_provider=replay",
            "-c",
            &replay_file,
            "Make the failing test in test.sh pass",
        ],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        out.stdout,
        "Fixed: `greet.sh` now ends the greeting with `!`, and `sh test.sh` prints PASS.\n"
    );
    let test = std::process::Command::new("sh")
        .arg("test.sh")
        .current_dir(home.workdir())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&test.stdout), "PASS\n");
}

/// A rollout in upstream 0.169's line shapes (peer-wire.md §6: extra keys, `world_state`,
/// `token_usage_record`, `token_count` with `info`) resumes with its history and usage.
#[test]
fn resumes_an_upstream_shaped_rollout() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("continued")])]);
    let home = home_for(&server, "");
    let id = "01a200d3-c48f-72b2-8a1c-13486e776ced";
    let dir = home.codex_home().join("sessions/2026/11/21");
    std::fs::create_dir_all(&dir).unwrap();
    let cwd = home.workdir().display().to_string();
    let meta = |ord: u64, kind: &str, payload: Value| json!({"timestamp": "2026-11-21T10:00:00.000Z", "ordinal": ord, "type": kind, "payload": payload});
    let lines = [
        meta(
            0,
            "session_meta",
            json!({"account_scoped": false, "session_id": id, "id": id, "timestamp": "2026-11-21T10:00:00.000Z", "cwd": cwd, "runtime_workspace_roots": [cwd], "originator": "codex_exec", "cli_version": "0.169.0", "source": "exec", "thread_source": "user", "model_provider": "mock", "base_instructions": {"text": "Recorded base instructions.", "provenance": {"type": "model", "model": "gpt-5.5"}}, "history_mode": "paginated", "context_window": {"window_id": "w"}, "git": {"commit_hash": "abc", "branch": "main"}}),
        ),
        meta(
            1,
            "event_msg",
            json!({"type": "task_started", "turn_id": "t1", "root_turn_id": "t1", "started_at": 1, "model_context_window": 258400, "collaboration_mode_kind": "default", "turn_attribution": null}),
        ),
        meta(
            2,
            "response_item",
            json!({"type": "message", "id": "msg_1", "role": "user", "content": [{"type": "input_text", "text": "earlier question"}], "internal_chat_message_metadata_passthrough": {"turn_id": "t1"}}),
        ),
        meta(3, "world_state", json!({"full": true, "state": {}})),
        meta(
            4,
            "turn_context",
            json!({"turn_id": "t1", "cwd": cwd, "approval_policy": "never", "sandbox_policy": {"type": "workspace-write", "writable_roots": [], "network_access": false, "exclude_tmpdir_env_var": false, "exclude_slash_tmp": false}, "permission_profile": {}, "model": "gpt-5.5", "collaboration_mode": {}, "summary": "auto"}),
        ),
        meta(
            5,
            "response_item",
            json!({"type": "message", "id": "msg_2", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": "earlier answer", "annotations": [], "logprobs": []}], "internal_chat_message_metadata_passthrough": {"turn_id": "t1"}}),
        ),
        meta(
            6,
            "token_usage_record",
            json!({"response_id": "r", "usage": {}}),
        ),
        meta(
            7,
            "event_msg",
            json!({"type": "token_count", "info": {"total_token_usage": {"input_tokens": 500, "cached_input_tokens": 0, "cache_write_input_tokens": 0, "output_tokens": 50, "reasoning_output_tokens": 0, "total_tokens": 550}, "last_token_usage": {"input_tokens": 500, "cached_input_tokens": 0, "cache_write_input_tokens": 0, "output_tokens": 50, "reasoning_output_tokens": 0, "total_tokens": 550}, "model_context_window": 258400}, "rate_limits": {"limit_id": "codex"}}),
        ),
        meta(
            8,
            "event_msg",
            json!({"type": "task_complete", "turn_id": "t1", "last_agent_message": "earlier answer", "started_at": 1, "completed_at": 2, "duration_ms": 5, "time_to_first_token_ms": 1}),
        ),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(
        dir.join(format!("rollout-2026-11-21T10-00-00-{id}.jsonl")),
        text,
    )
    .unwrap();
    let out = run(&home, &["exec", "--json", "resume", id, "new question"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.thread_id(), id);
    assert_eq!(out.events().last().unwrap()["usage"]["input_tokens"], 600);
    let body = &model_requests(&server)[0].body;
    assert_eq!(
        message_texts(body, "developer")[0],
        "Recorded base instructions."
    );
    assert_eq!(
        message_texts(body, "user"),
        vec!["earlier question", "new question"]
    );
    assert_eq!(message_texts(body, "assistant"), vec!["earlier answer"]);
}
