//! Permission profiles end to end: `codex sandbox -P NAME` with a `[permissions.<name>]`
//! profile (`extends`, a hidden path, a writable path), a profile error with its position, and
//! `codex exec` under `default_permissions` against the fake model server.

use codex_test_support::responses::{custom_tool_call, function_call, message, turn};
use codex_test_support::{FakeServer, TestHome};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::*;

/// `work/` gets `secret/key` (hidden), `docs/readme` (read-only) and `out/` (writable).
fn layout(home: &TestHome) {
    let w = home.workdir();
    for dir in ["secret", "docs", "out"] {
        std::fs::create_dir_all(w.join(dir)).unwrap();
    }
    std::fs::write(w.join("secret/key"), "sk-do-not-leak\n").unwrap();
    std::fs::write(w.join("docs/readme"), "docs\n").unwrap();
}

const PROFILES: &str = r#"
[permissions.base]
extends = ":read-only"
description = "read the workspace, write out/"

[permissions.base.filesystem]
":project_roots" = { "out" = "write", "secret" = "none" }

[permissions.myprofile]
extends = "base"

[permissions.myprofile.filesystem]
":project_roots" = { "scratch" = "write" }
"#;

#[test]
fn sandbox_runs_a_user_profile_with_extends_none_and_write_paths() {
    let home = TestHome::new();
    layout(&home);
    std::fs::create_dir(home.workdir().join("scratch")).unwrap();
    home.write_config(PROFILES);
    let script = "echo made > out/a.txt && echo scratch > scratch/b.txt && echo wrote; \
                  cat secret/key || echo secret-hidden; \
                  echo x > docs/readme || echo docs-read-only; \
                  echo x > new-top.txt || echo top-read-only; \
                  cat docs/readme";
    // The default backend (bubblewrap here), then the Landlock fallback.
    for extra in [&[][..], &["-c", "features.use_legacy_landlock=true"]] {
        let mut args = vec!["sandbox", "-P", "myprofile"];
        args.extend_from_slice(extra);
        args.extend(["--", "/bin/sh", "-c", script]);
        let out = run(&home, &args);
        assert_eq!(out.code, 0, "{extra:?} stderr: {}", out.stderr);
        assert_eq!(
            out.stdout, "wrote\nsecret-hidden\ndocs-read-only\ntop-read-only\ndocs\n",
            "{extra:?}"
        );
        assert!(!out.stderr.contains("sk-do-not-leak"), "{}", out.stderr);
        if !extra.is_empty() {
            assert!(out.stderr.contains("Landlock"), "{}", out.stderr);
        }
        let w = home.workdir();
        assert_eq!(
            std::fs::read_to_string(w.join("out/a.txt")).unwrap(),
            "made\n"
        );
        assert_eq!(
            std::fs::read_to_string(w.join("scratch/b.txt")).unwrap(),
            "scratch\n"
        );
        assert_eq!(
            std::fs::read_to_string(w.join("docs/readme")).unwrap(),
            "docs\n"
        );
        assert!(!w.join("new-top.txt").exists());
        std::fs::remove_file(w.join("out/a.txt")).unwrap();
    }
}

#[test]
fn sandbox_profile_from_default_permissions_and_network_switch() {
    let home = TestHome::new();
    layout(&home);
    home.write_config(&format!(
        "default_permissions = \"myprofile\"\n{PROFILES}\n[permissions.online]\nextends = \"base\"\nnetwork.enabled = true\n"
    ));
    let probe =
        "echo net=${CODEX_SANDBOX_NETWORK_DISABLED:-on}; echo hi > out/c.txt && cat out/c.txt";
    let out = run(&home, &["sandbox", "--", "/bin/sh", "-c", probe]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "net=1\nhi\n");
    let out = run(
        &home,
        &["sandbox", "-P", "online", "--", "/bin/sh", "-c", probe],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "net=on\nhi\n");
    // The built-ins still work by name.
    let out = run(
        &home,
        &[
            "sandbox",
            "-P",
            ":read-only",
            "--",
            "/bin/sh",
            "-c",
            "echo x > out/d.txt",
        ],
    );
    assert_ne!(out.code, 0);
    assert!(!home.workdir().join("out/d.txt").exists());
}

#[test]
fn profile_errors_name_the_file_line_and_key() {
    let home = TestHome::new();
    home.write_config("[permissions.broken]\nextends = \":read-only\"\n\n[permissions.broken.filesystem]\n\"src\" = \"rw\"\n");
    let out = run(&home, &["sandbox", "-P", "broken", "--", "true"]);
    assert_eq!(out.code, 1);
    let file = home.codex_home().join("config.toml");
    assert_eq!(
        out.stderr.trim(),
        format!(
            "Error: {}:5:9: permissions.broken.filesystem.src: expected \"read\", \"write\", \"none\" or a table of sub-paths, got \"rw\"",
            file.display()
        )
    );
    let out = run(&home, &["sandbox", "-P", "nope", "--", "true"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("unknown permissions profile `nope`; built-in: :read-only, :workspace, :danger-full-access; defined: broken"),
        "{}",
        out.stderr
    );
    home.write_config("default_permissions = \"a\"\n[permissions.a]\nextends = \"b\"\n[permissions.b]\nextends = \"a\"\n");
    let out = run(&home, &["sandbox", "--", "true"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "Error: {}:5:11: permissions.b.extends: permissions profiles extend each other in a cycle: a -> b -> a",
            file.display()
        )
    );
}

fn tool_output(body: &Value, call_id: &str) -> String {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            (i["type"] == "function_call_output" || i["type"] == "custom_tool_call_output")
                && i["call_id"] == call_id
        })
        .and_then(|i| i["output"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no output for {call_id} in {body:#}"))
}

const DOCS_PATCH: &str = "*** Begin Patch\n*** Add File: docs/new.md\n+nope\n*** End Patch";

fn exec_script() -> Vec<String> {
    vec![
        // Into an existing directory, so the Landlock fallback (which cannot create entries
        // next to a hidden one) gives the same result.
        json!({"cmd": "echo hi > out/made.txt && cat out/made.txt", "login": false}).to_string(),
        json!({"cmd": "cat secret/key", "login": false}).to_string(),
    ]
}

fn exec_server() -> FakeServer {
    let calls = exec_script();
    FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![function_call("c_write", "exec_command", calls[0].clone())],
        ),
        turn(
            "resp_2",
            vec![function_call("c_secret", "exec_command", calls[1].clone())],
        ),
        turn(
            "resp_3",
            vec![custom_tool_call("c_patch", "apply_patch", DOCS_PATCH)],
        ),
        turn("resp_4", vec![message("done")]),
    ])
}

