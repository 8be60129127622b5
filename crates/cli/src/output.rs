//! Rendering agent events for `codex exec`: [`JsonOutput`] maps them to the upstream
//! `exec --json` schema on stdout; [`HumanOutput`] writes a readable log to stderr and the final
//! message alone to stdout.

use std::collections::HashMap;
use std::io::Write;

use codex_config::Config;
use codex_core::SessionInfo;
use codex_protocol::{
    CommandExecutionStatus, EventMsg, FileChangeSummary, FileUpdateChange, PatchApplyStatus,
    PatchChangeKind, ThreadError, ThreadEvent, ThreadItem, ThreadItemDetails, TodoItem, TokenUsage,
    ToolStatus, Usage,
};

/// How the turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Completed,
    Failed,
    Interrupted,
}

/// A renderer of session events.
pub trait EventOutput {
    fn session_started(&mut self, info: &SessionInfo, prompt: &str);
    /// Renders one event; returns the outcome when the event decides it.
    fn event(&mut self, msg: &EventMsg) -> Option<Outcome>;
    fn last_agent_message(&self) -> Option<String>;
    /// Called once at the end (the human output prints the final message here).
    fn finish(&mut self);
}

fn usage_of(total: &TokenUsage) -> Usage {
    Usage {
        input_tokens: total.input_tokens,
        cached_input_tokens: total.cached_input_tokens,
        cache_write_input_tokens: 0,
        output_tokens: total.output_tokens,
        reasoning_output_tokens: total.reasoning_output_tokens,
    }
}

fn file_changes(changes: &[FileChangeSummary]) -> Vec<FileUpdateChange> {
    changes
        .iter()
        .map(|c| FileUpdateChange {
            path: c.path.display().to_string(),
            kind: c.kind,
        })
        .collect()
}

/// `exec --json`: one [`ThreadEvent`] per line on stdout.
pub struct JsonOutput {
    next_item: u64,
    /// call_id → item id of started command/patch items.
    running: HashMap<String, String>,
    /// The todo list item of this turn, if any.
    todo: Option<(String, Vec<TodoItem>)>,
    total: TokenUsage,
    last_message: Option<String>,
}

impl JsonOutput {
    pub fn new() -> Self {
        Self {
            next_item: 0,
            running: HashMap::new(),
            todo: None,
            total: TokenUsage::default(),
            last_message: None,
        }
    }

    fn emit(&self, event: &ThreadEvent) {
        if let Ok(line) = serde_json::to_string(event) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }

    fn new_id(&mut self) -> String {
        let id = format!("item_{}", self.next_item);
        self.next_item += 1;
        id
    }

    fn completed(&mut self, details: ThreadItemDetails) {
        let id = self.new_id();
        self.emit(&ThreadEvent::ItemCompleted {
            item: ThreadItem { id, details },
        });
    }

    fn item_id_for(&mut self, call_id: &str) -> String {
        match self.running.remove(call_id) {
            Some(id) => id,
            None => self.new_id(),
        }
    }

    fn finish_todo(&mut self) {
        if let Some((id, items)) = self.todo.take() {
            self.emit(&ThreadEvent::ItemCompleted {
                item: ThreadItem {
                    id,
                    details: ThreadItemDetails::TodoList { items },
                },
            });
        }
    }
}

impl EventOutput for JsonOutput {
    fn session_started(&mut self, info: &SessionInfo, _prompt: &str) {
        self.emit(&ThreadEvent::ThreadStarted {
            thread_id: info.thread_id.clone(),
        });
        for w in &info.warnings {
            self.completed(ThreadItemDetails::Error { message: w.clone() });
        }
    }

