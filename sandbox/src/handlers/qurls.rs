//! `/v1/qurls*`: resources seen through their links, and the token minting every
//! create path shares.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Answer, Call, SortKey, done, no_content};
use crate::events::emit;
use crate::ids;
use crate::problem::Problem;
use crate::reply::Reply;
use crate::rules::{self, DEFAULT_EXPIRY_SECS, MAX_ACTIVE_QURLS, parse_duration, parse_time, secs};
use crate::store::{LINK_HOST, Resource, Store, Token, unique};
use crate::views::{BatchData, BatchItem, CreateQurlData, MintLinkData, QurlData, QurlSummary};

/// The token fields shared by `CreateQurlRequest`, `MintLinkRequest`,
/// `CreateQurlForResourceRequest` and `UpdateQurlTokenRequest`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TokenRequest {
    pub expires_in: Option<String>,
    pub expires_at: Option<String>,
    pub extend_by: Option<String>,
    pub label: Option<String>,
    pub one_time_use: Option<bool>,
    pub max_sessions: Option<i64>,
    pub session_duration: Option<String>,
    pub access_policy: Option<Value>,
}

impl TokenRequest {
    /// `expires_at`, else now + `expires_in` (default 24 h). The rules table has
    /// already checked both.
    fn expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let given = self.expires_at.as_deref().and_then(parse_time);
        let lifetime = self
            .expires_in
            .as_deref()
            .and_then(|s| parse_duration(s, "mhdw"))
            .unwrap_or(DEFAULT_EXPIRY_SECS);
        given.unwrap_or(now + secs(lifetime))
    }

    /// A new expiry from `extend_by` (added to `current`) or `expires_at`.
    pub(crate) fn new_expiry(&self, current: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let extended = self
            .extend_by
            .as_deref()
            .and_then(|s| parse_duration(s, "mhdw"))
            .map(|d| current + secs(d));
        extended.or_else(|| self.expires_at.as_deref().and_then(parse_time))
    }

    /// Seconds; `""` (the cap) and absence are both `None`.
    pub(crate) fn session_secs(&self) -> Option<u64> {
        self.session_duration
            .as_deref()
            .and_then(|s| parse_duration(s, "smhd"))
    }
}

/// `CreateQurlRequest`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CreateQurlRequest {
    target_url: Option<String>,
    custom_domain: Option<String>,
    #[serde(flatten)]
    token: TokenRequest,
}

/// Adds a token to resource `rid` and returns its id. Checks the session cap before
/// changing anything; the first token fixes the cap.
pub(crate) fn mint(
    store: &mut Store,
    rid: &str,
    req: &TokenRequest,
    now: DateTime<Utc>,
) -> Result<String, Problem> {
    let r = store
        .resources
        .get(rid)
        .ok_or_else(|| Problem::not_found("No such resource"))?;
    let session = req.session_secs();
    rules::check_session_cap(session, r.session_duration_cap)?;
    let (owner, first, cap) = (
        r.owner.clone(),
        r.token_ids.is_empty(),
        r.session_duration_cap,
    );
    let link_host = r
        .custom_domain
        .clone()
        .unwrap_or_else(|| LINK_HOST.to_owned());
    let id = unique(&store.tokens, ids::qurl_id);
    let token = Token {
        id: id.clone(),
        resource_id: rid.to_owned(),
        secret: ids::access_token(),
        label: req.label.clone(),
        revoked: false,
        one_time_use: req.one_time_use.unwrap_or(false),
        max_sessions: req.max_sessions.unwrap_or(0),
        session_duration: session.or(cap),
        use_count: 0,
        created_at: now,
        expires_at: req.expiry(now),
        access_policy: req.access_policy.clone(),
        link_host,
    };
    if let Some(r) = store.resources.get_mut(rid) {
        r.token_ids.push(id.clone());
        r.expires_at = r.expires_at.max(token.expires_at);
        if first {
            r.session_duration_cap = session;
        }
    }
    emit(
        store,
        &owner,
        "token.minted",
        &QurlSummary::of(&token, now),
        now,
    );
    store.tokens.insert(id.clone(), token);
    Ok(id)
}

