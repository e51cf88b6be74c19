//! The rules as plain JSON Schema, for tools that read only JSON Schema (a
//! fuzzer such as schemathesis). [`fuzz_profile`] returns a copy of the spec
//! in which each schema's `x-qurl-rules` are also written as `allOf`,
//! `anyOf`, `not`, `enum` and `pattern`, meaning exactly what
//! [`crate::check`] enforces, so a fuzzer generates bodies that keep the
//! rules and knows a body that breaks one must be refused. The spec itself
//! states each rule once; this rendering is derived from it, never edited.

use serde_json::{Value, json};

use crate::spec::{EXTENSION, spec_rules};
use crate::types::{Kind, When};

/// A copy of `doc` with every rule also said in JSON Schema.
pub fn fuzz_profile(doc: &Value) -> Result<Value, String> {
    let stated = spec_rules(doc)?;
    let mut out = doc.clone();
    for (name, rules) in stated {
        let Some(schema) = out.pointer_mut(&format!("/components/schemas/{name}")) else {
            continue;
        };
        let Some(object) = schema.as_object_mut() else {
            continue;
        };
        let mut all: Vec<Value> = object
            .remove("allOf")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        all.extend(rules.iter().map(|r| as_json_schema(&r.rule.kind)));
        object.insert("allOf".into(), Value::Array(all));
        object.remove(EXTENSION);
    }
    Ok(out)
}

/// Present and not `null`, as the interpreter counts it.
fn present(field: &str) -> Value {
    json!({"required": [field], "properties": {field: {"not": {"enum": [null]}}}})
}

fn absent(field: &str) -> Value {
    json!({"not": present(field)})
}

/// The condition holds: the field equals the value, or is absent and its
/// default does.
fn holds(w: &When) -> Value {
    let equal =
        json!({"required": [w.field], "properties": {w.field.as_ref(): {"enum": [w.equals]}}});
    if w.default.as_deref() == Some(w.equals.as_ref()) {
        json!({"anyOf": [equal, absent(&w.field)]})
    } else {
        equal
    }
}

fn as_json_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Exclusive { fields } => {
            let pairs: Vec<Value> = fields
                .iter()
                .enumerate()
                .flat_map(|(i, a)| fields[i + 1..].iter().map(move |b| (a, b)))
                .map(|(a, b)| json!({"not": {"allOf": [present(a), present(b)]}}))
                .collect();
            json!({"allOf": pairs})
        }
        Kind::RequiredIf { field, when } => {
            json!({"anyOf": [present(field), {"not": holds(when)}]})
        }
        Kind::RequiredUnless { field, when } => json!({"anyOf": [present(field), holds(when)]}),
        Kind::OnlyIf { field, when } => json!({"anyOf": [absent(field), holds(when)]}),
        Kind::HttpUrl { field } => string_rule(field, json!({"pattern": HTTP_URL})),
        Kind::OneOf { field, values } => {
            let listed = json!({"enum": values});
            string_rule(
                field,
                json!({"anyOf": [listed, {"type": "array", "items": {"anyOf": [{"not": {"type": "string"}}, listed]}}]}),
            )
        }
        Kind::NotOneOf { field, values } => string_rule(field, json!({"not": {"enum": values}})),
        Kind::Duration {
            field,
            min_seconds,
            max_seconds,
        } => {
            let within = duration_pattern(min_seconds.unwrap_or(0), *max_seconds);
            string_rule(
                field,
                json!({"anyOf": [{"not": {"pattern": ANY_DURATION}}, {"pattern": within}]}),
            )
        }
        Kind::MinProperties { count } => json!({"minProperties": count}),
        Kind::Range {
            field,
            minimum,
            maximum,
        } => {
            let bound = keywords([
                ("minimum", minimum.map(|m| json!(m))),
                ("maximum", maximum.map(|m| json!(m))),
            ]);
            typed_rule(field, "integer", bound)
        }
        Kind::Items {
            field,
            min_items,
            max_items,
            unique,
        } => {
            let bound = keywords([
                ("minItems", min_items.map(|m| json!(m))),
                ("maxItems", max_items.map(|m| json!(m))),
                ("uniqueItems", Some(json!(unique))),
            ]);
            typed_rule(field, "array", bound)
        }
    }
}

/// A schema of the keywords that have a value.
fn keywords<const N: usize>(pairs: [(&str, Option<Value>); N]) -> Value {
    let set = pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)));
    Value::Object(set.collect())
}

/// `rule` on the field when it has JSON type `ty`; other types are the schema's.
fn typed_rule(field: &str, ty: &str, rule: Value) -> Value {
    json!({"properties": {field: {"anyOf": [{"not": {"type": ty}}, rule]}}})
}

/// `rule` on the field when it is a string; other types are the schema's.
fn string_rule(field: &str, rule: Value) -> Value {
    typed_rule(field, "string", rule)
}

