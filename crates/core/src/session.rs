//! The agent session: a tokio task that reads [`Op`]s, runs turns (model request → tool calls →
//! outputs → next request, until the model answers without tool calls) and emits [`Event`]s.

use std::path::PathBuf;
use std::sync::Arc;

use codex_client::{
    ClientAuth, ClientError, ClientIdentity, ModelClient, Prompt, Replay, backoff, text_param,
};
use codex_config::models::{ModelInfo, model_info};
use codex_config::{Config, Env};
use codex_protocol::{
    BaseInstructions, ContentItem, Event, EventMsg, GitInfo, Op, ReasoningSummary,
    ReasoningSummaryPart, ResponseEvent, ResponseItem, RolloutItem, SandboxMode, SandboxPolicyItem,
    SessionMeta, TokenUsage, TokenUsageInfo, TurnContextItem, UserInput,
};
use codex_tools::exec::SandboxLaunch;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;

use crate::approval::ApprovalState;
use crate::context::{
    BASE_INSTRUCTIONS, PermissionsInfo, ProfileSummary, discover_project_docs, environment_context,
    permissions_text, project_docs_message,
};
use crate::error::CodexError;
use crate::events::{EventSink, SharedRecorder};
use crate::rollout::{RolloutRecorder, load_rollout, timestamp_now};
use crate::tool_specs::{ToolsConfig, tool_specs};
use crate::tools::{DEFAULT_TOOL_OUTPUT_TOKENS, ToolCall, ToolContext, data_url};

/// How to start a session.
pub struct SessionParams {
    pub config: Config,
    /// The process environment (commands get it filtered by `shell_environment_policy`).
    pub env: Env,
    /// Write no rollout.
    pub ephemeral: bool,
    /// JSON Schema for the final answer (`--output-schema`).
    pub output_schema: Option<Value>,
    /// Continue this recorded session.
    pub resume: Option<PathBuf>,
    pub identity: ClientIdentity,
    /// `exec`, `cli`, `mcp`: recorded in `session_meta.source`.
    pub source: String,
    pub cli_version: String,
    /// Our own executable, re-executed as the Landlock + seccomp fallback sandbox.
    pub codex_exe: PathBuf,
}

/// Facts about the started session, for the front end's header.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub thread_id: String,
    pub rollout_path: Option<PathBuf>,
    pub model_info: ModelInfo,
    pub writable_roots: Vec<PathBuf>,
    /// Warnings to show before the first turn (unknown model, unknown config keys).
    pub warnings: Vec<String>,
    /// The sandbox backend's caveat (the Landlock fallback is weaker), for stderr.
    pub sandbox_warning: Option<String>,
}

/// The front end's handle: submit ops, read events.
pub struct Codex {
    tx_op: mpsc::Sender<Op>,
    rx_event: mpsc::Receiver<Event>,
    task: tokio::task::JoinHandle<()>,
}

impl Codex {
    /// Starts the session task. Emits `SessionConfigured` first.
    pub async fn spawn(params: SessionParams) -> Result<(Codex, SessionInfo), CodexError> {
        let (tx_op, rx_op) = mpsc::channel(64);
        let (tx_event, rx_event) = mpsc::channel(512);
        let (state, info) = Session::new(params, tx_event).await?;
        let task = tokio::spawn(state.run(rx_op));
        Ok((
            Codex {
                tx_op,
                rx_event,
                task,
            },
            info,
        ))
    }

    /// Queues an op; fails only when the session has ended.
    pub async fn submit(&self, op: Op) -> Result<(), CodexError> {
        self.tx_op
            .send(op)
            .await
            .map_err(|_| CodexError::SessionNotFound("session has ended".into()))
    }

    /// A cloneable sender for ops (e.g. for a Ctrl-C handler).
    pub fn op_sender(&self) -> mpsc::Sender<Op> {
        self.tx_op.clone()
    }

    /// The next event; `None` once the session task has ended.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.rx_event.recv().await
    }

    /// Waits for the session task to end (after `Shutdown`).
    pub async fn join(self) {
        drop(self.tx_op);
        let _ = self.task.await;
    }
}

