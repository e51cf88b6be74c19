//! Typed response payloads, one struct per schema of the spec, and the one
//! conversion from each record to its view. A field is named in exactly one place.
//! `Option` fields the spec marks `nullable` are always sent (as `null`); other
//! optional fields are left out when empty.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::store::{
    AccessCode, ApiKey, Delivery, Domain, Invoice, Resource, Session, Store, Token, Webhook,
    owner_id, rfc3339,
};

/// Largest `qurls` preview on a resource.
const PREVIEW_LIMIT: usize = 100;

/// `QurlSummary`
#[derive(Serialize)]
pub(crate) struct QurlSummary {
    qurl_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    status: &'static str,
    one_time_use: bool,
    max_sessions: i64,
    session_duration: u64,
    use_count: i64,
    qurl_site: String,
    created_at: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_policy: Option<Value>,
}

impl QurlSummary {
    pub(crate) fn of(t: &Token, now: DateTime<Utc>) -> Self {
        QurlSummary {
            qurl_id: t.id.clone(),
            label: t.label.clone(),
            status: t.status(now),
            one_time_use: t.one_time_use,
            max_sessions: t.max_sessions,
            session_duration: t.session_duration.unwrap_or(0),
            use_count: t.use_count,
            qurl_site: t.site(),
            created_at: rfc3339(t.created_at),
            expires_at: rfc3339(t.expires_at),
            access_policy: t.access_policy.clone(),
        }
    }
}

fn preview(store: &Store, r: &Resource, now: DateTime<Utc>) -> Vec<QurlSummary> {
    store
        .tokens_of(r)
        .take(PREVIEW_LIMIT)
        .map(|t| QurlSummary::of(t, now))
        .collect()
}

fn resource_status(r: &Resource) -> &'static str {
    if r.revoked { "revoked" } else { "active" }
}

/// `QurlData`: a resource as the `/v1/qurls` endpoints show it.
#[derive(Serialize)]
pub(crate) struct QurlData {
    resource_id: String,
    /// A tunnel has none: left out rather than an empty `uri`.
    #[serde(skip_serializing_if = "String::is_empty")]
    target_url: String,
    status: &'static str,
    created_at: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qurl_site: Option<String>,
    custom_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<String>,
    qurl_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    qurls: Option<Vec<QurlSummary>>,
}

impl QurlData {
    /// `with_preview`: single-object answers carry the tokens; lists only count them.
    pub(crate) fn of(store: &Store, r: &Resource, with_preview: bool, now: DateTime<Utc>) -> Self {
        QurlData {
            resource_id: r.id.clone(),
            target_url: r.target_url.clone(),
            status: resource_status(r),
            created_at: rfc3339(r.created_at),
            expires_at: rfc3339(r.expires_at),
            description: r.description.clone(),
            tags: r.tags.clone(),
            // A resource's site is its first token's.
            qurl_site: store.tokens_of(r).next().map(Token::site),
            custom_domain: r.custom_domain.clone(),
            slug: r.slug.clone(),
            qurl_count: r.token_ids.len(),
            qurls: with_preview.then(|| preview(store, r, now)),
        }
    }
}

