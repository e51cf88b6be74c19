//! Reading the rules from an OpenAPI document: each schema of
//! `components/schemas` may carry `x-qurl-rules`, a list of [`SpecRule`]s.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::types::{Kind, Nested, Rule, SchemaRules, Text};

/// The extension's name on a schema object.
pub const EXTENSION: &str = "x-qurl-rules";

/// A rule as the spec states it: the rule, where it comes from, and a
/// fragment of a body that breaks it (merged over the schema's `example`;
/// a `null` removes a field), from which tests build their cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecRule {
    #[serde(flatten)]
    pub rule: Rule,
    /// The upstream statement the rule rests on, and the API's error code.
    pub evidence: String,
    pub breaks: Map<String, Value>,
}

/// Every schema's `x-qurl-rules`, by schema name (only schemas that have
/// some). An entry that is not a well-formed rule is an error naming it.
pub fn spec_rules(doc: &Value) -> Result<BTreeMap<String, Vec<SpecRule>>, String> {
    let mut out = BTreeMap::new();
    for (name, schema) in schemas(doc) {
        let Some(list) = schema.get(EXTENSION) else {
            continue;
        };
        let rules: Vec<SpecRule> = serde_json::from_value(list.clone())
            .map_err(|e| format!("`{name}`'s {EXTENSION}: {e}"))?;
        for r in &rules {
            check_fields(name, schema, &r.rule.kind)?;
        }
        out.insert(name.clone(), rules);
    }
    Ok(out)
}

/// The table the interpreter reads: each schema's rules (its `x-qurl-rules`
/// and its `minProperties`) and the properties through which it reaches
/// another schema that has rules. Schemas that requests carry also get the
/// JSON Schema keywords a typed body can be built around (a struct literal
/// skips the builder's setters): enums, integer bounds and list sizes.
pub fn table_from_spec(doc: &Value) -> Result<Vec<SchemaRules>, String> {
    let stated = spec_rules(doc)?;
    let sent = request_schemas(doc);
    let mut own: BTreeMap<&str, Vec<Rule>> = BTreeMap::new();
    for (name, schema) in schemas(doc) {
        let mut rules: Vec<Rule> = stated
            .get(name.as_str())
            .into_iter()
            .flatten()
            .map(|r| r.rule.clone())
            .collect();
        if let Some(count) = schema.get("minProperties").and_then(Value::as_u64) {
            rules.push(Rule {
                kind: Kind::MinProperties { count },
                // The code the API's schema validation answers with.
                code: "validation_error".into(),
            });
        }
        if sent.contains(&name.as_str()) {
            rules.extend(keyword_rules(doc, schema));
        }
        if !rules.is_empty() {
            own.insert(name, rules);
        }
    }
    // Which schemas reach a schema with rules: grow the set until it stops.
    let links: BTreeMap<&str, Vec<Nested>> = schemas(doc)
        .map(|(name, schema)| (name.as_str(), references(schema)))
        .collect();
    let mut reaches: Vec<&str> = own.keys().copied().collect();
    loop {
        let before = reaches.len();
        for (name, nested) in &links {
            if !reaches.contains(name)
                && nested.iter().any(|n| reaches.contains(&n.schema.as_ref()))
            {
                reaches.push(name);
            }
        }
        if reaches.len() == before {
            break;
        }
    }
    reaches.sort_unstable();
    let table = reaches.iter().map(|&name| SchemaRules {
        schema: name.to_owned().into(),
        rules: Cow::Owned(own.get(name).cloned().unwrap_or_default()),
        nested: Cow::Owned(
            links[name]
                .iter()
                .filter(|n| reaches.contains(&n.schema.as_ref()))
                .cloned()
                .collect(),
        ),
    });
    Ok(table.collect())
}

fn schemas(doc: &Value) -> impl Iterator<Item = (&String, &Value)> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// `schema` itself, or the component its `$ref` names.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| doc.pointer(r.trim_start_matches('#')))
        .unwrap_or(schema)
}

/// The component schemas a request body is, or holds (at any depth).
fn request_schemas(doc: &Value) -> Vec<&str> {
    let mut found: Vec<&str> = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op.pointer("/requestBody/content/application~1json/schema/$ref"))
        .filter_map(|r| r.as_str()?.strip_prefix("#/components/schemas/"))
        .collect();
    let mut i = 0;
    while let Some(name) = found.get(i).copied() {
        i += 1;
        let Some(schema) = doc.pointer(&format!("/components/schemas/{name}")) else {
            continue;
        };
        for n in references(schema) {
            if let Some((key, _)) = doc
                .pointer("/components/schemas")
                .and_then(Value::as_object)
                .and_then(|all| all.get_key_value(n.schema.as_ref()))
                && !found.contains(&key.as_str())
            {
                found.push(key);
            }
        }
    }
    found
}