/// State owned by the session task.
struct Session {
    config: Config,
    client: ModelClient,
    model_info: ModelInfo,
    thread_id: String,
    base_instructions: String,
    history: Vec<ResponseItem>,
    total_usage: TokenUsage,
    tools: Arc<ToolContext>,
    tool_specs: Vec<Value>,
    sink: EventSink,
    output_schema: Option<Value>,
    permissions: PermissionsInfo,
    turn_counter: u64,
}

/// Why a sampling request ended without a response.
enum TurnError {
    Interrupted,
    Client(ClientError),
}

fn git_info(cwd: &std::path::Path) -> Option<GitInfo> {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(cwd)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit_hash = run(&["rev-parse", "HEAD"]);
    let branch = run(&["rev-parse", "--abbrev-ref", "HEAD"]);
    (commit_hash.is_some() || branch.is_some()).then_some(GitInfo {
        commit_hash,
        branch,
    })
}

impl Session {
    async fn new(
        params: SessionParams,
        tx_event: mpsc::Sender<Event>,
    ) -> Result<(Session, SessionInfo), CodexError> {
        let SessionParams {
            config,
            env,
            ephemeral,
            output_schema,
            resume,
            identity,
            source,
            cli_version,
            codex_exe,
        } = params;
        let model_info = model_info(&config.model);
        let mut warnings = Vec::new();
        if !model_info.known {
            warnings.push(format!(
                "Model metadata for `{}` not found. Using fallback metadata (no reasoning settings, apply_patch as a JSON function tool); this may degrade performance.",
                config.model
            ));
        }
        for key in &config.unknown_keys {
            warnings.push(format!("unknown config key `{key}` ignored"));
        }
        let replay = match config.model_provider_id.as_str() {
            "replay" => {
                let path = config.replay_file.clone().ok_or_else(|| {
                    CodexError::SessionNotFound("replay provider needs `replay_file`".into())
                })?;
                Some(Replay::load(&path)?)
            }
            _ => None,
        };
        let http = codex_auth::http_client_builder(&env)?
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| CodexError::Http(format!("{e:#}")))?;
        let auth = if replay.is_some() {
            ClientAuth::None
        } else {
            crate::auth::client_auth(&config, &env, &http)?
        };
        let headers = config.model_provider.resolved_headers(&env);
        let client = ModelClient::new(
            http,
            config.model_provider.clone(),
            auth,
            headers,
            identity.clone(),
            replay,
        );

