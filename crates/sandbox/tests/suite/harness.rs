//! Fixtures and runners for the enforcement suite (sandbox.md §10).
//!
//! A [`Fixture`] is a scratch directory *outside* `/tmp` (which is a writable root in
//! workspace-write) holding `ws/` (a `git init` workspace) and `out/` (outside every root).
//! [`Sandbox`] runs a command through `Probe::prepare` + `std::process::Command` with one
//! backend and one mode; [`Sandbox::op`] runs the in-sandbox probe program (`ops.rs`).
//! Every case is written so that it also holds when the tests run as an unprivileged user.

use std::collections::BTreeMap;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use codex_sandbox::{Backend as ProbeBackend, Probe, ProbeOptions, SandboxPolicy, probe_with};

use super::ops::{PROBE_ENV, PROBE_TEST, SEP};

/// The sandbox helper built from this crate (`src/bin/codex-linux-sandbox.rs`). When the
/// checkout lives under `/tmp` (a writable root, where the sandbox refuses to run a helper a
/// command could replace), a copy in `/var/tmp` is used instead.
pub fn helper() -> PathBuf {
    static HELPER: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HELPER
        .get_or_init(|| {
            // A nested test process (case 51) inherits its parent's choice.
            if let Some(path) = std::env::var_os(HELPER_ENV) {
                return PathBuf::from(path);
            }
            let built = PathBuf::from(env!("CARGO_BIN_EXE_codex-linux-sandbox"));
            if !under_slash_tmp(&built) {
                return built;
            }
            // One copy per build and user, shared by every test process (each test runs in
            // its own process). Where /var/tmp is not writable (nested runs), the built path.
            let copy = || -> std::io::Result<PathBuf> {
                use std::os::unix::fs::{MetadataExt, PermissionsExt};
                let meta = std::fs::metadata(&built)?;
                let dir = PathBuf::from(format!(
                    "/var/tmp/codex-sbx-helper-{}-{}-{}",
                    rustix::process::geteuid().as_raw(),
                    meta.len(),
                    meta.mtime_nsec() + meta.mtime() * 1_000_000_000
                ));
                let copy = dir.join("codex-linux-sandbox");
                if std::fs::metadata(&copy).is_ok_and(|m| m.len() == meta.len()) {
                    return Ok(copy);
                }
                // Build it aside, then rename into place: a concurrent test process either
                // wins the rename or finds the finished copy.
                let tmp = tempfile::Builder::new()
                    .prefix("codex-sbx-helper-")
                    .tempdir_in("/var/tmp")?;
                std::fs::copy(&built, tmp.path().join("codex-linux-sandbox"))?;
                std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
                let staged = tmp.keep();
                if std::fs::rename(&staged, &dir).is_err() {
                    std::fs::remove_dir_all(&staged)?;
                }
                Ok(copy)
            };
            copy().unwrap_or(built)
        })
        .clone()
}

/// Where case 47's leaked directory fd lands in the child.
pub const LEAKED_FD: i32 = 200;

/// Passes the helper path chosen by [`helper`] to nested test processes.
pub const HELPER_ENV: &str = "CODEX_SANDBOX_TEST_HELPER";

/// Whether `path` is inside `/tmp` (after resolving symlinks).
fn under_slash_tmp(path: &Path) -> bool {
    let tmp = std::fs::canonicalize("/tmp").unwrap_or_else(|_| PathBuf::from("/tmp"));
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .starts_with(tmp)
}

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Bwrap,
    Landlock,
}

pub const BACKENDS: [Backend; 2] = [Backend::Bwrap, Backend::Landlock];

impl Backend {
    pub fn probe(self) -> &'static Probe {
        let options = match self {
            Backend::Bwrap => ProbeOptions::default(),
            Backend::Landlock => ProbeOptions {
                use_legacy_landlock: true,
                ..ProbeOptions::default()
            },
        };
        let probe = probe_with(&options);
        let ok = matches!(
            (self, probe.backend()),
            (Backend::Bwrap, ProbeBackend::Bwrap(_))
                | (Backend::Landlock, ProbeBackend::Landlock { .. })
        );
        assert!(
            ok,
            "backend {self:?} is not available on this machine (install bubblewrap: `apt-get install -y bubblewrap`):\n{}",
            probe.describe()
        );
        probe
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// read-only
    Ro,
    /// workspace-write, network off
    Ww,
    /// workspace-write, network on
    WwNet,
    /// danger-full-access
    Dfa,
}

