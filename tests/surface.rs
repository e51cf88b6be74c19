//! The typed surface a caller holds: bodies built from plain values and
//! checked against the spec before anything is sent, and one error type,
//! matched by kind, for every operation.

mod support;

use std::time::Duration;

use httpmock::prelude::*;
use qurl::prelude::*;
use serde_json::json;
use support::*;

fn no_retry(base: &str) -> qurl::Client {
    client(base, qurl::RetryPolicy::none())
}

#[tokio::test]
async fn bodies_take_plain_values_and_send_the_expected_json() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(201, CREATED_QURL)]);
    let label = String::from("Q3 report");
    no_retry(&server.base_url())
        .post_qurls()
        .body_map(|b| {
            b.target_url("https://example.com/report") // &str with a length and format rule
                .label(label) // String, optional field: no Some
                .one_time_use(true) // plain bool
                .max_sessions(3) // plain number, range-checked
                .expires_in("24h")
                .access_policy(
                    qurl::types::AccessPolicy::builder()
                        .geo_allowlist(["FR", "DE"]) // a list of &str
                        .ip_denylist(vec![String::from("10.0.0.0/8")]),
                )
        })
        .send()
        .await
        .expect("created");
    let sent: serde_json::Value = serde_json::from_slice(&rec.all()[0].body).unwrap();
    assert_eq!(
        sent,
        json!({
            "target_url": "https://example.com/report",
            "label": "Q3 report",
            "one_time_use": true,
            "max_sessions": 3,
            "expires_in": "24h",
            "type": "url", // the spec's default, filled in by the builder
            "access_policy": {"geo_allowlist": ["FR", "DE"], "ip_denylist": ["10.0.0.0/8"]},
        })
    );
}

/// Each kind of rule the spec states is enforced locally, naming the field,
/// and nothing goes on the wire.
#[tokio::test]
async fn a_value_that_breaks_the_spec_is_refused_naming_the_field_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(201, CREATED_QURL)]);
    let client = no_retry(&server.base_url());
    type Edit =
        fn(qurl::types::builder::CreateQurlRequest) -> qurl::types::builder::CreateQurlRequest;
    let cases: [(Edit, &str, &str); 5] = [
        (|b| b.label("x".repeat(501)), "`label`", "longer than 500"),
        (|b| b.max_sessions(1001), "`max_sessions`", "at most 1000"),
        (|b| b.max_sessions(-1), "`max_sessions`", "at least 0"),
        (
            |b| {
                b.access_policy(
                    qurl::types::AccessPolicy::builder().geo_allowlist(["FR", "france"]),
                )
            },
            "`geo_allowlist[1]`",
            "pattern",
        ),
        (
            |b| b.access_policy(qurl::types::AccessPolicy::builder().geo_allowlist(vec!["FR"; 51])),
            "`geo_allowlist`",
            "at most 50",
        ),
    ];
    for (edit, field, rule) in cases {
        let err = client
            .post_qurls()
            .body_map(|b| edit(b.target_url("https://example.com")))
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
        let text = err.to_string();
        assert!(
            text.contains(field) && text.contains(rule),
            "{field} {rule}: {text}"
        );
        assert!(text.contains("nothing was sent"), "{text}");
    }
    // An enum field takes its variant or its wire string; others are refused.
    let err = client
        .post_api_keys()
        .body_map(|b| b.name("ci").scopes(["qurls:read"]).purpose("not-a-purpose"))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`purpose`"), "{err}");
    // A timestamp field takes an RFC 3339 string, and says when it is not one.
    let err = client
        .post_qurls_id_mint_link()
        .id("q_1")
        .body_map(|b| b.expires_at("next tuesday"))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`expires_at`") && err.to_string().contains("RFC 3339"));
    assert_eq!(rec.count(), 0, "nothing was sent");
}

/// Errors of different operations go to one function.
fn describe(err: &qurl::Error) -> String {
    format!(
        "{:?} {:?} {}",
        err.kind(),
        err.status().map(|s| s.as_u16()),
        err.problem().map_or("-", |p| p.code.as_str())
    )
}

#[tokio::test]
async fn errors_of_every_operation_are_one_type_with_a_kind() {
    let server = MockServer::start_async().await;
    let client = no_retry(&server.base_url());
    let statuses = [
        (400, "validation_error", ErrorKind::Validation),
        (401, "unauthorized", ErrorKind::Unauthorized),
        (403, "forbidden", ErrorKind::Forbidden),
        (404, "not_found", ErrorKind::NotFound),
        (409, "conflict", ErrorKind::Conflict),
        (410, "gone", ErrorKind::Gone),
        (422, "unprocessable", ErrorKind::Validation),
        (429, "rate_limited", ErrorKind::RateLimited),
        (500, "internal", ErrorKind::Server),
        (418, "teapot", ErrorKind::UnexpectedResponse),
    ];
    for (status, code, kind) in statuses {
        let path = format!("/v1/qurls/r_{status}");
        let _read = script(
            &server,
            GET,
            &path,
            vec![reply(status, problem(status, code))],
        );
        let _delete = script(
            &server,
            DELETE,
            &path,
            vec![reply(status, problem(status, code))],
        );
        let id = format!("r_{status}");
        let read = client.get_qurls_id().id(&id).send().await.unwrap_err();
        let delete = client.delete_qurls_id().id(&id).send().await.unwrap_err();
        for err in [&read, &delete] {
            assert_eq!(err.kind(), kind, "{status}");
            assert_eq!(describe(err), format!("{kind:?} Some({status}) {code}"));
        }
        let p = read.problem().expect("problem details by reference");
        assert_eq!((p.status, p.code.as_str()), (status, code));
        assert_eq!(p.request_id.as_deref(), Some("req_e"));
    }
}

