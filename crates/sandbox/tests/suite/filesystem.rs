//! §10 cases 1–8 and 17–22: writes inside and outside the writable roots.

use std::path::Path;

use super::harness::{ALL_MODES, BACKENDS, Backend, CONFINED, Fixture, Mode, Sandbox, expect};

fn tag(b: Backend, m: Mode) -> String {
    format!("{b:?}-{m:?}-{}", std::process::id())
}

#[test]
fn case01_write_in_cwd() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let f = fx.ws(&format!("c01-{}", tag(b, m)));
            expect(&sb, &["write", &f], m.writes_workspace());
            assert_eq!(
                Path::new(&f).exists(),
                m.writes_workspace(),
                "{}",
                sb.label()
            );
        }
    }
}

#[test]
fn case02_write_outside_roots() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let f = fx.out(&format!("c02-{}", tag(b, m)));
            expect(&sb, &["write", &f], !m.confined());
            assert_eq!(Path::new(&f).exists(), !m.confined(), "{}", sb.label());
        }
    }
}

#[test]
fn case03_dot_dot_traversal() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let f = fx.ws(&format!("../out/c03-{}", tag(b, m)));
            expect(&sb, &["write", &f], !m.confined());
        }
    }
}

#[test]
fn case04_symlink_pointing_out() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let target = fx.out(&format!("c04-{}", tag(b, m)));
            std::fs::write(&target, "orig").unwrap();
            // Creating the link itself is a write inside the workspace.
            let own = fx.ws(&format!("c04-own-{}", tag(b, m)));
            expect(&sb, &["symlink", &target, &own], m.writes_workspace());
            // Writing through a link (made on the host) must not reach the target.
            let link = fx.ws(&format!("c04-link-{}", tag(b, m)));
            std::os::unix::fs::symlink(&target, &link).unwrap();
            expect(&sb, &["write", &link], !m.confined());
            let content = std::fs::read_to_string(&target).unwrap();
            assert_eq!(content == "orig", m.confined(), "{}", sb.label());
        }
    }
}

#[test]
fn case05_hardlink_trick() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let target = fx.out(&format!("c05-{}", tag(b, m)));
            std::fs::write(&target, "orig").unwrap();
            let link = fx.ws(&format!("c05-h-{}", tag(b, m)));
            let outcome = expect(&sb, &["link", &target, &link], !m.confined());
            if m == Mode::Ww {
                // bwrap: a cross-mount link; Landlock: no REFER right across the boundary.
                assert_eq!(
                    outcome,
                    super::harness::Outcome::Denied(libc::EXDEV),
                    "{}",
                    sb.label()
                );
            }
        }
    }
}

#[test]
fn case06_truncate_unlink_mkdir_rename_outside() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let t = tag(b, m);
            let victim = fx.out(&format!("c06-trunc-{t}"));
            std::fs::write(&victim, "keep").unwrap();
            expect(&sb, &["trunc", &victim], !m.confined());
            assert_eq!(
                std::fs::read_to_string(&victim).unwrap() == "keep",
                m.confined()
            );
            let gone = fx.out(&format!("c06-unlink-{t}"));
            std::fs::write(&gone, "keep").unwrap();
            expect(&sb, &["unlink", &gone], !m.confined());
            assert_eq!(Path::new(&gone).exists(), m.confined());
            expect(
                &sb,
                &["mkdir", &fx.out(&format!("c06-dir-{t}"))],
                !m.confined(),
            );
            let src = fx.ws(&format!("c06-src-{t}"));
            std::fs::write(&src, "x").unwrap();
            expect(
                &sb,
                &["rename", &src, &fx.out(&format!("c06-renamed-{t}"))],
                !m.confined(),
            );
        }
    }
}

#[test]
fn case07_chmod_utime_outside() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let f = fx.out(&format!("c07-{}", tag(b, m)));
            std::fs::write(&f, "x").unwrap();
            // Landlock does not cover chmod/utime (documented weakness of the fallback).
            let allowed = !m.confined() || b == Backend::Landlock;
            expect(&sb, &["chmod", &f, "666"], allowed);
            expect(&sb, &["utime", &f], allowed);
        }
    }
}

#[test]
fn case08_chmod_read_only_file_in_workspace() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let f = fx.ws(&format!("c08-{}", tag(b, m)));
            std::fs::write(&f, "x").unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).unwrap();
            // Landlock does not cover chmod at all (documented weakness of the fallback).
            let allowed = m.writes_workspace() || b == Backend::Landlock;
            expect(&sb, &["chmod", &f, "644"], allowed);
        }
    }
}