/// What `is_http_url` accepts: http(s), then a host (the part after any
/// `user@`, not empty, not starting with a port), no spaces or controls.
const HTTP_URL: &str = r"^https?://(?:[^/?#\s\x00-\x1f\x7f]*@)?[^/?#@:\s\x00-\x1f\x7f][^/?#@\s\x00-\x1f\x7f]*(?:[/?#][^\s\x00-\x1f\x7f]*)?$";

/// Any `<digits><unit>` the interpreter reads as a duration.
const ANY_DURATION: &str = "^[0-9]+[smhdw]$";

/// Durations within `min..=max` seconds (leading zeros allowed).
fn duration_pattern(min: u64, max: Option<u64>) -> String {
    let units = [
        ('s', 1u64),
        ('m', 60),
        ('h', 3600),
        ('d', 86_400),
        ('w', 604_800),
    ];
    let mut alternatives = Vec::new();
    for (unit, scale) in units {
        let low = min.div_ceil(scale);
        let high = max.map(|m| m / scale);
        if high.is_some_and(|h| h < low) {
            continue;
        }
        alternatives.push(format!("(?:{}){unit}", number_pattern(low, high)));
    }
    format!("^0*(?:{})$", alternatives.join("|"))
}

/// Decimal numbers (without leading zeros, `0` as `0` or nothing after the
/// caller's `0*`) from `low` to `high` (unbounded when `None`).
pub(crate) fn number_pattern(low: u64, high: Option<u64>) -> String {
    let mut parts = Vec::new();
    let mut from = low;
    if from == 0 {
        parts.push("0?".to_owned());
        from = 1;
    }
    let digits = |n: u64| n.to_string().len() as u32;
    let top = high.map_or(digits(from), digits);
    for width in digits(from)..=top {
        let a = from.max(10u64.pow(width - 1));
        let b = high.map_or(10u64.pow(width) - 1, |h| {
            h.min(10u64.saturating_pow(width) - 1)
        });
        if a <= b {
            parts.extend(same_width(&a.to_string(), &b.to_string()));
        }
    }
    if high.is_none() {
        parts.push(format!("[1-9][0-9]{{{},}}", top));
    }
    parts.join("|")
}

