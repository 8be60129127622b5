//! The Linux side of the probe: find bubblewrap, preflight it, else check Landlock + seccomp.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::bwrap;
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
    let disable_userns = Command::new(path)
        .arg("--help")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("--disable-userns"))
        .unwrap_or(false);
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

/// Runs the hardening flags around `bwrap --version`; returns bwrap's stderr on failure.
fn preflight(info: &BwrapInfo) -> Result<(), String> {
    let mut args: Vec<OsString> = bwrap::base_args(info, false)
        .into_iter()
        .chain(bwrap::system_mounts(info, bwrap::RootMount::ReadOnly))
        .chain(bwrap::final_flags(info))
        .map(OsString::from)
        .collect();
    args.push("--".into());
    args.push(info.path.clone().into_os_string());
    args.push("--version".into());
    let output = Command::new(&info.path)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run: {e}"))?;
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
