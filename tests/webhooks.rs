//! Verifying webhook deliveries: known-answer vectors, rotation, tampering,
//! missing and malformed headers, typed events, and errors that never show
//! a secret.

use http::{HeaderMap, HeaderValue};
use qurl::webhooks::{self, Error, EventType};

/// A `qurl.accessed` delivery body, byte for byte as signed.
const BODY: &[u8] = br#"{"id":"evt_abc123def456","type":"qurl.accessed","owner_id":"auth0|user123","timestamp":"2024-01-08T10:35:00Z","api_version":"2024-01-01","data":{"qurl_id":"q_xyz789abcdef","resource_id":"r_k8xqp9h2sj9","access_count":3,"consumed":false,"src_ip":"192.168.1.100","user_agent":"Mozilla/5.0"}}"#;
const CURRENT: &str = "whsec_current_0001";
const PREVIOUS: &str = "whsec_previous_0001";
// Computed with Python's `hmac`, independently of this crate (BODY saved to
// /tmp/body.json without a trailing newline):
// python3 -c "import hmac,hashlib;b=open('/tmp/body.json','rb').read();print(hmac.new(b'whsec_current_0001', b, hashlib.sha256).hexdigest(), hmac.new(b'whsec_previous_0001', b, hashlib.sha256).hexdigest())"
const SIGNED_WITH_CURRENT: &str =
    "698a4a73a181867f9ca2180ebb9eeb4bff77eb21a2c2c3102b868378836d016f";
const SIGNED_WITH_PREVIOUS: &str =
    "2b5ee92c2b9f6f5ced54685c6e56c3fbc7581b30f8b0bb09e740753893f89088";
const DELIVERY: &str = "wd_AbCdEf0123456789";

fn headers(signature: &str, event: &str, delivery: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("qurl-signature", signature),
        ("qurl-event", event),
        ("qurl-delivery", delivery),
        ("user-agent", webhooks::USER_AGENT),
    ] {
        headers.insert(name, HeaderValue::from_str(value).unwrap());
    }
    headers
}

fn signed(body: &[u8], secret: &str, event: &str) -> HeaderMap {
    headers(&webhooks::sign(body, secret), event, DELIVERY)
}

#[test]
fn the_python_vector_verifies_and_reads_as_a_typed_event() {
    assert_eq!(webhooks::sign(BODY, CURRENT), SIGNED_WITH_CURRENT);
    let headers = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
    let event = webhooks::construct_event(BODY, &headers, &[CURRENT]).unwrap();

    assert_eq!(event.delivery_id(), DELIVERY);
    assert_eq!(event.event_type(), &EventType::QurlAccessed);
    assert_eq!(event.event_id(), Some("evt_abc123def456"));
    let payload = event.payload();
    assert_eq!(payload.owner_id.as_deref(), Some("auth0|user123"));
    assert_eq!(payload.api_version.as_deref(), Some("2024-01-01"));
    assert_eq!(
        payload.timestamp.map(|t| t.to_rfc3339()),
        Some("2024-01-08T10:35:00+00:00".to_owned())
    );
    let accessed = event.qurl_accessed().expect("typed data of qurl.accessed");
    assert_eq!(accessed.qurl_id, "q_xyz789abcdef");
    assert_eq!(accessed.resource_id, "r_k8xqp9h2sj9");
    assert_eq!(accessed.access_count, 3);
    assert!(!accessed.consumed);
    assert_eq!(accessed.src_ip.as_deref(), Some("192.168.1.100"));
    assert_eq!(accessed.user_agent.as_deref(), Some("Mozilla/5.0"));
    assert!(event.event_type().is_known());

    // By value, the payload is the same signed body.
    let owned = event.into_payload();
    assert_eq!(owned.id.as_deref(), Some("evt_abc123def456"));
    assert_eq!(owned.owner_id.as_deref(), Some("auth0|user123"));
    assert_eq!(owned.data.get("access_count"), Some(&serde_json::json!(3)));
}

#[test]
fn upper_case_hex_and_surrounding_spaces_are_accepted() {
    let upper = format!(" {} ", SIGNED_WITH_CURRENT.to_ascii_uppercase());
    let headers = headers(&upper, "qurl.accessed", DELIVERY);
    assert!(webhooks::construct_event(BODY, &headers, &[CURRENT]).is_ok());
}

