//! Idempotency-Key semantics: replay, scoping, what is stored, in-flight conflicts,
//! and retries after lost answers.

mod common;

use std::time::Duration;

use common::{Api, TOKEN, client, parts, problem, qurl_body};
use qurl_sandbox::{FaultKind, Sandbox, ScriptedFault};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn replay_returns_the_same_answer_and_creates_once() {
    let api = Api::new().await;
    let body = qurl_body("https://replay.example/a");
    let first = api.post("/v1/qurls", Some("key-1"), &body).await;
    let location = first.headers().get("location").cloned();
    let (s1, r1, b1) = parts(first).await;
    let second = api.post("/v1/qurls", Some("key-1"), &body).await;
    assert_eq!(second.headers().get("location").cloned(), location);
    let (s2, r2, b2) = parts(second).await;

    assert_eq!((s1, r1), (201, false));
    assert_eq!((s2, r2), (201, true));
    assert_eq!(
        b1, b2,
        "the replay carries the original body, request_id included"
    );

    let c = api.sb.counters();
    assert_eq!(c.resources_created, 1);
    assert_eq!(c.creations_by_key.get("key-1"), Some(&1));
    assert_eq!(c.attempts_by_key.get("key-1"), Some(&2));
    assert_eq!(c.replays, 1);
    assert_eq!(c.duplicates(), 0);

    let (_, _, list) = parts(api.get("/v1/qurls").await).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["data"][0]["qurl_count"], 1);
}

#[tokio::test]
async fn a_new_key_is_a_new_creation() {
    let api = Api::new().await;
    let body = qurl_body("https://replay.example/b");
    let (_, _, a) = parts(api.post("/v1/qurls", Some("key-a"), &body).await).await;
    let (s, replayed, b) = parts(api.post("/v1/qurls", Some("key-b"), &body).await).await;
    assert_eq!((s, replayed), (201, false));
    assert_ne!(a["data"]["qurl_id"], b["data"]["qurl_id"]);
    // Same target URL: the second token lands on the same resource.
    assert_eq!(a["data"]["resource_id"], b["data"]["resource_id"]);
    let c = api.sb.counters();
    assert_eq!(c.resources_created, 2);
    assert_eq!(c.duplicates(), 0);
}

