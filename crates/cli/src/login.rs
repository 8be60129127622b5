//! `codex login`, `codex login status`, `codex logout`: the terminal side of `codex-auth`.
//!
//! Progress and instructions go to stderr, the result line to stdout. Exit status: 0 on
//! success (for `login status`: signed in), 1 on any failure (for `login status`: not signed
//! in), 130 when interrupted while waiting for the browser or the device code.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use codex_auth::{
    AuthPolicy, AuthStore, CredentialKind, CredentialSource, Credentials, LoginServer,
    LoginServerOptions, OAuthSettings, SavedTo,
};
use codex_config::{
    AuthCredentialsStoreMode, Config, ConfigOverrides, Env, find_codex_home, load_config,
};

use crate::{EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK};

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(subcommand)]
    command: Option<LoginCommand>,

    /// Read an API key from stdin and store it, e.g. `printenv OPENAI_API_KEY | codex login
    /// --with-api-key`.
    #[arg(long = "with-api-key", conflicts_with_all = ["with_access_token", "device_auth"])]
    with_api_key: bool,

    /// Read a ChatGPT access token (JWT) from stdin, check it and store it.
    #[arg(long = "with-access-token", conflicts_with = "device_auth")]
    with_access_token: bool,

    /// Sign in with a one-time device code instead of a browser redirect (for SSH sessions and
    /// machines without a browser).
    #[arg(long = "device-auth")]
    device_auth: bool,

    /// Override a config value: `-c key=value`.
    #[arg(short = 'c', long = "config", value_name = "key=value", global = true)]
    config_overrides: Vec<String>,

    /// Removed: pass the key on stdin with --with-api-key.
    #[arg(long = "api-key", hide = true, num_args = 0..=1, default_missing_value = "")]
    legacy_api_key: Option<String>,

    /// A key or token given on the command line (refused: use stdin).
    #[arg(hide = true, value_name = "SECRET")]
    stray_secret: Option<String>,

    /// OAuth issuer base URL (tests and private deployments).
    #[arg(long = "issuer", hide = true, value_name = "URL")]
    issuer: Option<String>,

    /// OAuth client id (tests and private deployments).
    #[arg(long = "client-id", hide = true, value_name = "ID")]
    client_id: Option<String>,

    /// Port of the local callback server (default 1455; 0 picks a free port).
    #[arg(long = "port", hide = true, value_name = "PORT")]
    port: Option<u16>,
}

#[derive(Debug, Subcommand)]
enum LoginCommand {
    /// Show how Codex is signed in; exits 0 only when it is.
    Status,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Override a config value: `-c key=value`.
    #[arg(short = 'c', long = "config", value_name = "key=value")]
    config_overrides: Vec<String>,
}

impl LoginArgs {
    /// The `-c` overrides, for the ones given before the subcommand.
    pub(crate) fn config_overrides_mut(&mut self) -> &mut Vec<String> {
        &mut self.config_overrides
    }
}

impl LogoutArgs {
    /// The `-c` overrides, for the ones given before the subcommand.
    pub(crate) fn config_overrides_mut(&mut self) -> &mut Vec<String> {
        &mut self.config_overrides
    }
}

/// What every sign-in command needs from the configuration.
struct AuthContext {
    env: Env,
    store: AuthStore,
    policy: AuthPolicy,
}

impl AuthContext {
    fn load(config_overrides: &[String]) -> anyhow::Result<AuthContext> {
        let env = Env::from_process();
        let codex_home = find_codex_home(&env)?;
        let cwd = std::env::current_dir().context("cannot determine the current directory")?;
        let config: Config = load_config(
            &codex_home,
            config_overrides,
            ConfigOverrides {
                cwd: Some(cwd),
                ..ConfigOverrides::default()
            },
            &env,
        )?;
        let mode = codex_auth::store_mode(&config.config_toml);
        let store = AuthStore::new(&config.codex_home, mode);
        store.check_supported()?;
        Ok(AuthContext {
            store,
            policy: AuthPolicy::from_config(&config.config_toml),
            env,
        })
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `codex login [status]` and returns the exit status.
pub fn run_login(args: LoginArgs) -> u8 {
    if let Some(LoginCommand::Status) = args.command {
        return match login_status(&args.config_overrides) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("Error: {e:#}");
                EXIT_FAILURE
            }
        };
    }
    match login(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error logging in: {e:#}");
            EXIT_FAILURE
        }
    }
}

