//! Hostile input from callers and servers: refused clearly or bounded,
//! never a panic, never a leak. SECURITY.md maps each row to a test here.

mod support;

use std::time::{Duration, Instant};

use httpmock::prelude::*;
use qurl::{BuildError, ErrorKind};
use serde_json::json;
use support::*;

fn no_retry(base: &str) -> qurl::Client {
    client(base, qurl::RetryPolicy::none())
}

fn qurl_body() -> qurl::types::CreateQurlRequest {
    serde_json::from_value(json!({"target_url": "https://example.com"})).unwrap()
}

#[test]
fn bad_client_settings_are_refused_at_build() {
    let api_keys = [
        "",
        "   ",
        "lv_live_abc\r\nX-Evil: 1",
        "lv_live_abc\n",
        "lv_live_\u{7f}x",
        " lv_live_abc",
    ];
    for key in api_keys {
        let err = qurl::Client::builder().api_key(key).build().unwrap_err();
        assert!(
            matches!(err, BuildError::InvalidApiKey(_)),
            "{key:?}: {err}"
        );
    }
    let urls = [
        "not a url",
        "https://",
        "https://api.layerv.ai/?x=1",
        "ftp://api.layerv.ai",
        "http://api.layerv.ai",
        "https://u:p@api.layerv.ai",
    ];
    for url in urls {
        let err = qurl::Client::builder().base_url(url).build().unwrap_err();
        assert!(
            matches!(err, BuildError::InvalidBaseUrl { .. }),
            "{url:?}: {err}"
        );
    }
    assert!(
        qurl::Client::builder()
            .base_url("http://api.layerv.ai")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    assert!(
        qurl::Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .is_ok(),
        "loopback http is fine"
    );
    for ua in ["app\r\nX-Evil: 1", "app\u{0}", "app\t1"] {
        assert!(
            matches!(
                qurl::Client::builder().user_agent(ua).build(),
                Err(BuildError::InvalidUserAgent(_))
            ),
            "{ua:?}"
        );
    }
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_token_stays_home() {
    let elsewhere = MockServer::start_async().await;
    let stolen = script(&elsewhere, GET, "/v1/quota", vec![reply(200, "{}")]);
    let server = MockServer::start_async().await;
    script(
        &server,
        GET,
        "/v1/quota",
        vec![reply(302, "").header("location", &format!("{}/v1/quota", elsewhere.base_url()))],
    );
    let err = no_retry(&server.base_url())
        .get_quota()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(302),
        "the 3xx comes back to the caller"
    );
    assert_eq!(
        stolen.count(),
        0,
        "nothing, and no Authorization, went to the other origin"
    );
}

#[tokio::test]
async fn a_caller_built_client_that_follows_redirects_still_keeps_the_token_home() {
    let elsewhere = MockServer::start_async().await;
    let seen = script(
        &elsewhere,
        GET,
        "/v1/quota",
        vec![reply(200, r#"{"data":{},"meta":{"request_id":"r"}}"#)],
    );
    let server = MockServer::start_async().await;
    script(
        &server,
        GET,
        "/v1/quota",
        vec![reply(302, "").header("location", &format!("{}/v1/quota", elsewhere.base_url()))],
    );
    // reqwest's default policy follows redirects and drops sensitive headers
    // when the origin (here, the port) changes.
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(server.base_url())
        .reqwest_client(reqwest::Client::new())
        .retry_policy(qurl::RetryPolicy::none())
        .build()
        .unwrap();
    client
        .get_quota()
        .send()
        .await
        .expect("followed by the caller's client");
    let requests = seen.all();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("authorization"),
        None,
        "the bearer token did not cross origins"
    );
}

#[tokio::test]
async fn bodies_over_the_cap_are_an_error_not_an_allocation() {
    let big = format!(
        r#"{{"data":{{"target_url":"{}"}},"meta":{{"request_id":"r"}}}}"#,
        "x".repeat(4096)
    );
    let server = MockServer::start_async().await;
    script(
        &server,
        GET,
        "/v1/qurls/r_big",
        vec![reply(200, big.clone())],
    );
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(server.base_url())
        .max_body_bytes(1024)
        .build()
        .unwrap();
    let err = client.get_qurls_id().id("r_big").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(
        format!("{err:#}").contains("cap of 1024 bytes")
            || format!("{:?}", err).contains("cap of 1024"),
        "{err:#}"
    );

    // Chunked (no Content-Length): the cap applies while reading.
    let chunk = "x".repeat(800);
    let raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len(),
        chunk.len()
    );
    let server = raw_server(vec![RawStep::AnswerRaw(raw)]).await;
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(format!("http://{}", server.addr))
        .max_body_bytes(1024)
        .retry_policy(qurl::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get_qurls_id().id("r_big").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(format!("{err}").contains("cap of 1024 bytes"), "{err}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_bounded_by_the_timeout() {
    let server = raw_server(vec![RawStep::Silent(Duration::from_secs(5))]).await;
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(format!("http://{}", server.addr))
        .timeout(Duration::from_millis(300))
        .retry_policy(qurl::RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.get_quota().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_2xx_that_is_not_the_declared_json_is_a_decoding_error_and_not_retried() {
    for body in ["<html>ok</html>", r#"{"data": "not an object", "meta": 7}"#] {
        let server = MockServer::start_async().await;
        let rec = script(&server, POST, "/v1/qurls", vec![reply(201, body)]);
        let err = client(&server.base_url(), fast_policy(&Sleeps::default()))
            .post_qurls()
            .body(qurl_body())
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedResponse, "{body}: {err:?}");
        assert!(
            format!("{err}").contains("did not decode as the documented type"),
            "says what failed: {err}"
        );
        assert_eq!(rec.count(), 1, "a replay would return the same body");
    }
}

#[tokio::test]
async fn odd_error_bodies_are_still_typed_errors_with_their_status() {
    let cases: [(u16, &str, &str); 5] = [
        (
            502,
            "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
            "unknown",
        ),
        (503, "", "unknown"),
        (
            429,
            r#"{"title":"Too Many Requests","status":429,"code":"rate_limited"}"#,
            "rate_limited",
        ),
        (
            409,
            r#"{"error":{"code":"alias_in_use","message":"alias taken"}}"#,
            "alias_in_use",
        ),
        (
            400,
            r#"{"error":{"type":"t","title":"Bad","status":400,"code":"validation_error","invalid_fields":{"n":5}},"meta":{}}"#,
            "validation_error",
        ),
    ];
    for (status, body, code) in cases {
        let server = MockServer::start_async().await;
        script(&server, POST, "/v1/qurls", vec![reply(status, body)]);
        let err = no_retry(&server.base_url())
            .post_qurls()
            .body(qurl_body())
            .send()
            .await
            .unwrap_err();
        let problem = err
            .problem()
            .unwrap_or_else(|| panic!("{status} {body}: typed error expected, got {err:?}"));
        assert_eq!(
            (problem.status, problem.code.as_str()),
            (status, code),
            "{body}"
        );
        if status == 502 {
            assert!(
                problem
                    .detail
                    .as_deref()
                    .unwrap_or("")
                    .contains("502 Bad Gateway"),
                "whatever could be read is kept"
            );
        }
        if status == 409 {
            assert_eq!(problem.detail.as_deref(), Some("alias taken"));
        }
    }
}

#[tokio::test]
async fn several_and_garbage_retry_after_headers_are_handled() {
    let server = MockServer::start_async().await;
    let rec = script(
        &server,
        GET,
        "/v1/quota",
        vec![
            reply(503, "")
                .header("retry-after", "soon")
                .header("retry-after", "-5")
                .header("retry-after", "1"),
            reply(429, "").header("retry-after", "-5"),
            reply(200, r#"{"data":{},"meta":{"request_id":"r"}}"#),
        ],
    );
    let sleeps = Sleeps::default();
    let policy = fast_policy(&sleeps)
        .jitter(false)
        .initial_delay(Duration::from_millis(50));
    client(&server.base_url(), policy)
        .get_quota()
        .send()
        .await
        .unwrap();
    assert_eq!(rec.count(), 3);
    // The first valid value (1 s); then a negative one falls back to backoff (100 ms, second step).
    let slept = sleeps.all();
    assert_eq!(slept[0], Duration::from_secs(1));
    assert!(
        slept[1].abs_diff(Duration::from_millis(100)) < Duration::from_millis(1),
        "{slept:?}"
    );
}

/// The cap is the largest body read, not the first refused: a body of
/// exactly the cap is read, announced (`Content-Length`) or chunked.
#[tokio::test]
async fn a_body_of_exactly_the_cap_is_read() {
    const CAP: usize = 64;
    let body = format!("{{}}{}", " ".repeat(CAP - 2));
    let server = MockServer::start_async().await;
    script(&server, GET, "/v1/quota", vec![reply(200, body)]);
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(server.base_url())
        .max_body_bytes(CAP)
        .build()
        .unwrap();
    client
        .get_quota()
        .send()
        .await
        .expect("a body of the cap's length, announced");

    let half = CAP / 2;
    let pad = " ".repeat(half - 1);
    let raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{half:x}\r\n{{{pad}\r\n{half:x}\r\n{pad}}}\r\n0\r\n\r\n"
    );
    let server = raw_server(vec![RawStep::AnswerRaw(raw)]).await;
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(format!("http://{}", server.addr))
        .max_body_bytes(CAP)
        .retry_policy(qurl::RetryPolicy::none())
        .build()
        .unwrap();
    client
        .get_quota()
        .send()
        .await
        .expect("a body of the cap's length, chunked");
}
