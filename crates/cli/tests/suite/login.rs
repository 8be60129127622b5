//! `codex login`, `codex login status`, `codex logout` as a user runs them: the built binary
//! against the fake OAuth issuer on 127.0.0.1, with a test "browser" following the redirect.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use codex_test_support::TestHome;
use codex_test_support::oauth::{
    AuthorizeBehavior, BrowserResponse, DeviceBehavior, FakeIssuer, browser_sign_in,
    fake_access_token, fake_jwt,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::*;

const KEY: &str = "sk-test-0123456789abcdef";

fn auth_json(home: &TestHome) -> Value {
    let text = std::fs::read_to_string(home.codex_home().join("auth.json")).expect("auth.json");
    serde_json::from_str(&text).unwrap()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn api_key_from_stdin_is_stored_0600_and_shown_masked() {
    let home = TestHome::new();
    let file = home.codex_home().join("auth.json");
    // An older, world-readable file gets replaced by a private one.
    std::fs::write(&file, "{}").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let out = run_with_stdin(
        &home,
        &["login", "--with-api-key"],
        Some(&format!("{KEY}\n")),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("API key saved to "),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("Reading API key from stdin..."),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(KEY) && !out.stderr.contains(KEY));
    assert_eq!(
        auth_json(&home),
        json!({"auth_mode": "apikey", "OPENAI_API_KEY": KEY})
    );
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    let status = run(&home, &["login", "status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_eq!(
        status.stdout,
        "Logged in using an API key - sk-test-***bcdef\n"
    );
}

#[test]
fn a_key_on_the_command_line_is_refused_with_the_reason() {
    let home = TestHome::new();
    for args in [
        &["login", "--with-api-key", KEY][..],
        &["login", "--api-key", KEY][..],
        &["login", KEY][..],
    ] {
        let out = run(&home, args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("Error logging in: "),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("shell history"), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("printenv OPENAI_API_KEY | codex login --with-api-key")
        );
    }
    assert!(!home.codex_home().join("auth.json").exists());
}

#[test]
fn empty_stdin_is_an_error() {
    let home = TestHome::new();
    let out = run_with_stdin(&home, &["login", "--with-api-key"], Some("  \n"));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no API key on stdin"), "{}", out.stderr);
}

#[test]
fn logout_removes_credentials_and_status_reflects_it() {
    let home = TestHome::new();
    let out = run_with_stdin(&home, &["login", "--with-api-key"], Some(KEY));
    assert_eq!(out.code, 0, "{}", out.stderr);

    let out = run(&home, &["logout"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "Successfully logged out\n")
    );
    assert!(!home.codex_home().join("auth.json").exists());

    let status = run(&home, &["login", "status"]);
    assert_eq!(
        (status.code, status.stdout.as_str()),
        (1, "Not logged in\n")
    );

    let again = run(&home, &["logout"]);
    assert_eq!((again.code, again.stdout.as_str()), (0, "Not logged in\n"));
}

#[test]
fn access_token_login_validates_the_jwt() {
    let home = TestHome::new();
    let token = fake_access_token("acct-777", 3600);
    let out = run_with_stdin(&home, &["login", "--with-access-token"], Some(&token));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "Access token for ChatGPT account acct-777 saved to {}.\n",
            home.codex_home().join("auth.json").display()
        )
    );
    assert_eq!(
        auth_json(&home),
        json!({"auth_mode": "accessToken", "OPENAI_API_KEY": null, "access_token": token})
    );
    let status = run(&home, &["login", "status"]);
    assert_eq!(status.code, 0);
    assert!(
        status
            .stdout
            .starts_with("Logged in using a ChatGPT access token - account acct-777, expires "),
        "{}",
        status.stdout
    );

    let no_account = fake_jwt(&json!({"exp": 4_000_000_000_i64}));
    let expired = fake_access_token("acct-777", -60);
    for (bad, reason) in [
        ("sk-not-a-jwt", "not a ChatGPT access token"),
        (no_account.as_str(), "no chatgpt_account_id"),
        (expired.as_str(), "already expired"),
    ] {
        let out = run_with_stdin(&home, &["login", "--with-access-token"], Some(bad));
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("the access token: "), "{}", out.stderr);
        assert!(out.stderr.contains(reason), "{}", out.stderr);
    }
}

