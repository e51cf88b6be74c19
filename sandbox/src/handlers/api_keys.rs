//! `/v1/api-keys*`. Any `lv_` token may manage keys here (the real service wants a
//! JWT), and keys minted here are not checked when used as tokens.

use axum::http::StatusCode;

use super::{Answer, Call, by_seq, find_mut, no_content};
use crate::ids;
use crate::problem::Problem;
use crate::rules::{MAX_ACTIVE_API_KEYS, MAX_BOOTSTRAP_KEY_SECS, secs};
use crate::shapes::{ApiKeyData, CreateApiKeyData, CreateApiKeyRequest, UpdateApiKeyRequest};
use crate::store::{ApiKey, Store, unique};

/// Scopes as stored: alphabetical, each once.
fn scope_set(scopes: &[impl ToString]) -> Vec<String> {
    let mut scopes: Vec<String> = scopes.iter().map(ToString::to_string).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

pub(crate) fn create(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: CreateApiKeyRequest = call.body()?;
    // The rules table checked tunnel_bootstrap's fields.
    let bootstrap = req.purpose.is_some();
    let active = Store::owned(&store.api_keys, call.owner)
        .filter(|k| !k.revoked)
        .count();
    if active >= MAX_ACTIVE_API_KEYS {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "api_key_limit",
            format!("The plan allows {MAX_ACTIVE_API_KEYS} active API keys; revoke one first"),
        ));
    }
    let lifetime = req
        .expires_in
        .as_deref()
        .and_then(qurl_rules::duration_seconds);
    let id = unique(&store.api_keys, ids::api_key_id);
    let key = ApiKey {
        id: id.clone(),
        owner: call.owner.to_owned(),
        seq: store.next_seq(),
        secret: ids::api_key_secret(),
        name: req.name,
        scopes: scope_set(&req.scopes),
        revoked: false,
        created_at: call.now,
        updated_at: None,
        expires_at: bootstrap.then(|| call.now + secs(lifetime.unwrap_or(MAX_BOOTSTRAP_KEY_SECS))),
        purpose: req.purpose.map(|p| p.to_string()),
        tunnel_slug: req.tunnel_slug,
    };
    let data = CreateApiKeyData::of(&key);
    store.api_keys.insert(id.clone(), key);
    call.created(data, &call.url(&format!("/v1/api-keys/{id}")), 1)
}

pub(crate) fn list(store: &mut Store, call: &Call<'_>) -> Answer {
    let status = call.query("status").unwrap_or("active");
    let rows = Store::owned(&store.api_keys, call.owner)
        .filter(|k| match status {
            "all" => true,
            "revoked" => k.revoked,
            _ => !k.revoked,
        })
        .map(|k| (by_seq(k.seq), ApiKeyData::of(k)))
        .collect();
    call.list(rows, status)
}

/// Neither field changes nothing and returns the key. A revoked key cannot change
/// (400 `revoked`: the operation documents no 409).
pub(crate) fn update(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: UpdateApiKeyRequest = call.body()?;
    let k = find_mut(&mut store.api_keys, call.owner, call.path("key_id"))?;
    if k.revoked {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "revoked",
            "The API key is revoked and cannot be changed",
        ));
    }
    if req.name.is_some() || req.scopes.is_some() {
        if let Some(name) = req.name {
            k.name = name;
        }
        if let Some(scopes) = req.scopes {
            k.scopes = scope_set(&scopes);
        }
        k.updated_at = Some(call.now);
    }
    call.ok(ApiKeyData::of(k))
}

/// Soft revoke; revoking again answers 204 again.
pub(crate) fn revoke(store: &mut Store, call: &Call<'_>) -> Answer {
    find_mut(&mut store.api_keys, call.owner, call.path("key_id"))?.revoked = true;
    no_content()
}
