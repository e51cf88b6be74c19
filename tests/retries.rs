//! The shim's promise, end to end against httpmock and raw TCP servers:
//! one key per logical call, reused on every retry, never a duplicate.

mod support;

use std::time::Duration;

use httpmock::prelude::*;
use qurl::{ErrorKind, WasReplayed};
use serde_json::json;
use support::*;

fn qurl_body() -> qurl::types::CreateQurlRequest {
    serde_json::from_value(json!({"target_url": "https://example.com/report", "expires_in": "24h"}))
        .unwrap()
}

/// Assert the definition of done for one retried mutating call.
fn assert_one_key_reused(seen: &[Seen]) {
    assert_eq!(seen.len(), 2, "one failure, one retry");
    let k1 = seen[0].key().expect("first attempt carries a key");
    assert!(is_uuid_v7(k1), "UUIDv7, lower-case: {k1}");
    assert_eq!(seen[1].key(), Some(k1), "the retry carries the same key");
    assert_eq!(
        seen[0].body, seen[1].body,
        "the retry carries the same bytes"
    );
}

fn snapshot(name: &str, seen: &[Seen]) {
    let view = snapshot_view(seen);
    assert_no_secret(&serde_json::to_string(&view).unwrap());
    snapshot_settings().bind(|| insta::assert_yaml_snapshot!(name, view));
}

#[tokio::test]
async fn post_qurls_503_then_201_reuses_the_key() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![
            reply(503, problem(503, "service_unavailable")),
            reply(201, CREATED_QURL),
        ],
    );
    let sleeps = Sleeps::default();
    let client = client(&server.base_url(), fast_policy(&sleeps));

    let created = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .expect("one success");
    assert_eq!(created.status(), 201);
    assert!(!created.was_replayed());
    assert_eq!(
        created.into_inner().data.unwrap().qurl_id.as_deref(),
        Some("q_0123456789a")
    );
    let seen = rec.all();
    assert_one_key_reused(&seen);
    assert_eq!(sleeps.all().len(), 1);
    snapshot("retry_post_qurls", &seen);
}

/// One retried mutating call: the first answer fails, the second is 201.
/// Asserts one result, one key reused with the same bytes, and snapshots
/// the headers of both attempts.
async fn retried_once<F, Fut>(path: &str, first: Reply, created: &str, name: &str, call: F)
where
    F: FnOnce(qurl::Client) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, path, vec![first, reply(201, created)]);
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    assert_eq!(call(client).await, 201, "one result: the success");
    let seen = rec.all();
    assert_one_key_reused(&seen);
    snapshot(name, &seen);
}

#[tokio::test]
async fn post_qurls_batch_retry_reuses_the_key() {
    let ok = r#"{"data":{"succeeded":1,"failed":0,"results":[{"index":0,"success":true}]},"meta":{"request_id":"r"}}"#;
    let body: qurl::types::BatchCreateRequest =
        serde_json::from_value(json!({"items": [{"target_url": "https://example.com/a"}]}))
            .unwrap();
    retried_once(
        "/v1/qurls/batch",
        reply(502, ""),
        ok,
        "retry_post_qurls_batch",
        |c| async move {
            c.post_qurls_batch()
                .body(body)
                .send()
                .await
                .expect("batch created")
                .status()
                .as_u16()
        },
    )
    .await;
}

#[tokio::test]
async fn mint_link_retry_reuses_the_key() {
    let minted = r#"{"data":{"qurl_link":"https://qurl.link/#at_abc","expires_at":"2026-12-01T00:00:00Z"},"meta":{"request_id":"r"}}"#;
    let body: qurl::types::MintLinkRequest =
        serde_json::from_value(json!({"expires_in": "1h"})).unwrap();
    let path = "/v1/qurls/r_abcdefghijk/mint_link";
    retried_once(
        path,
        reply(504, ""),
        minted,
        "retry_post_qurls_id_mint_link",
        |c| async move {
            let call = c.post_qurls_id_mint_link().id("r_abcdefghijk").body(body);
            call.send().await.expect("minted").status().as_u16()
        },
    )
    .await;
}

