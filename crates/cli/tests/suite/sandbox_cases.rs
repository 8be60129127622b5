//! sandbox.md §10 through the real binary, the way a user runs it:
//! `codex sandbox [-c sandbox_mode=... | -P :profile] [-c key=value]... [-C DIR] -- /bin/sh -c SCRIPT`
//! in four modes (RO, WW, WW+N, DFA). Each case asserts the allow/deny column of §10 from inside
//! (the script prints one `name=ok` / `name=no <error>` line per operation) and checks the host
//! from outside afterwards (the file really was or was not created, the listener got a
//! connection or not, no process was left behind).
//!
//! `crates/sandbox/tests/suite/*.rs` test the same cases through the library with both backends
//! forced. Here the backend is whatever the binary picks on this machine, read from
//! `CODEX_SANDBOX` inside the sandbox: `bwrap`, or `landlock` where user namespaces are unusable
//! (CI runs this module inside `bwrap --disable-userns` for that, see
//! `scripts/test-sandbox-matrix`). The fallback's documented weaknesses (`.git`/`.codex`/
//! `.agents` inside writable roots stay writable, chmod/utime are not covered, `/tmp` and
//! `/dev/shm` are the host's, no pid namespace) are asserted as such, so a change is noticed.
//!
//! Scratch dirs live under `/var/tmp`: `/tmp` is a writable root in workspace-write, and the
//! checkout itself may be under `/tmp`. `$WS` is the `TestHome` git work tree, `$OUT` its
//! sibling `out/` (outside every root, so `$WS/../out` is the dot-dot case).
//!
//! Root-only expectations (24, 26 and 37 in DFA; 45 and 50 at all) key on the test process's
//! effective capabilities, not on uid 0: inside the CI's `bwrap --cap-drop ALL` the uid is 0
//! without any, and 45/50 return early without root. 25 in DFA must match the same opens made
//! without codex (root opens `/proc/sys` on the host, a caps-less uid 0 too unless it is
//! mounted read-only).
//!
//! Not covered here (the crate-level suite covers them with its compiled probe):
//! * 32 `process_vm_readv`, 34 TIOCSTI (needs a pty and an ioctl probe), 41 i386/x32 syscalls
//!   (needs machine code): no shell or python3 one-liner expresses them cleanly. 32's
//!   `ptrace` half is covered (`PTRACE_SEIZE` via ctypes, which never stops the victim).
//! * 36's `getaddrinfo` half: the CI machine has no DNS at all (the UDP half is covered).
//! * 23's `/dev/tty` is only checked to exist: bwrap's `--new-session` leaves the command
//!   without a controlling terminal (as upstream), so opening it fails with ENXIO there.
//! * 51 is the setting this module runs in under the matrix script, 52 needs a container with
//!   a masked `/proc`, 53 is a benchmark (`bench/`).
//! * §10's n/a cells: 27–29, 46 and 48 in DFA (27–29 would remount the host); 42 in DFA is
//!   the kernel's business.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codex_test_support::TestHome;

use crate::common::codex_command;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Ro,
    Ww,
    WwNet,
    Dfa,
}

const MODES: [Mode; 4] = [Mode::Ro, Mode::Ww, Mode::WwNet, Mode::Dfa];
const CONFINED: [Mode; 3] = [Mode::Ro, Mode::Ww, Mode::WwNet];

impl Mode {
    /// The legacy `sandbox_mode` spelling (read-only is the default).
    fn config_args(self) -> &'static [&'static str] {
        match self {
            Mode::Ro => &[],
            Mode::Ww => &["-c", r#"sandbox_mode="workspace-write""#],
            Mode::WwNet => &[
                "-c",
                r#"sandbox_mode="workspace-write""#,
                "-c",
                "sandbox_workspace_write.network_access=true",
            ],
            Mode::Dfa => &["-c", r#"sandbox_mode="danger-full-access""#],
        }
    }

    /// The permission-profile spelling.
    fn profile_args(self) -> &'static [&'static str] {
        match self {
            Mode::Ro => &["-P", ":read-only"],
            Mode::Ww => &["-P", ":workspace"],
            Mode::WwNet => &[
                "-P",
                ":workspace",
                "-c",
                "sandbox_workspace_write.network_access=true",
            ],
            Mode::Dfa => &["-P", ":danger-full-access"],
        }
    }

    fn writes_ws(self) -> bool {
        self != Mode::Ro
    }

    fn network(self) -> bool {
        matches!(self, Mode::WwNet | Mode::Dfa)
    }

    fn confined(self) -> bool {
        self != Mode::Dfa
    }
}

/// Used in file names (`$M` in scripts), so the modes of one test never collide.
impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Ro => "ro",
            Mode::Ww => "ww",
            Mode::WwNet => "wwn",
            Mode::Dfa => "dfa",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Bwrap,
    Landlock,
}

/// Sourced before every script: `t NAME 'SNIPPET'` runs the snippet in a subshell and prints
/// `NAME=ok`, or `NAME=no <first line of its stderr>`; the backend line is checked on every run.
const PRELUDE: &str = r#"t() { if e=$( (eval "$2") 2>&1 >/dev/null); then echo "$1=ok"; else echo "$1=no $(echo "$e" | head -n 1)"; fi; }
echo "sbx=${CODEX_SANDBOX-unset}"
"#;

/// One test's scratch layout: a `TestHome` under `/var/tmp` plus `out/` beside its work tree.
struct Fx {
    home: TestHome,
    root: PathBuf,
    ws: PathBuf,
    out: PathBuf,
    backend: Backend,
}