/// The JSON Schema keywords on `schema`'s properties that a typed body
/// does not enforce by its types: `enum`s (open in the client, so that
/// answers with new values still decode), integer bounds, list sizes.
fn keyword_rules(doc: &Value, schema: &Value) -> Vec<Rule> {
    let mut out = Vec::new();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return out;
    };
    let rule = |kind| Rule {
        kind,
        code: "validation_error".into(),
    };
    let values = |s: &Value| -> Option<Vec<Text>> {
        s.get("enum")?
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(|v| Text::from(v.to_owned())))
            .collect()
    };
    for (name, property) in props {
        let p = resolve(doc, property);
        let field: Text = name.clone().into();
        let number = |k: &str| p.get(k).and_then(Value::as_i64);
        let count = |k: &str| p.get(k).and_then(Value::as_u64);
        match p.get("type").and_then(Value::as_str) {
            Some("array") => {
                let unique = p
                    .get("uniqueItems")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let (min_items, max_items) = (count("minItems"), count("maxItems"));
                if min_items.is_some() || max_items.is_some() || unique {
                    out.push(rule(Kind::Items {
                        field: field.clone(),
                        min_items,
                        max_items,
                        unique,
                    }));
                }
                let items = resolve(doc, p.get("items").unwrap_or(&Value::Null));
                if let Some(values) = values(items) {
                    out.push(rule(Kind::OneOf {
                        field,
                        values: values.into(),
                    }));
                }
            }
            Some("integer") if number("minimum").is_some() || number("maximum").is_some() => {
                out.push(rule(Kind::Range {
                    field,
                    minimum: number("minimum"),
                    maximum: number("maximum"),
                }));
            }
            _ => {
                if let Some(values) = values(p) {
                    out.push(rule(Kind::OneOf {
                        field,
                        values: values.into(),
                    }));
                }
            }
        }
    }
    out
}

/// The properties of `schema` that hold a `$ref` to a component schema, or a
/// list of them.
fn references(schema: &Value) -> Vec<Nested> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .filter_map(|(property, p)| {
            let (target, list) = match p.pointer("/items/$ref") {
                Some(r) => (r, true),
                None => (p.get("$ref")?, false),
            };
            let schema = target.as_str()?.strip_prefix("#/components/schemas/")?;
            Some(Nested {
                property: property.clone().into(),
                schema: schema.to_owned().into(),
                list,
            })
        })
        .collect()
}