        let child_env = config
            .shell_environment_policy
            .apply(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        // The permissions profile (or the one derived from `sandbox_mode`) decides the policy.
        let sandbox_policy = crate::permissions::sandbox_policy(
            &config.permissions,
            child_env.get("TMPDIR").map(PathBuf::from),
        );
        if let Some(note) = &config.permissions.note {
            warnings.push(note.clone());
        }
        let mut roots: Vec<PathBuf> = Vec::new();
        for r in sandbox_policy.requested_writable_roots() {
            let r = crate::tools::normalize(&config.cwd.join(r));
            if !roots.contains(&r) {
                roots.push(r);
            }
        }
        let permissions = PermissionsInfo {
            sandbox_mode: config.sandbox_mode,
            approval_policy: config.approval_policy,
            network_access: sandbox_policy.has_network(),
            writable_roots: match config.sandbox_mode {
                SandboxMode::WorkspaceWrite => roots.clone(),
                SandboxMode::ReadOnly | SandboxMode::DangerFullAccess => Vec::new(),
            },
            profile: ProfileSummary::of(&config.permissions, &sandbox_policy),
        };
        let sandbox_warning = (!sandbox_policy.is_unconfined())
            .then(|| codex_sandbox::probe().warning())
            .flatten()
            .map(str::to_string);
        let sandbox = (!sandbox_policy.is_unconfined()).then(|| SandboxLaunch {
            policy: sandbox_policy.clone(),
            codex_exe,
        });
        // An invalid rules file stops the session: silently dropping a `forbidden` rule
        // because of a typo elsewhere in the file would run what the user forbade.
        let approvals = ApprovalState::load(&config.codex_home)
            .map_err(|e| CodexError::Rules(e.to_string()))?;
        let tools = Arc::new(ToolContext {
            cwd: config.cwd.clone(),
            env: child_env,
            sandbox_mode: config.sandbox_mode,
            writable_roots: roots.clone(),
            output_token_limit: config
                .tool_output_token_limit
                .unwrap_or(DEFAULT_TOOL_OUTPUT_TOKENS),
            exec: codex_tools::exec::ExecSessionManager::new(),
            approval_policy: config.approval_policy,
            sandbox,
            network_disabled: !sandbox_policy.has_network(),
            approvals: std::sync::Mutex::new(approvals),
            pending_approvals: std::sync::Mutex::new(std::collections::HashMap::new()),
        });
        let tools_config = ToolsConfig::new(
            &model_info,
            config.model_provider.wire_api,
            config.include_plan_tool,
        );
        let tool_specs = tool_specs(&tools_config);

        // A new thread or a resumed one.
        let (thread_id, history, total_usage, recorder, base_instructions, history_turns) =
            match &resume {
                Some(path) => {
                    let loaded = load_rollout(path)?;
                    let recorder = if ephemeral {
                        None
                    } else {
                        Some(RolloutRecorder::open(path, loaded.lines).await?)
                    };
                    let base = loaded
                        .meta
                        .base_instructions
                        .as_ref()
                        .map(|b| b.text.clone())
                        .unwrap_or_else(|| base_text(&config));
                    let turns = loaded
                        .history
                        .iter()
                        .filter(
                            |i| matches!(i, ResponseItem::Message { role, .. } if role == "user"),
                        )
                        .count();
                    (
                        loaded.meta.id.clone(),
                        loaded.history,
                        loaded.total_usage,
                        recorder,
                        base,
                        turns,
                    )
                }
                None => {
                    let thread_id = uuid::Uuid::now_v7().to_string();
                    let recorder = if ephemeral {
                        None
                    } else {
                        Some(RolloutRecorder::create(&config.codex_home, &thread_id).await?)
                    };
                    (
                        thread_id,
                        Vec::new(),
                        TokenUsage::default(),
                        recorder,
                        base_text(&config),
                        0,
                    )
                }
            };
        let rollout_path = recorder.as_ref().map(|r| r.path().to_path_buf());
        let recorder: SharedRecorder = Arc::new(Mutex::new(recorder));
        let sink = EventSink::new(tx_event, recorder, String::new());
        let mut session = Session {
            client,
            model_info: model_info.clone(),
            thread_id: thread_id.clone(),
            base_instructions,
            history,
            total_usage,
            tools,
            tool_specs,
            sink,
            output_schema,
            permissions,
            turn_counter: 0,
            config,
        };
        if resume.is_none() {
            let meta = SessionMeta {
                id: thread_id.clone(),
                session_id: thread_id.clone(),
                timestamp: timestamp_now(),
                cwd: session.config.cwd.clone(),
                originator: identity.originator.clone(),
                cli_version,
                source,
                model_provider: Some(session.config.model_provider_id.clone()),
                base_instructions: Some(BaseInstructions {
                    text: session.base_instructions.clone(),
                }),
                git: git_info(&session.config.cwd),
            };
            session.sink.record(RolloutItem::SessionMeta(meta)).await;
            for item in session.initial_context() {
                session.push_history(item).await;
            }
        }
        session
            .sink
            .send(EventMsg::SessionConfigured {
                session_id: thread_id.clone(),
                model: session.config.model.clone(),
                model_provider_id: session.config.model_provider_id.clone(),
                cwd: session.config.cwd.clone(),
                approval_policy: session.config.approval_policy,
                sandbox_mode: session.config.sandbox_mode,
                reasoning_effort: session.reasoning_effort(),
                rollout_path: rollout_path.clone(),
                history_turns,
            })
            .await;
        let info = SessionInfo {
            thread_id,
            rollout_path,
            model_info,
            writable_roots: roots,
            warnings,
            sandbox_warning,
        };
        Ok((session, info))
    }

