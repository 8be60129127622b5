//! Helpers to run the built binary the way a user or script would.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use codex_test_support::{CapturedRequest, FakeServer, TestHome};
use serde_json::Value;

/// A finished `codex` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON Lines.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}\n{}", self.stderr))
            })
            .collect()
    }

    /// JSONL events with the volatile thread id replaced by `<THREAD>`.
    pub fn normalized_events(&self) -> Vec<Value> {
        let mut events = self.events();
        for e in &mut events {
            if e["type"] == "thread.started" {
                e["thread_id"] = Value::String("<THREAD>".into());
            }
        }
        events
    }

    pub fn thread_id(&self) -> String {
        self.events()
            .iter()
            .find(|e| e["type"] == "thread.started")
            .and_then(|e| e["thread_id"].as_str().map(str::to_string))
            .expect("thread.started")
    }
}

pub fn codex_command(home: &TestHome) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codex"));
    cmd.current_dir(home.workdir())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(home.env())
        .env("NO_COLOR", "1");
    cmd
}

/// Runs `codex ARGS` in the test's work dir with `stdin` as standard input.
pub fn run_with_stdin(home: &TestHome, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = codex_command(home);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn codex");
    if let Some(text) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        // The process may exit (e.g. refusing its input) before reading it all.
        if let Err(e) = pipe.write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait codex");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn run(home: &TestHome, args: &[&str]) -> Run {
    run_with_stdin(home, args, None)
}

/// A home whose config points at `server`, with the given extra config text appended.
pub fn home_for(server: &FakeServer, extra: &str) -> TestHome {
    let home = TestHome::new();
    home.write_config(&format!("{}\n{extra}", home.config_for(server)));
    home
}

/// The responses requests the server received.
pub fn model_requests(server: &FakeServer) -> Vec<CapturedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

/// Items of a request body's `input` of a given type.
pub fn inputs_of_type<'a>(body: &'a Value, kind: &str) -> Vec<&'a Value> {
    body["input"]
        .as_array()
        .map(|a| a.iter().filter(|i| i["type"] == kind).collect())
        .unwrap_or_default()
}

/// All text of the request's messages with `role`.
pub fn message_texts(body: &Value, role: &str) -> Vec<String> {
    inputs_of_type(body, "message")
        .into_iter()
        .filter(|m| m["role"] == role)
        .map(|m| {
            m["content"]
                .as_array()
                .map(|parts| {
                    parts
                        .iter()
                        .filter_map(|p| p["text"].as_str())
                        .collect::<Vec<_>>()
                        .join("")
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The rollout files under the home's sessions dir.
pub fn rollout_files(home: &TestHome) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&home.codex_home().join("sessions"), &mut out);
    out
}
