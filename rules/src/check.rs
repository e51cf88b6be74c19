//! The interpreter: which rules a JSON value breaks.

use std::fmt;

use serde_json::Value;

use crate::types::{Kind, SchemaRules, Text, When};
use crate::view::{Field, Object};

/// A broken rule: the field (a JSON path such as `items[2].expires_at`, or
/// `body` for the object itself), the API's error code, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub code: Text,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

/// Every rule `value`, an instance of `schema`, breaks, including those of the
/// objects nested in it, in the table's order. A schema the table does not
/// name has no rules; a value that is not an object breaks none (its shape is
/// JSON Schema's business).
pub fn check(table: &[SchemaRules], schema: &str, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(obj) = value.as_object() {
        walk(table, schema, obj, "", true, &mut out);
    }
    out
}

/// The rules of `schema` itself that `value` breaks, not those of the
/// objects nested in it, with fields named under `prefix` (`""` for none):
/// for a server that reports a list's items one by one.
pub fn check_own(
    table: &[SchemaRules],
    schema: &str,
    value: &Value,
    prefix: &str,
) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(obj) = value.as_object() {
        walk(table, schema, obj, prefix, false, &mut out);
    }
    out
}

/// The first rule `value` breaks, if any.
pub fn check_first(table: &[SchemaRules], schema: &str, value: &Value) -> Option<Violation> {
    check(table, schema, value).into_iter().next()
}

/// The first rule `body`, an instance of `schema` seen through [`Object`]
/// (a typed body, say), breaks, if any.
pub fn check_object(table: &[SchemaRules], schema: &str, body: &dyn Object) -> Option<Violation> {
    let mut out = Vec::new();
    walk(table, schema, body, "", true, &mut out);
    out.into_iter().next()
}

fn walk(
    table: &[SchemaRules],
    schema: &str,
    obj: &dyn Object,
    prefix: &str,
    nested: bool,
    out: &mut Vec<Violation>,
) {
    let Some(entry) = table.iter().find(|s| s.schema == schema) else {
        return;
    };
    for rule in entry.rules.iter() {
        if let Some((field, message)) = broken(&rule.kind, obj) {
            let field = match field {
                Named::Object if prefix.is_empty() => "body".to_owned(),
                Named::Object => prefix.to_owned(),
                Named::Field(f) => join(prefix, f),
                Named::Item(f, i) => format!("{}[{i}]", join(prefix, f)),
            };
            out.push(Violation {
                field,
                code: rule.code.clone(),
                message,
            });
        }
    }
    if !nested {
        return;
    }
    for nested in entry.nested.iter() {
        let path = join(prefix, &nested.property);
        match (nested.list, obj.get(&nested.property)) {
            (true, Field::List(items)) => {
                for i in 0..items.count() {
                    if let Field::Object(item) = items.item(i) {
                        let at = format!("{path}[{i}]");
                        walk(table, &nested.schema, item, &at, true, out);
                    }
                }
            }
            (false, Field::Object(inner)) => walk(table, &nested.schema, inner, &path, true, out),
            _ => {}
        }
    }
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

fn text<'a>(obj: &'a dyn Object, field: &str) -> Option<&'a str> {
    match obj.get(field) {
        Field::Str(s) => Some(s),
        _ => None,
    }
}

impl When {
    fn holds(&self, obj: &dyn Object) -> bool {
        text(obj, &self.field).or(self.default.as_deref()) == Some(self.equals.as_ref())
    }
}

