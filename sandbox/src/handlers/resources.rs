//! `/v1/resources*`: resources, their tokens and their sessions.

use axum::http::StatusCode;

use super::minting::{mint, new_expiry, new_resource, session_secs};
use super::qurls::revoked;
use super::{Answer, Call, by_seq, no_content};
use crate::events::emit;
use crate::problem::Problem;
use crate::rules;
use crate::shapes::{
    CreateQurlData, CreateQurlForResourceRequest, CreateResourceRequest, QurlSummary,
    QurlSummaryStatus, ResourceData, ResourceDetailData, SessionData, SessionTerminateResponseData,
    TombstoneInfo, UpdateQurlTokenRequest, UpdateResourceRequest, WebhookEventType,
};
use crate::store::{Resource, Store, Token};

pub(crate) fn list(store: &mut Store, call: &Call<'_>) -> Answer {
    let statuses: Vec<&str> = call
        .query("status")
        .map(|s| s.split(',').collect())
        .unwrap_or_default();
    let rows = Store::owned(&store.resources, call.owner)
        .filter(|r| r.kind != "transit")
        .filter(|r| {
            call.query("alias")
                .is_none_or(|a| r.alias.as_deref() == Some(a))
        })
        .filter(|r| {
            call.query("slug")
                .is_none_or(|s| r.slug.as_deref() == Some(s) && r.kind == "tunnel" && !r.revoked)
        })
        .filter(|r| call.query("type").is_none_or(|t| r.kind == t))
        .filter(|r| {
            statuses.is_empty() || statuses.contains(&if r.revoked { "revoked" } else { "active" })
        })
        .map(|r| (by_seq(r.seq), ResourceData::of(r)))
        .collect();
    let scope: Vec<String> = ["alias", "slug", "status", "type"]
        .iter()
        .map(|k| call.query(k).unwrap_or_default().to_owned())
        .collect();
    call.list(rows, &scope.join(","))
}

/// 410 with `meta.tombstone` for a deleted resource.
fn gone(r: &Resource) -> Problem {
    let mut p = Problem::new(
        StatusCode::GONE,
        "resource_tombstoned",
        "The resource was deleted",
    );
    p.tombstone = r.tombstoned_at.map(|t| {
        Box::new(TombstoneInfo {
            tombstoned_at: t.into(),
            final_access_count: Some(0),
        })
    });
    p
}

/// An existing resource the create answers with instead (201 either way).
fn existing(
    store: &Store,
    call: &Call<'_>,
    req: &CreateResourceRequest,
    kind: &str,
) -> Result<Option<String>, Problem> {
    let mine = || Store::owned(&store.resources, call.owner);
    if kind == "tunnel" {
        let slug = req.slug.as_deref().unwrap_or_default();
        return match mine().find(|r| r.slug.as_deref() == Some(slug)) {
            Some(r) if r.tombstoned_at.is_some() => Err(gone(r)),
            Some(r) if !req.find_or_create => Err(Problem::conflict(
                "slug_in_use",
                format!("The slug `{}` is taken by {}", slug, r.id),
            )),
            Some(r) if r.revoked => Err(Problem::conflict(
                "resource_revoked",
                "The resource with this slug is revoked",
            )),
            Some(r) => Ok(Some(r.id.clone())),
            None => Ok(None),
        };
    }
    let url = req.target_url.as_deref().unwrap_or_default();
    match mine().find(|r| !r.revoked && r.target_url == url) {
        Some(r) if r.kind != kind => Err(Problem::conflict(
            "resource_type_conflict",
            format!(
                "An active resource of type `{}` has this target_url",
                r.kind
            ),
        )),
        Some(r) => Ok(Some(r.id.clone())),
        None => Ok(None),
    }
}