#[tokio::test]
async fn api_key_mint_retry_reuses_the_key() {
    let created = r#"{"data":{"key_id":"key_abcdefghijkl","api_key":"lv_live_newsecret","name":"ci","scopes":["qurl:read"],"status":"active","created_at":"2026-11-28T00:00:00Z"},"meta":{"request_id":"r"}}"#;
    let limited = reply(429, problem(429, "rate_limit_exceeded")).header("retry-after", "0");
    let body: qurl::types::CreateApiKeyRequest =
        serde_json::from_value(json!({"name": "ci", "scopes": ["qurl:read"]})).unwrap();
    retried_once(
        "/v1/api-keys",
        limited,
        created,
        "retry_post_api_keys",
        |c| async move {
            c.post_api_keys()
                .body(body)
                .send()
                .await
                .expect("key minted")
                .status()
                .as_u16()
        },
    )
    .await;
}

/// A raw TCP server fails the first attempt its own way, then answers 201:
/// the caller gets one result, and both attempts carry one key and one body.
async fn raw_failure_then_201(first: RawStep) {
    let server = raw_server(vec![first, RawStep::Answer(CREATED_QURL.into())]).await;
    let client = client(
        &format!("http://{}", server.addr),
        fast_policy(&Sleeps::default()),
    );
    let out = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .expect("one result");
    assert_eq!(out.status(), 201);
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let k1 = raw_header(&requests[0], "idempotency-key").unwrap();
    assert!(is_uuid_v7(&k1));
    assert_eq!(
        raw_header(&requests[1], "idempotency-key").as_deref(),
        Some(k1.as_str())
    );
    assert_eq!(raw_body(&requests[0]), raw_body(&requests[1]));
}

#[tokio::test]
async fn connection_dropped_after_the_request_was_read_is_retried_with_the_same_key() {
    raw_failure_then_201(RawStep::Drop).await;
}

#[tokio::test]
async fn a_body_cut_off_mid_read_is_retried_with_the_same_key() {
    let cut = format!(
        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        CREATED_QURL.len(),
        &CREATED_QURL[..20]
    );
    raw_failure_then_201(RawStep::AnswerRaw(cut)).await;
}

/// `GET /v1/quota` answered `first`, then 200: the delays the loop slept.
async fn sleeps_before_quota(first: Reply) -> Vec<Duration> {
    let server = MockServer::start_async().await;
    let ok = reply(200, r#"{"data":{},"meta":{"request_id":"r"}}"#);
    let rec = script(&server, GET, "/v1/quota", vec![first, ok]);
    let sleeps = Sleeps::default();
    let client = client(&server.base_url(), fast_policy(&sleeps));
    client
        .get_quota()
        .send()
        .await
        .expect("quota after waiting");
    assert_eq!(rec.count(), 2);
    sleeps.all()
}

#[tokio::test]
async fn retry_after_seconds_is_honoured_exactly() {
    let limited = reply(429, problem(429, "rate_limit_exceeded")).header("retry-after", "1");
    assert_eq!(
        sleeps_before_quota(limited).await,
        vec![Duration::from_secs(1)]
    );
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    let d = sleeps_before_quota(reply(503, "").header("retry-after", &when)).await[0];
    assert!(
        d > Duration::from_secs(1) && d <= Duration::from_secs(3),
        "{d:?}"
    );
}

#[tokio::test]
async fn huge_retry_after_ends_the_call_with_that_response() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(429, problem(429, "rate_limit_exceeded")).header("retry-after", "3600")],
    );
    let sleeps = Sleeps::default();
    let client = client(&server.base_url(), fast_policy(&sleeps));
    let err = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(rec.count(), 1);
    assert!(sleeps.all().is_empty(), "never slept an hour");
}

#[tokio::test]
async fn conflict_in_flight_is_retried_other_conflicts_are_not() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![
            reply(409, problem(409, "duplicate_request")).header("retry-after", "1"),
            reply(201, CREATED_QURL),
        ],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .expect("retried past the in-flight 409");
    assert_eq!(rec.count(), 2);

    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![
            reply(409, problem(409, "alias_in_use")),
            reply(201, CREATED_QURL),
        ],
    );
    let client = support::client(&server.base_url(), fast_policy(&Sleeps::default()));
    let err = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(rec.count(), 1);
}

