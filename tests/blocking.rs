//! The blocking client: same surface, same key rules, no `.await`.
#![cfg(feature = "blocking")]
// Results carry progenitor's (large) error type, as the async client does.
#![allow(clippy::result_large_err)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use httpmock::prelude::*;
use qurl::{ErrorKind, WasReplayed};
use serde_json::json;
use support::*;

fn blocking_client(base: &str, policy: qurl::RetryPolicy) -> qurl::blocking::Client {
    qurl::blocking::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(base)
        .timeout(Duration::from_secs(5))
        .retry_policy(policy)
        .build()
        .unwrap()
}

fn body() -> qurl::types::CreateQurlRequest {
    serde_json::from_value(json!({"target_url": "https://example.com/blocking"})).unwrap()
}

#[test]
fn blocking_503_then_201_reuses_the_key() {
    let server = MockServer::start();
    let rec = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(503, ""), reply(201, CREATED_QURL)],
    );
    let client = blocking_client(&server.base_url(), fast_policy(&Sleeps::default()));
    let out = client.post_qurls().body(body()).send().expect("one result");
    assert_eq!(out.status(), 201);
    assert!(!out.was_replayed());
    let seen = rec.all();
    assert_eq!(seen.len(), 2);
    assert!(is_uuid_v7(seen[0].key().unwrap()));
    assert_eq!(seen[0].key(), seen[1].key());
    assert_eq!(seen[0].body, seen[1].body);
    let view = snapshot_view(&seen);
    assert_no_secret(&serde_json::to_string(&view).unwrap());
    snapshot_settings().bind(|| insta::assert_yaml_snapshot!("blocking_retry_post_qurls", view));
}

#[test]
fn blocking_override_is_kept() {
    let server = MockServer::start();
    let rec = script(
        &server,
        POST,
        "/v1/api-keys",
        vec![
            reply(502, ""),
            reply(201, r#"{"data":{},"meta":{"request_id":"r"}}"#),
        ],
    );
    let client = blocking_client(&server.base_url(), fast_policy(&Sleeps::default()));
    let key = qurl::IdempotencyKey::new();
    let req: qurl::types::CreateApiKeyRequest =
        serde_json::from_value(json!({"name": "ci", "scopes": ["qurl:read"]})).unwrap();
    client
        .post_api_keys()
        .idempotency_key(key.clone())
        .body(req)
        .send()
        .unwrap();
    assert!(rec.all().iter().all(|s| s.key() == Some(key.as_str())));
    assert_eq!(rec.count(), 2);
}

#[test]
fn blocking_invalid_key_sends_nothing() {
    let server = MockServer::start();
    let rec = script(&server, POST, "/v1/qurls", vec![reply(201, CREATED_QURL)]);
    let client = blocking_client(&server.base_url(), fast_policy(&Sleeps::default()));
    let err = client
        .post_qurls()
        .idempotency_key("bad\nkey")
        .body(body())
        .send()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err:?}");
    assert!(matches!(
        err.key_error(),
        Some(qurl::KeyError::NotPrintableAscii { position: 3, .. })
    ));
    let err = client
        .post_qurls()
        .idempotency_key("x".repeat(300))
        .body(body())
        .send()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        err.key_error(),
        Some(&qurl::KeyError::TooLong { len: 300, max: 256 })
    );
    assert!(err.to_string().contains("at most 256"), "{err}");
    assert_eq!(rec.count(), 0);
}

#[test]
fn many_threads_get_one_key_per_call() {
    let server = MockServer::start();
    let rec = script(&server, POST, "/v1/qurls", vec![reply(201, CREATED_QURL)]);
    let client = blocking_client(&server.base_url(), fast_policy(&Sleeps::default()));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    client.post_qurls().body(body()).send().unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let keys: BTreeSet<String> = rec
        .all()
        .iter()
        .map(|s| s.key().unwrap().to_owned())
        .collect();
    assert_eq!(rec.count(), 40);
    assert_eq!(keys.len(), 40, "every call its own key");
}

#[test]
fn blocking_client_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<qurl::blocking::Client>();
}

/// Async services call blocking code from `spawn_blocking`: it works there,
/// as on a plain thread, and (holding the worker) inside an async task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_spawn_blocking_plain_threads_and_async_tasks() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        GET,
        "/v1/quota",
        vec![reply(200, r#"{"data":{},"meta":{"request_id":"r"}}"#)],
    );
    let client = blocking_client(&server.base_url(), qurl::RetryPolicy::none());
    let inner = client.clone();
    let from_spawn_blocking = tokio::task::spawn_blocking(move || inner.get_quota().send())
        .await
        .unwrap();
    assert!(from_spawn_blocking.is_ok(), "{from_spawn_blocking:?}");
    let inner = client.clone();
    let from_thread = std::thread::spawn(move || inner.get_quota().send())
        .join()
        .unwrap();
    assert!(from_thread.is_ok(), "{from_thread:?}");
    let in_task = client.get_quota().send();
    assert!(in_task.is_ok(), "{in_task:?}");
    assert_eq!(rec.count(), 3);
    // Dropping the client inside async code neither blocks nor panics.
    drop(client);
}

/// Many `spawn_blocking` calls at once finish (no deadlock, no panic).
#[tokio::test]
async fn concurrent_spawn_blocking_calls_all_finish() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        GET,
        "/v1/quota",
        vec![reply(200, r#"{"data":{},"meta":{"request_id":"r"}}"#)],
    );
    let client = blocking_client(&server.base_url(), qurl::RetryPolicy::none());
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let c = client.clone();
            tokio::task::spawn_blocking(move || c.get_quota().send())
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap().is_ok());
    }
    assert_eq!(rec.count(), 16);
}
