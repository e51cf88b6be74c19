//! `/v1/qurls*` and `POST /v1/resources/{id}/qurls`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{Params, decode_cursor, encode_cursor, limit, params, path_param};
use crate::app::{App, Ctx, Outcome};
use crate::problem::{FieldErrors, Problem};
use crate::reply::{self, Page, Reply};
use crate::store::{MintSpec, Qurl, Resource, Store, rfc3339};
use crate::validate::{
    self, Fields, MAX_EXPIRY_SECS, MAX_SESSION_SECS, MIN_EXPIRY_SECS, Obj, check_access_policy,
    check_future_expiry, check_tags, check_target_url,
};

const DEFAULT_EXPIRY_SECS: u64 = 24 * 3600;
const PREVIEW_LIMIT: usize = 100;

// ---------- validation ----------

/// Token settings as requested, before `now` and the resource's cap are known.
#[derive(Clone, Debug)]
struct Draft {
    expires_in: u64,
    expires_at: Option<DateTime<Utc>>,
    label: Option<String>,
    one_time_use: bool,
    max_sessions: i64,
    session_duration: Option<u64>,
    access_policy: Option<Value>,
}

impl Draft {
    /// Reads the token fields shared by every mint endpoint.
    fn read(f: &mut Fields<'_>) -> Self {
        Draft {
            expires_in: f
                .duration("expires_in", "mhdw", MIN_EXPIRY_SECS, MAX_EXPIRY_SECS)
                .unwrap_or(DEFAULT_EXPIRY_SECS),
            expires_at: None,
            label: f.string("label", 500),
            one_time_use: f.boolean("one_time_use").unwrap_or(false),
            max_sessions: f.integer("max_sessions", 0, 1000).unwrap_or(0),
            session_duration: f.duration("session_duration", "smhd", 1, MAX_SESSION_SECS),
            access_policy: check_access_policy(f, "access_policy"),
        }
    }

    /// Applies the resource's session cap: above it is refused, absent inherits it.
    fn spec(&self, now: DateTime<Utc>, cap: Option<u64>) -> Result<MintSpec, Problem> {
        if let (Some(cap), Some(d)) = (cap, self.session_duration)
            && d > cap
        {
            let mut fields = FieldErrors::new();
            fields.insert(
                "session_duration".into(),
                format!("must not exceed the resource's session_duration_cap of {cap}s"),
            );
            return Err(Problem::fields(
                StatusCode::BAD_REQUEST,
                "invalid_session_duration",
                "session_duration exceeds the resource's cap",
                fields,
            ));
        }
        Ok(MintSpec {
            expires_at: self
                .expires_at
                .unwrap_or_else(|| now + Duration::seconds(self.expires_in as i64)),
            label: self.label.clone(),
            one_time_use: self.one_time_use,
            max_sessions: self.max_sessions,
            session_duration: self.session_duration.or(cap),
            access_policy: self.access_policy.clone(),
        })
    }
}

/// `CreateQurlRequest` -> (target_url, draft), or the per-field messages.
fn parse_create(obj: &Obj) -> Result<(String, Draft), FieldErrors> {
    let mut f = Fields::new(obj);
    if let Some(t) = f.string("type", 64)
        && t != "url"
    {
        f.fail("type", "must be \"url\"");
    }
    let target_url = f.string("target_url", 2048);
    match &target_url {
        Some(url) => {
            if let Err(msg) = check_target_url(url) {
                f.fail("target_url", msg);
            }
        }
        None => f.fail("target_url", "is required"),
    }
    let draft = Draft::read(&mut f);
    if f.string("custom_domain", 253).is_some() {
        f.fail(
            "custom_domain",
            "must be a registered, active domain of this account (the sandbox has none)",
        );
    }
    match (target_url, f.errors.is_empty()) {
        (Some(url), true) => Ok((url, draft)),
        _ => Err(f.errors),
    }
}