/// Runs `codex logout` and returns the exit status.
pub fn run_logout(args: LogoutArgs) -> u8 {
    let result = (|| {
        let ctx = AuthContext::load(&args.config_overrides)?;
        let removed = codex_auth::logout(&ctx.store)?;
        if removed {
            println!("Successfully logged out");
        } else {
            println!("Not logged in");
        }
        for var in [
            codex_auth::CODEX_API_KEY_VAR,
            codex_auth::CODEX_ACCESS_TOKEN_VAR,
        ] {
            if ctx.env.get_non_empty(var).is_some() {
                eprintln!("Note: {var} is still set in the environment, so Codex still uses it.");
            }
        }
        anyhow::Ok(())
    })();
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("Error logging out: {e:#}");
            EXIT_FAILURE
        }
    }
}

fn login(args: LoginArgs) -> anyhow::Result<u8> {
    if args.legacy_api_key.is_some() {
        bail!(
            "--api-key is no longer supported: a key on the command line ends up in your shell \
             history and in process listings. Pipe it in instead: `printenv OPENAI_API_KEY | \
             codex login --with-api-key`"
        );
    }
    if args.stray_secret.is_some() {
        if args.with_access_token {
            bail!(
                "--with-access-token reads the token from stdin only: a token on the command \
                 line ends up in your shell history and in process listings. Pipe it in \
                 instead: `printenv CODEX_ACCESS_TOKEN | codex login --with-access-token`"
            );
        }
        bail!(
            "codex login takes no key on the command line: it would end up in your shell history \
             and in process listings. Pipe it in instead: `printenv OPENAI_API_KEY | codex login \
             --with-api-key`"
        );
    }
    let ctx = AuthContext::load(&args.config_overrides)?;
    warn_if_ephemeral(&ctx.store);

    if args.with_api_key {
        ctx.policy.ensure_allowed(CredentialKind::ApiKey)?;
        let key = read_secret_from_stdin(
            "API key",
            "printenv OPENAI_API_KEY | codex login --with-api-key",
        )?;
        let saved = codex_auth::login_with_api_key(&ctx.store, &ctx.policy, &key)?;
        println!("API key saved to {saved}.");
        return Ok(EXIT_OK);
    }
    if args.with_access_token {
        ctx.policy.ensure_allowed(CredentialKind::AccessToken)?;
        let token = read_secret_from_stdin(
            "access token",
            "printenv CODEX_ACCESS_TOKEN | codex login --with-access-token",
        )?;
        let (claims, saved) = codex_auth::login_with_access_token(&ctx.store, &ctx.policy, &token)?;
        let account = claims.chatgpt_account_id.as_deref().unwrap_or("unknown");
        println!("Access token for ChatGPT account {account} saved to {saved}.");
        return Ok(EXIT_OK);
    }

    ctx.policy.ensure_allowed(CredentialKind::ChatGpt)?;
    let mut settings = OAuthSettings::from_env(&ctx.env);
    if let Some(issuer) = &args.issuer {
        settings = settings.with_issuer(issuer);
    }
    if let Some(client_id) = &args.client_id {
        settings.client_id = client_id.clone();
    }
    if let Some(port) = args.port {
        settings.callback_port = port;
    }
    let runtime = runtime()?;
    if args.device_auth {
        runtime.block_on(device_login(ctx, settings))
    } else {
        runtime.block_on(browser_login(ctx, settings))
    }
}

fn warn_if_ephemeral(store: &AuthStore) {
    match store.mode() {
        AuthCredentialsStoreMode::Ephemeral => eprintln!(
            "Note: cli_auth_credentials_store = \"ephemeral\" keeps credentials in memory only; \
             they are gone when this command exits."
        ),
        AuthCredentialsStoreMode::File
        | AuthCredentialsStoreMode::Keyring
        | AuthCredentialsStoreMode::Auto => {}
    }
}

fn read_secret_from_stdin(what: &str, example: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        bail!("the {what} is read from stdin; pipe it in: `{example}`");
    }
    eprintln!("Reading {what} from stdin...");
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read the {what} from stdin"))?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        bail!("no {what} on stdin; pipe it in: `{example}`");
    }
    Ok(text)
}

