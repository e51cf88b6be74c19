//! Making tokens and resources: shared by every path that creates one (`/v1/qurls`,
//! mint_link, the batch, resource qURLs, access-code redemption).

use crate::events::emit;
use crate::ids;
use crate::problem::Problem;
use crate::rules::{self, DEFAULT_EXPIRY_SECS, parse_time, secs};
use crate::shapes::{
    AccessPolicy, CreateQurlForResourceRequest, CreateQurlRequest, MintLinkRequest, QurlSummary,
    WebhookEventType,
};
use crate::store::{LINK_HOST, Resource, Store, Token, unique};
use chrono::{DateTime, Utc};

/// What a new token is made with: the fields every request that mints one
/// shares, read from that request's generated shape (so a field renamed in
/// the spec stops the build here).
#[derive(Clone, Debug, Default)]
pub(crate) struct TokenTerms {
    pub expires_in: Option<String>,
    pub expires_at: Option<String>,
    pub label: Option<String>,
    pub one_time_use: bool,
    pub max_sessions: i64,
    pub session_duration: Option<String>,
    pub access_policy: Option<AccessPolicy>,
}

impl From<&CreateQurlRequest> for TokenTerms {
    fn from(req: &CreateQurlRequest) -> Self {
        TokenTerms {
            expires_in: req.expires_in.clone(),
            expires_at: None,
            label: req.label.clone(),
            one_time_use: req.one_time_use,
            max_sessions: req.max_sessions.unwrap_or(0),
            session_duration: req.session_duration.clone(),
            access_policy: req.access_policy.clone(),
        }
    }
}

impl From<MintLinkRequest> for TokenTerms {
    fn from(req: MintLinkRequest) -> Self {
        TokenTerms {
            expires_in: req.expires_in,
            expires_at: req.expires_at,
            label: req.label,
            one_time_use: req.one_time_use,
            max_sessions: req.max_sessions,
            session_duration: req.session_duration,
            access_policy: req.access_policy,
        }
    }
}

impl From<CreateQurlForResourceRequest> for TokenTerms {
    fn from(req: CreateQurlForResourceRequest) -> Self {
        TokenTerms {
            expires_in: req.expires_in,
            expires_at: None,
            label: req.label,
            one_time_use: req.one_time_use,
            max_sessions: req.max_sessions.unwrap_or(0),
            session_duration: req.session_duration,
            access_policy: req.access_policy,
        }
    }
}

impl TokenTerms {
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
}

/// A new expiry from `extend_by` (added to `current`) or `expires_at`, as
/// the two update operations take them.
pub(crate) fn new_expiry(
    extend_by: Option<&str>,
    expires_at: Option<&str>,
    current: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let extended = extend_by
        .and_then(qurl_rules::duration_seconds)
        .map(|d| current + secs(d));
    extended.or_else(|| expires_at.and_then(parse_time))
}

/// A `session_duration` in seconds; `""` (the cap) and absence are both `None`.
pub(crate) fn session_secs(session_duration: Option<&str>) -> Option<u64> {
    session_duration.and_then(qurl_rules::duration_seconds)
}

/// Adds a token to resource `rid` and returns its id. Checks the session cap before
/// changing anything; the first token fixes the cap.
pub(crate) fn mint(
    store: &mut Store,
    rid: &str,
    req: &TokenTerms,
    now: DateTime<Utc>,
) -> Result<String, Problem> {
    let r = store
        .resources
        .get(rid)
        .ok_or_else(|| Problem::not_found("No such resource"))?;
    let session = session_secs(req.session_duration.as_deref());
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
        one_time_use: req.one_time_use,
        max_sessions: req.max_sessions,
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
