//! The task helpers against the sandbox: protect a URL (also under 30%
//! faults), find a connector's resource, share a link and enter it, and
//! `into_data()`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use qurl::prelude::*;
use qurl::tasks::PortalOptions;
use qurl_sandbox::Sandbox;
use support::*;

async fn sandbox() -> Sandbox {
    Sandbox::builder().seed(11).start().await.expect("sandbox")
}

#[tokio::test]
async fn protect_url_returns_the_same_resource_for_the_same_url() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    let first = client.protect_url("https://example.com/a").await.unwrap();
    let again = client.protect_url("https://example.com/a").await.unwrap();
    let other = client.protect_url("https://example.com/b").await.unwrap();
    assert!(first.resource_id.is_some());
    assert_eq!(first.resource_id, again.resource_id);
    assert_ne!(first.resource_id, other.resource_id);
    assert_eq!(first.target_url.as_deref(), Some("https://example.com/a"));
    assert_eq!(sandbox.counters().resources_created, 2);
}

/// Under 30% faults of every kind, 60 URLs protected twice each (120
/// calls) leave exactly one resource per URL, and every call succeeds: the
/// helper is replayed where a plain `post_resources()` would stop.
#[tokio::test]
async fn protect_url_under_30_percent_faults_never_leaves_two_resources_for_one_url() {
    let sandbox = Sandbox::builder()
        .fault_rate(0.3)
        .seed(29)
        .slow_delay(Duration::from_millis(300))
        .retry_after_secs(0)
        .start()
        .await
        .unwrap();
    let client = qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(sandbox.base_url())
        .timeout(Duration::from_millis(200))
        .retry_policy(
            qurl::RetryPolicy::default()
                .max_retries(10)
                .initial_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .retry_budget(100_000)
        .build()
        .unwrap();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..2 {
        for i in 0..60 {
            let url = format!("https://example.com/faulty/{i}");
            let r = client
                .protect_url(&url)
                .await
                .unwrap_or_else(|e| panic!("round {round}, {url}: {e}"));
            let id = r.resource_id.unwrap();
            assert_eq!(ids.entry(url).or_insert_with(|| id.clone()), &id);
        }
    }
    let faults: u64 = sandbox.counters().faults.values().sum();
    assert!(faults > 20, "faults were injected: {faults}");
    sandbox.set_fault_rate(0.0);
    let listed: Vec<_> = client
        .get_resources()
        .limit(100)
        .by_item()
        .take(200) // bounded: a looping walk fails the count below
        .try_collect()
        .await
        .unwrap();
    let mut per_url: BTreeMap<String, usize> = BTreeMap::new();
    for r in listed {
        *per_url.entry(r.target_url.unwrap_or_default()).or_default() += 1;
    }
    assert_eq!(per_url.len(), 60);
    assert!(per_url.values().all(|n| *n == 1), "{per_url:?}");
    let c = sandbox.counters();
    assert_eq!(c.unkeyed_duplicates, 0);
    assert_eq!(c.duplicates(), 0);
}

#[tokio::test]
async fn connector_resource_finds_one_none_or_too_many() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    for i in 0..120 {
        client
            .post_resources()
            .body_map(|b| b.type_("tunnel").slug(format!("noise-{i}")))
            .send()
            .await
            .unwrap();
    }
    let made = client
        .post_resources()
        .body_map(|b| b.type_("tunnel").slug("grafana-prod"))
        .send()
        .await
        .unwrap()
        .into_data()
        .unwrap();
    let found = client.connector_resource("grafana-prod").await.unwrap();
    assert_eq!(found.resource_id, made.resource_id);

    let missing = client.connector_resource("nothing-here").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(missing.to_string().contains("nothing-here"), "{missing}");
}

