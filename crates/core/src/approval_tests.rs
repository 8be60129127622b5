#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use pretty_assertions::assert_eq;

use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn bash(script: &str) -> Vec<String> {
    vec!["bash".into(), "-lc".into(), script.into()]
}

const POLICIES: [AskForApproval; 4] = [
    AskForApproval::UnlessTrusted,
    AskForApproval::OnFailure,
    AskForApproval::OnRequest,
    AskForApproval::Never,
];

const RULES: &str = r#"
prefix_rule(pattern=["cargo", "test"], decision="allow")
prefix_rule(pattern=["git", "push"], decision="prompt", justification="pushing is shared")
prefix_rule(pattern=["rm"], decision="forbidden", justification="use trash instead")
"#;

fn rules() -> Policy {
    Policy::parse(Path::new("test.rules"), RULES).unwrap()
}

/// The situations of the matrix: a command, whether the model asked for escalation, and the
/// attempt.
#[derive(Debug, Clone, Copy)]
enum Case {
    Safe,
    Unsafe,
    RuleAllow,
    RulePrompt,
    RuleForbidden,
    Escalation,
    EscalationSafe,
    EscalationRuleAllow,
    EscalationRulePrompt,
    Retry,
    RetryRuleAllow,
    RetryRuleForbidden,
}

impl Case {
    fn command(self) -> Vec<String> {
        match self {
            Case::Safe | Case::EscalationSafe => bash("ls -la && git status"),
            Case::Unsafe | Case::Escalation | Case::Retry => words("make build"),
            Case::RuleAllow | Case::EscalationRuleAllow | Case::RetryRuleAllow => {
                bash("cargo test -p core")
            }
            Case::RulePrompt | Case::EscalationRulePrompt => words("git push origin main"),
            Case::RuleForbidden | Case::RetryRuleForbidden => words("rm -rf target"),
        }
    }

    fn escalation(self) -> Option<EscalationRequest> {
        match self {
            Case::Escalation
            | Case::EscalationSafe
            | Case::EscalationRuleAllow
            | Case::EscalationRulePrompt => Some(EscalationRequest {
                justification: Some("needs the network".into()),
                prefix_rule: None,
            }),
            _ => None,
        }
    }

    fn attempt(self) -> Attempt {
        match self {
            Case::Retry | Case::RetryRuleAllow | Case::RetryRuleForbidden => {
                Attempt::RetryAfterSandboxFailure
            }
            _ => Attempt::First,
        }
    }
}

/// Short form of a decision: `S` sandboxed, `U` unsandboxed, `As`/`Au` ask (then run sandboxed
/// or unsandboxed), `R` reject.
fn short(decision: &ExecDecision) -> &'static str {
    match decision {
        ExecDecision::RunSandboxed => "S",
        ExecDecision::RunUnsandboxed => "U",
        ExecDecision::Ask {
            on_approval: RunMode::Sandboxed,
            ..
        } => "As",
        ExecDecision::Ask {
            on_approval: RunMode::Unsandboxed,
            ..
        } => "Au",
        ExecDecision::Reject { .. } => "R",
    }
}

fn decide(
    state: &ApprovalState,
    policy: AskForApproval,
    sandbox: SandboxMode,
    case: Case,
) -> ExecDecision {
    let command = case.command();
    let escalation = case.escalation();
    state.decide(&ExecRequest {
        approval_policy: policy,
        sandbox_mode: sandbox,
        command: &command,
        escalation: escalation.as_ref(),
        attempt: case.attempt(),
    })
}

