//! The request rules that depend on time or on the plan, the plan's limits,
//! and the state checks the handlers share (custom domains, aliases, tags).
//! The rules that depend on the request alone are the spec's
//! (`x-qurl-rules`), run by `qurl_rules`, the interpreter the client shares;
//! a request's shape is the spec's JSON Schema (`validate.rs`).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::problem::{FieldErrors, Problem};
use crate::spec::{Operation, spec};
use crate::store::Store;

// The sandbox plays the growth plan.
pub(crate) const PLAN: &str = "growth";
pub(crate) const MAX_EXPIRY_SECS: u64 = 30 * 86_400;
pub(crate) const DEFAULT_EXPIRY_SECS: u64 = 86_400;
pub(crate) const DEFAULT_SESSION_SECS: u64 = 3600;
pub(crate) const MAX_ACTIVE_QURLS: usize = 1000;
pub(crate) const MAX_ACTIVE_API_KEYS: usize = 50;
/// Tunnel-bootstrap API keys live at most (and by default) a day.
pub(crate) const MAX_BOOTSTRAP_KEY_SECS: u64 = 86_400;
/// A domain's verification token is valid this long.
pub(crate) const DOMAIN_TOKEN_SECS: i64 = 7 * 86_400;

/// A rule on one top-level field that needs the clock or the plan.
enum Rule {
    /// An RFC 3339 time in the future, at most `max_ahead` seconds away.
    Future {
        field: &'static str,
        max_ahead: Option<u64>,
    },
    /// A lifetime within the plan's maximum (`expires_in` on the create calls:
    /// "maximum varies by plan").
    PlanMaxDuration(&'static str),
}

const EXPIRES_AT: Rule = Rule::Future {
    field: "expires_at",
    max_ahead: Some(MAX_EXPIRY_SECS),
};

/// Operation id -> its time and plan rules. `createQurl`'s also apply to
/// every item of `batchCreateQurls`.
const RULES: &[(&str, &[Rule])] = &[
    ("createQurl", &[Rule::PlanMaxDuration("expires_in")]),
    (
        "createQurlForResource",
        &[Rule::PlanMaxDuration("expires_in")],
    ),
    ("mintLink", &[EXPIRES_AT]),
    ("updateQurl", &[EXPIRES_AT]),
    ("updateResourceQurl", &[EXPIRES_AT]),
    (
        "createAccessCode",
        &[Rule::Future {
            field: "expires_at",
            max_ahead: None,
        }],
    ),
];

/// Operations whose `Idempotency-Key` also pins the body: the same key with another
/// body is `409 idempotency_key_reused` (the key parameter's description says so).
pub(crate) fn key_pins_body(op_id: &str) -> bool {
    op_id == "createApiKey"
}

/// The spec's rules on the operation's (schema-valid) body, then the time and
/// plan rules.
pub(crate) fn check(op: &Operation, body: &Value, now: DateTime<Utc>) -> Result<(), Problem> {
    let schema = op.body.as_ref().and_then(|b| b.schema.as_deref());
    let (code, errors) = check_object(&op.id, schema, body, "", now);
    match code {
        None => Ok(()),
        Some(code) => Err(Problem::fields(
            axum::http::StatusCode::BAD_REQUEST,
            &code,
            "One or more fields break the API's rules",
            errors,
        )),
    }
}

/// The first broken rule's code and every failing field (named under
/// `prefix`): the spec's rules for `schema`, then the operation's own.
pub(crate) fn check_object(
    op_id: &str,
    schema: Option<&str>,
    value: &Value,
    prefix: &str,
    now: DateTime<Utc>,
) -> (Option<String>, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut first: Option<String> = None;
    let stated = schema
        .map(|s| qurl_rules::check_own(&spec().rules, s, value, prefix))
        .unwrap_or_default();
    for v in stated {
        first.get_or_insert_with(|| v.code.to_string());
        errors.entry(v.field).or_insert(v.message);
    }
    let Some(obj) = value.as_object() else {
        return (first, errors);
    };
    let rules = RULES
        .iter()
        .find(|(id, _)| *id == op_id)
        .map_or(&[][..], |(_, r)| *r);
    for rule in rules {
        if let Some((field, message)) = broken(rule, obj, now) {
            first.get_or_insert_with(|| "validation_error".to_owned());
            let name = if prefix.is_empty() {
                field.to_owned()
            } else {
                format!("{prefix}.{field}")
            };
            errors.entry(name).or_insert(message);
        }
    }
    (first, errors)
}

fn text<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    obj.get(field).and_then(Value::as_str)
}