#[tokio::test]
async fn connector_resource_with_several_matches_is_ambiguous() {
    // The API keeps slugs unique; a server that breaks that is reported.
    let server = MockServer::start_async().await;
    let page = |ids: &[&str], next: Option<&str>| {
        let data: Vec<_> = ids
            .iter()
            .map(|id| serde_json::json!({"resource_id": id, "slug": "dup"}))
            .collect();
        let meta = serde_json::json!({"request_id": "r", "has_more": next.is_some(), "next_cursor": next.unwrap_or("")});
        reply(
            200,
            serde_json::json!({"data": data, "meta": meta}).to_string(),
        )
    };
    let rec = script(
        &server,
        GET,
        "/v1/resources",
        vec![page(&["r1"], Some("c1")), page(&["r2", "r3"], None)],
    );
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let err = client.connector_resource("dup").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Ambiguous);
    assert_eq!(err.match_count(), Some(3), "counted across both pages");
    assert!(err.to_string().contains("3 resources"), "{err}");
    assert_eq!(rec.count(), 2);
    assert!(rec.all()[0].query.contains("slug=dup"));
}

#[tokio::test]
async fn share_then_enter_a_link() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    let resource = client
        .protect_url("https://example.com/share")
        .await
        .unwrap();
    let rid = resource.resource_id.unwrap();
    let portal = client
        .create_portal(
            &rid,
            PortalOptions::new()
                .expires_in("1h")
                .label("for Ana")
                .one_time_use(true)
                .max_sessions(1)
                .session_duration("15m"),
        )
        .await
        .unwrap();
    assert_eq!(portal.resource_id.as_deref(), Some(rid.as_str()));
    assert!(portal.link.contains("#at_"), "a fragment link");
    assert!(
        !format!("{portal:?}").contains("at_"),
        "Debug hides the link"
    );

    let entered = client.enter_portal(&portal.link).await.unwrap();
    assert_eq!(entered.resource_id.as_deref(), Some(rid.as_str()));
    assert_eq!(
        entered.target_url.as_deref(),
        Some("https://example.com/share")
    );
    let again = client.enter_portal(&portal.link).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Gone, "a one-time link is used up");

    let by_url = client
        .create_portal_for_url("https://example.com/direct", PortalOptions::new())
        .await
        .unwrap();
    assert!(!by_url.qurl_id.is_empty());
    let entered = client.enter_portal(&by_url.link).await.unwrap();
    assert_eq!(
        entered.target_url.as_deref(),
        Some("https://example.com/direct")
    );
}

#[tokio::test]
async fn portal_options_are_checked_against_the_spec_before_sending() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(201, "{}")]);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let err = client
        .create_portal_for_url(
            "https://example.com",
            PortalOptions::new().max_sessions(5000),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains("max_sessions"), "{err}");
    assert_eq!(rec.count(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_link_without_a_token_is_refused_locally_and_never_shown() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/resolve", vec![reply(200, "{}")]);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    for link in [
        "https://qurl.link/",
        "https://qurl.link/#",
        "https://qurl.link/#secretish_fragment",
        "https://qurl.link/#at_short",
        "https://qurl.link/#at_UPPERCASEUPPERCASEUPPE",
        "",
    ] {
        let err = client.enter_portal(link).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{link:?}");
        let shown = format!("{err} {err:?}");
        if let Some((_, fragment)) = link.split_once('#').filter(|(_, f)| !f.is_empty()) {
            assert!(!shown.contains(fragment), "{shown}");
        }
    }
    assert_eq!(rec.count(), 0, "nothing was sent");
}

#[tokio::test]
async fn an_older_path_style_link_is_entered_too() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    let portal = client
        .create_portal_for_url("https://example.com/old", PortalOptions::new())
        .await
        .unwrap();
    let (_, token) = portal.link.split_once('#').unwrap();
    let old_style = format!("https://qurl.link/{token}");
    let entered = client.enter_portal(&old_style).await.unwrap();
    assert_eq!(
        entered.target_url.as_deref(),
        Some("https://example.com/old")
    );
}