    fn event(&mut self, msg: &EventMsg) -> Option<Outcome> {
        match msg {
            EventMsg::TaskStarted { .. } => self.emit(&ThreadEvent::TurnStarted {}),
            EventMsg::AgentMessage { message } => {
                self.last_message = Some(message.clone());
                self.completed(ThreadItemDetails::AgentMessage {
                    text: message.clone(),
                });
            }
            EventMsg::AgentReasoning { text } => {
                self.completed(ThreadItemDetails::Reasoning { text: text.clone() });
            }
            EventMsg::ExecCommandBegin {
                call_id, command, ..
            } => {
                let id = self.new_id();
                self.running.insert(call_id.clone(), id.clone());
                self.emit(&ThreadEvent::ItemStarted {
                    item: ThreadItem {
                        id,
                        details: ThreadItemDetails::CommandExecution {
                            command: command.clone(),
                            aggregated_output: String::new(),
                            exit_code: None,
                            status: CommandExecutionStatus::InProgress,
                        },
                    },
                });
            }
            EventMsg::ExecCommandEnd {
                call_id,
                command,
                exit_code,
                aggregated_output,
                status,
                ..
            } => {
                let id = self.item_id_for(call_id);
                let status = match status {
                    ToolStatus::Completed => CommandExecutionStatus::Completed,
                    ToolStatus::Failed => CommandExecutionStatus::Failed,
                    ToolStatus::Declined => CommandExecutionStatus::Declined,
                };
                self.emit(&ThreadEvent::ItemCompleted {
                    item: ThreadItem {
                        id,
                        details: ThreadItemDetails::CommandExecution {
                            command: command.clone(),
                            aggregated_output: aggregated_output.clone(),
                            exit_code: *exit_code,
                            status,
                        },
                    },
                });
            }
            EventMsg::PatchApplyBegin { call_id, changes } => {
                let id = self.new_id();
                self.running.insert(call_id.clone(), id.clone());
                self.emit(&ThreadEvent::ItemStarted {
                    item: ThreadItem {
                        id,
                        details: ThreadItemDetails::FileChange {
                            changes: file_changes(changes),
                            status: PatchApplyStatus::InProgress,
                        },
                    },
                });
            }
            EventMsg::PatchApplyEnd {
                call_id,
                changes,
                status,
                ..
            } => {
                let id = self.item_id_for(call_id);
                let status = match status {
                    ToolStatus::Completed => PatchApplyStatus::Completed,
                    ToolStatus::Failed | ToolStatus::Declined => PatchApplyStatus::Failed,
                };
                self.emit(&ThreadEvent::ItemCompleted {
                    item: ThreadItem {
                        id,
                        details: ThreadItemDetails::FileChange {
                            changes: file_changes(changes),
                            status,
                        },
                    },
                });
            }
            EventMsg::PlanUpdate { plan, .. } => match &mut self.todo {
                Some((id, items)) => {
                    *items = plan.clone();
                    let item = ThreadItem {
                        id: id.clone(),
                        details: ThreadItemDetails::TodoList {
                            items: plan.clone(),
                        },
                    };
                    self.emit(&ThreadEvent::ItemUpdated { item });
                }
                None => {
                    let id = self.new_id();
                    self.todo = Some((id.clone(), plan.clone()));
                    self.emit(&ThreadEvent::ItemStarted {
                        item: ThreadItem {
                            id,
                            details: ThreadItemDetails::TodoList {
                                items: plan.clone(),
                            },
                        },
                    });
                }
            },
            EventMsg::WebSearchEnd { query, .. } => {
                self.completed(ThreadItemDetails::WebSearch {
                    query: query.clone(),
                    action: serde_json::json!({"type": "search", "query": query}),
                });
            }
            EventMsg::TokenCount { info, .. } => {
                if let Some(info) = info {
                    self.total = info.total_token_usage;
                }
            }
            EventMsg::StreamError { message } => self.emit(&ThreadEvent::Error {
                message: message.clone(),
            }),
            EventMsg::Warning { message } => {
                self.completed(ThreadItemDetails::Error {
                    message: message.clone(),
                });
            }
            EventMsg::Error { message } => {
                self.finish_todo();
                self.emit(&ThreadEvent::Error {
                    message: message.clone(),
                });
                self.emit(&ThreadEvent::TurnFailed {
                    error: ThreadError {
                        message: message.clone(),
                    },
                });
                return Some(Outcome::Failed);
            }
            EventMsg::TaskComplete { .. } => {
                self.finish_todo();
                self.emit(&ThreadEvent::TurnCompleted {
                    usage: usage_of(&self.total),
                });
                return Some(Outcome::Completed);
            }
            EventMsg::TurnAborted { reason } => {
                self.finish_todo();
                self.emit(&ThreadEvent::TurnFailed {
                    error: ThreadError {
                        message: format!("turn aborted: {reason}"),
                    },
                });
                return Some(Outcome::Interrupted);
            }
            EventMsg::SessionConfigured { .. }
            | EventMsg::UserMessage { .. }
            | EventMsg::AgentMessageDelta { .. }
            | EventMsg::AgentReasoningDelta { .. }
            | EventMsg::ExecCommandOutputDelta { .. }
            | EventMsg::ExecApprovalRequest { .. }
            | EventMsg::ApplyPatchApprovalRequest { .. }
            | EventMsg::ShutdownComplete
            | EventMsg::Unknown => {}
        }
        None
    }

