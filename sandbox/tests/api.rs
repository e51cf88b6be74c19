//! The simulated endpoints: auth, qURLs, pagination, batch, mint, API keys, quota,
//! 501/404 answers, and robustness against bad input.

mod common;

use std::collections::HashSet;

use common::{Api, TOKEN, parts, problem, qurl_body};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn auth_is_required() {
    let api = Api::new().await;
    let cases: [Option<&str>; 4] = [
        None,
        Some("Bearer nope"),
        Some("Basic lv_x"),
        Some("Bearer lv_"),
    ];
    for auth in cases {
        let mut rb = api.http.get(api.url("/v1/qurls"));
        if let Some(a) = auth {
            rb = rb.header("authorization", a);
        }
        problem(rb.send().await.unwrap(), 401, "invalid_token").await;
    }
    // Unauthenticated POSTs are refused before anything else.
    let resp = api
        .http
        .post(api.url("/v1/qurls"))
        .json(&qurl_body("https://x.example"))
        .send()
        .await
        .unwrap();
    problem(resp, 401, "invalid_token").await;
}

#[tokio::test]
async fn qurl_lifecycle() {
    let api = Api::new().await;
    let resp = api
        .post(
            "/v1/qurls",
            None,
            &json!({"target_url": "https://life.example", "label": "Alice", "expires_in": "2h", "one_time_use": true}),
        )
        .await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let (s, _, created) = parts(resp).await;
    assert_eq!(s, 201);
    let data = &created["data"];
    let rid = data["resource_id"].as_str().unwrap().to_owned();
    let qid = data["qurl_id"].as_str().unwrap().to_owned();
    assert!(rid.starts_with("r_") && rid.len() == 13);
    assert!(qid.starts_with("q_") && qid.len() == 13);
    assert!(
        data["qurl_link"]
            .as_str()
            .unwrap()
            .starts_with("https://qurl.link/#at_")
    );
    assert_eq!(data["qurl_site"], format!("https://{qid}.qurl.site"));
    assert_eq!(data["label"], "Alice");
    assert_eq!(data["type"], "url");
    assert_eq!(location, api.url(&format!("/v1/qurls/{rid}")));

    // By resource id and by qURL id.
    for id in [&rid, &qid] {
        let (s, _, got) = parts(api.get(&format!("/v1/qurls/{id}")).await).await;
        assert_eq!(s, 200);
        assert_eq!(got["data"]["resource_id"], rid.as_str());
        assert_eq!(got["data"]["target_url"], "https://life.example");
        assert_eq!(got["data"]["qurls"][0]["qurl_id"], qid.as_str());
        assert_eq!(got["data"]["qurls"][0]["one_time_use"], true);
        assert_eq!(got["data"]["qurls"][0]["status"], "active");
    }

    let path = format!("/v1/qurls/{rid}");
    let before = parts(api.get(&path).await).await.2["data"]["expires_at"].clone();
    let patch =
        json!({"extend_by": "1d", "tags": ["Prod", "prod ", "team-a"], "description": "dash"});
    let (s, _, patched) = parts(api.send(Method::PATCH, &path, None, Some(&patch)).await).await;
    assert_eq!(s, 200);
    assert_ne!(patched["data"]["expires_at"], before);
    assert_eq!(patched["data"]["tags"], json!(["prod", "team-a"]));
    assert_eq!(patched["data"]["description"], "dash");

    let both = json!({"extend_by": "1d", "expires_at": "2099-01-01T00:00:00Z"});
    let err = problem(
        api.send(Method::PATCH, &path, None, Some(&both)).await,
        400,
        "mutually_exclusive_fields",
    )
    .await;
    assert!(err["invalid_fields"]["extend_by"].is_string());
    problem(
        api.send(Method::PATCH, &path, None, Some(&json!({}))).await,
        400,
        "validation_error",
    )
    .await;
    let far = json!({"expires_at": "2099-01-01T00:00:00Z"});
    let err = problem(
        api.send(Method::PATCH, &path, None, Some(&far)).await,
        400,
        "validation_error",
    )
    .await;
    assert!(err["invalid_fields"]["expires_at"].is_string());

    // Tokens of other owners are invisible.
    let other = api
        .http
        .get(api.url(&path))
        .bearer_auth("lv_other")
        .send()
        .await
        .unwrap();
    problem(other, 404, "not_found").await;
    problem(api.get("/v1/qurls/r_zzzzzzzzzzz").await, 404, "not_found").await;
    // The spec gives `id` no pattern: an id of no known shape is simply not found.
    problem(api.get("/v1/qurls/bogus").await, 404, "not_found").await;

    problem(
        api.send(Method::DELETE, &format!("/v1/qurls/{qid}"), None, None)
            .await,
        400,
        "validation_error",
    )
    .await;
    let (s, _, body) = parts(api.send(Method::DELETE, &path, None, None).await).await;
    assert_eq!((s, body), (204, Value::Null));
    let (_, _, gone) = parts(api.get(&path).await).await;
    assert_eq!(gone["data"]["status"], "revoked");
    assert_eq!(gone["data"]["qurls"][0]["status"], "revoked");
    problem(
        api.post(&format!("{path}/mint_link"), None, &json!({}))
            .await,
        400,
        "revoked",
    )
    .await;

    // A revoked resource no longer dedups its URL.
    let (_, _, fresh) = parts(
        api.post("/v1/qurls", None, &qurl_body("https://life.example"))
            .await,
    )
    .await;
    assert_ne!(fresh["data"]["resource_id"], rid.as_str());
}