async fn browser_login(ctx: AuthContext, settings: OAuthSettings) -> anyhow::Result<u8> {
    let http = codex_auth::http_client(&ctx.env)?;
    let server = LoginServer::start(
        http,
        LoginServerOptions {
            settings,
            store: ctx.store,
            policy: ctx.policy,
        },
    )
    .await?;
    let port = server.port();
    let url = server.auth_url().to_owned();
    eprintln!("Waiting for the browser sign-in on http://127.0.0.1:{port} ...");
    let opened = codex_auth::browser_available(&ctx.env) && codex_auth::open_browser(&url);
    if opened {
        eprintln!(
            "Your browser should open the sign-in page. If it does not, open this URL:\n\n  {url}\n"
        );
    } else {
        eprintln!(
            "Open this URL in a browser to sign in:\n\n  {url}\n\nOn a remote machine, forward \
             the port first (`ssh -L {port}:127.0.0.1:{port} <host>`) or use `codex login \
             --device-auth`."
        );
    }
    let login = tokio::select! {
        result = server.wait() => result?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("Sign-in interrupted.");
            return Ok(EXIT_INTERRUPTED);
        }
    };
    print_chatgpt_success(&login);
    Ok(EXIT_OK)
}

async fn device_login(ctx: AuthContext, settings: OAuthSettings) -> anyhow::Result<u8> {
    let http = codex_auth::http_client(&ctx.env)?;
    let device = codex_auth::request_device_code(&http, &settings).await?;
    let minutes = device.lifetime.as_secs().div_ceil(60).max(1);
    eprintln!(
        "Sign in with ChatGPT using a device code:\n\n  1. Open {url} in a browser on any \
         device and sign in.\n  2. Enter this one-time code (valid for {minutes} minutes):\n\n     \
         {code}\n\nNever share this code: whoever enters it signs in as you.\nWaiting for \
         approval...",
        url = device.verification_url,
        code = device.user_code,
    );
    let issued = tokio::select! {
        result = codex_auth::complete_device_code(&http, &settings, &device) => result?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("Sign-in interrupted.");
            return Ok(EXIT_INTERRUPTED);
        }
    };
    let login = codex_auth::store_issued_tokens(&ctx.store, &ctx.policy, issued).await?;
    print_chatgpt_success(&login);
    Ok(EXIT_OK)
}

fn print_chatgpt_success(login: &codex_auth::ChatGptLogin) {
    match &login.email {
        Some(email) => println!("Successfully signed in with ChatGPT as {email}."),
        None => println!("Successfully signed in with ChatGPT."),
    }
    match &login.saved_to {
        SavedTo::File(_) | SavedTo::Keyring => {
            eprintln!("Credentials saved to {}.", login.saved_to)
        }
        SavedTo::Memory => {}
    }
}

fn login_status(config_overrides: &[String]) -> anyhow::Result<u8> {
    let ctx = AuthContext::load(config_overrides)?;
    let Some(credentials) = codex_auth::resolve_credentials(&ctx.env, &ctx.store, &ctx.policy)?
    else {
        println!("Not logged in");
        return Ok(EXIT_FAILURE);
    };
    println!("{}", describe(&credentials));
    Ok(EXIT_OK)
}

fn from_env(source: CredentialSource) -> String {
    match source {
        CredentialSource::Env(var) => format!(" (from {var})"),
        CredentialSource::Stored => String::new(),
    }
}

/// One line saying how Codex is signed in, never showing a secret in full.
fn describe(credentials: &Credentials) -> String {
    match credentials {
        Credentials::ApiKey { key, source } => format!(
            "Logged in using an API key{} - {}",
            from_env(*source),
            codex_auth::mask_api_key(key)
        ),
        Credentials::AccessToken { claims, source, .. } => {
            let account = claims.chatgpt_account_id.as_deref().unwrap_or("unknown");
            let expiry = match claims
                .exp
                .and_then(|e| jiff::Timestamp::from_second(e).ok())
            {
                Some(at) if codex_auth::is_expired(claims, jiff::Timestamp::now()) => {
                    format!(", expired at {at}")
                }
                Some(at) => format!(", expires {at}"),
                None => String::new(),
            };
            format!(
                "Logged in using a ChatGPT access token{} - account {account}{expiry}",
                from_env(*source)
            )
        }
        Credentials::ChatGpt { id_claims, .. } => {
            let mut line = "Logged in using ChatGPT".to_owned();
            if let Some(email) = &id_claims.email {
                line.push_str(&format!(" as {email}"));
            }
            let mut details = Vec::new();
            if let Some(account) = credentials.account_id() {
                details.push(format!("account {account}"));
            }
            if let Some(plan) = &id_claims.chatgpt_plan_type {
                details.push(format!("plan {plan}"));
            }
            if !details.is_empty() {
                line.push_str(&format!(" ({})", details.join(", ")));
            }
            line
        }
    }
}
