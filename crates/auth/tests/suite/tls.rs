//! TLS-inspecting proxies: a CA generated at test time signs the certificate of a local HTTPS
//! token endpoint and the certificates a local CONNECT proxy forges while intercepting TLS.
//! The requests fail until `CODEX_CA_CERTIFICATE` (or `SSL_CERT_FILE`) names the CA.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use codex_auth::{AuthError, OAuthSettings, http_client, refresh_tokens};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::common::env;

struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test Corp Inspection CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        Pki { ca, dir }
    }

    fn ca_path(&self) -> String {
        self.dir.path().join("ca.pem").to_str().unwrap().to_owned()
    }

    /// A server config presenting a leaf for `names`, signed by the CA.
    fn server_config(&self, names: &[&str]) -> Arc<rustls::ServerConfig> {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        let chain = vec![cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap(),
        )
    }

    /// A client config trusting only the CA (the proxy's upstream connection).
    fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca.der().to_vec()))
            .unwrap();
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        )
    }
}

/// Reads one HTTP/1.1 request or response head plus a `Content-Length` body.
async fn read_message<S: AsyncRead + Unpin>(stream: &mut S) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap() == 0 {
            return buf;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.unwrap();
    buf.extend(body);
    buf
}

/// An HTTPS token endpoint answering every request with a token JSON; counts requests.
async fn token_endpoint(pki: &Pki) -> (SocketAddr, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_config(&["localhost", "127.0.0.1"]));
    let hits = Arc::new(Mutex::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let request = read_message(&mut tls).await;
                if !request.starts_with(b"POST /oauth/token ") {
                    return;
                }
                *counter.lock().unwrap() += 1;
                let body = r#"{"access_token":"tls-ok"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                tls.write_all(response.as_bytes()).await.unwrap();
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, hits)
}

/// A CONNECT proxy that intercepts TLS: it answers the client with a certificate for the
/// requested host forged with the CA, and relays the decrypted request to `upstream` over TLS.
/// Records the CONNECT targets.
async fn intercepting_proxy(
    pki: &Pki,
    upstream: SocketAddr,
) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = targets.clone();
    let forged = pki.server_config(&["auth.example.test"]);
    let upstream_tls = tokio_rustls::TlsConnector::from(pki.client_config());
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let (forged, upstream_tls, seen) = (forged.clone(), upstream_tls.clone(), seen.clone());
            tokio::spawn(async move {
                let head = String::from_utf8(read_message(&mut client).await).unwrap();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                assert!(head.starts_with("CONNECT "), "not a CONNECT: {head}");
                seen.lock().unwrap().push(target);
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let Ok(mut inside) = tokio_rustls::TlsAcceptor::from(forged).accept(client).await
                else {
                    return; // the client did not trust the forged certificate
                };
                let request = read_message(&mut inside).await;
                let tcp = TcpStream::connect(upstream).await.unwrap();
                let name = ServerName::try_from("localhost").unwrap();
                let mut out = upstream_tls.connect(name, tcp).await.unwrap();
                out.write_all(&request).await.unwrap();
                let mut response = Vec::new();
                let _ = out.read_to_end(&mut response).await;
                inside.write_all(&response).await.unwrap();
                let _ = inside.shutdown().await;
            });
        }
    });
    (addr, targets)
}

fn settings(issuer: &str) -> OAuthSettings {
    OAuthSettings::default().with_issuer(issuer)
}

fn assert_tls_failure(result: Result<impl std::fmt::Debug, AuthError>) {
    let err = result.unwrap_err();
    assert!(matches!(err, AuthError::Request { .. }), "{err}");
    let chain = codex_auth::error_chain(&err).to_lowercase();
    assert!(
        chain.contains("certificate") || chain.contains("issuer"),
        "{chain}"
    );
}

#[tokio::test]
async fn direct_https_needs_the_custom_ca() {
    let pki = Pki::new();
    let (endpoint, hits) = token_endpoint(&pki).await;
    let issuer = format!("https://127.0.0.1:{}", endpoint.port());

    let plain = http_client(&env(&[])).unwrap();
    assert_tls_failure(refresh_tokens(&plain, &settings(&issuer), "r").await);

    for var in ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"] {
        let client = http_client(&env(&[(var, &pki.ca_path())])).unwrap();
        let tokens = refresh_tokens(&client, &settings(&issuer), "r")
            .await
            .unwrap();
        assert_eq!(tokens.access_token.as_deref(), Some("tls-ok"), "{var}");
    }
    assert_eq!(*hits.lock().unwrap(), 2);
}

#[tokio::test]
async fn intercepting_proxy_needs_the_custom_ca() {
    let pki = Pki::new();
    let (endpoint, hits) = token_endpoint(&pki).await;
    let (proxy, targets) = intercepting_proxy(&pki, endpoint).await;
    let proxy_url = format!("http://{proxy}");
    // The name does not resolve: the request can only succeed through the proxy.
    let issuer = "https://auth.example.test";

    let without_ca = http_client(&env(&[("HTTPS_PROXY", &proxy_url)])).unwrap();
    assert_tls_failure(refresh_tokens(&without_ca, &settings(issuer), "r").await);
    assert_eq!(*hits.lock().unwrap(), 0);

    let with_ca = http_client(&env(&[
        ("https_proxy", &proxy_url),
        ("CODEX_CA_CERTIFICATE", &pki.ca_path()),
    ]))
    .unwrap();
    let tokens = refresh_tokens(&with_ca, &settings(issuer), "r")
        .await
        .unwrap();
    assert_eq!(tokens.access_token.as_deref(), Some("tls-ok"));
    assert_eq!(*hits.lock().unwrap(), 1);
    assert_eq!(
        *targets.lock().unwrap(),
        vec![
            "auth.example.test:443".to_owned(),
            "auth.example.test:443".to_owned()
        ]
    );

    // NO_PROXY exempts the host: now it would have to resolve, and it does not.
    let bypass = http_client(&env(&[
        ("HTTPS_PROXY", &proxy_url),
        ("NO_PROXY", "example.test"),
        ("CODEX_CA_CERTIFICATE", &pki.ca_path()),
    ]))
    .unwrap();
    assert!(
        refresh_tokens(&bypass, &settings(issuer), "r")
            .await
            .is_err()
    );
    assert_eq!(targets.lock().unwrap().len(), 2);
}
