//! §10 cases 43–47: environment, setuid, capabilities, inherited fds.

use std::os::fd::AsRawFd;

use super::harness::{ALL_MODES, BACKENDS, CONFINED, Fixture, Outcome, Sandbox, expect, is_root};

#[test]
fn case43_network_disabled_env_var() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let mut sb = Sandbox::new(b, m, &fx);
            // Forged values from the parent never reach the command.
            sb.env
                .insert("CODEX_SANDBOX_NETWORK_DISABLED".into(), "forged".into());
            sb.env.insert("CODEX_SANDBOX".into(), "forged".into());
            let expected = if m.network() { "<unset>" } else { "1" };
            let outcome = sb.op(&["env", "CODEX_SANDBOX_NETWORK_DISABLED"]);
            assert_eq!(outcome, Outcome::Allowed(expected.into()), "{}", sb.label());
            let name = match (m.confined(), b) {
                (false, _) => "<unset>",
                (true, super::harness::Backend::Bwrap) => "bwrap",
                (true, super::harness::Backend::Landlock) => "landlock",
            };
            let outcome = sb.op(&["env", "CODEX_SANDBOX"]);
            assert_eq!(outcome, Outcome::Allowed(name.into()), "{}", sb.label());
        }
    }
}

#[test]
fn case44_environment_passes_through_unchanged() {
    // Which secrets a command sees is the caller's shell_environment_policy; the sandbox
    // neither adds nor drops anything else.
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let mut sb = Sandbox::new(b, m, &fx);
            sb.env.insert("SBX_PASSED".into(), "yes".into());
            sb.env.remove("SBX_ABSENT");
            assert_eq!(
                sb.op(&["env", "SBX_PASSED"]),
                Outcome::Allowed("yes".into())
            );
            assert_eq!(
                sb.op(&["env", "SBX_ABSENT"]),
                Outcome::Allowed("<unset>".into())
            );
        }
    }
}

#[test]
fn case45_setuid_binaries_do_not_change_ids() {
    if !is_root() {
        // A non-root test cannot create a setuid binary owned by someone else.
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    // Root can only observe setuid taking effect through a *different* owner: nobody.
    let id = fx.out.join("id-suid");
    std::fs::copy("/usr/bin/id", &id).unwrap();
    std::os::unix::fs::chown(&id, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o4755)).unwrap();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let run = sb.run(&[id.to_str().unwrap(), "-u"]);
            assert!(run.ok(), "{run:?}");
            let euid = run.stdout.trim();
            if m.confined() {
                assert_eq!(euid, "0", "{}: setuid took effect", sb.label());
            } else {
                assert_eq!(euid, "65534", "baseline");
            }
        }
    }
}

#[test]
fn case46_no_capabilities_and_no_new_privs() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            let Outcome::Allowed(status) = sb.op(&["status"]) else {
                panic!("status failed");
            };
            assert_eq!(
                status,
                "CapEff=0000000000000000 NoNewPrivs=1 Seccomp=2",
                "{}",
                sb.label()
            );
        }
    }
}

#[test]
fn case47_inherited_fds_are_closed() {
    let fx = Fixture::new();
    let dir = std::fs::File::open(&fx.out).unwrap();
    for b in BACKENDS {
        for m in ALL_MODES {
            let mut sb = Sandbox::new(b, m, &fx);
            sb.leak_fd = Some(dir.as_raw_fd());
            let name = format!("c47-{b:?}-{m:?}");
            let fd = super::harness::LEAKED_FD.to_string();
            let outcome = expect(&sb, &["openat-fd", &fd, &name], !m.confined());
            if m.confined() {
                assert_eq!(outcome, Outcome::Denied(libc::EBADF), "{}", sb.label());
            }
            assert_eq!(fx.out.join(&name).exists(), !m.confined());
        }
    }
}
