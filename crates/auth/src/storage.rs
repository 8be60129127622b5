//! Where credentials live: `$CODEX_HOME/auth.json`, the OS keyring, or process memory, chosen
//! by `cli_auth_credentials_store` (`file | keyring | auto | ephemeral`).
//!
//! `auth.json` keeps upstream's shape so the file can be copied between machines and versions:
//! `{"auth_mode": "apikey", "OPENAI_API_KEY": "sk-..."}` for an API key;
//! `{"auth_mode": "chatgpt", "OPENAI_API_KEY": null, "tokens": {"id_token", "access_token",
//! "refresh_token", "account_id"}, "last_refresh": "<RFC 3339>"}` for a ChatGPT sign-in. An
//! access token given with `--with-access-token` is stored as `{"auth_mode": "accessToken",
//! "access_token": "<JWT>"}` (our own form: upstream's agent-identity record has no public
//! shape). Keys we do not know are kept when the file is rewritten.
//!
//! Writes are atomic (a `0600` temp file in the same directory, fsync, rename), so a reader
//! never sees half a file and the result is `0600` even when an older file was wider. The
//! keyring holds the same JSON under service `Codex Auth`, account `cli|<16 hex digits of
//! SHA-256 of the canonical CODEX_HOME>` (upstream's naming).

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;

use codex_config::AuthCredentialsStoreMode;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;

use crate::error::AuthError;

/// File name of the credentials file inside `CODEX_HOME`.
pub const AUTH_FILE_NAME: &str = "auth.json";
/// Keyring service name (upstream's).
pub const KEYRING_SERVICE: &str = "Codex Auth";

/// `auth_mode` values.
pub const AUTH_MODE_API_KEY: &str = "apikey";
pub const AUTH_MODE_CHATGPT: &str = "chatgpt";
pub const AUTH_MODE_ACCESS_TOKEN: &str = "accessToken";

/// The tokens of a ChatGPT sign-in, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenData {
    /// JWT with the user's identity claims (email, account, plan).
    pub id_token: String,
    /// JWT sent as `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque token to get a new access token.
    pub refresh_token: String,
    /// ChatGPT workspace id, sent as `chatgpt-account-id`.
    #[serde(default)]
    pub account_id: Option<String>,
}

/// The contents of `auth.json` (or of the keyring entry).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthDotJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mode: Option<String>,
    #[serde(rename = "OPENAI_API_KEY", default)]
    pub openai_api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenData>,
    /// When the tokens were obtained or last refreshed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<String>,
    /// Access token from `codex login --with-access-token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Fields written by other versions, kept verbatim.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl AuthDotJson {
    /// `{"auth_mode": "apikey", "OPENAI_API_KEY": key}`.
    pub fn api_key(key: &str) -> Self {
        AuthDotJson {
            auth_mode: Some(AUTH_MODE_API_KEY.to_owned()),
            openai_api_key: Some(key.to_owned()),
            ..AuthDotJson::default()
        }
    }

    /// A ChatGPT sign-in obtained (or refreshed) at `last_refresh`.
    pub fn chatgpt(tokens: TokenData, last_refresh: jiff::Timestamp) -> Self {
        AuthDotJson {
            auth_mode: Some(AUTH_MODE_CHATGPT.to_owned()),
            openai_api_key: None,
            tokens: Some(tokens),
            last_refresh: Some(last_refresh.to_string()),
            ..AuthDotJson::default()
        }
    }

    /// An access token stored with `--with-access-token`.
    pub fn access_token(token: &str) -> Self {
        AuthDotJson {
            auth_mode: Some(AUTH_MODE_ACCESS_TOKEN.to_owned()),
            access_token: Some(token.to_owned()),
            ..AuthDotJson::default()
        }
    }

    /// What kind of credential this is: `auth_mode` when known, else guessed from the fields
    /// (files written before `auth_mode` existed). `None` when nothing usable is stored.
    pub fn kind(&self) -> Option<StoredKind> {
        let key = self
            .openai_api_key
            .as_deref()
            .filter(|k| !k.trim().is_empty());
        match self.auth_mode.as_deref() {
            Some(AUTH_MODE_API_KEY) => key.map(|_| StoredKind::ApiKey),
            Some(AUTH_MODE_ACCESS_TOKEN) => {
                self.access_token.as_ref().map(|_| StoredKind::AccessToken)
            }
            _ if self.tokens.is_some() => Some(StoredKind::ChatGpt),
            _ if key.is_some() => Some(StoredKind::ApiKey),
            _ if self.access_token.is_some() => Some(StoredKind::AccessToken),
            _ => None,
        }
    }

    /// `last_refresh` parsed, if present and valid.
    pub fn last_refresh_time(&self) -> Option<jiff::Timestamp> {
        self.last_refresh.as_deref()?.parse().ok()
    }
}