fn joined(fields: &FieldErrors) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `^(r_[a-z0-9_-]{11}|q_[0-9a-f]{11})$`
fn is_qurl_path_id(id: &str) -> bool {
    is_resource_id(id)
        || id.strip_prefix("q_").is_some_and(|rest| {
            rest.len() == 11
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// `^r_[a-z0-9_-]{11}$`
fn is_resource_id(id: &str) -> bool {
    id.strip_prefix("r_").is_some_and(|rest| {
        rest.len() == 11
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    })
}

fn bad_id() -> Problem {
    Problem::invalid_request(
        "id must be a resource id (r_ + 11 characters) or a qURL id (q_ + 11 hex digits)",
    )
}

// ---------- views ----------

fn token_status(q: &Qurl, now: DateTime<Utc>) -> &'static str {
    if q.revoked {
        "revoked"
    } else if q.expires_at <= now {
        "expired"
    } else {
        "active"
    }
}

fn summary(q: &Qurl, now: DateTime<Utc>) -> Value {
    let mut v = json!({
        "qurl_id": q.id,
        "status": token_status(q, now),
        "one_time_use": q.one_time_use,
        "max_sessions": q.max_sessions,
        "session_duration": q.session_duration.unwrap_or(0),
        "use_count": 0,
        "qurl_site": q.site(),
        "created_at": rfc3339(q.created_at),
        "expires_at": rfc3339(q.expires_at),
    });
    if let Some(label) = &q.label {
        v["label"] = json!(label);
    }
    if let Some(policy) = &q.access_policy {
        v["access_policy"] = policy.clone();
    }
    v
}

/// `QurlData`; the `qurls` preview only on single-object answers.
fn resource_view(store: &Store, r: &Resource, with_preview: bool, now: DateTime<Utc>) -> Value {
    let mut v = json!({
        "resource_id": r.id,
        "target_url": r.target_url,
        "status": if r.revoked { "revoked" } else { "active" },
        "created_at": rfc3339(r.created_at),
        "expires_at": rfc3339(r.expires_at),
        "tags": r.tags,
        "qurl_site": format!("https://{}.qurl.site", r.id),
        "custom_domain": null,
        "qurl_count": r.qurl_ids.len(),
    });
    if let Some(d) = &r.description {
        v["description"] = json!(d);
    }
    if with_preview {
        let preview: Vec<Value> = r
            .qurl_ids
            .iter()
            .filter_map(|id| store.qurls.get(id))
            .take(PREVIEW_LIMIT)
            .map(|q| summary(q, now))
            .collect();
        v["qurls"] = json!(preview);
    }
    v
}

/// `CreateQurlData`
fn created_view(resource_id: &str, q: &Qurl) -> Value {
    let mut v = json!({
        "qurl_id": q.id,
        "resource_id": resource_id,
        "qurl_link": q.link(),
        "qurl_site": q.site(),
        "expires_at": rfc3339(q.expires_at),
        "type": "url",
    });
    if let Some(label) = &q.label {
        v["label"] = json!(label);
    }
    v
}

// ---------- shared create path ----------

/// Finds or creates the owner's resource for `target_url` and mints a token on it.
/// Checks everything before changing anything, so an error leaves the store as it was.
fn create_in_store(
    store: &mut Store,
    owner: &str,
    target_url: &str,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<(String, String), Problem> {
    let existing = store
        .active_resource_for_url(owner, target_url)
        .map(|r| (r.id.clone(), r.session_duration_cap));
    let (resource_id, spec) = match existing {
        Some((id, cap)) => (id, draft.spec(now, cap)?),
        None => {
            let spec = draft.spec(now, None)?;
            let id = store.create_resource(owner, target_url, draft.session_duration, now);
            (id, spec)
        }
    };
    let qurl_id = store.mint(&resource_id, &spec, now).ok_or_else(|| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "resource vanished",
        )
    })?;
    Ok((resource_id, qurl_id))
}

fn location(app: &App, resource_id: &str) -> String {
    format!("{}/v1/qurls/{resource_id}", app.config.base_url)
}

// ---------- handlers ----------

pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Reply {
    let obj = or_problem!(ctx, validate::object(&body));
    let (target_url, draft) = match parse_create(&obj) {
        Ok(v) => v,
        Err(fields) => return ctx.problem(Problem::validation(fields)),
    };
    app.commit(&ctx, |store, now| {
        let (rid, qid) = create_in_store(store, &ctx.owner, &target_url, &draft, now)?;
        let data = store.qurls.get(&qid).map(|q| created_view(&rid, q));
        let reply = reply::data(StatusCode::CREATED, data, &ctx.request_id)
            .header(LOCATION, &location(&app, &rid));
        Ok(Outcome::Committed { reply, created: 1 })
    })
}

pub(crate) async fn batch(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Reply {
    let obj = or_problem!(ctx, validate::object(&body));
    let items = match obj.get("items") {
        Some(Value::Array(items)) if (1..=100).contains(&items.len()) => items,
        _ => {
            let mut fields = FieldErrors::new();
            fields.insert(
                "items".into(),
                "must be a list of 1-100 qURL create requests".into(),
            );
            return ctx.problem(Problem::validation(fields));
        }
    };
    let parsed: Vec<Result<(String, Draft), String>> = items
        .iter()
        .map(|item| match item {
            Value::Object(o) => parse_create(o).map_err(|f| joined(&f)),
            _ => Err("item must be a JSON object".to_owned()),
        })
        .collect();

    // Validation is all-or-nothing: one invalid item rejects the whole batch.
    if parsed.iter().any(Result::is_err) {
        let results: Vec<Value> = parsed
            .iter()
            .enumerate()
            .map(|(index, p)| {
                let message = match p {
                    Err(msg) => msg.clone(),
                    Ok(_) => "skipped: another item in the batch failed validation".to_owned(),
                };
                failed_item(index, &message)
            })
            .collect();
        return batch_reply(0, results, &ctx.request_id);
    }

    app.commit(&ctx, |store, now| {
        let mut results = Vec::with_capacity(parsed.len());
        let mut succeeded = 0u64;
        for (index, (url, draft)) in parsed.iter().flatten().enumerate() {
            match create_in_store(store, &ctx.owner, url, draft, now) {
                Ok((rid, qid)) => {
                    succeeded += 1;
                    let expires_at = store.qurls.get(&qid).map(|q| rfc3339(q.expires_at));
                    let link = store.qurls.get(&qid).map(Qurl::link);
                    results.push(json!({
                        "index": index,
                        "success": true,
                        "resource_id": rid,
                        "qurl_link": link,
                        "qurl_site": format!("https://{rid}.qurl.site"),
                        "expires_at": expires_at,
                    }));
                }
                Err(p) => results.push(failed_item(index, &p.detail)),
            }
        }
        let reply = batch_reply(succeeded, results, &ctx.request_id);
        Ok(if succeeded > 0 {
            Outcome::Committed {
                reply,
                created: succeeded,
            }
        } else {
            Outcome::Rejected(reply)
        })
    })
}

fn failed_item(index: usize, message: &str) -> Value {
    json!({
        "index": index,
        "success": false,
        "error": { "code": "creation_failed", "message": message },
    })
}

/// 201 all succeeded, 207 mixed, 400 none; the body has the same shape in all three.
fn batch_reply(succeeded: u64, results: Vec<Value>, request_id: &str) -> Reply {
    let failed = results.len() as u64 - succeeded;
    let status = match (succeeded, failed) {
        (_, 0) => StatusCode::CREATED,
        (0, _) => StatusCode::BAD_REQUEST,
        _ => StatusCode::MULTI_STATUS,
    };
    reply::data(
        status,
        json!({ "succeeded": succeeded, "failed": failed, "results": results }),
        request_id,
    )
}

/// Filters and sort order of `GET /v1/qurls`.
struct ListQuery {
    limit: usize,
    statuses: String,
    sort_field: &'static str,
    descending: bool,
    after: Option<(i64, u64)>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    expires_after: Option<DateTime<Utc>>,
    expires_before: Option<DateTime<Utc>>,
    q: Option<String>,
}

impl ListQuery {
    fn parse(p: &Params) -> Result<Self, Problem> {
        let limit = limit(p)?;
        let mut statuses: Vec<&str> = match p.get("status") {
            None => vec!["active", "revoked"],
            Some(s) => s.split(',').collect(),
        };
        if statuses.iter().any(|s| *s != "active" && *s != "revoked") {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_filter",
                "status must be active, revoked, or a comma-separated list of them",
            ));
        }
        statuses.sort_unstable();
        statuses.dedup();
        let statuses = statuses.join(",");

        let sort = p
            .get("sort")
            .map(String::as_str)
            .unwrap_or("created_at:desc");
        let (field, dir) = sort.split_once(':').unwrap_or((sort, "desc"));
        let sort_field = match field {
            "created_at" => "created_at",
            "expires_at" => "expires_at",
            _ => return Err(bad_sort()),
        };
        let descending = match dir {
            "desc" => true,
            "asc" => false,
            _ => return Err(bad_sort()),
        };
        let sort_key = format!("{sort_field}:{}", if descending { "desc" } else { "asc" });

        let after = match p.get("cursor").filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => {
                let f = decode_cursor(c, 4)?;
                if f[0] != statuses {
                    return Err(Problem::invalid_request(
                        "cursor was issued for a different status filter; restart pagination",
                    ));
                }
                let ts = f[2].parse::<i64>();
                let seq = f[3].parse::<u64>();
                match (ts, seq) {
                    // A different sort starts again at page one.
                    _ if f[1] != sort_key => None,
                    (Ok(ts), Ok(seq)) => Some((ts, seq)),
                    _ => {
                        return Err(Problem::invalid_request(
                            "cursor is not valid; restart pagination without it",
                        ));
                    }
                }
            }
        };

        let time = |name: &str| -> Result<Option<DateTime<Utc>>, Problem> {
            match p.get(name) {
                None => Ok(None),
                Some(s) => validate::parse_timestamp(s).map(Some).ok_or_else(|| {
                    Problem::invalid_request(format!("{name} must be an RFC 3339 timestamp"))
                }),
            }
        };
        let q = p.get("q").map(|q| q.to_lowercase());
        if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(Problem::invalid_request("q must be at most 200 characters"));
        }
        Ok(ListQuery {
            limit,
            statuses,
            sort_field,
            descending,
            after,
            created_after: time("created_after")?,
            created_before: time("created_before")?,
            expires_after: time("expires_after")?,
            expires_before: time("expires_before")?,
            q,
        })
    }

    fn sort_key(&self) -> String {
        format!(
            "{}:{}",
            self.sort_field,
            if self.descending { "desc" } else { "asc" }
        )
    }

    fn key_of(&self, r: &Resource) -> (i64, u64) {
        let t = if self.sort_field == "expires_at" {
            r.expires_at
        } else {
            r.created_at
        };
        (t.timestamp_millis(), r.seq)
    }

    fn keeps(&self, r: &Resource) -> bool {
        let status = if r.revoked { "revoked" } else { "active" };
        self.statuses.split(',').any(|s| s == status)
            && self.created_after.is_none_or(|t| r.created_at > t)
            && self.created_before.is_none_or(|t| r.created_at < t)
            && self.expires_after.is_none_or(|t| r.expires_at > t)
            && self.expires_before.is_none_or(|t| r.expires_at < t)
            && self.q.as_ref().is_none_or(|q| {
                r.target_url.to_lowercase().contains(q)
                    || r.description
                        .as_ref()
                        .is_some_and(|d| d.to_lowercase().contains(q))
            })
    }
}