fn broken(
    rule: &Rule,
    obj: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Option<(&'static str, String)> {
    match *rule {
        Rule::Future { field, max_ahead } => {
            let at = parse_time(text(obj, field)?)?;
            if at <= now {
                Some((field, "must be in the future".into()))
            } else if max_ahead.is_some_and(|m| at > now + secs(m)) {
                Some((field, "must be within 30 days from now".into()))
            } else {
                None
            }
        }
        Rule::PlanMaxDuration(field) => {
            let seconds = qurl_rules::duration_seconds(text(obj, field)?)?;
            (seconds > MAX_EXPIRY_SECS)
                .then(|| (field, format!("must be at most 30d on the {PLAN} plan")))
        }
    }
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX / 1000))
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Tags as the API stores them: trimmed, lower-case, without repeats.
pub(crate) fn normalise_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// `custom_domain` must name an active domain of the caller.
pub(crate) fn check_custom_domain(store: &Store, owner: &str, domain: &str) -> Result<(), Problem> {
    let ok = store
        .domains
        .get(domain)
        .is_some_and(|d| d.owner == owner && d.status == crate::shapes::DomainDataStatus::Active);
    if ok {
        Ok(())
    } else {
        Err(Problem::field(
            "validation_error",
            "custom_domain",
            "must be a registered, verified domain of this account",
        ))
    }
}

/// An alias names one resource of an owner at a time.
pub(crate) fn check_alias_free(
    store: &Store,
    owner: &str,
    alias: &str,
    except: Option<&str>,
) -> Result<(), Problem> {
    let taken = Store::owned(&store.resources, owner)
        .any(|r| r.alias.as_deref() == Some(alias) && Some(r.id.as_str()) != except);
    if taken {
        Err(Problem::conflict(
            "alias_in_use",
            format!("The alias `{alias}` is already in use"),
        ))
    } else {
        Ok(())
    }
}

/// A token's `session_duration` may not exceed its resource's cap.
pub(crate) fn check_session_cap(requested: Option<u64>, cap: Option<u64>) -> Result<(), Problem> {
    match (requested, cap) {
        (Some(d), Some(cap)) if d > cap => Err(Problem::field(
            "invalid_session_duration",
            "session_duration",
            format!("must not exceed the resource's session_duration_cap of {cap}s"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(op: &str, schema: &str, body: Value) -> (Option<String>, FieldErrors) {
        check_object(op, Some(schema), &body, "", Utc::now())
    }

    #[test]
    fn the_spec_rules_come_first_then_time_and_plan() {
        let (code, fields) = codes(
            "updateQurl",
            "UpdateQurlRequest",
            json!({"extend_by": "1h", "expires_at": "2000-01-01T00:00:00Z"}),
        );
        assert_eq!(code.as_deref(), Some("mutually_exclusive_fields"));
        assert!(fields.contains_key("extend_by"), "{fields:?}");
        assert_eq!(fields["expires_at"], "must be in the future");
        let (code, fields) = codes(
            "createQurl",
            "CreateQurlRequest",
            json!({"target_url": "https://a.example", "expires_in": "31d"}),
        );
        assert_eq!(code.as_deref(), Some("validation_error"));
        assert_eq!(
            fields["expires_in"],
            "must be at most 30d on the growth plan"
        );
        let (code, _) = codes(
            "createQurl",
            "CreateQurlRequest",
            json!({"target_url": "https://a.example", "expires_in": "30d"}),
        );
        assert_eq!(code, None);
    }

    #[test]
    fn items_are_named_under_their_prefix() {
        let (_, fields) = check_object(
            "createQurl",
            Some("CreateQurlRequest"),
            &json!({"target_url": "ftp://x", "expires_in": "5w"}),
            "items[2]",
            Utc::now(),
        );
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["items[2].expires_in", "items[2].target_url"]);
    }

    #[test]
    fn access_codes_only_need_a_future_time() {
        let far = (Utc::now() + secs(400 * 86_400)).to_rfc3339();
        let (code, _) = codes(
            "createAccessCode",
            "CreateAccessCodeRequest",
            json!({"resource_id": "r", "expires_at": far}),
        );
        assert_eq!(code, None);
    }

    #[test]
    fn tags_are_normalised() {
        let tags = normalise_tags(&[" A ".into(), "a".into(), "b".into()]);
        assert_eq!(tags, vec!["a", "b"]);
    }
}
