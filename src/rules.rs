//! The spec's request rules beyond JSON Schema, checked on a body before it
//! is sent: the generated `TryFrom` of each body type with rules calls
//! [`check_body`] (see `codegen/src/rules.rs`). The table is generated from
//! `openapi.json`; the interpreter is `qurl_rules`, the one the sandbox runs.

use serde::Serialize;

/// `Err("`field`: what is wrong")` for the first rule of `schema` that `body`
/// breaks.
pub(crate) fn check_body<T: Serialize>(schema: &str, body: &T) -> Result<(), String> {
    let value =
        serde_json::to_value(body).map_err(|e| format!("the body cannot be encoded: {e}"))?;
    match qurl_rules::check_first(crate::types::RULES, schema, &value) {
        Some(violation) => Err(violation.to_string()),
        None => Ok(()),
    }
}
