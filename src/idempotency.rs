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

/// Namespace of [`IdempotencyKey::derive`]: UUIDv5 of
/// `https://api.layerv.ai/idempotency-key` in the URL namespace.
const DERIVE_NAMESPACE: uuid::Uuid = uuid::uuid!("f1fa3ac6-23ef-5ddc-a831-c55cf0b07d83");

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

    /// A deterministic key from your own identifiers, so a job restarted on
    /// any machine resends the same key without storing anything: use it when
    /// the call belongs to something you already name (an order, a job run,
    /// an import row). Use [`IdempotencyKey::new`] for one-off calls.
    ///
    /// The algorithm is stable and published: the key is the UUIDv5 (RFC
    /// 9562) of the name `"{ns_len}:{namespace},{id_len}:{id},"` (lengths in
    /// UTF-8 bytes, netstring style, so no two pairs share a name) in the
    /// namespace `f1fa3ac6-23ef-5ddc-a831-c55cf0b07d83`, itself the UUIDv5 of
    /// `https://api.layerv.ai/idempotency-key` in the URL namespace. In Python:
    /// `uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "https://api.layerv.ai/idempotency-key"), "5:order,4:1234,")`.
    /// The result has 36 lower-case characters, so it meets every operation's
    /// rule, including the 32-character minimum of `POST /v1/api-keys`.
    ///
    /// Namespace the ids per kind of call: the same key on two different
    /// requests makes the API answer the second with the first's result.
    ///
    /// ```
    /// let key = qurl::IdempotencyKey::derive("order", "1234");
    /// assert_eq!(key.as_str(), "b4ecc927-09e7-55a0-a326-bab403cce2af");
    /// assert_ne!(key, qurl::IdempotencyKey::derive("order", "1235"));
    /// ```
    pub fn derive(namespace: &str, id: &str) -> Self {
        let name = format!("{}:{namespace},{}:{id},", namespace.len(), id.len());
        let id = uuid::Uuid::new_v5(&DERIVE_NAMESPACE, name.as_bytes());
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
///
/// ```
/// let err = qurl::IdempotencyKey::try_from(" padded").unwrap_err();
/// assert_eq!(err, qurl::KeyError::SurroundingSpace);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

    /// Vectors computed independently with Python's `uuid` module:
    /// `uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "https://api.layerv.ai/idempotency-key"), f"{len(a)}:{a},{len(b)}:{b},")`.
    #[test]
    fn derived_keys_match_the_published_vectors_and_are_unambiguous() {
        let ns = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            b"https://api.layerv.ai/idempotency-key",
        );
        assert_eq!(ns, DERIVE_NAMESPACE);
        let cases = [
            ("order", "1234", "b4ecc927-09e7-55a0-a326-bab403cce2af"),
            ("a:b", "c", "09f334ed-ef03-53b5-be61-3325d4a37aa7"),
            ("a", "b:c", "e0517d1c-53fa-5205-80d6-a90af95e4462"),
            ("ab", "c", "63edc668-83ec-57b8-aa4e-0045cf8f87df"),
            ("a", "bc", "36bb8823-51da-5b97-8769-ea8d0c670844"),
            (
                "billing-job",
                "2026-11-28/42",
                "dd887d75-b57f-5bcc-a8b1-c3e88eba419a",
            ),
        ];
        for (namespace, id, expected) in cases {
            let key = IdempotencyKey::derive(namespace, id);
            assert_eq!(key.as_str(), expected, "{namespace:?} {id:?}");
            assert_eq!(key.as_str().len(), 36);
            assert!(
                key.check(KeyRule {
                    min_len: 32,
                    max_len: 256
                })
                .is_ok()
            );
        }
        assert_eq!(
            IdempotencyKey::derive("order", "1234"),
            IdempotencyKey::derive("order", "1234")
        );
        // `check` applies an operation's rule to a key made ahead of the call.
        let key = IdempotencyKey::derive("order", "1234");
        assert_eq!(
            key.check(KeyRule {
                min_len: 40,
                max_len: 256
            }),
            Err(KeyError::TooShort { len: 36, min: 40 })
        );
    }

    #[test]
    fn conversions_keep_the_key_verbatim_and_check_it() {
        let key = IdempotencyKey::derive("a", "b");
        let text = key.as_str().to_owned();
        assert_eq!(key.to_string(), text);
        assert_eq!(format!("{key:?}"), format!("IdempotencyKey({text:?})"));
        assert_eq!(IdempotencyKey::try_from(text.clone()), Ok(key.clone()));
        assert_eq!(text.parse::<IdempotencyKey>(), Ok(key.clone()));
        assert_eq!(String::from(&key), text);
        assert_eq!(String::from(key), text);
        assert_eq!(
            IdempotencyKey::try_from(String::from("x ")),
            Err(KeyError::SurroundingSpace)
        );
        assert_eq!("".parse::<IdempotencyKey>(), Err(KeyError::Empty));
    }

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
