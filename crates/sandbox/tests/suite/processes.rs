//! §10 cases 48–50: leftover processes, killing the tree, foreign-owned workspaces.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::time::{Duration, Instant};

use super::harness::{BACKENDS, CONFINED, Fixture, Mode, Sandbox, is_root, pids_with_arg};

/// Waits up to `limit` for no process to carry `needle` in its argv.
fn gone_within(needle: &str, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        if pids_with_arg(needle).is_empty() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kill_all(needle: &str) {
    for pid in pids_with_arg(needle) {
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
}

#[test]
fn case48_detached_children_die_with_the_command() {
    let fx = Fixture::new();
    for (i, b) in BACKENDS.into_iter().enumerate() {
        for (j, m) in CONFINED.into_iter().enumerate() {
            let sb = Sandbox::new(b, m, &fx);
            // A unique sleep duration marks the background child.
            let needle = format!("4{i}{j}{}.5", std::process::id() % 1000);
            let run = sb.sh(&format!(
                "setsid sh -c 'sleep {needle}' > /dev/null 2>&1 & echo started"
            ));
            assert!(run.ok(), "{} {run:?}", sb.label());
            let gone = gone_within(&needle, Duration::from_secs(3));
            kill_all(&needle);
            assert!(gone, "{}: detached child survived", sb.label());
        }
    }
}

#[test]
fn case49_killing_the_process_group_kills_the_tree() {
    let fx = Fixture::new();
    for (i, b) in BACKENDS.into_iter().enumerate() {
        for (j, m) in [Mode::Ro, Mode::Ww, Mode::WwNet, Mode::Dfa]
            .into_iter()
            .enumerate()
        {
            let sb = Sandbox::new(b, m, &fx);
            let needle = format!("5{i}{j}{}.5", std::process::id() % 1000);
            // As the tool runner does: own process group, SIGKILL to the group on timeout.
            let (mut cmd, prepared) = sb.command(&[
                "sh",
                "-c",
                &format!("sleep {needle} & sleep {needle}; true"),
            ]);
            cmd.process_group(0);
            let mut child = cmd.spawn().unwrap();
            let start = Instant::now();
            while pids_with_arg(&needle).len() < 2 && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(
                pids_with_arg(&needle).len(),
                2,
                "{}: tree did not start",
                sb.label()
            );
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            child.wait().unwrap();
            drop(prepared);
            let gone = gone_within(&needle, Duration::from_secs(3));
            kill_all(&needle);
            assert!(gone, "{}: part of the tree survived", sb.label());
        }
    }
}

#[test]
fn case50_root_in_a_workspace_owned_by_another_uid() {
    if !is_root() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    // The Docker-volume layout: the workspace belongs to uid 1000, Codex runs as root.
    let status = std::process::Command::new("chown")
        .args(["-R", "1000:1000", fx.ws.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let shared = fx.ws.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            // It starts (upstream failed with `Can't mkdir $WS/.git`) and reads.
            let run = sb.run(&["ls", "-a", fx.ws.to_str().unwrap()]);
            assert!(run.ok(), "{} {run:?}", sb.label());
            // .codex placeholders were created as root on the host and are gone again.
            assert!(!fx.ws.join(".codex").exists());
            // Root without capabilities writes where the mode bits allow it.
            let f = shared.join(format!("c50-{b:?}-{m:?}"));
            let run = sb.sh(&format!("echo x > {}", f.display()));
            assert_eq!(run.ok(), m != Mode::Ro, "{} {run:?}", sb.label());
            // .git/config belongs to uid 1000 (mode 644): never writable without capabilities.
            assert!(!sb.op(&["write", &fx.ws(".git/config")]).allowed());
        }
    }
}

#[test]
fn signals_a_command_sends_itself_are_delivered() {
    // Were the command pid 1 of the namespace, the kernel would drop its own SIGTERM.
    let fx = Fixture::new();
    for b in BACKENDS {
        for m in CONFINED {
            let sb = Sandbox::new(b, m, &fx);
            let run = sb.sh("kill -TERM $$; echo survived");
            // bwrap reports 128 + signal; the Landlock helper re-raises the signal.
            let killed = run.status.code() == Some(128 + libc::SIGTERM)
                || run.status.signal() == Some(libc::SIGTERM);
            assert!(killed, "{} {run:?}", sb.label());
            assert!(!run.stdout.contains("survived"), "{} {run:?}", sb.label());
        }
    }
}

#[test]
fn the_reaper_outside_the_filter_is_out_of_reach() {
    // bwrap's pid 1 runs without our seccomp filter: writing its memory would run code
    // without it.
    let fx = Fixture::new();
    for m in CONFINED {
        let sb = Sandbox::new(super::harness::Backend::Bwrap, m, &fx);
        for mem in ["/proc/1/mem", "/proc/1/task/1/mem"] {
            let run = sb.sh(&format!("exec 3<>{mem}"));
            assert!(!run.ok(), "{} {mem} open-able: {run:?}", sb.label());
        }
        // The reaper is there and is bubblewrap (so the check above is not vacuous).
        let run = sb.sh("readlink /proc/1/exe");
        assert!(run.stdout.contains("bwrap"), "{} {run:?}", sb.label());
    }
}
