//! The HTTP client every part of the binary should use (model client, sign-in, MCP over HTTP),
//! so that TLS and proxy settings apply everywhere alike.
//!
//! - TLS is rustls with the operating system's trust store (reqwest's platform verifier).
//! - `CODEX_CA_CERTIFICATE`, else `SSL_CERT_FILE`, names a PEM bundle whose certificates are
//!   trusted *in addition* to the OS roots: the fix for TLS-inspecting corporate proxies. An
//!   unreadable file or one without a PEM certificate is an error naming the variable.
//! - Proxies come from the [`Env`] snapshot, not from the process environment (reqwest's own
//!   lookup is switched off so tests can pass their own): `https_proxy`/`HTTPS_PROXY` for
//!   `https://` URLs, `http_proxy`/`HTTP_PROXY` for `http://` URLs, `all_proxy`/`ALL_PROXY` for
//!   both when the specific one is unset, and `no_proxy`/`NO_PROXY` (comma-separated hosts,
//!   domains, IPs, CIDRs, `*`) exempts destinations. Lowercase wins over uppercase, as in curl.
//!   Empty values count as unset.

use std::path::PathBuf;

use codex_config::Env;

use crate::error::AuthError;

/// Variables naming an extra CA bundle, in precedence order.
pub const CA_CERTIFICATE_VARS: [&str; 2] = ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"];

/// A [`reqwest::ClientBuilder`] with the TLS and proxy rules above applied, for callers that
/// add their own settings (timeouts, default headers) before `build()`.
pub fn http_client_builder(env: &Env) -> Result<reqwest::ClientBuilder, AuthError> {
    let mut builder = reqwest::Client::builder().no_proxy();
    let certs = extra_root_certificates(env)?;
    if !certs.is_empty() {
        builder = builder.tls_certs_merge(certs);
    }
    for proxy in proxies(env)? {
        builder = builder.proxy(proxy);
    }
    Ok(builder)
}

/// [`http_client_builder`] built as is.
pub fn http_client(env: &Env) -> Result<reqwest::Client, AuthError> {
    http_client_builder(env)?
        .build()
        .map_err(AuthError::HttpClient)
}

/// The certificates of the bundle named by `CODEX_CA_CERTIFICATE` or `SSL_CERT_FILE` (empty
/// when neither is set).
pub fn extra_root_certificates(env: &Env) -> Result<Vec<reqwest::Certificate>, AuthError> {
    let Some((var, value)) = CA_CERTIFICATE_VARS
        .iter()
        .find_map(|var| env.get_non_empty(var).map(|v| (*var, v)))
    else {
        return Ok(Vec::new());
    };
    let path = PathBuf::from(value);
    let bytes = std::fs::read(&path).map_err(|source| AuthError::CaCertificateRead {
        var,
        path: path.clone(),
        source,
    })?;
    let pem_error = |reason: String| AuthError::CaCertificatePem {
        var,
        path: path.clone(),
        reason,
    };
    if !bytes
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(pem_error(
            "no \"-----BEGIN CERTIFICATE-----\" block found".to_owned(),
        ));
    }
    let mut certs =
        reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| pem_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error("no certificate could be decoded".to_owned()));
    }
    if var == "SSL_CERT_FILE" {
        // The platform verifier's Linux loader treats `SSL_CERT_FILE` as *the* system bundle
        // (OpenSSL's meaning), which would drop the distribution's roots. Add them back so the
        // file only ever adds trust, as documented.
        certs.extend(system_bundle_certificates());
    }
    Ok(certs)
}

/// Well-known locations of the distribution's CA bundle (Debian/Ubuntu, Fedora/RHEL, openSUSE,
/// Alpine, macOS/BSD), read without consulting the environment.
const SYSTEM_CA_BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];

/// The certificates of the first system bundle that exists and parses (none if none does).
fn system_bundle_certificates() -> Vec<reqwest::Certificate> {
    SYSTEM_CA_BUNDLES
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .filter_map(|bytes| reqwest::Certificate::from_pem_bundle(&bytes).ok())
        .find(|certs| !certs.is_empty())
        .unwrap_or_default()
}

/// Which URLs a proxy variable applies to.
#[derive(Clone, Copy)]
enum Scheme {
    Https,
    Http,
}

fn proxies(env: &Env) -> Result<Vec<reqwest::Proxy>, AuthError> {
    let no_proxy = ["no_proxy", "NO_PROXY"]
        .iter()
        .find_map(|var| env.get_non_empty(var))
        .and_then(reqwest::NoProxy::from_string);
    let pick = |vars: [&'static str; 2]| {
        vars.iter()
            .find_map(|var| env.get_non_empty(var).map(|v| (*var, v.trim().to_owned())))
    };
    let all = pick(["all_proxy", "ALL_PROXY"]);
    let mut out = Vec::new();
    for (scheme, vars) in [
        (Scheme::Https, ["https_proxy", "HTTPS_PROXY"]),
        (Scheme::Http, ["http_proxy", "HTTP_PROXY"]),
    ] {
        let Some((var, value)) = pick(vars).or_else(|| all.clone()) else {
            continue;
        };
        let proxy = match scheme {
            Scheme::Https => reqwest::Proxy::https(value.as_str()),
            Scheme::Http => reqwest::Proxy::http(value.as_str()),
        }
        .map_err(|source| AuthError::Proxy {
            var,
            value: value.clone(),
            source,
        })?;
        out.push(proxy.no_proxy(no_proxy.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    #[test]
    fn no_variables_builds_a_client() {
        http_client(&env(&[])).unwrap();
    }

    #[test]
    fn missing_bundle_names_the_variable() {
        let err = http_client(&env(&[("CODEX_CA_CERTIFICATE", "/nonexistent/ca.pem")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("CODEX_CA_CERTIFICATE=/nonexistent/ca.pem"),
            "{err}"
        );
    }

    #[test]
    fn codex_variable_wins_over_ssl_cert_file() {
        let err = http_client(&env(&[
            ("SSL_CERT_FILE", "/nonexistent/b.pem"),
            ("CODEX_CA_CERTIFICATE", "/nonexistent/a.pem"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("CODEX_CA_CERTIFICATE="), "{err}");
    }

    #[test]
    fn ssl_cert_file_adds_to_the_system_roots() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["proxy.test".to_string()]).unwrap();
        std::fs::write(&path, ca.cert.pem()).unwrap();
        let file = path.to_str().unwrap();
        let via_codex = extra_root_certificates(&env(&[("CODEX_CA_CERTIFICATE", file)])).unwrap();
        assert_eq!(via_codex.len(), 1);
        let via_ssl = extra_root_certificates(&env(&[("SSL_CERT_FILE", file)])).unwrap();
        assert_eq!(via_ssl.len(), 1 + system_bundle_certificates().len());
        if SYSTEM_CA_BUNDLES
            .iter()
            .any(|p| std::path::Path::new(p).is_file())
        {
            assert!(via_ssl.len() > 1, "the distribution's roots are kept");
        }
    }

    #[test]
    fn non_pem_bundle_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "hello").unwrap();
        let err = http_client(&env(&[("SSL_CERT_FILE", path.to_str().unwrap())]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("SSL_CERT_FILE="), "{err}");
        assert!(err.contains("not a PEM certificate bundle"), "{err}");

        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = http_client(&env(&[("SSL_CERT_FILE", path.to_str().unwrap())]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a PEM certificate bundle"), "{err}");
    }

    #[test]
    fn bad_proxy_names_the_variable() {
        let err = http_client(&env(&[("HTTPS_PROXY", "http://[::1")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("HTTPS_PROXY="), "{err}");
    }
}