#[tokio::test]
async fn create_validation_names_the_fields() {
    let api = Api::new().await;
    // First the schema (every field it can judge, in one answer) ...
    let body = json!({
        "target_url": 7, "max_sessions": -1, "label": "x".repeat(501),
        "access_policy": {"geo_allowlist": ["usa"]}, "custom_domain": null
    });
    let err = problem(
        api.post("/v1/qurls", None, &body).await,
        400,
        "validation_error",
    )
    .await;
    let fields = err["invalid_fields"].as_object().unwrap();
    for f in [
        "target_url",
        "max_sessions",
        "label",
        "access_policy.geo_allowlist[0]",
        "custom_domain",
    ] {
        assert!(fields.contains_key(f), "{f} missing in {fields:?}");
    }
    // ... then the rules the schema cannot say ...
    let body = json!({
        "type": "tunnel", "target_url": "ftp://x", "expires_in": "45d", "session_duration": "2d"
    });
    let err = problem(
        api.post("/v1/qurls", None, &body).await,
        400,
        "validation_error",
    )
    .await;
    let fields = err["invalid_fields"].as_object().unwrap();
    for f in ["type", "target_url", "expires_in", "session_duration"] {
        assert!(fields.contains_key(f), "{f} missing in {fields:?}");
    }
    // ... then the state: no such domain.
    let body = json!({"target_url": "https://x.example", "custom_domain": "app.example.com"});
    let err = problem(
        api.post("/v1/qurls", None, &body).await,
        400,
        "validation_error",
    )
    .await;
    assert!(err["invalid_fields"]["custom_domain"].is_string());
    problem(
        api.post("/v1/qurls", None, &json!({})).await,
        400,
        "validation_error",
    )
    .await;
}

