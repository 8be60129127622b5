//! `--device-auth`: code request, polling, approval, denial and expiry.

use codex_auth::{
    AuthError, AuthPolicy, complete_device_code, request_device_code, store_issued_tokens,
};
use codex_test_support::oauth::{DeviceBehavior, FakeIssuer, IssuerConfig};
use pretty_assertions::assert_eq;

use super::common::{file_store, http, read_json, settings_for};

#[tokio::test]
async fn approved_device_code_stores_tokens() {
    let issuer = FakeIssuer::start();
    issuer.set_device(DeviceBehavior::ApproveAfter(2));
    let home = tempfile::tempdir().unwrap();
    let settings = settings_for(&issuer, 0);
    let device = request_device_code(&http(), &settings).await.unwrap();
    assert_eq!(device.user_code, "ABCD-12345");
    assert_eq!(
        device.verification_url,
        format!("{}/codex/device", issuer.url())
    );
    let issued = complete_device_code(&http(), &settings, &device)
        .await
        .unwrap();
    let login = store_issued_tokens(&file_store(&home), &AuthPolicy::default(), issued)
        .await
        .unwrap();
    assert_eq!(login.email.as_deref(), Some("dev@example.com"));
    assert_eq!(
        issuer.requests_to("/api/accounts/deviceauth/token").len(),
        3
    );
    let exchange = &issuer.requests_to("/oauth/token")[0];
    assert_eq!(
        exchange.params["redirect_uri"],
        format!("{}/deviceauth/callback", issuer.url())
    );
    assert_eq!(
        read_json(&home.path().join("auth.json"))["auth_mode"],
        "chatgpt"
    );
}

#[tokio::test]
async fn denial_and_expiry_are_reported() {
    let issuer = FakeIssuer::start();
    let settings = settings_for(&issuer, 0);

    issuer.set_device(DeviceBehavior::Deny);
    let device = request_device_code(&http(), &settings).await.unwrap();
    let err = complete_device_code(&http(), &settings, &device)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::DeviceCodeDenied { .. }), "{err}");

    issuer.set_device(DeviceBehavior::Expire);
    let device = request_device_code(&http(), &settings).await.unwrap();
    let err = complete_device_code(&http(), &settings, &device)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::DeviceCodeExpired), "{err}");
    assert!(
        err.to_string().contains("codex login --device-auth"),
        "{err}"
    );
}

#[tokio::test]
async fn a_code_nobody_approves_expires_locally() {
    let issuer = FakeIssuer::start_with(IssuerConfig {
        device_expires_in: Some(1),
        ..IssuerConfig::default()
    });
    issuer.set_device(DeviceBehavior::Pending);
    let settings = settings_for(&issuer, 0);
    let device = request_device_code(&http(), &settings).await.unwrap();
    let err = complete_device_code(&http(), &settings, &device)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::DeviceCodeExpired), "{err}");
}

#[tokio::test]
async fn device_login_disabled_on_the_server() {
    let issuer = FakeIssuer::start();
    // Everything below this prefix is 404, as on an issuer without device login.
    let settings = settings_for(&issuer, 0).with_issuer(&format!("{}/nothing-here", issuer.url()));
    let err = request_device_code(&http(), &settings).await.unwrap_err();
    assert!(matches!(err, AuthError::DeviceAuthNotEnabled), "{err}");
}