#[tokio::test]
async fn into_data_reads_the_payload_or_names_what_is_missing() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    let created = client
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com/data"))
        .send()
        .await
        .unwrap()
        .into_data()
        .unwrap();
    assert!(created.qurl_id.is_some());

    let server = MockServer::start_async().await;
    script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(201, r#"{"meta":{"request_id":"req_77"}}"#)],
    );
    let client = self::client(&server.base_url(), qurl::RetryPolicy::none());
    let key = qurl::IdempotencyKey::derive("tasks-test", "into-data");
    let err = client
        .post_qurls()
        .idempotency_key(key.clone())
        .body_map(|b| b.target_url("https://example.com/data"))
        .send()
        .await
        .unwrap()
        .into_data()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(201));
    assert_eq!(err.idempotency_key(), Some(key.as_str()));
    let text = err.to_string();
    assert!(text.contains("req_77"), "{text}");
    assert!(text.contains(key.as_str()), "{text}");
}

#[tokio::test]
async fn a_refused_enum_value_names_the_allowed_ones() {
    let server = MockServer::start_async().await;
    let rec = script(&server, POST, "/v1/api-keys", vec![reply(201, "{}")]);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let err = client
        .post_api_keys()
        .body_map(|b| b.name("ci").scopes(["qurl:read", "qurls:read"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    let text = err.to_string();
    assert!(
        text.contains(r#"`scopes[1]`: "qurls:read" is not one of qurl:read, qurl:write"#),
        "{text}"
    );
    assert_eq!(rec.count(), 0);
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_has_the_same_helpers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(sandbox());
    let client = qurl::blocking::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let r = client.protect_url("https://example.com/blocking").unwrap();
    let again = client.protect_url("https://example.com/blocking").unwrap();
    assert_eq!(r.resource_id, again.resource_id);
    let portal = client
        .create_portal(r.resource_id.as_deref().unwrap(), PortalOptions::new())
        .unwrap();
    let entered = client.enter_portal(&portal.link).unwrap();
    assert_eq!(entered.resource_id, r.resource_id);
    let by_url = client
        .create_portal_for_url("https://example.com/b2", PortalOptions::new())
        .unwrap();
    assert!(by_url.link.contains("#at_"));
    assert_eq!(
        client.connector_resource("none-such").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn portal_options_and_the_callers_key_go_on_the_wire() {
    let server = MockServer::start_async().await;
    let created = r#"{"data":{"qurl_id":"q_1","resource_id":"r_1","qurl_link":"https://qurl.link/#at_abcdefghijklmnopqrstuv"},"meta":{"request_id":"r"}}"#;
    let rec = script(&server, POST, "/v1/qurls", vec![reply(201, created)]);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let key = qurl::IdempotencyKey::derive("tasks-test", "portal-1");
    let portal = client
        .create_portal_for_url(
            "https://example.com/wire",
            PortalOptions::new()
                .expires_in("2h")
                .label("for Ana")
                .one_time_use(true)
                .max_sessions(2)
                .session_duration("30m")
                .idempotency_key(key.clone()),
        )
        .await
        .unwrap();
    let seen = &rec.all()[0];
    let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "target_url": "https://example.com/wire",
            "type": "url",
            "expires_in": "2h",
            "label": "for Ana",
            "one_time_use": true,
            "max_sessions": 2,
            "session_duration": "30m",
        })
    );
    assert_eq!(seen.key(), Some(key.as_str()));
    let shown = format!("{portal:?}");
    assert!(
        shown.contains("q_1") && shown.contains("<redacted>"),
        "{shown}"
    );
    assert!(!shown.contains("at_"), "{shown}");
}

#[tokio::test]
async fn a_created_qurl_without_its_id_or_link_is_an_unexpected_answer() {
    for data in [
        r#"{"qurl_id":"","qurl_link":"https://qurl.link/#at_abcdefghijklmnopqrstuv"}"#,
        r#"{"qurl_id":"q_1","qurl_link":""}"#,
        r#"{"qurl_id":"q_1"}"#,
    ] {
        let server = MockServer::start_async().await;
        let body = format!(r#"{{"data":{data},"meta":{{"request_id":"r"}}}}"#);
        script(&server, POST, "/v1/qurls", vec![reply(201, body)]);
        let client = client(&server.base_url(), qurl::RetryPolicy::none());
        let err = client
            .create_portal_for_url("https://example.com", PortalOptions::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedResponse, "{data}");
    }
}