#[test]
fn during_a_rotation_the_new_and_the_previous_secret_are_both_accepted() {
    let by_previous = headers(SIGNED_WITH_PREVIOUS, "qurl.accessed", DELIVERY);
    let by_current = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
    let rotating = [CURRENT, PREVIOUS];
    assert!(webhooks::construct_event(BODY, &by_previous, &rotating).is_ok());
    assert!(webhooks::construct_event(BODY, &by_current, &rotating).is_ok());
    // Once the previous secret is dropped, its signatures are refused.
    assert_eq!(
        webhooks::construct_event(BODY, &by_previous, &[CURRENT]).unwrap_err(),
        Error::NoMatchingSecret { secrets_tried: 1 }
    );
}

#[test]
fn a_tampered_body_or_a_wrong_secret_is_refused() {
    let headers = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
    let tampered = String::from_utf8(BODY.to_vec())
        .unwrap()
        .replace("\"access_count\":3", "\"access_count\":4");
    assert_eq!(
        webhooks::construct_event(tampered.as_bytes(), &headers, &[CURRENT]).unwrap_err(),
        Error::NoMatchingSecret { secrets_tried: 1 }
    );
    // Same JSON, serialized again: different bytes, so refused too.
    let reserialized =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(BODY).unwrap()).unwrap();
    assert_ne!(reserialized, BODY);
    assert!(matches!(
        webhooks::construct_event(&reserialized, &headers, &[CURRENT]),
        Err(Error::NoMatchingSecret { .. })
    ));
    assert_eq!(
        webhooks::construct_event(BODY, &headers, &["whsec_someone_else", "whsec_x"]).unwrap_err(),
        Error::NoMatchingSecret { secrets_tried: 2 }
    );
    assert_eq!(
        webhooks::construct_event(BODY, &headers, &[]).unwrap_err(),
        Error::NoSecret
    );
}

#[test]
fn the_signature_is_checked_before_the_body_is_read() {
    let garbage = b"not json at all";
    let headers = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
    assert!(matches!(
        webhooks::construct_event(garbage, &headers, &[CURRENT]),
        Err(Error::NoMatchingSecret { .. })
    ));
    // The same garbage, correctly signed, is then refused as a payload.
    assert!(matches!(
        webhooks::construct_event(
            garbage,
            &signed(garbage, CURRENT, "qurl.accessed"),
            &[CURRENT]
        ),
        Err(Error::InvalidPayload { .. })
    ));
}

#[test]
fn each_missing_header_is_named() {
    for name in ["qurl-signature", "qurl-event", "qurl-delivery"] {
        let mut headers = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
        headers.remove(name);
        assert_eq!(
            webhooks::construct_event(BODY, &headers, &[CURRENT]).unwrap_err(),
            Error::MissingHeader {
                name: match name {
                    "qurl-signature" => webhooks::SIGNATURE_HEADER,
                    "qurl-event" => webhooks::EVENT_HEADER,
                    _ => webhooks::DELIVERY_HEADER,
                }
            }
        );
    }
    // User-Agent is informational only: its absence is not an error.
    let mut headers = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
    headers.remove("user-agent");
    assert!(webhooks::construct_event(BODY, &headers, &[CURRENT]).is_ok());
}

