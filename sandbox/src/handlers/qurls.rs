//! `/v1/qurls*`: resources seen through their links (the batch is in `batch.rs`).

use super::minting::{TokenTerms, active_resources, mint, new_expiry, new_resource};
use super::{Answer, Call, SortKey, done, no_content};
use crate::events::emit;
use crate::problem::Problem;
use crate::reply::Reply;
use crate::rules::{self, MAX_ACTIVE_QURLS, parse_time};
use crate::shapes::{
    CreateQurlData, CreateQurlRequest, MintLinkData, MintLinkRequest, QurlData, UpdateQurlRequest,
    WebhookEventType,
};
use crate::store::{Resource, Store, Token};
use axum::http::StatusCode;

/// Finds or creates the caller's resource for the URL and mints a token on it.
/// Every check runs before the first change.
pub(crate) fn create_one(
    store: &mut Store,
    call: &Call<'_>,
    req: &CreateQurlRequest,
) -> Result<(String, String), Problem> {
    // The rules table made `target_url` present and `type` "url".
    let url = req.target_url.as_deref().unwrap_or_default();
    let existing = Store::owned(&store.resources, call.owner)
        .find(|r| !r.revoked && r.target_url == url)
        .map(|r| (r.id.clone(), r.kind.clone()));
    let rid = match existing {
        Some((_, kind)) if kind != "url" => {
            return Err(Problem::conflict(
                "resource_type_conflict",
                format!("An active resource of type `{kind}` already has this target_url"),
            ));
        }
        Some(_) if req.custom_domain.is_some() => {
            return Err(Problem::field(
                "validation_error",
                "custom_domain",
                "is only accepted when a new resource is created",
            ));
        }
        Some((rid, _)) => rid,
        None => {
            if active_resources(store, call.owner) >= MAX_ACTIVE_QURLS {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "quota_exceeded",
                    format!("The plan allows {MAX_ACTIVE_QURLS} active qURLs"),
                ));
            }
            if let Some(domain) = &req.custom_domain {
                rules::check_custom_domain(store, call.owner, domain)?;
            }
            let rid = new_resource(store, call.owner, "url", url, call.now);
            if let Some(r) = store.resources.get_mut(&rid) {
                r.custom_domain = req.custom_domain.clone();
            }
            rid
        }
    };
    let tid = mint(store, &rid, &TokenTerms::from(req), call.now)?;
    if let Some(r) = store.resources.get(&rid) {
        emit(
            store,
            call.owner,
            WebhookEventType::QurlCreated,
            &QurlData::of(store, r, false, call.now),
            call.now,
        );
    }
    Ok((rid, tid))
}

pub(crate) fn pair<'s>(
    store: &'s Store,
    rid: &str,
    tid: &str,
) -> Option<(&'s Resource, &'s Token)> {
    Some((store.resources.get(rid)?, store.tokens.get(tid)?))
}

pub(crate) fn create(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: CreateQurlRequest = call.body()?;
    let (rid, tid) = create_one(store, call, &req)?;
    let (r, t) = pair(store, &rid, &tid).ok_or_else(vanished)?;
    call.created(
        CreateQurlData::of(r, t),
        &call.url(&format!("/v1/qurls/{rid}")),
        1,
    )
}

fn vanished() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "A record vanished",
    )
}

/// Filters and order of `GET /v1/qurls`.
struct ListQuery {
    statuses: Vec<String>,
    by_expiry: bool,
    ascending: bool,
}

impl ListQuery {
    fn parse(call: &Call<'_>) -> Result<Self, Problem> {
        // The spec's pattern has been checked: `active`, `revoked`, or both.
        let statuses: Vec<String> = call
            .query("status")
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        // The spec's enum has been checked: `field` or `field:direction`.
        let sort = call.query("sort").unwrap_or("created_at:desc");
        let (field, direction) = sort.split_once(':').unwrap_or((sort, "desc"));
        Ok(ListQuery {
            statuses,
            by_expiry: field == "expires_at",
            ascending: direction == "asc",
        })
    }

