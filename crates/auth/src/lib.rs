//! Sign-in for Codex: API keys, ChatGPT access tokens and ChatGPT OAuth, stored safely, plus
//! the HTTP client (custom CA bundle, proxies) every network user in the binary shares.
//!
//! | module | owns |
//! | --- | --- |
//! | `credentials` | precedence `CODEX_API_KEY` > `CODEX_ACCESS_TOKEN` > stored; [`Credentials`], [`AuthPolicy`] (`forced_login_method`, `forced_chatgpt_workspace_id`); `--with-api-key` / `--with-access-token` / logout operations; [`mask_api_key`] |
//! | `manager` | [`AuthManager`]: bearer token for the model client, refresh before expiry and after a 401, single-flight |
//! | `server` | [`LoginServer`]: the browser flow's callback server (`/auth/callback`, `/cancel`) |
//! | `oauth` | issuer wire: authorize URL, code exchange, refresh grant, device code ([`OAuthSettings`]) |
//! | `pkce` | [`PkceCodes`] (S256) and `state` |
//! | `storage` | [`AuthStore`]: `auth.json` (atomic, 0600), OS keyring, memory; [`AuthDotJson`] |
//! | `os_keyring` | the `keyring` crate behind the `keyring` feature |
//! | `http` | [`http_client`]: rustls + OS roots + `CODEX_CA_CERTIFICATE`/`SSL_CERT_FILE`, proxies from [`codex_config::Env`] |
//! | `jwt` | reading token claims ([`TokenClaims`]) |
//! | `pages` | the callback server's HTML pages |
//! | `browser` | whether and how to open a browser |
//! | `error` | [`AuthError`], [`CallbackFailure`] |

mod browser;
mod credentials;
mod error;
mod http;
mod jwt;
mod manager;
mod oauth;
mod os_keyring;
mod pages;
mod pkce;
mod server;
mod storage;

pub use browser::browser_available;
pub use browser::open_browser;
pub use credentials::AuthPolicy;
pub use credentials::CODEX_ACCESS_TOKEN_VAR;
pub use credentials::CODEX_API_KEY_VAR;
pub use credentials::ChatGptLogin;
pub use credentials::CredentialSource;
pub use credentials::Credentials;
pub use credentials::access_token_claims;
pub use credentials::is_expired;
pub use credentials::login_with_access_token;
pub use credentials::login_with_api_key;
pub use credentials::logout;
pub use credentials::mask_api_key;
pub use credentials::resolve_credentials;
pub use credentials::store_issued_tokens;
pub use credentials::store_mode;
pub use error::AuthError;
pub use error::CallbackFailure;
pub use error::CredentialKind;
pub use error::error_chain;
pub use http::CA_CERTIFICATE_VARS;
pub use http::extra_root_certificates;
pub use http::http_client;
pub use http::http_client_builder;
pub use jwt::AUTH_CLAIM;
pub use jwt::PROFILE_CLAIM;
pub use jwt::TokenClaims;
pub use jwt::decode_claims;
pub use manager::AuthManager;
pub use manager::REFRESH_INTERVAL;
pub use manager::REFRESH_MARGIN;
pub use oauth::DEFAULT_CALLBACK_PORT;
pub use oauth::DEFAULT_CLIENT_ID;
pub use oauth::DEFAULT_ISSUER;
pub use oauth::DeviceCode;
pub use oauth::IssuedTokens;
pub use oauth::OAuthSettings;
pub use oauth::REFRESH_TOKEN_URL_OVERRIDE_VAR;
pub use oauth::authorize_url;
pub use oauth::complete_device_code;
pub use oauth::exchange_code;
pub use oauth::refresh_tokens;
pub use oauth::request_device_code;
pub use pkce::PkceCodes;
pub use pkce::generate_state;
pub use pkce::s256_challenge;
pub use server::LoginServer;
pub use server::LoginServerOptions;
pub use server::classify_callback;
pub use storage::AUTH_FILE_NAME;
pub use storage::AuthDotJson;
pub use storage::AuthStore;
pub use storage::KEYRING_SERVICE;
pub use storage::KeyringBackend;
pub use storage::SavedTo;
pub use storage::StoredKind;
pub use storage::TokenData;
pub use storage::read_auth_file;
pub use storage::write_auth_file;