#[test]
fn exec_uses_default_permissions() {
    // `default_permissions` lets the workspace be written (read-only would refuse), keeps
    // `secret/` hidden and `docs/` read-only, also for apply_patch, and tells the model.
    let server = exec_server();
    let home = TestHome::new();
    // Top-level keys go before the provider table of `config_for`.
    home.write_config(&format!(
        r#"default_permissions = "edit"
{}
[permissions.edit]
extends = ":read-only"
description = "edit the workspace"

[permissions.edit.filesystem]
":project_roots" = {{ "." = "write", "secret" = "none", "docs" = "read" }}
"#,
        home.config_for(&server)
    ));
    layout(&home);
    let out = run(&home, &["exec", "--json", "edit things"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(home.workdir().join("out/made.txt")).unwrap(),
        "hi\n"
    );
    assert!(!home.workdir().join("docs/new.md").exists());
    let statuses: Vec<(String, String)> = out
        .events()
        .iter()
        .filter(|e| e["type"] == "item.completed")
        .filter(|e| e["item"]["type"] == "command_execution" || e["item"]["type"] == "file_change")
        .map(|e| {
            (
                e["item"]["type"].as_str().unwrap().to_string(),
                e["item"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("command_execution".to_string(), "completed".to_string()),
            ("command_execution".to_string(), "failed".to_string()),
            ("file_change".to_string(), "failed".to_string()),
        ]
    );
    let reqs = model_requests(&server);
    assert_eq!(reqs.len(), 4);
    let last = &reqs[3].body;
    assert!(tool_output(last, "c_write").contains("hi"));
    let secret = tool_output(last, "c_secret");
    assert!(!secret.contains("sk-do-not-leak"), "{secret}");
    assert!(
        secret.contains("No such file") || secret.contains("Permission denied"),
        "{secret}"
    );
    assert_eq!(
        tool_output(last, "c_patch"),
        format!(
            "patch rejected: {} is read-only under the permissions profile",
            std::fs::canonicalize(home.workdir())
                .unwrap()
                .join("docs/new.md")
                .display()
        )
    );
    let developer = message_texts(&reqs[0].body, "developer").join("\n");
    assert!(
        developer.contains("The permissions profile `edit` applies (edit the workspace)."),
        "{developer}"
    );
}

#[test]
fn exec_without_a_profile_stays_read_only() {
    // The same script under the default `:read-only`: the write is refused.
    let server = exec_server();
    let home = home_for(&server, "");
    layout(&home);
    let out = run(&home, &["exec", "--json", "edit things"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(!home.workdir().join("out/made.txt").exists());
    let reqs = model_requests(&server);
    // Read-only still reads the whole disk: no profile, nothing hidden.
    assert!(tool_output(&reqs[3].body, "c_secret").contains("sk-do-not-leak"));
}

/// `codex sandbox` remembers the working backend in `$CODEX_HOME/cache` and still confines
/// on the next run.
#[test]
fn sandbox_probe_is_cached_and_still_confines() {
    let home = codex_test_support::TestHome::new();
    for _ in 0..2 {
        let out = crate::common::codex_command(&home)
            .args(["sandbox", "--", "touch", "ro.txt"])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0));
        assert!(!home.workdir().join("ro.txt").exists());
        let cached =
            std::fs::read_to_string(home.codex_home().join("cache/sandbox-probe-v2")).unwrap();
        assert!(cached.lines().count() == 2, "{cached}");
    }
    let out = crate::common::codex_command(&home)
        .args(["sandbox", "-P", ":workspace", "--", "touch", "rw.txt"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.workdir().join("rw.txt").exists());
}

/// `-c` and `-C` given before `sandbox` apply to it (as upstream's root options do).
#[test]
fn root_options_reach_codex_sandbox() {
    let home = codex_test_support::TestHome::new();
    let sub = home.workdir().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let out = crate::common::codex_command(&home)
        .args([
            "-c",
            "sandbox_workspace_write.network_access=true",
            "-C",
            sub.to_str().unwrap(),
            "sandbox",
            "-P",
            ":workspace",
            "--",
            "sh",
            "-c",
            "echo net=${CODEX_SANDBOX_NETWORK_DISABLED:-on} cwd=$(pwd)",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let real = std::fs::canonicalize(&sub).unwrap();
    assert_eq!(stdout.trim(), format!("net=on cwd={}", real.display()));
}
