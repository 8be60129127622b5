//! Permission-profile path rules, run for real under both Linux backends: read-only paths
//! inside a writable root, hidden (`none`) directories and files, a writable directory inside
//! a hidden one, `:root = "none"`, and network on/off for a read-only profile.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use codex_sandbox::SandboxPolicy;

use super::harness::{BACKENDS, Backend, Fixture, Mode, Outcome, Sandbox, expect};

/// `ws/` writable, with `docs/` read-only, `secret/` and `.env` hidden, and `secret/out/`
/// writable again; `/tmp` and `$TMPDIR` left out.
fn layered_policy(fx: &Fixture) -> SandboxPolicy {
    for dir in ["docs", "secret/out", "src"] {
        std::fs::create_dir_all(fx.ws.join(dir)).unwrap();
    }
    std::fs::write(fx.ws.join("docs/readme"), "docs\n").unwrap();
    std::fs::write(fx.ws.join("secret/key"), "sk-secret\n").unwrap();
    std::fs::write(fx.ws.join(".env"), "TOKEN=1\n").unwrap();
    let mut policy = SandboxPolicy::workspace_write(vec![fx.ws.clone(), fx.ws.join("secret/out")]);
    policy.exclude_slash_tmp = true;
    policy.exclude_tmpdir_env_var = true;
    policy.read_only_paths = vec![fx.ws.join("docs")];
    policy.denied_paths = vec![fx.ws.join("secret"), fx.ws.join(".env")];
    policy
}

fn sandbox(b: Backend, fx: &Fixture, policy: SandboxPolicy) -> Sandbox {
    let mut sb = Sandbox::new(b, Mode::Ww, fx);
    sb.policy = policy;
    sb
}

fn tag(b: Backend) -> String {
    format!("{b:?}-{}", std::process::id())
}

#[test]
fn read_write_and_hidden_paths() {
    let fx = Fixture::new();
    let policy = layered_policy(&fx);
    for b in BACKENDS {
        let sb = sandbox(b, &fx, policy.clone());
        let t = tag(b);
        // Writable: an existing directory of the workspace, and `out/` inside the hidden dir.
        expect(&sb, &["write", &fx.ws(&format!("src/{t}"))], true);
        expect(&sb, &["write", &fx.ws(&format!("secret/out/{t}"))], true);
        assert!(fx.ws.join(format!("secret/out/{t}")).exists());
        // Read-only inside the writable root.
        expect(&sb, &["read", &fx.ws("docs/readme")], true);
        expect(&sb, &["write", &fx.ws(&format!("docs/{t}"))], false);
        expect(&sb, &["write", &fx.ws("docs/readme")], false);
        // Hidden directory and file: neither readable nor writable.
        expect(&sb, &["read", &fx.ws("secret/key")], false);
        expect(&sb, &["write", &fx.ws("secret/key")], false);
        expect(&sb, &["write", &fx.ws(&format!("secret/{t}"))], false);
        expect(&sb, &["read", &fx.ws(".env")], false);
        expect(&sb, &["write", &fx.ws(".env")], false);
        // Outside every rule: `:root` reads, nothing writes.
        expect(&sb, &["read", &fx.out("f")], true);
        expect(&sb, &["write", &fx.out(&t)], false);
    }
    assert_eq!(
        std::fs::read_to_string(fx.ws.join("secret/key")).unwrap(),
        "sk-secret\n"
    );
    assert_eq!(
        std::fs::read_to_string(fx.ws.join(".env")).unwrap(),
        "TOKEN=1\n"
    );
}

#[test]
fn hidden_directory_lists_empty_under_bubblewrap() {
    let fx = Fixture::new();
    let sb = sandbox(Backend::Bwrap, &fx, layered_policy(&fx));
    let run = sb.sh(&format!("ls -A {}", fx.ws("secret")));
    assert!(run.ok(), "{run:?}");
    // Only the mount point of the writable `out/` shows through.
    assert_eq!(run.stdout, "out\n", "{run:?}");
}

#[test]
fn protected_names_stay_read_only_in_a_profile_write_path() {
    let fx = Fixture::new();
    let sb = sandbox(Backend::Bwrap, &fx, layered_policy(&fx));
    expect(&sb, &["mkdir", &fx.ws("secret/out/.codex")], false);
    expect(&sb, &["write", &fx.ws(".git/config")], false);
}

