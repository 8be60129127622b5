//! The Linux side of the probe: find bubblewrap, preflight it, else check Landlock + seccomp.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{bwrap, fds};
use crate::probe::{Backend, BwrapInfo, Probe, ProbeOptions};

const DEFAULT_DIRS: &[&str] = &[
    "/usr/bin",
    "/bin",
    "/usr/local/bin",
    "/usr/sbin",
    "/sbin",
    "/run/current-system/sw/bin",
];

const FIX_BWRAP: &str = "install bubblewrap (`apt-get install bubblewrap`, `dnf install bubblewrap`, `pacman -S bubblewrap`)";
const FIX_USERNS: &str = "allow user namespaces for bwrap: on Ubuntu 24.04+ load the AppArmor profile (`apt-get install apparmor-profiles && apparmor_parser -r /usr/share/apparmor/extra-profiles/bwrap-userns-restrict`) or set `kernel.apparmor_restrict_unprivileged_userns=0`; in Docker run with `--security-opt seccomp=unconfined --security-opt apparmor=unconfined`";
const FIX_LANDLOCK: &str =
    "or enable Landlock for the fallback (Linux 5.13+, `landlock` in the `lsm=` boot parameter)";

pub(crate) fn run(options: &ProbeOptions) -> Probe {
    let key = options.cache_dir.as_ref().map(|_| cache_key(options));
    if let (Some(dir), Some(key)) = (&options.cache_dir, &key)
        && let Some(probe) = read_cache(dir, key)
    {
        return probe;
    }
    let probe = run_uncached(options);
    if let (Some(dir), Some(key)) = (&options.cache_dir, &key) {
        write_cache(dir, key, &probe);
    }
    probe
}

const CACHE_FILE: &str = "sandbox-probe-v2";

/// What a cached result depends on: the user, this boot, the kernel, the options and the
/// bubblewrap binary (path, size, mtime).
fn cache_key(options: &ProbeOptions) -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let bwrap = if options.use_legacy_landlock {
        String::new()
    } else {
        find_bwrap(options)
            .and_then(|p| {
                let m = std::fs::metadata(&p).ok()?;
                let mtime = m
                    .modified()
                    .ok()?
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?;
                Some(format!("{}:{}:{}", p.display(), m.len(), mtime.as_nanos()))
            })
            .unwrap_or_default()
    };
    format!(
        "{}|{}|{}|{}|{}|{}",
        rustix::process::geteuid().as_raw(),
        boot.trim(),
        kernel.trim(),
        bwrap,
        options.use_legacy_landlock,
        options.no_landlock_fallback
    )
}

