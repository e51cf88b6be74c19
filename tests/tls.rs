//! HTTPS with whichever TLS provider the features chose (`tls-aws-lc`,
//! `tls-ring`, `native-tls`; `.ci/run` runs this file once per provider):
//! a server the client trusts is reached, and a certificate the provider
//! refuses fails the call at once, with no retry, even for an operation
//! that may always be retried.
//!
//! The fixtures are a test CA and a server certificate for 127.0.0.1 and
//! localhost it signed (100 years), made with the openssl command line; the
//! CA's key was thrown away.
#![cfg(any(feature = "tls-aws-lc", feature = "tls-ring", feature = "native-tls"))]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use qurl::ErrorKind;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA: &[u8] = include_bytes!("fixtures/tls/ca.pem");
const CERT: &[u8] = include_bytes!("fixtures/tls/server.pem");
const KEY: &[u8] = include_bytes!("fixtures/tls/server.key");

/// A loopback HTTPS server answering every request with a created qURL;
/// counts TCP connections (each attempt makes one).
async fn https_server() -> (String, Arc<AtomicUsize>) {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(CERT).unwrap()],
            PrivateKeyDer::from_pem_slice(KEY).unwrap(),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    CREATED_QURL.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(CREATED_QURL.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{port}"), connections)
}

fn body() -> qurl::types::CreateQurlRequest {
    serde_json::from_value(serde_json::json!({"target_url": "https://example.com/tls"})).unwrap()
}

#[tokio::test]
async fn a_trusted_server_is_reached_over_https() {
    let (base, connections) = https_server().await;
    // tls-ring: reqwest needs a process-wide rustls provider before it
    // builds a client. Building a qurl client installs ring (an application
    // that never builds one installs a provider itself); nothing else in
    // this file installs one, so a client that failed to would panic here.
    qurl::Client::builder().api_key(SECRET_KEY).build().unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(CA).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(&base)
        .reqwest_client(http)
        .build()
        .unwrap();
    let created = client
        .post_qurls()
        .body(body())
        .send()
        .await
        .expect("created over TLS");
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_certificate_is_final() {
    let (base, connections) = https_server().await;
    let sleeps = Sleeps::default();
    // The client's own reqwest client (with the feature's provider) does not
    // trust the test CA.
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(&base)
        .retry_policy(fast_policy(&sleeps))
        .build()
        .unwrap();
    let err = client.post_qurls().body(body()).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(!err.outcome_unknown(), "nothing was sent: {err}");
    assert_no_secret(&format!("{err} {err:?}"));
    // A read may always be retried, and is not either.
    let err = client.get_qurls().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "one attempt per call"
    );
    assert!(sleeps.all().is_empty(), "no backoff: {:?}", sleeps.all());
}
