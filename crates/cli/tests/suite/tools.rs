//! Tool calls end to end: commands (and their refusal without a sandbox), patches, plans.

use codex_test_support::FakeServer;
use codex_test_support::responses::{custom_tool_call, function_call, message, turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::*;

fn output_for<'a>(body: &'a Value, call_id: &str) -> &'a Value {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            (i["type"] == "function_call_output" || i["type"] == "custom_tool_call_output")
                && i["call_id"] == call_id
        })
        .unwrap_or_else(|| panic!("no output for {call_id} in {body:#}"))
}

#[test]
fn exec_command_runs_with_bypass_and_reports_output() {
    let args = json!({"cmd": "echo hi > made.txt; cat made.txt; exit 3"}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![function_call("call_1", "exec_command", args)],
        ),
        turn("resp_2", vec![message("done")]),
    ]);
    let home = home_for(&server, "");
    let out = run(
        &home,
        &[
            "exec",
            "--json",
            "--dangerously-bypass-approvals-and-sandbox",
            "run it",
        ],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let events = out.normalized_events();
    let cmd = "/bin/bash -lc 'echo hi > made.txt; cat made.txt; exit 3'";
    assert_eq!(
        events[2],
        json!({"type": "item.started", "item": {"id": "item_0", "type": "command_execution", "command": cmd, "aggregated_output": "", "exit_code": null, "status": "in_progress"}})
    );
    assert_eq!(
        events[3],
        json!({"type": "item.completed", "item": {"id": "item_0", "type": "command_execution", "command": cmd, "aggregated_output": "hi\n", "exit_code": 3, "status": "failed"}})
    );
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("made.txt")).unwrap(),
        "hi\n"
    );
    let reqs = model_requests(&server);
    assert_eq!(reqs.len(), 2);
    let text = output_for(&reqs[1].body, "call_1")["output"]
        .as_str()
        .unwrap()
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Chunk ID: "), "{text}");
    assert!(
        lines[1].starts_with("Wall time: ") && lines[1].ends_with(" seconds"),
        "{text}"
    );
    assert_eq!(
        &lines[2..],
        &[
            "Process exited with code 3",
            "Original token count: 1",
            "Output:",
            "hi"
        ]
    );
    // The call is echoed back before its output.
    let input = reqs[1].body["input"].as_array().unwrap();
    let call_pos = input
        .iter()
        .position(|i| i["type"] == "function_call")
        .unwrap();
    let out_pos = input
        .iter()
        .position(|i| i["type"] == "function_call_output")
        .unwrap();
    assert!(call_pos < out_pos);
    assert_eq!(input[call_pos]["call_id"], "call_1");
}

/// Whether this machine runs commands under the Landlock fallback (`codex doctor`).
fn landlock_fallback(home: &codex_test_support::TestHome) -> bool {
    let out = codex_command(home).arg("doctor").output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains("Landlock")
}

