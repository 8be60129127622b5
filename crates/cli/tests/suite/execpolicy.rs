//! `codex execpolicy check -r FILE -- CMD...` on real rule files.

use std::path::Path;
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codex"))
        .arg("execpolicy")
        .arg("check")
        .args(args)
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const TEAM: &str = r#"
# Shared rules.
prefix_rule(
    pattern = ["git", ["push", "fetch"]],
    decision = "prompt",
    justification = "talk to the team first",
    match = [["git", "push", "origin", "main"]],
    not_match = ["git status"],
)
prefix_rule(pattern = ["git"], decision = "allow")
"#;

const MINE: &str = r#"
prefix_rule(pattern = ["git", "push", "--force"], decision = "forbidden", justification = "never force-push")
"#;

#[test]
fn prints_matching_rules_and_the_strictest_decision() {
    let dir = tempfile::tempdir().unwrap();
    let team = write(dir.path(), "team.rules", TEAM);
    let mine = write(dir.path(), "mine.rules", MINE);

    let out = check(&["-r", &team, "--", "git", "push", "origin", "main"]);
    assert_eq!(
        stdout_json(&out),
        json!({
            "matchedRules": [
                {"prefixRuleMatch": {
                    "matchedPrefix": ["git", "push"],
                    "decision": "prompt",
                    "justification": "talk to the team first",
                }},
                {"prefixRuleMatch": {"matchedPrefix": ["git"], "decision": "allow"}},
            ],
            "decision": "prompt",
        })
    );
    // One line of JSON by default.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    // Several files combine; the strictest wins.
    let out = check(&[
        "-r", &team, "--rules", &mine, "--", "git", "push", "--force",
    ]);
    let json = stdout_json(&out);
    assert_eq!(json["decision"], "forbidden");
    assert_eq!(json["matchedRules"].as_array().unwrap().len(), 3);

    // No match: no decision, exit 0.
    let out = check(&["-r", &team, "--", "rm", "-rf", "/"]);
    assert_eq!(stdout_json(&out), json!({"matchedRules": []}));

    // --pretty spreads it over lines.
    let out = check(&["-r", &team, "--pretty", "--", "git", "status"]);
    assert_eq!(stdout_json(&out)["decision"], "allow");
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() > 1);
}

#[test]
fn invalid_rules_file_exits_1_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.rules",
        "prefix_rule(pattern=[\"ls\"])\n\nprefix_rule(\n    pattern=[\"git\", \"push\"],\n    match=[\"git pull\"],\n)\n",
    );
    let out = check(&["-r", &bad, "--", "ls"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!("{bad}:5: `match` example [\"git\",\"pull\"] does not match the rule's pattern")
    );

    let missing = dir.path().join("missing.rules").display().to_string();
    let out = check(&["-r", &missing, "--", "ls"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with(&missing));
}

#[test]
fn usage_errors() {
    // Rules and a command are both required.
    assert_eq!(check(&["--", "ls"]).status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let team = write(dir.path(), "team.rules", TEAM);
    assert_eq!(check(&["-r", &team]).status.code(), Some(2));
}

/// A rules file with an error stops `codex exec` before anything runs, naming file and line.
#[test]
fn exec_refuses_to_start_with_an_invalid_rules_file() {
    let server = codex_test_support::FakeServer::start_blocking(vec![]);
    let home = crate::common::home_for(&server, "");
    let rules = home.codex_home().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("default.rules"), "prefix_rule(pattern=[\"rm\"], decision=\"forbidden\")\nprefix_rule(pattern=[\"git\"], decision=\"maybe\")\n").unwrap();
    let out = crate::common::run(&home, &["exec", "hi"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains(&format!("{}:2:", rules.join("default.rules").display())),
        "{}",
        out.stderr
    );
    assert!(server.requests().is_empty());
}

#[test]
fn resolve_host_executables_checks_absolute_programs_by_basename() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "host.rules",
        &format!("{TEAM}host_executable(name = \"git\", paths = [\"/usr/bin/git\"])\n"),
    );
    let without = check(&["-r", &rules, "--", "/usr/bin/git", "push"]);
    assert_eq!(stdout_json(&without), json!({"matchedRules": []}));
    let with = check(&[
        "-r",
        &rules,
        "--resolve-host-executables",
        "--",
        "/usr/bin/git",
        "push",
    ]);
    assert_eq!(
        stdout_json(&with),
        json!({
            "matchedRules": [
                {"prefixRuleMatch": {
                    "matchedPrefix": ["git", "push"],
                    "decision": "prompt",
                    "resolvedProgram": "/usr/bin/git",
                    "justification": "talk to the team first"
                }},
                {"prefixRuleMatch": {
                    "matchedPrefix": ["git"],
                    "decision": "allow",
                    "resolvedProgram": "/usr/bin/git"
                }}
            ],
            "decision": "prompt"
        })
    );
    // A path the declaration does not list stays unmatched.
    let other = check(&[
        "-r",
        &rules,
        "--resolve-host-executables",
        "--",
        "/tmp/git",
        "push",
    ]);
    assert_eq!(stdout_json(&other), json!({"matchedRules": []}));
}
