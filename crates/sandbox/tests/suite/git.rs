//! §10 cases 9–16: `.git`, `.codex` and `.agents` stay read-only under every writable root.
//!
//! The Landlock fallback cannot carve a read-only subtree out of a writable root (rules are
//! additive); its expected results assert that documented weakness so a change is noticed.

use std::path::Path;

use super::harness::{
    ALL_MODES, BACKENDS, Backend, CONFINED, Fixture, Mode, Outcome, Sandbox, expect,
};

/// Whether a write to a protected path succeeds.
fn protected_allowed(b: Backend, m: Mode) -> bool {
    !m.confined() || (b == Backend::Landlock && m.writes_workspace())
}

#[test]
fn case09_git_config() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            let sb = Sandbox::new(b, m, &fx);
            let allowed = protected_allowed(b, m);
            expect(&sb, &["write", &fx.ws(".git/config")], allowed);
            let fx = Fixture::new();
            let sb = Sandbox::new(b, m, &fx);
            let run = sb.run(&["git", "config", "--local", "sbx.case", "nine"]);
            assert_eq!(run.ok(), allowed, "{} {run:?}", sb.label());
            let config = std::fs::read_to_string(fx.ws.join(".git/config")).unwrap();
            assert_eq!(config.contains("nine"), allowed, "{}", sb.label());
        }
    }
}

#[test]
fn case10_git_hooks() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            let sb = Sandbox::new(b, m, &fx);
            let hook = fx.ws(".git/hooks/pre-commit");
            expect(&sb, &["write", &hook], protected_allowed(b, m));
            assert_eq!(Path::new(&hook).exists(), protected_allowed(b, m));
        }
    }
}

#[test]
fn case11_move_remove_replace_chmod_git() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let allowed = protected_allowed(b, m);
            let fx = Fixture::new();
            let sb = Sandbox::new(b, m, &fx);
            let outcome = expect(
                &sb,
                &["rename", &fx.ws(".git"), &fx.ws(".git.bak")],
                allowed,
            );
            if b == Backend::Bwrap && m == Mode::Ww {
                assert_eq!(outcome, Outcome::Denied(libc::EBUSY));
            }
            let fx = Fixture::new();
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["unlink", &fx.ws(".git/HEAD")], allowed);
            std::fs::write(fx.ws.join("evil"), "ref: refs/heads/evil\n").unwrap();
            expect(
                &sb,
                &["rename", &fx.ws("evil"), &fx.ws(".git/HEAD")],
                allowed,
            );
            // Landlock does not cover chmod at all (documented weakness of the fallback).
            expect(
                &sb,
                &["chmod", &fx.ws(".git/config"), "666"],
                allowed || b == Backend::Landlock,
            );
        }
    }
}

#[test]
fn case12_hardlink_out_of_git() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            let sb = Sandbox::new(b, m, &fx);
            let x = fx.ws("x");
            let linked = sb.op(&["link", &fx.ws(".git/config"), &x]);
            if linked.allowed() {
                // Only where .git is writable anyway.
                assert!(protected_allowed(b, m), "{} {linked:?}", sb.label());
                expect(&sb, &["write", &x], true);
            } else {
                assert!(!protected_allowed(b, m) || !m.writes_workspace());
            }
        }
    }
}

#[test]
fn case13_git_file_pointing_to_a_gitdir() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            // A linked-worktree layout: ws/.git is a file; the gitdir lives in another
            // writable root.
            let extra = fx.base.join("extra");
            let gitdir = extra.join("gitdirs/wt");
            std::fs::create_dir_all(&gitdir).unwrap();
            std::fs::write(gitdir.join("HEAD"), "ref: refs/heads/main\n").unwrap();
            std::fs::remove_dir_all(fx.ws.join(".git")).unwrap();
            std::fs::write(
                fx.ws.join(".git"),
                format!("gitdir: {}\n", gitdir.display()),
            )
            .unwrap();
            let mut sb = Sandbox::new(b, m, &fx);
            if m.writes_workspace() {
                sb.policy.writable_roots.push(extra.clone());
            }
            let allowed = protected_allowed(b, m);
            expect(&sb, &["write", &fx.ws(".git")], allowed);
            expect(
                &sb,
                &["write", gitdir.join("HEAD").to_str().unwrap()],
                allowed,
            );
            // The rest of the extra root stays writable.
            expect(
                &sb,
                &["write", extra.join("other").to_str().unwrap()],
                m.writes_workspace(),
            );
        }
    }
}

