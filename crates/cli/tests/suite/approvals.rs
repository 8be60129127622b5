//! Through the core API (a `Codex` session, not the exec front end): the approval round trip
//! through the queue protocol: `ExecApprovalRequest` out,
//! `Op::ExecApproval` in, for each policy that asks.

use std::path::Path;

use codex_client::ClientIdentity;
use codex_config::{ConfigOverrides, Env, load_config};
use codex_core::{Codex, ReviewDecision, SessionParams};
use codex_protocol::{AskForApproval, EventMsg, Op, SandboxMode, UserInput};
use codex_test_support::responses::{function_call, message, turn};
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
        if let EventMsg::ExecApprovalRequest { call_id, .. } = &ev.msg {
            let decision = answer.clone().expect("no approval was expected");
            codex
                .submit(Op::ExecApproval {
                    id: call_id.clone(),
                    decision,
                })
                .await
                .unwrap();
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
    let output = server.requests()[1].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call_output")
        .unwrap()["output"]
        .as_str()
        .unwrap()
        .to_string();
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
