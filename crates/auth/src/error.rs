//! [`AuthError`]: every sign-in failure, with enough context (file, variable, URL, HTTP status,
//! OAuth error code) that the message alone tells the user what to fix. Variants wrapping an I/O
//! or HTTP error keep it as `source`; print with `{:#}` to see the chain.

use std::path::PathBuf;

use codex_config::ForcedLoginMethod;

/// What an OAuth redirect to `/auth/callback` carried instead of a usable authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackFailure {
    /// `error=access_denied` with `missing_codex_entitlement`: the user's ChatGPT workspace
    /// does not have Codex enabled.
    MissingCodexEntitlement,
    /// Any other `error` (with its optional `error_description`).
    Provider {
        code: String,
        description: Option<String>,
    },
    /// Neither `code` nor `error` (reported as `missing_authorization_code`).
    MissingAuthorizationCode,
    /// `state` absent or different from the one this login sent.
    StateMismatch,
}

impl std::fmt::Display for CallbackFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallbackFailure::MissingCodexEntitlement => f.write_str(
                "Codex is not enabled for your ChatGPT workspace; ask your workspace \
                 administrator to turn it on (access_denied: missing_codex_entitlement)",
            ),
            CallbackFailure::Provider {
                code,
                description: Some(description),
            } => write!(f, "the sign-in page reported {code}: {description}"),
            CallbackFailure::Provider {
                code,
                description: None,
            } => write!(f, "the sign-in page reported {code}"),
            CallbackFailure::MissingAuthorizationCode => f.write_str(
                "the sign-in redirect carried no authorization code (missing_authorization_code)",
            ),
            CallbackFailure::StateMismatch => f.write_str(
                "State mismatch: the sign-in redirect does not belong to this login; run \
                 `codex login` again",
            ),
        }
    }
}

/// Which kind of credential a [`AuthError::ForcedLoginMethod`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    ApiKey,
    ChatGpt,
    AccessToken,
}

impl std::fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CredentialKind::ApiKey => "an API key",
            CredentialKind::ChatGpt => "ChatGPT sign-in",
            CredentialKind::AccessToken => "an access token",
        })
    }
}

fn forced_name(method: &ForcedLoginMethod) -> &'static str {
    match method {
        ForcedLoginMethod::Chatgpt => "chatgpt",
        ForcedLoginMethod::Api => "api",
    }
}

fn forced_hint(method: &ForcedLoginMethod) -> &'static str {
    match method {
        ForcedLoginMethod::Chatgpt => "sign in with ChatGPT: `codex login`",
        ForcedLoginMethod::Api => {
            "use an API key: `printenv OPENAI_API_KEY | codex login --with-api-key`"
        }
    }
}

/// Errors of the `codex-auth` crate.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Reading, writing or removing a credentials file failed.
    #[error("{action} {}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `auth.json` is not valid JSON of the expected shape.
    #[error("{} is not a valid credentials file: {source}", path.display())]
    FileFormat {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The OS keyring refused an operation.
    #[error(
        "OS keyring: {message} (with cli_auth_credentials_store = \"auto\" Codex falls back to \
         auth.json when no keyring is available)"
    )]
    Keyring { message: String },
    /// `cli_auth_credentials_store = "keyring"` in a build without keyring support.
    #[error(
        "cli_auth_credentials_store = \"keyring\" needs OS keyring support, which this build of \
         codex does not include; use \"file\" or \"auto\""
    )]
    KeyringNotBuilt,
    /// `CODEX_CA_CERTIFICATE` / `SSL_CERT_FILE` names a file that cannot be read.
    #[error("{var}={}: cannot read the CA certificate bundle", path.display())]
    CaCertificateRead {
        var: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bundle was read but holds no usable PEM certificate.
    #[error("{var}={}: not a PEM certificate bundle: {reason}", path.display())]
    CaCertificatePem {
        var: &'static str,
        path: PathBuf,
        reason: String,
    },
    /// A proxy variable holds something that is not a proxy URL.
    #[error("{var}={value:?}: not a valid proxy URL")]
    Proxy {
        var: &'static str,
        value: String,
        #[source]
        source: reqwest::Error,
    },
    /// The HTTP client could not be built (TLS backend setup).
    #[error("cannot set up the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// A request did not get an HTTP answer (connection, TLS, timeout).
    #[error("request to {url} failed")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// An endpoint answered with an unexpected status.
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    /// An endpoint answered 2xx with a body we cannot use.
    #[error("{url} answered with an unexpected body: {reason}")]
    Body { url: String, reason: String },
    /// A token is not a JWT we can read, or lacks a claim we need.
    #[error("{what}: {reason}")]
    InvalidToken { what: String, reason: String },
    /// `forced_login_method` allows only the other kind of credential.
    #[error(
        "{kind} is not allowed: forced_login_method = \"{}\" in config.toml; {}",
        forced_name(required),
        forced_hint(required)
    )]
    ForcedLoginMethod {
        kind: CredentialKind,
        required: ForcedLoginMethod,
    },
    /// `forced_chatgpt_workspace_id` names a different workspace than the one signed in.
    #[error(
        "signed in to ChatGPT workspace {actual}, but forced_chatgpt_workspace_id requires \
         {expected}; run `codex login` and pick that workspace"
    )]
    WorkspaceMismatch { expected: String, actual: String },
    /// The callback port is held by something that is not a `codex login` we could cancel.
    #[error(
        "port {port} on 127.0.0.1 is in use by another program, so the sign-in callback server \
         cannot start; stop that program, or use `codex login --device-auth`"
    )]
    CallbackPortInUse { port: u16 },
    /// Binding the callback server failed for another reason.
    #[error("cannot start the sign-in callback server on 127.0.0.1:{port}")]
    CallbackBind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// The browser came back to `/auth/callback` without a usable code.
    #[error("{0}")]
    Callback(CallbackFailure),
    /// Another `codex login` (or a request to `/cancel`) ended this one.
    #[error("sign-in cancelled: another `codex login` took over the callback port")]
    LoginCancelled,
    /// Device-code sign-in is not enabled on the issuer.
    #[error(
        "device code sign-in is not enabled for this account or server; enable it in your \
         ChatGPT security settings or use `codex login`"
    )]
    DeviceAuthNotEnabled,
    /// The device code expired before the user approved it.
    #[error(
        "the device code expired before sign-in finished; run `codex login --device-auth` again"
    )]
    DeviceCodeExpired,
    /// The user declined the device authorization.
    #[error("device sign-in was denied: {reason}")]
    DeviceCodeDenied { reason: String },
    /// The refresh token was rejected for good; only a new sign-in helps.
    #[error(
        "your ChatGPT sign-in could not be refreshed ({reason}); run `codex login` to sign in \
         again"
    )]
    RefreshFailed { reason: String },
    /// The access token (from `CODEX_ACCESS_TOKEN` or storage) was rejected and cannot be
    /// refreshed.
    #[error(
        "the access token{} was rejected or has expired; get a new one and run `codex login \
         --with-access-token` (or update CODEX_ACCESS_TOKEN)", source_note.as_deref().unwrap_or("")
    )]
    AccessTokenRejected { source_note: Option<String> },
    /// Something else that should not happen (a task died, a lock was poisoned).
    #[error("internal error: {0}")]
    Internal(String),
}

/// `error: source: source...`, for places that show an error without anyhow (pages, logs).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        out.push_str(": ");
        out.push_str(&source.to_string());
        next = source.source();
    }
    out
}
