//! `/_sandbox/*`: counters and scripted faults. Never faulted, never authenticated.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::app::App;
use crate::faults::ScriptedFault;
use crate::ids;
use crate::problem::Problem;
use crate::reply::Reply;

/// The counters plus the derived `duplicates`, as plain JSON (no envelope).
pub(crate) async fn counters(State(app): State<Arc<App>>) -> Reply {
    let counters = app.counters();
    let mut v = serde_json::to_value(&counters).unwrap_or(Value::Null);
    v["duplicates"] = json!(counters.duplicates());
    Reply::json(StatusCode::OK, &v)
}

/// Queues a `ScriptedFault` given as JSON.
pub(crate) async fn script(State(app): State<Arc<App>>, body: Bytes) -> Reply {
    match serde_json::from_slice::<ScriptedFault>(&body) {
        Ok(fault) => {
            app.faults.script(fault);
            Reply::no_content()
        }
        Err(e) => Problem::invalid_request(format!(
            "Expected a ScriptedFault like {{\"method\":\"POST\",\"path\":\"/v1/qurls\",\"kind\":\"service_unavailable\",\"times\":2}}: {e}"
        ))
        .into_reply("/_sandbox/faults", &ids::request_id()),
    }
}