    fn keeps(&self, call: &Call<'_>, r: &Resource) -> bool {
        let time = |name: &str| call.query(name).and_then(parse_time);
        let status = if r.revoked { "revoked" } else { "active" };
        let text = call.query("q").map(str::to_lowercase);
        (self.statuses.is_empty() || self.statuses.iter().any(|s| s == status))
            && time("created_after").is_none_or(|t| r.created_at > t)
            && time("created_before").is_none_or(|t| r.created_at < t)
            && time("expires_after").is_none_or(|t| r.expires_at > t)
            && time("expires_before").is_none_or(|t| r.expires_at < t)
            && text.is_none_or(|q| {
                r.target_url.to_lowercase().contains(&q)
                    || r.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&q))
            })
    }

    fn key(&self, r: &Resource) -> SortKey {
        let t = if self.by_expiry {
            r.expires_at
        } else {
            r.created_at
        };
        (t.timestamp(), r.seq)
    }
}

pub(crate) fn list(store: &mut Store, call: &Call<'_>) -> Answer {
    let q = ListQuery::parse(call)?;
    let rows: Vec<(SortKey, QurlData)> = Store::owned(&store.resources, call.owner)
        .filter(|r| q.keeps(call, r))
        .map(|r| (q.key(r), QurlData::of(store, r, false, call.now)))
        .collect();
    // The cursor belongs to the filters and the order it was made with.
    let scope = format!(
        "{:?}",
        call.input
            .query
            .iter()
            .filter(|(k, _)| *k != "cursor" && *k != "limit")
            .collect::<Vec<_>>()
    );
    let page = call.page(rows, q.ascending, &scope)?;
    done(Reply::page(page, call.request_id).cached(call.headers), 0)
}

/// The caller's resource for an `r_` or `q_` id.
fn resource<'s>(store: &'s Store, call: &Call<'_>) -> Result<&'s Resource, Problem> {
    let id = call.path("id");
    store
        .resource_of(call.owner, id)
        .ok_or_else(|| Problem::not_found(format!("No qURL with id `{id}`")))
}

pub(crate) fn get(store: &mut Store, call: &Call<'_>) -> Answer {
    let r = resource(store, call)?;
    call.ok_cached(QurlData::of(store, r, true, call.now))
}

/// [`resource`], refusing a revoked one with 400 `revoked`.
fn unrevoked<'s>(store: &'s Store, call: &Call<'_>) -> Result<&'s Resource, Problem> {
    let r = resource(store, call)?;
    if r.revoked { Err(revoked()) } else { Ok(r) }
}

pub(crate) fn revoked() -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "revoked",
        "The qURL is revoked and cannot be changed",
    )
}

pub(crate) fn update(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: UpdateQurlRequest = call.body()?;
    let r = unrevoked(store, call)?;
    let rid = r.id.clone();
    let expiry = new_expiry(
        req.extend_by.as_deref(),
        req.expires_at.as_deref(),
        r.expires_at,
    );
    let token_ids = r.token_ids.clone();
    if let Some(r) = store.resources.get_mut(&rid) {
        if let Some(at) = expiry {
            r.expires_at = at;
        }
        if let Some(tags) = &req.tags {
            r.tags = rules::normalise_tags(tags);
        }
        if let Some(d) = &req.description {
            r.description = (!d.is_empty()).then(|| d.clone());
        }
    }
    // A resource's expiry is its tokens': moving one moves the other.
    for id in &token_ids {
        if let (Some(t), Some(at)) = (store.tokens.get_mut(id), expiry)
            && !t.revoked
        {
            t.expires_at = at;
        }
    }
    let r = store.resources.get(&rid).ok_or_else(vanished)?;
    let view = QurlData::of(store, r, true, call.now);
    emit(
        store,
        call.owner,
        WebhookEventType::QurlUpdated,
        &QurlData::of(store, r, false, call.now),
        call.now,
    );
    call.ok(view)
}

pub(crate) fn delete(store: &mut Store, call: &Call<'_>) -> Answer {
    // The spec's pattern has made sure `id` is a resource id.
    let r = resource(store, call)?;
    let (rid, was_revoked) = (r.id.clone(), r.revoked);
    store.revoke_resource(&rid);
    if !was_revoked && let Some(r) = store.resources.get(&rid) {
        emit(
            store,
            call.owner,
            WebhookEventType::QurlRevoked,
            &QurlData::of(store, r, false, call.now),
            call.now,
        );
    }
    no_content()
}

pub(crate) fn mint_link(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: MintLinkRequest = call.body()?;
    let rid = unrevoked(store, call)?.id.clone();
    let tid = mint(store, &rid, &req.into(), call.now)?;
    let (r, t) = pair(store, &rid, &tid).ok_or_else(vanished)?;
    call.created(MintLinkData::of(r, t), &t.link(), 1)
}
