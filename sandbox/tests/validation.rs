//! Bad input, one case per kind of rule: what the schema says (type, null, unknown
//! field, length, pattern, enum, range, format, required, item counts) and what the
//! rules table adds (mutually exclusive fields, durations). Each answers 400 with
//! `invalid_fields` naming the field.

mod common;

use common::{Api, parts, problem};
use reqwest::Method;
use serde_json::{Value, json};

const URL: &str = "https://a.example.com";

/// (method, path, body, code, field named in `invalid_fields`)
fn cases() -> Vec<(Method, &'static str, Value, &'static str, &'static str)> {
    let long = "x".repeat(501);
    vec![
        // type
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": 5}),
            "validation_error",
            "target_url",
        ),
        // null on a field that is not nullable
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": URL, "custom_domain": null}),
            "validation_error",
            "custom_domain",
        ),
        (
            Method::PATCH,
            "/v1/api-keys/key_any",
            json!({"scopes": null}),
            "validation_error",
            "scopes",
        ),
        // unknown field where additionalProperties is false
        (
            Method::POST,
            "/v1/api-keys",
            json!({"name": "a", "scopes": ["qurl:read"], "admin": true}),
            "validation_error",
            "admin",
        ),
        (
            Method::POST,
            "/v1/billing/checkout",
            json!({"plan": "growth", "coupon": "x"}),
            "validation_error",
            "coupon",
        ),
        // length
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": URL, "label": long}),
            "validation_error",
            "label",
        ),
        (
            Method::POST,
            "/v1/resources",
            json!({"target_url": URL, "alias": "ab"}),
            "validation_error",
            "alias",
        ),
        // pattern
        (
            Method::POST,
            "/v1/api-keys",
            json!({"name": "a", "scopes": ["qurl:read"], "purpose": "tunnel_bootstrap", "tunnel_slug": "Bad Slug"}),
            "validation_error",
            "tunnel_slug",
        ),
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": URL, "access_policy": {"geo_denylist": ["fr"]}}),
            "validation_error",
            "access_policy.geo_denylist[0]",
        ),
        // enum
        (
            Method::POST,
            "/v1/webhooks",
            json!({"url": URL, "events": ["nope"]}),
            "validation_error",
            "events[0]",
        ),
        (
            Method::POST,
            "/v1/resources",
            json!({"type": "ship", "target_url": URL}),
            "validation_error",
            "type",
        ),
        // range
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": URL, "max_sessions": 1001}),
            "validation_error",
            "max_sessions",
        ),
        (
            Method::PATCH,
            "/v1/customer",
            json!({"spending_cap_cents": -1}),
            "validation_error",
            "spending_cap_cents",
        ),
        // format
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": "not a uri"}),
            "validation_error",
            "target_url",
        ),
        (
            Method::POST,
            "/v1/access-codes",
            json!({"resource_id": "r_x", "expires_at": "soon"}),
            "validation_error",
            "expires_at",
        ),
        // required, item counts
        (
            Method::POST,
            "/v1/resolve",
            json!({}),
            "validation_error",
            "access_token",
        ),
        (
            Method::POST,
            "/v1/webhooks",
            json!({"url": URL, "events": []}),
            "validation_error",
            "events",
        ),
        // mutually exclusive (rules table)
        (
            Method::PATCH,
            "/v1/qurls/r_any",
            json!({"extend_by": "1h", "expires_at": "2099-01-01T00:00:00Z"}),
            "mutually_exclusive_fields",
            "extend_by",
        ),
        (
            Method::POST,
            "/v1/qurls/r_any/mint_link",
            json!({"expires_in": "1h", "expires_at": "2099-01-01T00:00:00Z"}),
            "mutually_exclusive_fields",
            "expires_in",
        ),
        (
            Method::PATCH,
            "/v1/resources/r_any",
            json!({"custom_domain": "a.example.com", "alias": "docs"}),
            "mutually_exclusive_fields",
            "alias",
        ),
        // durations and caps (rules table)
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": URL, "expires_in": "31d"}),
            "validation_error",
            "expires_in",
        ),
        (
            Method::POST,
            "/v1/qurls",
            json!({"target_url": URL, "session_duration": "1y"}),
            "validation_error",
            "session_duration",
        ),
        (
            Method::POST,
            "/v1/api-keys",
            json!({"name": "a", "scopes": ["qurl:read"], "purpose": "tunnel_bootstrap", "tunnel_slug": "edge", "expires_in": "2d"}),
            "invalid_duration",
            "expires_in",
        ),
    ]
}

