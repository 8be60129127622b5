//! The approval engine: whether a model-issued command runs in the sandbox, outside it, only
//! after asking the user, or not at all. Every front end (exec, TUI, MCP server) goes through
//! here, so a policy means the same thing everywhere.
//!
//! Inputs are the `approval_policy` (inventory APR-01), the `sandbox_mode`, the command, whether
//! the model asked to run outside the sandbox (`sandbox_permissions: "require_escalated"` with
//! a `justification`), the exec-policy rules, the user's earlier answers in this session, and
//! whether this is the first attempt or a retry after the sandbox blocked the command.
//!
//! The rules, in order (first that applies wins):
//!
//! 1. A `forbidden` rule rejects, whatever the policy or earlier answers.
//! 2. Retry after a sandbox failure: a command approved to run unsandboxed for the session, or
//!    allowed by a rule, re-runs unsandboxed; otherwise `untrusted` and `on-failure` ask to
//!    re-run it outside the sandbox, while `on-request` and `never` send the failure back to
//!    the model (`on-request` with a hint to request escalation; inventory SBX-12).
//! 3. First attempt: approved unsandboxed for the session, or an `allow` rule: run unsandboxed
//!    (a rule is the user's standing trust, e.g. `git push` needs the network).
//! 4. Something needs the user: a `prompt` rule (unless approved for the session), an
//!    escalation request (unless already approved unsandboxed; meaningless and ignored under
//!    `danger-full-access`), or under `untrusted` a command that is not known to be safe
//!    (unless approved for the session). Under `never` that becomes a rejection sent back to
//!    the model; otherwise ask.
//! 5. Otherwise run: sandboxed, or plainly under `danger-full-access`.
//!
//! `granular` is `on-request` whose prompt categories can be switched off: with
//! `rules = false` a `prompt` rule rejects, with `sandbox_approval = false` an escalation
//! request (and a patch the sandbox would refuse) is rejected; the reason says which setting.
//!
//! Patches (`apply_patch`, applied by Codex itself, not by a sandboxed process) follow
//! [`decide_patch`]: under `untrusted` every patch asks; a patch the sandbox would allow (every
//! target inside a writable root, outside `.git`/`.codex`/`.agents` and the profile's
//! read-only or hidden paths) is applied; otherwise `never` rejects it with the reason and
//! the other policies ask. Approving a patch for the session lets later patches to the same
//! files through without asking.
//!
//! Answers ([`ReviewDecision`]) are applied with [`ApprovalState::apply_review`]: approving for
//! the session remembers the exact command (and whether it was approved to run unsandboxed);
//! approving with a prefix rule adds an `allow` rule in memory and appends it, deduplicated, to
//! `$CODEX_HOME/rules/default.rules`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use codex_protocol::{AskForApproval, ReviewDecision, SandboxMode};
use codex_tools::execpolicy::{
    DEFAULT_RULES_FILE, Decision, Evaluation, ExecPolicyError, Policy, PrefixRule,
    append_prefix_rule,
};
use codex_tools::safety::{is_known_safe_command, parse_shell_script, shell_wrapper_script};
use serde::{Deserialize, Serialize};

/// Where an approved command runs. Ordered: an approval to run unsandboxed covers sandboxed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    Sandboxed,
    Unsandboxed,
}

/// First try, or the retry after the sandbox blocked the first one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attempt {
    #[default]
    First,
    RetryAfterSandboxFailure,
}

/// The `sandbox_permissions` argument of the shell tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxPermissions {
    #[default]
    UseDefault,
    RequireEscalated,
}

/// The model's request to run a command outside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EscalationRequest {
    /// Shown to the user as the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The model's suggestion for "don't ask again" (inventory POL-04); used when it is a
    /// prefix of the command and not a bare interpreter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_rule: Option<Vec<String>>,
}