/// The field a broken rule names (`None`: the object itself) and why.
fn broken<'k>(kind: &'k Kind, obj: &dyn Object) -> Option<(Named<'k>, String)> {
    let present = |f: &str| obj.get(f).is_present();
    match kind {
        Kind::Exclusive { fields } => {
            let mut set = fields.iter().filter(|f| present(f));
            let first = set.next()?;
            let second = set.next()?;
            Some((
                Named::Field(second),
                format!("cannot be combined with {first}"),
            ))
        }
        Kind::RequiredIf { field, when } => (when.holds(obj) && !present(field)).then(|| {
            (
                Named::Field(field),
                format!("is required when {} is {}", when.field, when.equals),
            )
        }),
        Kind::RequiredUnless { field, when } => (!when.holds(obj) && !present(field)).then(|| {
            (
                Named::Field(field),
                format!("is required unless {} is {}", when.field, when.equals),
            )
        }),
        Kind::OnlyIf { field, when } => (!when.holds(obj) && present(field)).then(|| {
            (
                Named::Field(field),
                format!("is only accepted when {} is {}", when.field, when.equals),
            )
        }),
        Kind::HttpUrl { field } => {
            let url = text(obj, field)?;
            (!is_http_url(url)).then(|| {
                (
                    Named::Field(field),
                    "must be an absolute http or https URL".to_owned(),
                )
            })
        }
        Kind::OneOf { field, values } => {
            let listed = |v: &str| values.iter().any(|x| x == v);
            let message = || {
                let allowed: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                match allowed.as_slice() {
                    [only] => format!("must be {only}"),
                    _ => format!("must be one of {}", allowed.join(", ")),
                }
            };
            match obj.get(field) {
                Field::Str(v) => (!listed(v)).then(|| (Named::Field(field), message())),
                Field::List(items) => (0..items.count()).find_map(|i| {
                    let Field::Str(v) = items.item(i) else {
                        return None;
                    };
                    (!listed(v)).then(|| (Named::Item(field, i), format!("\"{v}\": {}", message())))
                }),
                _ => None,
            }
        }
        Kind::NotOneOf { field, values } => {
            let value = text(obj, field)?;
            values.iter().any(|v| v == value).then(|| {
                (
                    Named::Field(field),
                    format!("\"{value}\" is a reserved word"),
                )
            })
        }
        Kind::Duration {
            field,
            min_seconds,
            max_seconds,
        } => {
            let seconds = duration_seconds(text(obj, field)?)?;
            let low = min_seconds.is_some_and(|m| seconds < m);
            let high = max_seconds.is_some_and(|m| seconds > m);
            (low || high).then(|| (Named::Field(field), bounds(*min_seconds, *max_seconds)))
        }
        Kind::MinProperties { count } => {
            let set = obj.set_count() as u64;
            (set < *count).then(|| {
                let noun = if *count == 1 { "field" } else { "fields" };
                (Named::Object, format!("must set at least {count} {noun}"))
            })
        }
        Kind::Range {
            field,
            minimum,
            maximum,
        } => {
            let Field::Int(n) = obj.get(field) else {
                return None;
            };
            let low = minimum.is_some_and(|m| n < m);
            let high = maximum.is_some_and(|m| n > m);
            (low || high).then(|| {
                let rule = limits(*minimum, *maximum);
                (
                    Named::Field(field),
                    format!("{n} is out of range: the spec says {rule}"),
                )
            })
        }
        Kind::Items {
            field,
            min_items,
            max_items,
            unique,
        } => {
            let Field::List(items) = obj.get(field) else {
                return None;
            };
            let n = items.count() as u64;
            if min_items.is_some_and(|m| n < m) || max_items.is_some_and(|m| n > m) {
                let rule = limits(*min_items, *max_items);
                return Some((
                    Named::Field(field),
                    format!("{n} items, but the spec allows {rule}"),
                ));
            }
            if !*unique {
                return None;
            }
            let repeated = (0..items.count()).find(|&i| (0..i).any(|j| items.same(j, i)))?;
            let value = items.item(repeated).to_json();
            Some((
                Named::Item(field, repeated),
                format!("{value} is already in the list"),
            ))
        }
    }
}