impl Fx {
    fn new() -> Self {
        let home = TestHome::new_in("/var/tmp");
        let root = std::fs::canonicalize(home.root()).unwrap();
        let ws = root.join("work");
        let out = root.join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("f"), "outside\n").unwrap();
        // The backend this binary picks here, as the command sees it.
        let probe = codex_command(&home)
            .args([
                "sandbox",
                "--",
                "/bin/sh",
                "-c",
                r#"printf %s "$CODEX_SANDBOX""#,
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let backend = match String::from_utf8_lossy(&probe.stdout).as_ref() {
            "bwrap" => Backend::Bwrap,
            "landlock" => Backend::Landlock,
            other => panic!(
                "read-only sandbox reports CODEX_SANDBOX={other:?}; stderr: {}",
                String::from_utf8_lossy(&probe.stderr)
            ),
        };
        Fx {
            home,
            root,
            ws,
            out,
            backend,
        }
    }

    fn landlock(&self) -> bool {
        self.backend == Backend::Landlock
    }

    /// Whether a write below `.git`/`.codex`/`.agents` of a writable root succeeds.
    fn protected_allowed(&self, m: Mode) -> bool {
        !m.confined() || (self.landlock() && m.writes_ws())
    }

    /// Unique among all test processes (the temp dir's name).
    fn tag(&self) -> String {
        self.root
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    fn ws(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.ws.join(rel)
    }

    fn out(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.out.join(rel)
    }

    /// `codex sandbox MODE_ARGS EXTRA -- /bin/sh -c PRELUDE+SCRIPT` in the work tree, with
    /// `$WS`, `$OUT`, `$M` (the mode's name) and `$PY` (python3) set.
    fn command_with(&self, mode_args: &[&str], m: Mode, extra: &[&str], script: &str) -> Command {
        let mut cmd = codex_command(&self.home);
        cmd.arg("sandbox")
            .args(mode_args)
            .args(extra)
            .args(["--", "/bin/sh", "-c", &format!("{PRELUDE}{script}")])
            .env("WS", &self.ws)
            .env("OUT", &self.out)
            .env("M", m.to_string())
            .env("PY", python())
            .stdin(Stdio::null());
        cmd
    }

    fn command(&self, m: Mode, extra: &[&str], script: &str) -> Command {
        self.command_with(m.config_args(), m, extra, script)
    }

    /// Runs `cmd`, parses its probe lines and checks that the command saw the right backend.
    fn finish(&self, m: Mode, mut cmd: Command) -> Run {
        let out = cmd.output().unwrap();
        let run = Run::new(format!("{:?}/{m:?}", self.backend), out);
        let want = match (m.confined(), self.backend) {
            (false, _) => "unset",
            (true, Backend::Bwrap) => "bwrap",
            (true, Backend::Landlock) => "landlock",
        };
        assert_eq!(run.value("sbx"), want, "CODEX_SANDBOX\n{run:?}");
        run
    }

    fn run(&self, m: Mode, script: &str) -> Run {
        self.finish(m, self.command(m, &[], script))
    }
}

struct Run {
    label: String,
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
    probes: BTreeMap<String, String>,
}

impl Run {
    fn new(label: String, out: std::process::Output) -> Self {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let probes = stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| {
                k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Run {
            label,
            status: out.status,
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            probes,
        }
    }

    #[track_caller]
    fn value(&self, key: &str) -> &str {
        self.probes
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no `{key}=` line\n{self:?}"))
    }

    #[track_caller]
    fn ok(&self, probe: &str) -> bool {
        let v = self.value(probe);
        assert!(v == "ok" || v.starts_with("no"), "`{probe}={v}`\n{self:?}");
        v == "ok"
    }

    /// Asserts that `probe` succeeded (`allowed`) or failed; returns its line (the error).
    #[track_caller]
    fn expect(&self, probe: &str, allowed: bool) -> &str {
        assert_eq!(
            self.ok(probe),
            allowed,
            "`{probe}` must be {}\n{self:?}",
            if allowed { "allowed" } else { "denied" }
        );
        self.value(probe)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {:?}\nstdout:\n{}stderr:\n{}",
            self.label, self.status, self.stdout, self.stderr
        )
    }
}

/// `/usr/bin/python3` where it exists (what CI installs; a pyenv shim is slower and reads
/// `$HOME`), else `python3` from `PATH`.
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn require_python() {
    let ok = Command::new(python())
        .args(["-c", ""])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "python3 is required (.ci/run installs it)");
}

/// `CapEff` bit `bit` of the test process (CAP_NET_RAW 13, CAP_SYS_ADMIN 21, CAP_MKNOD 27).
fn has_cap(bit: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap()
        .trim();
    (u64::from_str_radix(hex, 16).unwrap() >> bit) & 1 == 1
}

const CAP_CHOWN: u32 = 0;
const CAP_NET_RAW: u32 = 13;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_MKNOD: u32 = 27;

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let uids = status.lines().find_map(|l| l.strip_prefix("Uid:")).unwrap();
    uids.split_whitespace().nth(1) == Some("0")
}

/// The mode bits of `path` (permission part).
fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Removes a host path when the test ends, also on failure (`/tmp`, `/dev/shm`, `/var/tmp`).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A `sleep` outside any sandbox (same uid as the test); killed on drop.
struct Victim(Child);