/// A new resource row with defaults; the caller fills in what its request says.
pub(crate) fn new_resource(
    store: &mut Store,
    owner: &str,
    kind: &str,
    target_url: &str,
    now: DateTime<Utc>,
) -> String {
    let id = unique(&store.resources, ids::resource_id);
    let seq = store.next_seq();
    store.resources.insert(
        id.clone(),
        Resource {
            id: id.clone(),
            owner: owner.to_owned(),
            seq,
            kind: kind.to_owned(),
            target_url: target_url.to_owned(),
            revoked: false,
            tombstoned_at: None,
            created_at: now,
            expires_at: now,
            description: None,
            tags: Vec::new(),
            custom_domain: None,
            alias: None,
            slug: None,
            preserve_host: false,
            session_duration_cap: None,
            token_ids: Vec::new(),
        },
    );
    id
}

pub(crate) fn active_resources(store: &Store, owner: &str) -> usize {
    Store::owned(&store.resources, owner)
        .filter(|r| !r.revoked)
        .count()
}

/// Finds or creates the caller's resource for the URL and mints a token on it.
/// Every check runs before the first change.
fn create_one(
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
    let tid = mint(store, &rid, &req.token, call.now)?;
    if let Some(r) = store.resources.get(&rid) {
        emit(
            store,
            call.owner,
            "qurl.created",
            &QurlData::of(store, r, false, call.now),
            call.now,
        );
    }
    Ok((rid, tid))
}