/// `CreateQurlData`
#[derive(Serialize)]
pub(crate) struct CreateQurlData {
    qurl_id: String,
    resource_id: String,
    qurl_link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    branded_domain: Option<String>,
    qurl_site: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

impl CreateQurlData {
    pub(crate) fn of(r: &Resource, t: &Token) -> Self {
        CreateQurlData {
            qurl_id: t.id.clone(),
            resource_id: r.id.clone(),
            qurl_link: t.link(),
            branded_domain: t.branded_domain(),
            qurl_site: t.site(),
            expires_at: rfc3339(t.expires_at),
            label: t.label.clone(),
            kind: r.kind.clone(),
        }
    }
}

/// `MintLinkData`
#[derive(Serialize)]
pub(crate) struct MintLinkData {
    qurl_id: String,
    qurl_link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    branded_domain: Option<String>,
    expires_at: String,
    #[serde(rename = "type")]
    kind: String,
}

impl MintLinkData {
    pub(crate) fn of(r: &Resource, t: &Token) -> Self {
        MintLinkData {
            qurl_id: t.id.clone(),
            qurl_link: t.link(),
            branded_domain: t.branded_domain(),
            expires_at: rfc3339(t.expires_at),
            kind: r.kind.clone(),
        }
    }
}

/// `BatchCreateResponse.data`
#[derive(Serialize)]
pub(crate) struct BatchData {
    pub succeeded: usize,
    pub failed: usize,
    pub results: Vec<BatchItem>,
}

/// `BatchItemResult`
#[derive(Default, Serialize)]
pub(crate) struct BatchItem {
    index: usize,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qurl_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branded_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qurl_site: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ItemError>,
}

#[derive(Serialize)]
struct ItemError {
    code: String,
    message: String,
}

impl BatchItem {
    pub(crate) fn created(index: usize, r: &Resource, t: &Token) -> Self {
        BatchItem {
            index,
            success: true,
            resource_id: Some(r.id.clone()),
            qurl_link: Some(t.link()),
            branded_domain: t.branded_domain(),
            qurl_site: Some(t.site()),
            expires_at: Some(rfc3339(t.expires_at)),
            error: None,
        }
    }

    pub(crate) fn failed(index: usize, code: &str, message: String) -> Self {
        BatchItem {
            index,
            error: Some(ItemError {
                code: code.to_owned(),
                message,
            }),
            ..BatchItem::default()
        }
    }

    pub(crate) fn succeeded(&self) -> bool {
        self.success
    }
}

/// `ResourceData`
#[derive(Serialize)]
pub(crate) struct ResourceData {
    resource_id: String,
    #[serde(rename = "type")]
    kind: String,
    /// A tunnel has none: left out rather than an empty `uri`.
    #[serde(skip_serializing_if = "String::is_empty")]
    target_url: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    tags: Vec<String>,
    custom_domain: Option<String>,
    alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<String>,
    preserve_host: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_duration_cap: Option<u64>,
    qurl_count: usize,
    created_at: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tombstoned_at: Option<String>,
}

impl ResourceData {
    pub(crate) fn of(r: &Resource) -> Self {
        ResourceData {
            resource_id: r.id.clone(),
            kind: r.kind.clone(),
            target_url: r.target_url.clone(),
            status: resource_status(r),
            description: r.description.clone(),
            tags: r.tags.clone(),
            custom_domain: r.custom_domain.clone(),
            alias: r.alias.clone(),
            slug: r.slug.clone(),
            preserve_host: r.preserve_host,
            session_duration_cap: r.session_duration_cap,
            qurl_count: r.token_ids.len(),
            created_at: rfc3339(r.created_at),
            expires_at: rfc3339(r.expires_at),
            tombstoned_at: r.tombstoned_at.map(rfc3339),
        }
    }
}

/// `ResourceDetailData`
#[derive(Serialize)]
pub(crate) struct ResourceDetailData {
    resource: ResourceData,
    qurls: Vec<QurlSummary>,
}

impl ResourceDetailData {
    pub(crate) fn of(store: &Store, r: &Resource, now: DateTime<Utc>) -> Self {
        ResourceDetailData {
            resource: ResourceData::of(r),
            qurls: preview(store, r, now),
        }
    }
}

/// The address sessions are opened from: the sandbox only listens on loopback.
pub(crate) const SRC_IP: &str = "127.0.0.1";

/// `SessionData`
#[derive(Serialize)]
pub(crate) struct SessionData {
    session_id: String,
    qurl_id: String,
    src_ip: &'static str,
    user_agent: String,
    created_at: String,
    last_seen_at: String,
}

impl SessionData {
    pub(crate) fn of(s: &Session) -> Self {
        SessionData {
            session_id: s.id.clone(),
            qurl_id: s.token_id.clone(),
            src_ip: SRC_IP,
            user_agent: s.user_agent.clone(),
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.created_at),
        }
    }
}

