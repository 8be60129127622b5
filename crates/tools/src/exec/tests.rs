//! Tests against real processes (bash, sleep, cat).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use pretty_assertions::assert_eq;
use tokio_util::sync::CancellationToken;

use super::*;

fn test_env(cwd: &Path) -> ExecEnv {
    ExecEnv {
        cwd: cwd.to_path_buf(),
        env: BTreeMap::from([(
            "PATH".to_string(),
            "/usr/local/bin:/usr/bin:/bin".to_string(),
        )]),
        sandbox: None,
    }
}

fn ignore_output(_: &[u8]) {}

/// Params for `cmd` in a non-login shell: login shells read the machine's profile files, whose
/// output would make the transcripts below machine-dependent.
/// A PTY command (most tests here exercise the terminal path; pipe tests set `tty: false`).
fn exec(cmd: &str) -> ExecCommandParams {
    ExecCommandParams {
        cmd: cmd.to_string(),
        login: Some(false),
        tty: Some(true),
        ..ExecCommandParams::default()
    }
}

#[tokio::test]
async fn default_is_pipes_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let params = ExecCommandParams {
        cmd: "test -t 1 && echo terminal || echo pipe".to_string(),
        login: Some(false),
        ..ExecCommandParams::default()
    };
    let out = ExecSessionManager::new()
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.output, "pipe\n");
}

fn poll(session_id: i32, chars: &str, yield_time_ms: u64) -> WriteStdinParams {
    WriteStdinParams {
        session_id,
        chars: Some(chars.to_string()),
        yield_time_ms: Some(yield_time_ms),
        max_output_tokens: None,
    }
}

/// Processes (not zombies) whose process group is `pgid`, from /proc.
fn live_members_of_group(pgid: i32) -> Vec<i32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the parenthesised command name: state ppid pgrp ...
        let (_, after_name) = stat.rsplit_once(')').unwrap();
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        if fields[2].parse::<i32>().unwrap() == pgid && fields[0] != "Z" && fields[0] != "X" {
            members.push(pid);
        }
    }
    members
}

/// Waits (generously) until no live process of group `pgid` remains.
async fn assert_group_gone(pgid: i32) {
    for _ in 0..100 {
        if live_members_of_group(pgid).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "process group {pgid} still has live members: {:?}",
        live_members_of_group(pgid)
    );
}

#[tokio::test]
async fn echo_exits_zero_with_output() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let out = manager
        .exec_command(
            exec("echo hi"),
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(out.session_id, None);
    assert_eq!(out.output, "hi\n");
    assert_eq!(out.original_token_count, 1);
    assert_eq!(out.chunk_id.len(), 6);
    assert!(
        out.chunk_id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(manager.session_ids().is_empty());
}

#[tokio::test]
async fn login_shell_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let params = ExecCommandParams {
        cmd: "shopt -q login_shell && echo login-shell".to_string(),
        ..ExecCommandParams::default()
    };
    let out = ExecSessionManager::new()
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(0));
    // Profile scripts may print before the command runs.
    assert!(out.output.ends_with("login-shell\n"), "{:?}", out.output);
}

#[tokio::test]
async fn exit_codes_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path());
    let manager = ExecSessionManager::new();
    let out = manager
        .exec_command(
            exec("exit 3"),
            &env,
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(3));

    let out = manager
        .exec_command(
            exec("definitely-not-a-command-4711"),
            &env,
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(127));
    assert!(
        out.output.contains("definitely-not-a-command-4711"),
        "{:?}",
        out.output
    );

    // Killed by SIGKILL: 128 + 9.
    let out = manager
        .exec_command(
            exec("kill -9 $$"),
            &env,
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(137));
}

