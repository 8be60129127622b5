//! `codex exec`: the headless front end. Resolves configuration, starts a session, submits one
//! turn, prints events (human text on stderr or JSONL on stdout) and exits with the turn's status.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use codex_client::ClientIdentity;
use codex_config::{ConfigOverrides, Env, find_codex_home, load_config};
use codex_core::{Codex, SessionParams, find_last_rollout, find_rollout_by_id};
use codex_protocol::{AskForApproval, EventMsg, Op, SandboxMode, UserInput};

use crate::output::{EventOutput, HumanOutput, JsonOutput, Outcome};
use crate::{EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum SandboxArg {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorArg {
    Always,
    Never,
    #[default]
    Auto,
}

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = false,
    subcommand_precedence_over_arg = true
)]
pub struct ExecArgs {
    #[command(subcommand)]
    command: Option<ExecCommand>,

    /// Images to attach to the prompt.
    #[arg(
        long = "image",
        short = 'i',
        value_name = "FILE",
        value_delimiter = ',',
        num_args = 1,
        global = true
    )]
    images: Vec<PathBuf>,

    /// Model the agent should use.
    #[arg(long, short = 'm', global = true)]
    model: Option<String>,

    /// Use a local open-source model provider (see --local-provider).
    #[arg(long = "oss", default_value_t = false, global = true)]
    oss: bool,

    /// Local provider for --oss: `ollama` or `lmstudio`.
    #[arg(long = "local-provider", value_name = "PROVIDER", global = true)]
    local_provider: Option<String>,

    /// Sandbox policy for model-issued commands.
    #[arg(long = "sandbox", short = 's', value_enum, global = true)]
    sandbox: Option<SandboxArg>,

    /// Configuration profile from config.toml.
    #[arg(long = "profile", short = 'p', global = true)]
    profile: Option<String>,

    /// Deprecated: same as `--sandbox workspace-write`.
    #[arg(long = "full-auto", default_value_t = false, global = true)]
    full_auto: bool,

    /// Run every command without sandbox or approvals. Only for externally sandboxed
    /// environments.
    #[arg(
        long = "dangerously-bypass-approvals-and-sandbox",
        alias = "yolo",
        default_value_t = false,
        conflicts_with = "full_auto",
        global = true
    )]
    dangerously_bypass: bool,

    /// Working directory of the agent.
    #[arg(long = "cd", short = 'C', value_name = "DIR", global = true)]
    cwd: Option<PathBuf>,

    /// Additional writable directories (workspace-write).
    #[arg(long = "add-dir", value_name = "DIR", global = true)]
    add_dir: Vec<PathBuf>,

    /// Allow running outside a git repository.
    #[arg(long = "skip-git-repo-check", default_value_t = false, global = true)]
    skip_git_repo_check: bool,

    /// Write no session files.
    #[arg(long = "ephemeral", default_value_t = false, global = true)]
    ephemeral: bool,

    /// JSON Schema file the final answer must follow.
    #[arg(long = "output-schema", value_name = "FILE", global = true)]
    output_schema: Option<PathBuf>,

    /// Override a config value: `-c key=value` (dotted keys; the value is parsed as TOML,
    /// else taken as a string).
    #[arg(short = 'c', long = "config", value_name = "key=value", global = true)]
    config_overrides: Vec<String>,

    /// Reject unknown configuration keys.
    #[arg(long = "strict-config", default_value_t = false, global = true)]
    strict_config: bool,

    /// Color for the human output.
    #[arg(long = "color", value_enum, default_value_t = ColorArg::Auto, global = true)]
    color: ColorArg,

    /// Print events as JSON Lines on stdout.
    #[arg(
        long = "json",
        alias = "experimental-json",
        default_value_t = false,
        global = true
    )]
    json: bool,

    /// Write the agent's last message to this file.
    #[arg(
        long = "output-last-message",
        short = 'o',
        value_name = "FILE",
        global = true
    )]
    last_message_file: Option<PathBuf>,

    /// Accepted for compatibility with the TypeScript SDK; not used.
    #[arg(long = "thread-source", hide = true, global = true)]
    thread_source: Option<String>,

    /// Accepted for compatibility with the TypeScript SDK; not used.
    #[arg(long = "cyber-access-program", hide = true, global = true)]
    cyber_access_program: Option<String>,

    /// The prompt; `-` or absent reads it from stdin.
    #[arg(value_name = "PROMPT")]
    prompt: Option<String>,
}

