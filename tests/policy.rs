//! Each `RetryPolicy` setting changes what the retry loop does: how many
//! retries, and which delays (recorded, not slept).

mod support;

use std::time::Duration;

use httpmock::prelude::*;
use support::*;

/// `GET /v1/quota` answered 503 every time under `policy` (with recorded
/// sleeps): the requests made and the delays asked for, in whole ms.
async fn always_503(policy: qurl::RetryPolicy) -> (usize, Vec<u128>) {
    let server = MockServer::start_async().await;
    let rec = script(&server, GET, "/v1/quota", vec![reply(503, "")]);
    let sleeps = Sleeps::default();
    let client = client(&server.base_url(), policy.sleeper(sleeps.sleeper()));
    assert!(client.get_quota().send().await.is_err());
    let delays = sleeps.all().iter().map(Duration::as_millis).collect();
    (rec.count(), delays)
}

const MS: Duration = Duration::from_millis(1);

#[tokio::test]
async fn max_retries_bounds_the_attempts() {
    let policy = qurl::RetryPolicy::default().jitter(false).max_retries(1);
    assert_eq!(always_503(policy).await, (2, vec![500]));
}

#[tokio::test]
async fn delays_double_from_the_initial_delay_up_to_the_cap() {
    let policy = qurl::RetryPolicy::default()
        .jitter(false)
        .max_retries(4)
        .initial_delay(100 * MS)
        .max_delay(250 * MS);
    assert_eq!(always_503(policy).await, (5, vec![100, 200, 250, 250]));
}

/// `POST /v1/qurls` answered `first` then 201, under `policy` (sleeps
/// recorded): how many requests were made.
async fn requests_after(first: Reply, policy: qurl::RetryPolicy) -> usize {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![first, reply(201, CREATED_QURL)],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    let view = client.with_retry_policy(policy.sleeper(Sleeps::default().sleeper()));
    let _ = view
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await;
    rec.count()
}

#[tokio::test]
async fn no_deadline_keeps_the_other_settings() {
    let policy = qurl::RetryPolicy::default()
        .max_retries(1)
        .deadline(Duration::from_secs(60))
        .no_deadline();
    assert_eq!(always_503(policy).await.0, 2);
}

#[tokio::test]
async fn a_server_wait_longer_than_max_server_delay_ends_the_call() {
    let limited = || reply(429, problem(429, "rate_limited")).header("retry-after", "5");
    let patient = qurl::RetryPolicy::default();
    assert_eq!(requests_after(limited(), patient).await, 2);
    let impatient = qurl::RetryPolicy::default().max_server_delay(Duration::from_secs(2));
    assert_eq!(requests_after(limited(), impatient).await, 1);
}

#[tokio::test]
async fn retry_statuses_replaces_the_retried_statuses() {
    let failed = || reply(500, problem(500, "internal_error"));
    assert_eq!(
        requests_after(failed(), qurl::RetryPolicy::default()).await,
        1
    );
    let policy = qurl::RetryPolicy::default().retry_statuses([500]);
    assert_eq!(requests_after(failed(), policy).await, 2);
}

#[tokio::test]
async fn retry_in_flight_conflict_can_be_turned_off() {
    let in_flight = || reply(409, problem(409, "duplicate_request"));
    assert_eq!(
        requests_after(in_flight(), qurl::RetryPolicy::default()).await,
        2
    );
    let policy = qurl::RetryPolicy::default().retry_in_flight_conflict(false);
    assert_eq!(requests_after(in_flight(), policy).await, 1);
}

#[tokio::test]
async fn a_retry_after_a_timeout_costs_timeout_retry_cost() {
    let server = raw_server(vec![
        RawStep::Silent(Duration::from_secs(3)),
        RawStep::Answer(CREATED_QURL.into()),
    ])
    .await;
    let policy = qurl::RetryPolicy::default()
        .timeout_retry_cost(20)
        .success_refund(0)
        .sleeper(Sleeps::default().sleeper());
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(format!("http://{}", server.addr))
        .timeout(300 * MS)
        .retry_policy(policy)
        .retry_budget(100)
        .build()
        .unwrap();
    let created = client
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await;
    assert_eq!(created.expect("retried after the timeout").status(), 201);
    assert_eq!(client.retry_budget_available(), 80);
}