#[test]
fn malformed_headers_are_refused_with_what_is_wrong() {
    let malformed = |headers: &HeaderMap| webhooks::construct_event(BODY, headers, &[CURRENT]);
    let too_long = "x".repeat(257);
    for (signature, problem) in [
        (&SIGNED_WITH_CURRENT[..63], "not 64 characters long"),
        (
            &format!("sha256={SIGNED_WITH_CURRENT}")[..],
            "not 64 characters long",
        ),
        (
            &format!("{}zz", &SIGNED_WITH_CURRENT[..62])[..],
            "not hexadecimal",
        ),
    ] {
        let headers = headers(signature, "qurl.accessed", DELIVERY);
        assert_eq!(
            malformed(&headers).unwrap_err(),
            Error::MalformedSignature { problem },
            "{signature}"
        );
    }
    let cases: [(HeaderMap, &str, &str); 4] = [
        (
            headers(SIGNED_WITH_CURRENT, "qurl.accessed", "wd_with space"),
            "qurl-delivery",
            "contains whitespace",
        ),
        (
            headers(SIGNED_WITH_CURRENT, "qurl.accessed", "   "),
            "qurl-delivery",
            "empty",
        ),
        (
            headers(SIGNED_WITH_CURRENT, "qurl.accessed", &too_long),
            "qurl-delivery",
            "longer than 256 characters",
        ),
        (
            headers(&too_long, "qurl.accessed", DELIVERY),
            "qurl-signature",
            "longer than 256 characters",
        ),
    ];
    for (headers, name, problem) in cases {
        assert_eq!(
            malformed(&headers).unwrap_err(),
            Error::MalformedHeader { name, problem }
        );
    }

    let mut twice = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
    twice.append("qurl-signature", HeaderValue::from_static("00"));
    assert_eq!(
        malformed(&twice).unwrap_err(),
        Error::MalformedHeader {
            name: "qurl-signature",
            problem: "sent more than once"
        }
    );
    let mut not_ascii = headers(SIGNED_WITH_CURRENT, "qurl.accessed", DELIVERY);
    not_ascii.insert(
        "qurl-delivery",
        HeaderValue::from_bytes(b"wd_\xff").unwrap(),
    );
    assert_eq!(
        malformed(&not_ascii).unwrap_err(),
        Error::MalformedHeader {
            name: "qurl-delivery",
            problem: "not visible ASCII"
        }
    );
}

/// The bound is inclusive: 256 characters are read, 257 refused.
#[test]
fn a_header_of_exactly_256_characters_is_accepted() {
    let longest = format!("wd_{}", "x".repeat(253));
    let event = webhooks::construct_event(
        BODY,
        &headers(SIGNED_WITH_CURRENT, "qurl.accessed", &longest),
        &[CURRENT],
    )
    .expect("256 characters are within the bound");
    assert_eq!(event.delivery_id(), longest);
    let refused = webhooks::construct_event(
        BODY,
        &headers(SIGNED_WITH_CURRENT, "qurl.accessed", &format!("{longest}y")),
        &[CURRENT],
    );
    assert_eq!(
        refused.unwrap_err(),
        Error::MalformedHeader {
            name: "qurl-delivery",
            problem: "longer than 256 characters"
        }
    );
}

#[test]
fn the_event_header_must_agree_with_the_signed_type() {
    let headers = headers(SIGNED_WITH_CURRENT, "qurl.revoked", DELIVERY);
    assert_eq!(
        webhooks::construct_event(BODY, &headers, &[CURRENT]).unwrap_err(),
        Error::EventTypeMismatch {
            header: "qurl.revoked".into(),
            body: "qurl.accessed".into()
        }
    );
}

#[test]
fn an_unknown_event_type_still_decodes_and_its_data_is_readable() {
    let body = br#"{"id":"evt_9","type":"qurl.teleported","data":{"qurl_id":"q_1","distance":12}}"#;
    let event =
        webhooks::construct_event(body, &signed(body, CURRENT, "qurl.teleported"), &[CURRENT])
            .unwrap();
    assert_eq!(
        event.event_type(),
        &EventType::Other("qurl.teleported".into())
    );
    assert!(event.qurl_accessed().is_none());
    assert!(!event.event_type().is_known(), "not in the catalogue");
    assert_eq!(event.event_type().to_string(), "qurl.teleported");

    #[derive(serde::Deserialize)]
    struct Teleported {
        qurl_id: String,
        distance: u32,
    }
    let data: Teleported = event.data_as().unwrap();
    assert_eq!((data.qurl_id.as_str(), data.distance), ("q_1", 12));
    assert!(matches!(
        event.data_as::<Vec<u8>>(),
        Err(Error::InvalidPayload { .. })
    ));
}

