//! Replay safety per operation, from the spec: a mutating operation whose
//! spec declares no `Idempotency-Key` is retried only when the request never
//! reached the handler, unless the caller opts in.

mod support;

use httpmock::prelude::*;
use qurl::ErrorKind;
use support::*;

const CREATED_RESOURCE: &str =
    r#"{"data":{"resource_id":"r_abcdefghijk"},"meta":{"request_id":"req_r"}}"#;

/// A mock API whose `POST /v1/resources` answers `replies` in turn, and a
/// client for it with fast retries.
async fn resources_answering(replies: Vec<Reply>) -> (MockServer, Recorder, qurl::Client) {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/resources", replies);
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    (server, rec, client)
}

fn create_resource(client: &qurl::Client) -> qurl::builder::PostResources<'_> {
    client
        .post_resources()
        .body_map(|b| b.target_url("https://example.com/app"))
}

#[tokio::test]
async fn an_undeclared_create_answered_503_is_not_replayed_and_the_503_is_returned() {
    let (_server, rec, client) = resources_answering(vec![
        reply(503, problem(503, "unavailable")),
        reply(201, CREATED_RESOURCE),
    ])
    .await;
    let err = create_resource(&client).send().await.unwrap_err();
    assert_eq!(
        rec.count(),
        1,
        "one request: a replay could create a second resource"
    );
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(err.outcome_unknown());
    let key = err.idempotency_key().expect("the key it sent");
    assert_eq!(rec.all()[0].key(), Some(key), "the key is still sent");
    assert!(
        err.to_string().contains(key),
        "the message names the key: {err}"
    );
}

#[tokio::test]
async fn an_undeclared_create_dropped_after_the_request_was_read_is_not_replayed() {
    let server = raw_server(vec![
        RawStep::Drop,
        RawStep::Answer(CREATED_RESOURCE.into()),
    ])
    .await;
    let client = client(
        &format!("http://{}", server.addr),
        fast_policy(&Sleeps::default()),
    );
    let err = create_resource(&client).send().await.unwrap_err();
    assert_eq!(server.requests.lock().unwrap().len(), 1);
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.outcome_unknown(), "it may have been carried out");
}

#[tokio::test]
async fn an_undeclared_create_answered_429_is_retried_with_the_same_key() {
    let (_server, rec, client) = resources_answering(vec![
        reply(429, problem(429, "rate_limited")),
        reply(201, CREATED_RESOURCE),
    ])
    .await;
    create_resource(&client)
        .send()
        .await
        .expect("429 never reached the handler");
    let seen = rec.all();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].key(), seen[1].key());
}

#[tokio::test]
async fn assume_idempotent_replays_an_undeclared_operation_with_the_same_key() {
    let (_server, rec, client) = resources_answering(vec![
        reply(503, problem(503, "unavailable")),
        reply(201, CREATED_RESOURCE),
    ])
    .await;
    let per_call =
        client.with_retry_policy(fast_policy(&Sleeps::default()).assume_idempotent(true));
    create_resource(&per_call).send().await.expect("replayed");
    let seen = rec.all();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].key().is_some());
    assert_eq!(seen[0].key(), seen[1].key());
}

#[tokio::test]
async fn a_declared_create_is_still_retried_after_a_502() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(502, ""), reply(201, CREATED_QURL)],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    client
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .expect("retried with its key");
    let seen = rec.all();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].key(), seen[1].key());
}

/// Retries run out on a keyed create: the caller learns the outcome is
/// unknown and resumes with the same key, which the server answers once.
#[tokio::test]
async fn an_unknown_outcome_is_resumed_with_the_key_from_the_error() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![
            reply(503, ""),
            reply(503, ""),
            reply(503, ""),
            reply(503, ""),
            reply(201, CREATED_QURL),
        ],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    let err = client
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .unwrap_err();
    assert!(err.outcome_unknown());
    let key = err.idempotency_key().unwrap().to_owned();
    client
        .post_qurls()
        .idempotency_key(key.as_str())
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .expect("resumed");
    assert!(rec.all().iter().all(|s| s.key() == Some(key.as_str())));
    assert_eq!(rec.count(), 5);
}

#[tokio::test]
async fn definite_answers_are_not_unknown_outcomes() {
    let server = MockServer::start_async().await;
    let _rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(404, problem(404, "not_found"))],
    );
    let err = client(&server.base_url(), fast_policy(&Sleeps::default()))
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .unwrap_err();
    assert!(!err.outcome_unknown());
    // A refused connection never reached the server either.
    let refused = refused_base_url();
    let err = client(&refused, qurl::RetryPolicy::none())
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(!err.outcome_unknown(), "{err}");
}

/// The API stores a keyed call's 4xx under its key for 24 h: the message
/// says to fix the request and use a new key. Undeclared operations do not.
#[tokio::test]
async fn a_keyed_4xx_says_it_is_cached_under_the_key() {
    let server = MockServer::start_async().await;
    let _q = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(400, problem(400, "validation_error"))],
    );
    let _r = script(
        &server,
        POST,
        "/v1/resources",
        vec![reply(400, problem(400, "validation_error"))],
    );
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let keyed = client
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .unwrap_err();
    let text = keyed.to_string();
    assert!(text.contains("24 h") && text.contains("new key"), "{text}");
    assert!(text.contains(keyed.idempotency_key().unwrap()));
    let unkeyed = create_resource(&client).send().await.unwrap_err();
    assert!(!unkeyed.to_string().contains("24 h"), "{unkeyed}");
}
