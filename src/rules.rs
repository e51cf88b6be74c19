//! The spec's request rules beyond JSON Schema, checked on a body before it
//! is sent: the generated `TryFrom` of each body type with rules calls
//! [`check_body`] (see `codegen/src/rules.rs`). The table is generated from
//! `openapi.json`; the interpreter is `qurl_rules`, the one the sandbox runs.

/// `Err("`field`: what is wrong")` for the first rule of `schema` that `body`
/// breaks. The body is read in place, through the `qurl_rules::Object`
/// implementation generated for its type (`codegen/src/rule_fields.rs`).
pub(crate) fn check_body(schema: &str, body: &dyn qurl_rules::Object) -> Result<(), String> {
    match qurl_rules::check_object(crate::types::RULES, schema, body) {
        Some(violation) => Err(violation.to_string()),
        None => Ok(()),
    }
}
