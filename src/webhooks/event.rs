//! A verified delivery as a typed event: its delivery id, its event type
//! (open, so a type added by qURL later still decodes), the generated
//! payload, and typed `data` for the event types the API documents.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Error;
use crate::types::WebhookPayload;

/// One webhook event, read from a delivery whose signature was verified.
/// Made by [`construct_event`](super::construct_event).
///
/// ```
/// use qurl::webhooks::{self, EventType};
///
/// let body = br#"{"id":"evt_1","type":"qurl.accessed","data":{"qurl_id":"q_1","resource_id":"r_1","access_count":3,"consumed":false}}"#;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("qurl-signature", webhooks::sign(body, "whsec_s").parse()?);
/// headers.insert("qurl-event", "qurl.accessed".parse()?);
/// headers.insert("qurl-delivery", "wd_0123456789abcdef".parse()?);
///
/// let event = webhooks::construct_event(body, &headers, &["whsec_s"])?;
/// assert_eq!(event.delivery_id(), "wd_0123456789abcdef");
/// assert_eq!(event.event_type(), &EventType::QurlAccessed);
/// assert_eq!(event.event_id(), Some("evt_1"));
/// assert_eq!(event.qurl_accessed().map(|a| a.access_count), Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Event {
    delivery_id: String,
    event_type: EventType,
    payload: WebhookPayload,
    qurl_accessed: Option<QurlAccessed>,
}

impl Event {
    /// Decodes a body whose signature was already verified. `header_type` is
    /// the `QURL-Event` header, which must agree with the signed `type`.
    pub(crate) fn decode(body: &[u8], delivery_id: &str, header_type: &str) -> Result<Self, Error> {
        let payload: WebhookPayload = serde_json::from_slice(body).map_err(invalid)?;
        let signed_type = payload
            .type_
            .as_ref()
            .map(|t| t.0.as_str())
            .ok_or_else(|| Error::InvalidPayload {
                problem: "the body has no `type`".to_owned(),
            })?;
        if signed_type != header_type {
            return Err(Error::EventTypeMismatch {
                header: header_type.to_owned(),
                body: signed_type.to_owned(),
            });
        }
        let event_type = EventType::from(signed_type);
        let qurl_accessed = match event_type {
            EventType::QurlAccessed => Some(data_as(&payload)?),
            _ => None,
        };
        Ok(Self {
            delivery_id: delivery_id.to_owned(),
            event_type,
            payload,
            qurl_accessed,
        })
    }

    /// The `QURL-Delivery` id: the same on every retry of this delivery, so
    /// it is the key to deduplicate on.
    ///
    /// ```
    /// # fn demo(event: qurl::webhooks::Event) {
    /// println!("processing delivery {}", event.delivery_id());
    /// # }
    /// ```
    pub fn delivery_id(&self) -> &str {
        &self.delivery_id
    }

    /// The event's type, from the signed body.
    ///
    /// ```
    /// # fn demo(event: qurl::webhooks::Event) {
    /// use qurl::webhooks::EventType;
    /// match event.event_type() {
    ///     EventType::QurlAccessed => println!("a link was opened"),
    ///     other => println!("{other}: not handled here"),
    /// }
    /// # }
    /// ```
    pub fn event_type(&self) -> &EventType {
        &self.event_type
    }

    /// The event's own id (`evt_…`) from the signed body, if the body has one.
    ///
    /// ```
    /// # fn demo(event: qurl::webhooks::Event) {
    /// println!("event {:?}", event.event_id());
    /// # }
    /// ```
    pub fn event_id(&self) -> Option<&str> {
        self.payload.id.as_deref()
    }

    /// The whole signed body, as the generated type.
    ///
    /// ```
    /// # fn demo(event: qurl::webhooks::Event) {
    /// let payload: &qurl::types::WebhookPayload = event.payload();
    /// println!("owner {:?} at {:?}", payload.owner_id, payload.timestamp);
    /// # }
    /// ```
    pub fn payload(&self) -> &WebhookPayload {
        &self.payload
    }

    /// The whole signed body, by value.
    ///
    /// ```
    /// # fn demo(event: qurl::webhooks::Event) {
    /// let data = event.into_payload().data;
    /// # }
    /// ```
    pub fn into_payload(self) -> WebhookPayload {
        self.payload
    }

    /// The `data` of a `qurl.accessed` event; `None` for other types.
    ///
    /// ```
    /// # fn demo(event: qurl::webhooks::Event) {
    /// if let Some(accessed) = event.qurl_accessed() {
    ///     println!("{} opened {} times", accessed.qurl_id, accessed.access_count);
    /// }
    /// # }
    /// ```
    pub fn qurl_accessed(&self) -> Option<&QurlAccessed> {
        self.qurl_accessed.as_ref()
    }

