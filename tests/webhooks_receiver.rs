//! The `webhook_receiver` example over HTTP on 127.0.0.1: duplicated,
//! concurrent and failed-then-retried deliveries are processed exactly once;
//! tampered or wrongly signed ones never.

mod webhook_receiver;

use std::sync::Arc;
use std::time::Duration;

use qurl::webhooks;
use webhook_receiver::{Running, start};

const NEW: &str = "whsec_new_0001";
const OLD: &str = "whsec_old_0001";

/// Posts deliveries to a running receiver.
struct Sender {
    receiver: Running,
    http: reqwest::Client,
}

async fn sender(secrets: &[&str], fail_first: usize, slow: Duration) -> Sender {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Sender {
        receiver: start(secrets, fail_first, slow).await,
        http,
    }
}

fn body(event_id: &str) -> String {
    format!(
        r#"{{"id":"{event_id}","type":"qurl.created","owner_id":"o_1","timestamp":"2026-01-01T00:00:00Z","data":{{"qurl_id":"q_1"}}}}"#
    )
}

impl Sender {
    /// Posts `body` as delivery `delivery` with `signature`; the status.
    async fn post(&self, body: &str, signature: &str, delivery: &str) -> u16 {
        self.http
            .post(&self.receiver.url)
            .header("qurl-signature", signature)
            .header("qurl-event", "qurl.created")
            .header("qurl-delivery", delivery)
            .header("user-agent", webhooks::USER_AGENT)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn deliver(&self, secret: &str, delivery: &str) -> u16 {
        let body = body(&format!("evt_{delivery}"));
        self.post(&body, &webhooks::sign(body.as_bytes(), secret), delivery)
            .await
    }

    fn processed(&self) -> Vec<String> {
        self.receiver.processed()
    }
}

#[tokio::test]
async fn a_repeated_delivery_is_answered_200_and_processed_once() {
    let receiver = sender(&[NEW], 0, Duration::ZERO).await;
    for _ in 0..3 {
        assert_eq!(receiver.deliver(NEW, "wd_0000000000000001").await, 200);
    }
    assert_eq!(receiver.deliver(NEW, "wd_0000000000000002").await, 200);
    assert_eq!(
        receiver.processed(),
        ["wd_0000000000000001", "wd_0000000000000002"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_copies_of_a_slow_delivery_run_once_and_the_rest_ask_for_a_retry() {
    let receiver = Arc::new(sender(&[NEW], 0, Duration::from_millis(200)).await);
    let copies: Vec<_> = (0..6)
        .map(|_| {
            let receiver = receiver.clone();
            tokio::spawn(async move { receiver.deliver(NEW, "wd_0000000000000003").await })
        })
        .collect();
    let mut statuses = Vec::new();
    for copy in copies {
        statuses.push(copy.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200), "{statuses:?}");
    // qURL retries the 409s later: they are then answered 200, not rerun.
    assert_eq!(receiver.deliver(NEW, "wd_0000000000000003").await, 200);
    assert_eq!(receiver.processed(), ["wd_0000000000000003"]);
}

#[tokio::test]
async fn a_failed_run_is_answered_500_and_the_redelivery_is_processed() {
    let receiver = sender(&[NEW], 2, Duration::ZERO).await;
    assert_eq!(receiver.deliver(NEW, "wd_0000000000000004").await, 500);
    assert_eq!(receiver.deliver(NEW, "wd_0000000000000004").await, 500);
    assert_eq!(receiver.deliver(NEW, "wd_0000000000000004").await, 200);
    assert_eq!(receiver.deliver(NEW, "wd_0000000000000004").await, 200);
    assert_eq!(receiver.processed(), ["wd_0000000000000004"]);
}

#[tokio::test]
async fn tampered_and_wrongly_signed_deliveries_are_refused_and_rotation_works() {
    let receiver = sender(&[NEW, OLD], 0, Duration::ZERO).await;
    let original = body("evt_1");
    let signature = webhooks::sign(original.as_bytes(), NEW);
    let tampered = original.replace("q_1", "q_2");
    assert_eq!(
        receiver
            .post(&tampered, &signature, "wd_0000000000000005")
            .await,
        400
    );
    assert_eq!(
        receiver
            .deliver("whsec_attacker", "wd_0000000000000006")
            .await,
        400
    );
    assert_eq!(
        receiver
            .post(&original, "not-a-signature", "wd_0000000000000007")
            .await,
        400
    );
    assert!(receiver.processed().is_empty());

    // Mid-rotation both secrets verify; after it, only the new one.
    assert_eq!(receiver.deliver(OLD, "wd_0000000000000008").await, 200);
    assert_eq!(receiver.deliver(NEW, "wd_0000000000000009").await, 200);
    let rotated = sender(&[NEW], 0, Duration::ZERO).await;
    assert_eq!(rotated.deliver(OLD, "wd_000000000000000a").await, 400);
    assert_eq!(rotated.deliver(NEW, "wd_000000000000000a").await, 200);
    assert_eq!(
        receiver.processed(),
        ["wd_0000000000000008", "wd_0000000000000009"]
    );
}