/// What a broken rule names: a field, one item of a list field, or the
/// object itself.
enum Named<'k> {
    Field(&'k str),
    Item(&'k str, usize),
    Object,
}

/// "at least A and at most B", or the half that is set.
fn limits<T: fmt::Display>(min: Option<T>, max: Option<T>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("at least {a} and at most {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => String::new(),
    }
}

fn bounds(min: Option<u64>, max: Option<u64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("must be between {} and {}", human(a), human(b)),
        (Some(a), None) => format!("must be at least {}", human(a)),
        (None, Some(b)) => format!("must be at most {}", human(b)),
        (None, None) => "is out of range".to_owned(),
    }
}

/// `<digits><unit>` in seconds. `None` when the text is not a duration (its
/// syntax is the pattern's to refuse); saturates on overflow, which is out
/// of any bound.
pub fn duration_seconds(s: &str) -> Option<u64> {
    let unit = s.chars().last()?;
    let digits = &s[..s.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    let n = digits.parse::<u64>().unwrap_or(u64::MAX);
    Some(n.saturating_mul(scale))
}

fn human(secs: u64) -> String {
    match secs {
        0 => "0s".to_owned(),
        s if s % 604_800 == 0 => format!("{}w", s / 604_800),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// An absolute `http(s)://host...` URL without whitespace or control
/// characters.
fn is_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    !host.is_empty()
        && !host.starts_with(':')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde_json::json;

    use super::*;
    use crate::types::{Nested, Rule};

    fn rule(kind: Kind) -> Rule {
        Rule {
            kind,
            code: "c".into(),
        }
    }

    fn when() -> When {
        When {
            field: "type".into(),
            equals: "tunnel".into(),
            default: Some("url".into()),
        }
    }

    fn table(rules: Vec<Rule>) -> Vec<SchemaRules> {
        vec![
            SchemaRules {
                schema: "Outer".into(),
                rules: Cow::Owned(vec![]),
                nested: Cow::Owned(vec![
                    Nested {
                        property: "items".into(),
                        schema: "Inner".into(),
                        list: true,
                    },
                    Nested {
                        property: "one".into(),
                        schema: "Inner".into(),
                        list: false,
                    },
                ]),
            },
            SchemaRules {
                schema: "Inner".into(),
                rules: Cow::Owned(rules),
                nested: Cow::Owned(vec![]),
            },
        ]
    }

    /// The fields `body` breaks under `kind` (as `Inner`).
    fn fields(kind: Kind, body: Value) -> Vec<String> {
        check(&table(vec![rule(kind)]), "Inner", &body)
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn exclusive_names_the_second_field_and_the_first() {
        let kind = Kind::Exclusive {
            fields: Cow::Owned(vec!["a".into(), "b".into()]),
        };
        let v = check(
            &table(vec![rule(kind.clone())]),
            "Inner",
            &json!({"a": 1, "b": 2}),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].to_string(), "`b`: cannot be combined with a");
        assert_eq!(v[0].code, "c");
        assert!(fields(kind.clone(), json!({"a": 1})).is_empty());
        assert!(fields(kind.clone(), json!({"b": 1})).is_empty());
        assert!(
            fields(kind, json!({"a": null, "b": 1})).is_empty(),
            "null is absent"
        );
    }

    #[test]
    fn conditions_use_the_default_of_an_absent_field() {
        let required_if = Kind::RequiredIf {
            field: "slug".into(),
            when: when(),
        };
        assert_eq!(
            fields(required_if.clone(), json!({"type": "tunnel"})),
            ["slug"]
        );
        assert!(fields(required_if.clone(), json!({"type": "tunnel", "slug": "s"})).is_empty());
        assert!(
            fields(required_if, json!({})).is_empty(),
            "absent type is url"
        );

        let unless = Kind::RequiredUnless {
            field: "target_url".into(),
            when: when(),
        };
        assert_eq!(fields(unless.clone(), json!({})), ["target_url"]);
        assert!(fields(unless.clone(), json!({"type": "tunnel"})).is_empty());
        assert!(fields(unless, json!({"target_url": "x"})).is_empty());

        let only_if = Kind::OnlyIf {
            field: "slug".into(),
            when: When {
                default: None,
                ..when()
            },
        };
        assert_eq!(fields(only_if.clone(), json!({"slug": "s"})), ["slug"]);
        assert!(fields(only_if.clone(), json!({"type": "tunnel", "slug": "s"})).is_empty());
        assert!(fields(only_if, json!({"type": "url"})).is_empty());
    }

    #[test]
    fn urls() {
        let kind = Kind::HttpUrl { field: "u".into() };
        for bad in [
            "ftp://x.example",
            "https://",
            "https:///path",
            "http://a b.example",
            "https://x.example/\n",
            "mailto:a@b.example",
            "https://user@:80/",
        ] {
            assert_eq!(fields(kind.clone(), json!({ "u": bad })), ["u"], "{bad:?}");
        }
        for good in [
            "https://x.example",
            "http://x.example:8080/a?b#c",
            "https://u@x.example/",
        ] {
            assert!(
                fields(kind.clone(), json!({ "u": good })).is_empty(),
                "{good:?}"
            );
        }
        assert!(
            fields(kind, json!({ "u": 5 })).is_empty(),
            "not a string: the schema's"
        );
    }

    #[test]
    fn value_lists() {
        let one_of = Kind::OneOf {
            field: "type".into(),
            values: Cow::Owned(vec!["url".into()]),
        };
        let v = check(
            &table(vec![rule(one_of.clone())]),
            "Inner",
            &json!({"type": "x"}),
        );
        assert_eq!(v[0].message, "must be \"url\"");
        assert!(fields(one_of, json!({"type": "url"})).is_empty());
        let two = Kind::OneOf {
            field: "t".into(),
            values: Cow::Owned(vec!["a".into(), "b".into()]),
        };
        let v = check(&table(vec![rule(two)]), "Inner", &json!({"t": "c"}));
        assert_eq!(v[0].message, "must be one of \"a\", \"b\"");

        let reserved = Kind::NotOneOf {
            field: "alias".into(),
            values: Cow::Owned(vec!["admin".into(), "qurl".into()]),
        };
        let v = check(
            &table(vec![rule(reserved.clone())]),
            "Inner",
            &json!({"alias": "qurl"}),
        );
        assert_eq!(v[0].to_string(), "`alias`: \"qurl\" is a reserved word");
        assert!(fields(reserved, json!({"alias": "docs"})).is_empty());
    }

    #[test]
    fn durations_and_their_bounds() {
        assert_eq!(duration_seconds("90s"), Some(90));
        assert_eq!(duration_seconds("2m"), Some(120));
        assert_eq!(duration_seconds("3h"), Some(10_800));
        assert_eq!(duration_seconds("1d"), Some(86_400));
        assert_eq!(duration_seconds("2w"), Some(1_209_600));
        assert_eq!(duration_seconds("99999999999999999999999w"), Some(u64::MAX));
        for not in ["", "h", "1x", "-1h", "1.5h", "h1"] {
            assert_eq!(duration_seconds(not), None, "{not:?}");
        }
        let kind = Kind::Duration {
            field: "d".into(),
            min_seconds: Some(60),
            max_seconds: Some(30 * 86_400),
        };
        let msg = |body| check(&table(vec![rule(kind.clone())]), "Inner", &body);
        assert_eq!(
            msg(json!({"d": "59s"}))[0].message,
            "must be between 1m and 30d"
        );
        assert!(msg(json!({"d": "60s"})).is_empty());
        assert!(msg(json!({"d": "30d"})).is_empty());
        assert_eq!(msg(json!({"d": "721h"})).len(), 1);
        assert!(
            msg(json!({"d": ""})).is_empty(),
            "not a duration: the pattern's"
        );
        let at_least = Kind::Duration {
            field: "d".into(),
            min_seconds: Some(1),
            max_seconds: None,
        };
        let v = check(&table(vec![rule(at_least)]), "Inner", &json!({"d": "0s"}));
        assert_eq!(v[0].message, "must be at least 1s");
        let at_most = Kind::Duration {
            field: "d".into(),
            min_seconds: None,
            max_seconds: Some(86_400),
        };
        let v = check(
            &table(vec![rule(at_most.clone())]),
            "Inner",
            &json!({"d": "2d"}),
        );
        assert_eq!(v[0].message, "must be at most 1d");
        assert!(fields(at_most, json!({"d": "24h"})).is_empty());
        assert_eq!(human(0), "0s");
        assert_eq!(human(1_209_600), "2w");
        assert_eq!(human(7200), "2h");
        assert_eq!(human(61), "61s");
    }

    #[test]
    fn min_properties_counts_fields_that_are_set() {
        let kind = Kind::MinProperties { count: 1 };
        let v = check(
            &table(vec![rule(kind.clone())]),
            "Inner",
            &json!({"a": null}),
        );
        assert_eq!(v[0].to_string(), "`body`: must set at least 1 field");
        assert!(fields(kind, json!({"a": 1})).is_empty());
        let two = Kind::MinProperties { count: 2 };
        let v = check(&table(vec![rule(two)]), "Inner", &json!({"a": 1}));
        assert_eq!(v[0].message, "must set at least 2 fields");
    }

    #[test]
    fn lists_of_values_name_the_item() {
        let one_of = Kind::OneOf {
            field: "events".into(),
            values: Cow::Owned(vec!["a".into(), "b".into()]),
        };
        let v = check(
            &table(vec![rule(one_of.clone())]),
            "Inner",
            &json!({"events": ["a", "c", "d"]}),
        );
        assert_eq!(v.len(), 1, "the first stray item");
        assert_eq!(
            v[0].to_string(),
            "`events[1]`: \"c\": must be one of \"a\", \"b\""
        );
        assert!(fields(one_of.clone(), json!({"events": ["b", "a"]})).is_empty());
        assert!(
            fields(one_of, json!({"events": 3})).is_empty(),
            "not a list: the schema's"
        );
    }

    #[test]
    fn integer_bounds() {
        let kind = Kind::Range {
            field: "n".into(),
            minimum: Some(0),
            maximum: Some(1000),
        };
        let v = check(
            &table(vec![rule(kind.clone())]),
            "Inner",
            &json!({"n": 1001}),
        );
        assert_eq!(
            v[0].message,
            "1001 is out of range: the spec says at least 0 and at most 1000"
        );
        assert_eq!(fields(kind.clone(), json!({"n": -1})), ["n"]);
        assert!(fields(kind.clone(), json!({"n": 0})).is_empty());
        assert!(fields(kind.clone(), json!({"n": 1000})).is_empty());
        assert!(fields(kind, json!({"n": "x"})).is_empty());
        let at_least = Kind::Range {
            field: "n".into(),
            minimum: Some(1),
            maximum: None,
        };
        let v = check(&table(vec![rule(at_least)]), "Inner", &json!({"n": 0}));
        assert_eq!(v[0].message, "0 is out of range: the spec says at least 1");
        let at_most = Kind::Range {
            field: "n".into(),
            minimum: None,
            maximum: Some(5),
        };
        let v = check(&table(vec![rule(at_most)]), "Inner", &json!({"n": 6}));
        assert_eq!(v[0].message, "6 is out of range: the spec says at most 5");
    }

    #[test]
    fn list_sizes_and_repeats() {
        let kind = Kind::Items {
            field: "tags".into(),
            min_items: Some(1),
            max_items: Some(2),
            unique: true,
        };
        let v = check(
            &table(vec![rule(kind.clone())]),
            "Inner",
            &json!({"tags": ["a", "b", "c"]}),
        );
        assert_eq!(
            v[0].to_string(),
            "`tags`: 3 items, but the spec allows at least 1 and at most 2"
        );
        assert_eq!(fields(kind.clone(), json!({"tags": []})), ["tags"]);
        assert!(fields(kind.clone(), json!({"tags": ["a", "b"]})).is_empty());
        assert!(fields(kind.clone(), json!({"tags": ["a"]})).is_empty());
        let v = check(
            &table(vec![rule(kind)]),
            "Inner",
            &json!({"tags": ["a", "a"]}),
        );
        assert_eq!(v[0].to_string(), "`tags[1]`: \"a\" is already in the list");
        let repeats_allowed = Kind::Items {
            field: "tags".into(),
            min_items: None,
            max_items: Some(3),
            unique: false,
        };
        assert!(fields(repeats_allowed.clone(), json!({"tags": ["a", "a"]})).is_empty());
        let v = check(
            &table(vec![rule(repeats_allowed)]),
            "Inner",
            &json!({"tags": [1, 2, 3, 4]}),
        );
        assert_eq!(v[0].message, "4 items, but the spec allows at most 3");
        let at_least = Kind::Items {
            field: "tags".into(),
            min_items: Some(2),
            max_items: None,
            unique: false,
        };
        let v = check(&table(vec![rule(at_least)]), "Inner", &json!({"tags": [1]}));
        assert_eq!(v[0].message, "1 items, but the spec allows at least 2");
    }

    #[test]
    fn nested_objects_are_named_by_their_path() {
        let t = table(vec![
            rule(Kind::MinProperties { count: 1 }),
            rule(Kind::HttpUrl { field: "u".into() }),
        ]);
        let body =
            json!({"items": [{"u": "https://a.example"}, {"u": "ftp://b"}, {}], "one": {"u": "x"}});
        let got: Vec<String> = check(&t, "Outer", &body)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(got, ["items[1].u", "items[2]", "one.u"]);
        assert!(
            check(&t, "Outer", &json!({"items": {"u": "x"}})).is_empty(),
            "not a list"
        );
        assert!(check(&t, "Nowhere", &body).is_empty());
        assert!(check(&t, "Inner", &json!([1])).is_empty());
        assert_eq!(
            check_first(&t, "Outer", &body).map(|v| v.field).as_deref(),
            Some("items[1].u")
        );
        assert_eq!(check_first(&t, "Outer", &json!({})), None);
        let own: Vec<String> = check_own(&t, "Inner", &json!({"u": "x"}), "items[4]")
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(own, ["items[4].u"]);
        assert!(
            check_own(&t, "Outer", &body, "").is_empty(),
            "Outer's own rules: none"
        );
    }

    /// A typed body is read through its `Object` view, not as JSON.
    #[test]
    fn check_object_reads_a_body_through_its_fields() {
        struct Body {
            a: Option<String>,
            b: Option<i64>,
        }
        impl Object for Body {
            fn get(&self, name: &str) -> Field<'_> {
                use crate::view::AsField;
                match name {
                    "a" => self.a.as_field(),
                    "b" => self.b.as_field(),
                    _ => Field::Absent,
                }
            }
            fn set_count(&self) -> usize {
                usize::from(self.a.is_some()) + usize::from(self.b.is_some())
            }
        }
        let t = table(vec![rule(Kind::Exclusive {
            fields: Cow::Owned(vec!["a".into(), "b".into()]),
        })]);
        let both = Body {
            a: Some("x".into()),
            b: Some(1),
        };
        assert_eq!(
            check_object(&t, "Inner", &both).map(|v| v.to_string()),
            Some("`b`: cannot be combined with a".to_owned())
        );
        let one = Body {
            a: Some("x".into()),
            b: None,
        };
        assert_eq!(check_object(&t, "Inner", &one), None);
    }
}
