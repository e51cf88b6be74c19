//! The retry budget's refunds: a success puts tokens back, never above the
//! budget's size. (What each retry costs is in `classify.rs`.)

mod support;

use httpmock::prelude::*;
use support::*;

fn client_with_budget(base: &str, budget: u32) -> qurl::Client {
    qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(base)
        .retry_policy(fast_policy(&Sleeps::default()).success_refund(3))
        .retry_budget(budget)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_success_refunds_below_the_size_and_never_above_it() {
    let server = MockServer::start_async().await;
    let quota = reply(200, r#"{"data":{},"meta":{"request_id":"r"}}"#);
    let rec = script(&server, GET, "/v1/quota", vec![reply(503, ""), quota]);
    let client = client_with_budget(&server.base_url(), 12);

    // 503, retry for 5 (12 -> 7), success refunds 3 (-> 10).
    client.get_quota().send().await.expect("retried");
    assert_eq!(rec.count(), 2);
    assert_eq!(client.retry_budget_available(), 10);
    // Refunds of 3 from 10: capped at the size, 12, and kept there.
    for _ in 0..3 {
        client.get_quota().send().await.unwrap();
        assert_eq!(client.retry_budget_available(), 12);
    }
}

/// Only a success refunds: a call that ends in a final error (a 400) leaves
/// the budget as its retries left it.
#[tokio::test]
async fn a_call_that_ends_in_an_error_refunds_nothing() {
    let server = MockServer::start_async().await;
    let refused = reply(400, problem(400, "validation_error"));
    let rec = script(&server, GET, "/v1/quota", vec![reply(503, ""), refused]);
    let client = client_with_budget(&server.base_url(), 12);

    // 503, retry for 5 (12 -> 7), then a 400: final, and no refund.
    client.get_quota().send().await.unwrap_err();
    assert_eq!(rec.count(), 2);
    assert_eq!(client.retry_budget_available(), 7);
}
