//! In-memory records: resources, their qURLs, and API keys.
//!
//! Ids are global (so another owner's id can be told apart from an unknown one), but
//! every lookup on behalf of a caller checks the owner.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::ids;

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) struct Resource {
    pub id: String,
    pub owner: String,
    pub seq: u64,
    pub target_url: String,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Seconds; fixed by the first `POST /v1/qurls` that created the resource.
    pub session_duration_cap: Option<u64>,
    pub qurl_ids: Vec<String>,
}

pub(crate) struct Qurl {
    pub id: String,
    pub resource_id: String,
    pub token: String,
    pub label: Option<String>,
    pub revoked: bool,
    pub one_time_use: bool,
    pub max_sessions: i64,
    pub session_duration: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub access_policy: Option<Value>,
}

impl Qurl {
    pub(crate) fn link(&self) -> String {
        format!("https://qurl.link/#{}", self.token)
    }

    pub(crate) fn site(&self) -> String {
        format!("https://{}.qurl.site", self.id)
    }
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

/// Everything a new qURL token needs once validated.
#[derive(Clone, Debug)]
pub(crate) struct MintSpec {
    pub expires_at: DateTime<Utc>,
    pub label: Option<String>,
    pub one_time_use: bool,
    pub max_sessions: i64,
    pub session_duration: Option<u64>,
    pub access_policy: Option<Value>,
}

#[derive(Default)]
pub(crate) struct Store {
    seq: u64,
    pub resources: HashMap<String, Resource>,
    pub qurls: HashMap<String, Qurl>,
    pub api_keys: HashMap<String, ApiKey>,
}

/// Draws ids until one is unused; collisions are astronomically rare, so the bound
/// only guards against a broken generator.
fn unique<T>(map: &HashMap<String, T>, make: fn() -> String) -> String {
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
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The caller's resource by `r_` id, or the parent of a `q_` id.
    pub(crate) fn resource_of(&self, owner: &str, id: &str) -> Option<&Resource> {
        let rid = match self.qurls.get(id) {
            Some(q) if id.starts_with("q_") => q.resource_id.as_str(),
            _ => id,
        };
        self.resources.get(rid).filter(|r| r.owner == owner)
    }

    /// The active resource that dedups `target_url` for this owner.
    pub(crate) fn active_resource_for_url(
        &self,
        owner: &str,
        target_url: &str,
    ) -> Option<&Resource> {
        self.resources
            .values()
            .find(|r| r.owner == owner && !r.revoked && r.target_url == target_url)
    }

    pub(crate) fn owned_resources<'a>(
        &'a self,
        owner: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.values().filter(move |r| r.owner == owner)
    }

    pub(crate) fn create_resource(
        &mut self,
        owner: &str,
        target_url: &str,
        session_duration_cap: Option<u64>,
        now: DateTime<Utc>,
    ) -> String {
        let id = unique(&self.resources, ids::resource_id);
        let seq = self.next_seq();
        self.resources.insert(
            id.clone(),
            Resource {
                id: id.clone(),
                owner: owner.to_owned(),
                seq,
                target_url: target_url.to_owned(),
                revoked: false,
                created_at: now,
                expires_at: now,
                description: None,
                tags: Vec::new(),
                session_duration_cap,
                qurl_ids: Vec::new(),
            },
        );
        id
    }

    /// Adds a token to an existing resource and returns its id. The resource's expiry
    /// follows its longest-lived token.
    pub(crate) fn mint(
        &mut self,
        resource_id: &str,
        spec: &MintSpec,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let id = unique(&self.qurls, ids::qurl_id);
        let resource = self.resources.get_mut(resource_id)?;
        resource.qurl_ids.push(id.clone());
        if spec.expires_at > resource.expires_at {
            resource.expires_at = spec.expires_at;
        }
        self.qurls.insert(
            id.clone(),
            Qurl {
                id: id.clone(),
                resource_id: resource_id.to_owned(),
                token: ids::access_token(),
                label: spec.label.clone(),
                revoked: false,
                one_time_use: spec.one_time_use,
                max_sessions: spec.max_sessions,
                session_duration: spec.session_duration,
                created_at: now,
                expires_at: spec.expires_at,
                access_policy: spec.access_policy.clone(),
            },
        );
        Some(id)
    }

    /// Revokes a resource and all of its tokens.
    pub(crate) fn revoke_resource(&mut self, resource_id: &str) {
        let Some(resource) = self.resources.get_mut(resource_id) else {
            return;
        };
        resource.revoked = true;
        for qid in &resource.qurl_ids {
            if let Some(q) = self.qurls.get_mut(qid) {
                q.revoked = true;
            }
        }
    }

    pub(crate) fn insert_api_key(&mut self, owner: &str, mut key: ApiKey) -> String {
        key.id = unique(&self.api_keys, ids::api_key_id);
        key.seq = self.next_seq();
        key.owner = owner.to_owned();
        let id = key.id.clone();
        self.api_keys.insert(id.clone(), key);
        id
    }

    pub(crate) fn api_key_of_mut(&mut self, owner: &str, key_id: &str) -> Option<&mut ApiKey> {
        self.api_keys.get_mut(key_id).filter(|k| k.owner == owner)
    }
}
