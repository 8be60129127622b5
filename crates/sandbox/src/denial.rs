//! Recognising a command that failed because the sandbox refused something, so the caller can
//! tell the model why (and, under `on-failure`, offer to re-run it unsandboxed).
//!
//! A heuristic over the exit code and the output, like upstream's: the kernel reports a
//! refused write as `EROFS`/`EACCES`, a refused syscall as `EPERM`, and tools print the
//! `strerror` text. False positives only cost an approval prompt; false negatives leave the
//! plain output, which still carries the error.

use crate::EXIT_SETUP_FAILED;

/// Why a finished confined command probably failed because of the sandbox, or `None`.
///
/// `exit_code` is the command's exit code (128 + signal when killed); `output` is its
/// combined stdout/stderr (only the text is inspected); `network_disabled` is the policy's.
pub fn sandbox_denial_reason(
    exit_code: i32,
    output: &str,
    network_disabled: bool,
) -> Option<&'static str> {
    if exit_code == 0 {
        return None;
    }
    if exit_code == EXIT_SETUP_FAILED && output.contains("codex-linux-sandbox:") {
        return Some("the sandbox could not be set up");
    }
    if exit_code == 128 + 31 {
        // SIGSYS: the seccomp architecture check killed the process.
        return Some("the sandbox killed the process for a forbidden system call (SIGSYS)");
    }
    if output.contains("Read-only file system") {
        return Some(
            "the sandbox refused a write outside the writable roots (or to .git/.codex/.agents)",
        );
    }
    if network_disabled
        && [
            "Network is unreachable",
            "Could not resolve host",
            "Temporary failure in name resolution",
            "Name or service not known",
            "getaddrinfo",
            "Address family not supported",
        ]
        .iter()
        .any(|needle| output.contains(needle))
    {
        return Some("network access is disabled in the sandbox");
    }
    if output.contains("Operation not permitted") || output.contains("Permission denied") {
        // seccomp answers EPERM to socket()/connect() when the network is off.
        let lower = output.to_ascii_lowercase();
        if network_disabled && (lower.contains("socket") || lower.contains("connect")) {
            return Some("network access is disabled in the sandbox (socket refused)");
        }
        return Some("the sandbox refused an operation (permission denied)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_usual_denials() {
        assert_eq!(
            sandbox_denial_reason(0, "Read-only file system", true),
            None
        );
        assert!(
            sandbox_denial_reason(1, "touch: cannot touch '/x': Read-only file system", true)
                .unwrap()
                .contains("writable roots")
        );
        assert!(
            sandbox_denial_reason(6, "curl: (6) Could not resolve host: example.com", true)
                .unwrap()
                .contains("network")
        );
        assert_eq!(
            sandbox_denial_reason(6, "curl: (6) Could not resolve host: example.com", false),
            None
        );
        assert!(
            sandbox_denial_reason(159, "", true)
                .unwrap()
                .contains("SIGSYS")
        );
        assert!(
            sandbox_denial_reason(125, "codex-linux-sandbox: landlock: ...", false)
                .unwrap()
                .contains("set up")
        );
        assert!(sandbox_denial_reason(1, "mount: Operation not permitted", false).is_some());
        assert_eq!(sandbox_denial_reason(1, "assertion failed", false), None);
    }
}
