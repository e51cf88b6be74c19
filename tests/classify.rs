//! The classifier at the reqwest level: real transport failures on
//! 127.0.0.1, each seen by the reason the client traces, whether an
//! operation without a declared key (`POST /v1/resources`) is retried, and
//! what a retry costs the budget (5 tokens, 10 after a timeout). Also where
//! a traced retry's delay came from. Every test here records the events (a
//! test binary where some tests do not can miss them).

mod support;

use std::time::Duration;

use qurl::ErrorKind;
use support::traces::Events;
use support::*;

const CREATED_RESOURCE: &str =
    r#"{"data":{"resource_id":"r_abcdefghijk"},"meta":{"request_id":"req_r"}}"#;

/// The budget every client here starts with; successes refund nothing, so
/// what is left shows exactly what the retries cost.
const BUDGET: u32 = 100;

/// A client over `http` with the default costs, recorded sleeps and a
/// per-attempt timeout of `timeout`.
fn client_over(base: &str, http: reqwest::Client, timeout: Duration) -> qurl::Client {
    qurl::Client::builder()
        .api_key(SECRET_KEY)
        .base_url(base)
        .reqwest_client(http)
        .timeout(timeout)
        .retry_policy(fast_policy(&Sleeps::default()).success_refund(0))
        .retry_budget(BUDGET)
        .build()
        .expect("test client")
}

fn plain(base: &str, timeout: Duration) -> qurl::Client {
    client_over(base, reqwest::Client::new(), timeout)
}

async fn create_resource(client: &qurl::Client) -> Result<u16, qurl::Error> {
    let created = client
        .post_resources()
        .body_map(|b| b.target_url("https://example.com/app"))
        .send()
        .await?;
    Ok(created.status().as_u16())
}

async fn create_qurl(client: &qurl::Client) -> Result<u16, qurl::Error> {
    let created = client
        .post_qurls()
        .body_map(|b| b.target_url("https://example.com"))
        .send()
        .await?;
    Ok(created.status().as_u16())
}

fn gave_up(attempt: u32, reason: &str) -> (u32, String, String) {
    (attempt, reason.to_owned(), "give-up".to_owned())
}

/// The `outcome` each attempt's event names, in order.
fn outcomes(events: &Events) -> Vec<String> {
    events
        .all()
        .into_iter()
        .filter_map(|e| e.get("outcome").cloned())
        .collect()
}

/// An undeclared create against `client` that never connects: 1 attempt
/// and 3 retries, each traced as `connect-error`, 5 tokens a retry.
async fn retried_until_exhausted(client: &qurl::Client) -> qurl::Error {
    let events = Events::default();
    let _guard = events.record();
    let err = create_resource(client).await.unwrap_err();
    let mut expected: Vec<_> = (1..=3)
        .map(|n| (n, "connect-error".to_owned(), "retry".to_owned()))
        .collect();
    expected.push(gave_up(4, "connect-error"));
    assert_eq!(events.decisions(), expected, "{err}");
    assert_eq!(outcomes(&events), vec!["connect error"; 4]);
    assert_eq!(events.why_given_up().as_deref(), Some("retries exhausted"));
    assert_eq!(client.retry_budget_available(), BUDGET - 3 * 5);
    err
}

/// A raw server that fails the first attempt with `first` and answers the
/// next with `created`, and a client for it.
async fn failing_first(
    first: RawStep,
    created: &str,
    timeout: Duration,
) -> (RawServer, qurl::Client) {
    let server = raw_server(vec![first, RawStep::Answer(created.into())]).await;
    let client = plain(&format!("http://{}", server.addr), timeout);
    (server, client)
}

/// An undeclared create whose request was sent, then failed with `first`:
/// not replayed, nothing spent, the outcome unknown; the attempt's event
/// says what happened (`outcome`).
async fn not_replayed(
    first: RawStep,
    timeout: Duration,
    kind: ErrorKind,
    reason: &str,
    outcome: &str,
) {
    let (server, client) = failing_first(first, CREATED_RESOURCE, timeout).await;
    let events = Events::default();
    let _guard = events.record();
    let err = create_resource(&client).await.unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.outcome_unknown(), "it may have been carried out: {err}");
    assert_eq!(server.requests.lock().unwrap().len(), 1, "not replayed");
    assert_eq!(events.decisions(), vec![gave_up(1, reason)]);
    assert_eq!(outcomes(&events), [outcome]);
    let why = events.why_given_up().unwrap_or_default();
    assert!(why.starts_with("not safe to replay"), "{why}");
    assert_eq!(client.retry_budget_available(), BUDGET, "nothing spent");
}