#[tokio::test]
async fn each_kind_of_rule_names_the_field() {
    let api = Api::new().await;
    for (method, path, body, code, field) in cases() {
        let resp = api.send(method.clone(), path, None, Some(&body)).await;
        let err = problem(resp, 400, code).await;
        assert!(
            err["invalid_fields"][field].is_string(),
            "{method} {path} {body}: {field} not named in {err}"
        );
    }
}

#[tokio::test]
async fn parameters_and_headers_are_checked_too() {
    let api = Api::new().await;
    let err = problem(
        api.get("/v1/qurls?limit=101").await,
        400,
        "validation_error",
    )
    .await;
    assert!(err["invalid_fields"]["limit"].is_string());
    let err = problem(
        api.get("/v1/resources?status=gone").await,
        400,
        "validation_error",
    )
    .await;
    assert!(err["invalid_fields"]["status"].is_string());
    let long_key = "k".repeat(257);
    let resp = api
        .post("/v1/qurls", Some(&long_key), &json!({"target_url": URL}))
        .await;
    let err = problem(resp, 400, "validation_error").await;
    assert!(err["invalid_fields"]["Idempotency-Key"].is_string());
}

#[tokio::test]
async fn only_documented_statuses() {
    let api = Api::new().await;
    // Only 404 is documented for a key id that cannot exist.
    problem(
        api.send(Method::DELETE, "/v1/api-keys/not%20a%20key", None, None)
            .await,
        404,
        "not_found",
    )
    .await;
    // A revoked key cannot change; the operation documents no 409.
    let (_, _, key) = parts(
        api.post(
            "/v1/api-keys",
            None,
            &json!({"name": "a", "scopes": ["qurl:read"]}),
        )
        .await,
    )
    .await;
    let path = format!("/v1/api-keys/{}", key["data"]["key_id"].as_str().unwrap());
    api.send(Method::DELETE, &path, None, None).await;
    problem(
        api.send(Method::PATCH, &path, None, Some(&json!({"name": "b"})))
            .await,
        400,
        "revoked",
    )
    .await;
}

#[tokio::test]
async fn unkeyed_repeats_are_counted_as_duplicates() {
    let api = Api::new().await;
    let body = json!({"target_url": URL});
    for _ in 0..3 {
        api.post("/v1/qurls", None, &body).await;
    }
    api.post(
        "/v1/qurls",
        None,
        &json!({"target_url": "https://b.example.com"}),
    )
    .await;
    api.post("/v1/qurls", Some("k1"), &body).await;
    api.post("/v1/qurls", Some("k1"), &body).await; // a replay, not a repeat
    let c = api.sb.counters();
    assert_eq!(c.unkeyed_creations, 4);
    assert_eq!(
        c.unkeyed_duplicates, 2,
        "the same unkeyed request ran 3 times"
    );
    assert_eq!(c.duplicates(), 0, "keyed requests ran once each");
}

/// `POST /v1/billing/checkout` declares no key: the server ignores one sent
/// anyway, so repeating the request repeats the work, and the counter shows it.
#[tokio::test]
async fn a_key_on_an_operation_that_honours_none_does_not_protect_it() {
    let api = Api::new().await;
    let body = json!({"plan": "growth"});
    for _ in 0..2 {
        let status = api
            .post("/v1/billing/checkout", Some("ignored"), &body)
            .await
            .status();
        assert_eq!(status.as_u16(), 200);
    }
    let c = api.sb.counters();
    assert_eq!(c.replays, 0, "nothing replayed: the key is not honoured");
    assert_eq!(c.unkeyed_duplicates, 1, "the second call ran again");
}

/// `POST /v1/resources` finds the resource it already has for a URL: a
/// repeat that found and changed nothing is not a duplicate.
#[tokio::test]
async fn a_repeat_that_found_the_existing_resource_is_no_duplicate() {
    let api = Api::new().await;
    let body = json!({"type": "url", "target_url": URL});
    let mut ids = Vec::new();
    for _ in 0..3 {
        let answer = api.post("/v1/resources", None, &body).await;
        assert_eq!(answer.status().as_u16(), 201);
        let v: serde_json::Value = answer.json().await.unwrap();
        ids.push(v["data"]["resource_id"].as_str().unwrap().to_owned());
    }
    assert!(ids.iter().all(|i| *i == ids[0]), "one resource: {ids:?}");
    let c = api.sb.counters();
    assert_eq!(c.unkeyed_duplicates, 0);
    assert_eq!(c.resources_created, 1);
}