/// `SessionTerminateResponse.data`
#[derive(Serialize)]
pub(crate) struct Terminated {
    pub terminated: usize,
}

/// `ResolveQurlData`
#[derive(Serialize)]
pub(crate) struct ResolveData {
    pub target_url: String,
    pub resource_id: String,
    pub access_grant: AccessGrant,
}

/// `AccessGrant`
#[derive(Serialize)]
pub(crate) struct AccessGrant {
    pub expires_in: u64,
    pub granted_at: String,
    pub src_ip: &'static str,
}

/// `ApiKeyData`
#[derive(Serialize)]
pub(crate) struct ApiKeyData {
    key_id: String,
    key_prefix: String,
    name: String,
    scopes: Vec<String>,
    status: &'static str,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tunnel_slug: Option<String>,
}

impl ApiKeyData {
    pub(crate) fn of(k: &ApiKey) -> Self {
        ApiKeyData {
            key_id: k.id.clone(),
            key_prefix: k.secret.chars().take(12).collect(),
            name: k.name.clone(),
            scopes: k.scopes.clone(),
            status: if k.revoked { "revoked" } else { "active" },
            created_at: rfc3339(k.created_at),
            updated_at: k.updated_at.map(rfc3339),
            expires_at: k.expires_at.map(rfc3339),
            purpose: k.purpose.clone(),
            tunnel_slug: k.tunnel_slug.clone(),
        }
    }
}

/// A view plus the secret that is shown only once (`CreateApiKeyData`,
/// `CreateAccessCodeData`, `WebhookDataWithSecret`).
#[derive(Serialize)]
pub(crate) struct WithSecret<T> {
    #[serde(flatten)]
    pub view: T,
    #[serde(flatten)]
    pub secret: Secret,
}

#[derive(Serialize)]
pub(crate) enum Secret {
    #[serde(rename = "api_key")]
    ApiKey(String),
    #[serde(rename = "code")]
    AccessCode(String),
    #[serde(rename = "secret")]
    Webhook(String),
}

/// `AccessCodeData`
#[derive(Serialize)]
pub(crate) struct AccessCodeData {
    access_code_id: String,
    resource_id: String,
    name: String,
    status: &'static str,
    max_uses: i64,
    use_count: i64,
    created_at: String,
    expires_at: Option<String>,
}

impl AccessCodeData {
    pub(crate) fn of(c: &AccessCode) -> Self {
        AccessCodeData {
            access_code_id: c.id.clone(),
            resource_id: c.resource_id.clone(),
            name: c.name.clone(),
            status: if c.revoked { "revoked" } else { "active" },
            max_uses: c.max_uses,
            use_count: c.use_count,
            created_at: rfc3339(c.created_at),
            expires_at: c.expires_at.map(rfc3339),
        }
    }
}

/// `RedeemAccessCodeData`
#[derive(Serialize)]
pub(crate) struct RedeemData {
    pub redirect_url: String,
}

/// `WebhookData`
#[derive(Serialize)]
pub(crate) struct WebhookData {
    webhook_id: String,
    owner_id: String,
    url: String,
    events: Vec<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    created_at: String,
    updated_at: String,
    failure_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_delivery_success: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_delivery_time: Option<i64>,
}