#[test]
fn read_only_sandbox_blocks_writes_with_a_failed_item() {
    let args = json!({"cmd": "touch should_not_exist", "login": false}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![function_call("call_1", "exec_command", args)],
        ),
        turn("resp_2", vec![message("understood")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "touch a file"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(!home.workdir().join("should_not_exist").exists());
    let events = out.events();
    let completed = events
        .iter()
        .find(|e| e["type"] == "item.completed" && e["item"]["type"] == "command_execution")
        .expect("command item");
    assert_eq!(completed["item"]["status"], "failed");
    assert_eq!(completed["item"]["exit_code"], 1);
    let shown = completed["item"]["aggregated_output"].as_str().unwrap();
    // bubblewrap: a read-only bind mount; the Landlock fallback: EACCES.
    assert!(
        shown.contains("Read-only file system") || shown.contains("Permission denied"),
        "{shown}"
    );
    let output = output_for(&model_requests(&server)[1].body, "call_1")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(output.contains(shown.trim()), "{output}");
    assert!(
        output.contains("[sandbox] "),
        "the model is told the sandbox blocked it: {output}"
    );
}

#[test]
fn workspace_write_confines_writes_network_and_git_hooks() {
    let calls = [
        ("w_in", "echo inside > inside.txt"),
        ("w_out", "echo outside > \"$HOME/outside.txt\""),
        ("w_git", "echo hook > .git/hooks/pre-commit"),
        (
            "w_net",
            "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 9))'",
        ),
    ];
    let mut script = Vec::new();
    for (i, (id, cmd)) in calls.iter().enumerate() {
        let args = json!({"cmd": cmd, "login": false}).to_string();
        script.push(turn(
            &format!("resp_{i}"),
            vec![function_call(*id, "exec_command", args)],
        ));
    }
    script.push(turn("resp_end", vec![message("done")]));
    let server = FakeServer::start_blocking(script);
    let home = home_for(&server, "");
    // The test home lives under /tmp, a default writable root: leave /tmp out.
    let out = run(
        &home,
        &[
            "exec",
            "--json",
            "-s",
            "workspace-write",
            "-c",
            "sandbox_workspace_write.exclude_slash_tmp=true",
            "try things",
        ],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("inside.txt")).unwrap(),
        "inside\n"
    );
    assert!(!home.home().join("outside.txt").exists());
    let fallback = landlock_fallback(&home);
    if fallback {
        // Landlock cannot carve `.git` out of a writable root: the user is warned instead.
        assert!(out.stderr.contains(".git/.codex/.agents"), "{}", out.stderr);
    } else {
        assert!(!home.workdir().join(".git/hooks/pre-commit").exists());
    }
    let statuses: Vec<(String, String)> = out
        .events()
        .iter()
        .filter(|e| e["type"] == "item.completed" && e["item"]["type"] == "command_execution")
        .map(|e| {
            (
                e["item"]["status"].as_str().unwrap().to_string(),
                e["item"]["aggregated_output"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(statuses.len(), 4);
    assert_eq!(statuses[0].0, "completed");
    for (i, (status, output)) in statuses.iter().enumerate().skip(1) {
        if !(fallback && i == 2) {
            assert_eq!(status, "failed", "command {i}: {output}");
        }
    }
    let last = &model_requests(&server)[4].body;
    let out_text = |id: &str| output_for(last, id)["output"].as_str().unwrap().to_string();
    let denied = |t: &str| t.contains("Read-only file system") || t.contains("Permission denied");
    assert!(denied(&out_text("w_out")), "{}", out_text("w_out"));
    if !fallback {
        assert!(denied(&out_text("w_git")), "{}", out_text("w_git"));
    }
    let net = out_text("w_net");
    assert!(
        net.contains("Operation not permitted") || net.contains("Permission denied"),
        "{net}"
    );
    assert!(
        net.contains("[sandbox] ") && net.contains("network"),
        "{net}"
    );
}

#[test]
fn commands_see_sandbox_environment_markers() {
    let args = json!({"cmd": "echo sandbox=$CODEX_SANDBOX net=$CODEX_SANDBOX_NETWORK_DISABLED", "login": false}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![function_call("c1", "exec_command", args)]),
        turn("resp_2", vec![message("ok")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "env"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let text = output_for(&model_requests(&server)[1].body, "c1")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("net=1"), "{text}");
    assert!(
        !text.contains("sandbox= "),
        "CODEX_SANDBOX names the sandbox: {text}"
    );
}

const PATCH: &str = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** Update File: README.md\n@@\n-# test repo\n+# patched repo\n*** End Patch";

#[test]
fn apply_patch_freeform_edits_workspace() {
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![custom_tool_call("call_p", "apply_patch", PATCH)],
        ),
        turn("resp_2", vec![message("patched")]),
    ]);
    let home = home_for(&server, "");
    std::fs::write(home.workdir().join("README.md"), "# test repo\n").unwrap();
    let out = run(&home, &["exec", "--json", "-s", "workspace-write", "patch"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("hello.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("README.md")).unwrap(),
        "# patched repo\n"
    );
    let wd = home.workdir().display().to_string();
    let changes = json!([{"path": format!("{wd}/hello.txt"), "kind": "add"}, {"path": format!("{wd}/README.md"), "kind": "update"}]);
    let events = out.normalized_events();
    assert_eq!(
        events[2],
        json!({"type": "item.started", "item": {"id": "item_0", "type": "file_change", "changes": changes, "status": "in_progress"}})
    );
    assert_eq!(
        events[3],
        json!({"type": "item.completed", "item": {"id": "item_0", "type": "file_change", "changes": changes, "status": "completed"}})
    );
    let output = output_for(&model_requests(&server)[1].body, "call_p")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(output.starts_with("Exit code: 0\nWall time: "), "{output}");
    assert!(
        output.ends_with(
            "Output:\nSuccess. Updated the following files:\nA hello.txt\nM README.md\n"
        ),
        "{output}"
    );
}

#[test]
fn failing_patch_leaves_files_untouched_and_reports_failed_item() {
    let bad = "*** Begin Patch\n*** Add File: new.txt\n+new\n*** Update File: README.md\n@@\n-this line is not there\n+x\n*** End Patch";
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![custom_tool_call("call_p", "apply_patch", bad)],
        ),
        turn("resp_2", vec![message("oops")]),
    ]);
    let home = home_for(&server, "");
    std::fs::write(home.workdir().join("README.md"), "# test repo\n").unwrap();
    let out = run(&home, &["exec", "--json", "-s", "workspace-write", "patch"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(!home.workdir().join("new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("README.md")).unwrap(),
        "# test repo\n"
    );
    let events = out.events();
    let done = events
        .iter()
        .find(|e| e["type"] == "item.completed" && e["item"]["type"] == "file_change")
        .unwrap();
    assert_eq!(done["item"]["status"], "failed");
    let output = output_for(&model_requests(&server)[1].body, "call_p")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        output.starts_with("apply_patch verification failed: "),
        "{output}"
    );
    assert!(output.contains("README.md"), "{output}");
}

#[test]
fn read_only_rejects_patches_and_workspace_write_protects_git() {
    let outside = "*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+#!/bin/sh\n*** End Patch";
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![custom_tool_call("c1", "apply_patch", PATCH)]),
        turn("resp_2", vec![message("no")]),
        turn(
            "resp_3",
            vec![custom_tool_call("c2", "apply_patch", outside)],
        ),
        turn("resp_4", vec![message("no")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "patch"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(!home.workdir().join("hello.txt").exists());
    let out = run(&home, &["exec", "--json", "-s", "workspace-write", "hook"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(!home.workdir().join(".git/hooks/pre-commit").exists());
    let reqs = model_requests(&server);
    let o1 = output_for(&reqs[1].body, "c1")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(o1.contains("read-only"), "{o1}");
    let o2 = output_for(&reqs[3].body, "c2")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(o2.contains("protected directory (.git)"), "{o2}");
}

#[test]
fn apply_patch_through_exec_command_heredoc() {
    let cmd = format!("apply_patch <<'EOF'\n{PATCH}\nEOF\n");
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![function_call(
                "call_1",
                "exec_command",
                json!({"cmd": cmd}).to_string(),
            )],
        ),
        turn("resp_2", vec![message("ok")]),
    ]);
    let home = home_for(&server, "");
    std::fs::write(home.workdir().join("README.md"), "# test repo\n").unwrap();
    let out = run(&home, &["exec", "--json", "-s", "workspace-write", "patch"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("hello.txt")).unwrap(),
        "hello\n"
    );
    assert!(out.events().iter().any(|e| e["type"] == "item.completed"
        && e["item"]["type"] == "file_change"
        && e["item"]["status"] == "completed"));
}

#[test]
fn update_plan_becomes_todo_list() {
    let plan1 = json!({"plan": [{"step": "Inspect", "status": "in_progress"}, {"step": "Report", "status": "pending"}]}).to_string();
    let plan2 = json!({"plan": [{"step": "Inspect", "status": "completed"}, {"step": "Report", "status": "completed"}]}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![function_call("p1", "update_plan", plan1)]),
        turn("resp_2", vec![function_call("p2", "update_plan", plan2)]),
        turn("resp_3", vec![message("finished")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "plan"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let events = out.normalized_events();
    let todo = |done: bool| json!([{"text": "Inspect", "completed": done}, {"text": "Report", "completed": done}]);
    assert_eq!(
        events[2],
        json!({"type": "item.started", "item": {"id": "item_0", "type": "todo_list", "items": todo(false)}})
    );
    assert_eq!(
        events[3],
        json!({"type": "item.updated", "item": {"id": "item_0", "type": "todo_list", "items": todo(true)}})
    );
    assert_eq!(events[4]["item"]["type"], "agent_message");
    assert_eq!(
        events[5],
        json!({"type": "item.completed", "item": {"id": "item_0", "type": "todo_list", "items": todo(true)}})
    );
    assert_eq!(events[6]["type"], "turn.completed");
    assert_eq!(
        output_for(&model_requests(&server)[1].body, "p1")["output"],
        "Plan updated"
    );
}

#[test]
fn bad_tool_arguments_go_back_to_the_model() {
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![function_call("c1", "exec_command", "{not json")],
        ),
        turn("resp_2", vec![message("sorry")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "--yolo", "x"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let o = output_for(&model_requests(&server)[1].body, "c1")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        o.starts_with("failed to parse exec_command arguments"),
        "{o}"
    );
}

#[test]
fn long_running_command_is_polled_with_write_stdin() {
    let start = json!({"cmd": "read line; echo got:$line", "yield_time_ms": 300}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![function_call("c1", "exec_command", start)]),
        // The session id is the first one the manager hands out.
        turn(
            "resp_2",
            vec![function_call(
                "c2",
                "write_stdin",
                json!({"session_id": 1000, "chars": "abc\n", "yield_time_ms": 2000}).to_string(),
            )],
        ),
        turn("resp_3", vec![message("ok")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "--yolo", "interactive"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let reqs = model_requests(&server);
    let first = output_for(&reqs[1].body, "c1")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        first.contains("Process running with session ID 1000"),
        "{first}"
    );
    let second = output_for(&reqs[2].body, "c2")["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(second.contains("got:abc"), "{second}");
    assert!(second.contains("Process exited with code 0"), "{second}");
}
