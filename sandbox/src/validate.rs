//! Requests checked against the spec's own schemas: parameters (path, query,
//! header) and the JSON body. A failure is a 400 whose `invalid_fields` names the
//! field; nothing here restates a rule of the spec.

use std::fmt::Write as _;

use axum::http::{HeaderMap, StatusCode};
use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::{Map, Value};

use crate::problem::{FieldErrors, Problem};
use crate::spec::{Operation, Param, ParamIn, spec};

/// A request that passed the schema checks.
#[derive(Debug, Default)]
pub(crate) struct Input {
    pub path: Vec<(String, String)>,
    /// Query parameters as typed JSON values, with the spec's defaults filled in.
    pub query: Map<String, Value>,
    pub body: Value,
}

/// Header parameters (such as `Idempotency-Key`'s length limits), checked before
/// the idempotency store is consulted.
pub(crate) fn headers(op: &Operation, headers: &HeaderMap) -> Result<(), Problem> {
    let mut errors = FieldErrors::new();
    for p in op.params.iter().filter(|p| p.location == ParamIn::Header) {
        match headers.get(&p.name).map(|v| v.to_str()) {
            None if p.required => {
                errors.insert(p.name.clone(), "is required".into());
            }
            None => {}
            Some(Err(_)) => {
                errors.insert(p.name.clone(), "must be printable ASCII".into());
            }
            Some(Ok(text)) => check_param(p, Value::String(text.to_owned()), &mut errors),
        }
    }
    reject(errors)
}

/// Path and query parameters, then the body.
pub(crate) fn request(
    op: &Operation,
    path: Vec<(String, String)>,
    query: &[(String, String)],
    body: &[u8],
) -> Result<Input, Problem> {
    let mut errors = FieldErrors::new();
    for (name, value) in &path {
        if let Some(p) = op.params.iter().find(|p| &p.name == name) {
            check_param(p, Value::String(value.clone()), &mut errors);
        }
    }
    if !errors.is_empty() && !op.documents(400) {
        // A malformed id where only 404 is documented is simply not found.
        return Err(Problem::not_found("No such object"));
    }
    let query = query_params(op, query, &mut errors);
    reject(errors)?;
    let body = match &op.body {
        None => Value::Null,
        Some(rule) => {
            let value = parse_body(body, rule.may_omit)?;
            let mut errors = FieldErrors::new();
            if let Some(v) = spec().validator(&rule.pointer) {
                collect(v.iter_errors(&value), &mut errors, None);
            }
            reject(errors)?;
            value
        }
    };
    Ok(Input { path, query, body })
}

fn reject(errors: FieldErrors) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

/// Known query parameters only; an invalid one is a 400 where the operation documents
/// a 400, and otherwise is ignored (its default applies).
fn query_params(
    op: &Operation,
    pairs: &[(String, String)],
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    let mut out = Map::new();
    for p in op.params.iter().filter(|p| p.location == ParamIn::Query) {
        let given = pairs.iter().find(|(k, _)| k == &p.name).map(|(_, v)| v);
        if let Some(text) = given {
            let value = typed(&p.kind, text);
            let mut own = FieldErrors::new();
            check_param(p, value.clone(), &mut own);
            if own.is_empty() {
                out.insert(p.name.clone(), value);
                continue;
            }
            if op.documents(400) {
                errors.extend(own);
                continue;
            }
        }
        if let Some(default) = &p.default {
            out.insert(p.name.clone(), default.clone());
        }
    }
    out
}

/// Query text as the JSON type the schema expects; text that does not parse stays a
/// string, so the schema reports the wrong type.
fn typed(kind: &str, text: &str) -> Value {
    let parsed = match kind {
        "integer" => text.parse::<i64>().ok().map(Value::from),
        "number" => text.parse::<f64>().ok().map(Value::from),
        "boolean" => text.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

fn check_param(p: &Param, value: Value, errors: &mut FieldErrors) {
    if let Some(v) = spec().validator(&p.pointer) {
        collect(v.iter_errors(&value), errors, Some(&p.name));
    }
}

fn parse_body(body: &[u8], may_omit: bool) -> Result<Value, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return if may_omit {
            Ok(Value::Object(Map::new()))
        } else {
            Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "A JSON request body is required",
            ))
        };
    }
    serde_json::from_slice(body)
        .map_err(|e| Problem::invalid_request(format!("The request body is not valid JSON: {e}")))
}

