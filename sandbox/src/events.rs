//! Webhook events: the catalogue, and [`emit`], the one place where the sandbox
//! produces an event.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::delivery::Outgoing;
use crate::ids;
use crate::shapes::{
    WebhookEventType as Event, WebhookEventTypeInfo, WebhookEventTypeInfoCategory as Category,
    WebhookPayload,
};
use crate::store::{Delivery, Store, owner_id};

/// Version string carried in every payload.
const API_VERSION: &str = "2026-08-01";

/// Event type -> (category, description), in the spec's enums.
pub(crate) const CATALOGUE: &[(Event, Category, &str)] = &[
    (Event::QurlCreated, Category::Resource, "A qURL was created"),
    (Event::QurlExpired, Category::Resource, "A qURL expired"),
    (Event::QurlRevoked, Category::Resource, "A qURL was revoked"),
    (Event::QurlUpdated, Category::Resource, "A qURL was changed"),
    (
        Event::ResourceClosed,
        Category::Resource,
        "A resource was deleted",
    ),
    (
        Event::QurlAccessed,
        Category::Access,
        "A token was resolved",
    ),
    (
        Event::QurlAccessDenied,
        Category::Access,
        "A resolve was refused",
    ),
    (
        Event::QurlTokenExhausted,
        Category::Access,
        "A token was used up",
    ),
    (Event::QuotaWarning, Category::Quota, "Usage neared a limit"),
    (Event::QuotaExceeded, Category::Quota, "Usage hit a limit"),
    (Event::TokenMinted, Category::Token, "A token was added"),
    (Event::TokenExpired, Category::Token, "A token expired"),
    // The spec's categories have no "domain"; domains are account resources.
    (
        Event::DomainVerified,
        Category::Resource,
        "A domain was verified",
    ),
    (
        Event::DomainFailed,
        Category::Resource,
        "A domain failed its checks",
    ),
    (
        Event::DomainDeleted,
        Category::Resource,
        "A domain was removed",
    ),
];

pub(crate) fn catalogue() -> Vec<WebhookEventTypeInfo> {
    CATALOGUE
        .iter()
        .map(|(kind, category, description)| WebhookEventTypeInfo {
            type_: Some(*kind),
            category: Some(*category),
            description: Some((*description).to_owned()),
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
    event_type: Event,
    data: &impl Serialize,
    now: DateTime<Utc>,
) {
    let data = match serde_json::to_value(data) {
        Ok(Value::Object(fields)) => Some(fields),
        _ => None,
    };
    let subscribed: Vec<(String, String, String)> = Store::owned(&store.webhooks, owner)
        .filter(|w| w.active && w.events.contains(&event_type))
        .map(|w| (w.id.clone(), w.url.clone(), w.secret.clone()))
        .collect();
    for (webhook_id, url, secret) in subscribed {
        let payload = WebhookPayload {
            id: Some(ids::event_id()),
            type_: Some(event_type),
            owner_id: Some(owner_id(owner)),
            timestamp: Some(now.into()),
            api_version: Some(API_VERSION.to_owned()),
            data: data.clone(),
        };
        let delivery_id = ids::delivery_id();
        store.outbox.push(Outgoing {
            delivery_id: delivery_id.clone(),
            webhook_id: webhook_id.clone(),
            url,
            secret,
            event_type: event_type.to_string(),
            // Serialized once: these exact bytes are signed and sent.
            body: serde_json::to_vec(&payload).unwrap_or_default(),
        });
        let seq = store.next_seq();
        store.deliveries.push(Delivery {
            id: delivery_id,
            webhook_id,
            seq,
            event_type,
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
            let body =
                serde_json::json!({"url": "https://h.example", "events": [kind.to_string()]});
            assert!(validator.is_valid(&body), "{kind} is not in the spec");
        }
        let body = serde_json::json!({"url": "https://h.example", "events": ["nope"]});
        assert!(!validator.is_valid(&body));
    }
}
