//! Request-body parsing and the field rules shared by several endpoints.
//!
//! Bodies are parsed into `serde_json::Value` and checked by hand so that every
//! mistake becomes a problem+json answer with the field named, never a panic.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::problem::{FieldErrors, Problem};

pub(crate) type Obj = Map<String, Value>;

pub(crate) const MAX_SESSION_SECS: u64 = 24 * 3600;
pub(crate) const MAX_EXPIRY_SECS: u64 = 30 * 24 * 3600;
pub(crate) const MIN_EXPIRY_SECS: u64 = 60;

/// Parses a JSON object body; an empty body is an error.
pub(crate) fn object(body: &[u8]) -> Result<Obj, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::invalid_request("A JSON request body is required"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Problem::invalid_request(
            "The request body must be a JSON object",
        )),
        Err(e) => Err(Problem::invalid_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// Like [`object`], but an empty body means `{}`.
pub(crate) fn object_or_empty(body: &[u8]) -> Result<Obj, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Obj::new())
    } else {
        object(body)
    }
}

/// Reads optional fields of one object, collecting messages per field.
pub(crate) struct Fields<'a> {
    obj: &'a Obj,
    pub errors: FieldErrors,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(obj: &'a Obj) -> Self {
        Fields {
            obj,
            errors: FieldErrors::new(),
        }
    }

    pub(crate) fn fail(&mut self, field: &str, msg: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_insert_with(|| msg.into());
    }

    /// The value, treating JSON `null` as absent.
    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    pub(crate) fn present(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub(crate) fn string(&mut self, field: &str, max_chars: usize) -> Option<String> {
        match self.get(field)? {
            Value::String(s) if s.chars().count() <= max_chars => Some(s.clone()),
            Value::String(_) => {
                self.fail(field, format!("must be at most {max_chars} characters"));
                None
            }
            _ => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.get(field)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.fail(field, "must be a boolean");
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        match self.get(field)?.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.fail(field, format!("must be an integer between {min} and {max}"));
                None
            }
        }
    }

    /// A duration string limited to `units` and to `min..=max` seconds.
    pub(crate) fn duration(&mut self, field: &str, units: &str, min: u64, max: u64) -> Option<u64> {
        let s = self.string(field, 32)?;
        match parse_duration(&s, units) {
            Some(secs) if (min..=max).contains(&secs) => Some(secs),
            Some(_) => {
                self.fail(
                    field,
                    format!("must be between {} and {}", human(min), human(max)),
                );
                None
            }
            None => {
                self.fail(
                    field,
                    format!("must be a number followed by one of the units `{units}` (e.g. 24h)"),
                );
                None
            }
        }
    }

    /// An RFC 3339 timestamp.
    pub(crate) fn timestamp(&mut self, field: &str) -> Option<DateTime<Utc>> {
        let s = self.string(field, 64)?;
        let parsed = parse_timestamp(&s);
        if parsed.is_none() {
            self.fail(field, "must be an RFC 3339 timestamp");
        }
        parsed
    }

    /// Field names present in the body but not in `allowed`.
    pub(crate) fn reject_unknown(&mut self, allowed: &[&str]) {
        let unknown: Vec<String> = self
            .obj
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            self.fail(&k, "unknown field");
        }
    }
}

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

pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An absolute expiry: in the future and at most 30 days ahead.
pub(crate) fn check_future_expiry(
    f: &mut Fields<'_>,
    field: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let at = f.timestamp(field)?;
    let max = now + chrono::Duration::seconds(MAX_EXPIRY_SECS as i64);
    if at <= now {
        f.fail(field, "must be in the future");
        None
    } else if at > max {
        f.fail(field, "must be within 30 days from now");
        None
    } else {
        Some(at)
    }
}

/// An absolute http(s) URL of at most 2048 characters.
pub(crate) fn check_target_url(url: &str) -> Result<(), &'static str> {
    if url.chars().count() > 2048 {
        return Err("must be at most 2048 characters");
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must be an absolute http or https URL")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be an absolute http or https URL");
    }
    Ok(())
}

/// `^[a-z][a-z0-9-]{1,62}[a-z0-9]$`
pub(crate) fn is_slug(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=64).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

const AI_AGENT_CATEGORIES: [&str; 13] = [
    "chatgpt",
    "gptbot",
    "claude",
    "gemini",
    "perplexity",
    "cohere",
    "meta",
    "bytedance",
    "amazon",
    "apple",
    "commoncrawl",
    "mistral",
    "generic_ai",
];

