//! Why a webhook delivery was refused. No variant holds a secret or the
//! signature, so an error can be logged or returned as it is.

use std::fmt;

/// A webhook delivery that [`construct_event`](super::construct_event)
/// refused. Answer it with a 4xx and do not process it.
///
/// ```
/// use qurl::webhooks::{construct_event, Error};
///
/// let err = construct_event(b"{}", &http::HeaderMap::new(), &["whsec_x"]).unwrap_err();
/// assert!(matches!(err, Error::MissingHeader { name: "qurl-signature" }));
/// assert!(err.to_string().contains("qurl-signature"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A header qURL always sends is absent.
    MissingHeader {
        /// The header's name, lower-case.
        name: &'static str,
    },
    /// A header is present but unusable: sent twice, empty, not visible
    /// ASCII, too long, or (the delivery id) with whitespace inside.
    MalformedHeader {
        /// The header's name, lower-case.
        name: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `QURL-Signature` is not 64 hexadecimal characters.
    MalformedSignature {
        /// What is wrong with it (the value itself is never kept).
        problem: &'static str,
    },
    /// No secret was given, or only empty ones.
    NoSecret,
    /// The signature matched none of the secrets: the body changed after
    /// signing, or the secret is not this webhook's.
    NoMatchingSecret {
        /// How many secrets were tried.
        secrets_tried: usize,
    },
    /// The signed body is not a qURL event payload.
    InvalidPayload {
        /// serde's description of the mismatch.
        problem: String,
    },
    /// `QURL-Event` names another event type than the signed body.
    EventTypeMismatch {
        /// The (unsigned) header's value.
        header: String,
        /// The signed body's `type`.
        body: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader { name } => write!(
                f,
                "webhook delivery has no `{name}` header; qURL always sends it, so this \
                 request is not from qURL or a proxy dropped the header"
            ),
            Self::MalformedHeader { name, problem } => write!(
                f,
                "webhook header `{name}` is unusable: {problem}; refuse the delivery"
            ),
            Self::MalformedSignature { problem } => write!(
                f,
                "webhook header `qurl-signature` is malformed: {problem} \
                 (expected the hex HMAC-SHA256 of the body, 64 characters)"
            ),
            Self::NoSecret => write!(
                f,
                "no webhook secret to verify with: pass the `whsec_…` secret returned when \
                 the webhook was created or its secret regenerated"
            ),
            Self::NoMatchingSecret { secrets_tried } => write!(
                f,
                "webhook signature matches none of the {secrets_tried} secret(s): the body \
                 was changed after signing (verify the raw bytes, not re-serialized JSON), \
                 or the secret is not this webhook's (during a rotation pass the new and \
                 the previous secret)"
            ),
            Self::InvalidPayload { problem } => write!(
                f,
                "webhook body is signed but is not a qURL event payload: {problem}"
            ),
            Self::EventTypeMismatch { header, body } => write!(
                f,
                "webhook header `qurl-event` says {header:?} but the signed body's type is \
                 {body:?}; refuse the delivery"
            ),
        }
    }
}

impl std::error::Error for Error {}
