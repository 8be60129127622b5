//! The tool router: turns a model's tool call into events and a tool output item. Every call
//! gets an answer: bad arguments, refusals and failures go back to the model as text.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use base64::Engine;
use codex_protocol::{
    AskForApproval, ContentItem, EventMsg, FileChangeSummary, FunctionCallOutputPayload,
    PatchChangeKind, ResponseItem, ReviewDecision, SandboxMode, TodoItem, ToolStatus,
};
use codex_sandbox::PathAccess;
use codex_tools::apply_patch::{self, FileChangeKind, Hunk};
use codex_tools::exec::{
    ExecCommandParams, ExecEnv, ExecSessionManager, SandboxLaunch, ShellParams, WriteStdinParams,
    run_shell,
};
use codex_tools::truncate::truncate_middle;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::approval::{
    ApprovalState, Attempt, EscalationRequest, ExecDecision, ExecRequest, PatchDecision,
    ReviewOutcome, RunMode, SandboxPermissions, decide_patch,
};
use tokio_util::sync::CancellationToken;

use crate::events::EventSink;

/// Default budget of a tool output sent to the model, in tokens.
pub const DEFAULT_TOOL_OUTPUT_TOKENS: usize = 10_000;

/// Session-wide facts the tools need.
pub struct ToolContext {
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    pub sandbox_mode: SandboxMode,
    /// Roots that may be written under `workspace-write`.
    pub writable_roots: Vec<PathBuf>,
    pub output_token_limit: usize,
    pub exec: ExecSessionManager,
    pub approval_policy: AskForApproval,
    /// The confinement for sandboxed runs; `None` under `danger-full-access`.
    pub sandbox: Option<SandboxLaunch>,
    /// Network is off inside the sandbox (for explaining denials).
    pub network_disabled: bool,
    pub approvals: std::sync::Mutex<ApprovalState>,
    /// Approval requests waiting for the front end's `Op::ExecApproval`, by call id.
    pub pending_approvals: std::sync::Mutex<HashMap<String, oneshot::Sender<ReviewDecision>>>,
}

/// A tool call taken from the model's output.
#[derive(Debug, Clone)]
pub enum ToolCall {
    Function {
        call_id: String,
        name: String,
        arguments: String,
    },
    Custom {
        call_id: String,
        name: String,
        input: String,
    },
}