pub(crate) fn create(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: CreateResourceRequest = call.body()?;
    let kind = req
        .type_
        .map_or_else(|| "url".to_owned(), |t| t.to_string());
    if let Some(rid) = existing(store, call, &req, &kind)? {
        let r = store
            .resources
            .get(&rid)
            .ok_or_else(|| Problem::not_found("No such resource"))?;
        return call.found(
            ResourceData::of(r),
            &call.url(&format!("/v1/resources/{rid}")),
        );
    }
    if let Some(alias) = &req.alias {
        rules::check_alias_free(store, call.owner, alias, None)?;
    }
    if let Some(domain) = &req.custom_domain {
        rules::check_custom_domain(store, call.owner, domain)?;
    }
    let rid = new_resource(
        store,
        call.owner,
        &kind,
        req.target_url.as_deref().unwrap_or_default(),
        call.now,
    );
    let r = store
        .resources
        .get_mut(&rid)
        .ok_or_else(|| Problem::not_found("No such resource"))?;
    r.description = req.description;
    r.tags = rules::normalise_tags(&req.tags.unwrap_or_default());
    r.custom_domain = req.custom_domain;
    r.alias = req.alias;
    r.slug = req.slug;
    call.created(
        ResourceData::of(r),
        &call.url(&format!("/v1/qurls/{rid}")),
        1,
    )
}

/// The caller's resource by id (404), refusing deleted ones (410).
fn live<'s>(store: &'s Store, call: &Call<'_>) -> Result<&'s Resource, Problem> {
    let r = super::find(&store.resources, call.owner, call.path("id"))?;
    match r.tombstoned_at {
        Some(_) => Err(gone(r)),
        None => Ok(r),
    }
}

pub(crate) fn get(store: &mut Store, call: &Call<'_>) -> Answer {
    let r = live(store, call)?;
    call.ok(ResourceDetailData::of(store, r, call.now))
}

pub(crate) fn update(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: UpdateResourceRequest = call.body()?;
    let r = live(store, call)?;
    if r.revoked {
        return Err(Problem::conflict(
            "resource_revoked",
            "The resource is revoked",
        ));
    }
    let rid = r.id.clone();
    // `alias` has three states: absent (keep), null (remove), a string (set).
    let alias = call.field("alias").map(|v| v.as_str().map(str::to_owned));
    if let Some(Some(a)) = &alias {
        rules::check_alias_free(store, call.owner, a, Some(&rid))?;
    }
    if let Some(d) = req.custom_domain.as_deref().filter(|d| !d.is_empty()) {
        rules::check_custom_domain(store, call.owner, d)?;
    }
    let r = store
        .owned_resource_mut(call.owner, &rid)
        .ok_or_else(|| Problem::not_found("No such resource"))?;
    if let Some(alias) = alias {
        r.alias = alias;
    }
    if let Some(d) = req.custom_domain {
        r.custom_domain = (!d.is_empty()).then_some(d);
    }
    if let Some(d) = req.description {
        r.description = (!d.is_empty()).then_some(d);
    }
    if let Some(tags) = req.tags {
        r.tags = rules::normalise_tags(&tags);
    }
    if let Some(p) = req.preserve_host {
        r.preserve_host = p;
    }
    call.ok(ResourceData::of(r))
}

pub(crate) fn delete(store: &mut Store, call: &Call<'_>) -> Answer {
    let r = super::find(&store.resources, call.owner, call.path("id"))?;
    if r.tombstoned_at.is_some() {
        return no_content();
    }
    let rid = r.id.clone();
    store.revoke_resource(&rid);
    if let Some(r) = store.resources.get_mut(&rid) {
        r.tombstoned_at = Some(call.now);
        let data = ResourceData::of(r);
        emit(
            store,
            call.owner,
            WebhookEventType::ResourceClosed,
            &data,
            call.now,
        );
    }
    no_content()
}

/// The documented order: 404 `resource_not_found`, 403 `access_denied`, 410, 400 `revoked`.
pub(crate) fn create_qurl(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: CreateQurlForResourceRequest = call.body()?;
    let id = call.path("id");
    let r = store.resources.get(id).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            format!("No resource `{id}`"),
        )
    })?;
    if r.owner != call.owner {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "The resource belongs to another account",
        ));
    }
    if r.tombstoned_at.is_some() {
        return Err(gone(r));
    }
    if r.revoked {
        return Err(revoked());
    }
    let rid = r.id.clone();
    let tid = mint(store, &rid, &req.into(), call.now)?;
    let (r, t) = token_of(store, &rid, &tid)?;
    call.created(
        CreateQurlData::of(r, t),
        &call.url(&format!("/v1/qurls/{rid}")),
        1,
    )
}

