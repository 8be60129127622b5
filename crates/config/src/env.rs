//! The environment snapshot (`Env`) and `$CODEX_HOME` resolution. The crate never reads the
//! process environment except in [`Env::from_process`], which only the CLI calls; everything
//! else, tests included, passes an explicit snapshot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::CodexHomeProblem;
use crate::error::ConfigError;

/// A snapshot of environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env(pub BTreeMap<String, String>);

impl Env {
    /// Snapshots the process environment. Variables whose name or value is not UTF-8 are
    /// skipped. Only the CLI should call this.
    pub fn from_process() -> Env {
        Env(std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect())
    }

    /// The value of `key`, if set (possibly empty).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The value of `key` if set and not blank.
    pub fn get_non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// All variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Env(iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}

/// The Codex home: `$CODEX_HOME` if set and non-empty (it must be an existing directory; the
/// result is canonicalized), else `$HOME/.codex` (falling back to `%USERPROFILE%\.codex`), which
/// need not exist yet.
///
/// Errors: [`ConfigError::CodexHome`] naming the bad `CODEX_HOME`, or
/// [`ConfigError::NoHomeDirectory`].
pub fn find_codex_home(env: &Env) -> Result<PathBuf, ConfigError> {
    if let Some(value) = env.get("CODEX_HOME").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        let problem = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                return Ok(std::fs::canonicalize(&path).unwrap_or(path));
            }
            Ok(_) => CodexHomeProblem::NotADirectory,
            Err(_) => CodexHomeProblem::DoesNotExist,
        };
        return Err(ConfigError::CodexHome { path, problem });
    }
    let home = env
        .get_non_empty("HOME")
        .or_else(|| env.get_non_empty("USERPROFILE"))
        .ok_or(ConfigError::NoHomeDirectory)?;
    Ok(PathBuf::from(home).join(".codex"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn codex_home_defaults_to_dot_codex_under_home() {
        let env: Env = [("HOME", "/home/u")].into_iter().collect();
        assert_eq!(
            find_codex_home(&env).ok(),
            Some(PathBuf::from("/home/u/.codex"))
        );
    }

    #[test]
    fn codex_home_from_env_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let env: Env = [("CODEX_HOME", missing.to_str().unwrap()), ("HOME", "/h")]
            .into_iter()
            .collect();
        let err = find_codex_home(&env).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("CODEX_HOME={}: directory does not exist", missing.display())
        );

        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let env: Env = [("CODEX_HOME", file.to_str().unwrap())]
            .into_iter()
            .collect();
        assert_eq!(
            find_codex_home(&env).unwrap_err().to_string(),
            format!("CODEX_HOME={}: not a directory", file.display())
        );

        let env: Env = [("CODEX_HOME", dir.path().to_str().unwrap())]
            .into_iter()
            .collect();
        assert_eq!(
            find_codex_home(&env).unwrap(),
            std::fs::canonicalize(dir.path()).unwrap()
        );
    }

    #[test]
    fn no_home_is_an_error() {
        assert!(matches!(
            find_codex_home(&Env::default()),
            Err(ConfigError::NoHomeDirectory)
        ));
    }
}
