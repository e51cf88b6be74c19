//! A webhook receiver on 127.0.0.1 for the delivery tests: it records each
//! POST and answers from a script, then 200.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// How the test receiver answers one request.
#[derive(Clone, Copy)]
pub enum Answer {
    /// Answers with this status.
    Status(u16),
    /// Answers 200, too late for the sender's attempt timeout.
    TooSlow,
    /// Answers 500 with a 100 KiB body.
    Huge,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub script: Arc<Mutex<VecDeque<Answer>>>,
    pub seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    receiver.seen.lock().unwrap().push((headers, body));
    let answer = receiver.script.lock().unwrap().pop_front();
    match answer.unwrap_or(Answer::Status(200)) {
        Answer::Status(code) => (StatusCode::from_u16(code).unwrap(), String::new()),
        Answer::TooSlow => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            (StatusCode::OK, String::new())
        }
        Answer::Huge => (StatusCode::INTERNAL_SERVER_ERROR, "x".repeat(100 * 1024)),
    }
}

/// A receiver on 127.0.0.1 answering `script` in order, then 200s.
pub async fn receiver(script: &[Answer]) -> (Receiver, String) {
    let receiver = Receiver::default();
    receiver
        .script
        .lock()
        .unwrap()
        .extend(script.iter().copied());
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (receiver, url)
}

/// Header `name` as text ("" when absent).
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
