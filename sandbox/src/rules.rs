//! The rules the schema cannot say, in one place: the table of field rules per
//! operation (durations, mutually exclusive fields, timestamps, URL schemes), the
//! plan's limits, and the state checks the handlers share (custom domains, aliases,
//! tags). Everything else about a request's shape comes from `openapi.json`.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::problem::{FieldErrors, Problem};
use crate::store::Store;

// The sandbox plays the growth plan.
pub(crate) const PLAN: &str = "growth";
pub(crate) const MAX_EXPIRY_SECS: u64 = 30 * 86_400;
pub(crate) const DEFAULT_EXPIRY_SECS: u64 = 86_400;
pub(crate) const MAX_SESSION_SECS: u64 = 86_400;
pub(crate) const DEFAULT_SESSION_SECS: u64 = 3600;
pub(crate) const MAX_ACTIVE_QURLS: usize = 1000;
pub(crate) const MAX_ACTIVE_API_KEYS: usize = 50;
/// Tunnel-bootstrap API keys live at most (and by default) a day.
pub(crate) const MAX_BOOTSTRAP_KEY_SECS: u64 = 86_400;
/// A domain's verification token is valid this long.
pub(crate) const DOMAIN_TOKEN_SECS: i64 = 7 * 86_400;

/// A rule on one top-level field of a request body.
enum Rule {
    /// `<digits><unit>`, within `min..=max` seconds; `""` allowed when `empty_ok`.
    Duration {
        field: &'static str,
        units: &'static str,
        min: u64,
        max: u64,
        code: &'static str,
    },
    /// Never together (the spec's descriptions say "or", the API answers 400).
    Exclusive(&'static str, &'static str),
    /// An RFC 3339 time in the future, at most `max_ahead` seconds away.
    Future {
        field: &'static str,
        max_ahead: Option<u64>,
    },
    /// `format: uri` accepts any scheme; the API wants http(s).
    HttpUrl(&'static str),
    /// Alias words the API keeps for itself (`alias_reserved`).
    NotReserved(&'static str),
    /// A host name (`registerDomain`).
    HostName(&'static str),
    /// The only value the public API accepts for a free-form field.
    Only(&'static str, &'static str),
    /// Required although the schema cannot say so (it depends on another field).
    Present(&'static str),
    /// At least one field (the API refuses an empty change).
    NotEmpty,
    /// Required when the condition holds.
    RequiredIf(&'static str, If, &'static str),
    /// Required unless the condition holds.
    RequiredUnless(&'static str, If, &'static str),
    /// Refused unless the condition holds.
    OnlyIf(&'static str, If, &'static str),
}

/// Another field has a value (`default` when it is absent).
#[derive(Clone, Copy)]
struct If {
    field: &'static str,
    equals: &'static str,
    default: &'static str,
}

impl If {
    fn holds(&self, obj: &Map<String, Value>) -> bool {
        text(obj, self.field).unwrap_or(self.default) == self.equals
    }
}

const TUNNEL: If = If {
    field: "type",
    equals: "tunnel",
    default: "url",
};
const BOOTSTRAP: If = If {
    field: "purpose",
    equals: "tunnel_bootstrap",
    default: "",
};

const EXPIRES_IN: Rule = Rule::Duration {
    field: "expires_in",
    units: "mhdw",
    min: 60,
    max: MAX_EXPIRY_SECS,
    code: "validation_error",
};
const EXTEND_BY: Rule = Rule::Duration {
    field: "extend_by",
    units: "mhdw",
    min: 60,
    max: MAX_EXPIRY_SECS,
    code: "validation_error",
};
const SESSION: Rule = Rule::Duration {
    field: "session_duration",
    units: "smhd",
    min: 1,
    max: MAX_SESSION_SECS,
    code: "validation_error",
};
const EXPIRES_AT: Rule = Rule::Future {
    field: "expires_at",
    max_ahead: Some(MAX_EXPIRY_SECS),
};

/// Operation id -> the field rules of its body. `createQurl`'s also apply to every
/// item of `batchCreateQurls`.
const RULES: &[(&str, &[Rule])] = &[
    (
        "createQurl",
        &[
            // `type` is a free string in the spec; the public contract says `url`,
            // which makes `target_url` required.
            Rule::Only("type", "url"),
            Rule::Present("target_url"),
            Rule::HttpUrl("target_url"),
            EXPIRES_IN,
            SESSION,
        ],
    ),
    (
        "mintLink",
        &[
            Rule::Exclusive("expires_in", "expires_at"),
            EXPIRES_IN,
            EXPIRES_AT,
            SESSION,
        ],
    ),
    (
        "updateQurl",
        &[
            Rule::NotEmpty,
            Rule::Exclusive("extend_by", "expires_at"),
            EXTEND_BY,
            EXPIRES_AT,
        ],
    ),
    ("createQurlForResource", &[EXPIRES_IN, SESSION]),
    (
        "updateResourceQurl",
        &[
            Rule::Exclusive("extend_by", "expires_at"),
            EXTEND_BY,
            EXPIRES_AT,
            SESSION,
        ],
    ),
    (
        "createResource",
        &[
            Rule::RequiredIf("slug", TUNNEL, "validation_error"),
            Rule::OnlyIf("slug", TUNNEL, "validation_error"),
            Rule::RequiredUnless("target_url", TUNNEL, "validation_error"),
            Rule::HttpUrl("target_url"),
            Rule::NotReserved("alias"),
        ],
    ),
    (
        "updateResource",
        &[
            Rule::Exclusive("custom_domain", "alias"),
            Rule::NotReserved("alias"),
        ],
    ),
    ("createWebhook", &[Rule::HttpUrl("url")]),
    ("updateWebhook", &[Rule::HttpUrl("url")]),
    (
        "createAccessCode",
        &[Rule::Future {
            field: "expires_at",
            max_ahead: None,
        }],
    ),
    (
        "createApiKey",
        &[
            Rule::RequiredIf("tunnel_slug", BOOTSTRAP, "invalid_input"),
            Rule::OnlyIf("tunnel_slug", BOOTSTRAP, "invalid_input"),
            Rule::OnlyIf("expires_in", BOOTSTRAP, "invalid_input"),
            Rule::Duration {
                field: "expires_in",
                units: "smhdw",
                min: 1,
                max: MAX_BOOTSTRAP_KEY_SECS,
                code: "invalid_duration",
            },
        ],
    ),
    ("registerDomain", &[Rule::HostName("domain")]),
];

/// Operations whose `Idempotency-Key` also pins the body: the same key with another
/// body is `409 idempotency_key_reused` (the key parameter's description says so).
pub(crate) fn key_pins_body(op_id: &str) -> bool {
    op_id == "createApiKey"
}

/// Applies the operation's field rules to its (schema-valid) body.
pub(crate) fn check(op_id: &str, body: &Value, now: DateTime<Utc>) -> Result<(), Problem> {
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    let (code, errors) = check_object(op_id, obj, "", now);
    match code {
        None => Ok(()),
        Some(code) => Err(Problem::fields(
            axum::http::StatusCode::BAD_REQUEST,
            code,
            "One or more fields break the API's rules",
            errors,
        )),
    }
}

/// The first failing rule's code and every failing field (named with `prefix`).
pub(crate) fn check_object(
    op_id: &str,
    obj: &Map<String, Value>,
    prefix: &str,
    now: DateTime<Utc>,
) -> (Option<&'static str>, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut first = None;
    let rules = RULES
        .iter()
        .find(|(id, _)| *id == op_id)
        .map_or(&[][..], |(_, r)| *r);
    for rule in rules {
        if let Some((field, code, message)) = broken(rule, obj, now) {
            first.get_or_insert(code);
            errors.entry(format!("{prefix}{field}")).or_insert(message);
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
) -> Option<(&'static str, &'static str, String)> {
    match *rule {
        Rule::Duration {
            field,
            units,
            min,
            max,
            code,
        } => {
            let s = text(obj, field)?;
            if s.is_empty() && field == "session_duration" {
                return None; // "" means "the resource's cap"
            }
            match parse_duration(s, units) {
                Some(secs) if (min..=max).contains(&secs) => None,
                Some(_) => Some((
                    field,
                    code,
                    format!("must be between {} and {}", human(min), human(max)),
                )),
                None => Some((
                    field,
                    code,
                    format!("must be a number followed by one of the units `{units}` (e.g. 24h)"),
                )),
            }
        }
        Rule::Exclusive(a, b) => (obj.contains_key(a) && obj.contains_key(b)).then(|| {
            (
                a,
                "mutually_exclusive_fields",
                format!("cannot be combined with {b}"),
            )
        }),
        Rule::Only(field, only) => {
            let value = text(obj, field)?;
            (value != only).then(|| (field, "validation_error", format!("must be \"{only}\"")))
        }
        Rule::NotEmpty => obj.is_empty().then(|| {
            (
                "body",
                "invalid_request",
                "must change at least one field".into(),
            )
        }),
        Rule::RequiredIf(field, cond, code) => {
            (cond.holds(obj) && !obj.contains_key(field)).then(|| {
                (
                    field,
                    code,
                    format!("is required when {} is {}", cond.field, cond.equals),
                )
            })
        }
        Rule::RequiredUnless(field, cond, code) => (!cond.holds(obj) && !obj.contains_key(field))
            .then(|| {
                (
                    field,
                    code,
                    format!("is required unless {} is {}", cond.field, cond.equals),
                )
            }),
        Rule::OnlyIf(field, cond, code) => {
            (!cond.holds(obj) && obj.contains_key(field)).then(|| {
                (
                    field,
                    code,
                    format!("is only accepted when {} is {}", cond.field, cond.equals),
                )
            })
        }
        Rule::Present(field) => {
            (!obj.contains_key(field)).then(|| (field, "validation_error", "is required".into()))
        }
        Rule::Future { field, max_ahead } => {
            let at = parse_time(text(obj, field)?)?;
            if at <= now {
                Some((field, "validation_error", "must be in the future".into()))
            } else if max_ahead.is_some_and(|m| at > now + secs(m)) {
                Some((
                    field,
                    "validation_error",
                    "must be within 30 days from now".into(),
                ))
            } else {
                None
            }
        }
        Rule::HttpUrl(field) => {
            let url = text(obj, field)?;
            (!is_http_url(url)).then(|| {
                (
                    field,
                    "validation_error",
                    "must be an absolute http or https URL".into(),
                )
            })
        }
        Rule::NotReserved(field) => {
            let alias = text(obj, field)?;
            RESERVED_ALIASES
                .split_whitespace()
                .any(|w| w == alias)
                .then(|| (field, "alias_reserved", "is a reserved word".into()))
        }
        Rule::HostName(field) => {
            let host = text(obj, field)?;
            (!is_host_name(host)).then(|| {
                (
                    field,
                    "validation_error",
                    "must be a host name such as links.example.com".into(),
                )
            })
        }
    }
}

/// Alias words the API keeps for itself (the Python SDK's copy of the list).
const RESERVED_ALIASES: &str = "setalias unsetalias get aliases admin claim register agent \
    knock token bootstrap status info whoami revoke delete enable disable audit version \
    health create new list help all frpc frps tunnel qurl me";

/// `<digits><unit>` in seconds; `None` for bad syntax or overflow.
pub(crate) fn parse_duration(s: &str, units: &str) -> Option<u64> {
    let unit = s.chars().last()?;
    if !units.contains(unit) {
        return None;
    }
    let digits = &s[..s.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    n.checked_mul(scale)
}

fn human(secs: u64) -> String {
    match secs {
        s if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        s if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        s if s.is_multiple_of(60) => format!("{}m", s / 60),
        s => format!("{s}s"),
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

fn is_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
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
        .is_some_and(|d| d.owner == owner && d.status == "active");
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

    fn codes(op: &str, body: Value) -> (Option<&'static str>, FieldErrors) {
        check_object(op, body.as_object().unwrap(), "", Utc::now())
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h", "mhdw"), Some(86_400));
        assert_eq!(parse_duration("24s", "mhdw"), None);
        assert_eq!(parse_duration("h", "mhdw"), None);
        assert!(
            codes("createQurl", json!({"expires_in": "31d"}))
                .1
                .contains_key("expires_in")
        );
        assert!(
            codes(
                "createQurl",
                json!({"target_url": "https://a.example", "expires_in": "30d"})
            )
            .0
            .is_none()
        );
        let (code, _) = codes(
            "createApiKey",
            json!({"purpose": "tunnel_bootstrap", "tunnel_slug": "edge", "expires_in": "2d"}),
        );
        assert_eq!(code, Some("invalid_duration"));
    }

    #[test]
    fn mutually_exclusive_fields() {
        let (code, fields) = codes(
            "updateQurl",
            json!({"extend_by": "1h", "expires_at": "2999-01-01T00:00:00Z"}),
        );
        assert_eq!(code, Some("mutually_exclusive_fields"));
        assert!(fields.contains_key("extend_by"));
        let (code, _) = codes(
            "updateResource",
            json!({"custom_domain": "a.example.com", "alias": "docs"}),
        );
        assert_eq!(code, Some("mutually_exclusive_fields"));
    }

    #[test]
    fn urls_hosts_and_aliases() {
        let table = [
            (
                "createQurl",
                json!({"target_url": "ftp://x"}),
                Some("validation_error"),
            ),
            (
                "createQurl",
                json!({"target_url": "https://x.example"}),
                None,
            ),
            (
                "registerDomain",
                json!({"domain": "Bad Host"}),
                Some("validation_error"),
            ),
            (
                "registerDomain",
                json!({"domain": "links.example.com"}),
                None,
            ),
            (
                "createResource",
                json!({"target_url": "https://x.example", "alias": "admin"}),
                Some("alias_reserved"),
            ),
        ];
        for (op, body, code) in table {
            assert_eq!(codes(op, body.clone()).0, code, "{op} {body}");
        }
    }

    #[test]
    fn fields_that_depend_on_another() {
        let table = [
            ("createResource", json!({"type": "tunnel"}), Some("slug")),
            (
                "createResource",
                json!({"target_url": "https://x.example", "slug": "a-b"}),
                Some("slug"),
            ),
            (
                "createResource",
                json!({"type": "transit"}),
                Some("target_url"),
            ),
            (
                "createResource",
                json!({"type": "tunnel", "slug": "a-b"}),
                None,
            ),
            (
                "createApiKey",
                json!({"expires_in": "1h"}),
                Some("expires_in"),
            ),
            (
                "createApiKey",
                json!({"purpose": "tunnel_bootstrap"}),
                Some("tunnel_slug"),
            ),
            (
                "createApiKey",
                json!({"purpose": "tunnel_bootstrap", "tunnel_slug": "a-b"}),
                None,
            ),
        ];
        for (op, body, field) in table {
            let (_, fields) = codes(op, body.clone());
            assert_eq!(
                fields.keys().next().map(String::as_str),
                field,
                "{op} {body}"
            );
        }
    }

    #[test]
    fn tags_are_normalised() {
        let tags = normalise_tags(&[" A ".into(), "a".into(), "b".into()]);
        assert_eq!(tags, vec!["a", "b"]);
    }
}
