//! `POST /v1/qurls/batch`: every answer, the 400 included, is batch-shaped.

use axum::http::StatusCode;
use serde_json::Value;

use super::Outcome;
use super::qurls::{create_one, pair};
use super::{Answer, Call, done};
use crate::problem::{FieldErrors, Problem};
use crate::reply::Reply;
use crate::rules;
use crate::shapes::{BatchCreateRequest, BatchCreateResponseData, BatchItemResult};
use crate::spec::spec;
use crate::store::Store;

/// The per-item code of every failure but a type conflict.
const CREATION_FAILED: &str = "creation_failed";

/// Validation is all-or-nothing (one invalid item rejects the batch, the others are
/// reported as skipped); creation is per item. 201 all, 207 some, 400 none.
/// The schema of one of the body's `items`, as the spec's rule table links
/// it (`None`: the items have no rules of their own).
fn item_schema<'a>(call: &Call<'a>) -> Option<&'a str> {
    let body = call.op.body.as_ref()?.schema.as_deref()?;
    let entry = spec().rules.iter().find(|s| s.schema == body)?;
    let items = entry.nested.iter().find(|n| n.property == "items")?;
    Some(items.schema.as_ref())
}

pub(crate) fn batch(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: BatchCreateRequest = call.body()?;
    let raw = call
        .field("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let item_schema = item_schema(call);
    let invalid: Vec<Option<String>> = raw
        .iter()
        .map(|item| {
            let (_, fields) = rules::check_object("createQurl", item_schema, item, "", call.now);
            (!fields.is_empty()).then(|| field_messages(&fields))
        })
        .collect();
    if invalid.iter().any(Option::is_some) {
        let results = invalid
            .into_iter()
            .enumerate()
            .map(|(i, m)| match m {
                Some(m) => BatchItemResult::failed(i, CREATION_FAILED, m),
                None => BatchItemResult::failed(
                    i,
                    CREATION_FAILED,
                    "skipped: another item in the batch failed validation".into(),
                ),
            })
            .collect();
        return Ok(Outcome::Rejected(batch_reply(results, call.request_id)));
    }
    let mut results = Vec::new();
    for (i, item) in req.items.iter().enumerate() {
        results.push(match create_one(store, call, item) {
            Ok((rid, tid)) => match pair(store, &rid, &tid) {
                Some((r, t)) => BatchItemResult::created(i, r, t),
                None => BatchItemResult::failed(i, CREATION_FAILED, "A record vanished".into()),
            },
            // Per-item codes are the documented two.
            Err(p) if p.code == "resource_type_conflict" => {
                BatchItemResult::failed(i, &p.code, p.detail)
            }
            // Name the field, as the all-or-nothing validation above does.
            Err(p) => {
                let message = match &p.invalid_fields {
                    Some(fields) if !fields.is_empty() => field_messages(fields),
                    _ => p.detail,
                };
                BatchItemResult::failed(i, CREATION_FAILED, message)
            }
        });
    }
    let created = results.iter().filter(|r| r.succeeded()).count() as u64;
    let reply = batch_reply(results, call.request_id);
    if created == 0 {
        return Ok(Outcome::Rejected(reply));
    }
    done(reply, created)
}

fn batch_reply(results: Vec<BatchItemResult>, request_id: &str) -> Reply {
    let succeeded = results.iter().filter(|r| r.succeeded()).count();
    let failed = results.len() - succeeded;
    let status = match (succeeded, failed) {
        (_, 0) => StatusCode::CREATED,
        (0, _) => StatusCode::BAD_REQUEST,
        _ => StatusCode::MULTI_STATUS,
    };
    Reply::data(status, batch_data(succeeded, failed, results), request_id)
}

/// The batch's 400 is batch-shaped, also when the batch itself was refused: each
/// field error under `items[N]` fails item N.
pub(crate) fn batch_rejection(p: Problem, request_id: &str) -> Reply {
    let mut results: Vec<BatchItemResult> = Vec::new();
    let fields = p.invalid_fields.unwrap_or_default();
    for (field, message) in &fields {
        let index = field
            .strip_prefix("items[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(index) = index {
            results.push(BatchItemResult::failed(
                index,
                CREATION_FAILED,
                format!("{field}: {message}"),
            ));
        }
    }
    if results.is_empty() {
        let detail = field_messages(&fields);
        results.push(BatchItemResult::failed(
            0,
            &p.code,
            if detail.is_empty() { p.detail } else { detail },
        ));
    }
    let failed = results.len();
    Reply::data(
        StatusCode::BAD_REQUEST,
        batch_data(0, failed, results),
        request_id,
    )
}

/// `field: message; field: message`, for an item's one-line message.
fn field_messages(fields: &FieldErrors) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn batch_data(
    succeeded: usize,
    failed: usize,
    results: Vec<BatchItemResult>,
) -> BatchCreateResponseData {
    let count = |n: usize| Some(i64::try_from(n).unwrap_or(i64::MAX));
    BatchCreateResponseData {
        succeeded: count(succeeded),
        failed: count(failed),
        results: Some(results),
    }
}
