//! Idempotency keys: made once per logical call, validated against the
//! operation's rule from the spec, kept verbatim when the caller sets one.

use std::fmt;
use std::sync::Arc;

use crate::manifest::KeyRule;

/// The header that carries the key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The rule every operation shares (`Idempotency-Key` is at most 256 characters).
pub const GENERIC_RULE: KeyRule = KeyRule {
    min_len: 1,
    max_len: 256,
};

/// An `Idempotency-Key` value, made or checked before the call.
///
/// Make one ahead of the call to store it with your own job, then pass it to
/// the generated setter; repeating the call with it after a crash returns the
/// original response instead of creating a second resource.
///
/// ```
/// let key = qurl::IdempotencyKey::new();               // UUIDv7, lower-case
/// let again = qurl::IdempotencyKey::try_from(key.as_str()).unwrap();
/// assert_eq!(key, again);
/// assert!(qurl::IdempotencyKey::try_from(" padded").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A fresh UUIDv7 key (lower-case, hyphenated; sorts by creation time
    /// within a thread).
    pub fn new() -> Self {
        // A context per thread: uuid's shared one is a global mutex that
        // serialises concurrent callers. Uniqueness across threads comes from
        // the random counter seed and the 32 random bits of each key.
        thread_local! {
            static V7: uuid::ContextV7 = const { uuid::ContextV7::new() };
        }
        let id = V7.with(|ctx| uuid::Uuid::new_v7(uuid::Timestamp::now(ctx)));
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        Self(id.hyphenated().encode_lower(&mut buf).to_owned())
    }

    /// The key as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Check this key against an operation's rule (e.g. the 32-character
    /// minimum of `POST /v1/api-keys`).
    pub fn check(&self, rule: KeyRule) -> Result<(), KeyError> {
        validate(self.0.as_bytes(), rule)
    }
}

impl Default for IdempotencyKey {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdempotencyKey").field(&self.0).finish()
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for IdempotencyKey {
    type Error = KeyError;
    fn try_from(value: &str) -> Result<Self, KeyError> {
        validate(value.as_bytes(), GENERIC_RULE)?;
        Ok(Self(value.to_owned()))
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = KeyError;
    fn try_from(value: String) -> Result<Self, KeyError> {
        validate(value.as_bytes(), GENERIC_RULE)?;
        Ok(Self(value))
    }
}

impl std::str::FromStr for IdempotencyKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::try_from(s)
    }
}

/// Lets the generated `.idempotency_key(..)` setters take an `IdempotencyKey`.
impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> String {
        key.0
    }
}

impl From<&IdempotencyKey> for String {
    fn from(key: &IdempotencyKey) -> String {
        key.0.clone()
    }
}

/// Why a key was refused. Nothing is sent when this happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The key is empty.
    Empty,
    /// Shorter than the operation's minimum.
    TooShort {
        /// Characters given.
        len: usize,
        /// Minimum of the operation.
        min: u64,
    },
    /// Longer than the operation's maximum.
    TooLong {
        /// Characters given.
        len: usize,
        /// Maximum of the operation.
        max: u64,
    },
    /// A byte outside printable ASCII (0x21..=0x7E, plus inner spaces).
    NotPrintableAscii {
        /// Byte offset in the key.
        position: usize,
        /// The offending byte.
        byte: u8,
    },
    /// Leading or trailing space.
    SurroundingSpace,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => write!(
                f,
                "Idempotency-Key is empty; pass a non-empty key or let the client make one"
            ),
            KeyError::TooShort { len, min } => write!(
                f,
                "Idempotency-Key has {len} characters but this operation requires at least {min}; use qurl::IdempotencyKey::new() (36 characters) or a longer key"
            ),
            KeyError::TooLong { len, max } => {
                write!(
                    f,
                    "Idempotency-Key has {len} characters but at most {max} are allowed; shorten it"
                )
            }
            KeyError::NotPrintableAscii { position, byte } => write!(
                f,
                "Idempotency-Key has byte 0x{byte:02x} at position {position}; only printable ASCII is allowed (no control characters, no non-ASCII)"
            ),
            KeyError::SurroundingSpace => {
                write!(
                    f,
                    "Idempotency-Key starts or ends with a space; trim it (servers would not match it reliably)"
                )
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// Validate raw key bytes against `rule`.
pub fn validate(key: &[u8], rule: KeyRule) -> Result<(), KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if let Some((position, &byte)) = key
        .iter()
        .enumerate()
        .find(|(_, b)| !(0x20..=0x7e).contains(*b))
    {
        return Err(KeyError::NotPrintableAscii { position, byte });
    }
    if key.first() == Some(&b' ') || key.last() == Some(&b' ') {
        return Err(KeyError::SurroundingSpace);
    }
    // Printable ASCII: one byte per character.
    let len = key.len();
    if (len as u64) < rule.min_len {
        return Err(KeyError::TooShort {
            len,
            min: rule.min_len,
        });
    }
    if (len as u64) > rule.max_len {
        return Err(KeyError::TooLong {
            len,
            max: rule.max_len,
        });
    }
    Ok(())
}