#[tokio::test]
async fn client_errors_and_500_are_not_retried() {
    for status in [400u16, 422, 500] {
        let server = MockServer::start_async().await;
        let code = if status == 500 {
            "internal_error"
        } else {
            "validation_error"
        };
        let rec = script(
            &server,
            POST,
            "/v1/qurls",
            vec![
                reply(status, problem(status, code)),
                reply(201, CREATED_QURL),
            ],
        );
        let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
        let err = client
            .post_qurls()
            .body(qurl_body())
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(rec.count(), 1, "{status} is final");
    }
}

#[tokio::test]
async fn get_and_delete_are_retried_without_a_key() {
    let server = MockServer::start_async().await;
    let list =
        r#"{"data":[],"meta":{"request_id":"r","page_size":0,"has_more":false,"next_cursor":""}}"#;
    let gets = script(
        &server,
        GET,
        "/v1/qurls",
        vec![reply(503, ""), reply(200, list)],
    );
    let deletes = script(
        &server,
        DELETE,
        "/v1/qurls/r_abcdefghijk",
        vec![reply(502, ""), reply(204, "")],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    client.get_qurls().limit(10).send().await.expect("listed");
    client
        .delete_qurls_id()
        .id("r_abcdefghijk")
        .send()
        .await
        .expect("deleted");
    for seen in [gets.all(), deletes.all()] {
        assert_eq!(seen.len(), 2);
        assert!(
            seen.iter().all(|s| s.key().is_none()),
            "safe verbs never carry a key"
        );
    }
    let mut both = gets.all();
    both.extend(deletes.all());
    snapshot("retry_get_and_delete", &both);
}

#[tokio::test]
async fn exhausted_retries_keep_the_last_status_and_body() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(503, problem(503, "service_unavailable"))],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    let err = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(rec.count(), 4, "1 attempt + 3 retries");
    let keys: std::collections::BTreeSet<_> = rec
        .all()
        .iter()
        .map(|s| s.key().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 1);
    // 503 is not documented on this operation: it still decodes as the typed error.
    let problem = err.problem().expect("the last response, typed");
    assert_eq!(problem.status, 503);
    assert_eq!(problem.code, "service_unavailable");
}

#[tokio::test]
async fn the_deadline_bounds_attempts_and_sleeps() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(503, "")]);
    let policy = qurl::RetryPolicy::default()
        .jitter(false)
        .initial_delay(Duration::from_millis(300))
        .deadline(Duration::from_millis(800));
    let client = client(&server.base_url(), policy);
    let started = std::time::Instant::now();
    let err = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    // 300 ms fits (with 500 ms to spare for a slow machine); the next wait
    // (600 ms) would pass the deadline.
    assert_eq!(rec.count(), 2);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_empty_budget_fails_fast_with_the_last_result() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(503, "")]);
    let sleeps = Sleeps::default();
    let policy = fast_policy(&sleeps).retry_cost(5);
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(server.base_url())
        .retry_policy(policy)
        .retry_budget(5)
        .build()
        .unwrap();
    let err = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        rec.count(),
        2,
        "one retry paid for, then the bucket is empty"
    );
    assert_eq!(client.retry_budget_available(), 0);
    // The budget is per client: a per-call policy view shares it.
    let again = client
        .with_retry_policy(fast_policy(&sleeps))
        .post_qurls()
        .body(qurl_body())
        .send()
        .await;
    assert!(again.is_err());
    assert_eq!(rec.count(), 3, "no retry left for the view either");
}

#[tokio::test]
async fn a_callers_key_is_kept_verbatim_on_every_attempt() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(503, ""), reply(201, CREATED_QURL)],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    let key = qurl::IdempotencyKey::try_from("job-42:create-report").unwrap();
    client
        .post_qurls()
        .idempotency_key(key)
        .body(qurl_body())
        .send()
        .await
        .unwrap();
    let seen = rec.all();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.key() == Some("job-42:create-report")));
    snapshot("retry_caller_key", &seen);
}

