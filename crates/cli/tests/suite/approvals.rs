//! Through the core API (a `Codex` session, not the exec front end): the approval round trip
//! through the queue protocol: `ExecApprovalRequest` / `ApplyPatchApprovalRequest` out,
//! `Op::ExecApproval` / `Op::PatchApproval` in, for each policy that asks.

use std::path::Path;

use codex_client::ClientIdentity;
use codex_config::{ConfigOverrides, Env, load_config};
use codex_core::{Codex, ReviewDecision, SessionParams};
use codex_protocol::{AskForApproval, EventMsg, Op, SandboxMode, UserInput};
use codex_test_support::responses::{custom_tool_call, function_call, message, turn};
use codex_test_support::{FakeServer, TestHome};
use serde_json::json;

fn env_for(home: &TestHome) -> Env {
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", home.home().display().to_string()),
        ("OPENAI_API_KEY", "sk-test".to_string()),
    ]
    .into_iter()
    .collect()
}

async fn session(home: &TestHome, policy: AskForApproval, sandbox: SandboxMode) -> Codex {
    let env = env_for(home);
    let config = load_config(
        home.codex_home(),
        &[],
        ConfigOverrides {
            approval_policy: Some(policy),
            sandbox_mode: Some(sandbox),
            cwd: Some(home.workdir().to_path_buf()),
            ..Default::default()
        },
        &env,
    )
    .unwrap();
    let (codex, _info) = Codex::spawn(SessionParams {
        config,
        env,
        ephemeral: true,
        output_schema: None,
        resume: None,
        identity: ClientIdentity {
            originator: "codex_core_test".into(),
            user_agent: "codex_core_test".into(),
        },
        source: "test".into(),
        cli_version: "0".into(),
        codex_exe: Path::new(env!("CARGO_BIN_EXE_codex")).to_path_buf(),
    })
    .await
    .unwrap();
    codex
}

/// Runs one turn answering every approval request with `answer`; returns the events.
async fn run_turn(codex: &mut Codex, answer: Option<ReviewDecision>) -> Vec<EventMsg> {
    codex
        .submit(Op::UserTurn {
            items: vec![UserInput::Text { text: "go".into() }],
        })
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(ev) = codex.next_event().await {
        let end = matches!(
            ev.msg,
            EventMsg::TaskComplete { .. } | EventMsg::TurnAborted { .. } | EventMsg::Error { .. }
        );
        match &ev.msg {
            EventMsg::ExecApprovalRequest { call_id, .. } => {
                let decision = answer.clone().expect("no approval was expected");
                let id = call_id.clone();
                codex
                    .submit(Op::ExecApproval { id, decision })
                    .await
                    .unwrap();
            }
            EventMsg::ApplyPatchApprovalRequest { call_id, .. } => {
                let decision = answer.clone().expect("no approval was expected");
                let id = call_id.clone();
                codex
                    .submit(Op::PatchApproval { id, decision })
                    .await
                    .unwrap();
            }
            _ => {}
        }
        seen.push(ev.msg);
        if end {
            break;
        }
    }
    seen
}

fn script(cmd: &str) -> Vec<codex_test_support::Scripted> {
    vec![
        turn(
            "resp_1",
            vec![function_call(
                "c1",
                "exec_command",
                json!({"cmd": cmd, "login": false}).to_string(),
            )],
        ),
        turn("resp_2", vec![message("done")]),
    ]
}

/// A fake server scripted to run `cmd` once, a test home, and a session on it.
async fn setup(
    cmd: &str,
    policy: AskForApproval,
    sandbox: SandboxMode,
) -> (FakeServer, TestHome, Codex) {
    let server = FakeServer::start(script(cmd)).await;
    let home = TestHome::new();
    home.write_config(&home.config_for(&server));
    let codex = session(&home, policy, sandbox).await;
    (server, home, codex)
}