impl EscalationRequest {
    /// The escalation a tool call asks for, if any.
    pub fn from_tool_args(
        sandbox_permissions: SandboxPermissions,
        justification: Option<String>,
        prefix_rule: Option<Vec<String>>,
    ) -> Option<Self> {
        match sandbox_permissions {
            SandboxPermissions::UseDefault => None,
            SandboxPermissions::RequireEscalated => Some(Self {
                justification,
                prefix_rule,
            }),
        }
    }
}

/// What to do with a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExecDecision {
    /// Run inside the sandbox without asking.
    RunSandboxed,
    /// Run without a sandbox without asking (`danger-full-access`, an `allow` rule, or an
    /// earlier approval for the session).
    RunUnsandboxed,
    /// Ask the user (an `ExecApprovalRequest`); if approved, run as `on_approval` says.
    Ask {
        reason: Option<String>,
        proposed_prefix_rule: Option<Vec<String>>,
        on_approval: RunMode,
    },
    /// Do not run; `reason` goes back to the model as the tool output.
    Reject { reason: String },
}

/// Everything [`decide_exec`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct ExecApprovalInput<'a> {
    pub approval_policy: AskForApproval,
    pub sandbox_mode: SandboxMode,
    pub command: &'a [String],
    pub escalation: Option<&'a EscalationRequest>,
    /// The exec-policy verdict on `command` (see `Policy::check_command`).
    pub evaluation: &'a Evaluation,
    /// Whether `command` is known to be read-only (`is_known_safe_command`).
    pub known_safe: bool,
    /// How the user approved this exact command for the session, if they did.
    pub session_approval: Option<RunMode>,
    pub attempt: Attempt,
}

/// The decision for one command; pure, see the module docs for the rules.
pub fn decide_exec(input: &ExecApprovalInput<'_>) -> ExecDecision {
    let rule = input.evaluation.decision;
    if rule == Some(Decision::Forbidden) {
        return ExecDecision::Reject {
            reason: forbidden_reason(input.evaluation),
        };
    }
    let full_access = input.sandbox_mode == SandboxMode::DangerFullAccess;
    let approved_unsandboxed = input.session_approval == Some(RunMode::Unsandboxed);
    let ask = |reason: Option<String>, on_approval: RunMode| ExecDecision::Ask {
        reason,
        proposed_prefix_rule: proposed_prefix_rule(input.command, input.escalation),
        on_approval,
    };

    if input.attempt == Attempt::RetryAfterSandboxFailure {
        if full_access {
            return ExecDecision::Reject {
                reason:
                    "the command failed without a sandbox; there is nothing to retry outside it"
                        .to_string(),
            };
        }
        if approved_unsandboxed || rule == Some(Decision::Allow) {
            return ExecDecision::RunUnsandboxed;
        }
        return match input.approval_policy {
            AskForApproval::UnlessTrusted | AskForApproval::OnFailure => ask(
                Some("the command failed in the sandbox; run it again without the sandbox?".into()),
                RunMode::Unsandboxed,
            ),
            AskForApproval::OnRequest | AskForApproval::Granular(_) => ExecDecision::Reject {
                reason: "the command failed in the sandbox. If it must run outside the sandbox, \
                         call the tool again with sandbox_permissions set to \"require_escalated\" \
                         and a justification"
                    .to_string(),
            },
            AskForApproval::Never => ExecDecision::Reject {
                reason: "the command failed in the sandbox; approval_policy is never, so it is \
                         not run again outside the sandbox"
                    .to_string(),
            },
        };
    }

    if approved_unsandboxed || rule == Some(Decision::Allow) {
        return ExecDecision::RunUnsandboxed;
    }
    let approved = input.session_approval.is_some();
    let wants_escalation = input.escalation.is_some() && !full_access;
    let on_approval = if full_access || wants_escalation {
        RunMode::Unsandboxed
    } else {
        RunMode::Sandboxed
    };
    if rule == Some(Decision::Prompt) && !approved {
        let rule_text = first_rule_text(input.evaluation, Decision::Prompt);
        return match input.approval_policy {
            AskForApproval::Never => ExecDecision::Reject {
                reason: format!(
                    "exec policy rule `{rule_text}` requires approval, but approval_policy is \
                     never: the command was not run{}",
                    input
                        .evaluation
                        .justification()
                        .map(|j| format!(" ({j})"))
                        .unwrap_or_default()
                ),
            },
            AskForApproval::Granular(g) if !g.rules => ExecDecision::Reject {
                reason: format!(
                    "exec policy rule `{rule_text}` requires approval, but approval_policy \
                     granular has rules = false: the command was not run"
                ),
            },
            _ => ask(
                Some(
                    input
                        .evaluation
                        .justification()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("matches exec policy rule `{rule_text}`")),
                ),
                on_approval,
            ),
        };
    }
    if wants_escalation {
        return match input.approval_policy {
            AskForApproval::Never => ExecDecision::Reject {
                reason: "running outside the sandbox needs the user's approval, but \
                         approval_policy is never: run the command without sandbox_permissions"
                    .to_string(),
            },
            AskForApproval::Granular(g) if !g.sandbox_approval => ExecDecision::Reject {
                reason: "running outside the sandbox needs the user's approval, but \
                         approval_policy granular has sandbox_approval = false: run the \
                         command without sandbox_permissions"
                    .to_string(),
            },
            _ => ask(
                input
                    .escalation
                    .and_then(|e| e.justification.clone())
                    .or_else(|| Some("the model asks to run this outside the sandbox".into())),
                RunMode::Unsandboxed,
            ),
        };
    }
    if input.approval_policy == AskForApproval::UnlessTrusted && !input.known_safe && !approved {
        return ask(None, on_approval);
    }
    if full_access {
        ExecDecision::RunUnsandboxed
    } else {
        ExecDecision::RunSandboxed
    }
}

