//! §10 cases 51–52 and the probe's fail-closed behaviour.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use codex_sandbox::{
    Backend as ProbeBackend, ProbeOptions, SandboxError, SandboxPolicy, probe_with,
};

use super::harness::{Fixture, Outcome, Run, helper, parse_outcome, probe_argv};

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn real_bwrap() -> PathBuf {
    let ProbeBackend::Bwrap(info) = codex_sandbox::probe().backend() else {
        panic!(
            "bubblewrap is required: {}",
            codex_sandbox::probe().describe()
        );
    };
    info.path.clone()
}

#[test]
fn bubblewrap_with_user_namespace_is_the_default_here() {
    let probe = codex_sandbox::probe();
    let ProbeBackend::Bwrap(info) = probe.backend() else {
        panic!("{}", probe.describe());
    };
    assert!(
        info.user_namespace && info.proc_mount,
        "{}",
        probe.describe()
    );
    assert!(probe.describe().starts_with("sandbox: bubblewrap at "));
    assert_eq!(probe.sandbox_name(), Some("bwrap"));
    assert!(probe.warning().is_none());
}

#[test]
fn bubblewrap_without_add_seccomp_fd_is_skipped() {
    let fx = Fixture::new();
    // bubblewrap 0.4 (Ubuntu 20.04) has `--seccomp` but not `--add-seccomp-fd`; it would
    // run fine, so only the help text tells.
    let real = real_bwrap();
    let old = script(
        &fx.base,
        "bwrap",
        &format!(
            "case \"$*\" in *--help*) echo '--seccomp FD'; exit 0;; esac\nexec {} \"$@\"",
            real.display()
        ),
    );
    let probe = probe_with(&ProbeOptions {
        bwrap_path: Some(old),
        ..ProbeOptions::default()
    });
    assert!(
        matches!(probe.backend(), ProbeBackend::Landlock { .. }),
        "{}",
        probe.describe()
    );
    assert!(
        probe
            .notes()
            .iter()
            .any(|n| n.contains("too old") && n.contains("--add-seccomp-fd")),
        "{:?}",
        probe.notes()
    );
}