fn bad_sort() -> Problem {
    Problem::invalid_request(
        "sort must be created_at or expires_at, optionally followed by :asc or :desc",
    )
}

pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Reply {
    let lq = or_problem!(ctx, params(query).and_then(|p| ListQuery::parse(&p)));
    let now = Utc::now();
    let inner = app.lock();
    let store = &inner.store;
    let mut rows: Vec<((i64, u64), &Resource)> = store
        .owned_resources(&ctx.owner)
        .filter(|r| lq.keeps(r))
        .map(|r| (lq.key_of(r), r))
        .collect();
    rows.sort_by_key(|(k, _)| *k);
    if lq.descending {
        rows.reverse();
    }
    if let Some(after) = lq.after {
        rows.retain(|(k, _)| {
            if lq.descending {
                *k < after
            } else {
                *k > after
            }
        });
    }
    let has_more = rows.len() > lq.limit;
    rows.truncate(lq.limit);
    let next_cursor = match rows.last() {
        Some(((ts, seq), _)) if has_more => encode_cursor(&[
            lq.statuses.clone(),
            lq.sort_key(),
            ts.to_string(),
            seq.to_string(),
        ]),
        _ => String::new(),
    };
    let items = rows
        .iter()
        .map(|(_, r)| resource_view(store, r, false, now))
        .collect();
    reply::list(
        Page {
            items,
            has_more,
            next_cursor,
        },
        &ctx.request_id,
        &headers,
    )
}

