//! The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service on Linux) through
//! the `keyring` crate, compiled in only with the `keyring` cargo feature. Without it there is
//! no keyring: `keyring` mode is an error and `auto` uses `auth.json`.

use std::sync::Arc;

use crate::storage::KeyringBackend;

/// The OS keyring backend, or `None` when this build has no keyring support.
pub(crate) fn os_keyring() -> Option<Arc<dyn KeyringBackend>> {
    #[cfg(feature = "keyring")]
    {
        Some(Arc::new(imp::OsKeyring))
    }
    #[cfg(not(feature = "keyring"))]
    {
        None
    }
}

#[cfg(feature = "keyring")]
mod imp {
    use crate::storage::KeyringBackend;

    /// Entries of the platform's default credential store. Calls block (D-Bus, XPC), so async
    /// callers run them on a blocking thread.
    #[derive(Debug)]
    pub(super) struct OsKeyring;

    fn entry(service: &str, account: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(service, account).map_err(|e| match e {
            keyring::Error::NoDefaultStore => "no keyring service is available (on Linux, a \
                 Secret Service such as gnome-keyring or KeePassXC on the D-Bus session bus)"
                .to_owned(),
            other => other.to_string(),
        })
    }

    impl KeyringBackend for OsKeyring {
        fn get(&self, service: &str, account: &str) -> Result<Option<String>, String> {
            match entry(service, account)?.get_password() {
                Ok(secret) => Ok(Some(secret)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        }

        fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), String> {
            entry(service, account)?
                .set_password(secret)
                .map_err(|e| e.to_string())
        }

        fn delete(&self, service: &str, account: &str) -> Result<bool, String> {
            match entry(service, account)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring::Error::NoEntry) => Ok(false),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}
