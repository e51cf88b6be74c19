//! The account: quota and usage (computed from what the sandbox did), customer,
//! billing pages and invoices, connector installations.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, Datelike, TimeZone, Utc};

use super::{Answer, Call, by_seq, done};
use crate::ids;
use crate::reply::Reply;
use crate::rules::{MAX_ACTIVE_QURLS, MAX_EXPIRY_SECS};
use crate::shapes::{
    CheckoutSessionData, ConnectorInstallationSummary, CreateBillingCheckoutRequest, CustomerData,
    CustomerDataTier, InvoiceData, InvoiceListData, PortalSessionData, QuotaData, QuotaDataPlan,
    QuotaDataRateLimits, QuotaDataUsage, UpdateCustomerRequest, UsageCostEstimate,
    UsageCurrentPeriodData, UsageCurrentPeriodDataTier, UsageDailyData, UsageDailyDataTier,
    UsageDailyEntry,
};
use crate::store::{Invoice, Store};

// `rules::PLAN` in the enum of each schema that names it (a test keeps them in step).
const QUOTA_PLAN: QuotaDataPlan = QuotaDataPlan::Growth;
const CUSTOMER_TIER: CustomerDataTier = CustomerDataTier::Growth;
const PERIOD_TIER: UsageCurrentPeriodDataTier = UsageCurrentPeriodDataTier::Growth;
const DAILY_TIER: UsageDailyDataTier = UsageDailyDataTier::Growth;

/// The calendar month holding `now`: the billing period.
fn period(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |y: i32, m: u32| {
        Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .single()
            .unwrap_or(now)
    };
    let (y, m) = (now.year(), now.month());
    let next = if m == 12 {
        start(y + 1, 1)
    } else {
        start(y, m + 1)
    };
    (start(y, m), next)
}

/// What the owner did this period, counted from the records.
struct Usage {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Tokens minted this period, by day.
    daily: BTreeMap<String, i64>,
    active: i64,
    accesses: i64,
}

impl Usage {
    fn of(store: &Store, call: &Call<'_>) -> Self {
        let (start, end) = period(call.now);
        let mut daily = BTreeMap::new();
        let mut accesses = 0;
        let mut active = 0;
        for r in Store::owned(&store.resources, call.owner) {
            active += i64::from(!r.revoked);
            for t in store.tokens_of(r) {
                accesses += t.use_count;
                if t.created_at >= start {
                    *daily
                        .entry(t.created_at.format("%Y-%m-%d").to_string())
                        .or_insert(0) += 1;
                }
            }
        }
        Usage {
            start,
            end,
            daily,
            active,
            accesses,
        }
    }

    fn created(&self) -> i64 {
        self.daily.values().sum()
    }
}

pub(crate) fn quota(store: &mut Store, call: &Call<'_>) -> Answer {
    let u = Usage::of(store, call);
    call.ok_cached(QuotaData {
        plan: Some(QUOTA_PLAN),
        period_start: Some(u.start.into()),
        period_end: Some(u.end.into()),
        rate_limits: Some(QuotaDataRateLimits {
            create_per_minute: Some(60),
            create_per_hour: Some(1000),
            list_per_minute: Some(120),
            resolve_per_minute: Some(600),
            max_active_qurls: Some(MAX_ACTIVE_QURLS as i64),
            max_tokens_per_qurl: None,
            max_expiry_seconds: Some(MAX_EXPIRY_SECS as i64),
        }),
        usage: Some(QuotaDataUsage {
            qurls_created: Some(u.created()),
            active_qurls: Some(u.active),
            active_qurls_percent: Some(u.active as f32 * 100.0 / MAX_ACTIVE_QURLS as f32),
            total_accesses: Some(u.accesses),
        }),
    })
}

pub(crate) fn usage_period(store: &mut Store, call: &Call<'_>) -> Answer {
    let u = Usage::of(store, call);
    call.ok(UsageCurrentPeriodData {
        tier: PERIOD_TIER,
        period_start: u.start.into(),
        period_end: u.end.into(),
        qurls_created: u.created(),
        active_qurls: u.active,
        cost_estimate: Some(UsageCostEstimate {
            currency: "usd".to_owned(),
            amount_cents: 0,
            description: "The sandbox charges nothing".to_owned(),
        }),
    })
}

pub(crate) fn usage_daily(store: &mut Store, call: &Call<'_>) -> Answer {
    let u = Usage::of(store, call);
    call.ok(UsageDailyData {
        tier: DAILY_TIER,
        period_start: u.start.into(),
        period_end: u.end.into(),
        daily: u
            .daily
            .iter()
            .map(|(date, n)| UsageDailyEntry {
                date: date.clone(),
                qurls_created: *n,
            })
            .collect(),
    })
}

fn customer_of(store: &Store, call: &Call<'_>) -> CustomerData {
    CustomerData {
        tier: CUSTOMER_TIER,
        spending_cap_cents: store.spending_caps.get(call.owner).copied().unwrap_or(0),
        current_period_usage: Usage::of(store, call).created(),
        frozen: false,
        frozen_reason: None,
    }
}

pub(crate) fn customer(store: &mut Store, call: &Call<'_>) -> Answer {
    call.ok(customer_of(store, call))
}

pub(crate) fn update_customer(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: UpdateCustomerRequest = call.body()?;
    store
        .spending_caps
        .insert(call.owner.to_owned(), req.spending_cap_cents);
    call.ok(customer_of(store, call))
}

/// Hosted pages live on a reserved, unresolvable domain: nothing is for sale here.
fn hosted(kind: &str) -> String {
    format!(
        "https://billing.sandbox.invalid/{kind}/{}",
        ids::billing_session_id()
    )
}

/// Opens a checkout; its invoice stays a draft, since nothing is ever paid.
/// The page is for the plan asked for (`/checkout/growth/...`).
pub(crate) fn checkout(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: CreateBillingCheckoutRequest = call.body()?;
    let seq = store.next_seq();
    store.invoices.push(Invoice {
        id: ids::invoice_id(),
        owner: call.owner.to_owned(),
        seq,
        created_at: call.now,
    });
    call.ok(CheckoutSessionData {
        url: hosted(&format!("checkout/{}", req.plan)),
    })
}

pub(crate) fn portal(_: &mut Store, call: &Call<'_>) -> Answer {
    call.ok(PortalSessionData {
        url: hosted("portal"),
    })
}

/// `InvoiceListResponse`: the one list whose `data` is an object.
pub(crate) fn invoices(store: &mut Store, call: &Call<'_>) -> Answer {
    let rows = store
        .invoices
        .iter()
        .filter(|i| i.owner == call.owner)
        .map(|i| (by_seq(i.seq), InvoiceData::of(i)))
        .collect();
    let page = call.page(rows, false, "")?;
    let meta = page.meta(call.request_id);
    let data = InvoiceListData {
        invoices: page.items,
    };
    done(Reply::enveloped(StatusCode::OK, data, meta), 0)
}

/// No connector can be installed through this API, so there are none to list.
pub(crate) fn connectors(_: &mut Store, call: &Call<'_>) -> Answer {
    call.list(
        Vec::<(super::SortKey, ConnectorInstallationSummary)>::new(),
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::PLAN;

    #[test]
    fn every_schema_names_the_sandbox_plan() {
        for tier in [
            QUOTA_PLAN.to_string(),
            CUSTOMER_TIER.to_string(),
            PERIOD_TIER.to_string(),
            DAILY_TIER.to_string(),
        ] {
            assert_eq!(tier, PLAN);
        }
    }
}