fn pair<'s>(store: &'s Store, rid: &str, tid: &str) -> Option<(&'s Resource, &'s Token)> {
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

#[derive(Deserialize)]
struct BatchRequest {
    items: Vec<CreateQurlRequest>,
}

/// The per-item code of every failure but a type conflict.
const CREATION_FAILED: &str = "creation_failed";

/// Validation is all-or-nothing (one invalid item rejects the batch, the others are
/// reported as skipped); creation is per item. 201 all, 207 some, 400 none.
pub(crate) fn batch(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: BatchRequest = call.body()?;
    let raw = call
        .field("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let invalid: Vec<Option<String>> = raw
        .iter()
        .map(|item| {
            let obj = item.as_object().cloned().unwrap_or_default();
            let (_, fields) = rules::check_object("createQurl", &obj, "", call.now);
            let messages: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            (!messages.is_empty()).then(|| messages.join("; "))
        })
        .collect();
    if invalid.iter().any(Option::is_some) {
        let results = invalid
            .into_iter()
            .enumerate()
            .map(|(i, m)| match m {
                Some(m) => BatchItem::failed(i, CREATION_FAILED, m),
                None => BatchItem::failed(
                    i,
                    CREATION_FAILED,
                    "skipped: another item in the batch failed validation".into(),
                ),
            })
            .collect();
        return Ok(crate::app::Outcome::Rejected(batch_reply(
            results,
            call.request_id,
        )));
    }
    let mut results = Vec::new();
    for (i, item) in req.items.iter().enumerate() {
        results.push(match create_one(store, call, item) {
            Ok((rid, tid)) => match pair(store, &rid, &tid) {
                Some((r, t)) => BatchItem::created(i, r, t),
                None => BatchItem::failed(i, CREATION_FAILED, "A record vanished".into()),
            },
            // Per-item codes are the documented two.
            Err(p) if p.code == "resource_type_conflict" => BatchItem::failed(i, &p.code, p.detail),
            Err(p) => BatchItem::failed(i, CREATION_FAILED, p.detail),
        });
    }
    let created = results.iter().filter(|r| r.succeeded()).count() as u64;
    let reply = batch_reply(results, call.request_id);
    if created == 0 {
        return Ok(crate::app::Outcome::Rejected(reply));
    }
    done(reply, created)
}

fn batch_reply(results: Vec<BatchItem>, request_id: &str) -> Reply {
    let succeeded = results.iter().filter(|r| r.succeeded()).count();
    let failed = results.len() - succeeded;
    let status = match (succeeded, failed) {
        (_, 0) => StatusCode::CREATED,
        (0, _) => StatusCode::BAD_REQUEST,
        _ => StatusCode::MULTI_STATUS,
    };
    Reply::data(
        status,
        BatchData {
            succeeded,
            failed,
            results,
        },
        request_id,
    )
}

/// The batch's 400 is batch-shaped, also when the batch itself was refused: each
/// field error under `items[N]` fails item N.
pub(crate) fn batch_rejection(p: Problem, request_id: &str) -> Reply {
    let mut results: Vec<BatchItem> = Vec::new();
    let fields = p.invalid_fields.unwrap_or_default();
    for (field, message) in &fields {
        let index = field
            .strip_prefix("items[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(index) = index {
            results.push(BatchItem::failed(
                index,
                CREATION_FAILED,
                format!("{field}: {message}"),
            ));
        }
    }
    if results.is_empty() {
        let detail = fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        results.push(BatchItem::failed(
            0,
            &p.code,
            if detail.is_empty() { p.detail } else { detail },
        ));
    }
    let failed = results.len();
    Reply::data(
        StatusCode::BAD_REQUEST,
        BatchData {
            succeeded: 0,
            failed,
            results,
        },
        request_id,
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
        let statuses: Vec<String> = call
            .query("status")
            .map(|s| s.split(',').map(|v| v.trim().to_owned()).collect())
            .unwrap_or_default();
        if statuses.iter().any(|s| s != "active" && s != "revoked") {
            return Err(Problem::field(
                "invalid_filter",
                "status",
                "must be active, revoked, or both comma-separated",
            ));
        }
        let (field, direction) = call
            .query("sort")
            .map_or(Some(("created_at", "desc")), |s| s.split_once(':'))
            .ok_or_else(bad_sort)?;
        if !matches!(field, "created_at" | "expires_at") || !matches!(direction, "asc" | "desc") {
            return Err(bad_sort());
        }
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

fn bad_sort() -> Problem {
    Problem::field(
        "invalid_request",
        "sort",
        "must be created_at or expires_at, then :asc or :desc",
    )
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

#[derive(Default, Deserialize)]
#[serde(default)]
struct UpdateQurlRequest {
    #[serde(flatten)]
    token: TokenRequest,
    tags: Option<Vec<String>>,
    description: Option<String>,
}

pub(crate) fn update(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: UpdateQurlRequest = call.body()?;
    let r = unrevoked(store, call)?;
    let rid = r.id.clone();
    let expiry = req.token.new_expiry(r.expires_at);
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
        "qurl.updated",
        &QurlData::of(store, r, false, call.now),
        call.now,
    );
    call.ok(view)
}

pub(crate) fn delete(store: &mut Store, call: &Call<'_>) -> Answer {
    let id = call.path("id");
    if store.tokens.contains_key(id) {
        return Err(Problem::field(
            "invalid_request",
            "id",
            "must be a resource id (r_...); revoke single tokens through /v1/resources/{id}/qurls/{qurl_id}",
        ));
    }
    let r = resource(store, call)?;
    let (rid, was_revoked) = (r.id.clone(), r.revoked);
    store.revoke_resource(&rid);
    if !was_revoked && let Some(r) = store.resources.get(&rid) {
        emit(
            store,
            call.owner,
            "qurl.revoked",
            &QurlData::of(store, r, false, call.now),
            call.now,
        );
    }
    no_content()
}

pub(crate) fn mint_link(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: TokenRequest = call.body()?;
    let rid = unrevoked(store, call)?.id.clone();
    let tid = mint(store, &rid, &req, call.now)?;
    let (r, t) = pair(store, &rid, &tid).ok_or_else(vanished)?;
    call.created(MintLinkData::of(r, t), &t.link(), 1)
}
