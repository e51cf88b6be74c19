//! A qURL webhook receiver: verifies each delivery's signature, processes
//! each event once however often qURL delivers it, and answers 2xx.
//!
//! ```sh
//! QURL_WEBHOOK_SECRETS=whsec_new,whsec_old cargo run --example webhook_receiver
//! ```
//!
//! listens on `127.0.0.1:3000` (`QURL_WEBHOOK_ADDR` to change) at
//! `POST /webhooks/qurl`. Give the new and the previous secret while rotating.
//! The same shape fits actix-web or hyper: all it needs is the raw body bytes
//! and the headers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use qurl::webhooks::{self, Event, MemoryStore, OncePerDelivery};

/// Your processing of one event. `Err` makes the receiver answer 500, so
/// qURL delivers the event again and it is processed then.
pub type OnEvent = Arc<dyn Fn(&Event) -> Result<(), String> + Send + Sync>;

/// The path qURL posts to (the webhook's `url`).
pub const PATH: &str = "/webhooks/qurl";

#[derive(Clone)]
struct Receiver {
    secrets: Arc<[String]>,
    once: OncePerDelivery<MemoryStore>,
    on_event: OnEvent,
}

/// The receiver as an axum router: verify, deduplicate, answer.
pub fn router(secrets: Vec<String>, on_event: OnEvent) -> Router {
    let receiver = Receiver {
        secrets: secrets.into(),
        once: OncePerDelivery::new(MemoryStore::default()),
        on_event,
    };
    Router::new()
        .route(PATH, post(receive))
        .with_state(receiver)
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let secrets: Vec<&str> = receiver.secrets.iter().map(String::as_str).collect();
    // Verify first, over the raw bytes: nothing unverified is ever processed.
    let event = match webhooks::construct_event(&body, &headers, &secrets) {
        Ok(event) => event,
        Err(err) => {
            // Safe to log: errors never contain a secret or the signature.
            tracing::warn!(error = %err, "refused a webhook delivery");
            return StatusCode::BAD_REQUEST;
        }
    };
    let outcome = receiver
        .once
        .run(event.delivery_id(), || async {
            (receiver.on_event)(&event)
        })
        .await;
    match outcome {
        // 200 for processed now or before; 409 while another request for the
        // same delivery is still running, so qURL retries later.
        Ok(processed) => processed.status(),
        Err(err) => {
            tracing::warn!(delivery = event.delivery_id(), error = %err, "webhook not processed");
            err.status()
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let secrets: Vec<String> = std::env::var("QURL_WEBHOOK_SECRETS")
        .map_err(
            |_| "set QURL_WEBHOOK_SECRETS to the webhook's whsec_… secret(s), comma-separated",
        )?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let addr = std::env::var("QURL_WEBHOOK_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());

    let on_event: OnEvent = Arc::new(|event: &Event| {
        match event.qurl_accessed() {
            Some(accessed) => println!(
                "{} {}: {} opened ({} times)",
                event.delivery_id(),
                event.event_type(),
                accessed.qurl_id,
                accessed.access_count
            ),
            None => println!("{} {}", event.delivery_id(), event.event_type()),
        }
        Ok(())
    });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("receiving qURL webhooks on http://{addr}{PATH}");
    axum::serve(listener, router(secrets, on_event)).await?;
    Ok(())
}