/// Every policy × sandbox mode × case. Columns: untrusted, on-failure, on-request, never.
#[test]
fn decision_matrix() {
    let sandboxed = [
        (Case::Safe, ["S", "S", "S", "S"]),
        (Case::Unsafe, ["As", "S", "S", "S"]),
        (Case::RuleAllow, ["U", "U", "U", "U"]),
        (Case::RulePrompt, ["As", "As", "As", "R"]),
        (Case::RuleForbidden, ["R", "R", "R", "R"]),
        (Case::Escalation, ["Au", "Au", "Au", "R"]),
        (Case::EscalationSafe, ["Au", "Au", "Au", "R"]),
        (Case::EscalationRuleAllow, ["U", "U", "U", "U"]),
        (Case::EscalationRulePrompt, ["Au", "Au", "Au", "R"]),
        (Case::Retry, ["Au", "Au", "R", "R"]),
        (Case::RetryRuleAllow, ["U", "U", "U", "U"]),
        (Case::RetryRuleForbidden, ["R", "R", "R", "R"]),
    ];
    let full_access = [
        (Case::Safe, ["U", "U", "U", "U"]),
        (Case::Unsafe, ["Au", "U", "U", "U"]),
        (Case::RuleAllow, ["U", "U", "U", "U"]),
        (Case::RulePrompt, ["Au", "Au", "Au", "R"]),
        (Case::RuleForbidden, ["R", "R", "R", "R"]),
        // Escalation means nothing without a sandbox.
        (Case::Escalation, ["Au", "U", "U", "U"]),
        (Case::EscalationSafe, ["U", "U", "U", "U"]),
        (Case::EscalationRuleAllow, ["U", "U", "U", "U"]),
        (Case::EscalationRulePrompt, ["Au", "Au", "Au", "R"]),
        // No sandbox, so no sandbox failure to retry.
        (Case::Retry, ["R", "R", "R", "R"]),
        (Case::RetryRuleAllow, ["R", "R", "R", "R"]),
        (Case::RetryRuleForbidden, ["R", "R", "R", "R"]),
    ];
    let state = ApprovalState::new(rules(), None);
    let mut failures = Vec::new();
    for (sandbox, table) in [
        (SandboxMode::ReadOnly, &sandboxed),
        (SandboxMode::WorkspaceWrite, &sandboxed),
        (SandboxMode::DangerFullAccess, &full_access),
    ] {
        for (case, expected) in table {
            for (policy, want) in POLICIES.iter().zip(expected) {
                let got = short(&decide(&state, *policy, sandbox, *case));
                if got != *want {
                    failures.push(format!(
                        "{} / {} / {case:?}: got {got}, want {want}",
                        policy.as_str(),
                        sandbox.as_str()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reasons_and_proposals() {
    let state = ApprovalState::new(rules(), None);
    let sandbox = SandboxMode::WorkspaceWrite;
    assert_eq!(
        decide(
            &state,
            AskForApproval::OnRequest,
            sandbox,
            Case::RuleForbidden
        ),
        ExecDecision::Reject {
            reason: "forbidden by exec policy rule `rm`: use trash instead".into()
        }
    );
    assert_eq!(
        decide(&state, AskForApproval::OnRequest, sandbox, Case::RulePrompt),
        ExecDecision::Ask {
            reason: Some("pushing is shared".into()),
            proposed_prefix_rule: Some(words("git push")),
            on_approval: RunMode::Sandboxed,
        }
    );
    match decide(&state, AskForApproval::Never, sandbox, Case::RulePrompt) {
        ExecDecision::Reject { reason } => {
            assert!(reason.contains("`git push` requires approval"), "{reason}");
            assert!(reason.contains("pushing is shared"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        decide(&state, AskForApproval::OnRequest, sandbox, Case::Escalation),
        ExecDecision::Ask {
            reason: Some("needs the network".into()),
            proposed_prefix_rule: Some(words("make build")),
            on_approval: RunMode::Unsandboxed,
        }
    );
    match decide(&state, AskForApproval::OnRequest, sandbox, Case::Retry) {
        ExecDecision::Reject { reason } => {
            assert!(reason.contains("require_escalated"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    match decide(&state, AskForApproval::Never, sandbox, Case::Escalation) {
        ExecDecision::Reject { reason } => {
            assert!(reason.contains("approval_policy is never"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // Untrusted asks without a reason of its own.
    assert_eq!(
        decide(&state, AskForApproval::UnlessTrusted, sandbox, Case::Unsafe),
        ExecDecision::Ask {
            reason: None,
            proposed_prefix_rule: Some(words("make build")),
            on_approval: RunMode::Sandboxed,
        }
    );
}

#[test]
fn proposed_prefixes() {
    let propose = |cmd: &[String]| proposed_prefix_rule(cmd, None);
    assert_eq!(
        propose(&words("git push origin main")),
        Some(words("git push"))
    );
    assert_eq!(propose(&words("git --no-pager log")), Some(words("git")));
    assert_eq!(propose(&words("touch a.txt")), Some(words("touch")));
    assert_eq!(
        propose(&bash("cargo test -p core")),
        Some(words("cargo test"))
    );
    assert_eq!(propose(&bash("cargo build && cargo test")), None);
    assert_eq!(propose(&bash("echo $(id)")), None);
    assert_eq!(propose(&words("python3 -c print(1)")), None);
    assert_eq!(propose(&words("sudo rm -rf /")), None);
    assert_eq!(propose(&words("/usr/bin/env ls")), None);
    assert_eq!(propose(&[]), None);

    let model = |prefix: &str| EscalationRequest {
        justification: None,
        prefix_rule: Some(words(prefix)),
    };
    let cmd = words("npm run build --prod");
    assert_eq!(
        proposed_prefix_rule(&cmd, Some(&model("npm run build"))),
        Some(words("npm run build"))
    );
    // Not a prefix of the command, or a bare interpreter: ignored, ours is used.
    assert_eq!(
        proposed_prefix_rule(&cmd, Some(&model("npm test"))),
        Some(words("npm run"))
    );
    assert_eq!(
        proposed_prefix_rule(&bash("npm run build"), Some(&model("bash -lc"))),
        Some(words("npm run"))
    );
}

fn request<'a>(
    policy: AskForApproval,
    command: &'a [String],
    escalation: Option<&'a EscalationRequest>,
    attempt: Attempt,
) -> ExecRequest<'a> {
    ExecRequest {
        approval_policy: policy,
        sandbox_mode: SandboxMode::WorkspaceWrite,
        command,
        escalation,
        attempt,
    }
}

fn run_mode(outcome: ReviewOutcome) -> RunMode {
    match outcome {
        ReviewOutcome::Run {
            mode,
            persist_error: None,
        } => mode,
        other => panic!("expected a clean run, got {other:?}"),
    }
}

#[test]
fn approved_once_asks_again_next_time() {
    let mut state = ApprovalState::new(Policy::empty(), None);
    let cmd = words("make build");
    let req = request(AskForApproval::UnlessTrusted, &cmd, None, Attempt::First);
    assert_eq!(short(&state.decide(&req)), "As");
    let mode = run_mode(state.apply_review(&cmd, &ReviewDecision::Approved, RunMode::Sandboxed));
    assert_eq!(mode, RunMode::Sandboxed);
    assert_eq!(short(&state.decide(&req)), "As");
}

#[test]
fn approved_for_session_covers_the_same_command_only() {
    let mut state = ApprovalState::new(Policy::empty(), None);
    let cmd = words("make build");
    let other = words("make clean");
    let first = request(AskForApproval::UnlessTrusted, &cmd, None, Attempt::First);
    run_mode(state.apply_review(
        &cmd,
        &ReviewDecision::ApprovedForSession,
        RunMode::Sandboxed,
    ));
    assert_eq!(state.decide(&first), ExecDecision::RunSandboxed);
    let first_other = request(AskForApproval::UnlessTrusted, &other, None, Attempt::First);
    assert_eq!(short(&state.decide(&first_other)), "As");

    // Approved to run sandboxed does not cover running unsandboxed: the retry and an
    // escalation still ask.
    let retry = request(
        AskForApproval::UnlessTrusted,
        &cmd,
        None,
        Attempt::RetryAfterSandboxFailure,
    );
    assert_eq!(short(&state.decide(&retry)), "Au");
    let escalation = EscalationRequest::default();
    let escalated = request(
        AskForApproval::OnRequest,
        &cmd,
        Some(&escalation),
        Attempt::First,
    );
    assert_eq!(short(&state.decide(&escalated)), "Au");

    // Approving the retry for the session covers everything after it.
    run_mode(state.apply_review(
        &cmd,
        &ReviewDecision::ApprovedForSession,
        RunMode::Unsandboxed,
    ));
    assert_eq!(state.decide(&retry), ExecDecision::RunUnsandboxed);
    assert_eq!(state.decide(&escalated), ExecDecision::RunUnsandboxed);
    assert_eq!(state.decide(&first), ExecDecision::RunUnsandboxed);
    // A later sandboxed approval does not narrow it.
    run_mode(state.apply_review(
        &cmd,
        &ReviewDecision::ApprovedForSession,
        RunMode::Sandboxed,
    ));
    assert_eq!(state.session_approval(&cmd), Some(RunMode::Unsandboxed));
}

#[test]
fn session_approval_overrides_prompt_rules_but_not_forbidden_ones() {
    let mut state = ApprovalState::new(rules(), None);
    let push = words("git push origin main");
    let rm = words("rm -rf target");
    let req = request(AskForApproval::OnRequest, &push, None, Attempt::First);
    assert_eq!(short(&state.decide(&req)), "As");
    run_mode(state.apply_review(
        &push,
        &ReviewDecision::ApprovedForSession,
        RunMode::Sandboxed,
    ));
    assert_eq!(state.decide(&req), ExecDecision::RunSandboxed);

    run_mode(state.apply_review(
        &rm,
        &ReviewDecision::ApprovedForSession,
        RunMode::Unsandboxed,
    ));
    let req = request(AskForApproval::OnRequest, &rm, None, Attempt::First);
    assert_eq!(short(&state.decide(&req)), "R");
}

#[test]
fn prefix_rule_is_written_once_honoured_now_and_after_reload() {
    let home = tempfile::tempdir().unwrap();
    let mut state = ApprovalState::load(home.path()).unwrap();
    let cmd = words("git push origin main");
    let req = request(AskForApproval::UnlessTrusted, &cmd, None, Attempt::First);
    let ExecDecision::Ask {
        proposed_prefix_rule: Some(prefix),
        on_approval,
        ..
    } = state.decide(&req)
    else {
        panic!("expected an ask with a proposal");
    };
    assert_eq!(prefix, words("git push"));
    let mode = run_mode(state.apply_review(
        &cmd,
        &ReviewDecision::ApprovedWithPrefixRule(prefix.clone()),
        on_approval,
    ));
    assert_eq!(mode, RunMode::Sandboxed);
    // Honoured at once, for other commands with the prefix too, also inside a script.
    assert_eq!(state.decide(&req), ExecDecision::RunUnsandboxed);
    let other = bash("git push --tags");
    let req_other = request(AskForApproval::UnlessTrusted, &other, None, Attempt::First);
    assert_eq!(state.decide(&req_other), ExecDecision::RunUnsandboxed);
    let pull = words("git pull");
    let req_pull = request(AskForApproval::UnlessTrusted, &pull, None, Attempt::First);
    assert_eq!(short(&state.decide(&req_pull)), "As");

    // The same answer again does not write a second rule.
    run_mode(state.apply_review(
        &cmd,
        &ReviewDecision::ApprovedWithPrefixRule(prefix),
        on_approval,
    ));
    let file = home.path().join("rules").join("default.rules");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "prefix_rule(pattern=[\"git\", \"push\"], decision=\"allow\")\n"
    );

    // A new session reads it back.
    let reloaded = ApprovalState::load(home.path()).unwrap();
    assert_eq!(reloaded.decide(&req), ExecDecision::RunUnsandboxed);
    assert_eq!(short(&reloaded.decide(&req_pull)), "As");
}

#[test]
fn prefix_rule_write_failure_still_runs_and_holds_for_the_session() {
    let home = tempfile::tempdir().unwrap();
    // A directory where the rules file should be makes the append fail.
    let file = home.path().join("default.rules");
    std::fs::create_dir(&file).unwrap();
    let mut state = ApprovalState::new(Policy::empty(), Some(file));
    let cmd = words("make build");
    let outcome = state.apply_review(
        &cmd,
        &ReviewDecision::ApprovedWithPrefixRule(words("make")),
        RunMode::Sandboxed,
    );
    assert!(matches!(
        outcome,
        ReviewOutcome::Run {
            mode: RunMode::Sandboxed,
            persist_error: Some(_)
        }
    ));
    let req = request(AskForApproval::UnlessTrusted, &cmd, None, Attempt::First);
    assert_eq!(state.decide(&req), ExecDecision::RunUnsandboxed);

    let outcome = state.apply_review(
        &cmd,
        &ReviewDecision::ApprovedWithPrefixRule(Vec::new()),
        RunMode::Sandboxed,
    );
    assert!(matches!(
        outcome,
        ReviewOutcome::Run {
            persist_error: Some(ExecPolicyError::EmptyPrefix),
            ..
        }
    ));
}

#[test]
fn denied_and_abort_change_nothing() {
    let mut state = ApprovalState::new(Policy::empty(), None);
    let cmd = words("make build");
    assert!(matches!(
        state.apply_review(&cmd, &ReviewDecision::Denied, RunMode::Sandboxed),
        ReviewOutcome::Denied
    ));
    assert!(matches!(
        state.apply_review(&cmd, &ReviewDecision::Abort, RunMode::Unsandboxed),
        ReviewOutcome::Abort
    ));
    let req = request(AskForApproval::UnlessTrusted, &cmd, None, Attempt::First);
    assert_eq!(short(&state.decide(&req)), "As");
    assert_eq!(state.session_approval(&cmd), None);
}

#[test]
fn invalid_rules_fail_to_load_with_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("rules");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("team.rules"),
        "prefix_rule(\n  pattern=[\"ls\"],\n  decision=\"maybe\",\n)\n",
    )
    .unwrap();
    let err = ApprovalState::load(home.path()).unwrap_err().to_string();
    assert!(err.ends_with("team.rules:3: invalid decision \"maybe\" (expected \"allow\", \"prompt\" or \"forbidden\")"), "{err}");
}

#[test]
fn wire_shapes() {
    assert_eq!(
        serde_json::to_value(ExecDecision::Ask {
            reason: Some("why".into()),
            proposed_prefix_rule: Some(words("git push")),
            on_approval: RunMode::Unsandboxed,
        })
        .unwrap(),
        serde_json::json!({
            "type": "ask",
            "reason": "why",
            "proposed_prefix_rule": ["git", "push"],
            "on_approval": "unsandboxed",
        })
    );
    assert_eq!(
        serde_json::to_value(ExecDecision::RunSandboxed).unwrap(),
        serde_json::json!({"type": "run_sandboxed"})
    );
    for (decision, json) in [
        (ReviewDecision::Approved, serde_json::json!("approved")),
        (
            ReviewDecision::ApprovedForSession,
            serde_json::json!("approved_for_session"),
        ),
        (
            ReviewDecision::ApprovedWithPrefixRule(words("git push")),
            serde_json::json!({"approved_with_prefix_rule": ["git", "push"]}),
        ),
        (ReviewDecision::Denied, serde_json::json!("denied")),
        (ReviewDecision::Abort, serde_json::json!("abort")),
    ] {
        assert_eq!(serde_json::to_value(&decision).unwrap(), json);
        assert_eq!(
            serde_json::from_value::<ReviewDecision>(json).unwrap(),
            decision
        );
    }
    let permissions: SandboxPermissions =
        serde_json::from_value(serde_json::json!("require_escalated")).unwrap();
    assert_eq!(
        EscalationRequest::from_tool_args(permissions, Some("net".into()), None),
        Some(EscalationRequest {
            justification: Some("net".into()),
            prefix_rule: None
        })
    );
    assert_eq!(
        EscalationRequest::from_tool_args(SandboxPermissions::UseDefault, Some("net".into()), None),
        None
    );
}

#[test]
fn patch_decisions_per_policy() {
    use AskForApproval::*;
    let why = "patch rejected: /etc/x is outside the writable roots (/w)";
    let outside = Some(why);
    let ask = |reason: Option<&str>| PatchDecision::Ask {
        reason: reason.map(str::to_string),
    };
    // Inside the writable roots: only `untrusted` asks.
    assert_eq!(decide_patch(UnlessTrusted, None, false), ask(None));
    for policy in [OnFailure, OnRequest, Never] {
        assert_eq!(decide_patch(policy, None, false), PatchDecision::Apply);
    }
    // Outside: `never` rejects with the reason, the others ask with it.
    for policy in [UnlessTrusted, OnFailure, OnRequest] {
        assert_eq!(decide_patch(policy, outside, false), ask(outside));
    }
    assert_eq!(
        decide_patch(Never, outside, false),
        PatchDecision::Reject {
            reason: why.to_string()
        }
    );
    // Approved for the session earlier: applied, whatever the policy.
    for policy in [UnlessTrusted, OnFailure, OnRequest, Never] {
        assert_eq!(decide_patch(policy, outside, true), PatchDecision::Apply);
    }
}

#[test]
fn patch_session_approval_covers_the_approved_files_only() {
    let mut state = ApprovalState::new(Policy::default(), None);
    let a = vec![std::path::PathBuf::from("/etc/a")];
    let ab = vec![
        std::path::PathBuf::from("/etc/a"),
        std::path::PathBuf::from("/etc/b"),
    ];
    assert!(!state.patch_session_approved(&a));
    assert_eq!(
        state.apply_patch_review(&a, &ReviewDecision::Approved),
        Some(true)
    );
    assert!(!state.patch_session_approved(&a), "approved once only");
    assert_eq!(
        state.apply_patch_review(&a, &ReviewDecision::ApprovedForSession),
        Some(true)
    );
    assert!(state.patch_session_approved(&a));
    assert!(
        !state.patch_session_approved(&ab),
        "/etc/b was never approved"
    );
    assert!(!state.patch_session_approved(&[]));
    assert_eq!(
        state.apply_patch_review(&ab, &ReviewDecision::Denied),
        Some(false)
    );
    assert_eq!(state.apply_patch_review(&ab, &ReviewDecision::Abort), None);
}

/// `granular` is `on-request` with prompt categories that can be switched off.
#[test]
fn granular_matrix() {
    use codex_protocol::GranularApprovalConfig;
    let granular = |sandbox_approval, rules| {
        AskForApproval::Granular(GranularApprovalConfig {
            sandbox_approval,
            rules,
            ..Default::default()
        })
    };
    // Columns: everything asked, sandbox_approval = false, rules = false.
    let policies = [
        granular(true, true),
        granular(false, true),
        granular(true, false),
    ];
    let table = [
        (Case::Safe, ["S", "S", "S"]),
        (Case::Unsafe, ["S", "S", "S"]),
        (Case::RuleAllow, ["U", "U", "U"]),
        (Case::RulePrompt, ["As", "As", "R"]),
        (Case::RuleForbidden, ["R", "R", "R"]),
        (Case::Escalation, ["Au", "R", "Au"]),
        (Case::EscalationSafe, ["Au", "R", "Au"]),
        (Case::EscalationRuleAllow, ["U", "U", "U"]),
        // The rule decides first.
        (Case::EscalationRulePrompt, ["Au", "Au", "R"]),
        (Case::Retry, ["R", "R", "R"]),
        (Case::RetryRuleAllow, ["U", "U", "U"]),
        (Case::RetryRuleForbidden, ["R", "R", "R"]),
    ];
    let state = ApprovalState::new(rules(), None);
    let mut failures = Vec::new();
    for (case, expected) in table {
        for (i, (policy, want)) in policies.iter().zip(expected).enumerate() {
            let decision = decide(&state, *policy, SandboxMode::WorkspaceWrite, case);
            let got = short(&decision);
            if got != want {
                failures.push(format!("column {i} / {case:?}: got {got}, want {want}"));
            }
            if let ExecDecision::Reject { reason } = &decision
                && want == "R"
                && matches!(case, Case::RulePrompt | Case::Escalation)
            {
                assert!(reason.contains("granular"), "{reason}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Patches the sandbox would refuse: asked, or rejected without asking.
    let why = "patch rejected: /etc/x is outside the writable roots (/w)";
    assert!(matches!(
        decide_patch(granular(true, false), Some(why), false),
        PatchDecision::Ask { .. }
    ));
    assert!(matches!(
        decide_patch(granular(false, true), Some(why), false),
        PatchDecision::Reject { reason } if reason.contains("sandbox_approval = false")
    ));
    assert_eq!(
        decide_patch(granular(false, false), None, false),
        PatchDecision::Apply
    );
}