#[test]
fn landlock_split_directory_refuses_new_entries() {
    // Documented Landlock limit: a directory with a hidden entry is granted entry by entry, so
    // new files directly inside it cannot be created (bubblewrap has no such limit).
    let fx = Fixture::new();
    let policy = layered_policy(&fx);
    let t = tag(Backend::Landlock);
    let sb = sandbox(Backend::Landlock, &fx, policy.clone());
    expect(&sb, &["write", &fx.ws(&format!("top-{t}"))], false);
    let sb = sandbox(Backend::Bwrap, &fx, policy);
    expect(
        &sb,
        &["write", &fx.ws(&format!("top-{}", tag(Backend::Bwrap)))],
        true,
    );
}

#[test]
fn root_none_reads_only_named_and_system_paths() {
    let fx = Fixture::new();
    let readable = fx.base.join("readable");
    std::fs::create_dir(&readable).unwrap();
    std::fs::write(readable.join("f"), "ok\n").unwrap();
    // The in-sandbox probe is this test binary: it must stay readable.
    let exe = std::fs::canonicalize(std::env::current_exe().unwrap()).unwrap();
    let mut policy = SandboxPolicy::workspace_write(vec![fx.ws.clone()]);
    policy.exclude_slash_tmp = true;
    policy.exclude_tmpdir_env_var = true;
    policy.full_read_access = false;
    policy.read_only_paths = vec![readable.clone(), exe];
    for b in BACKENDS {
        let sb = sandbox(b, &fx, policy.clone());
        expect(&sb, &["read", readable.join("f").to_str().unwrap()], true);
        expect(&sb, &["read", "/etc/passwd"], true);
        expect(&sb, &["read", &fx.out("f")], false);
        expect(
            &sb,
            &["write", &fx.ws(&format!("root-none-{}", tag(b)))],
            true,
        );
        expect(&sb, &["write", readable.join("x").to_str().unwrap()], false);
    }
}

#[test]
fn root_none_shell_commands_still_run() {
    let fx = Fixture::new();
    let mut policy = SandboxPolicy::workspace_write(vec![fx.ws.clone()]);
    policy.exclude_slash_tmp = true;
    policy.exclude_tmpdir_env_var = true;
    policy.full_read_access = false;
    for b in BACKENDS {
        let sb = sandbox(b, &fx, policy.clone());
        let run = sb.sh(&format!(
            "echo made > root-none-sh-{b:?}; cat root-none-sh-{b:?}; cat {} 2>/dev/null || echo hidden",
            fx.out("f")
        ));
        assert!(run.ok(), "{b:?}: {run:?}");
        assert_eq!(run.stdout, "made\nhidden\n", "{b:?}: {run:?}");
    }
}

#[test]
fn read_only_profile_network_on_and_off() {
    let fx = Fixture::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    for b in BACKENDS {
        for network in [false, true] {
            let mut policy = SandboxPolicy::read_only();
            policy.network_access = network;
            policy.denied_paths = vec![fx.out.clone()];
            let mut sb = sandbox(b, &fx, policy);
            sb.cwd = fx.ws.clone();
            expect(&sb, &["tcp-connect", &addr], network);
            expect(&sb, &["read", &fx.out("f")], false);
            expect(
                &sb,
                &["write", &fx.ws(&format!("net-{network}-{}", tag(b)))],
                false,
            );
            assert_eq!(
                sb.op(&["env", "CODEX_SANDBOX_NETWORK_DISABLED"]),
                Outcome::Allowed(if network { "<unset>" } else { "1" }.into()),
                "{b:?} network={network}"
            );
        }
    }
}

#[test]
fn missing_rule_paths_are_skipped() {
    let fx = Fixture::new();
    let mut policy = SandboxPolicy::workspace_write(vec![fx.ws.clone()]);
    policy.exclude_slash_tmp = true;
    policy.read_only_paths = vec![PathBuf::from("/nonexistent/codex-profile")];
    policy.denied_paths = vec![fx.ws.join("not-there")];
    for b in BACKENDS {
        let sb = sandbox(b, &fx, policy.clone());
        expect(&sb, &["write", &fx.ws(&format!("skip-{}", tag(b)))], true);
    }
    assert!(!Path::new("/nonexistent/codex-profile").exists());
}
