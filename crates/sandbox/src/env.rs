//! Environment variables that tell a command it runs sandboxed (`CODEX_SANDBOX*`).
//!
//! The caller builds the child's environment (shell environment policy); these helpers only
//! make sure no stale or forged `CODEX_SANDBOX*` value reaches the child and that ours do.

use std::collections::BTreeMap;

/// Names the sandbox a command runs in: `bwrap`, `landlock` or `seatbelt`. Unset when
/// unconfined. (Upstream sets it only on macOS, to `seatbelt`.)
pub const CODEX_SANDBOX_ENV_VAR: &str = "CODEX_SANDBOX";

/// `1` when the command has no network access; unset otherwise (upstream behaviour; tools
/// and test suites check it to skip network tests).
pub const CODEX_SANDBOX_NETWORK_DISABLED_ENV_VAR: &str = "CODEX_SANDBOX_NETWORK_DISABLED";

/// Whether `name` is one of the variables this crate owns (`CODEX_SANDBOX` and anything
/// starting with `CODEX_SANDBOX_`). Such names are removed from the inherited environment
/// before ours are added, so a command can never be told it is (or is not) sandboxed by a
/// value inherited from the parent.
pub fn is_sandbox_env_var(name: &str) -> bool {
    name == CODEX_SANDBOX_ENV_VAR || name.starts_with("CODEX_SANDBOX_")
}

/// The `CODEX_SANDBOX*` values for a command: `sandbox` names the backend (`None` when
/// unconfined), `network_disabled` sets [`CODEX_SANDBOX_NETWORK_DISABLED_ENV_VAR`].
pub fn sandbox_env_vars(sandbox: Option<&str>, network_disabled: bool) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    if let Some(name) = sandbox {
        vars.push((CODEX_SANDBOX_ENV_VAR.to_string(), name.to_string()));
    }
    if network_disabled {
        vars.push((
            CODEX_SANDBOX_NETWORK_DISABLED_ENV_VAR.to_string(),
            "1".to_string(),
        ));
    }
    vars
}

/// Removes every `CODEX_SANDBOX*` variable from `env`, then inserts `vars`.
pub fn apply_sandbox_env(env: &mut BTreeMap<String, String>, vars: &[(String, String)]) {
    env.retain(|name, _| !is_sandbox_env_var(name));
    for (name, value) in vars {
        env.insert(name.clone(), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn stale_values_are_replaced() {
        let mut env: BTreeMap<String, String> = [
            ("CODEX_SANDBOX", "forged"),
            ("CODEX_SANDBOX_NETWORK_DISABLED", "0"),
            ("CODEX_SANDBOX_OTHER", "x"),
            ("CODEX_SANDBOXED", "kept: not ours"),
            ("PATH", "/bin"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        apply_sandbox_env(&mut env, &sandbox_env_vars(Some("bwrap"), true));
        let got: Vec<_> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            got,
            vec![
                "CODEX_SANDBOX=bwrap",
                "CODEX_SANDBOXED=kept: not ours",
                "CODEX_SANDBOX_NETWORK_DISABLED=1",
                "PATH=/bin",
            ]
        );
    }

    #[test]
    fn unconfined_sets_nothing() {
        assert!(sandbox_env_vars(None, false).is_empty());
    }
}
