//! `QURL-Signature`: hex HMAC-SHA256 of the exact body bytes, keyed with the
//! webhook secret's UTF-8 bytes (`whsec_` included). Written independently of
//! the client's verifier, so the end-to-end test checks one against the other.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The `QURL-Signature` value for `body` under `secret`, lower-case hex.
///
/// ```
/// let signature = qurl_sandbox::delivery::signature(b"{}", "whsec_x");
/// assert_eq!(signature.len(), 64);
/// ```
pub fn signature(body: &[u8], secret: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts a key of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_python_hmac() {
        // python3 -c "import hmac,hashlib;print(hmac.new(b'whsec_test_secret_0001', b'{\"id\":\"evt_1\",\"type\":\"qurl.accessed\"}', hashlib.sha256).hexdigest())"
        assert_eq!(
            super::signature(
                br#"{"id":"evt_1","type":"qurl.accessed"}"#,
                "whsec_test_secret_0001"
            ),
            "ec58742272b498791af6c98bf221733f457d00b60144683e1361fa28a166ed8f"
        );
    }
}
