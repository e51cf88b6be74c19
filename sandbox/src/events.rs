//! Webhook events: the catalogue, and [`emit`], the one place where the sandbox
//! produces an event.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::delivery::Outgoing;
use crate::ids;
use crate::store::{Delivery, Store, owner_id, rfc3339};
use crate::views::{EventTypeInfo, WebhookPayload};

/// Version string carried in every payload.
const API_VERSION: &str = "2026-08-01";

/// Event type -> (category, description). The names are the spec's
/// `WebhookEventType` enum; the catalogue test keeps the two in step.
pub(crate) const CATALOGUE: &[(&str, &str, &str)] = &[
    ("qurl.created", "resource", "A qURL was created"),
    ("qurl.expired", "resource", "A qURL expired"),
    ("qurl.revoked", "resource", "A qURL was revoked"),
    ("qurl.updated", "resource", "A qURL was changed"),
    ("resource.closed", "resource", "A resource was deleted"),
    ("qurl.accessed", "access", "A token was resolved"),
    ("qurl.access_denied", "access", "A resolve was refused"),
    ("qurl.token_exhausted", "access", "A token was used up"),
    ("quota.warning", "quota", "Usage neared a limit"),
    ("quota.exceeded", "quota", "Usage hit a limit"),
    ("token.minted", "token", "A token was added"),
    ("token.expired", "token", "A token expired"),
    // The spec's categories have no "domain"; domains are account resources.
    ("domain.verified", "resource", "A domain was verified"),
    ("domain.failed", "resource", "A domain failed its checks"),
    ("domain.deleted", "resource", "A domain was removed"),
];

pub(crate) fn catalogue() -> Vec<EventTypeInfo> {
    CATALOGUE
        .iter()
        .map(|(kind, category, description)| EventTypeInfo {
            kind: (*kind).to_owned(),
            category,
            description,
        })
        .collect()
}

/// Produces event `event_type` for `owner`: one delivery per active webhook of the
/// owner subscribed to it, recorded (status `pending`, listed by
/// `GET /v1/webhooks/{id}/deliveries`) and queued in the store's outbox. The
/// caller holds the store lock, so the signed POST is sent afterwards by
/// `outbox::send_pending`, which writes each attempt back into the record.
pub(crate) fn emit(
    store: &mut Store,
    owner: &str,
    event_type: &str,
    data: &impl Serialize,
    now: DateTime<Utc>,
) {
    let data = serde_json::to_value(data).unwrap_or(Value::Null);
    let subscribed: Vec<(String, String, String)> = Store::owned(&store.webhooks, owner)
        .filter(|w| w.active && w.events.iter().any(|e| e == event_type))
        .map(|w| (w.id.clone(), w.url.clone(), w.secret.clone()))
        .collect();
    for (webhook_id, url, secret) in subscribed {
        let payload = WebhookPayload {
            id: ids::event_id(),
            kind: event_type.to_owned(),
            owner_id: owner_id(owner),
            timestamp: rfc3339(now),
            api_version: API_VERSION,
            data: data.clone(),
        };
        let delivery_id = ids::delivery_id();
        store.outbox.push(Outgoing {
            delivery_id: delivery_id.clone(),
            webhook_id: webhook_id.clone(),
            url,
            secret,
            event_type: event_type.to_owned(),
            // Serialized once: these exact bytes are signed and sent.
            body: serde_json::to_vec(&payload).unwrap_or_default(),
        });
        let seq = store.next_seq();
        store.deliveries.push(Delivery {
            id: delivery_id,
            webhook_id,
            seq,
            event_type: event_type.to_owned(),
            created_at: now,
            progress: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::spec;

    #[test]
    fn the_catalogue_matches_the_spec_enum() {
        let op = spec().operation("createWebhook").unwrap();
        let validator = spec()
            .validator(&op.body.as_ref().unwrap().pointer)
            .unwrap();
        for (kind, _, _) in CATALOGUE {
            let body = serde_json::json!({"url": "https://h.example", "events": [kind]});
            assert!(validator.is_valid(&body), "{kind} is not in the spec");
        }
        let body = serde_json::json!({"url": "https://h.example", "events": ["nope"]});
        assert!(!validator.is_valid(&body));
    }
}