#[tokio::test]
async fn stdout_and_stderr_are_both_captured() {
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path());
    let manager = ExecSessionManager::new();
    let out = manager
        .exec_command(
            exec("echo out; echo err >&2"),
            &env,
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.output, "out\nerr\n");

    let params = ExecCommandParams {
        tty: Some(false),
        ..exec("echo out; echo err >&2; printf 'a\\r\\nb'")
    };
    let out = manager
        .exec_command(params, &env, CancellationToken::new(), &ignore_output)
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(0));
    // Pipes: no terminal line endings to normalise, so `\r\n` written by the program stays.
    assert_eq!(out.output, "out\nerr\na\r\nb");
}

#[tokio::test]
async fn on_output_sees_every_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let seen = Mutex::new(Vec::<u8>::new());
    let sink = |chunk: &[u8]| seen.lock().unwrap().extend_from_slice(chunk);
    let out = ExecSessionManager::new()
        .exec_command(
            exec("echo one; echo two"),
            &test_env(dir.path()),
            CancellationToken::new(),
            &sink,
        )
        .await
        .unwrap();
    assert_eq!(out.output, "one\ntwo\n");
    assert_eq!(seen.into_inner().unwrap(), b"one\r\ntwo\r\n");
}

#[tokio::test]
async fn long_running_command_becomes_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let params = ExecCommandParams {
        yield_time_ms: Some(300),
        ..exec("echo started; sleep 30")
    };
    let out = manager
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, None);
    let id = out.session_id.expect("still running");
    assert_eq!(id, 1000);
    assert_eq!(manager.session_ids(), vec![id]);

    // Empty polls until the echo shows up (it normally is already in the first result).
    let mut combined = out.output;
    for _ in 0..40 {
        if combined.contains('\n') {
            break;
        }
        let polled = manager
            .write_stdin(poll(id, "", 250), CancellationToken::new(), &ignore_output)
            .await
            .unwrap();
        assert_eq!(polled.exit_code, None);
        assert_eq!(polled.session_id, Some(id));
        combined.push_str(&polled.output);
    }
    assert_eq!(combined, "started\n");
    let polled = manager
        .write_stdin(poll(id, "", 250), CancellationToken::new(), &ignore_output)
        .await
        .unwrap();
    assert_eq!((polled.exit_code, polled.session_id), (None, Some(id)));
    assert_eq!(polled.output, "");

    manager.terminate_all().await;
    assert!(manager.session_ids().is_empty());
    let err = manager
        .write_stdin(poll(id, "", 250), CancellationToken::new(), &ignore_output)
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::UnknownSession(1000)), "{err:?}");
}

#[tokio::test]
async fn interactive_read_answered_via_write_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let params = ExecCommandParams {
        yield_time_ms: Some(300),
        ..exec("read x; echo got $x")
    };
    let out = manager
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    let id = out.session_id.expect("waiting for input");

    let answered = manager
        .write_stdin(
            poll(id, "hello\n", 10_000),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(answered.exit_code, Some(0));
    assert_eq!(answered.session_id, None);
    // The terminal echoes the typed line before the program's reply.
    assert_eq!(answered.output, "hello\ngot hello\n");
    assert!(manager.session_ids().is_empty());

    let err = manager
        .write_stdin(poll(id, "", 250), CancellationToken::new(), &ignore_output)
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::UnknownSession(got) if got == id));
}