pub const CONFINED: [Mode; 3] = [Mode::Ro, Mode::Ww, Mode::WwNet];
pub const ALL_MODES: [Mode; 4] = [Mode::Ro, Mode::Ww, Mode::WwNet, Mode::Dfa];

impl Mode {
    pub fn writes_workspace(self) -> bool {
        self != Mode::Ro
    }
    pub fn network(self) -> bool {
        matches!(self, Mode::WwNet | Mode::Dfa)
    }
    pub fn confined(self) -> bool {
        self != Mode::Dfa
    }
}

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub base: PathBuf,
    pub ws: PathBuf,
    pub out: PathBuf,
}

impl Fixture {
    pub fn new() -> Self {
        // Outside /tmp, also when the checkout itself is under /tmp.
        let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let preferred = if under_slash_tmp(target_tmp) {
            Path::new("/var/tmp")
        } else {
            target_tmp
        };
        let dir = tempfile::Builder::new()
            .prefix("sbx-")
            .tempdir_in(preferred)
            .or_else(|_| {
                tempfile::Builder::new()
                    .prefix("sbx-")
                    .tempdir_in("/var/tmp")
            })
            .unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let ws = base.join("ws");
        let out = base.join("out");
        std::fs::create_dir(&ws).unwrap();
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("f"), "outside\n").unwrap();
        let git = Command::new("git")
            .args(["init", "-q"])
            .current_dir(&ws)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap();
        assert!(git.success());
        Self {
            _dir: dir,
            base,
            ws,
            out,
        }
    }

    pub fn ws(&self, rel: &str) -> String {
        self.ws.join(rel).to_str().unwrap().to_string()
    }

    pub fn out(&self, rel: &str) -> String {
        self.out.join(rel).to_str().unwrap().to_string()
    }

    pub fn policy(&self, mode: Mode) -> SandboxPolicy {
        let mut policy = match mode {
            Mode::Ro => SandboxPolicy::read_only(),
            Mode::Ww | Mode::WwNet => SandboxPolicy::workspace_write(vec![self.ws.clone()]),
            Mode::Dfa => SandboxPolicy::danger_full_access(),
        };
        policy.network_access = mode == Mode::WwNet;
        policy
    }
}

/// Outcome of a probe op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Allowed(String),
    Denied(i32),
    /// The probe died from a signal (seccomp's arch check kills with SIGSYS).
    Killed(i32),
}

impl Outcome {
    pub fn allowed(&self) -> bool {
        matches!(self, Outcome::Allowed(_))
    }
}

pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.status.success()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status={:?}\nstdout:\n{}\nstderr:\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// One backend + one policy + a cwd.
pub struct Sandbox {
    pub backend: Backend,
    pub mode: Mode,
    pub policy: SandboxPolicy,
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    /// An fd of the test process that the child gets as [`LEAKED_FD`] without close-on-exec,
    /// as if Codex had inherited it (a number no fd of the test process uses).
    pub leak_fd: Option<i32>,
}

impl Sandbox {
    pub fn new(backend: Backend, mode: Mode, fx: &Fixture) -> Self {
        Self {
            backend,
            mode,
            policy: fx.policy(mode),
            cwd: fx.ws.clone(),
            env: std::env::vars().collect(),
            leak_fd: None,
        }
    }

    pub fn label(&self) -> String {
        format!("{:?}/{:?}", self.backend, self.mode)
    }

