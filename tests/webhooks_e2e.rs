//! End to end: the sandbox's signed delivery → the `webhook_receiver`
//! example (verification + in-memory store), with duplicated, delayed,
//! dropped and retried deliveries injected. Every event is processed exactly
//! once; a tampered body and a wrong secret are refused; rotation works.
//! The first test goes through the sandbox's API with the qurl client
//! (events produced by creating qURLs); the others drive its delivery
//! module directly, to control the bytes and secrets.

mod webhook_receiver;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use qurl::types::{
    CreateQurlRequest, CreateWebhookRequest, UpdateWebhookRequest, WebhookEventType, WebhookPayload,
};
use qurl_sandbox::Sandbox;
use qurl_sandbox::delivery::{self, DeliveryFault, DeliveryFaults, Outgoing, Policy, Status};
use serde_json::json;
use webhook_receiver::{Running, start};

const NEW: &str = "whsec_e2e_new_0001";
const OLD: &str = "whsec_e2e_old_0001";

/// A request body of a generated type, from JSON.
fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid request body")
}

/// Points webhook `hook` at `receiver`.
async fn point(client: &qurl::Client, hook: &str, receiver: &Running) {
    let change: UpdateWebhookRequest = body(json!({ "url": receiver.url }));
    client
        .patch_webhooks_id()
        .id(hook)
        .body(change)
        .send()
        .await
        .unwrap();
}

async fn create_qurl(client: &qurl::Client, n: usize) {
    let create: CreateQurlRequest =
        body(json!({ "target_url": format!("https://example.com/{n}") }));
    client.post_qurls().body(create).send().await.unwrap();
}

/// The webhook's deliveries once none is pending or retrying (bounded wait):
/// (delivery id, status, response code).
async fn settled(client: &qurl::Client, hook: &str) -> Vec<(String, String, Option<i64>)> {
    for _ in 0..500 {
        let page = client
            .get_webhooks_id_deliveries()
            .id(hook)
            .limit(100)
            .send()
            .await
            .unwrap()
            .into_inner();
        let rows: Vec<_> = page
            .data
            .into_iter()
            .map(|d| {
                (
                    d.delivery_id.unwrap_or_default(),
                    d.status.unwrap_or_default(),
                    d.response_code,
                )
            })
            .collect();
        if rows
            .iter()
            .all(|(_, status, _)| status != "pending" && status != "retrying")
        {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the deliveries of {hook} did not settle within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sandbox_events_reach_the_receiver_exactly_once_through_faults_and_a_rotation() {
    const QURLS: usize = 20;
    let sandbox = Sandbox::builder()
        .seed(13)
        .delivery_policy(policy())
        .delivery_fault_rate(0.5)
        .delivery_delay(Duration::from_millis(30))
        .start()
        .await
        .unwrap();
    sandbox.script_delivery(DeliveryFault::Duplicate, 2);
    let client = qurl::Client::builder()
        .api_key("lv_live_test_owner_key_0001")
        .base_url(sandbox.base_url())
        .build()
        .unwrap();

    // Created on a placeholder URL, so the receiver can start with its secret.
    let placeholder: CreateWebhookRequest =
        body(json!({"url": "http://127.0.0.1:9/unused", "events": ["qurl.created"]}));
    let created = client
        .post_webhooks()
        .body(placeholder)
        .send()
        .await
        .unwrap()
        .into_inner();
    let created = created.data.unwrap();
    let (hook, first_secret) = (created.webhook_id.unwrap(), created.secret.unwrap());
    // Its handler fails twice (answers 500): those deliveries are retried.
    let receiver = start(&[&first_secret], 2, Duration::ZERO).await;
    point(&client, &hook, &receiver).await;

    for n in 0..QURLS {
        create_qurl(&client, n).await;
    }
    let rows = settled(&client, &hook).await;
    assert_eq!(rows.len(), QURLS);
    assert!(
        rows.iter()
            .all(|(_, status, code)| status == "success" && *code == Some(200)),
        "{rows:?}"
    );
    let mut listed: Vec<String> = rows.into_iter().map(|(id, _, _)| id).collect();
    let mut processed = receiver.processed();
    listed.sort();
    processed.sort();
    assert_eq!(processed, listed, "every delivery processed exactly once");

    // Rotation: the receiver takes the new secret and keeps the previous one.
    let rotated = client
        .post_webhooks_id_secret()
        .id(&hook)
        .send()
        .await
        .unwrap()
        .into_inner();
    let new_secret = rotated.data.unwrap().secret.unwrap();
    assert_ne!(new_secret, first_secret);
    let rotating = start(&[&new_secret, &first_secret], 0, Duration::ZERO).await;
    point(&client, &hook, &rotating).await;
    create_qurl(&client, QURLS).await;
    // A receiver that only knows the previous secret refuses what follows.
    point(&client, &hook, &receiver).await;
    create_qurl(&client, QURLS + 1).await;

    let rows = settled(&client, &hook).await;
    let last_two: Vec<_> = rows
        .iter()
        .filter(|(id, _, _)| !listed.contains(id))
        .collect();
    assert_eq!(last_two.len(), 2, "{rows:?}");
    let accepted: Vec<_> = last_two.iter().filter(|(_, s, _)| s == "success").collect();
    let refused: Vec<_> = last_two
        .iter()
        .filter(|(_, s, c)| s == "abandoned" && *c == Some(400))
        .collect();
    assert_eq!((accepted.len(), refused.len()), (1, 1), "{last_two:?}");
    assert_eq!(rotating.processed(), [accepted[0].0.clone()]);
    assert_eq!(
        receiver.processed().len(),
        QURLS,
        "the refused one was not processed"
    );
}

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
