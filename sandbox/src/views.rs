//! The one conversion from each record to the spec's shape of it. The shapes
//! are generated from `openapi.json` at build time (`shapes`), so a field the
//! spec renames, or an enum value it drops, is a compile error here.

use chrono::{DateTime, Utc};

use crate::delivery::Status;
use crate::shapes::{
    AccessCodeData, AccessCodeDataStatus, ApiKeyData, ApiKeyDataPurpose, ApiKeyDataStatus,
    BatchItemResult, BatchItemResultError, CheckDetail, CreateAccessCodeData, CreateApiKeyData,
    CreateQurlData, DnsRecord, DomainData, DomainDataStatus, DomainVerifyData,
    DomainVerifyDataChecks, DomainVerifyDataStatus, InvoiceData, InvoiceDataStatus, MintLinkData,
    QurlData, QurlDataStatus, QurlSummary, ResourceData, ResourceDataStatus, ResourceDetailData,
    SessionData, Timestamp, WebhookData, WebhookDataStatus, WebhookDataWithSecret,
    WebhookDeliveryData, WebhookDeliveryDataStatus,
};
use crate::store::{
    AccessCode, ApiKey, Delivery, Domain, Invoice, Resource, Session, Store, Token, Webhook,
    owner_id,
};

/// Largest `qurls` preview on a resource.
const PREVIEW_LIMIT: usize = 100;

/// The address sessions are opened from: the sandbox only listens on loopback.
pub(crate) const SRC_IP: &str = "127.0.0.1";

/// Where the sandbox asks domain owners to point their records.
pub(crate) const EDGE_HOST: &str = "edge.qurl.link";

fn at(t: DateTime<Utc>) -> Option<Timestamp> {
    Some(t.into())
}