    fn reasoning_effort(&self) -> Option<codex_protocol::ReasoningEffort> {
        if !self.model_info.supports_reasoning {
            return None;
        }
        self.config
            .model_reasoning_effort
            .or(self.model_info.default_reasoning_effort)
    }

    /// Developer and user context messages recorded at the start of a thread.
    fn initial_context(&self) -> Vec<ResponseItem> {
        let mut items = vec![ResponseItem::text_message(
            "developer",
            permissions_text(&self.permissions),
        )];
        if let Some(dev) = &self.config.developer_instructions {
            items.push(ResponseItem::text_message("developer", dev.clone()));
        }
        let docs = discover_project_docs(
            &self.config.codex_home,
            &self.config.cwd,
            &self.config.project_doc_fallback_filenames,
            self.config.project_doc_max_bytes,
        );
        items.extend(project_docs_message(&self.config.cwd, &docs));
        let now = jiff::Zoned::now();
        let shell = self
            .tools
            .env
            .get("SHELL")
            .and_then(|s| s.rsplit('/').next())
            .unwrap_or("bash")
            .to_string();
        items.push(ResponseItem::text_message(
            "user",
            environment_context(
                &self.config.cwd,
                &shell,
                &now.strftime("%Y-%m-%d").to_string(),
                now.time_zone().iana_name().unwrap_or("UTC"),
                &self.permissions,
            ),
        ));
        items
    }

    async fn push_history(&mut self, item: ResponseItem) {
        self.sink
            .record(RolloutItem::ResponseItem(item.clone()))
            .await;
        self.history.push(item);
    }

    async fn run(mut self, mut rx_op: mpsc::Receiver<Op>) {
        while let Some(op) = rx_op.recv().await {
            match op {
                Op::UserTurn { items } => {
                    let cancel = CancellationToken::new();
                    // Ops that arrive during the turn: Interrupt cancels it, Shutdown cancels
                    // and ends the session afterwards.
                    let mut shutdown = false;
                    let tools = Arc::clone(&self.tools);
                    {
                        let turn = self.run_turn(items, cancel.clone());
                        tokio::pin!(turn);
                        loop {
                            tokio::select! {
                                () = &mut turn => break,
                                op = rx_op.recv() => match op {
                                    Some(Op::Interrupt) => cancel.cancel(),
                                    Some(
                                        Op::ExecApproval { id, decision }
                                        | Op::PatchApproval { id, decision },
                                    ) => {
                                        tools.resolve_approval(&id, decision);
                                    }
                                    Some(Op::Shutdown) | None => {
                                        shutdown = true;
                                        cancel.cancel();
                                    }
                                    Some(Op::UserTurn { .. }) => {
                                        tracing::warn!("a turn is already running; input ignored");
                                    }
                                },
                            }
                        }
                    }
                    if shutdown {
                        break;
                    }
                }
                Op::Interrupt | Op::ExecApproval { .. } | Op::PatchApproval { .. } => {}
                Op::Shutdown => break,
            }
        }
        self.tools.exec.terminate_all().await;
        self.sink.send(EventMsg::ShutdownComplete).await;
    }

