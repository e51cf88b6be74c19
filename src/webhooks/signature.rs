//! The MAC qURL puts in `QURL-Signature`: HMAC-SHA256 over the raw body,
//! keyed with the secret's UTF-8 bytes (`whsec_` prefix included), in hex.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::Error;

type HmacSha256 = Hmac<Sha256>;

/// Length of an HMAC-SHA256 tag in hex.
const SIGNATURE_HEX_LEN: usize = 64;

/// The `QURL-Signature` value qURL sends for `body` under `secret`: lower-case
/// hex. Handy for testing your receiver with deliveries of your own.
///
/// ```
/// let signature = qurl::webhooks::sign(br#"{"type":"qurl.created"}"#, "whsec_test");
/// assert_eq!(signature.len(), 64);
/// assert!(signature.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
/// ```
pub fn sign(body: &[u8], secret: &str) -> String {
    hex::encode(keyed(secret).chain_update(body).finalize().into_bytes())
}

/// Checks `signature_hex` against each non-empty secret in turn, comparing
/// in constant time. Accepts upper- and lower-case hex.
pub(crate) fn verify(body: &[u8], signature_hex: &str, secrets: &[&str]) -> Result<(), Error> {
    let expected = decode(signature_hex)?;
    let usable: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    if usable.is_empty() {
        return Err(Error::NoSecret);
    }
    // `verify_slice` is the constant-time comparison of RustCrypto's `Mac`.
    let matched = usable.iter().any(|secret| {
        keyed(secret)
            .chain_update(body)
            .verify_slice(&expected)
            .is_ok()
    });
    if matched {
        Ok(())
    } else {
        Err(Error::NoMatchingSecret {
            secrets_tried: usable.len(),
        })
    }
}

fn keyed(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts a key of any length")
}

fn decode(signature_hex: &str) -> Result<[u8; SIGNATURE_HEX_LEN / 2], Error> {
    if signature_hex.len() != SIGNATURE_HEX_LEN {
        return Err(Error::MalformedSignature {
            problem: "not 64 characters long",
        });
    }
    let mut tag = [0u8; SIGNATURE_HEX_LEN / 2];
    hex::decode_to_slice(signature_hex, &mut tag).map_err(|_| Error::MalformedSignature {
        problem: "not hexadecimal",
    })?;
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors computed independently of this crate, with Python's `hmac`:
    // python3 -c "import hmac,hashlib;print(hmac.new(b'whsec_test_secret_0001', b'{\"id\":\"evt_1\",\"type\":\"qurl.accessed\"}', hashlib.sha256).hexdigest())"
    const SMALL: &str = "ec58742272b498791af6c98bf221733f457d00b60144683e1361fa28a166ed8f";
    // python3 -c "import hmac,hashlib;print(hmac.new(b'whsec_K8xQp9H2sJ9Lx7R4AaBbCcDdEeFf', b'', hashlib.sha256).hexdigest())"
    const EMPTY_BODY: &str = "3df960954b1a78af9f9effec74179ffdefdcd945077c9c0854f6046146f2e1f9";
    // python3 -c "import hmac,hashlib;print(hmac.new('whsec_ünïcode'.encode(), b'\x00\xff raw bytes', hashlib.sha256).hexdigest())"
    const RAW_BYTES: &str = "50633dca8edf680040ab8bf3d579236cfb1c745f1420ba038a84ddddbc83e526";

    #[test]
    fn sign_matches_python_hmac() {
        assert_eq!(
            sign(
                br#"{"id":"evt_1","type":"qurl.accessed"}"#,
                "whsec_test_secret_0001"
            ),
            SMALL
        );
        assert_eq!(sign(b"", "whsec_K8xQp9H2sJ9Lx7R4AaBbCcDdEeFf"), EMPTY_BODY);
        assert_eq!(sign(b"\x00\xff raw bytes", "whsec_ünïcode"), RAW_BYTES);
    }

    #[test]
    fn verify_accepts_the_python_vectors_in_either_case() {
        let body = b"\x00\xff raw bytes";
        assert_eq!(verify(body, RAW_BYTES, &["whsec_ünïcode"]), Ok(()));
        let upper = RAW_BYTES.to_ascii_uppercase();
        assert_eq!(verify(body, &upper, &["whsec_ünïcode"]), Ok(()));
    }

    #[test]
    fn the_whsec_prefix_is_part_of_the_key() {
        let got = verify(b"", EMPTY_BODY, &["K8xQp9H2sJ9Lx7R4AaBbCcDdEeFf"]);
        assert_eq!(got, Err(Error::NoMatchingSecret { secrets_tried: 1 }));
    }

    #[test]
    fn any_of_several_secrets_may_match_and_empty_ones_are_skipped() {
        let secrets = ["", "whsec_other", "whsec_K8xQp9H2sJ9Lx7R4AaBbCcDdEeFf"];
        assert_eq!(verify(b"", EMPTY_BODY, &secrets), Ok(()));
        assert_eq!(
            verify(b"", EMPTY_BODY, &secrets[..2]),
            Err(Error::NoMatchingSecret { secrets_tried: 1 })
        );
        assert_eq!(verify(b"", EMPTY_BODY, &["", ""]), Err(Error::NoSecret));
        assert_eq!(verify(b"", EMPTY_BODY, &[]), Err(Error::NoSecret));
    }

    #[test]
    fn one_flipped_bit_in_body_or_tag_is_refused() {
        let secret = ["whsec_test_secret_0001"];
        let body = br#"{"id":"evt_1","type":"qurl.accessed"}"#;
        let mut tampered = body.to_vec();
        tampered[3] ^= 1;
        assert!(matches!(
            verify(&tampered, SMALL, &secret),
            Err(Error::NoMatchingSecret { .. })
        ));
        let mut tag = SMALL.to_owned();
        tag.replace_range(63.., "e");
        assert!(matches!(
            verify(body, &tag, &secret),
            Err(Error::NoMatchingSecret { .. })
        ));
    }

    #[test]
    fn malformed_tags_are_refused_before_any_mac() {
        let secret = ["whsec_test_secret_0001"];
        let too_short = &SMALL[..62];
        let too_long = format!("{SMALL}00");
        let prefixed = format!("sha256={SMALL}");
        for bad in ["", too_short, &too_long, &prefixed] {
            assert_eq!(
                verify(b"", bad, &secret),
                Err(Error::MalformedSignature {
                    problem: "not 64 characters long"
                }),
                "{bad:?}"
            );
        }
        let not_hex = format!("{}zz", &SMALL[..62]);
        assert_eq!(
            verify(b"", &not_hex, &secret),
            Err(Error::MalformedSignature {
                problem: "not hexadecimal"
            })
        );
    }
}
