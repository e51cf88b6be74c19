//! End to end: the sandbox's signed delivery → the `webhook_receiver`
//! example (verification + in-memory store), with duplicated, delayed,
//! dropped and retried deliveries injected. Every event is processed exactly
//! once; a tampered body and a wrong secret are refused; rotation works.

mod webhook_receiver;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use qurl::types::{WebhookEventType, WebhookPayload};
use qurl_sandbox::delivery::{self, DeliveryFault, DeliveryFaults, Outgoing, Policy, Status};
use webhook_receiver::start;

const NEW: &str = "whsec_e2e_new_0001";
const OLD: &str = "whsec_e2e_old_0001";

/// Event `n` as the sandbox would send it: a generated `WebhookPayload`.
fn outgoing(url: &str, secret: &str, n: usize) -> Outgoing {
    let payload = WebhookPayload {
        id: Some(format!("evt_{n:016}")),
        type_: Some(WebhookEventType("qurl.accessed".into())),
        owner_id: Some("owner_e2e".into()),
        timestamp: Some(chrono::Utc::now()),
        api_version: Some("2026-08-01".into()),
        data: serde_json::json!({
            "qurl_id": format!("q_{n}"),
            "resource_id": "r_e2e",
            "access_count": n,
            "consumed": false,
        })
        .as_object()
        .cloned()
        .unwrap(),
    };
    Outgoing {
        delivery_id: format!("wd_{n:016}"),
        webhook_id: "wh_e2e0000000000000".into(),
        url: url.into(),
        secret: secret.into(),
        event_type: "qurl.accessed".into(),
        body: serde_json::to_vec(&payload).unwrap(),
    }
}

fn policy() -> Policy {
    Policy {
        max_attempts: 8,
        attempt_timeout: Duration::from_secs(2),
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_is_processed_exactly_once_through_duplicates_drops_and_retries() {
    const EVENTS: usize = 40;
    let receiver = start(&[NEW], 3, Duration::ZERO).await;
    // Half of all attempts faulted (seeded, so the run repeats exactly), plus
    // a scripted duplicate first so one is certain.
    let faults = Arc::new(DeliveryFaults::seeded(0.5, 13).with_delay(Duration::from_millis(30)));
    faults.script(DeliveryFault::Duplicate, 1);

    let deliveries: Vec<_> = (0..EVENTS)
        .map(|n| {
            let outgoing = outgoing(&receiver.url, NEW, n);
            let faults = faults.clone();
            tokio::spawn(
                async move { delivery::deliver(&outgoing, &policy(), &faults, &|_| {}).await },
            )
        })
        .collect();
    let mut records = Vec::new();
    for delivery in deliveries {
        records.push(delivery.await.unwrap());
    }

    assert!(
        records.iter().all(|r| r.status == Status::Success),
        "{:?}",
        records
            .iter()
            .filter(|r| r.status != Status::Success)
            .collect::<Vec<_>>()
    );
    let posts: u32 = records.iter().map(|r| r.posts_sent).sum();
    let retried = records.iter().filter(|r| r.retry_count > 0).count();
    assert!(
        posts as usize > EVENTS,
        "duplicates reached the receiver: {posts} posts"
    );
    assert!(
        retried >= 3,
        "failed and dropped attempts were retried: {retried}"
    );

    let mut processed = BTreeMap::new();
    for id in receiver.processed() {
        *processed.entry(id).or_insert(0) += 1;
    }
    let expected: BTreeMap<String, usize> =
        (0..EVENTS).map(|n| (format!("wd_{n:016}"), 1)).collect();
    assert_eq!(processed, expected, "each delivery processed exactly once");
}

#[tokio::test]
async fn a_tampered_body_and_a_wrong_secret_are_refused() {
    let receiver = start(&[NEW], 0, Duration::ZERO).await;
    let refused_policy = Policy {
        max_attempts: 2,
        ..policy()
    };

    let wrong = outgoing(&receiver.url, "whsec_not_this_webhooks", 1);
    let record =
        delivery::deliver(&wrong, &refused_policy, &DeliveryFaults::default(), &|_| {}).await;
    assert_eq!(
        (record.status, record.response_code),
        (Status::Abandoned, Some(400))
    );

    // Signed by the sandbox, then changed on the way.
    let genuine = outgoing(&receiver.url, NEW, 2);
    let tampered = String::from_utf8(genuine.body.clone())
        .unwrap()
        .replace("q_2", "q_9");
    let status = reqwest::Client::new()
        .post(&receiver.url)
        .header("qurl-signature", delivery::signature(&genuine.body, NEW))
        .header("qurl-event", "qurl.accessed")
        .header("qurl-delivery", &genuine.delivery_id)
        .body(tampered)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 400);
    assert!(receiver.processed().is_empty());

    // The genuine delivery still goes through afterwards.
    let record = delivery::deliver(&genuine, &policy(), &DeliveryFaults::default(), &|_| {}).await;
    assert_eq!(record.status, Status::Success);
    assert_eq!(receiver.processed(), ["wd_0000000000000002"]);
}

#[tokio::test]
async fn during_a_rotation_events_signed_with_either_secret_are_processed() {
    // Events produced before the rotation are still in flight, signed with
    // the old secret; the receiver accepts both until it drops the old one.
    let rotating = start(&[NEW, OLD], 0, Duration::ZERO).await;
    let faults = DeliveryFaults::default();
    for (n, secret) in [(1, OLD), (2, NEW)] {
        let record = delivery::deliver(
            &outgoing(&rotating.url, secret, n),
            &policy(),
            &faults,
            &|_| {},
        )
        .await;
        assert_eq!(record.status, Status::Success, "signed with {n}");
    }
    assert_eq!(rotating.processed().len(), 2);

    let rotated = start(&[NEW], 0, Duration::ZERO).await;
    let short = Policy {
        max_attempts: 2,
        ..policy()
    };
    let stale = delivery::deliver(&outgoing(&rotated.url, OLD, 3), &short, &faults, &|_| {}).await;
    assert_eq!(
        (stale.status, stale.response_code),
        (Status::Abandoned, Some(400))
    );
    let fresh = delivery::deliver(&outgoing(&rotated.url, NEW, 3), &short, &faults, &|_| {}).await;
    assert_eq!(fresh.status, Status::Success);
    assert_eq!(rotated.processed().len(), 1);
}