#[tokio::test]
async fn cat_in_a_pty_echoes_and_ends_on_eof() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let params = ExecCommandParams {
        yield_time_ms: Some(250),
        ..exec("cat")
    };
    let out = manager
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    let id = out.session_id.expect("cat waits for input");
    let mut transcript = out.output;

    let typed = manager
        .write_stdin(
            poll(id, "ping\n", 250),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    transcript.push_str(&typed.output);
    // Ctrl-D at the start of a line: end of input, cat exits.
    let ended = manager
        .write_stdin(
            poll(id, "\u{4}", 10_000),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    transcript.push_str(&ended.output);
    assert_eq!(ended.exit_code, Some(0));
    assert_eq!(transcript, "ping\nping\n");
}

#[tokio::test]
async fn piped_session_takes_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let params = ExecCommandParams {
        tty: Some(false),
        yield_time_ms: Some(250),
        ..exec("read x; echo got $x")
    };
    let out = manager
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    let id = out.session_id.expect("waiting for input");
    let answered = manager
        .write_stdin(
            poll(id, "piped\n", 10_000),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(answered.exit_code, Some(0));
    // No terminal, no echo.
    assert_eq!(answered.output, "got piped\n");
}

/// Parses `pids <shell> <background>` from the command's output.
fn parse_pids(text: &str) -> Option<(i32, i32)> {
    let line = text.lines().find(|l| l.starts_with("pids "))?;
    let mut parts = line.trim_end_matches('\r').split(' ').skip(1);
    let shell = parts.next()?.parse().ok()?;
    let background = parts.next()?.parse().ok()?;
    Some((shell, background))
}

#[tokio::test]
async fn cancel_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let cancel = CancellationToken::new();
    let seen = Mutex::new(String::new());
    let sink = |chunk: &[u8]| {
        let mut seen = seen.lock().unwrap();
        seen.push_str(&String::from_utf8_lossy(chunk));
        if seen.contains('\n') && parse_pids(&seen).is_some() {
            cancel.cancel();
        }
    };
    let err = manager
        .exec_command(
            exec("sleep 100 & echo \"pids $$ $!\"; sleep 100; wait"),
            &test_env(dir.path()),
            cancel.clone(),
            &sink,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::Cancelled), "{err:?}");
    let (shell, background) = parse_pids(&seen.lock().unwrap()).expect("pids printed");
    assert_ne!(shell, background);
    assert_group_gone(shell).await;
    assert!(manager.session_ids().is_empty());
}

#[tokio::test]
async fn cancel_during_write_stdin_kills_and_forgets_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let params = ExecCommandParams {
        yield_time_ms: Some(300),
        ..exec("echo \"pids $$ $$\"; sleep 100")
    };
    let out = manager
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    let id = out.session_id.expect("running");
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = manager
        .write_stdin(poll(id, "", 5_000), cancel, &ignore_output)
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::Cancelled), "{err:?}");
    assert!(manager.session_ids().is_empty());
    let (shell, _) = parse_pids(&out.output).expect("pid printed");
    assert_group_gone(shell).await;
}

#[tokio::test]
async fn dropping_the_manager_kills_running_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let params = ExecCommandParams {
        yield_time_ms: Some(300),
        ..exec("echo \"pids $$ $$\"; sleep 100")
    };
    let out = manager
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert!(out.session_id.is_some());
    let (shell, _) = parse_pids(&out.output).expect("pid printed");
    drop(manager);
    assert_group_gone(shell).await;
}

#[tokio::test]
async fn environment_is_exactly_the_one_passed() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = test_env(dir.path());
    env.env
        .insert("CODEX_TEST_VAR".to_string(), "passed".to_string());
    let params = ExecCommandParams {
        login: Some(false),
        tty: Some(false),
        ..exec("env")
    };
    let out = ExecSessionManager::new()
        .exec_command(params, &env, CancellationToken::new(), &ignore_output)
        .await
        .unwrap();
    let names: BTreeSet<&str> = out
        .output
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .collect();
    assert!(
        out.output.contains("CODEX_TEST_VAR=passed\n"),
        "{}",
        out.output
    );
    // Only what we passed, plus what bash itself defines for its children.
    let allowed = BTreeSet::from(["PATH", "CODEX_TEST_VAR", "PWD", "SHLVL", "_", "OLDPWD"]);
    assert!(names.is_subset(&allowed), "unexpected variables: {names:?}");

    let out = ExecSessionManager::new()
        .exec_command(
            exec("echo \"absent=${CARGO_MANIFEST_DIR-unset}\""),
            &env,
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    assert_eq!(out.output, "absent=unset\n");
}