impl ToolCall {
    pub fn from_item(item: &ResponseItem) -> Option<ToolCall> {
        match item {
            ResponseItem::FunctionCall {
                call_id,
                name,
                arguments,
                ..
            } => Some(ToolCall::Function {
                call_id: call_id.clone(),
                name: name.clone(),
                arguments: arguments.clone(),
            }),
            ResponseItem::CustomToolCall {
                call_id,
                name,
                input,
                ..
            } => Some(ToolCall::Custom {
                call_id: call_id.clone(),
                name: name.clone(),
                input: input.clone(),
            }),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct PlanArgs {
    #[serde(default)]
    explanation: Option<String>,
    plan: Vec<PlanStep>,
}

#[derive(Deserialize)]
struct PlanStep {
    step: String,
    status: PlanStatus,
}

#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum PlanStatus {
    Pending,
    InProgress,
    Completed,
}

#[derive(Deserialize)]
struct ApplyPatchArgs {
    input: String,
}

#[derive(Deserialize)]
struct ViewImageArgs {
    path: PathBuf,
}

/// `(exit code, aggregated output, model text)` of a run, or why it did not run.
type RunResult = Result<(Option<i32>, String, String), String>;

/// The two command tools.
enum Runnable {
    Exec(ExecCommandParams),
    Shell(ShellParams),
}

/// What to do after a run.
enum Retry {
    Done(RunResult),
    Again,
}

impl Runnable {
    fn argv(&self) -> Vec<String> {
        match self {
            Runnable::Exec(p) => p.argv(),
            Runnable::Shell(p) => p.command.clone(),
        }
    }

    fn workdir(&self) -> Option<&Path> {
        match self {
            Runnable::Exec(p) => p.workdir.as_deref(),
            Runnable::Shell(p) => p.workdir.as_deref(),
        }
    }

    /// The patch, when the command is `apply_patch` run through a shell (heredoc or argv).
    fn shell_patch(&self) -> Option<apply_patch::ShellPatch> {
        match self {
            Runnable::Exec(p) => apply_patch::patch_from_shell_script(&p.cmd),
            Runnable::Shell(p) => apply_patch::patch_from_shell_argv(&p.command),
        }
    }

    /// The approval engine's view of the tools' escalation fields.
    fn escalation(&self) -> Option<EscalationRequest> {
        let (permissions, justification, prefix_rule) = match self {
            Runnable::Exec(p) => (p.sandbox_permissions, &p.justification, &p.prefix_rule),
            Runnable::Shell(p) => (p.sandbox_permissions, &p.justification, &p.prefix_rule),
        };
        let permissions = match permissions {
            Some(codex_tools::exec::SandboxPermissions::RequireEscalated) => {
                SandboxPermissions::RequireEscalated
            }
            Some(codex_tools::exec::SandboxPermissions::UseDefault) | None => {
                SandboxPermissions::UseDefault
            }
        };
        EscalationRequest::from_tool_args(permissions, justification.clone(), prefix_rule.clone())
    }
}

/// A command between its begin and end events.
struct RunningCommand {
    started: Instant,
    forward: tokio::task::JoinHandle<()>,
}

/// What a handler produced: the text (or content) for the model.
enum Output {
    Text(String),
    Content(Vec<ContentItem>),
}

impl ToolContext {
    /// Runs a call and returns the output item for the history.
    pub async fn handle(
        &self,
        call: ToolCall,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> ResponseItem {
        match call {
            ToolCall::Custom {
                call_id,
                name,
                input,
            } => {
                let text = if name == "apply_patch" {
                    self.apply_patch(&call_id, &input, sink, cancel).await
                } else {
                    format!("unsupported custom tool call: {name}")
                };
                ResponseItem::CustomToolCallOutput {
                    id: None,
                    call_id,
                    output: self.limit(&text),
                }
            }
            ToolCall::Function {
                call_id,
                name,
                arguments,
            } => {
                let out = self
                    .function(&call_id, &name, &arguments, sink, cancel)
                    .await;
                let output = match out {
                    Output::Text(t) => FunctionCallOutputPayload::Text(self.limit(&t)),
                    Output::Content(c) => FunctionCallOutputPayload::Content(c),
                };
                ResponseItem::FunctionCallOutput {
                    id: None,
                    call_id,
                    output,
                }
            }
        }
    }

    fn limit(&self, text: &str) -> String {
        truncate_middle(text, self.output_token_limit)
    }

    async fn function(
        &self,
        call_id: &str,
        name: &str,
        arguments: &str,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> Output {
        fn parse<T: for<'de> Deserialize<'de>>(name: &str, args: &str) -> Result<T, String> {
            serde_json::from_str(args).map_err(|e| format!("failed to parse {name} arguments: {e}"))
        }
        let text = match name {
            "exec_command" => match parse::<ExecCommandParams>(name, arguments) {
                Ok(p) => self.exec_command(call_id, p, sink, cancel).await,
                Err(e) => e,
            },
            "write_stdin" => match parse::<WriteStdinParams>(name, arguments) {
                Ok(p) => self.write_stdin(call_id, p, sink, cancel).await,
                Err(e) => e,
            },
            "shell" => match parse::<ShellParams>(name, arguments) {
                Ok(p) => self.shell(call_id, p, sink, cancel).await,
                Err(e) => e,
            },
            "apply_patch" => match parse::<ApplyPatchArgs>(name, arguments) {
                Ok(p) => self.apply_patch(call_id, &p.input, sink, cancel).await,
                Err(e) => e,
            },
            "update_plan" => match parse::<PlanArgs>(name, arguments) {
                Ok(p) => {
                    let plan = p
                        .plan
                        .into_iter()
                        .map(|s| TodoItem {
                            text: s.step,
                            completed: s.status == PlanStatus::Completed,
                        })
                        .collect();
                    sink.send(EventMsg::PlanUpdate {
                        explanation: p.explanation,
                        plan,
                    })
                    .await;
                    "Plan updated".to_string()
                }
                Err(e) => e,
            },
            "view_image" => match parse::<ViewImageArgs>(name, arguments) {
                Ok(p) => match self.view_image(&p.path) {
                    Ok(url) => {
                        return Output::Content(vec![ContentItem::InputImage { image_url: url }]);
                    }
                    Err(e) => e,
                },
                Err(e) => e,
            },
            other => format!("unsupported call: {other}"),
        };
        Output::Text(text)
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        normalize(&self.cwd.join(path))
    }

    fn exec_env(&self, workdir: Option<&Path>, mode: RunMode) -> ExecEnv {
        ExecEnv {
            cwd: workdir.map_or_else(|| self.cwd.clone(), |w| self.resolve(w)),
            env: self.env.clone(),
            sandbox: match mode {
                RunMode::Sandboxed => self.sandbox.clone(),
                RunMode::Unsandboxed => None,
            },
        }
    }

    /// Delivers the front end's answer to a pending approval request.
    pub fn resolve_approval(&self, call_id: &str, decision: ReviewDecision) {
        let pending = self
            .pending_approvals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(call_id);
        if let Some(tx) = pending {
            let _ = tx.send(decision);
        }
    }

    /// Sends an approval request and waits for the front end's answer (`Op::ExecApproval` /
    /// `Op::PatchApproval` with this `call_id`). `Err` when the turn is interrupted first.
    async fn ask(
        &self,
        call_id: &str,
        request: EventMsg,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<ReviewDecision, String> {
        let (tx, rx) = oneshot::channel();
        self.pending_approvals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(call_id.to_string(), tx);
        sink.send(request).await;
        tokio::select! {
            a = rx => Ok(a.unwrap_or(ReviewDecision::Denied)),
            () = cancel.cancelled() => Err("the turn was interrupted".into()),
        }
    }

    /// Decides whether and how `argv` may run: from the approval policy, exec-policy rules,
    /// the safe-command list and earlier answers, asking the front end when needed.
    /// `Err` is the reason it does not run (sent to the model).
    async fn authorize(
        &self,
        call_id: &str,
        argv: &[String],
        escalation: Option<&EscalationRequest>,
        attempt: Attempt,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<RunMode, String> {
        let decision = self
            .approvals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .decide(&ExecRequest {
                approval_policy: self.approval_policy,
                sandbox_mode: self.sandbox_mode,
                command: argv,
                escalation,
                attempt,
            });
        let unconfined = self.sandbox.is_none();
        match decision {
            ExecDecision::RunSandboxed if unconfined => Ok(RunMode::Unsandboxed),
            ExecDecision::RunSandboxed => Ok(RunMode::Sandboxed),
            ExecDecision::RunUnsandboxed => Ok(RunMode::Unsandboxed),
            ExecDecision::Reject { reason } => Err(reason),
            ExecDecision::Ask {
                reason,
                proposed_prefix_rule,
                on_approval,
            } => {
                let request = EventMsg::ExecApprovalRequest {
                    call_id: call_id.to_string(),
                    command: argv.to_vec(),
                    cwd: self.cwd.clone(),
                    reason,
                    proposed_prefix_rule,
                };
                let answer = self.ask(call_id, request, sink, cancel).await?;
                let outcome = self
                    .approvals
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .apply_review(argv, &answer, on_approval);
                match outcome {
                    ReviewOutcome::Run {
                        mode,
                        persist_error,
                    } => {
                        if let Some(e) = persist_error {
                            sink.send(EventMsg::Warning {
                                message: format!("could not save the approved rule: {e}"),
                            })
                            .await;
                        }
                        Ok(mode)
                    }
                    ReviewOutcome::Denied => Err("The user declined to run this command.".into()),
                    ReviewOutcome::Abort => {
                        cancel.cancel();
                        Err("The user declined and stopped the turn.".into())
                    }
                }
            }
        }
    }

    /// Why a sandboxed run probably failed because of the sandbox.
    fn denial(&self, mode: RunMode, result: &RunResult) -> Option<&'static str> {
        match (mode, result) {
            (RunMode::Sandboxed, Ok((Some(code), output, _))) if *code != 0 => {
                codex_sandbox::sandbox_denial_reason(*code, output, self.network_disabled)
            }
            _ => None,
        }
    }

    async fn exec_command(
        &self,
        call_id: &str,
        params: ExecCommandParams,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> String {
        self.run_command(call_id, Runnable::Exec(params), sink, cancel)
            .await
    }

    async fn write_stdin(
        &self,
        call_id: &str,
        params: WriteStdinParams,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> String {
        let max_tokens = params.max_output_tokens;
        let (tx, forward) = self.forward_deltas(call_id, sink);
        let on_output = move |b: &[u8]| {
            let _ = tx.try_send(b.to_vec());
        };
        let result = self
            .exec
            .write_stdin(params, cancel.clone(), &on_output)
            .await;
        drop(on_output);
        let _ = forward.await;
        match result {
            Ok(out) => out.to_model_text(max_tokens),
            Err(e) => format!("write_stdin failed: {e}"),
        }
    }

    async fn shell(
        &self,
        call_id: &str,
        params: ShellParams,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> String {
        self.run_command(call_id, Runnable::Shell(params), sink, cancel)
            .await
    }

    /// Runs a command with begin/end events (an `apply_patch` through a shell is applied as a
    /// patch instead): decides how (approvals), runs it in the sandbox
    /// or not, and on a sandbox denial retries outside it when the policy allows.
    async fn run_command(
        &self,
        call_id: &str,
        runnable: Runnable,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> String {
        if let Some(patch) = runnable.shell_patch() {
            return self
                .shell_patch(call_id, patch, runnable.workdir(), sink, cancel)
                .await;
        }
        let argv = runnable.argv();
        let escalation = runnable.escalation();
        let workdir = runnable.workdir();
        let command = display_command(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        let cwd = self.exec_env(workdir, RunMode::Unsandboxed).cwd;
        let (tx, run) = self.exec_begin(call_id, &command, &cwd, sink).await;
        let on_output = move |b: &[u8]| {
            let _ = tx.try_send(b.to_vec());
        };
        let mut attempt = Attempt::First;
        let result = loop {
            let mode = match self
                .authorize(call_id, &argv, escalation.as_ref(), attempt, sink, cancel)
                .await
            {
                Ok(mode) => mode,
                Err(reason) => break Err(reason),
            };
            let env = self.exec_env(workdir, mode);
            let result: RunResult = match &runnable {
                Runnable::Exec(params) => {
                    let max_tokens = params.max_output_tokens;
                    match self
                        .exec
                        .exec_command(params.clone(), &env, cancel.clone(), &on_output)
                        .await
                    {
                        Ok(out) => Ok((
                            out.exit_code,
                            out.output.clone(),
                            out.to_model_text(max_tokens),
                        )),
                        Err(e) => Err(format!("exec_command failed: {e:#}")),
                    }
                }
                Runnable::Shell(params) => {
                    match run_shell(params.clone(), &env, cancel.clone(), &on_output).await {
                        Ok(out) => Ok((
                            Some(out.exit_code),
                            out.aggregated_output.clone(),
                            out.to_model_text(None),
                        )),
                        Err(e) => Err(format!("shell failed: {e:#}")),
                    }
                }
            };
            match self.retry_after_denial(mode, attempt, result) {
                Retry::Done(result) => break result,
                Retry::Again => attempt = Attempt::RetryAfterSandboxFailure,
            }
        };
        drop(on_output);
        self.exec_end(call_id, command, run, result, sink).await
    }

    /// After a run: when the sandbox blocked a first attempt and the policy may allow a retry
    /// outside it (`on-failure`), run again; otherwise tell the model why it failed.
    fn retry_after_denial(&self, mode: RunMode, attempt: Attempt, result: RunResult) -> Retry {
        let Some(reason) = self.denial(mode, &result) else {
            return Retry::Done(result);
        };
        if attempt == Attempt::First && self.approval_policy == AskForApproval::OnFailure {
            return Retry::Again;
        }
        Retry::Done(
            result.map(|(code, output, text)| {
                (code, output, format!("{text}\n\n[sandbox] {reason}"))
            }),
        )
    }

    /// Spawns a task that turns output chunks into `ExecCommandOutputDelta` events.
    fn forward_deltas(
        &self,
        call_id: &str,
        sink: &EventSink,
    ) -> (mpsc::Sender<Vec<u8>>, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(256);
        let sink = sink.clone();
        let call_id = call_id.to_string();
        let forward = tokio::spawn(async move {
            while let Some(chunk) = rx.recv().await {
                sink.send(EventMsg::ExecCommandOutputDelta {
                    call_id: call_id.clone(),
                    chunk: String::from_utf8_lossy(&chunk).into_owned(),
                })
                .await;
            }
        });
        (tx, forward)
    }

    /// Emits `ExecCommandBegin` and starts forwarding output deltas.
    async fn exec_begin(
        &self,
        call_id: &str,
        command: &str,
        cwd: &Path,
        sink: &EventSink,
    ) -> (mpsc::Sender<Vec<u8>>, RunningCommand) {
        sink.send(EventMsg::ExecCommandBegin {
            call_id: call_id.to_string(),
            command: command.to_string(),
            cwd: cwd.to_path_buf(),
        })
        .await;
        let (tx, forward) = self.forward_deltas(call_id, sink);
        (
            tx,
            RunningCommand {
                started: Instant::now(),
                forward,
            },
        )
    }

    /// Emits `ExecCommandEnd`. `result` is `(exit code, aggregated output, model text)` or a
    /// refusal/failure text; returns the model text.
    async fn exec_end(
        &self,
        call_id: &str,
        command: String,
        run: RunningCommand,
        result: Result<(Option<i32>, String, String), String>,
        sink: &EventSink,
    ) -> String {
        let _ = run.forward.await;
        let duration_ms = run.started.elapsed().as_millis() as u64;
        let (exit_code, aggregated_output, status, text) = match result {
            Ok((code, output, text)) => {
                let status = if code.is_none_or(|c| c == 0) {
                    ToolStatus::Completed
                } else {
                    ToolStatus::Failed
                };
                (code, output, status, text)
            }
            Err(reason) => (None, reason.clone(), ToolStatus::Failed, reason),
        };
        sink.send(EventMsg::ExecCommandEnd {
            call_id: call_id.to_string(),
            command,
            exit_code,
            aggregated_output,
            duration_ms,
            status,
        })
        .await;
        text
    }

    async fn shell_patch(
        &self,
        call_id: &str,
        shell_patch: apply_patch::ShellPatch,
        workdir: Option<&Path>,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> String {
        let base = workdir.map_or_else(|| self.cwd.clone(), |w| self.resolve(w));
        let dir = shell_patch
            .workdir
            .as_deref()
            .map_or(base.clone(), |d| normalize(&base.join(d)));
        self.apply_patch_in(call_id, &shell_patch.patch, &dir, sink, cancel)
            .await
    }

    async fn apply_patch(
        &self,
        call_id: &str,
        input: &str,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> String {
        self.apply_patch_in(call_id, input, &self.cwd.clone(), sink, cancel)
            .await
    }

    /// Whether a patch writing `targets` may be applied: from the approval policy, the
    /// sandbox's verdict on each target and earlier answers, asking the front end when
    /// needed. `Err` is the reason it is not applied (sent to the model).
    async fn authorize_patch(
        &self,
        call_id: &str,
        changes: &[FileChangeSummary],
        targets: &[PathBuf],
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<(), String> {
        let blocked = targets.iter().find_map(|t| self.write_allowed(t).err());
        let decision = {
            let approvals = self
                .approvals
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            decide_patch(
                self.approval_policy,
                blocked.as_deref(),
                approvals.patch_session_approved(targets),
            )
        };
        let reason = match decision {
            PatchDecision::Apply => return Ok(()),
            PatchDecision::Reject { reason } => return Err(reason),
            PatchDecision::Ask { reason } => reason,
        };
        let request = EventMsg::ApplyPatchApprovalRequest {
            call_id: call_id.to_string(),
            changes: changes.to_vec(),
            reason,
        };
        let answer = self.ask(call_id, request, sink, cancel).await?;
        let verdict = self
            .approvals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .apply_patch_review(targets, &answer);
        match verdict {
            Some(true) => Ok(()),
            Some(false) => Err("The user declined to apply this patch.".into()),
            None => {
                cancel.cancel();
                Err("The user declined and stopped the turn.".into())
            }
        }
    }

    /// Whether `path` may be written under the current sandbox mode.
    fn write_allowed(&self, path: &Path) -> Result<(), String> {
        match self.sandbox_mode {
            SandboxMode::DangerFullAccess => Ok(()),
            SandboxMode::ReadOnly => Err(format!(
                "patch rejected: sandbox_mode is `read-only`, so {} cannot be written. Re-run with `--sandbox workspace-write` to allow edits.",
                path.display()
            )),
            SandboxMode::WorkspaceWrite => {
                let Some(root) = self.writable_roots.iter().find(|r| path.starts_with(r)) else {
                    return Err(format!(
                        "patch rejected: {} is outside the writable roots ({})",
                        path.display(),
                        self.writable_roots
                            .iter()
                            .map(|r| r.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                };
                let rel = path.strip_prefix(root).unwrap_or(path);
                if let Some(Component::Normal(first)) = rel.components().next()
                    && [".git", ".codex", ".agents"].iter().any(|p| first == *p)
                {
                    return Err(format!(
                        "patch rejected: {} is inside a protected directory ({}) that stays read-only",
                        path.display(),
                        first.to_string_lossy()
                    ));
                }
                // A permissions profile's read-only and hidden paths inside the writable roots.
                if let Some(launch) = &self.sandbox
                    && launch.policy.has_path_rules()
                {
                    match crate::permissions::effective_access(&launch.policy, path) {
                        PathAccess::Write => {}
                        PathAccess::Read => {
                            return Err(format!(
                                "patch rejected: {} is read-only under the permissions profile",
                                path.display()
                            ));
                        }
                        PathAccess::None => {
                            return Err(format!(
                                "patch rejected: {} is hidden by the permissions profile (no access)",
                                path.display()
                            ));
                        }
                    }
                }
                Ok(())
            }
        }
    }

    async fn apply_patch_in(
        &self,
        call_id: &str,
        input: &str,
        dir: &Path,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> String {
        let started = Instant::now();
        let patch = match apply_patch::parse_patch(input) {
            Ok(p) => p,
            Err(e) => {
                let msg = format!("apply_patch verification failed: invalid patch: {e}");
                self.patch_end(call_id, Vec::new(), ToolStatus::Failed, &msg, sink)
                    .await;
                return msg;
            }
        };
        let planned: Vec<FileChangeSummary> = patch
            .hunks
            .iter()
            .map(|h| match h {
                Hunk::AddFile { path, contents } => FileChangeSummary {
                    path: normalize(&dir.join(path)),
                    kind: PatchChangeKind::Add,
                    diff: contents.clone(),
                    move_path: None,
                },
                Hunk::DeleteFile { path } => FileChangeSummary {
                    path: normalize(&dir.join(path)),
                    kind: PatchChangeKind::Delete,
                    diff: String::new(),
                    move_path: None,
                },
                Hunk::UpdateFile {
                    path, move_path, ..
                } => FileChangeSummary {
                    path: normalize(&dir.join(path)),
                    kind: PatchChangeKind::Update,
                    diff: String::new(),
                    move_path: move_path.as_ref().map(|m| normalize(&dir.join(m))),
                },
            })
            .collect();
        let targets: Vec<PathBuf> = planned
            .iter()
            .flat_map(|c| std::iter::once(c.path.clone()).chain(c.move_path.clone()))
            .collect();
        let authorized = self
            .authorize_patch(call_id, &planned, &targets, sink, cancel)
            .await;
        sink.send(EventMsg::PatchApplyBegin {
            call_id: call_id.to_string(),
            changes: planned.clone(),
        })
        .await;
        if let Err(msg) = authorized {
            self.patch_end(call_id, planned.clone(), ToolStatus::Failed, &msg, sink)
                .await;
            return msg;
        }
        let dir_owned = dir.to_path_buf();
        let applied =
            tokio::task::spawn_blocking(move || apply_patch::apply_patch(&patch, &dir_owned)).await;
        match applied {
            Ok(Ok(applied)) => {
                let summary = applied.summary(dir);
                let changes = applied
                    .changes
                    .iter()
                    .map(|c| match &c.kind {
                        FileChangeKind::Add { content } => FileChangeSummary {
                            path: c.path.clone(),
                            kind: PatchChangeKind::Add,
                            diff: content.clone(),
                            move_path: None,
                        },
                        FileChangeKind::Delete { content } => FileChangeSummary {
                            path: c.path.clone(),
                            kind: PatchChangeKind::Delete,
                            diff: content.clone(),
                            move_path: None,
                        },
                        FileChangeKind::Update {
                            unified_diff,
                            move_path,
                        } => FileChangeSummary {
                            path: c.path.clone(),
                            kind: PatchChangeKind::Update,
                            diff: unified_diff.clone(),
                            move_path: move_path.clone(),
                        },
                    })
                    .collect();
                self.patch_end(call_id, changes, ToolStatus::Completed, &summary, sink)
                    .await;
                format!(
                    "Exit code: 0\nWall time: {:.1} seconds\nOutput:\n{summary}",
                    started.elapsed().as_secs_f64()
                )
            }
            Ok(Err(e)) => {
                let msg = format!("apply_patch verification failed: {e}");
                self.patch_end(call_id, planned, ToolStatus::Failed, &msg, sink)
                    .await;
                msg
            }
            Err(e) => {
                let msg = format!("apply_patch failed: {e}");
                self.patch_end(call_id, planned, ToolStatus::Failed, &msg, sink)
                    .await;
                msg
            }
        }
    }

    async fn patch_end(
        &self,
        call_id: &str,
        changes: Vec<FileChangeSummary>,
        status: ToolStatus,
        output: &str,
        sink: &EventSink,
    ) {
        sink.send(EventMsg::PatchApplyEnd {
            call_id: call_id.to_string(),
            changes,
            status,
            output: output.to_string(),
        })
        .await;
    }

    /// Reads an image and returns a `data:` URL.
    fn view_image(&self, path: &Path) -> Result<String, String> {
        let path = self.resolve(path);
        if let Some(launch) = &self.sandbox
            && crate::permissions::effective_access(&launch.policy, &path) == PathAccess::None
        {
            return Err(format!(
                "view_image: {} is hidden by the permissions profile (no access)",
                path.display()
            ));
        }
        let mime = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("gif") => "image/gif",
            Some("webp") => "image/webp",
            _ => {
                return Err(format!(
                    "view_image: {} is not a supported image (png, jpeg, gif, webp)",
                    path.display()
                ));
            }
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("view_image: cannot read {}: {e}", path.display()))?;
        Ok(data_url(mime, &bytes))
    }
}

/// `data:<mime>;base64,<bytes>`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Shell-quoted display form, e.g. `/bin/bash -lc 'ls -1'`.
pub fn display_command(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| shlex::try_quote(a).map_or_else(|_| (*a).to_string(), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lexical normalisation: drops `.` and resolves `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}
