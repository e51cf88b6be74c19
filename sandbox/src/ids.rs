//! Opaque identifiers shaped like the real service's, and a stable hash.

use rand::Rng;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

// Identifiers use the thread RNG, never the seeded fault RNG, so that creating
// resources does not shift which requests get faulted.
fn random(prefix: &str, alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    for _ in 0..len {
        let i = rng.random_range(0..alphabet.len());
        s.push(char::from(alphabet[i]));
    }
    s
}

/// `r_` + 11 characters.
pub(crate) fn resource_id() -> String {
    random("r_", LOWER_ALNUM, 11)
}

/// `q_` + 11 hex characters.
pub(crate) fn qurl_id() -> String {
    random("q_", HEX, 11)
}

/// `at_` + 22 characters.
pub(crate) fn access_token() -> String {
    random("at_", LOWER_ALNUM, 22)
}

/// `key_` + 12 alphanumerics.
pub(crate) fn api_key_id() -> String {
    random("key_", ALNUM, 12)
}

/// The plaintext secret of a new API key.
pub(crate) fn api_key_secret() -> String {
    random("lv_live_", ALNUM, 32)
}

/// `sess_` + 16 characters.
pub(crate) fn session_id() -> String {
    random("sess_", LOWER_ALNUM, 16)
}

/// `acd_` + 11 characters.
pub(crate) fn access_code_id() -> String {
    random("acd_", LOWER_ALNUM, 11)
}

/// `ac_` + 22 characters: the plaintext of an access code.
pub(crate) fn access_code() -> String {
    random("ac_", LOWER_ALNUM, 22)
}

/// `wh_` + 16 alphanumerics.
pub(crate) fn webhook_id() -> String {
    random("wh_", ALNUM, 16)
}

/// `wd_` + 16 alphanumerics.
pub(crate) fn delivery_id() -> String {
    random("wd_", ALNUM, 16)
}

/// `evt_` + 16 alphanumerics.
pub(crate) fn event_id() -> String {
    random("evt_", ALNUM, 16)
}

/// The signing secret of a webhook.
pub(crate) fn webhook_secret() -> String {
    random("whsec_", ALNUM, 32)
}

/// The TXT value a domain owner publishes.
pub(crate) fn domain_token() -> String {
    random("qurl-verify-", LOWER_ALNUM, 24)
}

/// `in_` + 14 alphanumerics, Stripe style.
pub(crate) fn invoice_id() -> String {
    random("in_", ALNUM, 14)
}

/// A hosted billing session id.
pub(crate) fn billing_session_id() -> String {
    random("bs_test_", ALNUM, 24)
}

/// `req_` + 16 characters.
pub(crate) fn request_id() -> String {
    random("req_", LOWER_ALNUM, 16)
}

/// 64-bit FNV-1a: stable across runs and platforms, unlike `DefaultHasher`'s contract.
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Lower-case hex, used to keep cursors URL-safe.
pub(crate) fn hex_encode(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Inverse of [`hex_encode`]; `None` for anything that is not valid hex of UTF-8.
pub(crate) fn hex_decode(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) || s.len() > 1024 {
        return None;
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let r = resource_id();
        assert!(r.starts_with("r_") && r.len() == 13);
        let q = qurl_id();
        assert!(q.starts_with("q_") && q[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(access_token().len(), 25);
        assert_eq!(api_key_id().len(), 16);
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_decode(&hex_encode("a|b|1")).as_deref(), Some("a|b|1"));
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("é"), None);
    }
}