#[tokio::test]
async fn workdir_is_honoured_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let env = test_env(dir.path());
    let manager = ExecSessionManager::new();

    let out = manager
        .exec_command(
            exec("pwd -P"),
            &env,
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    let root = dir.path().canonicalize().unwrap();
    assert_eq!(out.output, format!("{}\n", root.display()));

    let params = ExecCommandParams {
        workdir: Some("sub".into()),
        ..exec("pwd -P")
    };
    let out = manager
        .exec_command(params, &env, CancellationToken::new(), &ignore_output)
        .await
        .unwrap();
    assert_eq!(out.output, format!("{}\n", root.join("sub").display()));

    let params = ExecCommandParams {
        workdir: Some("missing".into()),
        ..exec("pwd")
    };
    let err = manager
        .exec_command(params, &env, CancellationToken::new(), &ignore_output)
        .await
        .unwrap_err();
    match &err {
        ExecError::Workdir { path, .. } => assert_eq!(path, &dir.path().join("missing")),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().contains("missing"), "{err}");
}

#[tokio::test]
async fn missing_shell_is_a_spawn_error() {
    let dir = tempfile::tempdir().unwrap();
    let params = ExecCommandParams {
        shell: Some("/nonexistent/shell".to_string()),
        ..exec("true")
    };
    let err = ExecSessionManager::new()
        .exec_command(
            params,
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap_err();
    match err {
        ExecError::Spawn { program, source } => {
            assert_eq!(program, "/nonexistent/shell");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[tokio::test]
async fn model_text_layout() {
    let dir = tempfile::tempdir().unwrap();
    let manager = ExecSessionManager::new();
    let mut out = manager
        .exec_command(
            exec("echo hi; exit 3"),
            &test_env(dir.path()),
            CancellationToken::new(),
            &ignore_output,
        )
        .await
        .unwrap();
    out.chunk_id = "0a1b2c".to_string();
    out.wall_time = Duration::from_micros(1_234_567);
    assert_eq!(
        out.to_model_text(None),
        "Chunk ID: 0a1b2c\nWall time: 1.2346 seconds\nProcess exited with code 3\n\
         Original token count: 1\nOutput:\nhi\n"
    );

    let running = ExecOutput {
        chunk_id: "ffffff".to_string(),
        wall_time: Duration::from_millis(250),
        exit_code: None,
        session_id: Some(1000),
        output: "x".repeat(100),
        original_token_count: 25,
    };
    assert_eq!(
        running.to_model_text(Some(10)),
        format!(
            "Chunk ID: ffffff\nWall time: 0.2500 seconds\nProcess running with session ID 1000\n\
             Original token count: 25\nOutput:\n{}\n[… 15 tokens truncated …]\n{}",
            "x".repeat(20),
            "x".repeat(20)
        )
    );
}

#[test]
fn params_accept_the_fields_the_model_sends() {
    let params: ExecCommandParams = serde_json::from_value(serde_json::json!({
        "cmd": "ls",
        "workdir": "src",
        "yield_time_ms": 1000,
        "max_output_tokens": 200,
        "shell": "/bin/zsh",
        "tty": false,
        "login": false,
        "sandbox_permissions": "require_escalated",
        "justification": "needs network",
        "prefix_rule": ["npm", "install"],
        "something_new": true
    }))
    .unwrap();
    assert_eq!(
        params,
        ExecCommandParams {
            cmd: "ls".to_string(),
            workdir: Some("src".into()),
            shell: Some("/bin/zsh".to_string()),
            login: Some(false),
            tty: Some(false),
            yield_time_ms: Some(1000),
            max_output_tokens: Some(200),
            sandbox_permissions: Some(SandboxPermissions::RequireEscalated),
            justification: Some("needs network".to_string()),
            prefix_rule: Some(vec!["npm".to_string(), "install".to_string()]),
        }
    );

    let params: WriteStdinParams =
        serde_json::from_value(serde_json::json!({"session_id": 1000})).unwrap();
    assert_eq!(
        params,
        WriteStdinParams {
            session_id: 1000,
            ..WriteStdinParams::default()
        }
    );

    let params: ShellParams = serde_json::from_value(serde_json::json!({
        "command": ["bash", "-lc", "ls"],
        "timeout_ms": 500,
        "sandbox_permissions": "use_default"
    }))
    .unwrap();
    assert_eq!(params.command, ["bash", "-lc", "ls"]);
    assert_eq!(params.timeout_ms, Some(500));
    assert_eq!(
        params.sandbox_permissions,
        Some(SandboxPermissions::UseDefault)
    );
}

#[test]
fn yield_time_is_clamped() {
    assert_eq!(
        effective_yield(None, DEFAULT_EXEC_YIELD_MS),
        Duration::from_secs(10)
    );
    assert_eq!(
        effective_yield(Some(1), DEFAULT_EXEC_YIELD_MS),
        Duration::from_millis(250)
    );
    assert_eq!(effective_yield(Some(99_999), 250), Duration::from_secs(30));
}

#[tokio::test]
async fn run_shell_captures_both_streams() {
    let dir = tempfile::tempdir().unwrap();
    let params = ShellParams {
        command: vec![
            "bash".to_string(),
            "-c".to_string(),
            "echo out; echo err >&2; exit 2".to_string(),
        ],
        ..ShellParams::default()
    };
    let mut out = run_shell(
        params,
        &test_env(dir.path()),
        CancellationToken::new(),
        &ignore_output,
    )
    .await
    .unwrap();
    assert_eq!(out.exit_code, 2);
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    assert!(!out.timed_out);
    let mut lines: Vec<&str> = out.aggregated_output.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["err", "out"]);

    out.aggregated_output = "out\nerr\n".to_string();
    out.duration = Duration::from_millis(1260);
    assert_eq!(
        out.to_model_text(None),
        r#"{"output":"out\nerr\n","metadata":{"exit_code":2,"duration_seconds":1.3}}"#
    );
}

#[tokio::test]
async fn run_shell_timeout_kills_with_124() {
    let dir = tempfile::tempdir().unwrap();
    let params = ShellParams {
        command: vec![
            "bash".to_string(),
            "-c".to_string(),
            "echo waiting; sleep 30 & sleep 30".to_string(),
        ],
        timeout_ms: Some(300),
        ..ShellParams::default()
    };
    let out = run_shell(
        params,
        &test_env(dir.path()),
        CancellationToken::new(),
        &ignore_output,
    )
    .await
    .unwrap();
    assert_eq!(out.exit_code, 124);
    assert!(out.timed_out);
    assert_eq!(out.stdout, "waiting\n");
    assert_eq!(
        out.aggregated_output,
        "waiting\ncommand timed out after 300 ms"
    );
}

#[tokio::test]
async fn run_shell_cancel_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path());
    let cancel = CancellationToken::new();
    let sink = |chunk: &[u8]| {
        if chunk.windows(5).any(|w| w == b"ready") {
            cancel.cancel();
        }
    };
    let params = ShellParams {
        command: vec![
            "bash".to_string(),
            "-c".to_string(),
            "echo ready; sleep 30".to_string(),
        ],
        timeout_ms: Some(60_000),
        ..ShellParams::default()
    };
    let err = run_shell(params, &env, cancel.clone(), &sink)
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::Cancelled), "{err:?}");

    let params = ShellParams {
        command: vec!["/nonexistent/tool".to_string()],
        ..ShellParams::default()
    };
    let err = run_shell(params, &env, CancellationToken::new(), &ignore_output)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ExecError::Spawn { program, .. } if program == "/nonexistent/tool"),
        "{err:?}"
    );

    let err = run_shell(
        ShellParams::default(),
        &env,
        CancellationToken::new(),
        &ignore_output,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ExecError::EmptyCommand), "{err:?}");
}