/// A rule may only name fields the schema has.
fn check_fields(name: &str, schema: &Value, kind: &Kind) -> Result<(), String> {
    let props = schema.get("properties").and_then(Value::as_object);
    let has = |f: &str| props.is_some_and(|p| p.contains_key(f));
    let named: Vec<&str> = match kind {
        Kind::Exclusive { fields } => fields.iter().map(AsRef::as_ref).collect(),
        Kind::RequiredIf { field, when }
        | Kind::RequiredUnless { field, when }
        | Kind::OnlyIf { field, when } => vec![field, &when.field],
        Kind::HttpUrl { field }
        | Kind::OneOf { field, .. }
        | Kind::NotOneOf { field, .. }
        | Kind::Duration { field, .. }
        | Kind::Range { field, .. }
        | Kind::Items { field, .. } => vec![field],
        Kind::MinProperties { .. } => vec![],
    };
    match named.into_iter().find(|f| !has(f)) {
        Some(f) => Err(format!(
            "`{name}`'s {EXTENSION} names `{f}`, which is not one of its properties"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "Batch": {"properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Create"}}}},
            "Wrapper": {"properties": {"batch": {"$ref": "#/components/schemas/Batch"}, "plain": {"$ref": "#/components/schemas/Plain"}}},
            "Plain": {"properties": {"a": {"type": "string"}}},
            "Patch": {"minProperties": 1, "properties": {"a": {"type": "string"}}},
            "Create": {
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "x-qurl-rules": [{
                    "rule": "exclusive", "fields": ["a", "b"], "code": "mutually_exclusive_fields",
                    "evidence": "the descriptions say so", "breaks": {"a": "1", "b": "2"}
                }]
            }
        }}})
    }

    #[test]
    fn the_table_holds_rules_keywords_and_the_paths_to_them() {
        let table = table_from_spec(&doc()).unwrap();
        let names: Vec<&str> = table.iter().map(|s| s.schema.as_ref()).collect();
        assert_eq!(names, ["Batch", "Create", "Patch", "Wrapper"]);
        let wrapper = &table[3];
        assert_eq!(wrapper.nested.len(), 1, "Plain has no rules: {wrapper:?}");
        assert_eq!(wrapper.nested[0].schema, "Batch");
        assert!(!wrapper.nested[0].list);
        assert!(table[0].nested[0].list);
        assert_eq!(table[2].rules[0].kind, Kind::MinProperties { count: 1 });
        assert_eq!(table[1].rules[0].code, "mutually_exclusive_fields");
        let v = crate::check(
            &table,
            "Wrapper",
            &json!({"batch": {"items": [{"a": "x", "b": "y"}]}}),
        );
        assert_eq!(v[0].field, "batch.items[0].b");
    }

    #[test]
    fn request_schemas_get_their_keywords_as_rules() {
        let doc = json!({
            "paths": {"/a": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Body"}}}}}}},
            "components": {"schemas": {
                "Body": {"properties": {
                    "n": {"type": "integer", "minimum": 0, "maximum": 9},
                    "free": {"type": "integer"},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "tags": {"type": "array", "maxItems": 3, "uniqueItems": true, "items": {"$ref": "#/components/schemas/Kind"}},
                    "plain": {"type": "array", "items": {"type": "string"}},
                    "few": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "some": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                    "inner": {"$ref": "#/components/schemas/Inner"},
                }},
                "Inner": {"properties": {"m": {"type": "integer", "maximum": 1}}},
                "Kind": {"type": "string", "enum": ["a", "b"]},
                "Answer": {"properties": {"n": {"type": "integer", "maximum": 1}}},
            }},
        });
        let table = table_from_spec(&doc).unwrap();
        let names: Vec<&str> = table.iter().map(|s| s.schema.as_ref()).collect();
        assert_eq!(
            names,
            ["Body", "Inner"],
            "a schema only answers carry has no rules"
        );
        let kinds: Vec<String> = table[0]
            .rules
            .iter()
            .map(|r| format!("{:?}", r.kind))
            .collect();
        let expected = [
            r#"Items { field: "few", min_items: Some(1), max_items: None, unique: false }"#,
            r#"OneOf { field: "kind", values: ["a", "b"] }"#,
            r#"Range { field: "n", minimum: Some(0), maximum: Some(9) }"#,
            r#"Items { field: "some", min_items: None, max_items: Some(2), unique: false }"#,
            r#"Items { field: "tags", min_items: None, max_items: Some(3), unique: true }"#,
            r#"OneOf { field: "tags", values: ["a", "b"] }"#,
        ];
        assert_eq!(kinds, expected, "`plain` and `free` have no keywords");
        assert!(table[0].rules.iter().all(|r| r.code == "validation_error"));
        assert_eq!(table[0].nested[0].schema, "Inner");
        let v = crate::check(
            &table,
            "Body",
            &json!({"inner": {"m": 2}, "tags": ["a", "c"]}),
        );
        let named: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(named, ["tags[1]", "inner.m"]);
    }

    #[test]
    fn a_rule_naming_an_unknown_field_or_kind_is_refused() {
        let mut d = doc();
        d["components"]["schemas"]["Create"]["x-qurl-rules"][0]["fields"] = json!(["a", "c"]);
        let e = table_from_spec(&d).unwrap_err();
        assert!(e.contains("`Create`") && e.contains("`c`"), "{e}");
        let mut d = doc();
        d["components"]["schemas"]["Create"]["x-qurl-rules"][0]["rule"] = json!("sometimes");
        let e = table_from_spec(&d).unwrap_err();
        assert!(e.contains("`Create`'s x-qurl-rules"), "{e}");
        let mut d = doc();
        d["components"]["schemas"]["Create"]["x-qurl-rules"][0]
            .as_object_mut()
            .unwrap()
            .remove("evidence");
        assert!(table_from_spec(&d).unwrap_err().contains("evidence"));
    }

    #[test]
    fn spec_rules_keep_evidence_and_breaks() {
        let rules = spec_rules(&doc()).unwrap();
        let create = &rules["Create"][0];
        assert_eq!(create.evidence, "the descriptions say so");
        assert_eq!(create.breaks["b"], "2");
        assert_eq!(rules.len(), 1);
    }
}