    async fn run_turn(&mut self, items: Vec<UserInput>, cancel: CancellationToken) {
        self.turn_counter += 1;
        let turn_id = format!("{}:{}", self.thread_id, self.turn_counter);
        let sink = self.sink.with_id(&turn_id);
        sink.send(EventMsg::TaskStarted {
            turn_id: turn_id.clone(),
            model_context_window: self
                .model_info
                .context_window
                .or(self.config.model_context_window),
        })
        .await;
        sink.record(RolloutItem::TurnContext(TurnContextItem {
            turn_id: turn_id.clone(),
            cwd: self.config.cwd.clone(),
            approval_policy: self.config.approval_policy,
            sandbox_policy: SandboxPolicyItem {
                mode: self.config.sandbox_mode,
                writable_roots: self.permissions.writable_roots.clone(),
                network_access: self.permissions.network_access,
            },
            model: self.config.model.clone(),
            effort: self.reasoning_effort(),
            summary: self.config.model_reasoning_summary,
        }))
        .await;
        let mut content = Vec::new();
        let mut text_parts = Vec::new();
        for input in items {
            match input {
                UserInput::Text { text } => {
                    text_parts.push(text.clone());
                    content.push(ContentItem::InputText { text });
                }
                UserInput::LocalImage { path } => match std::fs::read(&path) {
                    Ok(bytes) => {
                        let mime = match path.extension().and_then(|e| e.to_str()) {
                            Some("jpg" | "jpeg") => "image/jpeg",
                            Some("gif") => "image/gif",
                            Some("webp") => "image/webp",
                            _ => "image/png",
                        };
                        content.push(ContentItem::InputImage {
                            image_url: data_url(mime, &bytes),
                        });
                    }
                    Err(e) => {
                        sink.send(EventMsg::Warning {
                            message: format!("cannot read image {}: {e}", path.display()),
                        })
                        .await;
                    }
                },
            }
        }
        self.push_history(ResponseItem::Message {
            id: None,
            role: "user".into(),
            content,
            status: None,
        })
        .await;
        sink.send(EventMsg::UserMessage {
            message: text_parts.join("\n"),
        })
        .await;

        let mut last_agent_message: Option<String> = None;
        loop {
            let outputs = match self.sample_with_retries(&sink, &cancel).await {
                Ok(o) => o,
                Err(TurnError::Interrupted) => {
                    self.tools.exec.terminate_all().await;
                    sink.send(EventMsg::TurnAborted {
                        reason: "interrupted".into(),
                    })
                    .await;
                    return;
                }
                Err(TurnError::Client(e)) => {
                    sink.send(EventMsg::Error {
                        message: e.to_string(),
                    })
                    .await;
                    return;
                }
            };
            let mut calls = Vec::new();
            for item in &outputs {
                if let Some(call) = ToolCall::from_item(item) {
                    calls.push(call);
                }
                if let ResponseItem::Message { role, .. } = item
                    && role == "assistant"
                {
                    last_agent_message = item.message_text();
                }
            }
            if calls.is_empty() {
                break;
            }
            for call in calls {
                if cancel.is_cancelled() {
                    break;
                }
                let output = self.tools.handle(call, &sink, &cancel).await;
                self.push_history(output).await;
            }
            if cancel.is_cancelled() {
                self.tools.exec.terminate_all().await;
                sink.send(EventMsg::TurnAborted {
                    reason: "interrupted".into(),
                })
                .await;
                return;
            }
        }
        sink.send(EventMsg::TaskComplete { last_agent_message })
            .await;
    }

    fn prompt(&self) -> Prompt {
        let mut input = Vec::with_capacity(self.history.len() + 1);
        input.push(ResponseItem::text_message(
            "developer",
            self.base_instructions.clone(),
        ));
        input.extend(self.history.iter().cloned());
        let reasoning = self.reasoning_effort().map(|effort| {
            let mut r = json!({"effort": effort.as_str()});
            if let Some(summary) = self.config.model_reasoning_summary
                && summary != ReasoningSummary::None
            {
                r["summary"] = json!(summary.as_str());
            }
            r
        });
        let verbosity = self
            .config
            .model_verbosity
            .or(self.model_info.default_verbosity)
            .filter(|_| self.model_info.known);
        Prompt {
            model: self.config.model.clone(),
            input,
            tools: self.tool_specs.clone(),
            parallel_tool_calls: self.model_info.supports_parallel_tool_calls,
            reasoning,
            text: text_param(verbosity.map(|v| v.as_str()), self.output_schema.as_ref()),
            thread_id: self.thread_id.clone(),
        }
    }

