//! Signed delivery to a receiver on 127.0.0.1: headers and signature,
//! retries with the same delivery id after failures and slow answers, the
//! injected faults, and the refusal of every non-loopback URL.

mod loopback_receiver;

use std::sync::Mutex;
use std::time::Duration;

use loopback_receiver::{Answer, header, receiver};
use qurl_sandbox::delivery::{
    self, DeliveryFault, DeliveryFaults, Outgoing, Policy, Record, Status,
};

const SECRET: &str = "whsec_test_secret_0001";
const BODY: &[u8] = br#"{"id":"evt_1","type":"qurl.accessed"}"#;
// python3 -c "import hmac,hashlib;print(hmac.new(b'whsec_test_secret_0001', b'{\"id\":\"evt_1\",\"type\":\"qurl.accessed\"}', hashlib.sha256).hexdigest())"
const SIGNATURE: &str = "ec58742272b498791af6c98bf221733f457d00b60144683e1361fa28a166ed8f";

fn outgoing(url: &str) -> Outgoing {
    Outgoing {
        delivery_id: "wd_0123456789abcdef".into(),
        webhook_id: "wh_0123456789abcdef".into(),
        url: url.into(),
        secret: SECRET.into(),
        event_type: "qurl.accessed".into(),
        body: BODY.to_vec(),
    }
}

fn fast_policy() -> Policy {
    Policy {
        max_attempts: 4,
        attempt_timeout: Duration::from_millis(300),
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

/// Delivers and returns the final record and every intermediate status.
async fn run(outgoing: &Outgoing, faults: &DeliveryFaults) -> (Record, Vec<Status>) {
    let steps = Mutex::new(Vec::new());
    let record = delivery::deliver(outgoing, &fast_policy(), faults, &|r: &Record| {
        steps.lock().unwrap().push(r.status)
    })
    .await;
    (record, steps.into_inner().unwrap())
}

#[tokio::test]
async fn a_delivery_carries_the_four_headers_and_the_python_signature() {
    let (receiver, url) = receiver(&[]).await;
    let (record, steps) = run(&outgoing(&url), &DeliveryFaults::default()).await;
    assert_eq!(steps, [Status::Pending, Status::Success]);
    assert_eq!(
        (record.response_code, record.retry_count, record.posts_sent),
        (Some(200), 0, 1)
    );
    assert!(record.completed_at.is_some());

    let seen = receiver.seen.lock().unwrap();
    let (headers, body) = &seen[0];
    assert_eq!(body.as_ref(), BODY);
    assert_eq!(header(headers, "qurl-signature"), SIGNATURE);
    assert_eq!(header(headers, "qurl-event"), "qurl.accessed");
    assert_eq!(header(headers, "qurl-delivery"), "wd_0123456789abcdef");
    assert_eq!(header(headers, "user-agent"), "QURL-Webhook/1.0");
    assert_eq!(header(headers, "content-type"), "application/json");
}

#[tokio::test]
async fn failed_and_slow_attempts_are_retried_with_the_same_delivery_id_and_bytes() {
    let (receiver, url) =
        receiver(&[Answer::Status(500), Answer::TooSlow, Answer::Status(503)]).await;
    let (record, steps) = run(&outgoing(&url), &DeliveryFaults::default()).await;
    assert_eq!(
        steps,
        [
            Status::Pending,
            Status::Retrying,
            Status::Retrying,
            Status::Retrying,
            Status::Success
        ]
    );
    assert_eq!(
        (record.status, record.retry_count, record.posts_sent),
        (Status::Success, 3, 4)
    );
    assert_eq!(record.error_message, None);

    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    for (headers, body) in seen.iter() {
        assert_eq!(header(headers, "qurl-delivery"), "wd_0123456789abcdef");
        assert_eq!(header(headers, "qurl-signature"), SIGNATURE);
        assert_eq!(body.as_ref(), BODY);
    }
}

#[tokio::test]
async fn a_receiver_that_always_fails_gets_the_delivery_abandoned_with_its_last_answer() {
    let (receiver, url) = receiver(&[Answer::Status(500); 8]).await;
    let (record, _) = run(&outgoing(&url), &DeliveryFaults::default()).await;
    assert_eq!((record.status, record.retry_count), (Status::Abandoned, 3));
    assert_eq!(record.response_code, Some(500));
    assert_eq!(
        record.error_message.as_deref(),
        Some("the receiver answered 500")
    );
    assert_eq!(receiver.seen.lock().unwrap().len(), 4);

    // Nothing listening: connection errors are recorded, and bounded.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };
    let (record, _) = run(&outgoing(&closed), &DeliveryFaults::default()).await;
    assert_eq!(
        (record.status, record.response_code),
        (Status::Abandoned, None)
    );
    assert!(record.error_message.unwrap().contains("could not connect"));
}

#[tokio::test]
async fn injected_drop_duplicate_and_delay_reach_the_receiver_as_scripted() {
    let (receiver, url) = receiver(&[]).await;
    let faults = DeliveryFaults::seeded(0.0, 1).with_delay(Duration::from_millis(20));
    faults.script(DeliveryFault::Drop, 1);
    faults.script(DeliveryFault::Duplicate, 1);
    let (record, _) = run(&outgoing(&url), &faults).await;
    // The dropped attempt never arrived; the retry arrived twice.
    assert_eq!(
        (record.status, record.retry_count, record.posts_sent),
        (Status::Success, 1, 2)
    );
    let ids: Vec<String> = receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| header(h, "qurl-delivery").to_owned())
        .collect();
    assert_eq!(ids, ["wd_0123456789abcdef", "wd_0123456789abcdef"]);

    faults.script(DeliveryFault::Delay, 1);
    let (record, _) = run(&outgoing(&url), &faults).await;
    assert_eq!((record.status, record.posts_sent), (Status::Success, 1));
    assert!(record.duration_ms >= 20, "{}", record.duration_ms);
}

#[tokio::test]
async fn non_loopback_urls_fail_without_a_single_packet() {
    for url in [
        "http://example.com/hook",
        "http://10.255.255.1/hook",
        "http://[2001:db8::1]/hook",
        "https://127.0.0.1/hook",
        "not a url",
    ] {
        let (record, steps) = run(&outgoing(url), &DeliveryFaults::default()).await;
        assert_eq!(steps, [Status::Pending, Status::Failed], "{url}");
        assert_eq!((record.posts_sent, record.retry_count), (0, 0), "{url}");
        assert!(
            record.error_message.unwrap().starts_with("not delivered"),
            "{url}"
        );
    }
}

#[tokio::test]
async fn only_the_first_8_kib_of_an_answer_are_kept() {
    let (_receiver, url) = receiver(&[Answer::Huge; 4]).await;
    let (record, _) = run(&outgoing(&url), &DeliveryFaults::default()).await;
    assert_eq!(record.status, Status::Abandoned);
    assert_eq!(record.response_body.map(|b| b.len()), Some(8 * 1024));
}

#[test]
fn the_secret_is_not_in_debug_output() {
    let shown = format!("{:?}", outgoing("http://127.0.0.1:1/hook"));
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("wd_0123456789abcdef"), "{shown}");
}