#[tokio::test]
async fn keys_are_scoped_by_owner_and_path() {
    let api = Api::new().await;
    let body = qurl_body("https://scope.example");
    let (_, _, mine) = parts(api.post("/v1/qurls", Some("shared"), &body).await).await;
    let theirs = api
        .http
        .post(api.url("/v1/qurls"))
        .bearer_auth("lv_someone_else")
        .header("Idempotency-Key", "shared")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (s, replayed, theirs) = parts(theirs).await;
    assert_eq!((s, replayed), (201, false));
    assert_ne!(mine["data"]["resource_id"], theirs["data"]["resource_id"]);

    let rid = mine["data"]["resource_id"].as_str().unwrap();
    let (s, replayed, _) = parts(
        api.post(
            &format!("/v1/qurls/{rid}/mint_link"),
            Some("shared"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((s, replayed), (201, false));
}

#[tokio::test]
async fn server_errors_are_not_stored_and_the_retry_runs() {
    let api = Api::new().await;
    api.sb.script(
        ScriptedFault::new(FaultKind::ServiceUnavailable)
            .method("POST")
            .path("/v1/qurls"),
    );
    let body = qurl_body("https://five.example");
    let first = api.post("/v1/qurls", Some("k5"), &body).await;
    assert_eq!(first.headers().get("retry-after").unwrap(), "1");
    problem(first, 503, "service_unavailable").await;
    let (s, replayed, _) = parts(api.post("/v1/qurls", Some("k5"), &body).await).await;
    assert_eq!((s, replayed), (201, false));

    // Any 5xx is forgotten, on every keyed operation.
    api.sb
        .script(ScriptedFault::new(FaultKind::BadGateway).path("/v1/webhooks"));
    let hook = json!({"url": "https://hooks.example/in", "events": ["qurl.created"]});
    problem(
        api.post("/v1/webhooks", Some("k502"), &hook).await,
        502,
        "bad_gateway",
    )
    .await;
    let (s, replayed, _) = parts(api.post("/v1/webhooks", Some("k502"), &hook).await).await;
    assert_eq!((s, replayed), (201, false));

    let c = api.sb.counters();
    assert_eq!(c.creations_by_key.get("k5"), Some(&1));
    assert_eq!(c.attempts_by_key.get("k5"), Some(&2));
    assert_eq!(c.fault_count(FaultKind::ServiceUnavailable), 1);
    assert_eq!(c.replays, 0);
}

#[tokio::test]
async fn client_errors_are_stored_and_replayed() {
    let api = Api::new().await;
    let bad = api
        .post(
            "/v1/qurls",
            Some("k4"),
            &json!({ "target_url": "not a url" }),
        )
        .await;
    problem(bad, 400, "validation_error").await;
    // Fixing the body but keeping the key still gets the stored 400.
    let again = api
        .post("/v1/qurls", Some("k4"), &qurl_body("https://fixed.example"))
        .await;
    assert_eq!(again.headers().get("idempotency-replayed").unwrap(), "true");
    problem(again, 400, "validation_error").await;
    assert_eq!(api.sb.counters().resources_created, 0);
}

#[tokio::test]
async fn a_retry_while_the_original_runs_gets_409_duplicate_request() {
    let api = Api::start(Sandbox::builder().slow_delay(Duration::from_millis(1500))).await;
    api.sb.script(
        ScriptedFault::new(FaultKind::Delay)
            .method("POST")
            .path("/v1/qurls"),
    );
    let body = qurl_body("https://slow.example");
    let original = api
        .req(Method::POST, "/v1/qurls", Some("slow"), Some(&body))
        .send();
    let original = tokio::spawn(original);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let dup = api.post("/v1/qurls", Some("slow"), &body).await;
    assert_eq!(dup.headers().get("retry-after").unwrap(), "1");
    problem(dup, 409, "duplicate_request").await;

    let (s, replayed, first) = parts(original.await.unwrap().unwrap()).await;
    assert_eq!((s, replayed), (201, false));
    let (s, replayed, later) = parts(api.post("/v1/qurls", Some("slow"), &body).await).await;
    assert_eq!((s, replayed), (201, true));
    assert_eq!(first, later);

    let c = api.sb.counters();
    assert_eq!(c.in_flight_conflicts, 1);
    assert_eq!(c.creations_by_key.get("slow"), Some(&1));
    assert_eq!(c.fault_count(FaultKind::Delay), 1);
}

#[tokio::test]
async fn a_delayed_request_commits_even_after_the_client_gave_up() {
    let api = Api::start(Sandbox::builder().slow_delay(Duration::from_millis(500))).await;
    api.sb
        .script(ScriptedFault::new(FaultKind::Delay).path("/v1/qurls"));
    let impatient = client(Duration::from_millis(150));
    let body = qurl_body("https://gave-up.example");
    let err = impatient
        .post(api.url("/v1/qurls"))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", "gave-up")
        .json(&body)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    // Bounded wait for the server-side commit.
    let mut committed = false;
    for _ in 0..50 {
        if api.sb.counters().creations_by_key.get("gave-up") == Some(&1) {
            committed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(committed, "the delayed request was not committed");
    let (s, replayed, _) = parts(api.post("/v1/qurls", Some("gave-up"), &body).await).await;
    assert_eq!((s, replayed), (201, true));
    assert_eq!(api.sb.counters().resources_created, 1);
}

#[tokio::test]
async fn drop_after_commit_then_retry_is_replayed_not_redone() {
    let api = Api::new().await;
    api.sb.script(
        ScriptedFault::new(FaultKind::DropAfterCommit)
            .method("POST")
            .path("/v1/qurls"),
    );
    let body = qurl_body("https://lost-answer.example");
    let err = api
        .req(Method::POST, "/v1/qurls", Some("lost"), Some(&body))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(api.sb.counters().creations_by_key.get("lost"), Some(&1));

    let (s, replayed, _) = parts(api.post("/v1/qurls", Some("lost"), &body).await).await;
    assert_eq!((s, replayed), (201, true));
    let c = api.sb.counters();
    assert_eq!(c.creations_by_key.get("lost"), Some(&1));
    assert_eq!(c.resources_created, 1);
    assert_eq!(c.fault_count(FaultKind::DropAfterCommit), 1);
    assert_eq!(c.duplicates(), 0);
}

#[tokio::test]
async fn truncated_body_then_retry_is_replayed() {
    let api = Api::new().await;
    api.sb
        .script(ScriptedFault::new(FaultKind::TruncatedBody).path("/v1/qurls"));
    let body = qurl_body("https://cut.example");
    let resp = api.post("/v1/qurls", Some("cut"), &body).await;
    assert_eq!(resp.status().as_u16(), 201, "the headers arrive intact");
    assert!(resp.bytes().await.is_err(), "the body must be cut short");

    let (s, replayed, full) = parts(api.post("/v1/qurls", Some("cut"), &body).await).await;
    assert_eq!((s, replayed), (201, true));
    assert!(full["data"]["qurl_id"].is_string());
    assert_eq!(api.sb.counters().resources_created, 1);
}

#[tokio::test]
async fn retries_without_a_key_show_up_as_unkeyed_duplicates() {
    let api = Api::new().await;
    api.sb
        .script(ScriptedFault::new(FaultKind::DropAfterCommit).path("/v1/qurls"));
    let body = qurl_body("https://unkeyed.example");
    assert!(
        api.req(Method::POST, "/v1/qurls", None, Some(&body))
            .send()
            .await
            .is_err()
    );
    let (s, _, _) = parts(api.post("/v1/qurls", None, &body).await).await;
    assert_eq!(s, 201);
    let c = api.sb.counters();
    assert_eq!(c.unkeyed_creations, 2);
    assert_eq!(c.resources_created, 2);
}

#[tokio::test]
async fn after_the_ttl_a_key_runs_again_and_counts_as_a_duplicate() {
    let api = Api::start(Sandbox::builder().idempotency_ttl(Duration::from_millis(200))).await;
    let body = qurl_body("https://ttl.example");
    assert_eq!(
        parts(api.post("/v1/qurls", Some("ttl"), &body).await)
            .await
            .0,
        201
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, replayed, _) = parts(api.post("/v1/qurls", Some("ttl"), &body).await).await;
    assert_eq!((s, replayed), (201, false));
    let c = api.sb.counters();
    assert_eq!(c.creations_by_key.get("ttl"), Some(&2));
    assert_eq!(c.duplicates(), 1);
}

#[tokio::test]
async fn patch_is_idempotent_too() {
    let api = Api::new().await;
    let (_, _, created) = parts(
        api.post("/v1/qurls", None, &qurl_body("https://p.example"))
            .await,
    )
    .await;
    let rid = created["data"]["resource_id"].as_str().unwrap().to_owned();
    let path = format!("/v1/qurls/{rid}");
    let patch = json!({ "extend_by": "1d" });
    let (_, _, a) = parts(
        api.send(Method::PATCH, &path, Some("ext"), Some(&patch))
            .await,
    )
    .await;
    let (s, replayed, b) = parts(
        api.send(Method::PATCH, &path, Some("ext"), Some(&patch))
            .await,
    )
    .await;
    assert_eq!((s, replayed), (200, true));
    assert_eq!(a["data"]["expires_at"], b["data"]["expires_at"]);
    assert_eq!(api.sb.counters().creations_by_key.get("ext"), Some(&1));
}

#[tokio::test]
async fn key_length_rules() {
    let api = Api::new().await;
    let body = qurl_body("https://keys.example");
    // Limits come from the header's schema in openapi.json.
    for bad in ["k".repeat(257), String::new()] {
        let err = problem(
            api.post("/v1/qurls", Some(&bad), &body).await,
            400,
            "validation_error",
        )
        .await;
        assert!(err["invalid_fields"]["Idempotency-Key"].is_string());
    }
    assert_eq!(
        parts(api.post("/v1/qurls", Some(&"k".repeat(256)), &body).await)
            .await
            .0,
        201
    );

    let key_body = json!({ "name": "ci", "scopes": ["qurl:read"] });
    let short = "s".repeat(31);
    problem(
        api.post("/v1/api-keys", Some(&short), &key_body).await,
        400,
        "validation_error",
    )
    .await;
    assert_eq!(
        parts(
            api.post("/v1/api-keys", Some(&"s".repeat(32)), &key_body)
                .await
        )
        .await
        .0,
        201
    );
    assert_eq!(api.sb.counters().resources_created, 2);
}

#[tokio::test]
async fn api_key_mint_with_a_reused_key_and_another_body_is_409() {
    let api = Api::new().await;
    let key = "0192f7c4-3b8a-7e2f-9d01-4cf8a1b6e3d2";
    let body = json!({ "name": "first", "scopes": ["qurl:read", "qurl:write"] });
    let (s, _, first) = parts(api.post("/v1/api-keys", Some(key), &body).await).await;
    assert_eq!(s, 201);
    assert!(
        first["data"]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("lv_live_")
    );

    // Same body, different formatting: still a replay.
    let same = api
        .req(Method::POST, "/v1/api-keys", Some(key), None)
        .header("content-type", "application/json")
        .body(r#"{ "scopes": ["qurl:read","qurl:write"], "name": "first" }"#)
        .send()
        .await
        .unwrap();
    let (s, replayed, again) = parts(same).await;
    assert_eq!((s, replayed), (201, true));
    assert_eq!(first, again);

    let other = json!({ "name": "second", "scopes": ["qurl:read"] });
    problem(
        api.post("/v1/api-keys", Some(key), &other).await,
        409,
        "idempotency_key_reused",
    )
    .await;
    let c = api.sb.counters();
    assert_eq!(c.creations_by_key.get(key), Some(&1));
    assert_eq!(c.resources_created, 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_execute_once() {
    let api = Api::start(Sandbox::builder().slow_delay(Duration::from_millis(300))).await;
    api.sb
        .script(ScriptedFault::new(FaultKind::Delay).path("/v1/qurls"));
    let body = qurl_body("https://race.example");
    let sends: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn(
                api.req(Method::POST, "/v1/qurls", Some("race"), Some(&body))
                    .send(),
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for s in sends {
        statuses.push(s.await.unwrap().unwrap().status().as_u16());
    }
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201));
    let c = api.sb.counters();
    assert_eq!(c.creations_by_key.get("race"), Some(&1));
    assert_eq!(c.resources_created, 1);
    let conflicts = statuses.iter().filter(|s| **s == 409).count() as u64;
    assert_eq!(c.in_flight_conflicts, conflicts);
}

/// A client that retries every transient failure with the same key never
/// creates anything twice, whatever the faults.
#[tokio::test]
async fn a_retrying_client_under_random_faults_creates_each_thing_once() {
    let api = Api::start(
        Sandbox::builder()
            .seed(11)
            .fault_rate(0.5)
            .slow_delay(Duration::from_millis(50))
            .retry_after_secs(0),
    )
    .await;
    let http = client(Duration::from_secs(2));
    for i in 0..20 {
        let key = format!("logical-{i}");
        let body = qurl_body(&format!("https://chaos{i}.example"));
        let mut done = false;
        for _attempt in 0..40 {
            let sent = http
                .post(api.url("/v1/qurls"))
                .bearer_auth(TOKEN)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await;
            let Ok(resp) = sent else { continue };
            if resp.status().as_u16() == 201 && resp.bytes().await.is_ok() {
                done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(done, "{key} never succeeded");
    }
    let c = api.sb.counters();
    assert_eq!(c.duplicates(), 0, "{c:?}");
    assert_eq!(c.resources_created, 20);
    assert_eq!(c.creations_by_key.len(), 20);
    assert!(c.faults.values().sum::<u64>() > 0);
}
