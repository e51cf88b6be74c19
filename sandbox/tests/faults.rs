//! Fault injection: scripted faults, seeded random faults, and the admin endpoints.

mod common;

use common::{Api, parts, problem, qurl_body};
use qurl_sandbox::{Counters, FaultKind, Sandbox, ScriptedFault};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn scripted_faults_fire_exactly_times_times() {
    let api = Api::new().await;
    api.sb.script(
        ScriptedFault::new(FaultKind::BadGateway)
            .method("POST")
            .path("/v1/qurls")
            .times(2),
    );
    // Not matching: untouched.
    assert_eq!(api.get("/v1/qurls").await.status().as_u16(), 200);
    let body = qurl_body("https://scripted.example");
    problem(api.post("/v1/qurls", None, &body).await, 502, "bad_gateway").await;
    problem(api.post("/v1/qurls", None, &body).await, 502, "bad_gateway").await;
    assert_eq!(parts(api.post("/v1/qurls", None, &body).await).await.0, 201);

    let c = api.sb.counters();
    assert_eq!(c.fault_count(FaultKind::BadGateway), 2);
    assert_eq!(c.requests, 4);
    assert_eq!(c.resources_created, 1, "faulted requests were not handled");
}

#[tokio::test]
async fn each_status_fault_answers_problem_json() {
    let api = Api::start(Sandbox::builder().retry_after_secs(7)).await;
    api.sb.script(ScriptedFault::new(FaultKind::GatewayTimeout));
    problem(api.get("/v1/quota").await, 504, "gateway_timeout").await;

    api.sb.script(ScriptedFault::new(FaultKind::RateLimited));
    let resp = api.get("/v1/quota").await;
    let h = resp.headers().clone();
    problem(resp, 429, "rate_limit_exceeded").await;
    assert_eq!(h["retry-after"], "7");
    assert_eq!(h["ratelimit-remaining"], "0");
    assert!(h.contains_key("ratelimit-limit"));
    let reset: i64 = h["ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset > 1_700_000_000, "RateLimit-Reset is a Unix timestamp");

    api.sb
        .script(ScriptedFault::new(FaultKind::ServiceUnavailable));
    let resp = api.get("/v1/quota").await;
    assert_eq!(resp.headers()["retry-after"], "7");
    problem(resp, 503, "service_unavailable").await;
}

#[tokio::test]
async fn drop_before_handling_commits_nothing() {
    let api = Api::new().await;
    api.sb
        .script(ScriptedFault::new(FaultKind::DropBeforeHandling).path("/v1/qurls"));
    let body = qurl_body("https://dropped.example");
    let err = api
        .req(Method::POST, "/v1/qurls", Some("d1"), Some(&body))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err}");
    let c = api.sb.counters();
    assert_eq!(c.requests, 1);
    assert_eq!(c.attempts_by_key.get("d1"), Some(&1));
    assert_eq!(c.resources_created, 0);
    // Nothing was claimed either: the retry runs normally.
    let (s, replayed, _) = parts(api.post("/v1/qurls", Some("d1"), &body).await).await;
    assert_eq!((s, replayed), (201, false));
}

/// Statuses of `n` sequential GETs against a fresh sandbox with these settings.
async fn run(seed: u64, n: usize) -> (Vec<u16>, Counters) {
    let api = Api::start(
        Sandbox::builder()
            .seed(seed)
            .fault_rate(0.5)
            .fault_kinds(vec![
                FaultKind::BadGateway,
                FaultKind::ServiceUnavailable,
                FaultKind::GatewayTimeout,
                FaultKind::RateLimited,
            ]),
    )
    .await;
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        statuses.push(api.get("/v1/quota").await.status().as_u16());
    }
    (statuses, api.sb.counters())
}

#[tokio::test]
async fn seeded_random_faults_are_reproducible() {
    let (a, ca) = run(42, 40).await;
    let (b, cb) = run(42, 40).await;
    let (c, _) = run(43, 40).await;
    assert_eq!(a, b);
    assert_eq!(ca.faults, cb.faults);
    assert_ne!(a, c, "another seed gives another sequence");
    assert!(a.contains(&200));
    assert!(a.iter().any(|s| *s != 200));
    let faulted = a.iter().filter(|s| **s != 200).count() as u64;
    assert_eq!(ca.faults.values().sum::<u64>(), faulted);
}

#[tokio::test]
async fn fault_rate_can_change_at_run_time() {
    let api = Api::start(
        Sandbox::builder()
            .fault_rate(1.0)
            .fault_kinds(vec![FaultKind::ServiceUnavailable]),
    )
    .await;
    assert_eq!(api.get("/v1/quota").await.status().as_u16(), 503);
    api.sb.set_fault_rate(0.0);
    assert_eq!(api.get("/v1/quota").await.status().as_u16(), 200);
    // Out-of-range values are clamped, not a panic.
    api.sb.set_fault_rate(f64::NAN);
    assert_eq!(api.get("/v1/quota").await.status().as_u16(), 200);
}

#[tokio::test]
async fn builder_rejects_a_bad_fault_rate() {
    let err = Sandbox::builder()
        .fault_rate(1.5)
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn admin_endpoints_work_and_are_never_faulted() {
    let api = Api::start(Sandbox::builder().fault_rate(1.0)).await;
    let http = &api.http;

    // Script through HTTP, as a non-Rust client would.
    let resp = http
        .post(api.url("/_sandbox/faults"))
        .json(&json!({"method": "POST", "path": "/v1/qurls", "kind": "service_unavailable", "times": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let resp = http
        .post(api.url("/_sandbox/faults"))
        .json(&json!({"kind": "not_a_kind"}))
        .send()
        .await
        .unwrap();
    problem(resp, 400, "invalid_request").await;

    api.sb.set_fault_rate(0.0);
    let body = qurl_body("https://admin.example");
    problem(
        api.post("/v1/qurls", None, &body).await,
        503,
        "service_unavailable",
    )
    .await;
    problem(
        api.post("/v1/qurls", None, &body).await,
        503,
        "service_unavailable",
    )
    .await;
    assert_eq!(parts(api.post("/v1/qurls", None, &body).await).await.0, 201);

    api.sb.set_fault_rate(1.0);
    for _ in 0..5 {
        let resp = http
            .get(api.url("/_sandbox/counters"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let json: Value = resp.json().await.unwrap();
        let counters: Counters = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(counters.faults.get("service_unavailable"), Some(&2));
        assert_eq!(counters.requests, 3, "admin requests are not counted");
        assert_eq!(json["duplicates"], 0);
    }
}