pub(crate) async fn get_one(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    let id = or_problem!(ctx, path_param(id));
    if !is_qurl_path_id(&id) {
        return ctx.problem(bad_id());
    }
    let inner = app.lock();
    match inner.store.resource_of(&ctx.owner, &id) {
        Some(r) => reply::cached_data(
            resource_view(&inner.store, r, true, Utc::now()),
            &ctx.request_id,
            &headers,
        ),
        None => ctx.problem(Problem::not_found("qURL not found")),
    }
}

pub(crate) async fn update(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Reply {
    let id = or_problem!(ctx, path_param(id));
    if !is_qurl_path_id(&id) {
        return ctx.problem(bad_id());
    }
    let obj = or_problem!(ctx, validate::object(&body));
    let now = Utc::now();
    let mut f = Fields::new(&obj);
    if !["extend_by", "expires_at", "tags", "description"]
        .iter()
        .any(|k| f.present(k))
    {
        return ctx.problem(Problem::invalid_request(
            "At least one of extend_by, expires_at, tags or description must be provided",
        ));
    }
    if f.present("extend_by") && f.present("expires_at") {
        let mut fields = FieldErrors::new();
        fields.insert(
            "extend_by".into(),
            "cannot be combined with expires_at".into(),
        );
        fields.insert(
            "expires_at".into(),
            "cannot be combined with extend_by".into(),
        );
        return ctx.problem(Problem::fields(
            StatusCode::BAD_REQUEST,
            "mutually_exclusive_fields",
            "extend_by and expires_at are mutually exclusive",
            fields,
        ));
    }
    let extend_by = f.duration("extend_by", "mhdw", MIN_EXPIRY_SECS, MAX_EXPIRY_SECS);
    let expires_at = check_future_expiry(&mut f, "expires_at", now);
    let tags = check_tags(&mut f, "tags");
    let description = f.string("description", 500);
    if !f.errors.is_empty() {
        return ctx.problem(Problem::validation(f.errors));
    }

    app.commit(&ctx, |store, now| {
        let (rid, current) = match store.resource_of(&ctx.owner, &id) {
            Some(r) if r.revoked => return Err(revoked()),
            Some(r) => (r.id.clone(), r.expires_at),
            None => return Err(Problem::not_found("qURL not found")),
        };
        // Extending moves the current expiry; computed first so a failure changes nothing.
        let new_expiry = match extend_by {
            Some(secs) => Some(
                current
                    .checked_add_signed(Duration::seconds(secs as i64))
                    .ok_or_else(|| {
                        let mut fields = FieldErrors::new();
                        fields.insert("extend_by".into(), "moves expires_at out of range".into());
                        Problem::validation(fields)
                    })?,
            ),
            None => expires_at,
        };
        if let Some(r) = store.resources.get_mut(&rid) {
            if let Some(at) = new_expiry {
                r.expires_at = at;
            }
            if let Some(tags) = tags {
                r.tags = tags;
            }
            if let Some(d) = description {
                r.description = (!d.is_empty()).then_some(d);
            }
        }
        let data = store
            .resources
            .get(&rid)
            .map(|r| resource_view(store, r, true, now));
        let reply = reply::data(StatusCode::OK, data, &ctx.request_id);
        Ok(Outcome::Committed { reply, created: 0 })
    })
}

fn revoked() -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "revoked",
        "The resource is revoked",
    )
}

