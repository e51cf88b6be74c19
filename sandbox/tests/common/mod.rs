//! Shared helpers: a sandbox plus a plain HTTP client pointed at it.

#![allow(dead_code)]

use std::time::Duration;

use qurl_sandbox::{Sandbox, SandboxBuilder};
use reqwest::{Method, Response};
use serde_json::Value;

pub const TOKEN: &str = "lv_test_owner";

pub struct Api {
    pub sb: Sandbox,
    pub http: reqwest::Client,
}

/// A client that opens a fresh connection per request, so dropped connections
/// never affect the next request and every test is deterministic.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(timeout)
        .build()
        .expect("client")
}

impl Api {
    pub async fn start(builder: SandboxBuilder) -> Self {
        let sb = builder.start().await.expect("sandbox starts");
        Api {
            sb,
            http: client(Duration::from_secs(10)),
        }
    }

    pub async fn new() -> Self {
        Self::start(Sandbox::builder()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    /// A request as `TOKEN`, with an optional key and JSON body.
    pub fn req(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, self.url(path)).bearer_auth(TOKEN);
        if let Some(k) = key {
            rb = rb.header("Idempotency-Key", k);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        rb
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        self.req(method, path, key, body)
            .send()
            .await
            .expect("request succeeds")
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> Response {
        self.send(Method::POST, path, key, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None, None).await
    }
}

/// Status, `Idempotency-Replayed`, and the JSON body.
pub async fn parts(resp: Response) -> (u16, bool, Value) {
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get("idempotency-replayed")
        .is_some_and(|v| v == "true");
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (status, replayed, body)
}

/// Asserts a problem+json answer with this status and code; returns the `error` object.
pub async fn problem(resp: Response, status: u16, code: &str) -> Value {
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (got, _, body) = parts(resp).await;
    assert_eq!(got, status, "unexpected status, body: {body}");
    assert_eq!(ct, "application/problem+json", "body: {body}");
    let err = body["error"].clone();
    assert_eq!(err["code"], code, "body: {body}");
    assert_eq!(err["status"], status);
    assert_eq!(
        err["type"],
        format!("https://api.qurl.link/problems/{code}")
    );
    assert!(err["title"].is_string());
    assert!(err["instance"].as_str().is_some_and(|i| i.starts_with('/')));
    assert!(
        body["meta"]["request_id"]
            .as_str()
            .is_some_and(|r| r.starts_with("req_"))
    );
    err
}

pub fn qurl_body(url: &str) -> Value {
    serde_json::json!({ "target_url": url })
}
