//! macOS: a Seatbelt (SBPL) profile per policy, run through `/usr/bin/sandbox-exec`.
//!
//! The profile denies everything by default, then allows: running and forking programs,
//! signals and process inspection inside the sandbox only, reading the whole filesystem, the
//! terminal and a few harmless devices, the system services libc needs, and, per policy,
//! writes beneath each writable root except its `.git`/`.codex`/`.agents` (existing or not:
//! Seatbelt matches paths, so no placeholders are needed) and the network. Writable roots
//! and their protected paths are passed as `-D` parameters so the profile text itself is the
//! same for every workspace of the same shape (and paths need no SBPL quoting).
//!
//! Permission profiles: instead of relying on rule order, each allow rule excludes
//! (`require-not`) the more restrictive paths beneath it, and deeper paths that get more
//! access have their own allow rule; allow rules add up, so the deepest rule decides. With
//! `:root = "none"` reads are limited to the macOS system directories
//! ([`SEATBELT_SYSTEM_READ`]), the profile's readable paths and the writable roots, plus the
//! metadata of their ancestors (so paths can be walked).
//!
//! Generated on every platform so it can be unit-tested; only run on macOS.

use std::path::{Path, PathBuf};

use crate::error::SandboxError;
use crate::policy::{ResolvedRoots, SandboxPolicy, resolve};

/// What stays readable on macOS under `:root = "none"`.
pub const SEATBELT_SYSTEM_READ: [&str; 7] = [
    "/System",
    "/usr",
    "/bin",
    "/sbin",
    "/Library",
    "/private/etc",
    "/private/var/db",
];

/// The line of [`BASE`] that reads everywhere; replaced when a profile restricts reads.
const READ_ALL: &str =
    "; read-only everywhere (read-only mode still reads the whole disk)\n(allow file-read*)\n";

/// The system's Seatbelt launcher.
pub const SANDBOX_EXEC: &str = "/usr/bin/sandbox-exec";

/// A profile and the `-D` parameters it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatbeltProfile {
    /// SBPL text for `sandbox-exec -p`.
    pub text: String,
    /// `(name, value)` pairs for `-Dname=value`.
    pub params: Vec<(String, String)>,
}

impl SeatbeltProfile {
    /// `sandbox-exec` arguments (without the program): `-p TEXT -DK=V... -- COMMAND...`.
    pub fn args(&self, command: &[String]) -> Vec<String> {
        let mut args = vec!["-p".to_string(), self.text.clone()];
        for (k, v) in &self.params {
            args.push(format!("-D{k}={v}"));
        }
        args.push("--".into());
        args.extend(command.iter().cloned());
        args
    }
}

const BASE: &str = r#"(version 1)
(deny default)

; processes: run and fork programs; signal and inspect only processes of this sandbox
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

; read-only everywhere (read-only mode still reads the whole disk)
(allow file-read*)

; terminal and harmless devices
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl
  (literal "/dev/ptmx")
  (regex #"^/dev/ttys[0-9]+$"))
(allow file-write-data file-ioctl
  (literal "/dev/null")
  (literal "/dev/zero")
  (literal "/dev/tty")
  (literal "/dev/dtracehelper"))

; what libc and language runtimes need
(allow sysctl-read)
(allow user-preference-read)
(allow ipc-posix-sem)
(allow ipc-posix-shm-read-data ipc-posix-shm-read-metadata)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.logger")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.trustd.agent"))
"#;

const NETWORK: &str = r#"
; network
(allow network-outbound)
(allow network-inbound)
(allow system-socket)
(allow mach-lookup
  (global-name "com.apple.SystemConfiguration.configd")
  (global-name "com.apple.dnssd.service"))
"#;

/// The profile for `policy` on this machine (paths resolved as the Linux backends do).
pub fn seatbelt_profile(policy: &SandboxPolicy) -> Result<SeatbeltProfile, SandboxError> {
    Ok(profile(policy, &resolve(policy)?))
}

pub(crate) fn profile(policy: &SandboxPolicy, resolved: &ResolvedRoots) -> SeatbeltProfile {
    let mut params = Vec::new();
    let mut text = if resolved.restricted_read || !resolved.denied.is_empty() {
        BASE.replace(READ_ALL, &read_rules(resolved, &mut params))
    } else {
        BASE.to_string()
    };
    if !resolved.roots.is_empty() {
        text.push_str("\n; writable roots, minus their .git/.codex/.agents\n(allow file-write*");
        for (i, root) in resolved.roots.iter().enumerate() {
            let name = format!("WRITABLE_ROOT_{i}");
            let protected = protected_under(root, resolved);
            if protected.is_empty() {
                text.push_str(&format!("\n  (subpath (param \"{name}\"))"));
            } else {
                text.push_str(&format!("\n  (require-all (subpath (param \"{name}\"))"));
                for (j, path) in protected.iter().enumerate() {
                    let ro = format!("{name}_RO_{j}");
                    text.push_str(&format!("\n    (require-not (subpath (param \"{ro}\")))"));
                    params.push((ro, path.to_string_lossy().into_owned()));
                }
                text.push(')');
            }
            params.push((name, root.to_string_lossy().into_owned()));
        }
        text.push_str(")\n");
    }
    if policy.has_network() {
        text.push_str(NETWORK);
    }
    params.sort();
    SeatbeltProfile { text, params }
}

