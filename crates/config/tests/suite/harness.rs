//! A temporary `CODEX_HOME` and working directory, and a `load` helper.

use std::path::Path;
use std::path::PathBuf;

use codex_config::Config;
use codex_config::ConfigError;
use codex_config::ConfigOverrides;
use codex_config::Env;
use codex_config::load_config;
use tempfile::TempDir;

pub struct Home {
    pub home: TempDir,
    pub cwd: TempDir,
    pub env: Env,
}

impl Home {
    pub fn new() -> Self {
        Home {
            home: tempfile::tempdir().unwrap(),
            cwd: tempfile::tempdir().unwrap(),
            env: Env::default(),
        }
    }

    pub fn with_config(text: &str) -> Self {
        let home = Self::new();
        home.write("config.toml", text);
        home
    }

    pub fn path(&self) -> &Path {
        self.home.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.file(name), text).unwrap();
    }

    pub fn overrides(&self) -> ConfigOverrides {
        ConfigOverrides {
            cwd: Some(self.cwd.path().to_owned()),
            ..Default::default()
        }
    }

    pub fn try_load_with(
        &self,
        cli: &[&str],
        overrides: ConfigOverrides,
    ) -> Result<Config, ConfigError> {
        let cli: Vec<String> = cli.iter().map(|s| (*s).to_owned()).collect();
        load_config(self.path(), &cli, overrides, &self.env)
    }

    pub fn load_with(&self, cli: &[&str], overrides: ConfigOverrides) -> Config {
        self.try_load_with(cli, overrides).unwrap()
    }

    pub fn load(&self, cli: &[&str]) -> Config {
        self.load_with(cli, self.overrides())
    }

    /// The error message of a failing load.
    pub fn error(&self, cli: &[&str]) -> String {
        self.error_with(cli, self.overrides())
    }

    pub fn error_with(&self, cli: &[&str], overrides: ConfigOverrides) -> String {
        match self.try_load_with(cli, overrides) {
            Ok(config) => panic!("expected an error, got {config:#?}"),
            Err(e) => e.to_string(),
        }
    }
}