    /// The stream layer: retries retryable failures up to `stream_max_retries`, telling the
    /// user `Reconnecting... N/M (reason)` each time.
    async fn sample_with_retries(
        &mut self,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<Vec<ResponseItem>, TurnError> {
        let max = self.config.model_provider.stream_max_retries;
        let mut attempt = 0;
        loop {
            match self.sample(sink, cancel).await {
                Ok(items) => return Ok(items),
                Err(TurnError::Client(e)) if e.is_retryable() && attempt < max => {
                    attempt += 1;
                    let delay = e.retry_after().unwrap_or_else(|| backoff(attempt));
                    sink.send(EventMsg::StreamError {
                        message: format!("Reconnecting... {attempt}/{max} ({e})"),
                    })
                    .await;
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = cancel.cancelled() => return Err(TurnError::Interrupted),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One model request. Items become effective at `output_item.done`: messages and reasoning
    /// are kept even when the stream breaks later; tool calls only once the response completes.
    async fn sample(
        &mut self,
        sink: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<Vec<ResponseItem>, TurnError> {
        let prompt = self.prompt();
        let mut stream = tokio::select! {
            r = self.client.stream(&prompt) => r.map_err(TurnError::Client)?,
            () = cancel.cancelled() => return Err(TurnError::Interrupted),
        };
        let mut calls = Vec::new();
        let mut outputs = Vec::new();
        loop {
            let event = tokio::select! {
                e = stream.recv() => e,
                () = cancel.cancelled() => return Err(TurnError::Interrupted),
            };
            let Some(event) = event else {
                return Err(TurnError::Client(ClientError::Stream(
                    "stream ended unexpectedly".into(),
                )));
            };
            match event.map_err(TurnError::Client)? {
                ResponseEvent::Created
                | ResponseEvent::OutputItemAdded(_)
                | ResponseEvent::ReasoningSummaryPartAdded => {}
                ResponseEvent::OutputTextDelta(delta) => {
                    sink.send(EventMsg::AgentMessageDelta { delta }).await;
                }
                ResponseEvent::ReasoningSummaryDelta(delta) => {
                    sink.send(EventMsg::AgentReasoningDelta { delta }).await;
                }
                ResponseEvent::OutputItemDone(item) => match &item {
                    ResponseItem::FunctionCall { .. } | ResponseItem::CustomToolCall { .. } => {
                        calls.push(item);
                    }
                    ResponseItem::Message { role, .. } if role == "assistant" => {
                        let message = item.message_text().unwrap_or_default();
                        self.push_history(item.clone()).await;
                        outputs.push(item);
                        sink.send(EventMsg::AgentMessage { message }).await;
                    }
                    ResponseItem::Reasoning { summary, .. } => {
                        let text = summary
                            .iter()
                            .map(|ReasoningSummaryPart::SummaryText { text }| text.as_str())
                            .collect::<Vec<_>>()
                            .join("\n\n");
                        self.push_history(item.clone()).await;
                        outputs.push(item);
                        if !text.is_empty() {
                            sink.send(EventMsg::AgentReasoning { text }).await;
                        }
                    }
                    ResponseItem::WebSearchCall { id, action, .. } => {
                        let query = match action {
                            Some(codex_protocol::WebSearchAction::Search { query }) => {
                                query.clone().unwrap_or_default()
                            }
                            Some(codex_protocol::WebSearchAction::Other) | None => String::new(),
                        };
                        let call_id = id.clone().unwrap_or_default();
                        self.push_history(item.clone()).await;
                        outputs.push(item);
                        sink.send(EventMsg::WebSearchEnd { call_id, query }).await;
                    }
                    ResponseItem::Message { .. }
                    | ResponseItem::FunctionCallOutput { .. }
                    | ResponseItem::CustomToolCallOutput { .. }
                    | ResponseItem::Other => {}
                },
                ResponseEvent::Completed { token_usage, .. } => {
                    let last = token_usage.unwrap_or_default();
                    self.total_usage.add(&last);
                    for call in calls {
                        self.push_history(call.clone()).await;
                        outputs.push(call);
                    }
                    sink.send(EventMsg::TokenCount {
                        info: Some(TokenUsageInfo {
                            total_token_usage: self.total_usage,
                            last_token_usage: last,
                            model_context_window: self
                                .config
                                .model_context_window
                                .or(self.model_info.context_window),
                        }),
                        rate_limits: None,
                    })
                    .await;
                    return Ok(outputs);
                }
            }
        }
    }
}

/// The base instructions: `model_instructions_file` / `instructions` override ours.
fn base_text(config: &Config) -> String {
    config
        .base_instructions_override
        .clone()
        .unwrap_or_else(|| BASE_INSTRUCTIONS.to_string())
}