/// A remembered working backend; anything unexpected is a miss.
fn read_cache(dir: &Path, key: &str) -> Option<Probe> {
    let text = std::fs::read_to_string(dir.join(CACHE_FILE)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != key {
        return None;
    }
    let fields: Vec<&str> = lines.next()?.split('\t').collect();
    let note = "(cached: remembered from an earlier probe on this boot)".to_string();
    let backend = match fields.as_slice() {
        ["bwrap", path, userns, disable, proc_mount] => Backend::Bwrap(BwrapInfo {
            path: PathBuf::from(path),
            user_namespace: *userns == "1",
            disable_userns: *disable == "1",
            proc_mount: *proc_mount == "1",
        }),
        ["landlock", abi] => Backend::Landlock {
            abi: abi.parse().ok()?,
        },
        _ => return None,
    };
    Some(Probe::new(backend, vec![note]))
}

/// Remembers a working backend (never an unavailable one: the user may fix it). Best effort.
fn write_cache(dir: &Path, key: &str, probe: &Probe) {
    let flag = |b: bool| if b { "1" } else { "0" };
    let line = match probe.backend() {
        Backend::Bwrap(info) => format!(
            "bwrap\t{}\t{}\t{}\t{}",
            info.path.display(),
            flag(info.user_namespace),
            flag(info.disable_userns),
            flag(info.proc_mount)
        ),
        Backend::Landlock { abi } => format!("landlock\t{abi}"),
        Backend::Seatbelt { .. } | Backend::Unavailable { .. } => return,
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    // Write then rename, so a concurrent reader never sees half a file.
    let tmp = dir.join(format!("{CACHE_FILE}.{}", std::process::id()));
    if std::fs::write(&tmp, format!("{key}\n{line}\n")).is_ok() {
        let _ = std::fs::rename(&tmp, dir.join(CACHE_FILE));
    }
}

fn run_uncached(options: &ProbeOptions) -> Probe {
    let mut notes = Vec::new();
    let mut bwrap_missing = false;
    let mut userns_failed = false;
    if options.use_legacy_landlock {
        notes.push("bubblewrap skipped: features.use_legacy_landlock = true".to_string());
    } else {
        match find_bwrap(options) {
            None => {
                bwrap_missing = true;
                notes.push("bubblewrap: `bwrap` not found".to_string());
            }
            Some(path) => match preflight_all(&path, &mut notes) {
                Some(info) => return Probe::new(Backend::Bwrap(info), notes),
                None => userns_failed = true,
            },
        }
    }

    let landlock = landlock_abi();
    let seccomp = rustix::thread::secure_computing_mode().is_ok();
    match (landlock, seccomp) {
        (Some(abi), true) if !options.no_landlock_fallback => {
            return Probe::new(Backend::Landlock { abi }, notes);
        }
        (Some(_), true) => notes.push("Landlock fallback refused by configuration".to_string()),
        (None, _) => notes.push("Landlock: not available in this kernel".to_string()),
        (Some(_), false) => notes.push("seccomp: not available in this kernel".to_string()),
    }
    let fix = match (bwrap_missing, userns_failed) {
        (true, _) => format!("{FIX_BWRAP}, {FIX_LANDLOCK}"),
        (false, true) => format!("{FIX_USERNS}, {FIX_LANDLOCK}"),
        (false, false) => {
            "set features.use_legacy_landlock = false to use bubblewrap, or enable Landlock"
                .to_string()
        }
    };
    Probe::new(
        Backend::Unavailable {
            reason: notes.join("; "),
            fix,
        },
        Vec::new(),
    )
}

fn find_bwrap(options: &ProbeOptions) -> Option<PathBuf> {
    if let Some(path) = &options.bwrap_path {
        return Some(path.clone());
    }
    let dirs: Vec<PathBuf> = match &options.search_path {
        Some(search) => std::env::split_paths(search).collect(),
        None => DEFAULT_DIRS.iter().map(PathBuf::from).collect(),
    };
    dirs.into_iter()
        .filter(|d| d.is_absolute())
        .map(|d| d.join("bwrap"))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Tries the bubblewrap variants strongest first; records why each failed.
fn preflight_all(path: &Path, notes: &mut Vec<String>) -> Option<BwrapInfo> {
    let help = Command::new(path)
        .arg("--help")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !help.contains("--add-seccomp-fd") {
        notes.push(format!(
            "bubblewrap {}: too old, no `--add-seccomp-fd` (needs 0.5 or later)",
            path.display()
        ));
        return None;
    }
    let disable_userns = help.contains("--disable-userns");
    let root = rustix::process::geteuid().is_root();
    let mut candidates = vec![true];
    if root {
        candidates.push(false);
    }
    for user_namespace in candidates {
        for proc_mount in [true, false] {
            let info = BwrapInfo {
                path: path.to_path_buf(),
                user_namespace,
                disable_userns,
                proc_mount,
            };
            match preflight(&info) {
                Ok(()) => return Some(info),
                Err(err) => {
                    let proc_refused = err.contains("mount proc");
                    notes.push(format!(
                        "bubblewrap {}{}: {err}",
                        path.display(),
                        match (user_namespace, proc_mount) {
                            (true, true) => "",
                            (true, false) => " (host /proc)",
                            (false, true) => " (root, no user namespace)",
                            (false, false) => " (root, no user namespace, host /proc)",
                        }
                    ));
                    if !proc_refused {
                        // Only a refused /proc mount is worth retrying without one.
                        break;
                    }
                }
            }
        }
    }
    None
}

/// Runs `bwrap --version` inside the hardening flags and our seccomp filter; returns bwrap's
/// stderr on failure.
fn preflight(info: &BwrapInfo) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let seccomp = fds::seccomp_memfds(false).map_err(|e| e.to_string())?;
    let seccomp_fds = fds::raw(&seccomp);
    let mut args: Vec<OsString> = bwrap::base_args(info, false)
        .into_iter()
        .chain(bwrap::system_mounts(info, bwrap::RootMount::ReadOnly))
        .chain(bwrap::final_flags(info))
        .chain(bwrap::seccomp_args(&seccomp_fds))
        .map(OsString::from)
        .collect();
    args.push("--".into());
    args.push(info.path.clone().into_os_string());
    args.push("--version".into());
    let mut cmd = Command::new(&info.path);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: the hook only calls async-signal-safe syscalls.
    unsafe {
        cmd.pre_exec(fds::child_hook(seccomp_fds));
    }
    let output = cmd.output().map_err(|e| format!("cannot run: {e}"))?;
    drop(seccomp);
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    Err(if stderr.is_empty() {
        format!("preflight failed with {}", output.status)
    } else {
        stderr
    })
}

/// The kernel's Landlock ABI version, `None` when Landlock is not available.
pub(crate) fn landlock_abi() -> Option<u32> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: landlock_create_ruleset with a NULL attr, size 0 and the VERSION flag only
    // returns the ABI version (or an error); it touches no memory.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(v).ok().filter(|v| *v >= 1)
}