pub(crate) async fn delete(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    id: Result<Path<String>, PathRejection>,
) -> Reply {
    let id = or_problem!(ctx, path_param(id));
    if !is_qurl_path_id(&id) {
        return ctx.problem(bad_id());
    }
    if !is_resource_id(&id) {
        return ctx.problem(Problem::invalid_request(
            "Deleting requires a resource id (r_...); revoke a single token with DELETE /v1/resources/{id}/qurls/{qurl_id}",
        ));
    }
    app.commit(&ctx, |store, _now| {
        if store.resource_of(&ctx.owner, &id).is_none() {
            return Err(Problem::not_found("qURL not found"));
        }
        store.revoke_resource(&id);
        Ok(Outcome::Committed {
            reply: Reply::no_content(),
            created: 0,
        })
    })
}

pub(crate) async fn mint_link(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Reply {
    let id = or_problem!(ctx, path_param(id));
    if !is_qurl_path_id(&id) {
        return ctx.problem(bad_id());
    }
    // Clients that have no settings may send no body; that means all defaults.
    let obj = or_problem!(ctx, validate::object_or_empty(&body));
    let now = Utc::now();
    let mut f = Fields::new(&obj);
    if f.present("expires_in") && f.present("expires_at") {
        let mut fields = FieldErrors::new();
        fields.insert(
            "expires_in".into(),
            "cannot be combined with expires_at".into(),
        );
        fields.insert(
            "expires_at".into(),
            "cannot be combined with expires_in".into(),
        );
        return ctx.problem(Problem::fields(
            StatusCode::BAD_REQUEST,
            "mutually_exclusive_fields",
            "expires_in and expires_at are mutually exclusive",
            fields,
        ));
    }
    let mut draft = Draft::read(&mut f);
    draft.expires_at = check_future_expiry(&mut f, "expires_at", now);
    if !f.errors.is_empty() {
        return ctx.problem(Problem::validation(f.errors));
    }

    app.commit(&ctx, |store, now| {
        let (rid, cap) = match store.resource_of(&ctx.owner, &id) {
            Some(r) if r.revoked => return Err(revoked()),
            Some(r) => (r.id.clone(), r.session_duration_cap),
            None => return Err(Problem::not_found("qURL not found")),
        };
        let spec = draft.spec(now, cap)?;
        let qid = store
            .mint(&rid, &spec, now)
            .ok_or_else(|| Problem::not_found("qURL not found"))?;
        let Some(q) = store.qurls.get(&qid) else {
            return Err(Problem::not_found("qURL not found"));
        };
        let data = json!({
            "qurl_id": q.id,
            "qurl_link": q.link(),
            "expires_at": rfc3339(q.expires_at),
            "type": "url",
        });
        let reply =
            reply::data(StatusCode::CREATED, data, &ctx.request_id).header(LOCATION, &q.link());
        Ok(Outcome::Committed { reply, created: 1 })
    })
}

pub(crate) async fn create_for_resource(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Reply {
    let id = or_problem!(ctx, path_param(id));
    // The body is required on the wire ("{}" for defaults).
    let obj = match validate::object(&body) {
        Ok(o) => o,
        Err(p) => {
            return ctx.problem(Problem::invalid_request(format!(
                "{} (send {{}} to mint with defaults)",
                p.detail
            )));
        }
    };
    app.commit(&ctx, |store, now| {
        // Documented precedence: 404, 403, revoked, invalid_input, invalid_session_duration.
        let (rid, cap) = match store.resources.get(&id) {
            None => {
                return Err(Problem::new(
                    StatusCode::NOT_FOUND,
                    "resource_not_found",
                    "No resource with this id exists",
                ));
            }
            Some(r) if r.owner != ctx.owner => {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "access_denied",
                    "The resource belongs to another owner",
                ));
            }
            Some(r) if r.revoked => return Err(revoked()),
            Some(r) => (r.id.clone(), r.session_duration_cap),
        };
        let mut f = Fields::new(&obj);
        let draft = Draft::read(&mut f);
        if !f.errors.is_empty() {
            return Err(Problem::fields(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "One or more fields are invalid",
                f.errors,
            ));
        }
        let spec = draft.spec(now, cap)?;
        let qid = store
            .mint(&rid, &spec, now)
            .ok_or_else(|| Problem::not_found("resource not found"))?;
        let data = store.qurls.get(&qid).map(|q| created_view(&rid, q));
        let reply = reply::data(StatusCode::CREATED, data, &ctx.request_id)
            .header(LOCATION, &location(&app, &rid));
        Ok(Outcome::Committed { reply, created: 1 })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_patterns() {
        assert!(is_qurl_path_id("r_k8xqp9h2sj9"));
        assert!(is_qurl_path_id("q_3a7f2c8e91b"));
        assert!(!is_qurl_path_id("q_3a7f2c8e91z"));
        assert!(!is_qurl_path_id("r_short"));
        assert!(!is_qurl_path_id("r_ééééééééééé"));
        assert!(is_resource_id("r_a_b-c123456"));
    }

    #[test]
    fn create_rules() {
        let obj = |v: Value| v.as_object().cloned().unwrap();
        assert!(parse_create(&obj(json!({"target_url": "https://a.example"}))).is_ok());
        let errs = parse_create(&obj(json!({}))).unwrap_err();
        assert!(errs.contains_key("target_url"));
        let errs = parse_create(&obj(json!({
            "target_url": "https://a.example", "expires_in": "30s", "max_sessions": 5000,
            "type": "tunnel", "label": 3
        })))
        .unwrap_err();
        for k in ["expires_in", "max_sessions", "type", "label"] {
            assert!(errs.contains_key(k), "{k} missing from {errs:?}");
        }
    }
}