#[tokio::test]
async fn transport_timeout_and_refused_key_have_their_kinds() {
    // Nothing listens on this port: a transport failure.
    let refused = refused_base_url();
    let err = no_retry(&refused).get_quota().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(
        !err.outcome_unknown(),
        "a read never has an unknown outcome"
    );
    // The message keeps the useful part of reqwest's chain of causes, once.
    let text = err.to_string();
    assert!(text.starts_with("get_quota: "), "{text}");
    assert_eq!(text.matches("Connection refused").count(), 1, "{text}");

    let silent = raw_server(vec![RawStep::Silent(Duration::from_secs(3))]).await;
    let err = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(format!("http://{}", silent.addr))
        .timeout(Duration::from_millis(200))
        .retry_policy(qurl::RetryPolicy::none())
        .build()
        .unwrap()
        .get_quota()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");

    let err = no_retry("http://127.0.0.1:9")
        .post_qurls()
        .idempotency_key("")
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(err.key_error(), Some(&qurl::KeyError::Empty));
    let source = std::error::Error::source(&err).expect("the typed cause");
    assert!(source.downcast_ref::<qurl::KeyError>().is_some());
}

#[tokio::test]
async fn batch_create_400_keeps_its_per_item_results_typed() {
    let server = MockServer::start_async().await;
    let _rec = script(
        &server,
        POST,
        "/v1/qurls/batch",
        vec![reply(
            400,
            r#"{"data":{"succeeded":0,"failed":2,"results":[{"index":0,"success":false,"error":{"code":"invalid_url","message":"bad"}},{"index":1,"success":false,"error":{"code":"quota_exceeded","message":"full"}}]},"meta":{"request_id":"req_b"}}"#,
        )],
    );
    let err = no_retry(&server.base_url())
        .post_qurls_batch()
        .body_map(|b| {
            b.items(vec![
                qurl::types::CreateQurlRequest::builder().target_url("https://y.example"),
                qurl::types::CreateQurlRequest::builder().target_url("https://x.example"),
            ])
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let outcome = err.batch_results().expect("per-item results, typed");
    let data = outcome.data.as_ref().unwrap();
    assert_eq!(data.failed, Some(2));
    let codes: Vec<_> = data
        .results
        .iter()
        .map(|r| r.error.as_ref().and_then(|e| e.code.clone()))
        .collect();
    assert_eq!(
        codes,
        [Some("invalid_url".into()), Some("quota_exceeded".into())]
    );
}

#[test]
fn error_kind_is_copy_eq_and_the_error_is_send_sync_static() {
    fn traits<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>() {}
    traits::<ErrorKind>();
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<qurl::Error>();
    assert!(std::mem::size_of::<qurl::Error>() <= 8, "one pointer");
}

/// What an error answer tells: its operation, headers, replay flag and a
/// message built from the problem details.
#[tokio::test]
async fn an_error_answer_shows_its_operation_headers_replay_and_problem() {
    let server = MockServer::start_async().await;
    let _fresh = script(
        &server,
        GET,
        "/v1/qurls/q_gone",
        vec![reply(404, problem(404, "not_found")).header("x-trace", "t-1")],
    );
    let _replayed = script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(409, problem(409, "alias_in_use")).header("idempotency-replayed", "true")],
    );
    let client = no_retry(&server.base_url());
    let err = client.get_qurls_id().id("q_gone").send().await.unwrap_err();
    assert_eq!(err.operation(), "get_qurls_id");
    assert_eq!(
        err.headers()
            .and_then(|h| h.get("x-trace"))
            .map(|v| v.as_bytes()),
        Some(&b"t-1"[..])
    );
    assert!(!err.was_replayed());
    let debug = format!("{err:?}");
    assert!(
        debug.contains("kind: NotFound") && debug.contains("code: \"not_found\""),
        "{debug}"
    );
    assert_eq!(
        err.to_string(),
        "get_qurls_id: 404 Not Found (not_found): d [request req_e]"
    );
    let err = client
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await
        .unwrap_err();
    assert!(err.was_replayed(), "{err:?}");
    assert_eq!(err.operation(), "post_qurls");
}
