//! The API key never appears in Debug output, errors or tracing at any level.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use support::*;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_call_traced_at_trace_level_never_shows_the_key() {
    let buffer = Buffer::default();
    let sink = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    script(
        &server,
        POST,
        "/v1/qurls",
        vec![reply(503, problem(503, "service_unavailable"))],
    );
    let client = client(&server.base_url(), fast_policy(&Sleeps::default()));
    let body: qurl::types::CreateQurlRequest =
        serde_json::from_value(serde_json::json!({"target_url": "https://example.com"})).unwrap();
    let err = client.post_qurls().body(body).send().await.unwrap_err();

    let mut everything = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        everything.contains("qurl.call") && everything.contains("retry"),
        "the call was traced: {everything}"
    );
    assert!(
        everything.contains(r#"qurl.call{operation="post_qurls" method=POST path="/v1/qurls""#),
        "the call's span names the operation, method and path: {everything}"
    );
    assert!(
        everything.contains("outcome=status 503"),
        "each attempt's event names its outcome: {everything}"
    );
    for n in 1..=4 {
        assert!(
            everything.contains(&format!("attempt={n}")),
            "attempts are numbered 1 to 4: {everything}"
        );
    }
    assert!(everything.contains("decision=\"give-up\""), "{everything}");
    everything.push_str(&format!("{err}\n{err:?}\n{client:?}\n"));
    everything.push_str(&format!(
        "{:?}",
        qurl::Client::builder().api_key(SECRET_KEY)
    ));
    #[cfg(feature = "blocking")]
    everything.push_str(&format!(
        "{:?}",
        qurl::blocking::Client::builder().api_key(SECRET_KEY)
    ));
    assert_no_secret(&everything);
    assert!(
        format!("{client:?}").contains("lv_live_…9f3a"),
        "the masked form is shown"
    );
}

#[test]
fn build_errors_do_not_echo_the_key() {
    let bad = format!("{SECRET_KEY}\r\n");
    let err = qurl::Client::builder().api_key(bad).build().unwrap_err();
    assert_no_secret(&format!("{err} {err:?}"));
}