impl WebhookData {
    /// The webhook with what its deliveries say: failures in a row since the
    /// last success (the API's "consecutive delivery failures"), whether the
    /// latest finished delivery succeeded, and the Unix time of the latest
    /// attempt.
    pub(crate) fn of(w: &Webhook, deliveries: &[Delivery]) -> Self {
        use crate::delivery::Status;
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
        let failure_count = finished
            .iter()
            .rev()
            .take_while(|r| r.status != Status::Success)
            .count() as i64;
        let last_delivery_success = finished.last().map(|r| r.status == Status::Success);
        let last_delivery_time = attempted
            .iter()
            .map(|r| r.completed_at.unwrap_or(r.created_at).timestamp())
            .max();
        WebhookData {
            webhook_id: w.id.clone(),
            owner_id: owner_id(&w.owner),
            url: w.url.clone(),
            events: w.events.clone(),
            status: if w.active { "active" } else { "disabled" },
            description: w.description.clone(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
            failure_count,
            last_delivery_success,
            last_delivery_time,
        }
    }
}

/// `WebhookDeliveryData`: the record, and the deliverer's latest step
/// (`pending` with no response until the first attempt).
#[derive(Serialize)]
pub(crate) struct DeliveryData {
    delivery_id: String,
    webhook_id: String,
    event_type: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
    duration_ms: u64,
    retry_count: u32,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_at: Option<String>,
}

impl DeliveryData {
    pub(crate) fn of(d: &Delivery) -> Self {
        let progress = d.progress.as_ref();
        DeliveryData {
            delivery_id: d.id.clone(),
            webhook_id: d.webhook_id.clone(),
            event_type: d.event_type.clone(),
            status: progress.map_or("pending", |p| p.status.as_str()),
            response_code: progress.and_then(|p| p.response_code),
            response_body: progress.and_then(|p| p.response_body.clone()),
            error_message: progress.and_then(|p| p.error_message.clone()),
            duration_ms: progress.map_or(0, |p| p.duration_ms),
            retry_count: progress.map_or(0, |p| p.retry_count),
            created_at: rfc3339(d.created_at),
            completed_at: progress.and_then(|p| p.completed_at).map(rfc3339),
        }
    }
}

/// `WebhookEventTypeInfo`
#[derive(Serialize)]
pub(crate) struct EventTypeInfo {
    #[serde(rename = "type")]
    pub kind: String,
    pub category: &'static str,
    pub description: &'static str,
}

/// `WebhookPayload`: the body a delivery carries.
#[derive(Serialize)]
pub(crate) struct WebhookPayload {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub owner_id: String,
    pub timestamp: String,
    pub api_version: &'static str,
    pub data: Value,
}

/// `DomainData`
#[derive(Serialize)]
pub(crate) struct DomainData {
    domain: String,
    status: &'static str,
    verification_token: String,
    token_expires_at: Option<String>,
    acme_cname_target: String,
    created_at: String,
    verified_at: Option<String>,
    activated_at: Option<String>,
    ready_for_qurls: bool,
    dns_records: Vec<DnsRecord>,
}

/// `DnsRecord`
#[derive(Serialize)]
struct DnsRecord {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    value: String,
    verified: bool,
}

/// Where the sandbox asks domain owners to point their records.
pub(crate) const EDGE_HOST: &str = "edge.qurl.link";

fn acme_target(d: &Domain) -> String {
    format!("{}.acme.qurl.link", d.name)
}

impl DomainData {
    pub(crate) fn of(d: &Domain) -> Self {
        let record = |kind, name: String, value: String| DnsRecord {
            kind,
            name,
            value,
            verified: d.dns_ready,
        };
        DomainData {
            domain: d.name.clone(),
            status: d.status,
            verification_token: d.token.clone(),
            token_expires_at: Some(rfc3339(d.token_expires_at)),
            acme_cname_target: acme_target(d),
            created_at: rfc3339(d.created_at),
            verified_at: d.verified_at.map(rfc3339),
            // Verification and TLS happen in one step here, so both times agree.
            activated_at: d.verified_at.map(rfc3339),
            ready_for_qurls: d.status == "active",
            dns_records: vec![
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
            ],
        }
    }
}

/// `DomainVerifyData`
#[derive(Serialize)]
pub(crate) struct DomainVerifyData {
    domain: String,
    status: &'static str,
    checks: Checks,
}

#[derive(Serialize)]
struct Checks {
    txt: CheckDetail,
    acme_cname: CheckDetail,
    traffic_routing: CheckDetail,
}

/// `CheckDetail`
#[derive(Serialize)]
struct CheckDetail {
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    found: Option<String>,
}

impl DomainVerifyData {
    pub(crate) fn of(d: &Domain) -> Self {
        let check = |expected: String| CheckDetail {
            verified: d.dns_ready,
            error: (!d.dns_ready).then(|| "record not found".to_owned()),
            found: d.dns_ready.then_some(expected),
        };
        DomainVerifyData {
            domain: d.name.clone(),
            status: d.status,
            checks: Checks {
                txt: check(d.token.clone()),
                acme_cname: check(acme_target(d)),
                traffic_routing: check(EDGE_HOST.to_owned()),
            },
        }
    }
}

/// `CustomerData`
#[derive(Serialize)]
pub(crate) struct CustomerData {
    pub tier: &'static str,
    pub spending_cap_cents: i64,
    pub current_period_usage: i64,
    pub frozen: bool,
    pub frozen_reason: Option<&'static str>,
}

/// `CheckoutSessionData` and `PortalSessionData`
#[derive(Serialize)]
pub(crate) struct HostedPage {
    pub url: String,
}

/// `InvoiceListData`
#[derive(Serialize)]
pub(crate) struct InvoiceList {
    pub invoices: Vec<InvoiceData>,
}

/// `InvoiceData`
#[derive(Serialize)]
pub(crate) struct InvoiceData {
    id: String,
    amount_cents: i64,
    status: &'static str,
    created_at: String,
    pdf_url: Option<String>,
}

impl InvoiceData {
    /// Checkouts in the sandbox never charge anything: their invoices stay drafts of 0.
    pub(crate) fn of(i: &Invoice) -> Self {
        InvoiceData {
            id: i.id.clone(),
            amount_cents: 0,
            status: "draft",
            created_at: rfc3339(i.created_at),
            pdf_url: None,
        }
    }
}

/// `QuotaData`
#[derive(Serialize)]
pub(crate) struct QuotaData {
    pub plan: &'static str,
    pub period_start: String,
    pub period_end: String,
    pub rate_limits: RateLimits,
    pub usage: QuotaUsage,
}

#[derive(Serialize)]
pub(crate) struct RateLimits {
    pub create_per_minute: i64,
    pub create_per_hour: i64,
    pub list_per_minute: i64,
    pub resolve_per_minute: i64,
    pub max_active_qurls: i64,
    pub max_expiry_seconds: i64,
}

#[derive(Serialize)]
pub(crate) struct QuotaUsage {
    pub qurls_created: i64,
    pub active_qurls: i64,
    pub active_qurls_percent: Option<f64>,
    pub total_accesses: i64,
}

/// `UsageCurrentPeriodData`
#[derive(Serialize)]
pub(crate) struct UsagePeriodData {
    pub tier: &'static str,
    pub period_start: String,
    pub period_end: String,
    pub qurls_created: i64,
    pub active_qurls: i64,
    pub cost_estimate: CostEstimate,
}

/// `UsageCostEstimate`
#[derive(Serialize)]
pub(crate) struct CostEstimate {
    pub currency: &'static str,
    pub amount_cents: i64,
    pub description: &'static str,
}

/// `UsageDailyData`
#[derive(Serialize)]
pub(crate) struct UsageDailyData {
    pub tier: &'static str,
    pub period_start: String,
    pub period_end: String,
    pub daily: Vec<DailyEntry>,
}

/// `UsageDailyEntry`
#[derive(Serialize)]
pub(crate) struct DailyEntry {
    pub date: String,
    pub qurls_created: i64,
}