/// Turns schema errors into `field -> message`, naming nested fields as
/// `items[0].target_url`. `param` names the whole value (a parameter).
fn collect<'a>(
    errors: impl Iterator<Item = ValidationError<'a>>,
    out: &mut FieldErrors,
    param: Option<&str>,
) {
    for e in errors {
        let mut base = param.unwrap_or_default().to_owned();
        for seg in e.instance_path().iter() {
            match seg {
                LocationSegment::Property(p) => {
                    if !base.is_empty() {
                        base.push('.');
                    }
                    base.push_str(&p);
                }
                LocationSegment::Index(i) => {
                    let _ = write!(base, "[{i}]");
                }
            }
        }
        let join = |name: &str| {
            if base.is_empty() {
                name.to_owned()
            } else {
                format!("{base}.{name}")
            }
        };
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    out.entry(join(name))
                        .or_insert_with(|| "is not a known field".into());
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                out.entry(join(name))
                    .or_insert_with(|| "is required".into());
            }
            _ => {
                let field = if base.is_empty() { "body".into() } else { base };
                out.entry(field).or_insert_with(|| e.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create_qurl(body: Value) -> Result<Input, Problem> {
        let op = spec().operation("createQurl").unwrap();
        request(op, Vec::new(), &[], body.to_string().as_bytes())
    }

    fn fields(r: Result<Input, Problem>) -> FieldErrors {
        r.err().and_then(|p| p.invalid_fields).unwrap_or_default()
    }

    #[test]
    fn each_kind_of_schema_rule_names_the_field() {
        let f = fields(create_qurl(json!({"target_url": 5})));
        assert!(f["target_url"].contains("string"), "{f:?}");
        let f = fields(create_qurl(
            json!({"target_url": "https://a.example", "custom_domain": null}),
        ));
        assert!(f.contains_key("custom_domain"), "{f:?}");
        let f = fields(create_qurl(json!({"label": "x".repeat(501)})));
        assert!(f.contains_key("label"), "{f:?}");
        let f = fields(create_qurl(json!({"max_sessions": 1001})));
        assert!(f.contains_key("max_sessions"), "{f:?}");
        let f = fields(create_qurl(
            json!({"access_policy": {"geo_allowlist": ["usa"]}}),
        ));
        assert!(f.contains_key("access_policy.geo_allowlist[0]"), "{f:?}");
        let f = fields(create_qurl(
            json!({"access_policy": {"ai_agent_policy": {"deny_categories": ["robot"]}}}),
        ));
        assert!(
            f.contains_key("access_policy.ai_agent_policy.deny_categories[0]"),
            "{f:?}"
        );
    }

    #[test]
    fn unknown_fields_and_missing_ones() {
        let op = spec().operation("createApiKey").unwrap();
        let f = fields(request(op, Vec::new(), &[], br#"{"name":"a","nope":1}"#));
        assert_eq!(
            f.get("nope").map(String::as_str),
            Some("is not a known field")
        );
        assert_eq!(f.get("scopes").map(String::as_str), Some("is required"));
    }

    #[test]
    fn a_required_body_may_not_be_left_out() {
        // Even one whose schema requires no field: the spec requires the body.
        for id in ["createQurlForResource", "updateApiKey", "createApiKey"] {
            let op = spec().operation(id).unwrap();
            let err = request(op, Vec::new(), &[], b" ").unwrap_err();
            assert_eq!(err.detail, "A JSON request body is required", "{id}");
            let input = request(op, Vec::new(), &[], b"{}");
            assert!(
                id == "createApiKey" || input.is_ok(),
                "{id}: {{}} is a body"
            );
        }
    }

    #[test]
    fn key_lengths_come_from_the_header_schema() {
        let key = |op: &str, len: usize| {
            let mut h = HeaderMap::new();
            h.insert("idempotency-key", "k".repeat(len).parse().unwrap());
            headers(spec().operation(op).unwrap(), &h).is_ok()
        };
        assert!(key("createQurl", 1) && key("createQurl", 256) && !key("createQurl", 257));
        assert!(!key("createApiKey", 31) && key("createApiKey", 32));
        // An operation that declares no key ignores the header.
        assert!(key("updateApiKey", 400));
    }

    #[test]
    fn query_parameters_are_typed_and_defaulted() {
        let op = spec().operation("listQurls").unwrap();
        let input = request(op, Vec::new(), &[], b"").unwrap();
        assert_eq!(input.query["limit"], json!(20));
        let q = vec![("limit".to_owned(), "500".to_owned())];
        assert!(fields(request(op, Vec::new(), &q, b"")).contains_key("limit"));
        // A query parameter the operation does not have is ignored.
        let op = spec().operation("getQuota").unwrap();
        let unknown = vec![("limit".to_owned(), "500".to_owned())];
        assert!(request(op, Vec::new(), &unknown, b"").is_ok());
    }
}