/// A keyed create whose first attempt failed with `first`: retried once,
/// traced as `reason`, for `cost` tokens.
async fn keyed_retry_costs(first: RawStep, timeout: Duration, reason: &str, cost: u32) {
    let (_server, client) = failing_first(first, CREATED_QURL, timeout).await;
    let events = Events::default();
    let _guard = events.record();
    assert_eq!(create_qurl(&client).await.unwrap(), 201);
    let retry = (1, reason.to_owned(), "retry".to_owned());
    assert_eq!(events.decisions()[0], retry);
    assert_eq!(client.retry_budget_available(), BUDGET - cost);
}

/// Longer than any per-attempt timeout here: the server never answers.
const HOLD: Duration = Duration::from_secs(3);
const READ_TIMEOUT: Duration = Duration::from_millis(300);
const NO_TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_and_an_undeclared_create_is_retried() {
    let client = plain(&refused_base_url(), NO_TIMEOUT);
    let err = retried_until_exhausted(&client).await;
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(!err.outcome_unknown(), "nothing reached the server: {err}");
}

/// A listener whose accept queue (backlog 0) is full and never drained: the
/// kernel drops further SYNs, so a connect hangs until its timeout.
fn unanswered_listener() -> (tokio::net::TcpListener, std::net::TcpStream) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let filler = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (listener, filler)
}

#[tokio::test]
async fn a_connect_timeout_is_a_connect_error_not_a_timeout() {
    let (listener, _filler) = unanswered_listener();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // The retry loop knows nothing was sent and retries even this undeclared
    // create; the caller is told the same: a connection failure, not an
    // unknown outcome.
    let err = retried_until_exhausted(&client_over(&base, http, NO_TIMEOUT)).await;
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(
        !err.outcome_unknown(),
        "never connected, so nothing to resume: {err}"
    );
}

#[tokio::test]
async fn a_read_timeout_after_sending_is_a_timeout_and_an_undeclared_create_is_not_retried() {
    not_replayed(
        RawStep::Silent(HOLD),
        READ_TIMEOUT,
        ErrorKind::Timeout,
        "timeout",
        "timed out",
    )
    .await;
}

#[tokio::test]
async fn a_read_timeout_on_a_keyed_create_is_retried_for_10_tokens() {
    keyed_retry_costs(RawStep::Silent(HOLD), READ_TIMEOUT, "timeout", 10).await;
}

#[tokio::test]
async fn a_reset_after_sending_is_connection_closed_and_an_undeclared_create_is_not_retried() {
    not_replayed(
        RawStep::Reset,
        NO_TIMEOUT,
        ErrorKind::Transport,
        "connection-closed",
        "connection closed before a response",
    )
    .await;
}

#[tokio::test]
async fn a_reset_on_a_keyed_create_is_retried_for_5_tokens() {
    keyed_retry_costs(RawStep::Reset, NO_TIMEOUT, "connection-closed", 5).await;
}

/// A request reqwest refuses to send (plain http to a client that is
/// https-only) is final: retrying cannot fix it.
#[tokio::test]
async fn a_request_that_cannot_be_built_is_not_retried() {
    let server = raw_server(vec![RawStep::Answer(CREATED_QURL.into())]).await;
    let http = reqwest::Client::builder().https_only(true).build().unwrap();
    let events = Events::default();
    let _guard = events.record();
    let client = client_over(&format!("http://{}", server.addr), http, NO_TIMEOUT);
    let err = create_qurl(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(
        events.decisions(),
        vec![(1, String::new(), "done".to_owned())]
    );
    assert_eq!(client.retry_budget_available(), BUDGET);
    assert!(server.requests.lock().unwrap().is_empty(), "nothing sent");
}

/// The retry event says where its delay came from: the server's
/// `Retry-After`, its `RateLimit-Reset`, or the client's own backoff.
#[tokio::test]
async fn the_retry_event_names_the_source_of_its_delay() {
    let limited = || reply(429, problem(429, "rate_limit_exceeded"));
    let cases = [
        (limited().header("retry-after", "1"), "retry-after"),
        (limited().header("ratelimit-reset", "2"), "ratelimit-reset"),
        (reply(503, ""), "backoff"),
    ];
    for (first, source) in cases {
        let server = httpmock::MockServer::start_async().await;
        let ok = reply(200, r#"{"data":{},"meta":{"request_id":"r"}}"#);
        let rec = script(&server, httpmock::Method::GET, "/v1/quota", vec![first, ok]);
        let client = plain(&server.base_url(), NO_TIMEOUT);
        let events = Events::default();
        let _guard = events.record();
        client
            .get_quota()
            .send()
            .await
            .expect("quota after waiting");
        assert_eq!(rec.count(), 2);
        let sources: Vec<_> = events
            .all()
            .into_iter()
            .filter_map(|e| e.get("delay_source").cloned())
            .collect();
        assert_eq!(sources, [source]);
    }
}