impl ExecArgs {
    /// Takes the options given before `exec` (`codex -m o3 exec ...`): a value given after
    /// `exec` wins; lists are joined, root first; `-a` is ignored (`exec` never asks).
    pub(crate) fn inherit(&mut self, root: crate::root::RootOptions) {
        root.prepend_overrides(&mut self.config_overrides);
        let mut images = root.images;
        images.append(&mut self.images);
        self.images = images;
        let mut add_dir = root.add_dir;
        add_dir.append(&mut self.add_dir);
        self.add_dir = add_dir;
        self.model = self.model.take().or(root.model);
        self.local_provider = self.local_provider.take().or(root.local_provider);
        self.profile = self.profile.take().or(root.profile);
        self.sandbox = self.sandbox.or(root.sandbox);
        self.cwd = self.cwd.take().or(root.cwd);
        self.oss |= root.oss;
        self.dangerously_bypass |= root.dangerously_bypass;
        self.strict_config |= root.strict_config;
    }
}

#[derive(Debug, Subcommand)]
enum ExecCommand {
    /// Continue a recorded session.
    Resume(ResumeArgs),
}

#[derive(Debug, Args)]
struct ResumeArgs {
    /// The session (thread) id to continue.
    #[arg(value_name = "SESSION_ID")]
    session_id: Option<String>,

    /// Continue the most recent session recorded in this directory.
    #[arg(long = "last", default_value_t = false)]
    last: bool,

    /// With --last, consider sessions from any directory.
    #[arg(long = "all", default_value_t = false)]
    all: bool,

    /// The prompt; `-` or absent reads it from stdin.
    #[arg(value_name = "PROMPT")]
    prompt: Option<String>,
}

/// Runs `codex exec` and returns the exit status.
pub fn run(args: ExecArgs) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    match runtime.block_on(run_async(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            EXIT_FAILURE
        }
    }
}

/// The prompt from the argument and/or stdin, as upstream combines them.
fn resolve_prompt(arg: Option<String>) -> anyhow::Result<String> {
    let stdin_is_tty = std::io::stdin().is_terminal();
    match arg {
        Some(p) if p != "-" => {
            if stdin_is_tty {
                return Ok(p);
            }
            eprintln!("Reading additional input from stdin...");
            let mut extra = String::new();
            // A closed or unreadable stdin simply adds nothing.
            let _ = std::io::stdin().read_to_string(&mut extra);
            let extra = extra.trim_end_matches(['\n', '\r']);
            if extra.trim().is_empty() {
                Ok(p)
            } else {
                Ok(format!("{p}\n\n<stdin>\n{extra}\n</stdin>"))
            }
        }
        _ => {
            if stdin_is_tty {
                bail!("No prompt provided. Pass a prompt as an argument or pipe it on stdin.");
            }
            eprintln!("Reading prompt from stdin...");
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("failed to read the prompt from stdin")?;
            let text = text.trim_end_matches(['\n', '\r']).to_string();
            if text.trim().is_empty() {
                bail!("No prompt provided via stdin.");
            }
            Ok(text)
        }
    }
}

fn inside_git_repo(dir: &Path) -> bool {
    dir.ancestors().any(|d| d.join(".git").exists())
}

