//! `/v1/api-keys*`
//!
//! The real service only lets JWT callers manage keys; the sandbox treats every
//! `lv_` bearer token as an owner, so any of them may.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{decode_cursor, encode_cursor, limit, params, path_param};
use crate::app::{App, Ctx, Outcome};
use crate::ids;
use crate::problem::Problem;
use crate::reply::{self, Page, Reply};
use crate::store::{ApiKey, rfc3339};
use crate::validate::{self, Fields, is_slug, parse_duration};

const SCOPES: [&str; 4] = ["qurl:read", "qurl:write", "qurl:resolve", "qurl:agent"];
/// The sandbox plays the growth plan.
const KEY_LIMIT: usize = 50;
const BOOTSTRAP_MAX_SECS: u64 = 24 * 3600;

fn view(k: &ApiKey) -> Value {
    let mut v = json!({
        "key_id": k.id,
        "key_prefix": k.secret.get(..12).unwrap_or(&k.secret),
        "name": k.name,
        "scopes": k.scopes,
        "status": if k.revoked { "revoked" } else { "active" },
        "created_at": rfc3339(k.created_at),
    });
    let optional = [
        ("updated_at", k.updated_at.map(rfc3339)),
        ("expires_at", k.expires_at.map(rfc3339)),
        ("purpose", k.purpose.clone()),
        ("tunnel_slug", k.tunnel_slug.clone()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            v[name] = json!(value);
        }
    }
    v
}

/// Sorted, de-duplicated scopes, or `None` after recording the problem.
fn scopes(f: &mut Fields<'_>, required: bool) -> Option<Vec<String>> {
    let Some(v) = f.get("scopes") else {
        if required {
            f.fail("scopes", "is required");
        }
        return None;
    };
    let list: Option<Vec<String>> = v.as_array().and_then(|items| {
        items
            .iter()
            .map(|i| i.as_str().filter(|s| SCOPES.contains(s)).map(str::to_owned))
            .collect()
    });
    match list {
        Some(mut list) if !list.is_empty() => {
            list.sort();
            list.dedup();
            Some(list)
        }
        _ => {
            f.fail(
                "scopes",
                "must be a non-empty list of qurl:read, qurl:write, qurl:resolve, qurl:agent",
            );
            None
        }
    }
}

fn invalid_input(detail: &str) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "invalid_input", detail)
}

/// A validated `CreateApiKeyRequest`.
struct NewKey {
    name: String,
    scopes: Vec<String>,
    purpose: Option<String>,
    tunnel_slug: Option<String>,
    lifetime_secs: Option<u64>,
}

fn parse_new_key(body: &[u8]) -> Result<NewKey, Problem> {
    let obj = validate::object(body)?;
    let mut f = Fields::new(&obj);
    f.reject_unknown(&["name", "scopes", "expires_in", "purpose", "tunnel_slug"]);
    let name = f.string("name", 100);
    if !f.present("name") {
        f.fail("name", "is required");
    }
    let scopes = scopes(&mut f, true);
    let purpose = f.string("purpose", 64);
    if purpose.as_deref().is_some_and(|p| p != "tunnel_bootstrap") {
        f.fail("purpose", "must be tunnel_bootstrap");
    }
    let tunnel_slug = f.string("tunnel_slug", 64);
    if tunnel_slug.as_deref().is_some_and(|s| !is_slug(s)) {
        f.fail(
            "tunnel_slug",
            "must be 3-64 characters: a-z, 0-9 and -, starting with a letter",
        );
    }
    let expires_in = f.string("expires_in", 32);
    if !f.errors.is_empty() {
        return Err(Problem::validation(f.errors));
    }
    let (Some(name), Some(scopes)) = (name, scopes) else {
        return Err(Problem::validation(f.errors));
    };

    let bootstrap = purpose.is_some();
    if expires_in.is_some() && !bootstrap {
        return Err(invalid_input(
            "expires_in is only allowed with purpose=tunnel_bootstrap",
        ));
    }
    if bootstrap && tunnel_slug.is_none() {
        return Err(invalid_input(
            "tunnel_slug is required with purpose=tunnel_bootstrap",
        ));
    }
    if !bootstrap && tunnel_slug.is_some() {
        return Err(invalid_input(
            "tunnel_slug is only allowed with purpose=tunnel_bootstrap",
        ));
    }
    let lifetime_secs = match (&expires_in, bootstrap) {
        (Some(s), _) => match parse_duration(s, "smhdw") {
            Some(secs) if (1..=BOOTSTRAP_MAX_SECS).contains(&secs) => Some(secs),
            _ => {
                return Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_duration",
                    "expires_in must look like 30m or 24h and be at most 24h",
                ));
            }
        },
        (None, true) => Some(BOOTSTRAP_MAX_SECS),
        (None, false) => None,
    };
    Ok(NewKey {
        name,
        scopes,
        purpose,
        tunnel_slug,
        lifetime_secs,
    })
}

pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Reply {
    let new = or_problem!(ctx, parse_new_key(&body));
    app.commit(&ctx, |store, now| {
        let active = store
            .api_keys
            .values()
            .filter(|k| k.owner == ctx.owner && !k.revoked)
            .count();
        if active >= KEY_LIMIT {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "api_key_limit",
                format!("The plan allows at most {KEY_LIMIT} active API keys"),
            ));
        }
        let secret = ids::api_key_secret();
        let key = ApiKey {
            id: String::new(),
            owner: String::new(),
            seq: 0,
            secret: secret.clone(),
            name: new.name.clone(),
            scopes: new.scopes.clone(),
            revoked: false,
            created_at: now,
            updated_at: None,
            expires_at: new.lifetime_secs.map(|s| now + Duration::seconds(s as i64)),
            purpose: new.purpose.clone(),
            tunnel_slug: new.tunnel_slug.clone(),
        };
        let id = store.insert_api_key(&ctx.owner, key);
        let mut data = store.api_keys.get(&id).map(view).unwrap_or(Value::Null);
        // The plaintext is shown once, here, and never again.
        data["api_key"] = json!(secret);
        let location = format!("{}/v1/api-keys/{id}", app.config.base_url);
        let reply =
            reply::data(StatusCode::CREATED, data, &ctx.request_id).header(LOCATION, &location);
        Ok(Outcome::Committed { reply, created: 1 })
    })
}

pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Reply {
    let parsed = params(query).and_then(|p| {
        let limit = limit(&p)?;
        let status = p.get("status").cloned().unwrap_or_else(|| "active".into());
        if !["active", "revoked", "all"].contains(&status.as_str()) {
            return Err(Problem::invalid_request(
                "status must be active, revoked or all",
            ));
        }
        let after = match p.get("cursor").filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => {
                let f = decode_cursor(c, 3)?;
                if f[0] != "k" || f[1] != status {
                    return Err(Problem::invalid_request(
                        "cursor was issued for a different status filter; restart pagination",
                    ));
                }
                Some(f[2].parse::<u64>().map_err(|_| {
                    Problem::invalid_request("cursor is not valid; restart pagination without it")
                })?)
            }
        };
        Ok((limit, status, after))
    });
    let (limit, status, after) = or_problem!(ctx, parsed);
    let inner = app.lock();
    let mut keys: Vec<&ApiKey> = inner
        .store
        .api_keys
        .values()
        .filter(|k| k.owner == ctx.owner)
        .filter(|k| match status.as_str() {
            "active" => !k.revoked,
            "revoked" => k.revoked,
            _ => true,
        })
        .filter(|k| after.is_none_or(|a| k.seq < a))
        .collect();
    // Newest first.
    keys.sort_by_key(|k| std::cmp::Reverse(k.seq));
    let has_more = keys.len() > limit;
    keys.truncate(limit);
    let next_cursor = match keys.last() {
        Some(k) if has_more => encode_cursor(&["k".into(), status.clone(), k.seq.to_string()]),
        _ => String::new(),
    };
    let items: Vec<Value> = keys.into_iter().map(view).collect();
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