fn approval_requests(events: &[EventMsg]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, EventMsg::ExecApprovalRequest { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_asks_for_unsafe_commands_and_runs_them_when_approved() {
    let (_server, home, mut codex) = setup(
        "touch approved.txt",
        AskForApproval::UnlessTrusted,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, Some(ReviewDecision::Approved)).await;
    assert_eq!(approval_requests(&events), 1, "{events:#?}");
    assert!(home.workdir().join("approved.txt").exists());
    assert!(matches!(events.last(), Some(EventMsg::TaskComplete { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_runs_known_safe_commands_without_asking() {
    let (_server, _home, mut codex) = setup(
        "ls -la",
        AskForApproval::UnlessTrusted,
        SandboxMode::ReadOnly,
    )
    .await;
    let events = run_turn(&mut codex, None).await;
    assert_eq!(approval_requests(&events), 0, "{events:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_command_does_not_run_and_the_model_is_told() {
    let (server, home, mut codex) = setup(
        "touch denied.txt",
        AskForApproval::UnlessTrusted,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, Some(ReviewDecision::Denied)).await;
    assert_eq!(approval_requests(&events), 1);
    assert!(!home.workdir().join("denied.txt").exists());
    let output = tool_output(&server, 1, "function_call_output");
    assert!(output.contains("declined"), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_ends_the_turn() {
    let (_server, home, mut codex) = setup(
        "touch aborted.txt",
        AskForApproval::UnlessTrusted,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, Some(ReviewDecision::Abort)).await;
    assert!(
        matches!(events.last(), Some(EventMsg::TurnAborted { .. })),
        "{events:#?}"
    );
    assert!(!home.workdir().join("aborted.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn on_failure_asks_to_rerun_outside_the_sandbox() {
    let outside = tempfile::tempdir_in("/var/tmp").unwrap();
    let target = outside.path().join("escaped.txt");
    let (_server, _home, mut codex) = setup(
        &format!("touch {}", target.display()),
        AskForApproval::OnFailure,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, Some(ReviewDecision::Approved)).await;
    assert_eq!(approval_requests(&events), 1, "{events:#?}");
    assert!(
        target.exists(),
        "the approved re-run happened outside the sandbox"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn never_policy_never_asks() {
    let (_server, home, mut codex) = setup(
        "touch never.txt",
        AskForApproval::Never,
        SandboxMode::ReadOnly,
    )
    .await;
    let events = run_turn(&mut codex, None).await;
    assert_eq!(approval_requests(&events), 0);
    assert!(!home.workdir().join("never.txt").exists());
}

/// A patch adding `path` (absolute, or relative to the workspace) with one line.
fn add_file_patch(path: &str) -> String {
    format!("*** Begin Patch\n*** Add File: {path}\n+written by the model\n*** End Patch\n")
}

/// A fake server scripted to apply `patches` (one per turn, then a final message each), a
/// test home, and a session on it.
async fn patch_setup(
    patches: &[String],
    policy: AskForApproval,
    sandbox: SandboxMode,
) -> (FakeServer, TestHome, Codex) {
    let mut scripted = Vec::new();
    for (i, patch) in patches.iter().enumerate() {
        scripted.push(turn(
            &format!("resp_p{i}"),
            vec![custom_tool_call(format!("p{i}"), "apply_patch", patch)],
        ));
        scripted.push(turn(&format!("resp_m{i}"), vec![message("done")]));
    }
    let server = FakeServer::start(scripted).await;
    let home = TestHome::new();
    home.write_config(&home.config_for(&server));
    let codex = session(&home, policy, sandbox).await;
    (server, home, codex)
}

fn patch_requests(events: &[EventMsg]) -> Vec<(Vec<std::path::PathBuf>, Option<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            EventMsg::ApplyPatchApprovalRequest {
                changes, reason, ..
            } => Some((
                changes.iter().map(|c| c.path.clone()).collect(),
                reason.clone(),
            )),
            _ => None,
        })
        .collect()
}

/// The last tool output of type `kind` the model got in request `index`.
fn tool_output(server: &FakeServer, index: usize, kind: &str) -> String {
    server.requests()[index].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|i| i["type"] == kind)
        .unwrap()["output"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn on_request_asks_before_patching_outside_the_workspace() {
    let outside = tempfile::tempdir_in("/var/tmp").unwrap();
    let target = outside.path().join("approved.txt");
    let patch = add_file_patch(target.to_str().unwrap());
    let (_server, _home, mut codex) = patch_setup(
        &[patch],
        AskForApproval::OnRequest,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, Some(ReviewDecision::Approved)).await;
    let requests = patch_requests(&events);
    assert_eq!(requests.len(), 1, "{events:#?}");
    assert_eq!(requests[0].0, vec![target.clone()]);
    let reason = requests[0].1.clone().unwrap_or_default();
    assert!(reason.contains("outside the writable roots"), "{reason}");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "written by the model\n"
    );
    // Inside the workspace nothing is asked under on-request.
    let (_server, home, mut codex) = patch_setup(
        &[add_file_patch("inside.txt")],
        AskForApproval::OnRequest,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, None).await;
    assert!(patch_requests(&events).is_empty(), "{events:#?}");
    assert!(home.workdir().join("inside.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_patch_is_not_applied_and_the_model_is_told() {
    let (server, home, mut codex) = patch_setup(
        &[add_file_patch(".git/hooks/pre-commit")],
        AskForApproval::OnRequest,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, Some(ReviewDecision::Denied)).await;
    let requests = patch_requests(&events);
    assert_eq!(requests.len(), 1, "{events:#?}");
    assert!(
        requests[0]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("protected directory"),
        "{requests:?}"
    );
    assert!(!home.workdir().join(".git/hooks/pre-commit").exists());
    let output = tool_output(&server, 1, "custom_tool_call_output");
    assert!(output.contains("declined"), "{output}");
    // The item failed.
    assert!(events.iter().any(|e| matches!(
        e,
        EventMsg::PatchApplyEnd {
            status: codex_protocol::ToolStatus::Failed,
            ..
        }
    )));
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_asks_for_every_patch_and_session_approval_covers_the_same_file() {
    let patch = "*** Begin Patch\n*** Update File: README.md\n@@\n+one more line\n*** End Patch\n";
    let (_server, home, mut codex) = patch_setup(
        &[patch.to_string(), patch.to_string()],
        AskForApproval::UnlessTrusted,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let first = run_turn(&mut codex, Some(ReviewDecision::ApprovedForSession)).await;
    assert_eq!(patch_requests(&first).len(), 1, "{first:#?}");
    // The same file again in the next turn: applied without asking.
    let second = run_turn(&mut codex, None).await;
    assert!(patch_requests(&second).is_empty(), "{second:#?}");
    let readme = std::fs::read_to_string(home.workdir().join("README.md")).unwrap();
    assert_eq!(readme.matches("one more line").count(), 2, "{readme}");
}

#[tokio::test(flavor = "multi_thread")]
async fn never_rejects_patches_outside_the_workspace_without_asking() {
    let outside = tempfile::tempdir_in("/var/tmp").unwrap();
    let target = outside.path().join("never.txt");
    let (server, _home, mut codex) = patch_setup(
        &[add_file_patch(target.to_str().unwrap())],
        AskForApproval::Never,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, None).await;
    assert!(patch_requests(&events).is_empty());
    assert!(!target.exists());
    let output = tool_output(&server, 1, "custom_tool_call_output");
    assert!(output.contains("outside the writable roots"), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn aborting_a_patch_approval_ends_the_turn() {
    let (_server, home, mut codex) = patch_setup(
        &[add_file_patch("aborted.txt")],
        AskForApproval::UnlessTrusted,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let events = run_turn(&mut codex, Some(ReviewDecision::Abort)).await;
    assert!(
        matches!(events.last(), Some(EventMsg::TurnAborted { .. })),
        "{events:#?}"
    );
    assert!(!home.workdir().join("aborted.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn granular_rejects_switched_off_prompts_without_asking() {
    let outside = tempfile::tempdir_in("/var/tmp").unwrap();
    let target = outside.path().join("escalated.txt");
    let call = json!({
        "cmd": format!("touch {}", target.display()),
        "login": false,
        "sandbox_permissions": "require_escalated",
        "justification": "needs to write outside",
    });
    let server = FakeServer::start(vec![
        turn(
            "resp_1",
            vec![function_call("c1", "exec_command", call.to_string())],
        ),
        turn("resp_2", vec![message("done")]),
    ])
    .await;
    let home = TestHome::new();
    home.write_config(&home.config_for(&server));
    let policy = AskForApproval::Granular(codex_protocol::GranularApprovalConfig {
        sandbox_approval: false,
        rules: true,
        ..Default::default()
    });
    let mut codex = session(&home, policy, SandboxMode::WorkspaceWrite).await;
    let events = run_turn(&mut codex, None).await;
    assert_eq!(approval_requests(&events), 0, "{events:#?}");
    assert!(!target.exists());
    let output = tool_output(&server, 1, "function_call_output");
    assert!(output.contains("sandbox_approval = false"), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn on_request_escalation_with_a_remembered_prefix_rule() {
    let outside = tempfile::tempdir_in("/var/tmp").unwrap();
    let first = outside.path().join("first.txt");
    let second = outside.path().join("second.txt");
    let escalated = json!({
        "cmd": format!("touch {}", first.display()),
        "login": false,
        "sandbox_permissions": "require_escalated",
        "justification": "the file lives outside the workspace",
        "prefix_rule": ["touch"],
    });
    let plain = json!({"cmd": format!("touch {}", second.display()), "login": false});
    let server = FakeServer::start(vec![
        turn(
            "resp_1",
            vec![function_call("c1", "exec_command", escalated.to_string())],
        ),
        turn("resp_2", vec![message("done")]),
        turn(
            "resp_3",
            vec![function_call("c2", "exec_command", plain.to_string())],
        ),
        turn("resp_4", vec![message("done again")]),
    ])
    .await;
    let home = TestHome::new();
    home.write_config(&home.config_for(&server));
    let mut codex = session(
        &home,
        AskForApproval::OnRequest,
        SandboxMode::WorkspaceWrite,
    )
    .await;
    let remember = ReviewDecision::ApprovedWithPrefixRule(vec!["touch".into()]);
    let events = run_turn(&mut codex, Some(remember)).await;
    let asked: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            EventMsg::ExecApprovalRequest {
                reason,
                proposed_prefix_rule,
                ..
            } => Some((reason.clone(), proposed_prefix_rule.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        asked,
        vec![(
            Some("the file lives outside the workspace".to_string()),
            Some(vec!["touch".to_string()])
        )]
    );
    assert!(first.exists(), "approved to run outside the sandbox");
    let rules = std::fs::read_to_string(home.codex_home().join("rules/default.rules")).unwrap();
    assert!(
        rules.contains(r#"prefix_rule(pattern=["touch"], decision="allow")"#),
        "{rules}"
    );
    // The remembered rule lets the next `touch` run outside the sandbox without asking.
    let events = run_turn(&mut codex, None).await;
    assert_eq!(approval_requests(&events), 0, "{events:#?}");
    assert!(second.exists());
}
