//! `codex sandbox [-P PROFILE] [-C DIR] [-c key=value]... -- COMMAND...`: runs a command under
//! this platform's sandbox with the resolved policy, so a policy can be tried by hand.
//! `codex sandbox --probe` and `codex doctor` print the backend and why it was chosen. The older
//! spellings `codex sandbox linux|macos|windows [--full-auto] [--log-denials] COMMAND...` and
//! `codex debug landlock|seatbelt COMMAND...` are accepted.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use codex_config::{ConfigOverrides, Env, find_codex_home, load_config};
use codex_sandbox::ProbeOptions;

use crate::{EXIT_FAILURE, EXIT_OK};

impl SandboxArgs {
    /// Takes the options given before `sandbox`: root `-c`/`--enable`/`--disable` come first,
    /// root `-C` applies unless `sandbox -C` is given.
    pub(crate) fn inherit(&mut self, root: &crate::root::RootOptions) {
        root.prepend_overrides(&mut self.config_overrides);
        if self.cwd.is_none() {
            self.cwd = root.cwd.clone();
        }
    }
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Permissions profile: `:read-only`, `:workspace`, `:danger-full-access` or a
    /// `[permissions.<name>]` from config.toml (default: `default_permissions`, else
    /// `sandbox_mode`).
    #[arg(
        short = 'P',
        long = "permissions-profile",
        visible_alias = "permission-profile",
        value_name = "NAME"
    )]
    profile: Option<String>,

    /// Directory to run in (the workspace root of the policy).
    #[arg(short = 'C', long = "cd", value_name = "DIR")]
    cwd: Option<PathBuf>,

    /// Accepted for compatibility; there is no managed configuration layer yet.
    #[arg(long = "include-managed-config", default_value_t = false)]
    include_managed_config: bool,

    /// Override a config value (`-c key=value`), e.g. `-c sandbox_workspace_write.network_access=true`.
    #[arg(short = 'c', long = "config", value_name = "key=value")]
    config_overrides: Vec<String>,

    /// Legacy: same as `-P :workspace`.
    #[arg(long = "full-auto", default_value_t = false)]
    full_auto: bool,

    /// Legacy (macOS): accepted and ignored.
    #[arg(long = "log-denials", default_value_t = false)]
    log_denials: bool,

    /// Print which backend this machine uses and why, then exit.
    #[arg(long = "probe", default_value_t = false)]
    probe: bool,

    /// The command to run (after `--`); a leading `linux`, `macos` or `windows` is the legacy
    /// platform word and is skipped.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<String>,
}

/// The probe for this process, honouring `features.use_legacy_landlock`; with `cache_dir`
/// a working backend found earlier on this boot is reused (no trial launches).
fn probe(
    env: &Env,
    legacy_landlock: bool,
    cache_dir: Option<PathBuf>,
) -> &'static codex_sandbox::Probe {
    codex_sandbox::probe_with(&ProbeOptions {
        search_path: env.get("PATH").map(Into::into),
        use_legacy_landlock: legacy_landlock,
        cache_dir,
        ..ProbeOptions::default()
    })
}

/// `codex doctor` / `codex sandbox --probe`: always a fresh probe.
pub fn run_probe() -> u8 {
    let env = Env::from_process();
    println!("{}", probe(&env, false, None).describe());
    EXIT_OK
}

pub fn run(args: SandboxArgs) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            EXIT_FAILURE
        }
    }
}

fn run_inner(mut args: SandboxArgs) -> anyhow::Result<u8> {
    let env = Env::from_process();
    if args.probe {
        return Ok(run_probe());
    }
    if matches!(
        args.command.first().map(String::as_str),
        Some("linux" | "macos" | "windows" | "landlock" | "seatbelt")
    ) {
        args.command.remove(0);
        // The legacy flags come after the platform word there.
        while let Some(flag) = args.command.first() {
            match flag.as_str() {
                "--full-auto" => args.full_auto = true,
                "--log-denials" => args.log_denials = true,
                "--" => {
                    args.command.remove(0);
                    break;
                }
                _ => break,
            }
            args.command.remove(0);
        }
    }
    if args.command.is_empty() {
        bail!("no command given: codex sandbox [OPTIONS] -- COMMAND [ARGS]...");
    }
    let _ = (args.include_managed_config, args.log_denials);
    let cwd = match &args.cwd {
        Some(d) => d
            .canonicalize()
            .with_context(|| format!("--cd {}: no such directory", d.display()))?,
        None => std::env::current_dir().context("cannot determine the current directory")?,
    };
    let permissions_profile = match (&args.profile, args.full_auto) {
        (Some(name), _) => Some(name.clone()),
        (None, true) => Some(":workspace".to_string()),
        (None, false) => None,
    };
    let codex_home = find_codex_home(&env)?;
    let config = load_config(
        &codex_home,
        &args.config_overrides,
        ConfigOverrides {
            permissions_profile,
            cwd: Some(cwd.clone()),
            ..Default::default()
        },
        &env,
    )?;
    if let Some(note) = &config.permissions.note {
        eprintln!("warning: {note}");
    }
    let legacy = config
        .config_toml
        .features
        .get("use_legacy_landlock")
        .copied()
        .unwrap_or(false);
    let mut child_env = config
        .shell_environment_policy
        .apply(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let policy = codex_core::sandbox_policy(
        &config.permissions,
        child_env.get("TMPDIR").map(PathBuf::from),
    );
    let probe = probe(&env, legacy, Some(codex_home.join("cache")));
    if let Some(w) = probe.warning() {
        eprintln!("warning: {w}");
    }
    let exe = std::env::current_exe().context("cannot locate the codex executable")?;
    let prepared = probe.prepare(&policy, &args.command, &cwd, &exe)?;
    prepared.apply_env(&mut child_env);
    let mut cmd = std::process::Command::new(prepared.program());
    cmd.args(prepared.args())
        .current_dir(&cwd)
        .env_clear()
        .envs(&child_env);
    prepared.configure(&mut cmd);
    if !prepared.has_placeholders() {
        // Nothing to clean up afterwards: become the sandbox (saves a fork and a wait; the
        // exit status and signals are the sandbox's own).
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        return Err(err).with_context(|| format!("cannot start {}", prepared.program()));
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", prepared.program()))?;
    drop(prepared);
    Ok(exit_code_of(status))
}

/// The child's exit status as ours (128 + signal when it was killed).
fn exit_code_of(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(EXIT_FAILURE),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(EXIT_FAILURE),
        (None, None) => EXIT_FAILURE,
    }
}
