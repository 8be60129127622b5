//! `[shell_environment_policy]`: which environment variables commands spawned for the model see.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::Serialize;

/// `shell_environment_policy.inherit`: the starting set of variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Inherit {
    /// The full environment of the Codex process.
    #[default]
    All,
    /// Only [`CORE_VARS`].
    Core,
    /// Nothing.
    None,
}

/// Variables kept by `inherit = "core"`: what shells and common tools need to behave.
pub const CORE_VARS: &[&str] = &[
    "HOME",
    "LOGNAME",
    "PATH",
    "SHELL",
    "USER",
    "USERNAME",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "SYSTEMROOT",
    "COMSPEC",
    "PATHEXT",
    "USERPROFILE",
];

/// Patterns dropped unless `ignore_default_excludes = true` (matched case-insensitively).
pub const DEFAULT_EXCLUDES: &[&str] = &["*KEY*", "*SECRET*", "*TOKEN*"];

/// `[shell_environment_policy]`. Applied in this order: `inherit`, default excludes (unless
/// `ignore_default_excludes`), `exclude`, `set`, `include_only`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShellEnvironmentPolicy {
    pub inherit: Inherit,
    /// Keep variables whose names look like credentials (`*KEY*`, `*SECRET*`, `*TOKEN*`).
    pub ignore_default_excludes: bool,
    /// Case-insensitive globs (`*`, `?`) of names to drop.
    pub exclude: Vec<String>,
    /// When non-empty, only names matching one of these globs survive (checked last, so it
    /// also filters `set`).
    pub include_only: Vec<String>,
    /// Variables to set or override.
    pub set: BTreeMap<String, String>,
    /// Upstream: run commands through the user's shell profile. Stored, not interpreted here.
    pub experimental_use_profile: bool,
}

impl ShellEnvironmentPolicy {
    /// The environment for a spawned command, given the Codex process's variables.
    pub fn apply(&self, vars: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = vars
            .filter(|(name, _)| match self.inherit {
                Inherit::All => true,
                Inherit::Core => CORE_VARS.contains(&name.as_str()),
                Inherit::None => false,
            })
            .collect();
        if !self.ignore_default_excludes {
            env.retain(|name, _| !matches_any(DEFAULT_EXCLUDES, name));
        }
        env.retain(|name, _| !matches_any(&self.exclude, name));
        env.extend(self.set.iter().map(|(k, v)| (k.clone(), v.clone())));
        if !self.include_only.is_empty() {
            env.retain(|name, _| matches_any(&self.include_only, name));
        }
        env
    }
}

fn matches_any<S: AsRef<str>>(patterns: &[S], name: &str) -> bool {
    patterns.iter().any(|p| glob_match(p.as_ref(), name))
}

/// Case-insensitive wildcard match: `*` is any run of chars, `?` exactly one.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let fold = |s: &str| -> Vec<char> { s.chars().flat_map(char::to_lowercase).collect() };
    let (pattern, name) = (fold(pattern), fold(name));
    let (mut p, mut n) = (0, 0);
    // Position after the last `*` seen, and the name position it was tried against.
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p + 1, n));
                p += 1;
            }
            Some(&c) if c == '?' || Some(&c) == name.get(n) => {
                p += 1;
                n += 1;
            }
            _ => match backtrack {
                Some((star_p, star_n)) => {
                    p = star_p;
                    n = star_n + 1;
                    backtrack = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn vars(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn names(env: &BTreeMap<String, String>) -> Vec<&str> {
        env.keys().map(String::as_str).collect()
    }

    const SAMPLE: &[(&str, &str)] = &[
        ("PATH", "/bin"),
        ("HOME", "/h"),
        ("OPENAI_API_KEY", "sk"),
        ("GITHUB_TOKEN", "gh"),
        ("AWS_SECRET_ACCESS_KEY", "aws"),
        ("github_token_lower", "x"),
        ("EDITOR", "vi"),
    ];

    #[test]
    fn defaults_drop_credentials() {
        let env = ShellEnvironmentPolicy::default().apply(vars(SAMPLE));
        assert_eq!(names(&env), vec!["EDITOR", "HOME", "PATH"]);
    }

    #[test]
    fn ignore_default_excludes_keeps_them() {
        let policy = ShellEnvironmentPolicy {
            ignore_default_excludes: true,
            ..Default::default()
        };
        assert_eq!(policy.apply(vars(SAMPLE)).len(), SAMPLE.len());
    }

    #[test]
    fn core_none_exclude_set_include_only() {
        let core = ShellEnvironmentPolicy {
            inherit: Inherit::Core,
            ..Default::default()
        };
        assert_eq!(names(&core.apply(vars(SAMPLE))), vec!["HOME", "PATH"]);

        let none = ShellEnvironmentPolicy {
            inherit: Inherit::None,
            set: [("A".to_owned(), "1".to_owned())].into(),
            ..Default::default()
        };
        assert_eq!(names(&none.apply(vars(SAMPLE))), vec!["A"]);

        let policy = ShellEnvironmentPolicy {
            exclude: vec!["ed?tor".into()],
            set: [("MY_TOKEN".to_owned(), "t".to_owned())].into(),
            include_only: vec!["p*".into(), "my_*".into()],
            ..Default::default()
        };
        assert_eq!(names(&policy.apply(vars(SAMPLE))), vec!["MY_TOKEN", "PATH"]);
    }

    #[test]
    fn globs() {
        assert!(glob_match("*KEY*", "openai_api_key"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("?", "x"));
        assert!(!glob_match("?", ""));
        assert!(!glob_match("a*c", "abcd"));
        assert!(glob_match("*", ""));
        assert!(glob_match("**a", "bba"));
    }
}