/// The kinds of stored credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKind {
    ApiKey,
    ChatGpt,
    AccessToken,
}

/// Where [`AuthStore::save`] put the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedTo {
    File(PathBuf),
    Keyring,
    /// Process memory only (`ephemeral`): gone when the process exits.
    Memory,
}

impl std::fmt::Display for SavedTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SavedTo::File(path) => write!(f, "{}", path.display()),
            SavedTo::Keyring => f.write_str("the OS keyring"),
            SavedTo::Memory => {
                f.write_str("memory only (cli_auth_credentials_store = \"ephemeral\")")
            }
        }
    }
}

/// A secret store keyed by service and account: the OS keyring in production, a map in tests.
///
/// Errors are messages; [`AuthStore`] turns them into [`AuthError::Keyring`].
pub trait KeyringBackend: Send + Sync + std::fmt::Debug {
    fn get(&self, service: &str, account: &str) -> Result<Option<String>, String>;
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), String>;
    /// `Ok(true)` when an entry was removed.
    fn delete(&self, service: &str, account: &str) -> Result<bool, String>;
}

/// Loads, saves and deletes credentials for one `CODEX_HOME` under one storage mode.
#[derive(Debug, Clone)]
pub struct AuthStore {
    codex_home: PathBuf,
    mode: AuthCredentialsStoreMode,
    keyring: Option<Arc<dyn KeyringBackend>>,
}

impl AuthStore {
    /// A store using the OS keyring when the `keyring` feature is built in.
    pub fn new(codex_home: impl Into<PathBuf>, mode: AuthCredentialsStoreMode) -> Self {
        AuthStore {
            codex_home: codex_home.into(),
            mode,
            keyring: crate::os_keyring::os_keyring(),
        }
    }

    /// A store with an explicit keyring backend (tests, or no keyring at all with `None`).
    pub fn with_keyring(
        codex_home: impl Into<PathBuf>,
        mode: AuthCredentialsStoreMode,
        keyring: Option<Arc<dyn KeyringBackend>>,
    ) -> Self {
        AuthStore {
            codex_home: codex_home.into(),
            mode,
            keyring,
        }
    }

    /// Fails early when the mode cannot work in this build (`keyring` without keyring
    /// support), before the user is asked for anything.
    pub fn check_supported(&self) -> Result<(), AuthError> {
        match self.mode {
            AuthCredentialsStoreMode::Keyring => self.require_keyring().map(|_| ()),
            AuthCredentialsStoreMode::File
            | AuthCredentialsStoreMode::Auto
            | AuthCredentialsStoreMode::Ephemeral => Ok(()),
        }
    }

    pub fn codex_home(&self) -> &Path {
        &self.codex_home
    }

    pub fn mode(&self) -> AuthCredentialsStoreMode {
        self.mode
    }

    /// `$CODEX_HOME/auth.json`.
    pub fn auth_file(&self) -> PathBuf {
        self.codex_home.join(AUTH_FILE_NAME)
    }