#[tokio::test]
async fn list_paginates_with_cursors() {
    let api = Api::new().await;
    for i in 0..5 {
        let (s, _, _) = parts(
            api.post(
                "/v1/qurls",
                None,
                &qurl_body(&format!("https://page{i}.example")),
            )
            .await,
        )
        .await;
        assert_eq!(s, 201);
    }
    let mut seen = HashSet::new();
    let mut sizes = Vec::new();
    let mut cursor = String::new();
    for _ in 0..10 {
        let path = if cursor.is_empty() {
            "/v1/qurls?limit=2".to_owned()
        } else {
            format!("/v1/qurls?limit=2&cursor={cursor}")
        };
        let (s, _, page) = parts(api.get(&path).await).await;
        assert_eq!(s, 200);
        let items = page["data"].as_array().unwrap();
        sizes.push(items.len());
        assert_eq!(page["meta"]["page_size"], items.len());
        for item in items {
            assert!(seen.insert(item["resource_id"].as_str().unwrap().to_owned()));
            assert!(item.get("qurls").is_none(), "lists carry qurl_count only");
        }
        cursor = page["meta"]["next_cursor"].as_str().unwrap().to_owned();
        assert_eq!(page["meta"]["has_more"], !cursor.is_empty());
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(seen.len(), 5);

    // Newest first by default; ascending on request.
    let (_, _, desc) = parts(api.get("/v1/qurls").await).await;
    let (_, _, asc) = parts(api.get("/v1/qurls?sort=created_at:asc").await).await;
    assert_eq!(desc["data"][0]["target_url"], "https://page4.example");
    assert_eq!(asc["data"][0]["target_url"], "https://page0.example");

    let (_, _, q) = parts(api.get("/v1/qurls?q=PAGE3").await).await;
    assert_eq!(q["data"].as_array().unwrap().len(), 1);

    // Schema rules (range, type, format) are validation errors naming the parameter.
    for bad in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "created_after=yesterday",
    ] {
        let err = problem(
            api.get(&format!("/v1/qurls?{bad}")).await,
            400,
            "validation_error",
        )
        .await;
        let name = bad.split('=').next().unwrap();
        assert!(err["invalid_fields"][name].is_string(), "{bad}: {err}");
    }
    // `sort` is an enum of the spec; a cursor the listing never issued is
    // the listing's to refuse.
    for (bad, code) in [
        ("sort=name", "validation_error"),
        ("cursor=zz", "invalid_request"),
    ] {
        problem(api.get(&format!("/v1/qurls?{bad}")).await, 400, code).await;
    }
    let (s, _, _) = parts(api.get("/v1/qurls?sort=expires_at").await).await;
    assert_eq!(s, 200, "a field alone sorts descending");
    problem(
        api.get("/v1/qurls?status=expired").await,
        400,
        "validation_error",
    )
    .await;
    let (_, _, first) = parts(api.get("/v1/qurls?limit=1&status=active").await).await;
    let c = first["meta"]["next_cursor"].as_str().unwrap();
    problem(
        api.get(&format!("/v1/qurls?limit=1&status=revoked&cursor={c}"))
            .await,
        400,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn etags_give_304() {
    let api = Api::new().await;
    parts(
        api.post("/v1/qurls", None, &qurl_body("https://etag.example"))
            .await,
    )
    .await;
    for path in ["/v1/qurls", "/v1/quota"] {
        let resp = api.get(path).await;
        let tag = resp.headers()["etag"].clone();
        let again = api
            .req(Method::GET, path, None, None)
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status().as_u16(), 304, "{path}");
    }
}

#[tokio::test]
async fn batch_create_201_207_400() {
    let api = Api::new().await;
    let all_ok =
        json!({"items": [qurl_body("https://b1.example"), qurl_body("https://b2.example")]});
    let (s, _, ok) = parts(api.post("/v1/qurls/batch", None, &all_ok).await).await;
    assert_eq!(s, 201);
    assert_eq!(ok["data"]["succeeded"], 2);
    assert_eq!(ok["data"]["failed"], 0);
    let r0 = &ok["data"]["results"][0];
    assert_eq!(
        (r0["index"].clone(), r0["success"].clone()),
        (json!(0), json!(true))
    );
    for f in ["resource_id", "qurl_link", "qurl_site", "expires_at"] {
        assert!(r0[f].is_string(), "{f}");
    }
    assert!(r0.get("qurl_id").is_none());

    // A resource whose session cap (1h) a later item exceeds.
    let capped = json!({"target_url": "https://cap.example", "session_duration": "1h"});
    assert_eq!(
        parts(api.post("/v1/qurls", None, &capped).await).await.0,
        201
    );
    let over = json!({"target_url": "https://cap.example", "session_duration": "2h"});

    let mixed = json!({"items": [qurl_body("https://b3.example"), over.clone()]});
    let (s, _, m) = parts(api.post("/v1/qurls/batch", None, &mixed).await).await;
    assert_eq!(s, 207);
    assert_eq!(
        (m["data"]["succeeded"].clone(), m["data"]["failed"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(m["data"]["results"][1]["success"], false);
    assert_eq!(m["data"]["results"][1]["error"]["code"], "creation_failed");
    // The item's message names the field, as a validation failure would.
    assert_eq!(
        m["data"]["results"][1]["error"]["message"],
        "session_duration: must not exceed the resource's session_duration_cap of 3600s"
    );

    let none = json!({"items": [over]});
    let resp = api.post("/v1/qurls/batch", None, &none).await;
    assert_eq!(resp.headers()["content-type"], "application/json");
    let (s, _, n) = parts(resp).await;
    assert_eq!(s, 400);
    assert_eq!(n["data"]["succeeded"], 0);

    // One invalid item rejects the batch; valid ones are reported as skipped.
    let invalid = json!({"items": [qurl_body("https://b4.example"), {"target_url": "ftp://nope"}]});
    let (s, _, v) = parts(api.post("/v1/qurls/batch", None, &invalid).await).await;
    assert_eq!(s, 400);
    assert_eq!(v["data"]["failed"], 2);
    assert!(
        v["data"]["results"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("skipped")
    );
    assert!(
        v["data"]["results"][1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("target_url")
    );

    // Schema failures are batch-shaped too, naming the item.
    let not_uri = json!({"items": [qurl_body("https://b4.example"), {"target_url": "no uri"}]});
    let (s, _, v) = parts(api.post("/v1/qurls/batch", None, &not_uri).await).await;
    assert_eq!(s, 400);
    assert_eq!(v["data"]["results"][0]["index"], 1);
    assert!(
        v["data"]["results"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("items[1].target_url")
    );
    for items in [json!([]), json!(vec![qurl_body("https://x.example"); 101])] {
        let (s, _, v) = parts(
            api.post("/v1/qurls/batch", None, &json!({ "items": items }))
                .await,
        )
        .await;
        assert_eq!(s, 400);
        assert_eq!(v["data"]["succeeded"], 0);
    }

    // 2 + capped 1 + 1 from the mixed batch.
    assert_eq!(api.sb.counters().resources_created, 4);
}

#[tokio::test]
async fn mint_link_and_resource_qurls() {
    let api = Api::new().await;
    let (_, _, c) = parts(
        api.post(
            "/v1/qurls",
            None,
            &json!({"target_url": "https://mint.example", "session_duration": "30m"}),
        )
        .await,
    )
    .await;
    let rid = c["data"]["resource_id"].as_str().unwrap().to_owned();

    let resp = api
        .post(
            &format!("/v1/qurls/{rid}/mint_link"),
            None,
            &json!({"expires_in": "5m", "label": "Bob"}),
        )
        .await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let (s, _, m) = parts(resp).await;
    assert_eq!(s, 201);
    assert_eq!(m["data"]["qurl_link"], location.as_str());
    assert!(m["data"]["qurl_id"].as_str().unwrap().starts_with("q_"));
    // An empty body means defaults; no body at all is refused (the spec
    // requires one).
    let (s, _, _) = parts(
        api.post(&format!("/v1/qurls/{rid}/mint_link"), None, &json!({}))
            .await,
    )
    .await;
    assert_eq!(s, 201);
    problem(
        api.send(
            Method::POST,
            &format!("/v1/qurls/{rid}/mint_link"),
            None,
            None,
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
    let both = json!({"expires_in": "5m", "expires_at": "2099-01-01T00:00:00Z"});
    problem(
        api.post(&format!("/v1/qurls/{rid}/mint_link"), None, &both)
            .await,
        400,
        "mutually_exclusive_fields",
    )
    .await;
    let over_cap = json!({"session_duration": "1h"});
    problem(
        api.post(&format!("/v1/qurls/{rid}/mint_link"), None, &over_cap)
            .await,
        400,
        "invalid_session_duration",
    )
    .await;

    let path = format!("/v1/resources/{rid}/qurls");
    // Every field is optional, but the body is not: as for mint_link.
    let (s, _, _) = parts(api.send(Method::POST, &path, None, None).await).await;
    assert_eq!(s, 400);
    let resp = api.post(&path, None, &json!({})).await;
    assert_eq!(
        resp.headers()["location"],
        api.url(&format!("/v1/qurls/{rid}")).as_str()
    );
    let (s, _, r) = parts(resp).await;
    assert_eq!(s, 201);
    assert_eq!(r["data"]["resource_id"], rid.as_str());
    let err = problem(
        api.post(&path, None, &json!({"max_sessions": "many"}))
            .await,
        400,
        "validation_error",
    )
    .await;
    assert!(err["invalid_fields"]["max_sessions"].is_string());
    problem(
        api.post(&path, None, &over_cap).await,
        400,
        "invalid_session_duration",
    )
    .await;
    problem(
        api.post("/v1/resources/r_zzzzzzzzzzz/qurls", None, &json!({}))
            .await,
        404,
        "resource_not_found",
    )
    .await;
    let foreign = api
        .http
        .post(api.url(&path))
        .bearer_auth("lv_intruder")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(foreign, 403, "access_denied").await;

    let (_, _, got) = parts(api.get(&format!("/v1/qurls/{rid}")).await).await;
    // The body-less post above made none.
    assert_eq!(got["data"]["qurl_count"], 4);
    assert_eq!(got["data"]["qurls"][0]["session_duration"], 1800);
}

#[tokio::test]
async fn api_keys_lifecycle() {
    let api = Api::new().await;
    let resp = api
        .post(
            "/v1/api-keys",
            None,
            &json!({"name": "ci", "scopes": ["qurl:write", "qurl:read"]}),
        )
        .await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let (s, _, created) = parts(resp).await;
    assert_eq!(s, 201);
    let d = &created["data"];
    let key_id = d["key_id"].as_str().unwrap().to_owned();
    let secret = d["api_key"].as_str().unwrap();
    assert!(key_id.starts_with("key_") && key_id.len() == 16);
    assert_eq!(d["key_prefix"], &secret[..12]);
    assert_eq!(d["scopes"], json!(["qurl:read", "qurl:write"]));
    assert_eq!(d["status"], "active");
    assert_eq!(location, api.url(&format!("/v1/api-keys/{key_id}")));

    let (_, _, list) = parts(api.get("/v1/api-keys").await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(
        list["data"][0].get("api_key").is_none(),
        "the secret is shown once"
    );

    let path = format!("/v1/api-keys/{key_id}");
    let (s, _, upd) = parts(
        api.send(Method::PATCH, &path, None, Some(&json!({"name": "ci-2"})))
            .await,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(upd["data"]["name"], "ci-2");
    assert!(upd["data"]["updated_at"].is_string());
    problem(
        api.send(
            Method::PATCH,
            "/v1/api-keys/key_000000000000",
            None,
            Some(&json!({})),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    assert_eq!(
        api.send(Method::DELETE, &path, None, None)
            .await
            .status()
            .as_u16(),
        204
    );
    let (_, _, active) = parts(api.get("/v1/api-keys").await).await;
    assert_eq!(active["data"], json!([]));
    let (_, _, revoked) = parts(api.get("/v1/api-keys?status=revoked").await).await;
    assert_eq!(revoked["data"][0]["status"], "revoked");
    problem(
        api.get("/v1/api-keys?status=gone").await,
        400,
        "validation_error",
    )
    .await;

    let extra = json!({"name": "x", "scopes": ["qurl:read"], "admin": true});
    problem(
        api.post("/v1/api-keys", None, &extra).await,
        400,
        "validation_error",
    )
    .await;
    let bad_scope = json!({"name": "x", "scopes": ["root"]});
    problem(
        api.post("/v1/api-keys", None, &bad_scope).await,
        400,
        "validation_error",
    )
    .await;
    let no_purpose = json!({"name": "x", "scopes": ["qurl:read"], "expires_in": "1h"});
    problem(
        api.post("/v1/api-keys", None, &no_purpose).await,
        400,
        "invalid_input",
    )
    .await;
    let boot = json!({"name": "x", "scopes": ["qurl:read"], "purpose": "tunnel_bootstrap", "tunnel_slug": "edge-1", "expires_in": "25h"});
    problem(
        api.post("/v1/api-keys", None, &boot).await,
        400,
        "invalid_duration",
    )
    .await;

    // Paging through keys.
    for i in 0..3 {
        api.post(
            "/v1/api-keys",
            None,
            &json!({"name": format!("k{i}"), "scopes": ["qurl:read"]}),
        )
        .await;
    }
    let (_, _, p1) = parts(api.get("/v1/api-keys?limit=2").await).await;
    assert_eq!(p1["meta"]["has_more"], true);
    assert_eq!(p1["data"][0]["name"], "k2", "newest first");
    let c = p1["meta"]["next_cursor"].as_str().unwrap();
    let (_, _, p2) = parts(api.get(&format!("/v1/api-keys?limit=2&cursor={c}")).await).await;
    assert_eq!(p2["data"].as_array().unwrap().len(), 1);
    assert_eq!(p2["meta"]["has_more"], false);
}

#[tokio::test]
async fn quota_reflects_usage() {
    let api = Api::new().await;
    for i in 0..3 {
        api.post(
            "/v1/qurls",
            None,
            &qurl_body(&format!("https://q{i}.example")),
        )
        .await;
    }
    let (s, _, q) = parts(api.get("/v1/quota").await).await;
    assert_eq!(s, 200);
    assert_eq!(q["data"]["plan"], "growth");
    assert_eq!(q["data"]["usage"]["qurls_created"], 3);
    assert_eq!(q["data"]["usage"]["active_qurls"], 3);
    assert_eq!(q["data"]["rate_limits"]["max_expiry_seconds"], 2_592_000);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let api = Api::new().await;
    problem(api.get("/v2/nothing").await, 404, "not_found").await;
    let put = api.send(Method::PUT, "/v1/quota", None, None).await;
    assert_eq!(
        put.headers()["allow"],
        "GET",
        "RFC 9110: a 405 names the methods"
    );
    problem(put, 405, "method_not_allowed").await;
    let put = api.send(Method::PUT, "/v1/qurls", None, None).await;
    assert_eq!(put.headers()["allow"], "GET, POST");
    // Public in the API: redeeming needs no token.
    let redeem = api
        .http
        .post(api.url("/v1/access-codes/redeem"))
        .json(&json!({"code": "ac_nope"}))
        .send()
        .await
        .unwrap();
    problem(redeem, 400, "invalid_code").await;
}

#[tokio::test]
async fn hostile_input_never_breaks_the_server() {
    let api = Api::new().await;
    let raw = |body: &'static str| {
        api.http
            .post(api.url("/v1/qurls"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
    };
    for body in [
        "",
        "{",
        "[]",
        "null",
        "\"x\"",
        "{\"target_url\": 1e400}",
        "{\"target_url\": \"https://a\\u0000\"}",
    ] {
        let status = raw(body).send().await.unwrap().status().as_u16();
        assert_eq!(status, 400, "body {body:?}");
    }
    let nested = "[".repeat(10_000);
    let resp = api
        .http
        .post(api.url("/v1/api-keys"))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", "n".repeat(40))
        .body(nested)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let big = "x".repeat(2 * 1024 * 1024);
    let resp = api
        .http
        .post(api.url("/v1/qurls"))
        .bearer_auth(TOKEN)
        .body(big)
        .send()
        .await;
    if let Ok(resp) = resp {
        assert_eq!(resp.status().as_u16(), 400);
    }
    let odd = [
        "/v1/qurls/%FF%FE",
        "/v1/qurls?limit=%FF",
        "/v1/qurls?cursor=%E2%82",
        "/v1/api-keys/%00",
        "/v1/qurls/q_zzzzzzzzzzz/mint_link",
    ];
    for path in odd {
        let status = api.get(path).await.status().as_u16();
        assert!((400..500).contains(&status), "{path} gave {status}");
    }
    assert_eq!(api.get("/v1/quota").await.status().as_u16(), 200);
}

/// An empty cursor is the first page (listings end with `next_cursor: ""`,
/// so a client that hands back what it got is not refused), and `limit` is
/// bounded on every listing.
#[tokio::test]
async fn an_empty_cursor_is_the_first_page_and_limit_is_bounded_everywhere() {
    let api = Api::new().await;
    let first = api.get("/v1/qurls?cursor=").await;
    assert_eq!(first.status(), 200);
    for path in [
        "/v1/billing/invoices",
        "/v1/domains",
        "/v1/qurls",
        "/v1/webhooks",
    ] {
        let answer = api.get(&format!("{path}?limit=101")).await;
        assert_eq!(answer.status(), 400, "{path}");
        let ok = api.get(&format!("{path}?limit=100&cursor=")).await;
        assert_eq!(ok.status(), 200, "{path}");
    }
}
