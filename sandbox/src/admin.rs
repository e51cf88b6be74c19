//! `/_sandbox/*`: counters, scripted faults and the DNS stand-in for custom
//! domains. Never faulted, never authenticated, not counted.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::counters::Counters;
use crate::faults::ScriptedFault;
use crate::ids;
use crate::problem::Problem;
use crate::reply::Reply;

/// The counters plus the derived `duplicates`, as plain JSON (no envelope).
#[derive(Serialize)]
struct CountersView {
    #[serde(flatten)]
    counters: Counters,
    duplicates: u64,
}

pub(crate) async fn counters(State(app): State<Arc<App>>) -> Reply {
    let counters = app.counters();
    let duplicates = counters.duplicates();
    Reply::typed(
        StatusCode::OK,
        "application/json",
        &CountersView {
            counters,
            duplicates,
        },
    )
}

fn bad_request(path: &str, detail: String) -> Reply {
    Problem::invalid_request(detail).into_reply(path, &ids::request_id())
}

/// Queues a `ScriptedFault` given as JSON.
pub(crate) async fn script(State(app): State<Arc<App>>, body: Bytes) -> Reply {
    match serde_json::from_slice::<ScriptedFault>(&body) {
        Ok(fault) => {
            app.faults.script(fault);
            Reply::no_content()
        }
        Err(e) => bad_request(
            "/_sandbox/faults",
            format!(
                "Expected a ScriptedFault like {{\"method\":\"POST\",\"path\":\"/v1/qurls\",\"kind\":\"service_unavailable\",\"times\":2}}: {e}"
            ),
        ),
    }
}

/// What the outside world would say about a domain.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DnsState {
    /// The TXT and CNAME records are published (default true).
    #[serde(default = "yes")]
    dns_verified: bool,
    /// Make the verification token expire now.
    #[serde(default)]
    token_expired: bool,
}

fn yes() -> bool {
    true
}

/// `POST /_sandbox/domains/{domain}`: sets the DNS state the next verify sees.
pub(crate) async fn domain_dns(
    State(app): State<Arc<App>>,
    Path(domain): Path<String>,
    body: Bytes,
) -> Reply {
    let path = format!("/_sandbox/domains/{domain}");
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &body[..]
    };
    let state = match serde_json::from_slice::<DnsState>(text) {
        Ok(s) => s,
        Err(e) => {
            return bad_request(
                &path,
                format!("Expected {{\"dns_verified\":true,\"token_expired\":false}}: {e}"),
            );
        }
    };
    let mut inner = app.lock();
    let Some(d) = inner.store.domains.get_mut(&domain) else {
        return Problem::not_found(format!("No domain `{domain}` is registered"))
            .into_reply(&path, &ids::request_id());
    };
    d.dns_ready = state.dns_verified;
    if state.token_expired {
        d.token_expires_at = chrono::Utc::now();
    }
    Reply::no_content()
}
