//! Throwaway homes for end-to-end tests: a temp dir holding a `CODEX_HOME`, a `HOME` and a
//! git work tree, plus the `config.toml` that points the binary at a [`FakeServer`]
//! (peer-wire.md §0). Tests pass these paths to the child process; they never change their
//! own environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::server::FakeServer;

/// API key the test environment exports as `OPENAI_API_KEY` (the mock provider's `env_key`).
pub const FAKE_API_KEY: &str = "sk-test-0000000000";

/// A temp dir laid out as `codex_home/` (a `CODEX_HOME`), `home/` (a `HOME`) and `work/` (a
/// git repository with one commit of `README.md`). Removed on drop.
#[derive(Debug)]
pub struct TestHome {
    root: TempDir,
    codex_home: PathBuf,
    home: PathBuf,
    workdir: PathBuf,
}

impl TestHome {
    /// Creates the layout in the system temp dir. Panics when the dirs or the git repository
    /// cannot be created (`git` must be on `PATH`).
    pub fn new() -> Self {
        Self::from_root(TempDir::new().expect("test home: create temp dir"))
    }

    /// Creates the layout below `parent`. Useful where a `CODEX_HOME` under `/tmp` changes
    /// behaviour (the upstream binary refuses to install helper binaries there).
    pub fn new_in(parent: impl AsRef<Path>) -> Self {
        let parent = parent.as_ref();
        Self::from_root(
            TempDir::new_in(parent)
                .unwrap_or_else(|err| panic!("test home: temp dir in {}: {err}", parent.display())),
        )
    }

    fn from_root(root: TempDir) -> Self {
        let codex_home = root.path().join("codex_home");
        let home = root.path().join("home");
        let workdir = root.path().join("work");
        for dir in [&codex_home, &home, &workdir] {
            std::fs::create_dir(dir)
                .unwrap_or_else(|err| panic!("test home: create {}: {err}", dir.display()));
        }
        init_git_repo(&workdir);
        TestHome {
            root,
            codex_home,
            home,
            workdir,
        }
    }

    /// The temp dir holding everything.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The `CODEX_HOME` dir (`<root>/codex_home`).
    pub fn codex_home(&self) -> &Path {
        &self.codex_home
    }

    /// An empty dir to use as `HOME` (`<root>/home`), so nothing from the real home is read.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The git work tree (`<root>/work`), on branch `main` with one commit of `README.md`.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Writes `toml` to `<codex_home>/config.toml`, replacing any previous config.
    pub fn write_config(&self, toml: &str) {
        let path = self.codex_home.join("config.toml");
        std::fs::write(&path, toml)
            .unwrap_or_else(|err| panic!("test home: write {}: {err}", path.display()));
    }

    /// Same as the free function [`config_for`].
    pub fn config_for(&self, server: &FakeServer) -> String {
        config_for(server)
    }

    /// Environment for a child process: `CODEX_HOME`, `HOME` and `OPENAI_API_KEY` =
    /// [`FAKE_API_KEY`]. Use with `Command::envs`.
    pub fn env(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("CODEX_HOME", self.codex_home.clone().into_os_string()),
            ("HOME", self.home.clone().into_os_string()),
            ("OPENAI_API_KEY", OsString::from(FAKE_API_KEY)),
        ]
    }
}

impl Default for TestHome {
    fn default() -> Self {
        Self::new()
    }
}

/// A `config.toml` selecting provider `mock` at `server` with model `gpt-5.5`, and both retry
/// layers off (`request_max_retries = 0`, `stream_max_retries = 0`) so fault tests stay quick.
pub fn config_for(server: &FakeServer) -> String {
    config_with_retries(server, 0, 0)
}

/// Like [`config_for`], with the given per-provider retry limits (peer-wire.md §5: the two
/// layers multiply, `(request + 1) * (stream + 1)` requests for a persistent 5xx).
pub fn config_with_retries(
    server: &FakeServer,
    request_max_retries: u32,
    stream_max_retries: u32,
) -> String {
    format!(
        r#"model = "gpt-5.5"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "{url}"
env_key = "OPENAI_API_KEY"
wire_api = "responses"
request_max_retries = {request_max_retries}
stream_max_retries = {stream_max_retries}
"#,
        url = server.url()
    )
}

/// `git init` on branch `main`, local identity, and one commit of `README.md`. The user's and
/// the system's git config are ignored so signing hooks or templates cannot interfere.
fn init_git_repo(workdir: &Path) {
    git(workdir, &["init", "-q", "-b", "main"]);
    git(workdir, &["config", "user.name", "Codex Test"]);
    git(workdir, &["config", "user.email", "codex-test@example.com"]);
    git(workdir, &["config", "commit.gpgsign", "false"]);
    let readme = workdir.join("README.md");
    std::fs::write(&readme, "# test repo\n")
        .unwrap_or_else(|err| panic!("test home: write {}: {err}", readme.display()));
    git(workdir, &["add", "README.md"]);
    git(workdir, &["commit", "-q", "-m", "initial commit"]);
}

fn git(workdir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(args)
        .current_dir(workdir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap_or_else(|err| panic!("test home: run git {args:?}: {err}"));
    assert!(
        output.status.success(),
        "test home: git {args:?} failed in {}: {}",
        workdir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_git_repository() {
        let home = TestHome::new();
        assert!(home.codex_home().is_dir());
        assert!(home.home().is_dir());
        assert!(home.workdir().join("README.md").is_file());
        let log = Command::new("git")
            .args(["log", "--format=%an <%ae> %s"])
            .current_dir(home.workdir())
            .output()
            .expect("git log");
        assert!(log.status.success());
        assert_eq!(
            String::from_utf8_lossy(&log.stdout),
            "Codex Test <codex-test@example.com> initial commit\n"
        );
        let status = Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(home.workdir())
            .output()
            .expect("git status");
        assert!(status.stdout.is_empty(), "work tree is clean");
    }

    #[test]
    fn config_selects_the_mock_provider() {
        let server = FakeServer::start_blocking(Vec::new());
        let home = TestHome::new();
        home.write_config(&config_with_retries(&server, 1, 2));
        let text = std::fs::read_to_string(home.codex_home().join("config.toml")).expect("read");
        let config: toml::Table = text.parse().expect("valid TOML");
        assert_eq!(config["model"].as_str(), Some("gpt-5.5"));
        assert_eq!(config["model_provider"].as_str(), Some("mock"));
        let mock = &config["model_providers"]["mock"];
        assert_eq!(mock["name"].as_str(), Some("mock"));
        assert_eq!(mock["base_url"].as_str(), Some(server.url().as_str()));
        assert_eq!(mock["env_key"].as_str(), Some("OPENAI_API_KEY"));
        assert_eq!(mock["wire_api"].as_str(), Some("responses"));
        assert_eq!(mock["request_max_retries"].as_integer(), Some(1));
        assert_eq!(mock["stream_max_retries"].as_integer(), Some(2));

        let quick: toml::Table = home.config_for(&server).parse().expect("valid TOML");
        assert_eq!(
            quick["model_providers"]["mock"]["request_max_retries"].as_integer(),
            Some(0)
        );
        assert_eq!(
            quick["model_providers"]["mock"]["stream_max_retries"].as_integer(),
            Some(0)
        );
    }
}
