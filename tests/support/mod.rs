//! Shared test helpers: a recording httpmock responder, a raw TCP server
//! that drops connections, request views for snapshots, test clients, and
//! the tracing events a call emitted (`traces`), a private `redis-server`
//! (`redis`).
#![allow(dead_code)]

#[cfg(feature = "redis")]
pub mod redis;
pub mod traces;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use serde::Serialize;

/// The API key tests use; it must never show up in output or snapshots.
pub const SECRET_KEY: &str = "lv_live_TESTSECRET_do_not_leak_9f3a";

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub fn key(&self) -> Option<&str> {
        self.header("idempotency-key")
    }
}

fn seen_from(req: &HttpMockRequest) -> Seen {
    let mut headers = BTreeMap::new();
    for (k, v) in req.headers_vec() {
        headers.insert(k.to_ascii_lowercase(), v.clone());
    }
    let uri = req.uri();
    Seen {
        method: req.method_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers,
        body: req.body_vec(),
    }
}

/// A scripted answer: status, extra headers, body.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

pub fn reply(status: u16, body: impl Into<String>) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: body.into(),
    }
}

impl Reply {
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// Requests recorded by a scripted mock.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Answer `method path` with `replies` in order (the last one repeats).
pub fn script(
    server: &MockServer,
    method: httpmock::Method,
    path: &str,
    replies: Vec<Reply>,
) -> Recorder {
    let rec = Recorder::default();
    let sink = rec.clone();
    let n = Arc::new(AtomicUsize::new(0));
    server.mock(|when, then| {
        when.method(method).path(path);
        then.respond_with(move |req| {
            sink.0.lock().unwrap().push(seen_from(req));
            let i = n.fetch_add(1, Ordering::SeqCst).min(replies.len() - 1);
            let r = &replies[i];
            let mut b = HttpMockResponse::builder().status(r.status);
            let json = if r.status >= 400 && r.body.contains("\"error\"") {
                "application/problem+json"
            } else {
                "application/json"
            };
            if !r.body.is_empty() {
                b = b.header("content-type", json);
            }
            for (k, v) in &r.headers {
                b = b.header(k.as_str(), v.as_str());
            }
            b.body(r.body.clone()).build()
        });
    });
    rec
}

/// Delays the loop asked for, recorded instead of slept.
#[derive(Clone, Default)]
pub struct Sleeps(Arc<Mutex<Vec<Duration>>>);

impl Sleeps {
    pub fn all(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
    pub fn sleeper(&self) -> qurl::retry::Sleeper {
        let sink = self.0.clone();
        Arc::new(move |d| {
            sink.lock().unwrap().push(d);
            Box::pin(async {})
        })
    }
}

/// The default policy with sleeps recorded, not slept.
pub fn fast_policy(sleeps: &Sleeps) -> qurl::RetryPolicy {
    qurl::RetryPolicy::default().sleeper(sleeps.sleeper())
}

pub fn client(base: &str, policy: qurl::RetryPolicy) -> qurl::Client {
    qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(base)
        .timeout(Duration::from_secs(5))
        .retry_policy(policy)
        .build()
        .expect("test client")
}

/// Method, path and headers of one attempt, safe to snapshot: the API key
/// redacted, each distinct idempotency key mapped to `key-1`, `key-2`, ...
#[derive(Serialize)]
pub struct AttemptView {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
}

pub fn snapshot_view(attempts: &[Seen]) -> Vec<AttemptView> {
    let mut keys: Vec<String> = Vec::new();
    attempts
        .iter()
        .map(|s| {
            let headers = s
                .headers
                .iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "authorization" => "[redacted]".to_owned(),
                        "host" => "[loopback]".to_owned(),
                        "idempotency-key" => {
                            let i = keys.iter().position(|x| x == v).unwrap_or_else(|| {
                                keys.push(v.clone());
                                keys.len() - 1
                            });
                            format!("key-{}", i + 1)
                        }
                        "user-agent" => v.replace(env!("CARGO_PKG_VERSION"), "[version]"),
                        _ => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect();
            AttemptView {
                method: s.method.clone(),
                path: s.path.clone(),
                headers,
            }
        })
        .collect()
}

/// The test key never appears in what a snapshot would store.
pub fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET_KEY), "the API key leaked: {text}");
    assert!(
        !text.contains("TESTSECRET"),
        "part of the API key leaked: {text}"
    );
}

pub fn is_uuid_v7(key: &str) -> bool {
    uuid::Uuid::parse_str(key).is_ok_and(|u| u.get_version_num() == 7) && key == key.to_lowercase()
}

pub const CREATED_QURL: &str = r#"{"data":{"qurl_id":"q_0123456789a","resource_id":"r_abcdefghijk","qurl_link":"https://qurl.link/#at_x","qurl_site":"https://r.qurl.site","expires_at":"2026-12-01T00:00:00Z"},"meta":{"request_id":"req_1"}}"#;

pub fn problem(status: u16, code: &str) -> String {
    format!(
        r#"{{"error":{{"type":"https://api.qurl.link/problems/{code}","title":"t","status":{status},"detail":"d","code":"{code}"}},"meta":{{"request_id":"req_e"}}}}"#
    )
}

/// A loopback HTTP/1.1 server that reads each request fully and then, per
/// connection in order, either drops it or answers with a canned response.
pub struct RawServer {
    pub addr: std::net::SocketAddr,
    pub requests: Arc<Mutex<Vec<String>>>,
}

pub enum RawStep {
    Drop,
    Answer(String),
    /// Write these exact bytes as the response, then close.
    AnswerRaw(String),
    /// Read the request, then hold the connection open without answering
    /// for this long, while the next connections are served.
    Silent(Duration),
    /// Read the request, then reset the connection (`SO_LINGER` 0: an RST,
    /// not a FIN).
    Reset,
}

pub async fn raw_server(steps: Vec<RawStep>) -> RawServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    tokio::spawn(async move {
        for step in steps {
            let Ok(Ok((mut sock, _))) =
                tokio::time::timeout(Duration::from_secs(10), listener.accept()).await
            else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read headers, then Content-Length bytes of body.
            loop {
                let n = match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut chunk))
                    .await
                {
                    Ok(Ok(n)) if n > 0 => n,
                    _ => break,
                };
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
            match step {
                RawStep::Drop => drop(sock),
                RawStep::AnswerRaw(text) => {
                    let _ = sock.write_all(text.as_bytes()).await;
                    let _ = sock.shutdown().await;
                }
                RawStep::Silent(hold) => {
                    tokio::spawn(async move {
                        tokio::time::sleep(hold).await;
                        drop(sock);
                    });
                }
                RawStep::Reset => {
                    sock.set_zero_linger().expect("SO_LINGER 0");
                    drop(sock);
                }
                RawStep::Answer(body) => {
                    let resp = format!(
                        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                        body.len(),
                        body
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                }
            }
        }
    });
    RawServer { addr, requests }
}

/// The value of `name` in a raw HTTP request text.
pub fn raw_header(request: &str, name: &str) -> Option<String> {
    request.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

pub fn raw_body(request: &str) -> &str {
    request.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
}

/// insta settings: snapshots live in the top-level `snapshots/` folder.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// A base URL on 127.0.0.1 where nothing listens: connecting is refused.
pub fn refused_base_url() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    format!("http://{addr}")
}
