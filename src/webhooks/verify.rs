//! From raw request to verified [`Event`]: read the headers, check the
//! signature over the exact bytes, and only then decode the body.

use http::HeaderMap;

use super::{DELIVERY_HEADER, EVENT_HEADER, Error, Event, SIGNATURE_HEADER, signature};

/// Longest header value read. qURL's values are far shorter (a delivery id
/// is 19 characters); the bound keeps errors and store keys small.
const MAX_HEADER_LEN: usize = 256;

/// Verifies one webhook delivery and reads it as an [`Event`].
///
/// `body` must be the raw request body, byte for byte: the signature covers
/// those bytes, so JSON that was parsed and serialized again will not match.
/// `secrets` are the webhook's `whsec_…` secrets; pass the new and the
/// previous one while rotating (`POST /v1/webhooks/{id}/secret`), and drop the
/// old one once every receiver has the new one. Empty secrets are ignored.
///
/// Nothing in the body is read before its signature is checked. The
/// `QURL-Event` header must agree with the signed `type`; `QURL-Delivery`
/// must be present (deduplicate on it). On `Err`, answer with a 4xx and do
/// not process the delivery.
///
/// ```
/// use qurl::webhooks::{self, Error};
///
/// let body = br#"{"id":"evt_1","type":"qurl.created","data":{"qurl_id":"q_1"}}"#;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("qurl-signature", webhooks::sign(body, "whsec_new").parse()?);
/// headers.insert("qurl-event", "qurl.created".parse()?);
/// headers.insert("qurl-delivery", "wd_0123456789abcdef".parse()?);
///
/// // Mid-rotation: the new secret and the previous one are both accepted.
/// let event = webhooks::construct_event(body, &headers, &["whsec_new", "whsec_old"])?;
/// assert_eq!(event.event_type().as_str(), "qurl.created");
///
/// let tampered = br#"{"id":"evt_1","type":"qurl.created","data":{"qurl_id":"q_2"}}"#;
/// let refused = webhooks::construct_event(tampered, &headers, &["whsec_new"]);
/// assert!(matches!(refused, Err(Error::NoMatchingSecret { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn construct_event(body: &[u8], headers: &HeaderMap, secrets: &[&str]) -> Result<Event, Error> {
    let signature_hex = single_header(headers, SIGNATURE_HEADER)?;
    let header_type = single_header(headers, EVENT_HEADER)?;
    let delivery_id = single_header(headers, DELIVERY_HEADER)?;
    if delivery_id.contains(char::is_whitespace) {
        return Err(Error::MalformedHeader {
            name: DELIVERY_HEADER,
            problem: "contains whitespace",
        });
    }
    signature::verify(body, signature_hex, secrets)?;
    Event::decode(body, delivery_id, header_type)
}

/// The one value of header `name`, trimmed; refused when absent, repeated,
/// empty, too long or not visible ASCII.
fn single_header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, Error> {
    let malformed = |problem| Error::MalformedHeader { name, problem };
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(Error::MissingHeader { name })?;
    if values.next().is_some() {
        return Err(malformed("sent more than once"));
    }
    let value = value
        .to_str()
        .map_err(|_| malformed("not visible ASCII"))?
        .trim();
    if value.is_empty() {
        return Err(malformed("empty"));
    }
    if value.len() > MAX_HEADER_LEN {
        return Err(malformed("longer than 256 characters"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use proptest::prelude::*;

    use super::*;
    use crate::webhooks::sign;

    const SECRET: &str = "whsec_property_0001";

    fn headers(signature: &[u8], event: &[u8], delivery: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (SIGNATURE_HEADER, signature),
            (EVENT_HEADER, event),
            (DELIVERY_HEADER, delivery),
        ] {
            // Bytes a server would never hand over (CR, LF, NUL) are skipped.
            if let Ok(value) = HeaderValue::from_bytes(value) {
                headers.insert(name, value);
            }
        }
        headers
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Any body and header bytes: never a panic, and `Ok` only when the
        /// signature is the MAC of that very body under the secret.
        #[test]
        fn never_panics_and_accepts_only_the_right_mac(
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..200),
                // Valid payloads, so a verifier that let everything through
                // would be caught, not just one that panics.
                "[a-z0-9]{1,20}".prop_map(|id| {
                    format!(r#"{{"id":"evt_{id}","type":"qurl.created"}}"#).into_bytes()
                }),
            ],
            signature in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..80),
                "[0-9a-fA-F]{64}".prop_map(String::into_bytes),
            ],
            event in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..40),
                Just(b"qurl.created".to_vec()),
            ],
            delivery in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..40),
                Just(b"wd_0123456789abcdef".to_vec()),
            ],
        ) {
            let got = construct_event(&body, &headers(&signature, &event, &delivery), &[SECRET]);
            if got.is_ok() {
                let sent = String::from_utf8_lossy(&signature).trim().to_ascii_lowercase();
                prop_assert_eq!(sent, sign(&body, SECRET));
            }
        }

        /// A correctly signed delivery always passes verification: whatever
        /// is refused then is the payload, never the signature.
        #[test]
        fn a_correct_signature_always_verifies(
            body in proptest::collection::vec(any::<u8>(), 0..200),
            upper in any::<bool>(),
        ) {
            let mut signature = sign(&body, SECRET);
            if upper {
                signature = signature.to_ascii_uppercase();
            }
            let headers = headers(signature.as_bytes(), b"qurl.created", b"wd_0123456789abcdef");
            let got = construct_event(&body, &headers, &["whsec_other", SECRET]);
            prop_assert!(
                matches!(got, Ok(_) | Err(Error::InvalidPayload { .. } | Error::EventTypeMismatch { .. })),
                "{:?}", got
            );
        }
    }
}