/// Patterns for the numbers from `a` to `b`, written with the same number of
/// digits.
fn same_width(a: &str, b: &str) -> Vec<String> {
    let (a0, b0) = (a.as_bytes()[0] - b'0', b.as_bytes()[0] - b'0');
    let (ra, rb) = (&a[1..], &b[1..]);
    let n = ra.len();
    let class = |x: u8, y: u8| {
        if x == y {
            x.to_string()
        } else {
            format!("[{x}-{y}]")
        }
    };
    if n == 0 {
        return vec![class(a0, b0)];
    }
    if a0 == b0 {
        return same_width(ra, rb)
            .into_iter()
            .map(|p| format!("{a0}(?:{p})"))
            .collect();
    }
    let mut out = Vec::new();
    let mut start = a0;
    if ra.bytes().any(|c| c != b'0') {
        let nines = "9".repeat(n);
        out.extend(
            same_width(ra, &nines)
                .into_iter()
                .map(|p| format!("{a0}(?:{p})")),
        );
        start += 1;
    }
    let mut end = b0;
    let mut upper = Vec::new();
    if rb.bytes().any(|c| c != b'9') {
        let zeros = "0".repeat(n);
        upper.extend(
            same_width(&zeros, rb)
                .into_iter()
                .map(|p| format!("{b0}(?:{p})")),
        );
        end -= 1;
    }
    if start <= end {
        out.push(format!("{}[0-9]{{{n}}}", class(start, end)));
    }
    out.extend(upper);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The patterns were checked against every number up to the bound (and
    // 20,000 random larger ones) with Python's `re`; these pin them.
    #[test]
    fn numbers_in_a_range() {
        assert_eq!(number_pattern(0, Some(0)), "0?");
        assert_eq!(number_pattern(1, Some(9)), "[1-9]");
        assert_eq!(number_pattern(12, Some(12)), "1(?:2)");
        assert_eq!(
            number_pattern(19, Some(91)),
            "1(?:9)|[2-8][0-9]{1}|9(?:[0-1])"
        );
        assert_eq!(
            number_pattern(1, Some(43_200)),
            "[1-9]|[1-9][0-9]{1}|[1-9][0-9]{2}|[1-9][0-9]{3}|[1-3][0-9]{4}|4(?:[0-2][0-9]{3})|4(?:3(?:[0-1][0-9]{2}))|4(?:3(?:2(?:0(?:0))))"
        );
        assert_eq!(number_pattern(1, None), "[1-9]|[1-9][0-9]{1,}");
        assert_eq!(
            number_pattern(123, None),
            "1(?:2(?:[3-9]))|1(?:[3-9][0-9]{1})|[2-9][0-9]{2}|[1-9][0-9]{3,}"
        );
    }

    #[test]
    fn durations_in_a_range_per_unit() {
        // 1s..1d: every unit but weeks, days only `1`.
        let p = duration_pattern(1, Some(86_400));
        assert!(p.starts_with("^0*(?:(?:[1-9]|"), "{p}");
        assert!(p.ends_with("|(?:1)d)$"), "{p}");
        assert!(!p.contains('w'), "{p}");
        // At least a minute, no maximum: seconds from 60 up.
        let p = duration_pattern(60, None);
        assert!(
            p.starts_with("^0*(?:(?:[6-9][0-9]{1}|[1-9][0-9]{2,})s|(?:[1-9]|[1-9][0-9]{1,})m|"),
            "{p}"
        );
    }

    #[test]
    fn the_profile_says_each_rule_in_json_schema() {
        let doc = json!({"components": {"schemas": {"S": {
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "t": {"type": "string"}},
            "allOf": [{"required": ["t"]}],
            "x-qurl-rules": [
                {"rule": "exclusive", "fields": ["a", "b"], "code": "c", "evidence": "e", "breaks": {}},
                {"rule": "required_if", "field": "a", "when": {"field": "t", "equals": "x", "default": "x"}, "code": "c", "evidence": "e", "breaks": {}},
                {"rule": "only_if", "field": "b", "when": {"field": "t", "equals": "y"}, "code": "c", "evidence": "e", "breaks": {}},
                {"rule": "not_one_of", "field": "a", "values": ["admin"], "code": "c", "evidence": "e", "breaks": {}},
            ],
        }}}});
        let out = fuzz_profile(&doc).unwrap();
        let s = &out["components"]["schemas"]["S"];
        assert!(s.get(EXTENSION).is_none(), "the extension is replaced");
        let all = s["allOf"].as_array().unwrap();
        assert_eq!(all.len(), 5, "the schema's own allOf is kept: {all:#?}");
        assert_eq!(all[0], json!({"required": ["t"]}));
        assert_eq!(
            all[1]["allOf"][0]["not"]["allOf"],
            json!([present("a"), present("b")])
        );
        let when_x = json!({"anyOf": [
            {"required": ["t"], "properties": {"t": {"enum": ["x"]}}},
            absent("t"),
        ]});
        assert_eq!(all[2], json!({"anyOf": [present("a"), {"not": when_x}]}));
        assert_eq!(
            all[3]["anyOf"][1],
            json!({"required": ["t"], "properties": {"t": {"enum": ["y"]}}})
        );
        assert_eq!(
            all[4]["properties"]["a"]["anyOf"][1],
            json!({"not": {"enum": ["admin"]}})
        );
        assert_eq!(
            present("a")["properties"]["a"],
            json!({"not": {"enum": [null]}})
        );
        assert_eq!(
            absent("a"),
            json!({"not": {"required": ["a"], "properties": {"a": {"not": {"enum": [null]}}}}})
        );
    }

    #[test]
    fn the_other_kinds_in_json_schema() {
        use std::borrow::Cow;
        let range = as_json_schema(&Kind::Range {
            field: "n".into(),
            minimum: Some(0),
            maximum: None,
        });
        assert_eq!(
            range,
            json!({"properties": {"n": {"anyOf": [{"not": {"type": "integer"}}, {"minimum": 0}]}}})
        );
        let items = as_json_schema(&Kind::Items {
            field: "t".into(),
            min_items: None,
            max_items: Some(3),
            unique: true,
        });
        assert_eq!(
            items["properties"]["t"]["anyOf"][1],
            json!({"maxItems": 3, "uniqueItems": true})
        );
        assert_eq!(
            as_json_schema(&Kind::MinProperties { count: 1 }),
            json!({"minProperties": 1})
        );
        let url = as_json_schema(&Kind::HttpUrl { field: "u".into() });
        assert_eq!(
            url["properties"]["u"]["anyOf"][1],
            json!({"pattern": HTTP_URL})
        );
        let one_of = as_json_schema(&Kind::OneOf {
            field: "k".into(),
            values: Cow::Owned(vec!["a".into()]),
        });
        assert_eq!(
            one_of["properties"]["k"]["anyOf"][1]["anyOf"][0],
            json!({"enum": ["a"]})
        );
        let unless = as_json_schema(&Kind::RequiredUnless {
            field: "f".into(),
            when: When {
                field: "t".into(),
                equals: "x".into(),
                default: None,
            },
        });
        assert_eq!(
            unless,
            json!({"anyOf": [present("f"), {"required": ["t"], "properties": {"t": {"enum": ["x"]}}}]})
        );
        let duration = as_json_schema(&Kind::Duration {
            field: "d".into(),
            min_seconds: Some(60),
            max_seconds: Some(120),
        });
        let within = duration["properties"]["d"]["anyOf"][1]["anyOf"][1]["pattern"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(within, duration_pattern(60, Some(120)));
        assert_eq!(
            within,
            "^0*(?:(?:[6-9][0-9]{1}|1(?:[0-1][0-9]{1})|1(?:2(?:0)))s|(?:[1-2])m)$"
        );
    }
}