/// Where automatic keys come from. UUIDv7 unless a test injects its own.
#[derive(Clone)]
pub struct KeySource(Option<Arc<dyn Fn() -> String + Send + Sync>>);

impl KeySource {
    /// UUIDv7 keys.
    pub fn uuid_v7() -> Self {
        Self(None)
    }

    /// Keys from `f` (deterministic keys in tests).
    pub fn from_fn(f: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(f)))
    }

    /// A new key for one logical call.
    pub fn next_key(&self) -> String {
        match &self.0 {
            Some(f) => f(),
            None => IdempotencyKey::new().0,
        }
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "KeySource(custom)"
        } else {
            "KeySource(uuid_v7)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_are_lowercase_uuid_v7() {
        let k = IdempotencyKey::new();
        let u = uuid::Uuid::parse_str(k.as_str()).unwrap();
        assert_eq!(u.get_version_num(), 7);
        assert_eq!(k.as_str(), k.as_str().to_lowercase());
        assert_ne!(k, IdempotencyKey::new());
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// The validator accepts exactly the keys the rule describes.
        #[test]
        fn accepts_exactly_the_rule(key in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            "[ -~]{0,300}".prop_map(String::into_bytes),
        ], min in 1u64..40) {
            let rule = KeyRule { min_len: min, max_len: 256 };
            let expected = !key.is_empty()
                && key.iter().all(|b| (0x20..=0x7e).contains(b))
                && key[0] != b' '
                && key[key.len() - 1] != b' '
                && (key.len() as u64) >= min
                && key.len() <= 256;
            prop_assert_eq!(validate(&key, rule).is_ok(), expected);
        }
    }

    #[test]
    fn every_rule_is_enforced() {
        let api_keys = KeyRule {
            min_len: 32,
            max_len: 256,
        };
        assert_eq!(validate(b"", GENERIC_RULE), Err(KeyError::Empty));
        assert!(matches!(
            validate(&[b'a'; 257], GENERIC_RULE),
            Err(KeyError::TooLong { len: 257, max: 256 })
        ));
        assert!(validate(&[b'a'; 256], GENERIC_RULE).is_ok());
        assert!(matches!(
            validate(&[b'a'; 31], api_keys),
            Err(KeyError::TooShort { len: 31, min: 32 })
        ));
        assert!(validate(&[b'a'; 32], api_keys).is_ok());
        for bad in ["a\r\nb", "a\tb", "a\0b", "clé", "a\x7fb"] {
            assert!(
                matches!(
                    validate(bad.as_bytes(), GENERIC_RULE),
                    Err(KeyError::NotPrintableAscii { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            validate(b" a", GENERIC_RULE),
            Err(KeyError::SurroundingSpace)
        );
        assert_eq!(
            validate(b"a ", GENERIC_RULE),
            Err(KeyError::SurroundingSpace)
        );
        assert!(validate(b"a b", GENERIC_RULE).is_ok());
    }
}
