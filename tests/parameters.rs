//! The spec's rules on query and path parameters are checked before
//! sending: a `limit` out of range, a `slug` off its pattern or an empty
//! path id fails the call locally, naming the parameter and the rule.

mod support;

use httpmock::prelude::*;
use qurl::ErrorKind;
use support::*;

async fn refused(err: qurl::Error, parameter: &str, rule: &str) {
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
    let text = err.to_string();
    assert!(text.contains(parameter) && text.contains(rule), "{text}");
    assert!(text.contains("nothing was sent"), "{text}");
}

#[tokio::test]
async fn parameters_that_break_the_spec_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let lists = script(&server, GET, "/v1/qurls", vec![reply(200, "{}")]);
    let resources = script(&server, GET, "/v1/resources", vec![reply(200, "{}")]);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());

    let err = client.get_qurls().limit(101).send().await.unwrap_err();
    refused(err, "`limit`", "at most 100").await;
    let err = client.get_domains().limit(500).send().await.unwrap_err();
    refused(err, "`limit`", "at most 100").await;
    let err = client
        .get_resources()
        .slug("Not A Slug")
        .send()
        .await
        .unwrap_err();
    refused(err, "`slug`", "pattern").await;
    let err = client.get_resources().alias("ab").send().await.unwrap_err();
    refused(err, "`alias`", "shorter than 3").await;
    let err = client.get_qurls_id().id("").send().await.unwrap_err();
    refused(err, "`id`", "is empty").await;
    let err = client
        .delete_api_keys_key_id()
        .key_id("")
        .send()
        .await
        .unwrap_err();
    refused(err, "`key_id`", "is empty").await;
    assert_eq!(lists.count() + resources.count(), 0, "nothing was sent");

    // The same parameters within the rules go out as given.
    client.get_qurls().limit(100).send().await.unwrap();
    client
        .get_resources()
        .slug("grafana-prod")
        .send()
        .await
        .unwrap();
    assert_eq!(lists.all()[0].query, "limit=100");
    assert_eq!(resources.all()[0].query, "slug=grafana-prod");
}

#[tokio::test]
async fn a_walk_with_a_bad_limit_fails_at_its_first_page_without_sending() {
    let server = MockServer::start_async().await;
    let lists = script(&server, GET, "/v1/qurls", vec![reply(200, "{}")]);
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let mut walk = client.get_qurls().limit(1000).by_item();
    let err = futures::TryStreamExt::try_next(&mut walk)
        .await
        .unwrap_err();
    refused(err, "`limit`", "at most 100").await;
    assert_eq!(lists.count(), 0);
}
