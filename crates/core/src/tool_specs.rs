//! The tool definitions sent to the model (Responses API shape). Descriptions are our own.
//! Which tools are offered follows the model catalog: `exec_command` + `write_stdin` for
//! unified-exec models, the argv `shell` tool otherwise; `apply_patch` as a freeform grammar tool
//! where the model and wire API support it, else as a JSON function.

use codex_config::models::{ApplyPatchToolKind, ModelInfo, ShellToolKind};
use codex_protocol::WireApi;
use serde_json::{Value, json};

/// What decides the tool set.
#[derive(Debug, Clone, Copy)]
pub struct ToolsConfig {
    pub shell: ShellToolKind,
    pub apply_patch: ApplyPatchToolKind,
    pub plan: bool,
    pub view_image: bool,
}

impl ToolsConfig {
    pub fn new(model: &ModelInfo, wire_api: WireApi, plan: bool) -> Self {
        let apply_patch = match wire_api {
            // Chat Completions has no freeform tools.
            WireApi::Chat => ApplyPatchToolKind::Function,
            WireApi::Responses => model.apply_patch_tool_type,
        };
        Self {
            shell: model.shell_type,
            apply_patch,
            plan,
            view_image: true,
        }
    }
}

fn function(name: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "function",
        "name": name,
        "description": description,
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        }
    })
}

fn escalation_properties(props: &mut serde_json::Map<String, Value>) {
    props.insert(
        "sandbox_permissions".into(),
        json!({"type": "string", "enum": ["use_default", "require_escalated"],
               "description": "Use `require_escalated` only to ask the user to run this command outside the sandbox."}),
    );
    props.insert(
        "justification".into(),
        json!({"type": "string", "description": "Why the command needs to run outside the sandbox (shown to the user)."}),
    );
    props.insert(
        "prefix_rule".into(),
        json!({"type": "array", "items": {"type": "string"},
               "description": "A command prefix the user may approve for the rest of the session."}),
    );
}

/// The tools array for a request.
pub fn tool_specs(cfg: &ToolsConfig) -> Vec<Value> {
    let mut tools = Vec::new();
    match cfg.shell {
        ShellToolKind::UnifiedExec => {
            let mut props = serde_json::Map::new();
            props.insert(
                "cmd".into(),
                json!({"type": "string", "description": "The shell command to run."}),
            );
            props.insert("workdir".into(), json!({"type": "string", "description": "Directory to run in; defaults to the session's working directory."}));
            props.insert("yield_time_ms".into(), json!({"type": "number", "description": "How long to wait for output before returning (ms). A command still running afterwards keeps running and can be polled with write_stdin."}));
            props.insert(
                "max_output_tokens".into(),
                json!({"type": "number", "description": "Cap on the output returned, in tokens."}),
            );
            props.insert("shell".into(), json!({"type": "string", "description": "Shell binary to launch; defaults to /bin/bash."}));
            props.insert("tty".into(), json!({"type": "boolean", "description": "Run attached to a pseudo-terminal (default true)."}));
            props.insert("login".into(), json!({"type": "boolean", "description": "Run the shell as a login shell (-l); default true."}));
            escalation_properties(&mut props);
            tools.push(function(
                "exec_command",
                "Runs a shell command and returns its output. Long-running commands keep running in the background and return a session_id for write_stdin.",
                Value::Object(props),
                &["cmd"],
            ));
            tools.push(function(
                "write_stdin",
                "Sends characters to a running exec_command session and returns the new output. Send empty chars to just wait for more output.",
                json!({
                    "session_id": {"type": "number", "description": "The session_id returned by exec_command."},
                    "chars": {"type": "string", "description": "Characters to write to the process's standard input (may be empty)."},
                    "yield_time_ms": {"type": "number", "description": "How long to wait for output (ms)."},
                    "max_output_tokens": {"type": "number", "description": "Cap on the output returned, in tokens."}
                }),
                &["session_id"],
            ));
        }
        ShellToolKind::Shell => {
            let mut props = serde_json::Map::new();
            props.insert("command".into(), json!({"type": "array", "items": {"type": "string"}, "description": "The command and its arguments, e.g. [\"bash\", \"-lc\", \"ls -la\"]."}));
            props.insert(
                "workdir".into(),
                json!({"type": "string", "description": "Directory to run in."}),
            );
            props.insert("timeout_ms".into(), json!({"type": "number", "description": "Kill the command after this many milliseconds."}));
            escalation_properties(&mut props);
            tools.push(function(
                "shell",
                "Runs a command given as an argument vector and returns its exit code and output.",
                Value::Object(props),
                &["command"],
            ));
        }
    }
    if cfg.plan {
        tools.push(function(
            "update_plan",
            "Records the task plan: a short list of steps with their status. At most one step is in_progress at a time.",
            json!({
                "explanation": {"type": "string"},
                "plan": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "step": {"type": "string"},
                        "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                    },
                    "required": ["step", "status"],
                    "additionalProperties": false
                }}
            }),
            &["plan"],
        ));
    }
    match cfg.apply_patch {
        ApplyPatchToolKind::Freeform => tools.push(json!({
            "type": "custom",
            "name": "apply_patch",
            "description": "Edits files with a patch in the apply_patch format (*** Begin Patch ... *** End Patch). Send the patch text itself, not JSON.",
            "format": {
                "type": "grammar",
                "syntax": "lark",
                "definition": codex_tools::apply_patch::APPLY_PATCH_LARK_GRAMMAR,
            }
        })),
        ApplyPatchToolKind::Function => tools.push(function(
            "apply_patch",
            "Edits files. `input` is a patch in the apply_patch format: *** Begin Patch, then *** Add File / *** Delete File / *** Update File sections, then *** End Patch.",
            json!({"input": {"type": "string", "description": "The whole patch text."}}),
            &["input"],
        )),
    }
    if cfg.view_image {
        tools.push(function(
            "view_image",
            "Attaches a local image file so you can look at it.",
            json!({"path": {"type": "string", "description": "Path of the image file."}}),
            &["path"],
        ));
    }
    tools
}
