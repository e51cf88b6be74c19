//! In-memory records, one map per kind. Ids are global (so another owner's id can be
//! told apart from an unknown one), but every lookup on behalf of a caller checks the
//! owner. Rows are never reordered: `seq` gives creation order.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::ids;
use crate::shapes::{AccessPolicy, DomainDataStatus, QurlSummaryStatus, WebhookEventType};

pub(crate) struct Resource {
    pub id: String,
    pub owner: String,
    pub seq: u64,
    pub kind: String,
    pub target_url: String,
    pub revoked: bool,
    pub tombstoned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub custom_domain: Option<String>,
    pub alias: Option<String>,
    pub slug: Option<String>,
    pub preserve_host: bool,
    /// Seconds; fixed by the first token's `session_duration`.
    pub session_duration_cap: Option<u64>,
    pub token_ids: Vec<String>,
}

/// One access token (a "qURL") of a resource.
pub(crate) struct Token {
    pub id: String,
    pub resource_id: String,
    pub secret: String,
    pub label: Option<String>,
    pub revoked: bool,
    pub one_time_use: bool,
    pub max_sessions: i64,
    pub session_duration: Option<u64>,
    pub use_count: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub access_policy: Option<AccessPolicy>,
    /// Host of the link: a custom domain, or `qurl.link`.
    pub link_host: String,
}

impl Token {
    pub(crate) fn link(&self) -> String {
        format!("https://{}/#{}", self.link_host, self.secret)
    }

    /// The one definition of `qurl_site`: the token's display id as a subdomain.
    pub(crate) fn site(&self) -> String {
        format!("https://{}.qurl.site", self.id)
    }

    pub(crate) fn status(&self, now: DateTime<Utc>) -> QurlSummaryStatus {
        if self.revoked {
            QurlSummaryStatus::Revoked
        } else if self.one_time_use && self.use_count > 0 {
            QurlSummaryStatus::Consumed
        } else if self.expires_at <= now {
            QurlSummaryStatus::Expired
        } else {
            QurlSummaryStatus::Active
        }
    }

    pub(crate) fn branded_domain(&self) -> Option<String> {
        (self.link_host != LINK_HOST).then(|| self.link_host.clone())
    }
}

pub(crate) const LINK_HOST: &str = "qurl.link";

pub(crate) struct Session {
    pub id: String,
    pub resource_id: String,
    pub token_id: String,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) struct ApiKey {
    pub id: String,
    pub owner: String,
    pub seq: u64,
    pub secret: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub purpose: Option<String>,
    pub tunnel_slug: Option<String>,
}

pub(crate) struct AccessCode {
    pub id: String,
    pub owner: String,
    pub seq: u64,
    pub code: String,
    pub resource_id: String,
    pub name: String,
    pub max_uses: i64,
    pub use_count: i64,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub(crate) struct Domain {
    pub name: String,
    pub owner: String,
    pub seq: u64,
    pub status: DomainDataStatus,
    pub token: String,
    pub token_expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    /// Set through the admin endpoint: the sandbox's stand-in for published DNS records.
    pub dns_ready: bool,
}

pub(crate) struct Webhook {
    pub id: String,
    pub owner: String,
    pub seq: u64,
    pub url: String,
    pub events: Vec<WebhookEventType>,
    pub active: bool,
    pub description: Option<String>,
    pub secret: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An event recorded for one webhook, and how its delivery went.
pub(crate) struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub seq: u64,
    pub event_type: WebhookEventType,
    pub created_at: DateTime<Utc>,
    /// The deliverer's latest record; `None` until it starts (`pending`).
    pub progress: Option<crate::delivery::Record>,
}

pub(crate) struct Invoice {
    pub id: String,
    pub owner: String,
    pub seq: u64,
    pub created_at: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct Store {
    seq: u64,
    pub resources: HashMap<String, Resource>,
    pub tokens: HashMap<String, Token>,
    pub sessions: BTreeMap<String, Session>,
    pub api_keys: HashMap<String, ApiKey>,
    pub access_codes: HashMap<String, AccessCode>,
    pub domains: HashMap<String, Domain>,
    pub webhooks: HashMap<String, Webhook>,
    pub deliveries: Vec<Delivery>,
    /// Deliveries produced by the call being committed, sent once the store
    /// lock is released (`outbox::send_pending`).
    pub outbox: Vec<crate::delivery::Outgoing>,
    pub invoices: Vec<Invoice>,
    /// Owner -> monthly spending cap in cents (0: none).
    pub spending_caps: HashMap<String, i64>,
}

/// Draws ids until one is unused; collisions are astronomically rare, so the bound
/// only guards against a broken generator.
pub(crate) fn unique<T>(map: &HashMap<String, T>, make: fn() -> String) -> String {
    let mut id = make();
    for _ in 0..16 {
        if !map.contains_key(&id) {
            break;
        }
        id = make();
    }
    id
}

impl Store {
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The caller's resource by `r_` id, or the parent of a `q_` token id.
    pub(crate) fn resource_of(&self, owner: &str, id: &str) -> Option<&Resource> {
        let rid = self.tokens.get(id).map_or(id, |t| t.resource_id.as_str());
        self.resources.get(rid).filter(|r| r.owner == owner)
    }

    pub(crate) fn owned_resource_mut(&mut self, owner: &str, id: &str) -> Option<&mut Resource> {
        self.resources.get_mut(id).filter(|r| r.owner == owner)
    }

    pub(crate) fn owned<'a, T: Owned>(
        map: &'a HashMap<String, T>,
        owner: &'a str,
    ) -> impl Iterator<Item = &'a T> + 'a {
        map.values().filter(move |r| r.owner() == owner)
    }

    pub(crate) fn tokens_of<'a>(&'a self, r: &'a Resource) -> impl Iterator<Item = &'a Token> + 'a {
        r.token_ids.iter().filter_map(|id| self.tokens.get(id))
    }

    /// Revokes a resource and all of its tokens; ends its sessions.
    pub(crate) fn revoke_resource(&mut self, resource_id: &str) {
        let Some(resource) = self.resources.get_mut(resource_id) else {
            return;
        };
        resource.revoked = true;
        for id in &resource.token_ids {
            if let Some(t) = self.tokens.get_mut(id) {
                t.revoked = true;
            }
        }
        self.sessions.retain(|_, s| s.resource_id != resource_id);
    }
}

/// Records that belong to one owner.
pub(crate) trait Owned {
    fn owner(&self) -> &str;
    /// Creation order, for paging.
    fn seq(&self) -> u64;
}

macro_rules! owned {
    ($($t:ty),*) => {$(
        impl Owned for $t {
            fn owner(&self) -> &str {
                &self.owner
            }
            fn seq(&self) -> u64 {
                self.seq
            }
        }
    )*};
}

owned!(Resource, ApiKey, AccessCode, Domain, Webhook);

/// Owner ids shown in responses: a hash, never the bearer token itself.
pub(crate) fn owner_id(owner: &str) -> String {
    format!("own_{:016x}", ids::fingerprint(owner.as_bytes()))
}