#[test]
fn case14_symlinked_protected_names() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            // In-tree target for .codex, out-of-tree target for .agents.
            std::fs::create_dir(fx.ws.join("real-codex")).unwrap();
            std::os::unix::fs::symlink("real-codex", fx.ws.join(".codex")).unwrap();
            let agents = fx.out.join("agents");
            std::fs::create_dir(&agents).unwrap();
            std::os::unix::fs::symlink(&agents, fx.ws.join(".agents")).unwrap();
            let sb = Sandbox::new(b, m, &fx);
            let run = sb.run(&["true"]);
            assert!(run.ok(), "{} must start: {run:?}", sb.label());
            expect(
                &sb,
                &["write", &fx.ws(".codex/config.toml")],
                protected_allowed(b, m),
            );
            expect(&sb, &["write", &fx.ws(".agents/x")], !m.confined());
            // A symlinked .git directory.
            let fx = Fixture::new();
            std::fs::rename(fx.ws.join(".git"), fx.ws.join("dot-git")).unwrap();
            std::os::unix::fs::symlink("dot-git", fx.ws.join(".git")).unwrap();
            let sb = Sandbox::new(b, m, &fx);
            expect(
                &sb,
                &["write", &fx.ws(".git/config")],
                protected_allowed(b, m),
            );
        }
    }
}

#[test]
fn case14_dangling_protected_link_fails_closed() {
    let fx = Fixture::new();
    std::os::unix::fs::symlink("not-yet", fx.ws.join(".codex")).unwrap();
    let sb = Sandbox::new(Backend::Bwrap, Mode::Ww, &fx);
    let err = Backend::Bwrap
        .probe()
        .prepare(
            &sb.policy,
            &["true".to_string()],
            &fx.ws,
            &super::harness::helper(),
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(".codex") && msg.contains("not-yet"), "{msg}");
}

#[test]
fn case15_missing_codex_and_agents() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            let sb = Sandbox::new(b, m, &fx);
            let allowed = protected_allowed(b, m);
            expect(&sb, &["mkdir", &fx.ws(".codex")], allowed);
            expect(&sb, &["mkdir", &fx.ws(".agents")], allowed);
            // No placeholder is left behind once the sandbox has exited.
            assert_eq!(fx.ws.join(".codex").exists(), allowed, "{}", sb.label());
            assert_eq!(fx.ws.join(".agents").exists(), allowed, "{}", sb.label());
        }
    }
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            std::fs::create_dir(fx.ws.join(".codex")).unwrap();
            std::fs::write(fx.ws.join(".codex/config.toml"), "model = \"x\"\n").unwrap();
            let sb = Sandbox::new(b, m, &fx);
            expect(
                &sb,
                &["write", &fx.ws(".codex/config.toml")],
                protected_allowed(b, m),
            );
        }
    }
}

#[test]
fn case15_placeholders_persist_only_while_a_sandbox_runs() {
    let fx = Fixture::new();
    let sb = Sandbox::new(Backend::Bwrap, Mode::Ww, &fx);
    let (mut cmd, prepared) = sb.command(&["sh", "-c", "test -d .codex && ! mkdir .codex/x"]);
    let status = cmd.status().unwrap();
    assert!(status.success());
    assert!(
        fx.ws.join(".codex").is_dir(),
        "placeholder while prepared is alive"
    );
    drop(prepared);
    assert!(
        !fx.ws.join(".codex").exists(),
        "placeholder removed afterwards"
    );
    assert!(!fx.ws.join(".agents").exists());
}

#[test]
fn case16_extra_writable_root() {
    for b in BACKENDS {
        for m in ALL_MODES {
            let fx = Fixture::new();
            let d = fx.base.join("extra");
            std::fs::create_dir_all(d.join(".git")).unwrap();
            std::fs::write(d.join(".git/config"), "").unwrap();
            let mut sb = Sandbox::new(b, m, &fx);
            sb.policy.writable_roots.push(d.clone());
            expect(
                &sb,
                &["write", d.join("file").to_str().unwrap()],
                m.writes_workspace(),
            );
            expect(
                &sb,
                &["write", d.join(".git/config").to_str().unwrap()],
                protected_allowed(b, m),
            );
        }
    }
}

#[test]
fn protected_paths_do_not_break_ordinary_git_reads() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            let run = sb.run(&["git", "status", "--porcelain"]);
            assert!(run.ok(), "{} {run:?}", sb.label());
        }
    }
}