/// The read rules of a profile that hides paths or does not read `/`: one allow per readable
/// path, minus the hidden paths beneath it, plus the metadata of every ancestor.
fn read_rules(resolved: &ResolvedRoots, params: &mut Vec<(String, String)>) -> String {
    let mut readable: Vec<PathBuf> = if resolved.restricted_read {
        SEATBELT_SYSTEM_READ.iter().map(PathBuf::from).collect()
    } else {
        vec![PathBuf::from("/")]
    };
    for path in resolved.roots.iter().chain(&resolved.profile_read_only) {
        if !readable.contains(path) {
            readable.push(path.clone());
        }
    }
    let mut text = String::from(
        "; reads: the profile's readable paths, minus its hidden ones\n(allow file-read*",
    );
    for (i, path) in readable.iter().enumerate() {
        let name = format!("READABLE_ROOT_{i}");
        let hidden: Vec<&PathBuf> = resolved
            .denied
            .iter()
            .filter(|d| d.starts_with(path) && *d != path)
            .collect();
        if hidden.is_empty() {
            text.push_str(&format!("\n  (subpath (param \"{name}\"))"));
        } else {
            text.push_str(&format!("\n  (require-all (subpath (param \"{name}\"))"));
            for (j, d) in hidden.iter().enumerate() {
                let deny = format!("{name}_DENY_{j}");
                text.push_str(&format!("\n    (require-not (subpath (param \"{deny}\")))"));
                params.push((deny, d.to_string_lossy().into_owned()));
            }
            text.push(')');
        }
        params.push((name, path.to_string_lossy().into_owned()));
    }
    text.push_str(")\n");
    if resolved.restricted_read {
        let mut ancestors: Vec<PathBuf> = Vec::new();
        for path in &readable {
            for a in path.ancestors().skip(1) {
                if !ancestors.iter().any(|x| x == a) {
                    ancestors.push(a.to_path_buf());
                }
            }
        }
        ancestors.sort();
        text.push_str("(allow file-read-metadata");
        for (i, a) in ancestors.iter().enumerate() {
            let name = format!("ANCESTOR_{i}");
            text.push_str(&format!("\n  (literal (param \"{name}\"))"));
            params.push((name, a.to_string_lossy().into_owned()));
        }
        text.push_str(")\n");
    }
    text
}