#[test]
fn case51_user_namespaces_refused_falls_back_to_landlock() {
    let fx = Fixture::new();
    // What Ubuntu 24.04's AppArmor restriction looks like to bwrap.
    let fake = script(
        &fx.base,
        "bwrap",
        "case \"$*\" in *--help*) echo '--add-seccomp-fd --disable-userns'; exit 0;; esac\n\
         echo 'bwrap: setting up uid map: Permission denied' >&2; exit 1",
    );
    let probe = probe_with(&ProbeOptions {
        bwrap_path: Some(fake.clone()),
        ..ProbeOptions::default()
    });
    assert!(
        matches!(probe.backend(), ProbeBackend::Landlock { .. }),
        "{}",
        probe.describe()
    );
    assert!(
        probe
            .notes()
            .iter()
            .any(|n| n.contains("setting up uid map"))
    );
    assert!(probe.warning().unwrap().contains(".git"));

    // With the fallback refused: fail closed, saying what to do.
    let strict = probe_with(&ProbeOptions {
        bwrap_path: Some(fake),
        no_landlock_fallback: true,
        ..ProbeOptions::default()
    });
    let err = strict
        .prepare(
            &SandboxPolicy::read_only(),
            &["true".into()],
            &fx.ws,
            &helper(),
        )
        .unwrap_err();
    assert!(matches!(err, SandboxError::Unavailable { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("setting up uid map") && msg.contains("AppArmor"),
        "{msg}"
    );
    // danger-full-access needs no backend.
    let prepared = strict
        .prepare(
            &SandboxPolicy::danger_full_access(),
            &["true".into()],
            &fx.ws,
            &helper(),
        )
        .unwrap();
    assert_eq!(prepared.argv, vec!["true".to_string()]);
    assert!(prepared.env.is_empty() && prepared.sandbox.is_none());
}

#[test]
fn case51_really_without_user_namespaces() {
    // sandbox.md §11: inside `bwrap --unshare-user --disable-userns` no further user
    // namespace can be created, so the probe must pick Landlock and still confine.
    let fx = Fixture::new();
    let bwrap = real_bwrap();
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(&bwrap);
    cmd.args([
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--unshare-user",
        "--disable-userns",
        "--unshare-pid",
        "--proc",
        "/proc",
        "--cap-drop",
        "ALL",
    ]);
    cmd.args([
        "--bind",
        fx.base.to_str().unwrap(),
        fx.base.to_str().unwrap(),
        "--",
    ]);
    cmd.args(probe_argv(&exe));
    cmd.env(
        super::ops::PROBE_ENV,
        ["nested-run", &fx.ws("nested"), &fx.out("nested")].join(&super::ops::SEP.to_string()),
    );
    cmd.env(super::harness::HELPER_ENV, super::harness::helper());
    let out = cmd.output().unwrap();
    let run = Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let outcome = parse_outcome(&run).unwrap_or_else(|| panic!("{run:?}"));
    assert_eq!(
        outcome,
        Outcome::Allowed("backend=landlock ws=ok out=denied".into()),
        "{run:?}"
    );
    assert!(fx.ws.join("nested").exists());
    assert!(!fx.out.join("nested").exists());
}

#[test]
fn case52_proc_mount_refused_is_detected() {
    let fx = Fixture::new();
    let bwrap = real_bwrap();
    for message in [
        "bwrap: Can't mount proc on /newroot/proc: Operation not permitted",
        "bwrap: Can't mount proc on /proc: Operation not permitted",
    ] {
        let dir = fx.base.join(format!("v{}", message.len()));
        std::fs::create_dir(&dir).unwrap();
        let fake = script(
            &dir,
            "bwrap",
            &format!(
                "case \"$*\" in *'--proc /proc'*) echo \"{message}\" >&2; exit 1;; esac\n\
                 exec {} \"$@\"",
                bwrap.display()
            ),
        );
        let probe = probe_with(&ProbeOptions {
            bwrap_path: Some(fake),
            ..ProbeOptions::default()
        });
        let ProbeBackend::Bwrap(info) = probe.backend() else {
            panic!("{}", probe.describe());
        };
        assert!(
            !info.proc_mount && info.user_namespace,
            "{}",
            probe.describe()
        );
        assert!(probe.describe().contains("host /proc read-only"));
        // And it still confines.
        let policy = SandboxPolicy::workspace_write(vec![fx.ws.clone()]);
        let argv: Vec<String> = ["/bin/sh", "-c"]
            .iter()
            .map(|s| s.to_string())
            .chain([format!(
                "echo ok > {} && ! echo x > {} && ! echo x 2>/dev/null > /proc/sys/kernel/hostname",
                fx.ws("c52"),
                fx.out("c52")
            )])
            .collect();
        let prepared = probe.prepare(&policy, &argv, &fx.ws, &helper()).unwrap();
        let mut cmd = Command::new(prepared.program());
        cmd.args(prepared.args()).envs(prepared.env.iter().cloned());
        prepared.configure(&mut cmd);
        let status = cmd.status().unwrap();
        assert!(status.success());
        assert!(fx.ws.join("c52").exists() && !fx.out.join("c52").exists());
    }
}

#[test]
fn no_backend_fails_closed_with_a_fix() {
    let probe = probe_with(&ProbeOptions {
        bwrap_path: Some("/nonexistent/bwrap".into()),
        no_landlock_fallback: true,
        ..ProbeOptions::default()
    });
    assert!(matches!(probe.backend(), ProbeBackend::Unavailable { .. }));
    assert_eq!(probe.sandbox_name(), None);
    for policy in [
        SandboxPolicy::read_only(),
        SandboxPolicy::workspace_write(vec!["/".into()]),
    ] {
        let err = probe
            .prepare(&policy, &["true".into()], Path::new("/"), &helper())
            .unwrap_err();
        assert!(err.to_string().contains("Fix:"), "{err}");
    }
}

#[test]
fn prepare_rejects_bad_input() {
    let fx = Fixture::new();
    let probe = codex_sandbox::probe();
    let policy = SandboxPolicy::read_only();
    assert!(matches!(
        probe.prepare(&policy, &[], &fx.ws, &helper()),
        Err(SandboxError::EmptyCommand)
    ));
    assert!(matches!(
        probe.prepare(&policy, &["true".into()], Path::new("rel"), &helper()),
        Err(SandboxError::RelativePath { .. })
    ));
    let mut ww = SandboxPolicy::workspace_write(vec!["relative/root".into()]);
    ww.exclude_slash_tmp = true;
    assert!(matches!(
        probe.prepare(&ww, &["true".into()], &fx.ws, &helper()),
        Err(SandboxError::RelativePath { .. })
    ));
}

#[test]
fn bwrap_inside_a_writable_root_is_refused() {
    let fx = Fixture::new();
    let bwrap = real_bwrap();
    let copy = fx.ws.join("bwrap");
    std::fs::copy(&bwrap, &copy).unwrap();
    let probe = probe_with(&ProbeOptions {
        bwrap_path: Some(copy),
        ..ProbeOptions::default()
    });
    assert!(
        matches!(probe.backend(), ProbeBackend::Bwrap(_)),
        "{}",
        probe.describe()
    );
    let err = probe
        .prepare(
            &SandboxPolicy::workspace_write(vec![fx.ws.clone()]),
            &["true".into()],
            &fx.ws,
            &helper(),
        )
        .unwrap_err();
    assert!(
        matches!(err, SandboxError::ExecutableInWritableRoot { .. }),
        "{err}"
    );
    // Read-only mode has no writable root, so the same bwrap is fine there.
    probe
        .prepare(
            &SandboxPolicy::read_only(),
            &["true".into()],
            &fx.ws,
            &helper(),
        )
        .unwrap();
}

#[test]
fn helper_reports_setup_errors_and_exec_failures() {
    let out = Command::new(helper())
        .args(["bogus", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(codex_sandbox::EXIT_SETUP_FAILED));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("codex-linux-sandbox: usage:"),
        "{stderr}"
    );

    let out = Command::new(helper())
        .args(["landlock", "--", "/nonexistent/program"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));

    let out = Command::new(helper())
        .args(["landlock", "--", "sh", "-c", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));

    let out = Command::new(helper())
        .args(["landlock", "--", "sh", "-c", "kill -TERM $$"])
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{out:?}");
}
