//! `/v1/domains*`: custom domains and their DNS verification. The sandbox cannot
//! look at real DNS: `POST /_sandbox/domains/{domain}` says the records are there.

use axum::http::StatusCode;

use super::{Answer, Call, find, find_mut, no_content};
use crate::events::emit;
use crate::ids;
use crate::problem::Problem;
use crate::rules::DOMAIN_TOKEN_SECS;
use crate::shapes::{
    DomainData, DomainDataStatus, DomainVerifyData, RegisterDomainRequest, WebhookEventType,
};
use crate::store::{Domain, Store};

pub(crate) fn register(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: RegisterDomainRequest = call.body()?;
    if store.domains.contains_key(&req.domain) {
        return Err(Problem::conflict(
            "domain_exists",
            format!("`{}` is already registered", req.domain),
        ));
    }
    let domain = Domain {
        name: req.domain.clone(),
        owner: call.owner.to_owned(),
        seq: store.next_seq(),
        status: DomainDataStatus::PendingVerification,
        token: ids::domain_token(),
        token_expires_at: call.now + chrono::Duration::seconds(DOMAIN_TOKEN_SECS),
        created_at: call.now,
        verified_at: None,
        dns_ready: false,
    };
    let data = DomainData::of(&domain);
    store.domains.insert(req.domain, domain);
    super::done(call.reply(StatusCode::CREATED, data), 1)
}

pub(crate) fn list(store: &mut Store, call: &Call<'_>) -> Answer {
    call.list_owned(&store.domains, DomainData::of)
}

pub(crate) fn get(store: &mut Store, call: &Call<'_>) -> Answer {
    call.show_owned(&store.domains, "domain", DomainData::of)
}

pub(crate) fn delete(store: &mut Store, call: &Call<'_>) -> Answer {
    let d = find(&store.domains, call.owner, call.path("domain"))?;
    let data = DomainData::of(d);
    let name = d.name.clone();
    store.domains.remove(&name);
    emit(
        store,
        call.owner,
        WebhookEventType::DomainDeleted,
        &data,
        call.now,
    );
    no_content()
}

/// Passes when the admin endpoint marked the records as published; 422 once the
/// verification token has expired.
pub(crate) fn verify(store: &mut Store, call: &Call<'_>) -> Answer {
    let d = find_mut(&mut store.domains, call.owner, call.path("domain"))?;
    if d.status != DomainDataStatus::Active {
        if d.token_expires_at <= call.now {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "verification_token_expired",
                "The verification token expired; regenerate it first",
            ));
        }
        // Verification, certificate and activation are instant here.
        d.status = if d.dns_ready {
            DomainDataStatus::Active
        } else {
            DomainDataStatus::Failed
        };
        d.verified_at = d.dns_ready.then_some(call.now);
    }
    let (event, data) = (
        if d.dns_ready {
            WebhookEventType::DomainVerified
        } else {
            WebhookEventType::DomainFailed
        },
        DomainData::of(d),
    );
    let view = DomainVerifyData::of(d);
    emit(store, call.owner, event, &data, call.now);
    call.ok(view)
}

pub(crate) fn regenerate_token(store: &mut Store, call: &Call<'_>) -> Answer {
    let d = find_mut(&mut store.domains, call.owner, call.path("domain"))?;
    if !matches!(
        d.status,
        DomainDataStatus::PendingVerification | DomainDataStatus::Failed
    ) {
        return Err(Problem::conflict(
            "domain_verified",
            "Only a pending or failed domain gets a new token",
        ));
    }
    d.token = ids::domain_token();
    d.token_expires_at = call.now + chrono::Duration::seconds(DOMAIN_TOKEN_SECS);
    d.status = DomainDataStatus::PendingVerification;
    call.ok(DomainData::of(d))
}