#[test]
fn case17_cwd_through_a_symlink() {
    let fx = Fixture::new();
    let link = fx.base.join("ws-link");
    std::os::unix::fs::symlink(&fx.ws, &link).unwrap();
    for b in BACKENDS {
        for m in [Mode::Ww, Mode::WwNet] {
            let mut sb = Sandbox::new(b, m, &fx);
            sb.policy.writable_roots = vec![link.clone()];
            sb.cwd = link.clone();
            let name = format!("c17-{}", tag(b, m));
            let via_link = link.join(&name);
            expect(&sb, &["write", via_link.to_str().unwrap()], true);
            assert!(fx.ws.join(&name).exists());
            expect(&sb, &["write", &fx.out(&name)], false);
            let run = sb.sh(&format!("echo x > {name} && pwd"));
            assert!(run.ok(), "{run:?}");
        }
    }
}

#[test]
fn case18_slash_tmp() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            for exclude in [false, true] {
                let mut sb = Sandbox::new(b, m, &fx);
                sb.policy.exclude_slash_tmp = exclude;
                let f = format!("/tmp/sbx-c18-{}-{exclude}", tag(b, m));
                let allowed = !m.confined() || (m.writes_workspace() && !exclude);
                expect(&sb, &["write", &f], allowed);
                assert_eq!(
                    Path::new(&f).exists(),
                    allowed,
                    "{} visible on host",
                    sb.label()
                );
                let _ = std::fs::remove_file(&f);
            }
        }
    }
}

#[test]
fn case19_tmpdir() {
    let fx = Fixture::new();
    let tmpdir = fx.base.join("tmpdir");
    std::fs::create_dir(&tmpdir).unwrap();
    for b in BACKENDS {
        for m in ALL_MODES {
            for exclude in [false, true] {
                let mut sb = Sandbox::new(b, m, &fx);
                sb.policy.tmpdir = Some(tmpdir.clone());
                sb.policy.exclude_tmpdir_env_var = exclude;
                let f = tmpdir.join(format!("c19-{}-{exclude}", tag(b, m)));
                let allowed = !m.confined() || (m.writes_workspace() && !exclude);
                expect(&sb, &["write", f.to_str().unwrap()], allowed);
            }
        }
    }
}

#[test]
fn case20_dev_shm_is_private() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let f = format!("/dev/shm/sbx-c20-{}", tag(b, m));
            match (b, m.confined()) {
                // A private tmpfs inside bwrap's /dev: writable, gone afterwards.
                (Backend::Bwrap, true) => {
                    expect(&sb, &["write", &f], true);
                    assert!(!Path::new(&f).exists(), "{} leaked to the host", sb.label());
                }
                // The fallback cannot make it private, so it is not writable at all.
                (Backend::Landlock, true) => {
                    expect(&sb, &["write", &f], false);
                }
                (_, false) => {
                    expect(&sb, &["write", &f], true);
                    assert!(Path::new(&f).exists());
                    std::fs::remove_file(&f).unwrap();
                }
            }
        }
    }
}

#[test]
fn case21_var_tmp_and_home() {
    let fx = Fixture::new();
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let f = format!("/var/tmp/sbx-c21-{}", tag(b, m));
            expect(&sb, &["write", &f], !m.confined());
            let _ = std::fs::remove_file(&f);
            if m.confined() {
                // Never touch real dotfiles: a fresh name in $HOME stands for them.
                let h = format!("{home}/.sbx-c21-{}", tag(b, m));
                expect(&sb, &["write", &h], false);
                assert!(!Path::new(&h).exists());
            }
        }
    }
}

#[test]
fn case22_read_everywhere() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["read", "/etc/passwd"], true);
            expect(&sb, &["read", &fx.out("f")], true);
        }
    }
}

#[test]
fn confined_modes_report_read_only_errors_to_the_command() {
    // The shell sees a plain error it can report to the model.
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            let run = sb.sh(&format!("echo x > {}", fx.out("msg")));
            assert!(!run.ok(), "{} {run:?}", sb.label());
            assert!(
                run.stderr.contains("Read-only file system")
                    || run.stderr.contains("Permission denied"),
                "{} {run:?}",
                sb.label()
            );
        }
    }
}