async fn run_async(args: ExecArgs) -> anyhow::Result<u8> {
    let env = Env::from_process();
    if args.full_auto {
        eprintln!("warning: --full-auto is deprecated; use --sandbox workspace-write instead.");
    }
    let cwd = match &args.cwd {
        Some(dir) => dir
            .canonicalize()
            .with_context(|| format!("--cd {}: no such directory", dir.display()))?,
        None => std::env::current_dir().context("cannot determine the current directory")?,
    };
    if !args.skip_git_repo_check && !inside_git_repo(&cwd) {
        eprintln!("Not inside a trusted directory and --skip-git-repo-check was not specified.");
        return Ok(EXIT_FAILURE);
    }
    let sandbox_mode = if args.dangerously_bypass {
        Some(SandboxMode::DangerFullAccess)
    } else if args.full_auto {
        Some(SandboxMode::WorkspaceWrite)
    } else {
        args.sandbox.map(|s| match s {
            SandboxArg::ReadOnly => SandboxMode::ReadOnly,
            SandboxArg::WorkspaceWrite => SandboxMode::WorkspaceWrite,
            SandboxArg::DangerFullAccess => SandboxMode::DangerFullAccess,
        })
    };
    let (resume_args, prompt_arg) = match args.command {
        Some(ExecCommand::Resume(mut r)) => {
            // With --last the first positional is the prompt, not a session id.
            if r.last && r.prompt.is_none() {
                r.prompt = r.session_id.take();
            }
            let prompt = r.prompt.clone().or(args.prompt.clone());
            (Some(r), prompt)
        }
        None => (None, args.prompt.clone()),
    };
    let codex_home = find_codex_home(&env)?;
    let overrides = ConfigOverrides {
        model: args.model.clone(),
        profile: args.profile.clone(),
        sandbox_mode,
        // `exec` never asks: there is nobody to answer.
        approval_policy: Some(AskForApproval::Never),
        cwd: Some(cwd.clone()),
        additional_writable_roots: args.add_dir.clone(),
        oss: args.oss,
        local_provider: args.local_provider.clone(),
        strict_config: args.strict_config,
        ..Default::default()
    };
    let config = load_config(&codex_home, &args.config_overrides, overrides, &env)?;
    let output_schema = match &args.output_schema {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --output-schema {}", path.display()))?;
            Some(
                serde_json::from_str::<serde_json::Value>(&text).with_context(|| {
                    format!("--output-schema {} is not valid JSON", path.display())
                })?,
            )
        }
        None => None,
    };
    let resume = match &resume_args {
        None => None,
        Some(r) => Some(match (&r.session_id, r.last) {
            (Some(id), _) => find_rollout_by_id(&codex_home, id).with_context(|| {
                format!(
                    "no recorded session with id {id} under {}",
                    codex_home.join("sessions").display()
                )
            })?,
            (None, true) => {
                let filter = (!r.all).then_some(cwd.as_path());
                find_last_rollout(&codex_home, filter)
                    .with_context(|| format!("no recorded session found for {}", cwd.display()))?
            }
            (None, false) => bail!("`codex exec resume` needs a SESSION_ID or --last"),
        }),
    };
    let prompt = resolve_prompt(prompt_arg)?;

    let originator = env
        .get_non_empty("CODEX_INTERNAL_ORIGINATOR_OVERRIDE")
        .unwrap_or("codex_exec")
        .to_string();
    let version = env!("CARGO_PKG_VERSION");
    let identity = ClientIdentity {
        user_agent: format!(
            "{originator}/{version} ({}; {}) (codex-rs clean-room)",
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        originator,
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stderr().is_terminal() && env.get("NO_COLOR").is_none(),
    };
    let header = crate::output::Header::from_config(&config);
    let (mut codex, info) = Codex::spawn(SessionParams {
        config,
        env,
        ephemeral: args.ephemeral,
        output_schema,
        resume,
        identity,
        source: "exec".into(),
        cli_version: version.into(),
        codex_exe: std::env::current_exe().context("cannot locate the codex executable")?,
    })
    .await?;

    let mut out: Box<dyn EventOutput> = if args.json {
        Box::new(JsonOutput::new())
    } else {
        Box::new(HumanOutput::new(color, header))
    };
    if let Some(w) = &info.sandbox_warning {
        eprintln!("warning: {w}");
    }
    out.session_started(&info, &prompt);

    let mut items = vec![UserInput::Text { text: prompt }];
    items.extend(
        args.images
            .iter()
            .map(|p| UserInput::LocalImage { path: cwd.join(p) }),
    );
    codex.submit(Op::UserTurn { items }).await?;

    let ops = codex.op_sender();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = ops.send(Op::Interrupt).await;
        }
    });

    let mut outcome = Outcome::Running;
    while let Some(event) = codex.next_event().await {
        let end_of_turn = matches!(
            event.msg,
            EventMsg::TaskComplete { .. } | EventMsg::TurnAborted { .. } | EventMsg::Error { .. }
        );
        outcome = out.event(&event.msg).unwrap_or(outcome);
        if end_of_turn {
            break;
        }
    }
    ctrl_c.abort();
    let _ = codex.submit(Op::Shutdown).await;
    while let Some(event) = codex.next_event().await {
        if matches!(event.msg, EventMsg::ShutdownComplete) {
            break;
        }
    }
    codex.join().await;

    let last = out.last_agent_message();
    if let Some(path) = &args.last_message_file {
        std::fs::write(path, last.clone().unwrap_or_default())
            .with_context(|| format!("cannot write --output-last-message {}", path.display()))?;
    }
    out.finish();
    Ok(match outcome {
        Outcome::Completed => EXIT_OK,
        Outcome::Interrupted => EXIT_INTERRUPTED,
        Outcome::Failed | Outcome::Running => EXIT_FAILURE,
    })
}