fn first_rule_text(evaluation: &Evaluation, decision: Decision) -> String {
    evaluation
        .matched_rules
        .iter()
        .find(|m| m.decision() == decision)
        .map(|m| m.matched_prefix().join(" "))
        .unwrap_or_default()
}

fn forbidden_reason(evaluation: &Evaluation) -> String {
    let rule = first_rule_text(evaluation, Decision::Forbidden);
    match evaluation.justification() {
        Some(j) => format!("forbidden by exec policy rule `{rule}`: {j}"),
        None => format!("forbidden by exec policy rule `{rule}`"),
    }
}

/// Programs whose prefix would allow anything: never proposed as a "don't ask again" rule.
const NO_PREFIX_PROGRAMS: &[&str] = &[
    "bash", "sh", "zsh", "fish", "dash", "ksh", "env", "sudo", "doas", "su", "xargs", "exec",
    "eval", "command", "builtin", "nohup", "nice", "time", "timeout", "python", "python3", "node",
    "deno", "bun", "ruby", "perl", "php", "lua",
];

/// Tools whose first operand is a subcommand worth keeping in the prefix (`git push`, not
/// `git`).
const SUBCOMMAND_PROGRAMS: &[&str] = &[
    "git",
    "cargo",
    "npm",
    "pnpm",
    "yarn",
    "npx",
    "go",
    "docker",
    "podman",
    "kubectl",
    "gh",
    "uv",
    "pip",
    "pip3",
    "poetry",
    "bundle",
    "gradle",
    "mvn",
    "dotnet",
    "brew",
    "apt",
    "apt-get",
    "rustup",
    "swift",
    "terraform",
    "helm",
    "make",
    "just",
];

/// The single command a shell wrapper runs, or the argv itself.
fn inner_command(command: &[String]) -> Option<Vec<String>> {
    match shell_wrapper_script(command) {
        Some(script) => {
            let mut commands = parse_shell_script(script)?;
            if commands.len() == 1 {
                commands.pop()
            } else {
                None
            }
        }
        None => Some(command.to_vec()),
    }
}