#[test]
fn env_precedence_api_key_then_access_token_then_auth_json() {
    let home = TestHome::new();
    let out = run_with_stdin(&home, &["login", "--with-api-key"], Some(KEY));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let token = fake_access_token("acct-env", 3600);
    let status = |vars: &[(&str, &str)]| {
        let mut cmd = codex_command(&home);
        cmd.args(["login", "status"]).envs(vars.iter().copied());
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert_eq!(
        status(&[
            ("CODEX_API_KEY", "sk-env-key-000000000000"),
            ("CODEX_ACCESS_TOKEN", &token)
        ]),
        "Logged in using an API key (from CODEX_API_KEY) - sk-env-k***00000\n"
    );
    assert!(status(&[("CODEX_ACCESS_TOKEN", &token)]).starts_with(
        "Logged in using a ChatGPT access token (from CODEX_ACCESS_TOKEN) - account acct-env"
    ));
    // OPENAI_API_KEY (set by the test home) is not a credential by itself.
    assert_eq!(
        status(&[]),
        "Logged in using an API key - sk-test-***bcdef\n"
    );
}

#[test]
fn forced_login_method_refuses_the_other_kind() {
    let home = TestHome::new();
    home.write_config("forced_login_method = \"chatgpt\"\n");
    let out = run_with_stdin(&home, &["login", "--with-api-key"], Some(KEY));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("an API key is not allowed: forced_login_method = \"chatgpt\""),
        "{}",
        out.stderr
    );
    assert!(!home.codex_home().join("auth.json").exists());

    home.write_config("forced_login_method = \"api\"\n");
    let out = run(
        &home,
        &["login", "--port", "0", "--issuer", "http://127.0.0.1:9"],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("ChatGPT sign-in is not allowed"),
        "{}",
        out.stderr
    );
}

#[test]
fn ephemeral_store_keeps_nothing_on_disk() {
    let home = TestHome::new();
    home.write_config("cli_auth_credentials_store = \"ephemeral\"\n");
    let out = run_with_stdin(&home, &["login", "--with-api-key"], Some(KEY));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("in memory only"), "{}", out.stderr);
    assert!(!home.codex_home().join("auth.json").exists());
}

#[test]
fn a_bad_ca_bundle_is_an_error_naming_the_variable() {
    let home = TestHome::new();
    let mut cmd = codex_command(&home);
    cmd.args(["login", "--device-auth", "--issuer", "http://127.0.0.1:9"])
        .env("CODEX_CA_CERTIFICATE", "/nonexistent/corp-ca.pem");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "CODEX_CA_CERTIFICATE=/nonexistent/corp-ca.pem: cannot read the CA certificate bundle"
        ),
        "{stderr}"
    );
}

/// A `codex login` running in the background, its stderr collected line by line.
struct LoginProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl LoginProcess {
    fn spawn(home: &TestHome, issuer: &FakeIssuer, port: u16, extra: &[&str]) -> LoginProcess {
        let mut cmd = codex_command(home);
        let port = port.to_string();
        cmd.args([
            "login",
            "--issuer",
            &issuer.url(),
            "--client-id",
            &issuer.client_id(),
        ])
        .args(["--port", &port])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        LoginProcess {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `needle` and returns it trimmed.
    fn wait_for_line(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line.trim().to_owned();
                    }
                }
                Err(_) => panic!(
                    "no line containing {needle:?}; stderr so far: {:#?}",
                    self.seen
                ),
            }
        }
    }

    fn authorize_url(&mut self) -> String {
        self.wait_for_line("/oauth/authorize?")
    }

    /// Exit code, stdout, and all of stderr.
    fn finish(mut self) -> (i32, String, String) {
        let out = self.child.wait_with_output().unwrap();
        self.seen.extend(self.lines.try_iter());
        // The reader thread may still be draining.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(line);
        }
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            self.seen.join("\n"),
        )
    }
}

fn browser_login(
    behavior: AuthorizeBehavior,
) -> (BrowserResponse, (i32, String, String), TestHome) {
    let issuer = FakeIssuer::start();
    issuer.set_authorize(behavior);
    let home = TestHome::new();
    let mut login = LoginProcess::spawn(&home, &issuer, 0, &[]);
    let url = login.authorize_url();
    assert!(
        url.starts_with(&format!("{}/oauth/authorize?", issuer.url())),
        "{url}"
    );
    let page = browser_sign_in(&url);
    (page, login.finish(), home)
}

#[test]
fn browser_login_stores_chatgpt_tokens() {
    let (page, (code, stdout, stderr), home) = browser_login(AuthorizeBehavior::Approve);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("You're signed in"), "{}", page.body);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Successfully signed in with ChatGPT as dev@example.com.\n"
    );
    assert!(
        stderr.contains("Open this URL in a browser to sign in:"),
        "{stderr}"
    );
    let auth = auth_json(&home);
    assert_eq!(auth["auth_mode"], "chatgpt");
    assert_eq!(auth["tokens"]["account_id"], "acct-test-123");
    for key in ["id_token", "access_token", "refresh_token"] {
        assert!(
            auth["tokens"][key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}"
        );
    }
    assert!(auth["last_refresh"].is_string());
    #[cfg(unix)]
    assert_eq!(mode(&home.codex_home().join("auth.json")), 0o600);

    let status = run(&home, &["login", "status"]);
    assert_eq!(status.code, 0);
    assert_eq!(
        status.stdout,
        "Logged in using ChatGPT as dev@example.com (account acct-test-123, plan plus)\n"
    );
}