/// Checks an `AccessPolicy` object; messages are keyed `access_policy.<field>`.
pub(crate) fn check_access_policy(f: &mut Fields<'_>, field: &str) -> Option<Value> {
    let v = f.get(field)?;
    let Value::Object(policy) = v else {
        f.fail(field, "must be an object");
        return None;
    };
    let mut ok = true;
    let mut fail = |f: &mut Fields<'_>, sub: &str, msg: &str| {
        f.fail(&format!("{field}.{sub}"), msg);
        ok = false;
    };
    for (name, max) in [("ip_allowlist", 100), ("ip_denylist", 100)] {
        match policy.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items))
                if items.len() <= max && items.iter().all(Value::is_string) => {}
            Some(_) => fail(
                f,
                name,
                "must be a list of at most 100 IP addresses or CIDR ranges",
            ),
        }
    }
    for name in ["geo_allowlist", "geo_denylist"] {
        match policy.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items))
                if items.len() <= 50
                    && items.iter().all(|i| {
                        i.as_str().is_some_and(|s| {
                            s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
                        })
                    }) => {}
            Some(_) => fail(
                f,
                name,
                "must be a list of at most 50 ISO 3166-1 alpha-2 codes",
            ),
        }
    }
    for name in ["user_agent_allow_regex", "user_agent_deny_regex"] {
        match policy.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() <= 256 => {}
            Some(_) => fail(f, name, "must be a string of at most 256 characters"),
        }
    }
    match policy.get("ai_agent_policy") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ai)) => {
            if !matches!(
                ai.get("block_all"),
                None | Some(Value::Null) | Some(Value::Bool(_))
            ) {
                fail(f, "ai_agent_policy.block_all", "must be a boolean");
            }
            for name in ["deny_categories", "allow_categories"] {
                match ai.get(name) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items))
                        if items.len() <= 20
                            && items.iter().all(|i| {
                                i.as_str().is_some_and(|s| AI_AGENT_CATEGORIES.contains(&s))
                            }) => {}
                    Some(_) => fail(
                        f,
                        &format!("ai_agent_policy.{name}"),
                        "must be a list of at most 20 known AI agent categories",
                    ),
                }
            }
        }
        Some(_) => fail(f, "ai_agent_policy", "must be an object"),
    }
    ok.then(|| v.clone())
}

/// Tags as stored: trimmed, lower-cased, de-duplicated; at most 10 of 1–50 characters.
pub(crate) fn check_tags(f: &mut Fields<'_>, field: &str) -> Option<Vec<String>> {
    let v = f.get(field)?;
    let Value::Array(items) = v else {
        f.fail(field, "must be a list of strings");
        return None;
    };
    if items.len() > 10 {
        f.fail(field, "must contain at most 10 tags");
        return None;
    }
    let mut tags: Vec<String> = Vec::new();
    for item in items {
        let Some(s) = item.as_str() else {
            f.fail(field, "must be a list of strings");
            return None;
        };
        let valid_shape = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_' || c == '-');
        if !(1..=50).contains(&s.chars().count()) || !valid_shape {
            f.fail(
                field,
                "each tag must be 1-50 characters: letters, digits, spaces, `_` or `-`, starting with a letter or digit",
            );
            return None;
        }
        let tag = s.trim().to_lowercase();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Some(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h", "mhdw"), Some(86_400));
        assert_eq!(parse_duration("1w", "mhdw"), Some(604_800));
        assert_eq!(parse_duration("30s", "mhdw"), None);
        assert_eq!(parse_duration("h", "mhdw"), None);
        assert_eq!(parse_duration("", "mhdw"), None);
        assert_eq!(parse_duration("-1h", "mhdw"), None);
        assert_eq!(
            parse_duration("999999999999w", "mhdw"),
            Some(999_999_999_999 * 604_800)
        );
        assert_eq!(parse_duration("5é", "mhdw"), None);
    }

    #[test]
    fn urls() {
        assert!(check_target_url("https://example.com/a?b").is_ok());
        assert!(check_target_url("ftp://example.com").is_err());
        assert!(check_target_url("https://").is_err());
        assert!(check_target_url("https://a b").is_err());
    }

    #[test]
    fn slugs() {
        assert!(is_slug("my-tunnel"));
        assert!(!is_slug("ab"));
        assert!(!is_slug("My-tunnel"));
        assert!(!is_slug("tunnel-"));
        assert!(!is_slug("1tunnel"));
    }

    #[test]
    fn bodies() {
        assert!(object(b"").is_err());
        assert!(object(b"[]").is_err());
        assert!(object(b"{").is_err());
        assert!(object_or_empty(b"").unwrap().is_empty());
    }
}