/// Paths beneath `root` that must not be written: protected entries (existing or missing) and
/// a profile's read-only and hidden paths, shallowest first.
fn protected_under(root: &Path, resolved: &ResolvedRoots) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = resolved
        .read_only
        .iter()
        .chain(&resolved.missing)
        .chain(&resolved.profile_read_only)
        .chain(&resolved.denied)
        .filter(|p| p.starts_with(root) && p.as_path() != root)
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The full `sandbox-exec` argv.
pub(crate) fn argv(
    sandbox_exec: &Path,
    policy: &SandboxPolicy,
    resolved: &ResolvedRoots,
    command: &[String],
) -> Result<Vec<String>, SandboxError> {
    let program = sandbox_exec
        .to_str()
        .ok_or_else(|| SandboxError::NonUtf8Path {
            path: sandbox_exec.to_path_buf(),
        })?
        .to_string();
    let mut argv = vec![program];
    argv.extend(profile(policy, resolved).args(command));
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn resolved(roots: &[&str], read_only: &[&str], missing: &[&str]) -> ResolvedRoots {
        let v = |xs: &[&str]| xs.iter().map(PathBuf::from).collect();
        ResolvedRoots {
            roots: v(roots),
            read_only: v(read_only),
            missing: v(missing),
            ..ResolvedRoots::default()
        }
    }

    #[test]
    fn read_only_profile_is_the_base() {
        let p = profile(&SandboxPolicy::read_only(), &ResolvedRoots::default());
        assert_eq!(p.text, BASE);
        assert!(p.params.is_empty());
        assert!(p.text.contains("(deny default)"));
        assert!(!p.text.contains("file-write* (subpath"));
        assert!(!p.text.contains("network-outbound"));
    }

    #[test]
    fn workspace_write_profile() {
        let policy = SandboxPolicy::workspace_write(vec!["/Users/u/ws".into()]);
        let r = resolved(
            &["/private/tmp", "/Users/u/ws"],
            &["/Users/u/ws/.git"],
            &[
                "/private/tmp/.git",
                "/private/tmp/.codex",
                "/private/tmp/.agents",
                "/Users/u/ws/.codex",
                "/Users/u/ws/.agents",
            ],
        );
        let p = profile(&policy, &r);
        let expected_tail = r#"
; writable roots, minus their .git/.codex/.agents
(allow file-write*
  (require-all (subpath (param "WRITABLE_ROOT_0"))
    (require-not (subpath (param "WRITABLE_ROOT_0_RO_0")))
    (require-not (subpath (param "WRITABLE_ROOT_0_RO_1")))
    (require-not (subpath (param "WRITABLE_ROOT_0_RO_2"))))
  (require-all (subpath (param "WRITABLE_ROOT_1"))
    (require-not (subpath (param "WRITABLE_ROOT_1_RO_0")))
    (require-not (subpath (param "WRITABLE_ROOT_1_RO_1")))
    (require-not (subpath (param "WRITABLE_ROOT_1_RO_2")))))
"#;
        assert_eq!(p.text, format!("{BASE}{expected_tail}"));
        let params: Vec<String> = p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            params,
            vec![
                "WRITABLE_ROOT_0=/private/tmp",
                "WRITABLE_ROOT_0_RO_0=/private/tmp/.agents",
                "WRITABLE_ROOT_0_RO_1=/private/tmp/.codex",
                "WRITABLE_ROOT_0_RO_2=/private/tmp/.git",
                "WRITABLE_ROOT_1=/Users/u/ws",
                "WRITABLE_ROOT_1_RO_0=/Users/u/ws/.agents",
                "WRITABLE_ROOT_1_RO_1=/Users/u/ws/.codex",
                "WRITABLE_ROOT_1_RO_2=/Users/u/ws/.git",
            ]
        );
    }

    #[test]
    fn network_access_adds_the_network_block() {
        let mut policy = SandboxPolicy::workspace_write(vec!["/w".into()]);
        policy.network_access = true;
        let p = profile(&policy, &resolved(&["/w"], &[], &[]));
        let expected = format!(
            "{BASE}\n; writable roots, minus their .git/.codex/.agents\n(allow file-write*\n  (subpath (param \"WRITABLE_ROOT_0\")))\n{NETWORK}"
        );
        assert_eq!(p.text, expected);
        assert_eq!(p.params, vec![("WRITABLE_ROOT_0".into(), "/w".into())]);
    }

    #[test]
    fn argv_runs_sandbox_exec() {
        let policy = SandboxPolicy::read_only();
        let argv = argv(
            Path::new(SANDBOX_EXEC),
            &policy,
            &ResolvedRoots::default(),
            &["ls".into(), "-l".into()],
        )
        .unwrap();
        assert_eq!(argv[0], SANDBOX_EXEC);
        assert_eq!(argv[1], "-p");
        assert_eq!(argv[2], BASE);
        assert_eq!(&argv[3..], ["--", "ls", "-l"]);
    }

    #[test]
    fn profile_paths_are_carved_out_of_reads_and_writes() {
        let mut policy = SandboxPolicy::workspace_write(vec!["/w".into()]);
        policy.full_read_access = false;
        let r = ResolvedRoots {
            roots: vec!["/w".into()],
            profile_read_only: vec!["/w/docs".into()],
            denied: vec!["/w/secret".into()],
            restricted_read: true,
            ..ResolvedRoots::default()
        };
        let p = profile(&policy, &r);
        assert!(!p.text.contains(READ_ALL));
        assert!(p.text.contains(
            "  (require-all (subpath (param \"READABLE_ROOT_7\"))\n    (require-not (subpath (param \"READABLE_ROOT_7_DENY_0\"))))"
        ));
        assert!(p.text.contains(
            "(allow file-write*\n  (require-all (subpath (param \"WRITABLE_ROOT_0\"))\n    (require-not (subpath (param \"WRITABLE_ROOT_0_RO_0\")))\n    (require-not (subpath (param \"WRITABLE_ROOT_0_RO_1\")))))"
        ));
        let get = |k: &str| {
            p.params
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("READABLE_ROOT_0"), Some("/System"));
        assert_eq!(get("READABLE_ROOT_7"), Some("/w"));
        assert_eq!(get("READABLE_ROOT_7_DENY_0"), Some("/w/secret"));
        assert_eq!(get("READABLE_ROOT_8"), Some("/w/docs"));
        assert_eq!(get("WRITABLE_ROOT_0_RO_0"), Some("/w/docs"));
        assert_eq!(get("WRITABLE_ROOT_0_RO_1"), Some("/w/secret"));
        assert_eq!(get("ANCESTOR_0"), Some("/"));
    }
}
