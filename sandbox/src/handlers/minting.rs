//! Making tokens and resources: shared by every path that creates one (`/v1/qurls`,
//! mint_link, the batch, resource qURLs, access-code redemption).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::events::emit;
use crate::ids;
use crate::problem::Problem;
use crate::rules::{self, DEFAULT_EXPIRY_SECS, parse_time, secs};
use crate::shapes::{QurlSummary, WebhookEventType};
use crate::store::{LINK_HOST, Resource, Store, Token, unique};

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
            .and_then(qurl_rules::duration_seconds)
            .unwrap_or(DEFAULT_EXPIRY_SECS);
        given.unwrap_or(now + secs(lifetime))
    }

    /// A new expiry from `extend_by` (added to `current`) or `expires_at`.
    pub(crate) fn new_expiry(&self, current: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let extended = self
            .extend_by
            .as_deref()
            .and_then(qurl_rules::duration_seconds)
            .map(|d| current + secs(d));
        extended.or_else(|| self.expires_at.as_deref().and_then(parse_time))
    }

    /// Seconds; `""` (the cap) and absence are both `None`.
    pub(crate) fn session_secs(&self) -> Option<u64> {
        self.session_duration
            .as_deref()
            .and_then(qurl_rules::duration_seconds)
    }
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
        WebhookEventType::TokenMinted,
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