/// Counts of records, as the spec's integers.
fn count(n: usize) -> Option<i64> {
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

impl QurlSummary {
    pub(crate) fn of(t: &Token, now: DateTime<Utc>) -> Self {
        QurlSummary {
            qurl_id: Some(t.id.clone()),
            label: t.label.clone(),
            status: Some(t.status(now)),
            one_time_use: Some(t.one_time_use),
            max_sessions: Some(t.max_sessions),
            session_duration: Some(seconds(t.session_duration.unwrap_or(0))),
            use_count: Some(t.use_count),
            qurl_site: Some(t.site()),
            created_at: at(t.created_at),
            expires_at: at(t.expires_at),
            access_policy: t.access_policy.clone(),
        }
    }
}

fn seconds(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

fn preview(store: &Store, r: &Resource, now: DateTime<Utc>) -> Vec<QurlSummary> {
    store
        .tokens_of(r)
        .take(PREVIEW_LIMIT)
        .map(|t| QurlSummary::of(t, now))
        .collect()
}

/// A tunnel has no target: left out rather than an empty `uri`.
fn target(r: &Resource) -> Option<String> {
    (!r.target_url.is_empty()).then(|| r.target_url.clone())
}

impl QurlData {
    /// `with_preview`: single-object answers carry the tokens; lists only count them.
    pub(crate) fn of(store: &Store, r: &Resource, with_preview: bool, now: DateTime<Utc>) -> Self {
        QurlData {
            resource_id: Some(r.id.clone()),
            target_url: target(r),
            status: Some(if r.revoked {
                QurlDataStatus::Revoked
            } else {
                QurlDataStatus::Active
            }),
            created_at: at(r.created_at),
            expires_at: at(r.expires_at),
            description: r.description.clone(),
            tags: Some(r.tags.clone()),
            // A resource's site is its first token's.
            qurl_site: store.tokens_of(r).next().map(Token::site),
            custom_domain: r.custom_domain.clone(),
            slug: r.slug.clone(),
            qurl_count: count(r.token_ids.len()),
            qurls: with_preview.then(|| preview(store, r, now)),
        }
    }
}

impl CreateQurlData {
    pub(crate) fn of(r: &Resource, t: &Token) -> Self {
        CreateQurlData {
            qurl_id: Some(t.id.clone()),
            resource_id: Some(r.id.clone()),
            qurl_link: Some(t.link()),
            branded_domain: t.branded_domain(),
            qurl_site: Some(t.site()),
            expires_at: at(t.expires_at),
            label: t.label.clone(),
            type_: Some(r.kind.clone()),
        }
    }
}

impl MintLinkData {
    pub(crate) fn of(r: &Resource, t: &Token) -> Self {
        MintLinkData {
            qurl_id: Some(t.id.clone()),
            qurl_link: Some(t.link()),
            branded_domain: t.branded_domain(),
            expires_at: at(t.expires_at),
            type_: Some(r.kind.clone()),
        }
    }
}

impl BatchItemResult {
    pub(crate) fn created(index: usize, r: &Resource, t: &Token) -> Self {
        BatchItemResult {
            index: count(index),
            success: Some(true),
            resource_id: Some(r.id.clone()),
            qurl_link: Some(t.link()),
            branded_domain: t.branded_domain(),
            qurl_site: Some(t.site()),
            expires_at: at(t.expires_at),
            error: None,
        }
    }

    pub(crate) fn failed(index: usize, code: &str, message: String) -> Self {
        BatchItemResult {
            index: count(index),
            success: Some(false),
            resource_id: None,
            qurl_link: None,
            branded_domain: None,
            qurl_site: None,
            expires_at: None,
            error: Some(BatchItemResultError {
                code: Some(code.to_owned()),
                message: Some(message),
            }),
        }
    }

    pub(crate) fn succeeded(&self) -> bool {
        self.success == Some(true)
    }
}

impl ResourceData {
    pub(crate) fn of(r: &Resource) -> Self {
        ResourceData {
            resource_id: Some(r.id.clone()),
            type_: Some(r.kind.clone()),
            target_url: target(r),
            knock_resource_id: None,
            status: Some(if r.revoked {
                ResourceDataStatus::Revoked
            } else {
                ResourceDataStatus::Active
            }),
            description: r.description.clone(),
            tags: Some(r.tags.clone()),
            custom_domain: r.custom_domain.clone(),
            alias: r.alias.clone(),
            slug: r.slug.clone(),
            preserve_host: Some(r.preserve_host),
            session_duration_cap: r.session_duration_cap.map(seconds),
            qurl_count: count(r.token_ids.len()),
            created_at: at(r.created_at),
            expires_at: at(r.expires_at),
            tombstoned_at: r.tombstoned_at.and_then(at),
        }
    }
}

impl ResourceDetailData {
    pub(crate) fn of(store: &Store, r: &Resource, now: DateTime<Utc>) -> Self {
        ResourceDetailData {
            resource: Some(ResourceData::of(r)),
            qurls: Some(preview(store, r, now)),
        }
    }
}

impl SessionData {
    pub(crate) fn of(s: &Session) -> Self {
        SessionData {
            session_id: Some(s.id.clone()),
            qurl_id: Some(s.token_id.clone()),
            src_ip: Some(SRC_IP.to_owned()),
            user_agent: Some(s.user_agent.clone()),
            created_at: at(s.created_at),
            last_seen_at: at(s.created_at),
        }
    }
}

/// The fields of `ApiKeyData`, filled into it or into `CreateApiKeyData`
/// (the same object plus the secret, shown once): one list for both.
macro_rules! api_key_shape {
    ($shape:ident, $k:expr, { $($secret:tt)* }) => {{
        let k: &ApiKey = $k;
        $shape {
            key_id: Some(k.id.clone()),
            key_prefix: Some(k.secret.chars().take(12).collect()),
            name: Some(k.name.clone()),
            scopes: Some(k.scopes.clone()),
            status: Some(if k.revoked { ApiKeyDataStatus::Revoked } else { ApiKeyDataStatus::Active }),
            created_at: at(k.created_at),
            updated_at: k.updated_at.and_then(at),
            last_used_at: None,
            expires_at: k.expires_at.and_then(at),
            purpose: k.purpose.as_ref().map(|_| ApiKeyDataPurpose::TunnelBootstrap),
            tunnel_slug: k.tunnel_slug.clone(),
            $($secret)*
        }
    }};
}

impl ApiKeyData {
    pub(crate) fn of(k: &ApiKey) -> Self {
        api_key_shape!(ApiKeyData, k, {})
    }
}

impl CreateApiKeyData {
    pub(crate) fn of(k: &ApiKey) -> Self {
        api_key_shape!(CreateApiKeyData, k, { api_key: Some(k.secret.clone()) })
    }
}

/// The fields of `AccessCodeData`, for it and `CreateAccessCodeData`.
macro_rules! access_code_shape {
    ($shape:ident, $c:expr, { $($secret:tt)* }) => {{
        let c: &AccessCode = $c;
        $shape {
            access_code_id: Some(c.id.clone()),
            resource_id: Some(c.resource_id.clone()),
            name: Some(c.name.clone()),
            status: Some(if c.revoked { AccessCodeDataStatus::Revoked } else { AccessCodeDataStatus::Active }),
            max_uses: Some(c.max_uses),
            use_count: Some(c.use_count),
            created_at: at(c.created_at),
            expires_at: c.expires_at.and_then(at),
            $($secret)*
        }
    }};
}

impl AccessCodeData {
    pub(crate) fn of(c: &AccessCode) -> Self {
        access_code_shape!(AccessCodeData, c, {})
    }
}

impl CreateAccessCodeData {
    pub(crate) fn of(c: &AccessCode) -> Self {
        access_code_shape!(CreateAccessCodeData, c, { code: Some(c.code.clone()) })
    }
}

/// What a webhook's deliveries say: failures in a row since the last success
/// (the API's "consecutive delivery failures"), whether the latest finished
/// delivery succeeded, and the Unix time of the latest attempt.
struct DeliveryHistory {
    failure_count: i64,
    last_delivery_success: Option<bool>,
    last_delivery_time: Option<i64>,
}

impl DeliveryHistory {
    fn of(w: &Webhook, deliveries: &[Delivery]) -> Self {
        // In the order they were produced; `pending` ones are not attempted yet.
        let attempted: Vec<&crate::delivery::Record> = deliveries
            .iter()
            .filter(|d| d.webhook_id == w.id)
            .filter_map(|d| d.progress.as_ref())
            .filter(|r| r.status != Status::Pending)
            .collect();
        let finished: Vec<_> = attempted
            .iter()
            .filter(|r| {
                matches!(
                    r.status,
                    Status::Success | Status::Failed | Status::Abandoned
                )
            })
            .collect();
        let failures = finished
            .iter()
            .rev()
            .take_while(|r| r.status != Status::Success)
            .count();
        DeliveryHistory {
            failure_count: count(failures).unwrap_or_default(),
            last_delivery_success: finished.last().map(|r| r.status == Status::Success),
            last_delivery_time: attempted
                .iter()
                .map(|r| r.completed_at.unwrap_or(r.created_at).timestamp())
                .max(),
        }
    }
}

/// The fields of `WebhookData`, for it and `WebhookDataWithSecret`.
macro_rules! webhook_shape {
    ($shape:ident, $w:expr, $deliveries:expr, { $($secret:tt)* }) => {{
        let w: &Webhook = $w;
        let history = DeliveryHistory::of(w, $deliveries);
        $shape {
            webhook_id: Some(w.id.clone()),
            owner_id: Some(owner_id(&w.owner)),
            url: Some(w.url.clone()),
            events: Some(w.events.clone()),
            status: Some(if w.active { WebhookDataStatus::Active } else { WebhookDataStatus::Disabled }),
            description: w.description.clone(),
            created_at: at(w.created_at),
            updated_at: at(w.updated_at),
            failure_count: Some(history.failure_count),
            last_delivery_success: history.last_delivery_success,
            last_delivery_time: history.last_delivery_time,
            $($secret)*
        }
    }};
}

impl WebhookData {
    pub(crate) fn of(w: &Webhook, deliveries: &[Delivery]) -> Self {
        webhook_shape!(WebhookData, w, deliveries, {})
    }
}

impl WebhookDataWithSecret {
    pub(crate) fn of(w: &Webhook, deliveries: &[Delivery]) -> Self {
        webhook_shape!(WebhookDataWithSecret, w, deliveries, { secret: Some(w.secret.clone()) })
    }
}

fn delivery_status(s: Status) -> WebhookDeliveryDataStatus {
    match s {
        Status::Pending => WebhookDeliveryDataStatus::Pending,
        Status::Success => WebhookDeliveryDataStatus::Success,
        Status::Failed => WebhookDeliveryDataStatus::Failed,
        Status::Retrying => WebhookDeliveryDataStatus::Retrying,
        Status::Abandoned => WebhookDeliveryDataStatus::Abandoned,
    }
}

impl WebhookDeliveryData {
    /// The record, and the deliverer's latest step (`pending` with no
    /// response until the first attempt).
    pub(crate) fn of(d: &Delivery) -> Self {
        let progress = d.progress.as_ref();
        WebhookDeliveryData {
            delivery_id: Some(d.id.clone()),
            webhook_id: Some(d.webhook_id.clone()),
            event_type: Some(d.event_type),
            status: Some(progress.map_or(WebhookDeliveryDataStatus::Pending, |p| {
                delivery_status(p.status)
            })),
            response_code: progress.and_then(|p| p.response_code).map(i64::from),
            response_body: progress.and_then(|p| p.response_body.clone()),
            error_message: progress.and_then(|p| p.error_message.clone()),
            duration_ms: Some(progress.map_or(0, |p| seconds(p.duration_ms))),
            retry_count: Some(progress.map_or(0, |p| i64::from(p.retry_count))),
            created_at: at(d.created_at),
            completed_at: progress.and_then(|p| p.completed_at).and_then(at),
        }
    }
}

fn acme_target(d: &Domain) -> String {
    format!("{}.acme.qurl.link", d.name)
}

impl DomainData {
    pub(crate) fn of(d: &Domain) -> Self {
        let record = |kind: &str, name: String, value: String| DnsRecord {
            type_: Some(kind.to_owned()),
            name: Some(name),
            value: Some(value),
            verified: Some(d.dns_ready),
        };
        DomainData {
            domain: Some(d.name.clone()),
            status: Some(d.status),
            verification_token: Some(d.token.clone()),
            token_expires_at: at(d.token_expires_at),
            acme_cname_target: Some(acme_target(d)),
            created_at: at(d.created_at),
            verified_at: d.verified_at.and_then(at),
            // Verification and TLS happen in one step here, so both times agree.
            activated_at: d.verified_at.and_then(at),
            ready_for_qurls: Some(d.status == DomainDataStatus::Active),
            dns_records: Some(vec![
                record(
                    "TXT",
                    format!("_qurl-challenge.{}", d.name),
                    d.token.clone(),
                ),
                record(
                    "CNAME",
                    format!("_acme-challenge.{}", d.name),
                    acme_target(d),
                ),
                record("CNAME", d.name.clone(), EDGE_HOST.to_owned()),
            ]),
        }
    }
}

/// The two schemas name the same states in two enums.
fn verify_status(s: DomainDataStatus) -> DomainVerifyDataStatus {
    match s {
        DomainDataStatus::PendingVerification => DomainVerifyDataStatus::PendingVerification,
        DomainDataStatus::Verified => DomainVerifyDataStatus::Verified,
        DomainDataStatus::ProvisioningTls => DomainVerifyDataStatus::ProvisioningTls,
        DomainDataStatus::Active => DomainVerifyDataStatus::Active,
        DomainDataStatus::Failed => DomainVerifyDataStatus::Failed,
    }
}

impl DomainVerifyData {
    pub(crate) fn of(d: &Domain) -> Self {
        let check = |expected: String| CheckDetail {
            verified: d.dns_ready,
            error: (!d.dns_ready).then(|| "record not found".to_owned()),
            found: d.dns_ready.then_some(expected),
        };
        DomainVerifyData {
            domain: Some(d.name.clone()),
            status: Some(verify_status(d.status)),
            checks: Some(DomainVerifyDataChecks {
                txt: Some(check(d.token.clone())),
                acme_cname: Some(check(acme_target(d))),
                traffic_routing: Some(check(EDGE_HOST.to_owned())),
            }),
        }
    }
}

impl InvoiceData {
    /// Checkouts in the sandbox never charge anything: their invoices stay drafts of 0.
    pub(crate) fn of(i: &Invoice) -> Self {
        InvoiceData {
            id: i.id.clone(),
            amount_cents: 0,
            status: InvoiceDataStatus::Draft,
            created_at: i.created_at.into(),
            pdf_url: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(access_policy: serde_json::Value) -> Token {
        Token {
            id: "q_1".into(),
            resource_id: "r_1".into(),
            secret: "at_1".into(),
            label: None,
            revoked: false,
            one_time_use: false,
            max_sessions: 0,
            session_duration: None,
            use_count: 0,
            created_at: DateTime::UNIX_EPOCH,
            expires_at: DateTime::UNIX_EPOCH,
            access_policy: Some(serde_json::from_value(access_policy).unwrap()),
            link_host: "qurl.link".into(),
        }
    }

    /// The policy a request carried goes out as it came in: empty lists
    /// stay, absent fields stay absent, no default is filled in.
    #[test]
    fn an_access_policy_goes_out_as_it_came_in() {
        let policy = json!({
            "ip_allowlist": [],
            "geo_denylist": ["FR"],
            "ai_agent_policy": {"deny_categories": ["gptbot"]},
        });
        let summary = QurlSummary::of(&token(policy.clone()), DateTime::UNIX_EPOCH);
        let sent = serde_json::to_value(summary).unwrap();
        assert_eq!(sent["access_policy"], policy);
    }
}
