//! `GET /v1/quota`, computed from the caller's records. The sandbox plays the growth plan.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::json;

use crate::app::{App, Ctx};
use crate::reply::{self, Reply};
use crate::store::rfc3339;
use crate::validate::MAX_EXPIRY_SECS;

const MAX_ACTIVE_QURLS: u64 = 1000;

fn month_start(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let (year, month) = if month > 12 {
        (year + 1, 1)
    } else {
        (year, month)
    };
    Some(
        NaiveDate::from_ymd_opt(year, month, 1)?
            .and_hms_opt(0, 0, 0)?
            .and_utc(),
    )
}

pub(crate) async fn get(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Reply {
    let now = Utc::now();
    let start = month_start(now.year(), now.month()).unwrap_or(now);
    let end = month_start(now.year(), now.month() + 1).unwrap_or(now);
    let inner = app.lock();
    let store = &inner.store;
    let owned = store.qurls.values().filter(|q| {
        store
            .resources
            .get(&q.resource_id)
            .is_some_and(|r| r.owner == ctx.owner)
    });
    let (mut created, mut active) = (0u64, 0u64);
    for q in owned {
        if q.created_at >= start {
            created += 1;
        }
        if !q.revoked && q.expires_at > now {
            active += 1;
        }
    }
    let data = json!({
        "plan": "growth",
        "period_start": rfc3339(start),
        "period_end": rfc3339(end),
        "rate_limits": {
            "create_per_minute": 60,
            "create_per_hour": 1000,
            "list_per_minute": 300,
            "resolve_per_minute": 120,
            "max_active_qurls": MAX_ACTIVE_QURLS,
            "max_expiry_seconds": MAX_EXPIRY_SECS,
        },
        "usage": {
            "qurls_created": created,
            "active_qurls": active,
            "active_qurls_percent": active as f64 * 100.0 / MAX_ACTIVE_QURLS as f64,
            "total_accesses": 0,
        },
    });
    reply::cached_data(data, &ctx.request_id, &headers)
}