#[test]
fn signed_bodies_that_are_not_event_payloads_are_refused() {
    for (body, event) in [
        (&br#"[1,2,3]"#[..], "qurl.created"),
        (br#"{"id":"evt_1"}"#, "qurl.created"),
        (
            br#"{"type":"qurl.created","timestamp":"yesterday"}"#,
            "qurl.created",
        ),
        // qurl.accessed without the fields the API says are always present.
        (
            br#"{"type":"qurl.accessed","data":{"qurl_id":"q_1"}}"#,
            "qurl.accessed",
        ),
    ] {
        let got = webhooks::construct_event(body, &signed(body, CURRENT, event), &[CURRENT]);
        assert!(
            matches!(got, Err(Error::InvalidPayload { .. })),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn no_error_shows_a_secret_or_the_signature() {
    let secret = "whsec_TOPSECRET_do_not_leak_0001";
    let body = br#"{"type":"qurl.created","timestamp":"yesterday"}"#;
    let good = webhooks::sign(body, secret);
    let mut errors = Vec::new();
    let mut attempt = |body: &[u8], headers: HeaderMap| {
        errors.push(
            webhooks::construct_event(body, &headers, &[secret, "whsec_TOPSECRET_old"])
                .unwrap_err(),
        );
    };
    attempt(b"{}", headers(&good, "qurl.created", DELIVERY)); // no match
    attempt(body, headers(&good[..63], "qurl.created", DELIVERY)); // malformed
    attempt(
        body,
        headers(&format!("{}zz", &good[..62]), "qurl.created", DELIVERY),
    );
    attempt(body, headers(&good, "qurl.created", DELIVERY)); // invalid payload
    attempt(body, headers(&good, "qurl.updated", DELIVERY)); // mismatch (payload read later)
    attempt(body, headers(&good, "qurl.created", "wd with space"));
    attempt(body, HeaderMap::new());
    errors.push(
        webhooks::construct_event(body, &headers(&good, "qurl.created", DELIVERY), &[])
            .unwrap_err(),
    );
    assert!(errors.len() >= 8);
    for err in &errors {
        for shown in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
            assert!(!shown.contains("TOPSECRET"), "secret in {shown}");
            assert!(!shown.contains(&good[..16]), "signature in {shown}");
        }
    }
}

#[test]
fn the_event_catalogue_matches_openapi_json() {
    let spec: serde_json::Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let documented: Vec<&str> = spec
        .pointer("/components/schemas/WebhookEventType/enum")
        .and_then(|e| e.as_array())
        .expect("WebhookEventType enum in openapi.json")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(EventType::KNOWN, documented.as_slice());
}

/// Each refusal says what is wrong and what to do, in words a receiver can
/// log (and the names it quotes are the header's and the body's).
#[test]
fn each_refusal_says_what_is_wrong() {
    let cases: [(Error, &str); 7] = [
        (
            Error::MissingHeader {
                name: webhooks::EVENT_HEADER,
            },
            "webhook delivery has no `qurl-event` header; qURL always sends it, so this request is not from qURL or a proxy dropped the header",
        ),
        (
            Error::MalformedHeader {
                name: "qurl-delivery",
                problem: "empty",
            },
            "webhook header `qurl-delivery` is unusable: empty; refuse the delivery",
        ),
        (
            Error::MalformedSignature {
                problem: "not hexadecimal",
            },
            "webhook header `qurl-signature` is malformed: not hexadecimal (expected the hex HMAC-SHA256 of the body, 64 characters)",
        ),
        (
            Error::NoSecret,
            "no webhook secret to verify with: pass the `whsec_…` secret returned when the webhook was created or its secret regenerated",
        ),
        (
            Error::NoMatchingSecret { secrets_tried: 2 },
            "webhook signature matches none of the 2 secret(s): the body was changed after signing (verify the raw bytes, not re-serialized JSON), or the secret is not this webhook's (during a rotation pass the new and the previous secret)",
        ),
        (
            Error::InvalidPayload {
                problem: "missing field `type`".into(),
            },
            "webhook body is signed but is not a qURL event payload: missing field `type`",
        ),
        (
            Error::EventTypeMismatch {
                header: "qurl.revoked".into(),
                body: "qurl.accessed".into(),
            },
            r#"webhook header `qurl-event` says "qurl.revoked" but the signed body's type is "qurl.accessed"; refuse the delivery"#,
        ),
    ];
    for (err, message) in cases {
        assert_eq!(err.to_string(), message);
    }
}