fn prefix_allowed(prefix: &[String]) -> bool {
    match prefix.first() {
        Some(program) => {
            let name = program.rsplit('/').next().unwrap_or(program);
            !NO_PREFIX_PROGRAMS.contains(&name) && !name.starts_with("python")
        }
        None => false,
    }
}

/// The prefix a "don't ask again" answer would remember: the model's proposal if it is a prefix
/// of the command, else the program plus its subcommand for well-known tools, else the
/// program. `None` for interpreters, shells and multi-command scripts.
pub fn proposed_prefix_rule(
    command: &[String],
    escalation: Option<&EscalationRequest>,
) -> Option<Vec<String>> {
    let inner = inner_command(command)?;
    if let Some(proposal) = escalation.and_then(|e| e.prefix_rule.as_ref())
        && prefix_allowed(proposal)
        && inner.starts_with(proposal)
    {
        return Some(proposal.clone());
    }
    if !prefix_allowed(&inner) {
        return None;
    }
    let program = inner.first()?;
    match inner.get(1) {
        Some(sub) if SUBCOMMAND_PROGRAMS.contains(&program.as_str()) && !sub.starts_with('-') => {
            Some(vec![program.clone(), sub.clone()])
        }
        _ => Some(vec![program.clone()]),
    }
}

/// One command to decide on, as a tool call presents it.
#[derive(Debug, Clone, Copy)]
pub struct ExecRequest<'a> {
    pub approval_policy: AskForApproval,
    pub sandbox_mode: SandboxMode,
    pub command: &'a [String],
    pub escalation: Option<&'a EscalationRequest>,
    pub attempt: Attempt,
}

/// What to do after the user answered.
#[derive(Debug)]
pub enum ReviewOutcome {
    /// Run the command as `mode` says. `persist_error`: remembering the prefix rule on disk
    /// failed (the rule still holds for this session); worth a warning.
    Run {
        mode: RunMode,
        persist_error: Option<ExecPolicyError>,
    },
    /// Do not run; tell the model the user declined.
    Denied,
    /// Do not run and end the turn.
    Abort,
}

/// What to do with a patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PatchDecision {
    /// Apply it without asking.
    Apply,
    /// Ask the user (an `ApplyPatchApprovalRequest`), saying why.
    Ask { reason: Option<String> },
    /// Do not apply it; `reason` goes back to the model.
    Reject { reason: String },
}

/// The decision for one patch; pure, see the module docs.
///
/// * `blocked`: why the sandbox would not allow the patch (the first target it refuses), or
///   `None` when every target is writable.
/// * `session_approved`: every target was approved for the session earlier.
pub fn decide_patch(
    approval_policy: AskForApproval,
    blocked: Option<&str>,
    session_approved: bool,
) -> PatchDecision {
    if session_approved {
        return PatchDecision::Apply;
    }
    match (approval_policy, blocked) {
        (AskForApproval::UnlessTrusted, reason) => PatchDecision::Ask {
            reason: reason.map(str::to_string),
        },
        (_, None) => PatchDecision::Apply,
        (AskForApproval::Never, Some(reason)) => PatchDecision::Reject {
            reason: reason.to_string(),
        },
        (AskForApproval::Granular(g), Some(reason)) if !g.sandbox_approval => {
            PatchDecision::Reject {
                reason: format!(
                    "{reason} (approval_policy granular has sandbox_approval = false, so nobody \
                     is asked)"
                ),
            }
        }
        (_, Some(reason)) => PatchDecision::Ask {
            reason: Some(reason.to_string()),
        },
    }
}

/// The session's approval state: exec-policy rules plus the user's answers so far.
#[derive(Debug, Clone, Default)]
pub struct ApprovalState {
    policy: Policy,
    rules_file: Option<PathBuf>,
    session: HashMap<Vec<String>, RunMode>,
    /// Files the user let patches write for the rest of the session.
    patch_paths: HashSet<PathBuf>,
}