    fn last_agent_message(&self) -> Option<String> {
        self.last_message.clone()
    }

    fn finish(&mut self) {}
}

/// Settings shown in the human header.
pub struct Header {
    model: String,
    provider: String,
    approval: String,
    sandbox: String,
    effort: String,
    summaries: String,
    workdir: String,
}

impl Header {
    pub fn from_config(config: &Config) -> Header {
        Header {
            model: config.model.clone(),
            provider: config.model_provider_id.clone(),
            approval: config.approval_policy.as_str().to_string(),
            sandbox: config.sandbox_mode.as_str().to_string(),
            // The configured values, `none` when unset (as upstream's header shows them).
            effort: config
                .model_reasoning_effort
                .map_or("none".to_string(), |e| e.as_str().to_string()),
            summaries: config
                .model_reasoning_summary
                .map_or("none".to_string(), |s| s.as_str().to_string()),
            workdir: config.cwd.display().to_string(),
        }
    }
}

/// Human output: activity on stderr, the final message on stdout.
pub struct HumanOutput {
    color: bool,
    header: Header,
    total: TokenUsage,
    last_message: Option<String>,
}

const MAX_OUTPUT_LINES: usize = 20;

impl HumanOutput {
    pub fn new(color: bool, header: Header) -> Self {
        Self {
            color,
            header,
            total: TokenUsage::default(),
            last_message: None,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn line(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    fn title(&self, text: &str, code: &str) {
        self.line(&self.paint(code, text));
    }
}

/// Keeps the first lines of a long output.
fn clip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_OUTPUT_LINES {
        return text.trim_end().to_string();
    }
    format!(
        "{}\n... ({} more lines)",
        lines[..MAX_OUTPUT_LINES].join("\n"),
        lines.len() - MAX_OUTPUT_LINES
    )
}

/// A git-style diff of one file of a patch (adds and deletes as whole-file hunks; updates as
/// the applier's unified diff), paths relative to the workdir.
fn patch_diff_lines(change: &FileChangeSummary, workdir: &str) -> Vec<String> {
    let rel = change
        .path
        .strip_prefix(workdir)
        .unwrap_or(&change.path)
        .display()
        .to_string();
    let body: Vec<&str> = change.diff.lines().collect();
    match change.kind {
        PatchChangeKind::Add => std::iter::once("--- /dev/null".to_string())
            .chain([
                format!("+++ b/{rel}"),
                format!("@@ -0,0 +1,{} @@", body.len()),
            ])
            .chain(body.iter().map(|l| format!("+{l}")))
            .collect(),
        PatchChangeKind::Delete => std::iter::once(format!("--- a/{rel}"))
            .chain([
                "+++ /dev/null".to_string(),
                format!("@@ -1,{} +0,0 @@", body.len()),
            ])
            .chain(body.iter().map(|l| format!("-{l}")))
            .collect(),
        PatchChangeKind::Update => body.iter().map(|l| (*l).to_string()).collect(),
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl EventOutput for HumanOutput {
    fn session_started(&mut self, info: &SessionInfo, prompt: &str) {
        let h = &self.header;
        let sandbox = if h.sandbox == "workspace-write" {
            let roots: Vec<String> = info
                .writable_roots
                .iter()
                .map(|r| r.display().to_string())
                .collect();
            format!("{} [{}]", h.sandbox, roots.join(", "))
        } else {
            h.sandbox.clone()
        };
        let lines = [
            format!("OpenAI Codex (clean-room) v{}", env!("CARGO_PKG_VERSION")),
            "--------".to_string(),
            format!("workdir: {}", h.workdir),
            format!("model: {}", h.model),
            format!("provider: {}", h.provider),
            format!("approval: {}", h.approval),
            format!("sandbox: {sandbox}"),
            format!("reasoning effort: {}", h.effort),
            format!("reasoning summaries: {}", h.summaries),
            format!("session id: {}", info.thread_id),
            "--------".to_string(),
        ];
        for l in lines {
            self.line(&l);
        }
        for w in &info.warnings {
            self.line(&self.paint("33", &format!("warning: {w}")));
        }
        self.title("user", "36");
        self.line(prompt);
    }

    fn event(&mut self, msg: &EventMsg) -> Option<Outcome> {
        match msg {
            EventMsg::AgentReasoning { text } => {
                self.line("");
                self.title("thinking", "35;3");
                self.line(&self.paint("3", text));
            }
            EventMsg::AgentMessage { message } => {
                self.last_message = Some(message.clone());
                self.line("");
                self.title("codex", "35;1");
                self.line(message);
            }
            EventMsg::ExecCommandBegin { command, cwd, .. } => {
                self.line("");
                self.title("exec", "35;1");
                self.line(&format!(
                    "{} in {}",
                    self.paint("1", command),
                    cwd.display()
                ));
            }
            EventMsg::ExecCommandEnd {
                exit_code,
                aggregated_output,
                duration_ms,
                status,
                ..
            } => {
                let verdict = match (status, exit_code) {
                    (ToolStatus::Completed, _) => {
                        self.paint("32", &format!(" succeeded in {duration_ms}ms:"))
                    }
                    (_, Some(code)) => {
                        self.paint("31", &format!(" exited {code} in {duration_ms}ms:"))
                    }
                    (_, None) => self.paint("31", &format!(" failed in {duration_ms}ms:")),
                };
                self.line(&verdict);
                let out = clip(aggregated_output);
                if !out.is_empty() {
                    self.line(&self.paint("2", &out));
                }
            }
            EventMsg::PatchApplyBegin { .. } => {}
            EventMsg::PatchApplyEnd {
                changes,
                status,
                output,
                ..
            } => {
                self.line("");
                self.title("apply patch", "35;1");
                match status {
                    ToolStatus::Completed => {
                        self.line(&self.paint("32", "patch: completed"));
                        for c in changes {
                            self.line(&self.paint("1", &c.path.display().to_string()));
                            for l in patch_diff_lines(c, &self.header.workdir) {
                                let code = if l.starts_with("+++") || l.starts_with("---") {
                                    "1"
                                } else if l.starts_with('+') {
                                    "32"
                                } else if l.starts_with('-') {
                                    "31"
                                } else {
                                    "2"
                                };
                                self.line(&self.paint(code, &l));
                            }
                        }
                    }
                    ToolStatus::Failed | ToolStatus::Declined => {
                        self.line(&self.paint("31", "patch: failed"));
                        self.line(&self.paint("31", output));
                    }
                }
            }
            EventMsg::PlanUpdate { plan, explanation } => {
                self.line("");
                self.title("update plan", "35;1");
                if let Some(e) = explanation {
                    self.line(e);
                }
                for step in plan {
                    let mark = if step.completed { "[x]" } else { "[ ]" };
                    self.line(&format!("  {mark} {}", step.text));
                }
            }
            EventMsg::WebSearchEnd { query, .. } => {
                self.line(&format!("web search: {query}"));
            }
            EventMsg::TokenCount { info, .. } => {
                if let Some(info) = info {
                    self.total = info.total_token_usage;
                }
            }
            EventMsg::StreamError { message } => {
                self.line(&self.paint("33", message));
            }
            EventMsg::Warning { message } => {
                self.line(&self.paint("33", &format!("warning: {message}")));
            }
            EventMsg::Error { message } => {
                self.line(&self.paint("31", &format!("ERROR: {message}")));
                return Some(Outcome::Failed);
            }
            EventMsg::TaskComplete { .. } => {
                self.title("tokens used", "35;1");
                self.line(&thousands(
                    self.total
                        .total_tokens
                        .max(self.total.input_tokens + self.total.output_tokens),
                ));
                return Some(Outcome::Completed);
            }
            EventMsg::TurnAborted { reason } => {
                self.line(&self.paint("31", &format!("turn aborted: {reason}")));
                return Some(Outcome::Interrupted);
            }
            EventMsg::SessionConfigured { .. }
            | EventMsg::TaskStarted { .. }
            | EventMsg::UserMessage { .. }
            | EventMsg::AgentMessageDelta { .. }
            | EventMsg::AgentReasoningDelta { .. }
            | EventMsg::ExecCommandOutputDelta { .. }
            | EventMsg::ExecApprovalRequest { .. }
            | EventMsg::ApplyPatchApprovalRequest { .. }
            | EventMsg::ShutdownComplete
            | EventMsg::Unknown => {}
        }
        None
    }

    fn last_agent_message(&self) -> Option<String> {
        self.last_message.clone()
    }

    fn finish(&mut self) {
        if let Some(m) = &self.last_message {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{m}");
        }
    }
}