impl Victim {
    fn start(cwd: &Path) -> Self {
        Victim(
            Command::new("sleep")
                .arg("120")
                .current_dir(cwd)
                .env("SBX_VICTIM_MARK", "c30-marker")
                .stdin(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether one connection is waiting on a non-blocking listener (accepting it).
fn accepted<T>(accept: std::io::Result<T>) -> bool {
    match accept {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("accept: {e}"),
    }
}

/// Host pids whose argv holds `needle` as one argument.
fn pids_with_arg(needle: &str) -> Vec<String> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && cmdline.split(|b| *b == 0).any(|a| a == needle.as_bytes())
        {
            pids.push(name);
        }
    }
    pids
}

/// Polls (bounded) until no process carries `needle`; kills what is left either way.
fn gone_within(needle: &str, limit: Duration) -> bool {
    let start = Instant::now();
    let gone = loop {
        if pids_with_arg(needle).is_empty() {
            break true;
        }
        if start.elapsed() > limit {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let left = pids_with_arg(needle);
    if !left.is_empty() {
        let _ = Command::new("kill").arg("-KILL").args(&left).status();
    }
    gone
}

// ---------------------------------------------------------------- §10 cases 1–8: files

#[test]
fn case01_write_in_cwd() {
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(m, r#"t write 'echo x > c01-$M'"#);
        run.expect("write", m.writes_ws());
        assert_eq!(fx.ws(format!("c01-{m}")).exists(), m.writes_ws(), "{run:?}");
    }
}

#[test]
fn case02_write_outside_roots() {
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(m, r#"t write 'echo x > "$OUT/c02-$M"'"#);
        run.expect("write", !m.confined());
        assert_eq!(
            fx.out(format!("c02-{m}")).exists(),
            !m.confined(),
            "{run:?}"
        );
    }
}

#[test]
fn case03_dot_dot_traversal() {
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(m, r#"t write 'echo x > "$WS/../out/c03-$M"'"#);
        run.expect("write", !m.confined());
        assert_eq!(
            fx.out(format!("c03-{m}")).exists(),
            !m.confined(),
            "{run:?}"
        );
    }
}

#[test]
fn case04_symlink_pointing_out() {
    let fx = Fx::new();
    for m in MODES {
        let target = fx.out(format!("c04-{m}"));
        std::fs::write(&target, "orig").unwrap();
        // A link made on the host, so every mode can write through one.
        std::os::unix::fs::symlink(&target, fx.ws(format!("host04-{m}"))).unwrap();
        let run = fx.run(
            m,
            r#"t link 'ln -s "$OUT/c04-$M" own04-$M'
t write 'echo x > host04-$M'"#,
        );
        // Creating the link itself is a write inside the workspace.
        run.expect("link", m.writes_ws());
        run.expect("write", !m.confined());
        assert_eq!(
            std::fs::symlink_metadata(fx.ws(format!("own04-{m}"))).is_ok(),
            m.writes_ws()
        );
        let content = std::fs::read_to_string(&target).unwrap();
        assert_eq!(content == "orig", m.confined(), "{run:?}");
    }
}

#[test]
fn case05_hardlink_trick() {
    let fx = Fx::new();
    for m in MODES {
        let target = fx.out(format!("c05-{m}"));
        std::fs::write(&target, "orig").unwrap();
        let run = fx.run(m, r#"t link 'ln "$OUT/c05-$M" h05-$M && echo x >> h05-$M'"#);
        let err = run.expect("link", !m.confined());
        if m.confined() && m.writes_ws() {
            assert!(err.contains("cross-device"), "EXDEV expected\n{run:?}");
        }
        let content = std::fs::read_to_string(&target).unwrap();
        assert_eq!(content == "orig", m.confined(), "{run:?}");
    }
}

#[test]
fn case06_truncate_unlink_mkdir_rename_outside() {
    let fx = Fx::new();
    for m in MODES {
        std::fs::write(fx.out(format!("t06-{m}")), "keep").unwrap();
        std::fs::write(fx.out(format!("u06-{m}")), "keep").unwrap();
        std::fs::write(fx.ws(format!("r06-{m}")), "x").unwrap();
        let run = fx.run(
            m,
            r#"t trunc ': > "$OUT/t06-$M"'
t unlink 'rm "$OUT/u06-$M"'
t mkdir 'mkdir "$OUT/d06-$M"'
t rename 'mv r06-$M "$OUT/r06-$M"'"#,
        );
        for probe in ["trunc", "unlink", "mkdir", "rename"] {
            run.expect(probe, !m.confined());
        }
        let kept = std::fs::read_to_string(fx.out(format!("t06-{m}"))).unwrap();
        assert_eq!(kept == "keep", m.confined(), "{run:?}");
        assert_eq!(fx.out(format!("u06-{m}")).exists(), m.confined());
        assert_eq!(fx.out(format!("d06-{m}")).is_dir(), !m.confined());
        assert_eq!(fx.out(format!("r06-{m}")).exists(), !m.confined());
        assert_eq!(fx.ws(format!("r06-{m}")).exists(), m.confined());
    }
}

#[test]
fn case07_chmod_utime_outside() {
    let fx = Fx::new();
    for m in MODES {
        let f = fx.out(format!("c07-{m}"));
        std::fs::write(&f, "x").unwrap();
        chmod(&f, 0o644);
        let mtime = std::fs::metadata(&f).unwrap().modified().unwrap();
        let run = fx.run(
            m,
            r#"t chmod 'chmod 666 "$OUT/c07-$M"'
t utime 'touch -d 2001-01-01 "$OUT/c07-$M"'"#,
        );
        // Landlock does not cover chmod/utime (documented weakness of the fallback).
        let allowed = !m.confined() || fx.landlock();
        run.expect("chmod", allowed);
        run.expect("utime", allowed);
        assert_eq!(mode_of(&f) == 0o666, allowed, "{run:?}");
        let changed = std::fs::metadata(&f).unwrap().modified().unwrap() != mtime;
        assert_eq!(changed, allowed, "{run:?}");
    }
}

#[test]
fn case08_chmod_read_only_file_in_workspace() {
    let fx = Fx::new();
    for m in MODES {
        let f = fx.ws(format!("r08-{m}"));
        std::fs::write(&f, "x").unwrap();
        chmod(&f, 0o444);
        let run = fx.run(m, r#"t chmod 'chmod u+w r08-$M'"#);
        // Landlock does not cover chmod at all (documented weakness of the fallback).
        let allowed = m.writes_ws() || fx.landlock();
        run.expect("chmod", allowed);
        assert_eq!(mode_of(&f) & 0o200 != 0, allowed, "{run:?}");
    }
}

// ---------------------------------------------------------------- cases 9–17: protected dirs

#[test]
fn case09_git_config() {
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(
            m,
            r##"t write 'echo "# c09w-$M" >> .git/config'
t git 'git config --local sbx.c09g-$M nine'"##,
        );
        let allowed = fx.protected_allowed(m);
        run.expect("write", allowed);
        run.expect("git", allowed);
        let config = std::fs::read_to_string(fx.ws(".git/config")).unwrap();
        assert_eq!(config.contains(&format!("c09w-{m}")), allowed, "{run:?}");
        assert_eq!(config.contains(&format!("c09g-{m}")), allowed, "{run:?}");
    }
}

#[test]
fn case10_git_hooks() {
    let fx = Fx::new();
    let hook = fx.ws(".git/hooks/pre-commit");
    for m in MODES {
        let run = fx.run(
            m,
            r##"t hook 'printf "#!/bin/sh\n" > .git/hooks/pre-commit'"##,
        );
        run.expect("hook", fx.protected_allowed(m));
        assert_eq!(hook.exists(), fx.protected_allowed(m), "{run:?}");
        let _ = std::fs::remove_file(&hook);
    }
}

#[test]
fn case11_move_remove_replace_chmod_git() {
    let fx = Fx::new();
    let head = fx.ws(".git/HEAD");
    let config = fx.ws(".git/config");
    let original = std::fs::read_to_string(&head).unwrap();
    let config_mode = mode_of(&config);
    for m in MODES {
        std::fs::write(fx.ws(format!("evil-{m}")), "ref: refs/heads/evil\n").unwrap();
        // Where a step is allowed the script leaves `.git` usable for the next one.
        let run = fx.run(
            m,
            r#"t mv 'mv .git .git.bak && mv .git.bak .git'
t replace 'mv evil-$M .git/HEAD'
t rm 'rm .git/HEAD'
t chmod 'chmod 666 .git/config'"#,
        );
        let allowed = fx.protected_allowed(m);
        let err = run.expect("mv", allowed);
        if m.confined() && m.writes_ws() && !fx.landlock() {
            // A mount point cannot be renamed.
            assert!(err.contains("busy"), "EBUSY expected\n{run:?}");
        }
        run.expect("replace", allowed);
        run.expect("rm", allowed);
        // Landlock does not cover chmod at all (documented weakness of the fallback).
        run.expect("chmod", allowed || fx.landlock());
        assert!(fx.ws(".git").is_dir() && !fx.ws(".git.bak").exists());
        if allowed {
            assert!(!head.exists(), "{run:?}");
            std::fs::write(&head, &original).unwrap();
        } else {
            assert_eq!(std::fs::read_to_string(&head).unwrap(), original);
        }
        assert_eq!(mode_of(&config) == 0o666, allowed || fx.landlock());
        chmod(&config, config_mode);
    }
}

#[test]
fn case12_hardlink_out_of_git() {
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(
            m,
            r##"t link 'ln .git/config x12-$M && echo "# pwn12-$M" >> x12-$M'"##,
        );
        let linked = run.ok("link");
        if !fx.protected_allowed(m) {
            assert!(!linked, "{run:?}");
        } else if !fx.landlock() {
            assert!(linked, "{run:?}");
        }
        // Landlock WW may refuse the link (no REFER right) although .git is writable there.
        let config = std::fs::read_to_string(fx.ws(".git/config")).unwrap();
        assert_eq!(config.contains(&format!("pwn12-{m}")), linked, "{run:?}");
    }
}

#[test]
fn case13_git_file_pointing_to_a_gitdir() {
    let fx = Fx::new();
    // A linked-worktree layout: `.git` is a file, the gitdir lives in another writable root.
    let extra = fx.root.join("extra13");
    let gitdir = extra.join("gitdirs/wt");
    std::fs::create_dir_all(&gitdir).unwrap();
    let head = "ref: refs/heads/main\n";
    let pointer = format!("gitdir: {}\n", gitdir.display());
    std::fs::remove_dir_all(fx.ws(".git")).unwrap();
    let roots = format!(
        "sandbox_workspace_write.writable_roots=[\"{}\"]",
        extra.display()
    );
    for m in MODES {
        std::fs::write(gitdir.join("HEAD"), head).unwrap();
        std::fs::write(fx.ws(".git"), &pointer).unwrap();
        let mut cmd = fx.command(
            m,
            &["-c", &roots],
            r#"t gitfile 'echo "gitdir: $OUT" > .git'
t gitdir 'echo x >> "$EXTRA/gitdirs/wt/HEAD"'
t other 'echo x > "$EXTRA/other-$M"'"#,
        );
        cmd.env("EXTRA", &extra);
        let run = fx.finish(m, cmd);
        let allowed = fx.protected_allowed(m);
        run.expect("gitfile", allowed);
        run.expect("gitdir", allowed);
        run.expect("other", m.writes_ws());
        assert_eq!(
            std::fs::read_to_string(fx.ws(".git")).unwrap() == pointer,
            !allowed
        );
        assert_eq!(
            std::fs::read_to_string(gitdir.join("HEAD")).unwrap() == head,
            !allowed
        );
        assert_eq!(extra.join(format!("other-{m}")).exists(), m.writes_ws());
    }
}

#[test]
fn case14_symlinked_protected_names() {
    let fx = Fx::new();
    // `.codex` -> an in-tree dir, `.agents` -> a dir outside every root.
    std::fs::create_dir(fx.ws("real-codex")).unwrap();
    std::os::unix::fs::symlink("real-codex", fx.ws(".codex")).unwrap();
    std::fs::create_dir(fx.out("agents")).unwrap();
    std::os::unix::fs::symlink(fx.out("agents"), fx.ws(".agents")).unwrap();
    for m in MODES {
        let run = fx.run(
            m,
            r#"t codex 'echo x > .codex/config-$M.toml'
t agents 'echo x > .agents/x-$M'"#,
        );
        run.expect("codex", fx.protected_allowed(m));
        run.expect("agents", !m.confined());
        assert_eq!(
            fx.ws(format!("real-codex/config-{m}.toml")).exists(),
            fx.protected_allowed(m)
        );
        assert_eq!(fx.out(format!("agents/x-{m}")).exists(), !m.confined());
    }
    // A symlinked `.git` directory.
    let fx = Fx::new();
    std::fs::rename(fx.ws(".git"), fx.ws("dot-git")).unwrap();
    std::os::unix::fs::symlink("dot-git", fx.ws(".git")).unwrap();
    for m in MODES {
        let run = fx.run(m, r##"t write 'echo "# c14-$M" >> .git/config'"##);
        run.expect("write", fx.protected_allowed(m));
        let config = std::fs::read_to_string(fx.ws("dot-git/config")).unwrap();
        assert_eq!(
            config.contains(&format!("c14-{m}")),
            fx.protected_allowed(m)
        );
    }
}

#[test]
fn case15_missing_codex_and_agents() {
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(
            m,
            r#"t codex 'mkdir .codex'
t agents 'mkdir .agents'"#,
        );
        let allowed = fx.protected_allowed(m);
        run.expect("codex", allowed);
        run.expect("agents", allowed);
        // No placeholder is left on the host once the sandbox has exited.
        assert_eq!(fx.ws(".codex").exists(), allowed, "{run:?}");
        assert_eq!(fx.ws(".agents").exists(), allowed, "{run:?}");
        let _ = std::fs::remove_dir(fx.ws(".codex"));
        let _ = std::fs::remove_dir(fx.ws(".agents"));
        // An existing `.codex/config.toml`.
        std::fs::create_dir(fx.ws(".codex")).unwrap();
        std::fs::write(fx.ws(".codex/config.toml"), "model = \"x\"\n").unwrap();
        let run = fx.run(m, r##"t write 'echo "# c15-$M" >> .codex/config.toml'"##);
        run.expect("write", allowed);
        let config = std::fs::read_to_string(fx.ws(".codex/config.toml")).unwrap();
        assert_eq!(config.contains(&format!("c15-{m}")), allowed);
        std::fs::remove_dir_all(fx.ws(".codex")).unwrap();
    }
}

#[test]
fn case16_extra_writable_root() {
    let fx = Fx::new();
    let d = fx.root.join("extra16");
    std::fs::create_dir_all(d.join(".git")).unwrap();
    std::fs::write(d.join(".git/config"), "").unwrap();
    let roots = format!(
        "sandbox_workspace_write.writable_roots=[\"{}\"]",
        d.display()
    );
    for m in MODES {
        let mut cmd = fx.command(
            m,
            &["-c", &roots],
            r##"t file 'echo x > "$EXTRA/file-$M"'
t git 'echo "# c16-$M" >> "$EXTRA/.git/config"'"##,
        );
        cmd.env("EXTRA", &d);
        let run = fx.finish(m, cmd);
        run.expect("file", m.writes_ws());
        run.expect("git", fx.protected_allowed(m));
        assert_eq!(d.join(format!("file-{m}")).exists(), m.writes_ws());
        let config = std::fs::read_to_string(d.join(".git/config")).unwrap();
        assert_eq!(
            config.contains(&format!("c16-{m}")),
            fx.protected_allowed(m)
        );
    }
}

#[test]
fn case17_cwd_and_root_through_symlinks() {
    let fx = Fx::new();
    let link = fx.root.join("ws-link");
    std::os::unix::fs::symlink(&fx.ws, &link).unwrap();
    let extra = fx.root.join("extra17");
    std::fs::create_dir(&extra).unwrap();
    let extra_link = fx.root.join("extra17-link");
    std::os::unix::fs::symlink(&extra, &extra_link).unwrap();
    let roots = format!(
        "sandbox_workspace_write.writable_roots=[\"{}\"]",
        extra_link.display()
    );
    for m in MODES {
        let mut cmd = fx.command(
            m,
            &["-C", link.to_str().unwrap(), "-c", &roots],
            r#"t cwd 'echo x > c17-$M'
t extra 'echo x > "$XLINK/c17-$M"'
t out 'echo x > "$OUT/c17-$M"'
echo "pwd=$(pwd -P)""#,
        );
        cmd.current_dir(&fx.root).env("XLINK", &extra_link);
        let run = fx.finish(m, cmd);
        run.expect("cwd", m.writes_ws());
        run.expect("extra", m.writes_ws());
        run.expect("out", !m.confined());
        assert_eq!(run.value("pwd"), fx.ws.to_str().unwrap());
        assert_eq!(fx.ws(format!("c17-{m}")).exists(), m.writes_ws());
        assert_eq!(extra.join(format!("c17-{m}")).exists(), m.writes_ws());
        assert_eq!(fx.out(format!("c17-{m}")).exists(), !m.confined());
    }
}

// ---------------------------------------------------------------- cases 18–23: temp dirs, devices

#[test]
fn case18_slash_tmp() {
    let fx = Fx::new();
    for m in MODES {
        for exclude in [false, true] {
            let f = PathBuf::from(format!("/tmp/codex-sbx-c18-{}-{m}-{exclude}", fx.tag()));
            let _cleanup = RemoveOnDrop(f.clone());
            let flag = format!("sandbox_workspace_write.exclude_slash_tmp={exclude}");
            let mut cmd = fx.command(m, &["-c", &flag], r#"t write 'echo x > "$F"'"#);
            cmd.env("F", &f);
            let run = fx.finish(m, cmd);
            let allowed = !m.confined() || (m.writes_ws() && !exclude);
            run.expect("write", allowed);
            assert_eq!(f.exists(), allowed, "visible on the host\n{run:?}");
        }
    }
}

#[test]
fn case19_tmpdir() {
    let fx = Fx::new();
    let tmpdir = fx.root.join("tmpdir");
    std::fs::create_dir(&tmpdir).unwrap();
    for m in MODES {
        for exclude in [false, true] {
            let flag = format!("sandbox_workspace_write.exclude_tmpdir_env_var={exclude}");
            let mut cmd = fx.command(
                m,
                &["-c", &flag],
                r#"t write 'echo x > "$TMPDIR/c19-$M-$X"'"#,
            );
            cmd.env("TMPDIR", &tmpdir).env("X", exclude.to_string());
            let run = fx.finish(m, cmd);
            let allowed = !m.confined() || (m.writes_ws() && !exclude);
            run.expect("write", allowed);
            assert_eq!(tmpdir.join(format!("c19-{m}-{exclude}")).exists(), allowed);
        }
    }
}

#[test]
fn case20_dev_shm_is_private() {
    let fx = Fx::new();
    let host = PathBuf::from(format!("/dev/shm/codex-sbx-c20-host-{}", fx.tag()));
    std::fs::write(&host, "host").unwrap();
    let _host = RemoveOnDrop(host.clone());
    for m in MODES {
        let f = PathBuf::from(format!("/dev/shm/codex-sbx-c20-{}-{m}", fx.tag()));
        let _cleanup = RemoveOnDrop(f.clone());
        let mut cmd = fx.command(
            m,
            &[],
            r#"t write 'echo x > "$F"'
t see 'test -e "$H"'"#,
        );
        cmd.env("F", &f).env("H", &host);
        let run = fx.finish(m, cmd);
        match (m.confined(), fx.backend) {
            // A private tmpfs inside bwrap's /dev: writable, never on the host.
            (true, Backend::Bwrap) => {
                run.expect("write", true);
                run.expect("see", false);
            }
            // The fallback cannot make it private, so it is not writable at all.
            (true, Backend::Landlock) => {
                run.expect("write", false);
                run.expect("see", true);
            }
            (false, _) => {
                run.expect("write", true);
                run.expect("see", true);
            }
        }
        assert_eq!(f.exists(), !m.confined(), "{run:?}");
    }
}

#[test]
fn case21_var_tmp_and_home() {
    let fx = Fx::new();
    let home = fx.home.home().to_path_buf();
    std::fs::create_dir(home.join(".ssh")).unwrap();
    for m in MODES {
        let f = PathBuf::from(format!("/var/tmp/codex-sbx-c21-{}-{m}", fx.tag()));
        let _cleanup = RemoveOnDrop(f.clone());
        let mut cmd = fx.command(
            m,
            &[],
            r#"t vartmp 'echo x > "$F"'
t bashrc 'echo x >> "$HOME/.bashrc"'
t ssh 'echo x >> "$HOME/.ssh/authorized_keys"'"#,
        );
        cmd.env("F", &f);
        let run = fx.finish(m, cmd);
        for probe in ["vartmp", "bashrc", "ssh"] {
            run.expect(probe, !m.confined());
        }
        for path in [
            f.clone(),
            home.join(".bashrc"),
            home.join(".ssh/authorized_keys"),
        ] {
            assert_eq!(path.exists(), !m.confined(), "{}\n{run:?}", path.display());
            let _ = std::fs::remove_file(path);
        }
    }
}

#[test]
fn case22_read_everywhere() {
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(
            m,
            r#"t passwd 'grep -q "^root:" /etc/passwd'
t out 'test "$(cat "$OUT/f")" = outside'"#,
        );
        run.expect("passwd", true);
        run.expect("out", true);
    }
}

#[test]
fn case23_standard_devices() {
    let fx = Fx::new();
    for m in MODES {
        // bwrap runs the command in a new session (no controlling terminal), as upstream:
        // /dev/tty exists but cannot be opened, so only its presence is checked.
        let run = fx.run(
            m,
            r#"t null 'echo x > /dev/null'
t zero 'test "$(head -c 4 /dev/zero | wc -c)" = 4'
t urandom 'test "$(head -c 4 /dev/urandom | wc -c)" = 4'
t tty 'test -c /dev/tty'"#,
        );
        for probe in ["null", "zero", "urandom", "tty"] {
            run.expect(probe, true);
        }
    }
}

// ---------------------------------------------------------------- cases 24–29: kernel, mounts

#[test]
fn case24_mknod() {
    let fx = Fx::new();
    for m in MODES {
        // The device number does not matter to any check; 1,3 (/dev/null) is harmless if left.
        let run = fx.run(m, r#"t mknod 'mknod mem-$M c 1 3'"#);
        let allowed = !m.confined() && has_cap(CAP_MKNOD);
        run.expect("mknod", allowed);
        let node = fx.ws(format!("mem-{m}"));
        assert_eq!(std::fs::symlink_metadata(&node).is_ok(), allowed);
        let _ = std::fs::remove_file(node);
    }
}

#[test]
fn case25_kernel_tunables_not_writable() {
    // Opened for writing and closed (`exec 3>>` appends nothing); never written.
    let script = r#"t core_pattern 'exec 3>>/proc/sys/kernel/core_pattern'
t hostname 'exec 3>>/proc/sys/kernel/hostname'
t sysrq 'exec 3>>/proc/sysrq-trigger'
t sys 'exec 3>>/sys/kernel/mm/transparent_hugepage/enabled'"#;
    let probes = ["core_pattern", "hostname", "sysrq", "sys"];
    let fx = Fx::new();
    // Baseline without codex: DFA must match it (root on the host, or a caps-less uid 0).
    let direct = Command::new("/bin/sh")
        .args(["-c", &format!("{PRELUDE}{script}")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let baseline = Run::new("no sandbox".into(), direct);
    for m in MODES {
        let run = fx.run(m, script);
        for probe in probes {
            let allowed = !m.confined() && baseline.ok(probe);
            run.expect(probe, allowed);
        }
    }
}

#[test]
fn case26_to_29_mounts_and_namespaces() {
    let fx = Fx::new();
    std::fs::create_dir(fx.ws("m26")).unwrap();
    let config = std::fs::read_to_string(fx.ws(".git/config")).unwrap();
    for m in CONFINED {
        let run = fx.run(
            m,
            r#"t mount 'mount -t tmpfs none m26'
t remount 'mount -o remount,bind,rw / && touch "$OUT/c27-$M"'
t umount 'umount .git && echo x >> .git/config'
t unshare 'unshare -U true'
t nested 'unshare -Urm sh -c "mount -o remount,rw /; umount $WS/.git; touch $OUT/c29-$M"'"#,
        );
        for probe in ["mount", "remount", "umount", "unshare", "nested"] {
            run.expect(probe, false);
        }
        assert!(!fx.out(format!("c27-{m}")).exists());
        assert!(!fx.out(format!("c29-{m}")).exists());
        assert_eq!(
            std::fs::read_to_string(fx.ws(".git/config")).unwrap(),
            config
        );
        assert!(!is_mount_point(&fx.ws("m26")));
    }
    // DFA: only root with CAP_SYS_ADMIN mounts; unmounted again at once (27–29 are n/a).
    let run = fx.run(
        Mode::Dfa,
        r#"t mount 'mount -t tmpfs none m26 && umount m26'"#,
    );
    run.expect("mount", has_cap(CAP_SYS_ADMIN));
    assert!(!is_mount_point(&fx.ws("m26")), "{run:?}");
}

fn is_mount_point(path: &Path) -> bool {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let path = path.to_str().unwrap();
    mountinfo
        .lines()
        .any(|l| l.split_whitespace().nth(4) == Some(path))
}

// ---------------------------------------------------------------- cases 30–33: other processes

#[test]
fn case30_to_32_other_processes() {
    let fx = Fx::new();
    let victim = Victim::start(&fx.out);
    for m in MODES {
        let mut cmd = fx.command(
            m,
            &[],
            r#"seize='import ctypes,os,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(l.ptrace(0x4206,int(sys.argv[1]),0,0) and os.strerror(ctypes.get_errno()))'
t environ 'grep -q c30-marker /proc/$V/environ'
t mem 'exec 3<>/proc/$V/mem'
t root 'echo x > "/proc/$V/root$OUT/c31-$M"'
t cwd 'ls "/proc/$V/cwd/"'
t ptrace '$PY -c "$seize" $V'"#,
        );
        cmd.env("V", victim.pid());
        let run = fx.finish(m, cmd);
        for probe in ["environ", "mem", "root", "cwd", "ptrace"] {
            run.expect(probe, !m.confined());
        }
        assert_eq!(fx.out(format!("c31-{m}")).exists(), !m.confined());
    }
}

#[test]
fn case33_signals_and_pid_visibility() {
    let fx = Fx::new();
    let mut victim = Victim::start(&fx.out);
    for m in MODES {
        let mut cmd = fx.command(
            m,
            &[],
            r#"t kill 'kill -0 $V'
t visible 'test -d /proc/$V'
echo "npids=$(ls /proc | grep -c '^[0-9]')""#,
        );
        cmd.env("V", victim.pid());
        let run = fx.finish(m, cmd);
        run.expect("kill", !m.confined());
        let isolated = m.confined() && fx.backend == Backend::Bwrap;
        // No pid namespace in the fallback (documented).
        run.expect("visible", !isolated);
        if isolated {
            // The reaper, the shell, and the command substitution's ls and grep.
            let n: usize = run.value("npids").parse().unwrap();
            assert!(n <= 6, "{n} pids visible\n{run:?}");
        }
        assert!(victim.0.try_wait().unwrap().is_none(), "victim died");
    }
}

// ---------------------------------------------------------------- cases 35–42: network, IPC

#[test]
fn case35_tcp_loopback() {
    require_python();
    let fx = Fx::new();
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let v6 = TcpListener::bind("[::1]:0").ok();
    v4.set_nonblocking(true).unwrap();
    if let Some(v6) = &v6 {
        v6.set_nonblocking(true).unwrap();
    }
    let port = |l: &TcpListener| l.local_addr().unwrap().port().to_string();
    for m in MODES {
        let mut cmd = fx.command(
            m,
            &[],
            r#"tcp='import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()'
t tcp4 '$PY -c "$tcp" 127.0.0.1 $P4'
if [ -n "$P6" ]; then t tcp6 '$PY -c "$tcp" ::1 $P6'; fi"#,
        );
        cmd.env("P4", port(&v4))
            .env("P6", v6.as_ref().map(port).unwrap_or_default());
        let run = fx.finish(m, cmd);
        run.expect("tcp4", m.network());
        assert_eq!(accepted(v4.accept()), m.network(), "{run:?}");
        if let Some(v6) = &v6 {
            run.expect("tcp6", m.network());
            assert_eq!(accepted(v6.accept()), m.network(), "{run:?}");
        }
    }
}

#[test]
fn case36_udp_loopback() {
    require_python();
    let fx = Fx::new();
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver.set_nonblocking(true).unwrap();
    for m in MODES {
        let mut cmd = fx.command(
            m,
            &[],
            r#"udp='import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"c36", ("127.0.0.1", int(sys.argv[1])))'
t udp '$PY -c "$udp" $P'"#,
        );
        cmd.env("P", receiver.local_addr().unwrap().port().to_string());
        let run = fx.finish(m, cmd);
        run.expect("udp", m.network());
        let mut buf = [0u8; 8];
        assert_eq!(
            accepted(receiver.recv_from(&mut buf)),
            m.network(),
            "{run:?}"
        );
    }
}

#[test]
fn case37_raw_and_packet_sockets() {
    require_python();
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(
            m,
            r#"t raw '$PY -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"'
t packet '$PY -c "import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)"'"#,
        );
        let allowed = !m.confined() && has_cap(CAP_NET_RAW);
        run.expect("raw", allowed);
        run.expect("packet", allowed);
    }
}

/// Connects to `$S` (`@name` for an abstract socket).
const UNIX_CONNECT: &str = r#"unix='import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1].replace("@", "\0", 1))'
t unix '$PY -c "$unix" "$S"'"#;

#[test]
fn case38_abstract_unix_socket() {
    require_python();
    let fx = Fx::new();
    let name = format!("codex-sbx-c38-{}", fx.tag());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&addr).unwrap();
    listener.set_nonblocking(true).unwrap();
    for m in MODES {
        let mut cmd = fx.command(m, &[], UNIX_CONNECT);
        cmd.env("S", format!("@{name}"));
        let run = fx.finish(m, cmd);
        // With the network on we follow upstream: host abstract sockets are reachable.
        run.expect("unix", m.network());
        assert_eq!(accepted(listener.accept()), m.network(), "{run:?}");
    }
}

#[test]
fn case39_filesystem_unix_socket() {
    require_python();
    let fx = Fx::new();
    let path = fx.out("c39.sock");
    let listener = UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    for m in MODES {
        let mut cmd = fx.command(m, &[], UNIX_CONNECT);
        cmd.env("S", &path);
        let run = fx.finish(m, cmd);
        run.expect("unix", m.network());
        assert_eq!(accepted(listener.accept()), m.network(), "{run:?}");
    }
}

#[test]
fn case40_socketpair_and_asyncio() {
    require_python();
    let fx = Fx::new();
    for m in MODES {
        // Upstream's send() EPERM made the asyncio wake-up hang; bounded by result(timeout=5).
        let run = fx.run(
            m,
            r#"pair='import socket; a,b=socket.socketpair(); a.send(b"42"); assert b.recv(2)==b"42"'
aio='import asyncio,threading
l=asyncio.new_event_loop()
threading.Thread(target=l.run_forever,daemon=True).start()
print(asyncio.run_coroutine_threadsafe(asyncio.sleep(0,result=42),l).result(timeout=5))'
t pair '$PY -c "$pair"'
t asyncio 'test "$($PY -c "$aio")" = 42'"#,
        );
        run.expect("pair", true);
        run.expect("asyncio", true);
    }
}

#[test]
fn case42_io_uring() {
    require_python();
    let fx = Fx::new();
    for m in CONFINED {
        // io_uring_setup(1, &params); DFA is the kernel's business (often disabled).
        let run = fx.run(
            m,
            r#"uring='import ctypes,os,sys; l=ctypes.CDLL(None,use_errno=True); p=ctypes.create_string_buffer(120); sys.exit(l.syscall(425,1,p)<0 and os.strerror(ctypes.get_errno()))'
t uring '$PY -c "$uring"'"#,
        );
        run.expect("uring", false);
    }
}

// ---------------------------------------------------------------- cases 43–47: env, privileges, fds

#[test]
fn case43_network_disabled_env_var() {
    let fx = Fx::new();
    for m in MODES {
        // Forged values from the caller never reach the command (`sbx` is checked by finish).
        let mut cmd = fx.command(
            m,
            &[],
            r#"echo "nd=${CODEX_SANDBOX_NETWORK_DISABLED-unset}""#,
        );
        cmd.env("CODEX_SANDBOX_NETWORK_DISABLED", "forged")
            .env("CODEX_SANDBOX", "forged");
        let run = fx.finish(m, cmd);
        let want = if m.network() { "unset" } else { "1" };
        assert_eq!(run.value("nd"), want, "{run:?}");
    }
}

#[test]
fn case44_secrets_are_not_passed_to_the_command() {
    // The default shell_environment_policy drops *KEY*, *SECRET* and *TOKEN* in every mode.
    let fx = Fx::new();
    let secrets = [
        ("GH_TOKEN", "ghp-c44-token"),
        ("CODEX_API_KEY", "sk-c44-codex"),
        ("MY_SECRET", "c44-secret"),
    ];
    for m in MODES {
        let mut cmd = fx.command(m, &[], "env");
        cmd.envs(secrets).env("SBX_PLAIN", "c44-plain");
        let run = fx.finish(m, cmd);
        assert!(run.status.success(), "{run:?}");
        assert!(run.stdout.contains("SBX_PLAIN=c44-plain"), "{run:?}");
        // OPENAI_API_KEY is set by TestHome (the key Codex itself would use).
        let api_key = codex_test_support::FAKE_API_KEY;
        for value in secrets.iter().map(|(_, v)| *v).chain([api_key]) {
            assert!(!run.stdout.contains(value), "{value} leaked\n{run:?}");
        }
    }
}

#[test]
fn case45_setuid_binaries_do_not_change_ids() {
    if !(is_root() && has_cap(CAP_CHOWN)) {
        // Only root can make a setuid binary owned by someone else (nobody).
        return;
    }
    let fx = Fx::new();
    let id = fx.out("id-suid");
    std::fs::copy("/usr/bin/id", &id).unwrap();
    std::os::unix::fs::chown(&id, Some(65534), Some(65534)).unwrap();
    chmod(&id, 0o4755);
    for m in MODES {
        let run = fx.run(m, r#"echo "euid=$("$OUT/id-suid" -u)""#);
        let want = if m.confined() { "0" } else { "65534" };
        assert_eq!(run.value("euid"), want, "{run:?}");
    }
}

#[test]
fn case46_no_capabilities_and_no_new_privs() {
    let fx = Fx::new();
    for m in CONFINED {
        let run = fx.run(
            m,
            r#"echo "capeff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)"
echo "nnp=$(awk '/^NoNewPrivs:/ {print $2}' /proc/self/status)"
echo "seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)""#,
        );
        assert_eq!(run.value("capeff"), "0000000000000000", "{run:?}");
        assert_eq!(run.value("nnp"), "1", "{run:?}");
        assert_eq!(run.value("seccomp"), "2", "{run:?}");
    }
}

#[test]
fn case47_inherited_directory_fd() {
    let fx = Fx::new();
    for m in MODES {
        let inner = fx.command(
            m,
            &[],
            r#"t fd 'test -e /proc/self/fd/200'
t write 'echo x > /proc/self/fd/200/c47-$M'
echo "fds=$(ls /proc/self/fd | tr '\n' ' ')""#,
        );
        // The caller leaks fd 200 on $OUT (no close-on-exec), as a parent shell would.
        let mut cmd = Command::new("bash");
        cmd.args(["-c", r#"exec 200<"$0" && exec "$@""#])
            .arg(&fx.out)
            .arg(inner.get_program())
            .args(inner.get_args())
            .env_clear()
            .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .current_dir(inner.get_current_dir().unwrap())
            .stdin(Stdio::null());
        let run = fx.finish(m, cmd);
        run.expect("fd", !m.confined());
        run.expect("write", !m.confined());
        let listed = run.value("fds").split_whitespace().any(|fd| fd == "200");
        assert_eq!(listed, !m.confined(), "{run:?}");
        assert_eq!(fx.out(format!("c47-{m}")).exists(), !m.confined());
    }
}

// ---------------------------------------------------------------- cases 48–50: process lifetime

#[test]
fn case48_detached_children_die_with_the_command() {
    let fx = Fx::new();
    for m in CONFINED {
        let needle = format!("codex-sbx-c48-{}-{m}", fx.tag());
        // The detached shell says `up` once it runs, so it exists before the command returns.
        let mut cmd = fx.command(
            m,
            &[],
            r#"echo "bg=$( { setsid sh -c 'echo up; sleep 5; touch "$WS/m48-$M"' "$NEEDLE" 2>/dev/null & } | head -n 1)""#,
        );
        cmd.env("NEEDLE", &needle);
        let run = fx.finish(m, cmd);
        assert_eq!(run.value("bg"), "up", "{run:?}");
        assert!(
            gone_within(&needle, Duration::from_secs(3)),
            "detached child survived\n{run:?}"
        );
        assert!(!fx.ws(format!("m48-{m}")).exists());
    }
}

#[test]
fn case49_killing_the_process_group_kills_the_tree() {
    let fx = Fx::new();
    for (i, m) in MODES.into_iter().enumerate() {
        // A unique sleep duration marks both sleeps.
        let needle = format!("300.{}{i}", std::process::id());
        let mut cmd = fx.command(m, &[], r#"sleep "$N" & sleep "$N"; true"#);
        cmd.env("N", &needle)
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // As the tool runner does on a timeout: SIGKILL to codex's process group.
        let mut child = cmd.spawn().unwrap();
        let start = Instant::now();
        while pids_with_arg(&needle).len() < 2 && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let started = pids_with_arg(&needle).len();
        let status = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status()
            .unwrap();
        assert!(status.success());
        child.wait().unwrap();
        let gone = gone_within(&needle, Duration::from_secs(3));
        assert_eq!(started, 2, "{m:?}: the tree did not start");
        assert!(gone, "{m:?}: part of the tree survived");
    }
}

#[test]
fn case50_root_in_a_workspace_owned_by_another_uid() {
    if !(is_root() && has_cap(CAP_CHOWN)) {
        return;
    }
    let fx = Fx::new();
    // The Docker-volume layout: the workspace belongs to uid 1000, codex runs as root.
    let shared = fx.ws("shared");
    std::fs::create_dir(&shared).unwrap();
    chmod(&shared, 0o777);
    let status = Command::new("chown")
        .args(["-R", "1000:1000", fx.ws.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    for m in CONFINED {
        let run = fx.run(
            m,
            r#"t ls 'ls -a'
t shared 'echo x > shared/c50-$M'
t git 'echo x >> .git/config'"#,
        );
        run.expect("ls", true);
        run.expect("shared", m.writes_ws());
        // .git/config belongs to uid 1000 (0644): never writable without capabilities.
        run.expect("git", false);
        assert!(!fx.ws(".codex").exists() && !fx.ws(".agents").exists());
        assert_eq!(shared.join(format!("c50-{m}")).exists(), m.writes_ws());
    }
}

// ---------------------------------------------------------------- the CLI itself

#[test]
fn signals_a_command_sends_itself_are_delivered() {
    // Were the command pid 1 of a pid namespace, the kernel would drop its own SIGTERM.
    let fx = Fx::new();
    for m in MODES {
        let run = fx.run(m, "kill -TERM $$; echo survived=yes");
        // 143 where codex waits for the sandbox; where it execs it, death by the signal itself.
        let killed = run.status.code() == Some(143) || run.status.signal() == Some(15);
        assert!(killed, "{run:?}");
        assert!(!run.probes.contains_key("survived"), "{run:?}");
    }
}

#[test]
fn profile_spellings_and_cd_match_sandbox_mode() {
    // `-P :read-only|:workspace|:danger-full-access` with `-C DIR` from another directory.
    let fx = Fx::new();
    for m in MODES {
        let mut cmd = fx.command_with(
            m.profile_args(),
            m,
            &["-C", fx.ws.to_str().unwrap()],
            r#"t write 'echo x > sp-$M'
t out 'echo x > "$OUT/sp-$M"'
echo "nd=${CODEX_SANDBOX_NETWORK_DISABLED-unset}""#,
        );
        cmd.current_dir(&fx.root);
        let run = fx.finish(m, cmd);
        run.expect("write", m.writes_ws());
        run.expect("out", !m.confined());
        assert_eq!(run.value("nd"), if m.network() { "unset" } else { "1" });
        assert_eq!(fx.ws(format!("sp-{m}")).exists(), m.writes_ws());
        assert!(!fx.root.join(format!("sp-{m}")).exists());
    }
}