    /// The `data` read as a type of your own, for event types whose fields
    /// the API does not document yet.
    ///
    /// ```
    /// # fn demo(event: qurl::webhooks::Event) -> Result<(), qurl::webhooks::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Created { qurl_id: String }
    /// let created: Created = event.data_as()?;
    /// # Ok(()) }
    /// ```
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        data_as(&self.payload)
    }
}

fn data_as<T: DeserializeOwned>(payload: &WebhookPayload) -> Result<T, Error> {
    T::deserialize(serde_json::Value::Object(payload.data.clone())).map_err(invalid)
}

fn invalid(err: serde_json::Error) -> Error {
    Error::InvalidPayload {
        problem: err.to_string(),
    }
}

/// `data` of a `qurl.accessed` event, as the API documents it. `src_ip` and
/// `user_agent` are left out for connector (`transit`) resources.
///
/// ```
/// let data: qurl::webhooks::QurlAccessed = serde_json::from_str(
///     r#"{"qurl_id":"q_1","resource_id":"r_1","access_count":7,"consumed":false}"#,
/// )?;
/// assert_eq!(data.src_ip, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QurlAccessed {
    /// The qURL that was opened.
    pub qurl_id: String,
    /// Its resource.
    pub resource_id: String,
    /// Access count after this access (best effort under concurrent access).
    pub access_count: u64,
    /// Whether this access used up a one-time token.
    pub consumed: bool,
    /// The viewer's IP address; absent for connector resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_ip: Option<String>,
    /// The viewer's `User-Agent`; absent for connector resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// Declares [`EventType`] from one list, so the variants, their names and
/// [`EventType::KNOWN`] cannot drift apart.
macro_rules! event_types {
    ($($variant:ident => $name:literal: $doc:literal,)*) => {
        /// A webhook event type. Open: a type qURL adds later decodes as
        /// [`EventType::Other`] instead of failing.
        ///
        /// ```
        /// use qurl::webhooks::EventType;
        ///
        /// assert_eq!(EventType::from("qurl.accessed"), EventType::QurlAccessed);
        /// assert_eq!(EventType::QurlAccessed.as_str(), "qurl.accessed");
        /// let new = EventType::from("qurl.teleported");
        /// assert_eq!(new, EventType::Other("qurl.teleported".into()));
        /// assert!(!new.is_known());
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum EventType {
            $(#[doc = $doc] $variant,)*
            /// A type this version of the crate does not know.
            Other(String),
        }

        impl EventType {
            /// Every type the API documents, as sent on the wire.
            ///
            /// ```
            /// assert!(qurl::webhooks::EventType::KNOWN.contains(&"qurl.created"));
            /// ```
            pub const KNOWN: &'static [&'static str] = &[$($name),*];

            /// The type as sent on the wire.
            ///
            /// ```
            /// assert_eq!(qurl::webhooks::EventType::QuotaWarning.as_str(), "quota.warning");
            /// ```
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Other(name) => name,
                }
            }
        }

        impl From<&str> for EventType {
            fn from(name: &str) -> Self {
                match name {
                    $($name => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

event_types! {
    QurlCreated => "qurl.created": "A qURL was created.",
    QurlExpired => "qurl.expired": "A qURL reached its expiry time (at most once per qURL).",
    QurlRevoked => "qurl.revoked": "A qURL was revoked.",
    QurlUpdated => "qurl.updated": "A qURL was updated.",
    ResourceClosed => "resource.closed": "Every qURL of a resource ended and no session remains.",
    QurlAccessed => "qurl.accessed": "A qURL was opened; see [`QurlAccessed`].",
    QurlAccessDenied => "qurl.access_denied": "Access to a qURL was denied by policy.",
    QurlTokenExhausted => "qurl.token_exhausted": "A one-time token was used up.",
    QuotaWarning => "quota.warning": "The quota is nearly used (80%).",
    QuotaExceeded => "quota.exceeded": "The quota is used up; actions are blocked.",
    TokenMinted => "token.minted": "An access token was minted.",
    TokenExpired => "token.expired": "An access token expired.",
    DomainVerified => "domain.verified": "A custom domain was verified.",
    DomainFailed => "domain.failed": "A custom domain failed verification.",
    DomainDeleted => "domain.deleted": "A custom domain was deleted.",
}

impl EventType {
    /// Whether the API documents this type (it is not [`EventType::Other`]).
    ///
    /// ```
    /// assert!(qurl::webhooks::EventType::TokenMinted.is_known());
    /// ```
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_round_trips_and_unknown_ones_stay_open() {
        for name in EventType::KNOWN {
            let parsed = EventType::from(*name);
            assert!(parsed.is_known(), "{name}");
            assert_eq!(parsed.as_str(), *name);
        }
        assert_eq!(EventType::KNOWN.len(), 15);
        let other = EventType::from("QURL.ACCESSED");
        assert_eq!(other, EventType::Other("QURL.ACCESSED".into()));
        assert_eq!(other.to_string(), "QURL.ACCESSED");
    }
}