    pub fn command(&self, argv: &[&str]) -> (Command, codex_sandbox::PreparedCommand) {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let prepared = self
            .backend
            .probe()
            .prepare(&self.policy, &argv, &self.cwd, &helper())
            .unwrap_or_else(|e| panic!("{}: prepare failed: {e:#}", self.label()));
        let mut env = self.env.clone();
        prepared.apply_env(&mut env);
        let mut cmd = Command::new(prepared.program());
        cmd.args(prepared.args())
            .current_dir(&self.cwd)
            .env_clear()
            .envs(&env)
            .stdin(Stdio::null());
        if let Some(fd) = self.leak_fd {
            unsafe {
                cmd.pre_exec(move || {
                    if libc::dup2(fd, LEAKED_FD) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        // After the leak above: the fd stands for one the caller inherited.
        prepared.configure(&mut cmd);
        (cmd, prepared)
    }

    pub fn run(&self, argv: &[&str]) -> Run {
        let (mut cmd, prepared) = self.command(argv);
        let out = cmd.output().unwrap();
        drop(prepared);
        Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn sh(&self, script: &str) -> Run {
        self.run(&["/bin/sh", "-c", script])
    }

    /// The command running the probe program for `op`, and what must outlive it.
    pub fn op_command(&self, op: &[&str]) -> (Command, codex_sandbox::PreparedCommand) {
        let mut this = Sandbox {
            backend: self.backend,
            mode: self.mode,
            policy: self.policy.clone(),
            cwd: self.cwd.clone(),
            env: self.env.clone(),
            leak_fd: self.leak_fd,
        };
        this.env.insert(PROBE_ENV.into(), op.join(&SEP.to_string()));
        let exe = std::env::current_exe().unwrap();
        let argv = probe_argv(&exe);
        this.command(&argv.iter().map(String::as_str).collect::<Vec<_>>())
    }

    pub fn op(&self, op: &[&str]) -> Outcome {
        let (mut cmd, prepared) = self.op_command(op);
        let out = cmd.output().unwrap();
        drop(prepared);
        let run = Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        parse_outcome(&run).unwrap_or_else(|| panic!("{} {op:?}: no result\n{run:?}", self.label()))
    }
}

pub fn probe_argv(exe: &Path) -> Vec<String> {
    vec![
        exe.to_str().unwrap().to_string(),
        "--exact".into(),
        PROBE_TEST.into(),
        "--nocapture".into(),
        "--test-threads=1".into(),
        "-q".into(),
    ]
}

pub fn parse_outcome(run: &Run) -> Option<Outcome> {
    if let Some(sig) = run.status.signal() {
        return Some(Outcome::Killed(sig));
    }
    let Some(line) = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("SBX-RESULT "))
    else {
        // As pid 1 under bwrap, death by a signal is reported as exit code 128 + signal.
        return run
            .status
            .code()
            .filter(|c| *c > 128)
            .map(|c| Outcome::Killed(c - 128));
    };
    if let Some(value) = line.strip_prefix("ok ") {
        return Some(Outcome::Allowed(value.to_string()));
    }
    let rest = line.strip_prefix("err ")?;
    let errno = rest.split(' ').next()?.parse().ok()?;
    Some(Outcome::Denied(errno))
}

/// Asserts an op's outcome: `allow` true means it must succeed, false that it must fail.
#[track_caller]
pub fn expect(sb: &Sandbox, op: &[&str], allow: bool) -> Outcome {
    let outcome = sb.op(op);
    assert_eq!(
        outcome.allowed(),
        allow,
        "{} {op:?}: expected {}, got {outcome:?}",
        sb.label(),
        if allow { "allowed" } else { "denied" }
    );
    outcome
}

/// Starts a `sleep` victim outside any sandbox; killed on drop.
pub struct Victim(pub std::process::Child);

impl Victim {
    pub fn start() -> Self {
        Victim(
            Command::new("sleep")
                .arg("60")
                .env("VICTIM_SECRET", "sk-victim")
                .spawn()
                .unwrap(),
        )
    }
    pub fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Pids of processes whose command line contains `needle` (host view).
pub fn pids_with_arg(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            if args.contains(&needle.as_bytes()) {
                pids.push(pid);
            }
        }
    }
    pids
}