fn token_of<'s>(
    store: &'s Store,
    rid: &str,
    tid: &str,
) -> Result<(&'s Resource, &'s Token), Problem> {
    let r = store.resources.get(rid);
    let t = store.tokens.get(tid).filter(|t| t.resource_id == rid);
    r.zip(t)
        .ok_or_else(|| Problem::not_found(format!("No qURL `{tid}` on resource `{rid}`")))
}

/// The caller's resource and one of its tokens that is still active (409 otherwise).
fn active_token(store: &Store, call: &Call<'_>) -> Result<(String, String), Problem> {
    let r = super::find(&store.resources, call.owner, call.path("id"))?;
    let (_, t) = token_of(store, &r.id, call.path("qurl_id"))?;
    if t.status(call.now) != QurlSummaryStatus::Active {
        return Err(Problem::conflict(
            "revoked",
            format!("The qURL is {}", t.status(call.now)),
        ));
    }
    Ok((r.id.clone(), t.id.clone()))
}

pub(crate) fn revoke_qurl(store: &mut Store, call: &Call<'_>) -> Answer {
    let (_, tid) = active_token(store, call)?;
    store.sessions.retain(|_, s| s.token_id != tid);
    if let Some(t) = store.tokens.get_mut(&tid) {
        t.revoked = true;
        let data = QurlSummary::of(t, call.now);
        emit(
            store,
            call.owner,
            WebhookEventType::QurlRevoked,
            &data,
            call.now,
        );
    }
    no_content()
}

pub(crate) fn update_qurl(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: UpdateQurlTokenRequest = call.body()?;
    let (rid, tid) = active_token(store, call)?;
    let cap = store
        .resources
        .get(&rid)
        .and_then(|r| r.session_duration_cap);
    let session = session_secs(req.session_duration.as_deref());
    rules::check_session_cap(session, cap)?;
    let t = store
        .tokens
        .get_mut(&tid)
        .ok_or_else(|| Problem::not_found("No such qURL"))?;
    let expiry = new_expiry(
        req.extend_by.as_deref(),
        req.expires_at.as_deref(),
        t.expires_at,
    );
    if let Some(at) = expiry {
        t.expires_at = at;
    }
    if req.label.is_some() {
        t.label = req.label;
    }
    if req.access_policy.is_some() {
        t.access_policy = req.access_policy;
    }
    if let Some(n) = req.max_sessions {
        t.max_sessions = n;
    }
    if req.session_duration.is_some() {
        t.session_duration = session.or(cap); // "" applies the cap
    }
    let view = QurlSummary::of(t, call.now);
    let expiry = t.expires_at;
    if let Some(r) = store.resources.get_mut(&rid) {
        r.expires_at = r.expires_at.max(expiry);
    }
    call.ok(view)
}

/// The caller's resource id, for the session operations.
fn sessions_of(store: &Store, call: &Call<'_>) -> Result<String, Problem> {
    Ok(super::find(&store.resources, call.owner, call.path("id"))?
        .id
        .clone())
}

pub(crate) fn sessions(store: &mut Store, call: &Call<'_>) -> Answer {
    let rid = sessions_of(store, call)?;
    let list: Vec<SessionData> = store
        .sessions
        .values()
        .filter(|s| s.resource_id == rid)
        .map(SessionData::of)
        .collect();
    call.ok(list)
}

pub(crate) fn end_sessions(store: &mut Store, call: &Call<'_>) -> Answer {
    let rid = sessions_of(store, call)?;
    let before = store.sessions.len();
    store.sessions.retain(|_, s| s.resource_id != rid);
    let ended = before - store.sessions.len();
    call.ok(SessionTerminateResponseData {
        terminated: Some(i64::try_from(ended).unwrap_or(i64::MAX)),
    })
}

pub(crate) fn end_session(store: &mut Store, call: &Call<'_>) -> Answer {
    let rid = sessions_of(store, call)?;
    let sid = call.path("session_id");
    match store.sessions.get(sid) {
        Some(s) if s.resource_id == rid => {
            store.sessions.remove(sid);
            no_content()
        }
        _ => Err(Problem::not_found(format!(
            "No session `{sid}` on resource `{rid}`"
        ))),
    }
}
