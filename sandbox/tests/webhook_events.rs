//! Webhooks through the sandbox's API: an event produced by a call is
//! POSTed, signed with the webhook's secret, to its loopback URL, and
//! `GET /v1/webhooks/{id}/deliveries` shows how it went. A non-loopback URL
//! is never contacted.

mod common;
mod loopback_receiver;

use std::time::Duration;

use common::{Api, parts, qurl_body};
use loopback_receiver::{Answer, header, receiver};
use qurl_sandbox::Sandbox;
use qurl_sandbox::delivery::{self, DeliveryFault, Policy};
use serde_json::{Value, json};

async fn sandbox() -> Api {
    Api::start(Sandbox::builder().delivery_policy(Policy {
        max_attempts: 3,
        attempt_timeout: Duration::from_secs(2),
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }))
    .await
}

/// Creates a webhook for `events`; its id and secret.
async fn webhook(api: &Api, url: &str, events: &[&str]) -> (String, String) {
    let (status, _, body) = parts(
        api.post("/v1/webhooks", None, &json!({"url": url, "events": events}))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let data = &body["data"];
    (
        data["webhook_id"].as_str().unwrap().to_owned(),
        data["secret"].as_str().unwrap().to_owned(),
    )
}

/// The webhook's deliveries once none is pending or retrying (bounded wait).
async fn settled_deliveries(api: &Api, webhook_id: &str) -> Vec<Value> {
    for _ in 0..250 {
        let (_, _, body) = parts(
            api.get(&format!("/v1/webhooks/{webhook_id}/deliveries"))
                .await,
        )
        .await;
        let rows = body["data"].as_array().cloned().unwrap_or_default();
        let busy = |d: &Value| matches!(d["status"].as_str(), Some("pending" | "retrying"));
        if !rows.is_empty() && !rows.iter().any(busy) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("deliveries of {webhook_id} did not settle within 5 s");
}

#[tokio::test]
async fn a_created_qurl_is_delivered_signed_and_listed_as_a_success() {
    let api = sandbox().await;
    let (receiver, url) = receiver(&[]).await;
    let (hook, secret) = webhook(&api, &url, &["qurl.created"]).await;
    let (status, _, _) = parts(
        api.post("/v1/qurls", None, &qurl_body("https://example.com/a"))
            .await,
    )
    .await;
    assert_eq!(status, 201);

    let rows = settled_deliveries(&api, &hook).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(
        (row["status"].as_str(), row["response_code"].as_u64()),
        (Some("success"), Some(200))
    );
    assert_eq!(row["event_type"], "qurl.created");
    assert!(row["completed_at"].is_string());
    let (_, _, shown) = parts(api.get(&format!("/v1/webhooks/{hook}")).await).await;
    assert_eq!(shown["data"]["failure_count"], 0, "{shown}");
    assert_eq!(shown["data"]["last_delivery_success"], true);

    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(
        header(headers, "qurl-delivery"),
        row["delivery_id"].as_str().unwrap()
    );
    assert_eq!(header(headers, "qurl-event"), "qurl.created");
    assert_eq!(header(headers, "user-agent"), "QURL-Webhook/1.0");
    assert_eq!(
        header(headers, "qurl-signature"),
        delivery::signature(body, &secret)
    );
    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["type"], "qurl.created");
    assert!(
        payload["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("evt_"))
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_the_same_delivery_then_abandoned() {
    let api = sandbox().await;
    let (receiver, url) = receiver(&[Answer::Status(503); 8]).await;
    let (hook, _) = webhook(&api, &url, &["qurl.created"]).await;
    api.sb.script_delivery(DeliveryFault::Duplicate, 1);
    parts(
        api.post("/v1/qurls", None, &qurl_body("https://example.com/b"))
            .await,
    )
    .await;

    let rows = settled_deliveries(&api, &hook).await;
    let row = &rows[0];
    assert_eq!(row["status"], "abandoned");
    // The webhook itself shows the failure.
    let (_, _, shown) = parts(api.get(&format!("/v1/webhooks/{hook}")).await).await;
    assert_eq!(shown["data"]["failure_count"], 1, "{shown}");
    assert_eq!(shown["data"]["last_delivery_success"], false);
    assert!(
        shown["data"]["last_delivery_time"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000)
    );
    assert_eq!(
        (row["retry_count"].as_u64(), row["response_code"].as_u64()),
        (Some(2), Some(503))
    );
    let seen = receiver.seen.lock().unwrap();
    // Three attempts, the first one duplicated: four POSTs, one delivery id.
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter()
            .all(|(h, _)| header(h, "qurl-delivery") == row["delivery_id"].as_str().unwrap())
    );
}

#[tokio::test]
async fn a_webhook_off_the_machine_is_recorded_failed_and_never_contacted() {
    let api = sandbox().await;
    let (hook, _) = webhook(&api, "https://hooks.example/in", &["qurl.created"]).await;
    parts(
        api.post("/v1/qurls", None, &qurl_body("https://example.com/c"))
            .await,
    )
    .await;
    let rows = settled_deliveries(&api, &hook).await;
    assert_eq!(rows[0]["status"], "failed");
    assert!(
        rows[0]["error_message"]
            .as_str()
            .unwrap()
            .contains("not delivered")
    );
    assert_eq!(rows[0]["retry_count"], 0);
}
