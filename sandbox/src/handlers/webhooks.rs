//! `/v1/webhooks*`: subscriptions, secret rotation, the event catalogue and the
//! deliveries recorded by `events::emit`.

use super::{Answer, Call, by_seq, find, find_mut, no_content};
use crate::events;
use crate::ids;
use crate::shapes::{
    CreateWebhookRequest, UpdateWebhookRequest, UpdateWebhookRequestStatus, WebhookData,
    WebhookDataWithSecret, WebhookDeliveryData, WebhookEventType,
};
use crate::store::{Store, Webhook, unique};

fn distinct(events: Vec<WebhookEventType>) -> Vec<WebhookEventType> {
    let mut out: Vec<WebhookEventType> = Vec::new();
    for e in events {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

pub(crate) fn create(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: CreateWebhookRequest = call.body()?;
    let id = unique(&store.webhooks, ids::webhook_id);
    let webhook = Webhook {
        id: id.clone(),
        owner: call.owner.to_owned(),
        seq: store.next_seq(),
        url: req.url,
        events: distinct(req.events),
        active: true,
        description: req.description,
        secret: ids::webhook_secret(),
        created_at: call.now,
        updated_at: call.now,
    };
    let data = WebhookDataWithSecret::of(&webhook, &store.deliveries);
    store.webhooks.insert(id.clone(), webhook);
    call.created(data, &call.url(&format!("/v1/webhooks/{id}")), 1)
}

pub(crate) fn list(store: &mut Store, call: &Call<'_>) -> Answer {
    call.list_owned(&store.webhooks, |w| WebhookData::of(w, &store.deliveries))
}

pub(crate) fn get(store: &mut Store, call: &Call<'_>) -> Answer {
    call.show_owned(&store.webhooks, "id", |w| {
        WebhookData::of(w, &store.deliveries)
    })
}

pub(crate) fn update(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: UpdateWebhookRequest = call.body()?;
    let w = find_mut(&mut store.webhooks, call.owner, call.path("id"))?;
    if let Some(url) = req.url {
        w.url = url;
    }
    if let Some(events) = req.events {
        w.events = distinct(events);
    }
    if let Some(d) = req.description {
        w.description = (!d.is_empty()).then_some(d);
    }
    if let Some(status) = req.status {
        w.active = status == UpdateWebhookRequestStatus::Active;
    }
    w.updated_at = call.now;
    call.ok(WebhookData::of(w, &store.deliveries))
}

pub(crate) fn delete(store: &mut Store, call: &Call<'_>) -> Answer {
    let id = find(&store.webhooks, call.owner, call.path("id"))?
        .id
        .clone();
    store.webhooks.remove(&id);
    store.deliveries.retain(|d| d.webhook_id != id);
    no_content()
}

pub(crate) fn rotate_secret(store: &mut Store, call: &Call<'_>) -> Answer {
    let w = find_mut(&mut store.webhooks, call.owner, call.path("id"))?;
    w.secret = ids::webhook_secret();
    w.updated_at = call.now;
    call.ok(WebhookDataWithSecret::of(w, &store.deliveries))
}

pub(crate) fn deliveries(store: &mut Store, call: &Call<'_>) -> Answer {
    let id = find(&store.webhooks, call.owner, call.path("id"))?
        .id
        .clone();
    let rows = store
        .deliveries
        .iter()
        .filter(|d| d.webhook_id == id)
        .map(|d| (by_seq(d.seq), WebhookDeliveryData::of(d)))
        .collect();
    call.list(rows, &id)
}

pub(crate) fn event_types(_: &mut Store, call: &Call<'_>) -> Answer {
    call.ok(events::catalogue())
}
