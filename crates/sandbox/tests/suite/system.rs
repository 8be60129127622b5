//! §10 cases 23–34: devices, kernel interfaces, mounts, namespaces and other processes.
//!
//! Safety rules from sandbox.md: `/proc/sys`, `/proc/sysrq-trigger` and `/sys` are only ever
//! opened for writing and closed, never written; victims are processes the test starts.

use super::harness::{
    ALL_MODES, BACKENDS, Backend, CONFINED, Fixture, Mode, Outcome, Sandbox, Victim, expect,
    is_root,
};

#[test]
fn case23_standard_devices() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["open-wr", "/dev/null"], true);
            expect(&sb, &["write", "/dev/null"], true);
            expect(&sb, &["read", "/dev/zero"], true);
            expect(&sb, &["read", "/dev/urandom"], true);
            let run = sb.sh("echo hi > /dev/null && head -c 4 /dev/urandom | wc -c");
            assert!(
                run.ok() && run.stdout.trim() == "4",
                "{} {run:?}",
                sb.label()
            );
        }
    }
}

#[test]
fn case24_mknod() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["mknod", &fx.ws(&format!("mem-{b:?}-{m:?}"))], false);
        }
    }
}

#[test]
fn case25_kernel_tunables_not_writable() {
    let fx = Fixture::new();
    let targets = [
        "/proc/sys/kernel/core_pattern",
        "/proc/sys/kernel/hostname",
        "/proc/sysrq-trigger",
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ];
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            for t in targets {
                expect(&sb, &["open-wr", t], false);
            }
        }
    }
    if is_root() {
        // Baseline: unconfined root can open them (we still never write).
        let sb = Sandbox::new(Backend::Bwrap, Mode::Dfa, &fx);
        expect(&sb, &["open-wr", "/proc/sys/kernel/hostname"], true);
    }
}

#[test]
fn case26_to_28_mounts() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.ws.join("m")).unwrap();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["mount-tmpfs", &fx.ws("m")], false);
            expect(&sb, &["remount-rw", "/"], false);
            expect(&sb, &["umount", &fx.ws(".git")], false);
            let run = sb.sh(&format!(
                "mount -o remount,bind,rw / 2>/dev/null; umount {} 2>/dev/null; touch {}",
                fx.ws(".git"),
                fx.out("c27")
            ));
            assert!(!run.ok(), "{} {run:?}", sb.label());
            assert!(!fx.out.join("c27").exists());
        }
    }
}

#[test]
fn case29_nested_user_namespace() {
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["unshare-user"], false);
            let run = sb.sh(&format!(
                "unshare -Urm sh -c 'mount -o remount,rw /; umount {}; touch {}'",
                fx.ws(".git"),
                fx.out("c29")
            ));
            assert!(!run.ok(), "{} {run:?}", sb.label());
            assert!(!fx.out.join("c29").exists());
        }
    }
}

#[test]
fn case30_to_32_other_processes() {
    let fx = Fixture::new();
    let victim = Victim::start();
    let pid = victim.pid();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            let open = !m.confined();
            let environ = format!("/proc/{pid}/environ");
            expect(&sb, &["read", &environ], open);
            expect(&sb, &["open-wr", &format!("/proc/{pid}/mem")], open);
            if m.confined() {
                let via_root = format!("/proc/{pid}/root{}", fx.out("c31"));
                expect(&sb, &["write", &via_root], false);
                assert!(!fx.out.join("c31").exists());
                expect(&sb, &["read", &format!("/proc/{pid}/cwd/..")], false);
            }
            expect(&sb, &["ptrace", &pid], open);
            expect(&sb, &["vm-readv", &pid], open);
        }
    }
}

#[test]
fn case33_signals_and_pid_visibility() {
    let fx = Fixture::new();
    let victim = Victim::start();
    let pid = victim.pid();
    for b in BACKENDS {
        for m in ALL_MODES {
            let sb = Sandbox::new(b, m, &fx);
            expect(&sb, &["kill0", &pid], !m.confined());
            let Outcome::Allowed(count) = sb.op(&["count-pids"]) else {
                panic!("count-pids failed");
            };
            let count: usize = count.parse().unwrap();
            if b == Backend::Bwrap && m.confined() {
                // The probe (pid 1) and its libtest thread group only.
                assert!(count <= 2, "{}: {count} pids visible", sb.label());
            } else {
                // No pid namespace in the fallback (documented).
                assert!(count > 2, "{}: {count}", sb.label());
            }
        }
    }
}

#[test]
fn case34_tiocsti() {
    // Under a pty (`script`), so the command has a terminal to inject into.
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            let (cmd, prepared) = sb.op_command(&["tiocsti", "stdin"]);
            let mut script = std::process::Command::new("script");
            script
                .args(["-qec", &shell_join(&cmd), "/dev/null"])
                .env_clear()
                .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .current_dir(&fx.ws)
                .stdin(std::process::Stdio::null());
            // `script` and its shell pass the seccomp programs' fds on to bwrap.
            prepared.configure(&mut script);
            let run = script.output().unwrap();
            drop(prepared);
            let stdout = String::from_utf8_lossy(&run.stdout);
            assert!(
                stdout.contains("SBX-RESULT err"),
                "{}: TIOCSTI must fail: {stdout}",
                sb.label()
            );
        }
    }
    // Baseline: the same probe without a sandbox injects.
    let sb = Sandbox::new(Backend::Bwrap, Mode::Dfa, &fx);
    let (cmd, _prepared) = sb.op_command(&["tiocsti", "stdin"]);
    let run = std::process::Command::new("script")
        .args(["-qec", &shell_join(&cmd), "/dev/null"])
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("SBX-RESULT ok"), "baseline: {stdout}");
}

fn shell_join(cmd: &std::process::Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| format!("'{}'", a.to_str().unwrap().replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}
