//! One create call (`POST /v1/qurls`, same body, same decoded type) made
//! four ways, and the fixed-answer server they call: shared by the wall-time
//! bench (`overhead.rs`) and the instruction count (`instructions.rs`).

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming};
use qurl::types::{CreateQurlRequest, CreateQurlResponse};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use serde_json::json;

pub const API_KEY: &str = "lv_live_bench_key_000000";
pub const FIXED_KEY: &str = "0190a8f2-7c3e-7d4b-9a1e-0123456789ab";
pub const RESPONSE: &str = r#"{"data":{"qurl_id":"q_0123456789a","resource_id":"r_abcdefghijk","qurl_link":"https://qurl.link/#at_x"},"meta":{"request_id":"req_1"}}"#;

// ---------------------------------------------------------------- server

pub async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the request body so keep-alive connections stay clean.
    let _ = req.into_body().collect().await;
    Ok(Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(RESPONSE.as_bytes())))
        .expect("static response"))
}

// ---------------------------------------------------------------- clients

#[derive(Clone, Copy)]
pub enum Kind {
    Raw,
    NoRetry,
    Default,
    /// Raw reqwest with the same per-request timeout qurl always sets: shows
    /// how much of the gap is the timeout's timer, not the shim.
    RawTimeout,
}

pub const N_KINDS: usize = 4;
pub const KINDS: [Kind; N_KINDS] = [Kind::Raw, Kind::NoRetry, Kind::Default, Kind::RawTimeout];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Raw => "raw reqwest",
            Kind::NoRetry => "qurl retries off",
            Kind::Default => "qurl defaults",
            Kind::RawTimeout => "raw + 30 s timeout",
        }
    }
    pub fn idx(self) -> usize {
        self as usize
    }
}

pub struct Clients {
    raw: reqwest::Client,
    url: String,
    no_retry: qurl::Client,
    default: qurl::Client,
    body: CreateQurlRequest,
}

impl Clients {
    pub fn new(base: &str) -> Self {
        let body: CreateQurlRequest = serde_json::from_value(
            json!({"target_url": "https://example.com/x", "expires_in": "24h"}),
        )
        .expect("request body");
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("raw reqwest client");
        let no_retry = qurl::Client::builder()
            .api_key(API_KEY)
            .base_url(base)
            .retry_policy(qurl::RetryPolicy::none())
            .build()
            .expect("qurl client, retries off");
        let default = qurl::Client::builder()
            .api_key(API_KEY)
            .base_url(base)
            .retry_policy(qurl::RetryPolicy::default())
            .build()
            .expect("qurl client, defaults");
        Clients {
            raw,
            url: format!("{base}/v1/qurls"),
            no_retry,
            default,
            body,
        }
    }

    pub async fn call(&self, kind: Kind) {
        match kind {
            Kind::Raw => self.call_raw(None).await,
            Kind::RawTimeout => self.call_raw(Some(Duration::from_secs(30))).await,
            Kind::NoRetry => self.call_qurl(&self.no_retry).await,
            Kind::Default => self.call_qurl(&self.default).await,
        }
    }

    // Separate functions so a callgrind profile (instructions, repeatable)
    // attributes the client-side cost of each kind of call.
    #[inline(never)]
    async fn call_raw(&self, timeout: Option<Duration>) {
        let payload = serde_json::to_vec(&self.body).expect("serialize body");
        let mut req = self.raw.post(&self.url);
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req
            .header(
                AUTHORIZATION,
                concat!("Bearer ", "lv_live_bench_key_000000"),
            )
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, "qurl-rust/0.1.0")
            .header("idempotency-key", FIXED_KEY)
            .body(payload)
            .send()
            .await
            .expect("raw send");
        assert_eq!(resp.status().as_u16(), 201);
        let bytes = resp.bytes().await.expect("raw body");
        let parsed: CreateQurlResponse = serde_json::from_slice(&bytes).expect("raw parse");
        black_box(parsed);
    }

    #[inline(never)]
    async fn call_qurl(&self, client: &qurl::Client) {
        let out = client
            .post_qurls()
            .body(self.body.clone())
            .send()
            .await
            .expect("qurl send");
        black_box(out);
    }

    /// `total` calls of one client with `inflight` concurrent; returns elapsed.
    pub async fn run_concurrent(&self, kind: Kind, total: usize, inflight: usize) -> Duration {
        let start = Instant::now();
        stream::iter(0..total)
            .map(|_| self.call(kind))
            .buffer_unordered(inflight)
            .for_each(|()| async {})
            .await;
        start.elapsed()
    }
}