/// `^key_[A-Za-z0-9]{12}$`
fn is_key_id(id: &str) -> bool {
    id.strip_prefix("key_")
        .is_some_and(|rest| rest.len() == 12 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn bad_key_id() -> Problem {
    Problem::invalid_request("key_id must be key_ followed by 12 letters or digits")
}

fn key_not_found() -> Problem {
    Problem::not_found("API key not found")
}

pub(crate) async fn update(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    key_id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Reply {
    let key_id = or_problem!(ctx, path_param(key_id));
    if !is_key_id(&key_id) {
        return ctx.problem(bad_key_id());
    }
    let obj = or_problem!(ctx, validate::object(&body));
    let mut f = Fields::new(&obj);
    let name = f.string("name", 100);
    let scopes = scopes(&mut f, false);
    if !f.errors.is_empty() {
        return ctx.problem(Problem::validation(f.errors));
    }
    app.commit(&ctx, |store, now| {
        let Some(key) = store.api_key_of_mut(&ctx.owner, &key_id) else {
            return Err(key_not_found());
        };
        if key.revoked {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "revoked",
                "The API key is revoked",
            ));
        }
        // Neither field: nothing changes and the key comes back as it is.
        if name.is_some() || scopes.is_some() {
            if let Some(name) = name {
                key.name = name;
            }
            if let Some(scopes) = scopes {
                key.scopes = scopes;
            }
            key.updated_at = Some(now);
        }
        let reply = reply::data(StatusCode::OK, view(key), &ctx.request_id);
        Ok(Outcome::Committed { reply, created: 0 })
    })
}

pub(crate) async fn revoke(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    key_id: Result<Path<String>, PathRejection>,
) -> Reply {
    let key_id = or_problem!(ctx, path_param(key_id));
    if !is_key_id(&key_id) {
        return ctx.problem(bad_key_id());
    }
    app.commit(&ctx, |store, now: DateTime<Utc>| {
        let Some(key) = store.api_key_of_mut(&ctx.owner, &key_id) else {
            return Err(key_not_found());
        };
        if !key.revoked {
            key.revoked = true;
            key.updated_at = Some(now);
        }
        Ok(Outcome::Committed {
            reply: Reply::no_content(),
            created: 0,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_key_rules() {
        let ok = parse_new_key(br#"{"name":"ci","scopes":["qurl:write","qurl:read","qurl:read"]}"#)
            .unwrap();
        assert_eq!(ok.scopes, vec!["qurl:read", "qurl:write"]);
        assert_eq!(ok.lifetime_secs, None);

        let code = |body: &[u8]| parse_new_key(body).err().map(|p| p.code);
        assert_eq!(
            code(br#"{"name":"ci"}"#).as_deref(),
            Some("validation_error")
        );
        assert_eq!(
            code(br#"{"name":"ci","scopes":[]}"#).as_deref(),
            Some("validation_error")
        );
        assert_eq!(
            code(br#"{"name":"ci","scopes":["qurl:read"],"x":1}"#).as_deref(),
            Some("validation_error")
        );
        assert_eq!(
            code(br#"{"name":"ci","scopes":["qurl:read"],"expires_in":"1h"}"#).as_deref(),
            Some("invalid_input")
        );
        assert_eq!(
            code(br#"{"name":"ci","scopes":["qurl:read"],"purpose":"tunnel_bootstrap","tunnel_slug":"my-tun","expires_in":"2d"}"#).as_deref(),
            Some("invalid_duration")
        );
        let boot = parse_new_key(
            br#"{"name":"ci","scopes":["qurl:read"],"purpose":"tunnel_bootstrap","tunnel_slug":"my-tun"}"#,
        )
        .unwrap();
        assert_eq!(boot.lifetime_secs, Some(BOOTSTRAP_MAX_SECS));
    }

    #[test]
    fn key_ids() {
        assert!(is_key_id("key_abc123DEF456"));
        assert!(!is_key_id("key_abc"));
        assert!(!is_key_id("kex_abc123DEF456"));
    }
}