    /// The stored credentials, if any. `auto` reads the keyring first and falls back to the
    /// file when the keyring is empty or unavailable.
    pub fn load(&self) -> Result<Option<AuthDotJson>, AuthError> {
        match self.mode {
            AuthCredentialsStoreMode::File => read_auth_file(&self.auth_file()),
            AuthCredentialsStoreMode::Keyring => self.load_keyring(self.require_keyring()?),
            AuthCredentialsStoreMode::Auto => {
                if let Some(keyring) = &self.keyring {
                    match self.load_keyring(keyring.as_ref()) {
                        Ok(Some(auth)) => return Ok(Some(auth)),
                        Ok(None) => {}
                        Err(e) => tracing::warn!("keyring unavailable, using auth.json: {e}"),
                    }
                }
                read_auth_file(&self.auth_file())
            }
            AuthCredentialsStoreMode::Ephemeral => Ok(memory_store()
                .lock()
                .map_err(|_| AuthError::Internal("credential memory store poisoned".into()))?
                .get(&self.store_key())
                .cloned()),
        }
    }

    /// Saves `auth`, replacing what was stored. With the keyring, a leftover `auth.json` is
    /// removed so only one copy of the secret exists; `auto` writes the file when the keyring
    /// is unavailable.
    pub fn save(&self, auth: &AuthDotJson) -> Result<SavedTo, AuthError> {
        match self.mode {
            AuthCredentialsStoreMode::File => {
                write_auth_file(&self.auth_file(), auth)?;
                Ok(SavedTo::File(self.auth_file()))
            }
            AuthCredentialsStoreMode::Keyring => {
                self.save_keyring(self.require_keyring()?, auth)?;
                Ok(SavedTo::Keyring)
            }
            AuthCredentialsStoreMode::Auto => {
                if let Some(keyring) = &self.keyring {
                    match self.save_keyring(keyring.as_ref(), auth) {
                        Ok(()) => return Ok(SavedTo::Keyring),
                        Err(e) => tracing::warn!("keyring unavailable, writing auth.json: {e}"),
                    }
                }
                write_auth_file(&self.auth_file(), auth)?;
                Ok(SavedTo::File(self.auth_file()))
            }
            AuthCredentialsStoreMode::Ephemeral => {
                memory_store()
                    .lock()
                    .map_err(|_| AuthError::Internal("credential memory store poisoned".into()))?
                    .insert(self.store_key(), auth.clone());
                Ok(SavedTo::Memory)
            }
        }
    }

    /// Removes stored credentials from every place this mode may have put them. `Ok(true)`
    /// when something was removed.
    pub fn delete(&self) -> Result<bool, AuthError> {
        let mut removed = false;
        match self.mode {
            AuthCredentialsStoreMode::Ephemeral => {
                removed |= memory_store()
                    .lock()
                    .map_err(|_| AuthError::Internal("credential memory store poisoned".into()))?
                    .remove(&self.store_key())
                    .is_some();
            }
            AuthCredentialsStoreMode::Keyring => {
                let keyring = self.require_keyring()?;
                removed |= self.delete_keyring(keyring)?;
            }
            AuthCredentialsStoreMode::Auto => {
                if let Some(keyring) = &self.keyring {
                    match self.delete_keyring(keyring.as_ref()) {
                        Ok(r) => removed |= r,
                        Err(e) => tracing::warn!("keyring unavailable while logging out: {e}"),
                    }
                }
            }
            AuthCredentialsStoreMode::File => {}
        }
        // A file may be left from an earlier mode; logging out removes it in every mode.
        removed |= remove_file_if_exists(&self.auth_file())?;
        Ok(removed)
    }

    fn require_keyring(&self) -> Result<&dyn KeyringBackend, AuthError> {
        self.keyring.as_deref().ok_or(AuthError::KeyringNotBuilt)
    }

    /// `cli|` + the first 16 hex digits of SHA-256 of the canonical `CODEX_HOME`.
    fn store_key(&self) -> String {
        let canonical =
            std::fs::canonicalize(&self.codex_home).unwrap_or_else(|_| self.codex_home.clone());
        let digest = sha2::Sha256::digest(canonical.to_string_lossy().as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("cli|{hex}")
    }

    fn load_keyring(&self, keyring: &dyn KeyringBackend) -> Result<Option<AuthDotJson>, AuthError> {
        let Some(text) = keyring
            .get(KEYRING_SERVICE, &self.store_key())
            .map_err(|message| AuthError::Keyring { message })?
        else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| AuthError::Keyring {
                message: format!("the stored credentials are not valid JSON: {e}"),
            })
    }

