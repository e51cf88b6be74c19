//! Lists as streams: `by_page()` / `by_item()` walk every page lazily,
//! keep the builder's filters on every page, never loop on a repeated
//! cursor, and resume from the cursor of the page that failed.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use qurl::ErrorKind;
use qurl_sandbox::{FaultKind, Sandbox, ScriptedFault};
use support::*;

async fn sandbox() -> Sandbox {
    Sandbox::builder().seed(3).start().await.expect("sandbox")
}

/// `n` qURLs with distinct targets, made in batches of 100.
async fn create_qurls(client: &qurl::Client, n: usize) {
    for start in (0..n).step_by(100) {
        let items = (start..(start + 100).min(n)).map(|i| {
            qurl::types::CreateQurlRequest::builder()
                .target_url(format!("https://example.com/list/{i}"))
                .expires_in("24h")
        });
        client
            .post_qurls_batch()
            .body_map(|b| b.items(items))
            .send()
            .await
            .expect("batch create");
    }
}

#[tokio::test]
async fn a_thousand_items_at_limit_10_take_exactly_100_page_requests() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    create_qurls(&client, 1000).await;
    let before = sandbox.counters().requests;
    let ids: Vec<String> = client
        .get_qurls()
        .limit(10)
        .by_item()
        .take(1001) // bounded: a walk that loops fails here instead of hanging
        .map_ok(|q| q.resource_id.unwrap_or_default())
        .try_collect()
        .await
        .expect("walk");
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 1000);
    assert_eq!(distinct.len(), 1000, "every item once");
    assert_eq!(sandbox.counters().requests - before, 100);
}

#[tokio::test]
async fn taking_three_items_fetches_one_page() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    create_qurls(&client, 25).await;
    let before = sandbox.counters().requests;
    let first: Vec<_> = client
        .get_qurls()
        .limit(10)
        .by_item()
        .take(3)
        .collect()
        .await;
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(Result::is_ok));
    assert_eq!(sandbox.counters().requests - before, 1);

    let before = sandbox.counters().requests;
    let pages = client.get_qurls().limit(10).by_page();
    drop(pages);
    assert_eq!(
        sandbox.counters().requests - before,
        0,
        "nothing is requested until the stream is polled"
    );
}

#[tokio::test]
async fn filters_and_limit_go_to_every_page() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    for i in 0..7 {
        client
            .post_resources()
            .body_map(|b| b.type_("tunnel").slug(format!("tunnel-{i}")))
            .send()
            .await
            .expect("tunnel");
        client
            .post_resources()
            .body_map(|b| b.target_url(format!("https://example.com/r/{i}")))
            .send()
            .await
            .expect("url resource");
    }
    let pages: Vec<qurl::types::ResourceListResponse> = client
        .get_resources()
        .type_("tunnel")
        .limit(2)
        .by_page()
        .take(5)
        .try_collect()
        .await
        .expect("walk");
    assert_eq!(pages.len(), 4, "7 tunnels at 2 a page");
    let kinds: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.data)
        .map(|r| r.type_.map(|t| t.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(kinds.len(), 7);
    assert!(kinds.iter().all(|k| k == "tunnel"), "{kinds:?}");
}

fn page(ids: &[&str], has_more: Option<bool>, next: Option<&str>) -> Reply {
    let data: Vec<_> = ids
        .iter()
        .map(|id| serde_json::json!({"resource_id": id}))
        .collect();
    let mut meta = serde_json::json!({"request_id": "req_1"});
    if let Some(h) = has_more {
        meta["has_more"] = h.into();
    }
    if let Some(c) = next {
        meta["next_cursor"] = c.into();
    }
    reply(
        200,
        serde_json::json!({"data": data, "meta": meta}).to_string(),
    )
}

async fn walk_scripted(replies: Vec<Reply>) -> (Vec<Result<String, qurl::Error>>, Vec<Seen>) {
    let server = MockServer::start_async().await;
    let rec = script(&server, GET, "/v1/qurls", replies);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let out = client
        .get_qurls()
        .by_item()
        .take(10)
        .map_ok(|q| q.resource_id.unwrap_or_default())
        .collect()
        .await;
    (out, rec.all())
}

#[tokio::test]
async fn a_cursor_returned_twice_ends_the_walk_with_an_error() {
    let (out, seen) = walk_scripted(vec![
        page(&["a"], Some(true), Some("c1")),
        page(&["b"], Some(true), Some("c1")),
        page(&["c"], Some(false), None),
    ])
    .await;
    assert_eq!(seen.len(), 2, "the repeat is never requested");
    assert_eq!(out.len(), 3, "two items, then the error: {out:?}");
    let err = out[2].as_ref().expect_err("the walk stops");
    assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
    assert!(err.to_string().contains("c1"), "{err}");
    assert!(out.iter().take(2).all(Result::is_ok));
}

#[tokio::test]
async fn has_more_without_a_cursor_is_an_error_not_a_loop() {
    let (out, seen) = walk_scripted(vec![page(&["a"], Some(true), None)]).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[1].as_ref().unwrap_err().kind(),
        ErrorKind::UnexpectedResponse
    );
}

