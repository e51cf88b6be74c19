//! One request per verb against httpmock: path, query, JSON body, auth
//! header and user agent on the wire; success and error envelopes decoded.

mod support;

use httpmock::prelude::*;
use serde_json::json;
use support::*;

fn user_agent() -> String {
    format!("qurl-rust/{} roundtrip-test/1", env!("CARGO_PKG_VERSION"))
}

fn test_client(base: &str) -> qurl::Client {
    qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(base)
        .user_agent("roundtrip-test/1")
        .retry_policy(qurl::RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn get_with_query_decodes_the_list_envelope() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/v1/qurls")
            .query_param("limit", "50")
            .query_param("cursor", "c_2")
            .header("authorization", format!("Bearer {SECRET_KEY}"))
            .header("user-agent", user_agent())
            .header_missing("idempotency-key");
        then.status(200).json_body(json!({
            "data": [{"resource_id": "r_1", "target_url": "https://example.com", "status": "active", "qurls": [], "tags": []}],
            "meta": {"request_id": "req_9", "page_size": 1, "has_more": true, "next_cursor": "c_3"}
        }));
    });
    let page = test_client(&server.base_url())
        .get_qurls()
        .limit(50)
        .cursor("c_2")
        .send()
        .await
        .unwrap();
    mock.assert();
    let page = page.into_inner();
    let meta = page.meta.unwrap();
    assert_eq!(meta.has_more, Some(true));
    assert_eq!(meta.next_cursor.as_deref(), Some("c_3"));
    assert_eq!(page.data[0].resource_id.as_deref(), Some("r_1"));
}

#[tokio::test]
async fn post_sends_the_json_body_and_decodes_201() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/v1/qurls")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {SECRET_KEY}"))
            .header_exists("idempotency-key")
            .json_body_includes(r#"{"target_url":"https://example.com/x","expires_in":"24h"}"#);
        then.status(201).body(CREATED_QURL);
    });
    let body: qurl::types::CreateQurlRequest =
        serde_json::from_value(json!({"target_url": "https://example.com/x", "expires_in": "24h"}))
            .unwrap();
    let created = test_client(&server.base_url())
        .post_qurls()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(created.status(), 201);
    let data = created.into_inner().data.unwrap();
    assert_eq!(data.resource_id.as_deref(), Some("r_abcdefghijk"));
}

#[tokio::test]
async fn patch_with_path_parameter() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(PATCH).path("/v1/qurls/r_abc").header_exists("idempotency-key").json_body_includes(r#"{"description":"new"}"#);
        then.status(200).json_body(json!({"data": {"resource_id": "r_abc", "description": "new"}, "meta": {"request_id": "r"}}));
    });
    let body: qurl::types::UpdateQurlRequest =
        serde_json::from_value(json!({"description": "new"})).unwrap();
    let out = test_client(&server.base_url())
        .patch_qurls_id()
        .id("r_abc")
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(
        out.into_inner().data.unwrap().description.as_deref(),
        Some("new")
    );
}

#[tokio::test]
async fn delete_gets_204_and_no_key() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(DELETE)
            .path("/v1/qurls/r_abc")
            .header_missing("idempotency-key");
        then.status(204);
    });
    let out = test_client(&server.base_url())
        .delete_qurls_id()
        .id("r_abc")
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(out.status(), 204);
}

#[tokio::test]
async fn the_problem_envelope_decodes_into_a_typed_error() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET).path("/v1/qurls/r_missing");
        then.status(404)
            .header("content-type", "application/problem+json")
            .body(problem(404, "not_found"));
    });
    let err = test_client(&server.base_url())
        .get_qurls_id()
        .id("r_missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), qurl::ErrorKind::NotFound);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.problem().map(|p| p.code.as_str()), Some("not_found"));
}

#[tokio::test]
async fn validation_errors_keep_their_invalid_fields() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(POST).path("/v1/qurls");
        then.status(400).header("content-type", "application/problem+json").json_body(json!({
            "error": {"type": "https://api.qurl.link/problems/validation_error", "title": "Invalid", "status": 400,
                      "detail": "bad", "code": "validation_error", "invalid_fields": {"target_url": "required"}},
            "meta": {"request_id": "r"}
        }));
    });
    // A body the client accepts; the server refuses it all the same.
    let body: qurl::types::CreateQurlRequest =
        serde_json::from_value(json!({"target_url": "https://example.com/x"})).unwrap();
    let err = test_client(&server.base_url())
        .post_qurls()
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), qurl::ErrorKind::Validation);
    let problem = err.problem().expect("problem details");
    assert_eq!(
        problem.invalid_fields.get("target_url").map(String::as_str),
        Some("required")
    );
}

#[tokio::test]
async fn an_enum_value_the_spec_does_not_list_still_decodes() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET).path("/v1/qurls/r_new");
        then.status(200).json_body(json!({
            "data": {"resource_id": "r_new", "status": "hibernating", "qurls": [], "tags": []},
            "meta": {"request_id": "r"}
        }));
    });
    let out = test_client(&server.base_url())
        .get_qurls_id()
        .id("r_new")
        .send()
        .await
        .expect("open enum decodes");
    assert_eq!(
        out.into_inner().data.unwrap().status.as_deref(),
        Some("hibernating")
    );
}