#[test]
fn browser_login_missing_entitlement() {
    let (page, (code, stdout, stderr), home) = browser_login(AuthorizeBehavior::Deny {
        error: "access_denied".into(),
        description: Some("missing_codex_entitlement".into()),
    });
    assert!(
        page.body.contains("<title>Codex Sign-in Error</title>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Ask your workspace administrator to enable"),
        "{}",
        page.body
    );
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(
            "Error logging in: Codex is not enabled for your ChatGPT workspace; ask your workspace administrator"
        ),
        "{stderr}"
    );
    assert!(!home.codex_home().join("auth.json").exists());
}

#[test]
fn browser_login_other_error() {
    let (page, (code, _, stderr), _home) = browser_login(AuthorizeBehavior::Deny {
        error: "server_error".into(),
        description: Some("The sign-in service is down".into()),
    });
    assert!(page.body.contains("<dd>server_error</dd>"), "{}", page.body);
    assert!(
        page.body.contains("<dd>The sign-in service is down</dd>"),
        "{}",
        page.body
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "Error logging in: the sign-in page reported server_error: The sign-in service is down"
        ),
        "{stderr}"
    );
}

#[test]
fn browser_login_without_code() {
    let (page, (code, _, stderr), _home) = browser_login(AuthorizeBehavior::NoCode);
    assert_eq!(page.status, 400);
    assert_eq!(code, 1);
    assert!(stderr.contains("missing_authorization_code"), "{stderr}");
}

#[test]
fn browser_login_state_mismatch() {
    let (page, (code, _, stderr), home) = browser_login(AuthorizeBehavior::WrongState);
    assert_eq!(page.status, 400);
    assert!(page.body.contains("State mismatch"), "{}", page.body);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Error logging in: State mismatch"),
        "{stderr}"
    );
    assert!(!home.codex_home().join("auth.json").exists());
}

#[test]
fn a_second_login_cancels_the_first() {
    let issuer = FakeIssuer::start();
    let home = TestHome::new();
    let port = free_port();
    let mut first = LoginProcess::spawn(&home, &issuer, port, &[]);
    first.authorize_url();
    let mut second = LoginProcess::spawn(&home, &issuer, port, &[]);
    let url = second.authorize_url();
    assert!(
        url.contains(&format!("127.0.0.1%3A{port}%2Fauth%2Fcallback")),
        "{url}"
    );

    let (code, _, stderr) = first.finish();
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Error logging in: sign-in cancelled"),
        "{stderr}"
    );

    let page = browser_sign_in(&url);
    assert_eq!(page.status, 200, "{}", page.body);
    let (code, stdout, stderr) = second.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Successfully signed in"));
}

#[test]
fn a_port_held_by_another_program_is_a_clear_error() {
    let issuer = FakeIssuer::start();
    // Another local web server (it answers /cancel with 404 and keeps the port).
    let other = FakeIssuer::start();
    let port: u16 = other.url().rsplit(':').next().unwrap().parse().unwrap();
    let home = TestHome::new();
    let (code, _, stderr) = LoginProcess::spawn(&home, &issuer, port, &[]).finish();
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "Error logging in: port {port} on 127.0.0.1 is in use by another program"
        )),
        "{stderr}"
    );
}

#[test]
fn device_code_login() {
    let issuer = FakeIssuer::start();
    issuer.set_device(DeviceBehavior::ApproveAfter(1));
    let home = TestHome::new();
    let (code, stdout, stderr) =
        LoginProcess::spawn(&home, &issuer, 0, &["--device-auth"]).finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("Open {}/codex/device in a browser", issuer.url())),
        "{stderr}"
    );
    assert!(stderr.contains("ABCD-12345"), "{stderr}");
    assert_eq!(
        stdout,
        "Successfully signed in with ChatGPT as dev@example.com.\n"
    );
    assert_eq!(auth_json(&home)["auth_mode"], "chatgpt");

    issuer.set_device(DeviceBehavior::Deny);
    let (code, _, stderr) = LoginProcess::spawn(&home, &issuer, 0, &["--device-auth"]).finish();
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Error logging in: device sign-in was denied"),
        "{stderr}"
    );

    issuer.set_device(DeviceBehavior::Expire);
    let (code, _, stderr) = LoginProcess::spawn(&home, &issuer, 0, &["--device-auth"]).finish();
    assert_eq!(code, 1);
    assert!(stderr.contains("the device code expired"), "{stderr}");
}