#[tokio::test]
async fn the_walk_ends_on_has_more_false_or_an_empty_or_absent_cursor() {
    for last in [
        page(&["b"], Some(false), Some("c9")),
        page(&["b"], None, Some("")),
        page(&["b"], None, None),
    ] {
        let (out, seen) = walk_scripted(vec![page(&["a"], Some(true), Some("c1")), last]).await;
        assert_eq!(seen.len(), 2);
        let ids: Vec<String> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(seen[1].query, "cursor=c1", "the second page asks for c1");
    }
}

#[tokio::test]
async fn a_failed_page_is_resumed_from_its_cursor() {
    let sandbox = sandbox().await;
    let client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    create_qurls(&client, 30).await;
    let mut items = client.get_qurls().limit(10).by_item();
    let mut got = Vec::new();
    for _ in 0..20 {
        got.push(
            items
                .try_next()
                .await
                .unwrap()
                .unwrap()
                .resource_id
                .unwrap(),
        );
    }
    // The third page fails (retries are off here, so the fault surfaces).
    sandbox.script(
        ScriptedFault::new(FaultKind::ServiceUnavailable)
            .method("GET")
            .path("/v1/qurls"),
    );
    let err = items.try_next().await.expect_err("the third page fails");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(items.next().await.is_none(), "an error ends the stream");
    let cursor = err.page_cursor().expect("not the first page").to_owned();

    let rest: Vec<String> = client
        .get_qurls()
        .limit(10)
        .cursor(cursor)
        .by_item()
        .take(31)
        .map_ok(|q| q.resource_id.unwrap())
        .try_collect()
        .await
        .expect("resume");
    got.extend(rest);
    let distinct: BTreeSet<&String> = got.iter().collect();
    assert_eq!(got.len(), 30);
    assert_eq!(distinct.len(), 30);
}

#[tokio::test]
async fn a_failed_first_page_has_no_cursor() {
    let client = client(&refused_base_url(), qurl::RetryPolicy::none());
    let err = client
        .get_qurls()
        .by_page()
        .take(3)
        .try_collect::<Vec<_>>()
        .await
        .expect_err("nothing listens");
    assert_eq!(err.page_cursor(), None);
    let err = client
        .get_qurls()
        .cursor("c7")
        .by_page()
        .take(3)
        .try_collect::<Vec<_>>()
        .await
        .expect_err("nothing listens");
    assert_eq!(err.page_cursor(), Some("c7"), "the walk started at c7");
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_walks_with_an_iterator() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(sandbox());
    let async_client = client(&sandbox.base_url(), qurl::RetryPolicy::none());
    rt.block_on(create_qurls(&async_client, 45));
    let client = qurl::blocking::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(sandbox.base_url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let before = sandbox.counters().requests;
    let ids: Vec<String> = client
        .get_qurls()
        .limit(10)
        .by_item()
        .take(46)
        .map(|r| r.map(|q| q.resource_id.unwrap_or_default()))
        .collect::<Result<_, _>>()
        .expect("walk");
    assert_eq!(ids.len(), 45);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 45);
    assert_eq!(sandbox.counters().requests - before, 5);

    let first_two: Vec<_> = client.get_qurls().limit(10).by_page().take(2).collect();
    assert_eq!(first_two.len(), 2);
    assert!(first_two.iter().all(Result::is_ok));
}