#[tokio::test]
async fn invalid_keys_are_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let qurls = script(&server, POST, "/v1/qurls", vec![reply(201, CREATED_QURL)]);
    let api_keys = script(&server, POST, "/v1/api-keys", vec![reply(201, "{}")]);
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    let long = "k".repeat(257);
    for bad in [
        "",
        long.as_str(),
        "a\r\nb",
        "tab\there",
        "nul\0",
        "clé-non-ascii",
        " leading",
        "trailing ",
    ] {
        let err = client
            .post_qurls()
            .idempotency_key(bad)
            .body(qurl_body())
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad:?}: {err:?}");
        assert!(err.key_error().is_some(), "{bad:?}: the typed cause");
    }
    let thirty_one = "k".repeat(31);
    let body: qurl::types::CreateApiKeyRequest =
        serde_json::from_value(json!({"name": "ci", "scopes": ["qurl:read"]})).unwrap();
    let err = client
        .post_api_keys()
        .idempotency_key(thirty_one.as_str())
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.key_error(),
        Some(&qurl::KeyError::TooShort { len: 31, min: 32 })
    );
    assert!(
        err.to_string().contains("at least 32"),
        "names the rule: {err}"
    );
    assert_eq!(qurls.count() + api_keys.count(), 0, "zero requests sent");
}

#[tokio::test]
async fn two_calls_get_two_keys() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(201, CREATED_QURL)]);
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    client.post_qurls().body(qurl_body()).send().await.unwrap();
    client.post_qurls().body(qurl_body()).send().await.unwrap();
    let seen = rec.all();
    assert_ne!(seen[0].key(), seen[1].key());
    snapshot("two_calls_two_keys", &seen);
}

#[tokio::test]
async fn a_replayed_response_is_recognisable() {
    let server = MockServer::start_async().await;
    script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(201, CREATED_QURL).header("idempotency-replayed", "true")],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    let out = client.post_qurls().body(qurl_body()).send().await.unwrap();
    assert!(out.was_replayed());

    let server = MockServer::start_async().await;
    script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(400, problem(400, "validation_error")).header("Idempotent-Replayed", "true")],
    );
    let client = support::client(&server.base_url(), fast_policy(&Sleeps::default()));
    let err = client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .unwrap_err();
    assert!(err.was_replayed(), "Stripe's spelling counts too");
}

#[tokio::test]
async fn retries_off_still_send_a_key() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(503, "")]);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    assert!(client.post_qurls().body(qurl_body()).send().await.is_err());
    assert_eq!(rec.count(), 1);
    assert!(is_uuid_v7(rec.all()[0].key().unwrap()));
}

/// A retry takes its cost from the client's budget; views with another
/// policy show their own policy and share the one budget.
#[tokio::test]
async fn the_budget_is_spent_by_retries_and_shared_by_views() {
    let server = MockServer::start_async().await;
    let _rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(503, ""), reply(201, CREATED_QURL)],
    );
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(server.base_url())
        .retry_policy(
            fast_policy(&Sleeps::default())
                .retry_cost(7)
                .success_refund(0),
        )
        .retry_budget(100)
        .build()
        .unwrap();
    assert_eq!(client.retry_budget_available(), 100);
    let view = client.with_retry_policy(qurl::RetryPolicy::none());
    assert!(format!("{:?}", view.retry_policy()).contains("max_retries: 0"));
    assert!(format!("{:?}", client.retry_policy()).contains("retry_cost: 7"));
    client
        .post_qurls()
        .body(qurl_body())
        .send()
        .await
        .expect("retried once");
    assert_eq!(client.retry_budget_available(), 93);
    assert_eq!(view.retry_budget_available(), 93, "one budget per client");
    let debug = format!("{client:?}");
    assert!(
        debug.contains("budget_available: 93") && debug.contains("KeySource(uuid_v7)"),
        "{debug}"
    );
}

/// A successful answer carries the call's key (so `into_data()` can name it
/// when the payload is missing); a key the server echoed is left as it is.
#[tokio::test]
async fn a_successful_answer_carries_the_calls_key_unless_the_server_echoed_one() {
    let key = qurl::IdempotencyKey::derive("retries-test", "answer-key");
    let created = r#"{"meta":{"request_id":"r"}}"#;
    for (echo, expected) in [(None, key.as_str()), (Some("k-echoed"), "k-echoed")] {
        let server = MockServer::start_async().await;
        let mut answer = reply(201, created);
        if let Some(echo) = echo {
            answer = answer.header("idempotency-key", echo);
        }
        script(&server, POST, "/v1/qurls", vec![answer]);
        let response = client(&server.base_url(), qurl::RetryPolicy::none())
            .post_qurls()
            .idempotency_key(key.clone())
            .body(qurl_body())
            .send()
            .await
            .unwrap();
        let carried = response
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok());
        assert_eq!(carried, Some(expected), "echo: {echo:?}");
    }
}