    fn save_keyring(
        &self,
        keyring: &dyn KeyringBackend,
        auth: &AuthDotJson,
    ) -> Result<(), AuthError> {
        let text = serde_json::to_string(auth)
            .map_err(|e| AuthError::Internal(format!("serialize credentials: {e}")))?;
        keyring
            .set(KEYRING_SERVICE, &self.store_key(), &text)
            .map_err(|message| AuthError::Keyring { message })?;
        remove_file_if_exists(&self.auth_file())?;
        Ok(())
    }

    fn delete_keyring(&self, keyring: &dyn KeyringBackend) -> Result<bool, AuthError> {
        keyring
            .delete(KEYRING_SERVICE, &self.store_key())
            .map_err(|message| AuthError::Keyring { message })
    }
}

/// Credentials kept by `ephemeral` stores, per `CODEX_HOME`, for the life of the process.
fn memory_store() -> &'static Mutex<HashMap<String, AuthDotJson>> {
    static STORE: OnceLock<Mutex<HashMap<String, AuthDotJson>>> = OnceLock::new();
    STORE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Reads `path`; `Ok(None)` when it does not exist.
pub fn read_auth_file(path: &Path) -> Result<Option<AuthDotJson>, AuthError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(AuthError::File {
                action: "cannot read",
                path: path.to_owned(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| AuthError::FileFormat {
            path: path.to_owned(),
            source,
        })
}

/// Writes `auth` to `path` atomically with mode `0600` (see the module docs).
pub fn write_auth_file(path: &Path, auth: &AuthDotJson) -> Result<(), AuthError> {
    let file_error = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| AuthError::File {
            action,
            path,
            source,
        }
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(file_error("cannot create directory", dir))?;
    let mut text = serde_json::to_string_pretty(auth)
        .map_err(|e| AuthError::Internal(format!("serialize credentials: {e}")))?;
    text.push('\n');

    let suffix: u64 = rand::random();
    let tmp = dir.join(format!(
        ".{AUTH_FILE_NAME}.{}.{suffix:016x}.tmp",
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options
            .open(&tmp)
            .map_err(file_error("cannot create", &tmp))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(file_error("cannot write", &tmp))?;
        #[cfg(unix)]
        {
            // The mode given to open() is filtered by the umask, which can only narrow it;
            // set it explicitly anyway so the result never depends on the environment.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
                .map_err(file_error("cannot set permissions of", &tmp))?;
        }
        std::fs::rename(&tmp, path).map_err(file_error("cannot replace", path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn remove_file_if_exists(path: &Path) -> Result<bool, AuthError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(AuthError::File {
            action: "cannot remove",
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[derive(Debug, Default)]
    struct MapKeyring {
        map: Mutex<HashMap<(String, String), String>>,
        broken: bool,
    }

    impl KeyringBackend for MapKeyring {
        fn get(&self, service: &str, account: &str) -> Result<Option<String>, String> {
            if self.broken {
                return Err("no secret service".into());
            }
            Ok(self
                .map
                .lock()
                .unwrap()
                .get(&(service.into(), account.into()))
                .cloned())
        }
        fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), String> {
            if self.broken {
                return Err("no secret service".into());
            }
            self.map
                .lock()
                .unwrap()
                .insert((service.into(), account.into()), secret.into());
            Ok(())
        }
        fn delete(&self, service: &str, account: &str) -> Result<bool, String> {
            if self.broken {
                return Err("no secret service".into());
            }
            Ok(self
                .map
                .lock()
                .unwrap()
                .remove(&(service.into(), account.into()))
                .is_some())
        }
    }

    #[test]
    fn api_key_json_shape_is_upstreams() {
        let value = serde_json::to_value(AuthDotJson::api_key("sk-1")).unwrap();
        assert_eq!(
            value,
            json!({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-1"})
        );
    }

    #[test]
    fn chatgpt_json_shape_is_upstreams() {
        let tokens = TokenData {
            id_token: "i".into(),
            access_token: "a".into(),
            refresh_token: "r".into(),
            account_id: Some("acct".into()),
        };
        let ts: jiff::Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let value = serde_json::to_value(AuthDotJson::chatgpt(tokens, ts)).unwrap();
        assert_eq!(
            value,
            json!({
                "auth_mode": "chatgpt",
                "OPENAI_API_KEY": null,
                "tokens": {"id_token": "i", "access_token": "a", "refresh_token": "r", "account_id": "acct"},
                "last_refresh": "2026-01-02T03:04:05Z"
            })
        );
    }

    #[test]
    fn unknown_fields_survive_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUTH_FILE_NAME);
        std::fs::write(
            &path,
            r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-1","agent_identity":{"x":1}}"#,
        )
        .unwrap();
        let auth = read_auth_file(&path).unwrap().unwrap();
        write_auth_file(&path, &auth).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back["agent_identity"], json!({"x": 1}));
    }

    #[test]
    fn kind_is_inferred_for_old_files() {
        let old: AuthDotJson = serde_json::from_value(json!({"OPENAI_API_KEY": "sk-1"})).unwrap();
        assert_eq!(old.kind(), Some(StoredKind::ApiKey));
        let empty: AuthDotJson = serde_json::from_value(json!({"OPENAI_API_KEY": null})).unwrap();
        assert_eq!(empty.kind(), None);
    }

    #[test]
    fn corrupt_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUTH_FILE_NAME);
        std::fs::write(&path, "{").unwrap();
        let err = read_auth_file(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn keyring_mode_uses_keyring_and_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let keyring: Arc<dyn KeyringBackend> = Arc::new(MapKeyring::default());
        std::fs::write(dir.path().join(AUTH_FILE_NAME), "{}").unwrap();
        let store = AuthStore::with_keyring(
            dir.path(),
            AuthCredentialsStoreMode::Keyring,
            Some(keyring.clone()),
        );
        assert_eq!(
            store.save(&AuthDotJson::api_key("sk-k")).unwrap(),
            SavedTo::Keyring
        );
        assert!(!dir.path().join(AUTH_FILE_NAME).exists());
        assert_eq!(store.load().unwrap(), Some(AuthDotJson::api_key("sk-k")));
        assert!(store.delete().unwrap());
        assert_eq!(store.load().unwrap(), None);
    }

    #[test]
    fn auto_falls_back_to_file_without_a_keyring_service() {
        let dir = tempfile::tempdir().unwrap();
        let broken: Arc<dyn KeyringBackend> = Arc::new(MapKeyring {
            broken: true,
            ..MapKeyring::default()
        });
        let store =
            AuthStore::with_keyring(dir.path(), AuthCredentialsStoreMode::Auto, Some(broken));
        let saved = store.save(&AuthDotJson::api_key("sk-a")).unwrap();
        assert_eq!(saved, SavedTo::File(dir.path().join(AUTH_FILE_NAME)));
        assert_eq!(store.load().unwrap(), Some(AuthDotJson::api_key("sk-a")));
        assert!(store.delete().unwrap());
        assert!(!dir.path().join(AUTH_FILE_NAME).exists());
    }

    #[test]
    fn keyring_mode_without_keyring_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = AuthStore::with_keyring(dir.path(), AuthCredentialsStoreMode::Keyring, None);
        let err = store.save(&AuthDotJson::api_key("sk")).unwrap_err();
        assert!(matches!(err, AuthError::KeyringNotBuilt), "{err}");
    }

    #[test]
    fn ephemeral_mode_never_touches_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = AuthStore::with_keyring(dir.path(), AuthCredentialsStoreMode::Ephemeral, None);
        assert_eq!(
            store.save(&AuthDotJson::api_key("sk-e")).unwrap(),
            SavedTo::Memory
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(store.load().unwrap(), Some(AuthDotJson::api_key("sk-e")));
        assert!(store.delete().unwrap());
        assert_eq!(store.load().unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn written_file_is_0600_even_over_a_wider_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUTH_FILE_NAME);
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_auth_file(&path, &AuthDotJson::api_key("sk-p")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Only auth.json is left behind: the temp file was renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