impl ApprovalState {
    /// `policy` as loaded; remembered prefix rules go to `rules_file` (none: memory only).
    pub fn new(policy: Policy, rules_file: Option<PathBuf>) -> Self {
        Self {
            policy,
            rules_file,
            session: HashMap::new(),
            patch_paths: HashSet::new(),
        }
    }

    /// The rules of `$CODEX_HOME/rules/*.rules`; remembered rules go to
    /// `$CODEX_HOME/rules/default.rules`. An invalid rules file is an error (`file:line:
    /// reason`).
    pub fn load(codex_home: &Path) -> Result<Self, ExecPolicyError> {
        let dir = codex_home.join("rules");
        let policy = Policy::load_dir(&dir)?;
        Ok(Self::new(policy, Some(dir.join(DEFAULT_RULES_FILE))))
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// How the user approved exactly this command for the session, if they did.
    pub fn session_approval(&self, command: &[String]) -> Option<RunMode> {
        self.session.get(command).copied()
    }

    /// The decision for `request`, from the rules, the safe-command list and earlier answers.
    pub fn decide(&self, request: &ExecRequest<'_>) -> ExecDecision {
        let evaluation = self.policy.check_command(request.command);
        decide_exec(&ExecApprovalInput {
            approval_policy: request.approval_policy,
            sandbox_mode: request.sandbox_mode,
            command: request.command,
            escalation: request.escalation,
            evaluation: &evaluation,
            known_safe: is_known_safe_command(request.command),
            session_approval: self.session_approval(request.command),
            attempt: request.attempt,
        })
    }

    /// Applies the user's answer to an [`ExecDecision::Ask`] about `command` whose
    /// `on_approval` was `on_approval`.
    pub fn apply_review(
        &mut self,
        command: &[String],
        decision: &ReviewDecision,
        on_approval: RunMode,
    ) -> ReviewOutcome {
        match decision {
            ReviewDecision::Approved => ReviewOutcome::Run {
                mode: on_approval,
                persist_error: None,
            },
            ReviewDecision::ApprovedForSession => {
                let entry = self.session.entry(command.to_vec()).or_insert(on_approval);
                *entry = (*entry).max(on_approval);
                ReviewOutcome::Run {
                    mode: on_approval,
                    persist_error: None,
                }
            }
            ReviewDecision::ApprovedWithPrefixRule(prefix) => {
                let persist_error = self.remember_prefix(prefix).err();
                ReviewOutcome::Run {
                    mode: on_approval,
                    persist_error,
                }
            }
            ReviewDecision::Denied => ReviewOutcome::Denied,
            ReviewDecision::Abort => ReviewOutcome::Abort,
        }
    }

    /// Whether every one of `paths` was approved for patches for the session.
    pub fn patch_session_approved(&self, paths: &[PathBuf]) -> bool {
        !paths.is_empty() && paths.iter().all(|p| self.patch_paths.contains(p))
    }

    /// Applies the user's answer to a patch approval request about `paths`: whether to apply
    /// (`Some(true)`), not (`Some(false)`), or end the turn (`None`).
    pub fn apply_patch_review(
        &mut self,
        paths: &[PathBuf],
        decision: &ReviewDecision,
    ) -> Option<bool> {
        match decision {
            ReviewDecision::Approved | ReviewDecision::ApprovedWithPrefixRule(_) => Some(true),
            ReviewDecision::ApprovedForSession => {
                self.patch_paths.extend(paths.iter().cloned());
                Some(true)
            }
            ReviewDecision::Denied => Some(false),
            ReviewDecision::Abort => None,
        }
    }

    /// Adds an `allow` rule for `prefix` now and appends it to the rules file (once).
    fn remember_prefix(&mut self, prefix: &[String]) -> Result<(), ExecPolicyError> {
        let rule = PrefixRule::allow(prefix).ok_or(ExecPolicyError::EmptyPrefix)?;
        self.policy.add_rule(rule);
        if let Some(file) = &self.rules_file {
            append_prefix_rule(file, prefix)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "approval_tests.rs"]
mod tests;
