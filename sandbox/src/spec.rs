//! The contract: `openapi.json`, embedded at build time and read once, turned into
//! an operation table and one map of compiled JSON Schema validators. Everything the
//! sandbox knows about shapes (bodies, parameters, key rules, documented statuses,
//! response schemas) comes from here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::Method;
use jsonschema::{Draft, Validator, ValidatorMap};
use serde_json::{Map, Value, json};

const OPENAPI: &str = include_str!("../openapi.json");

/// One operation of the spec.
#[derive(Debug)]
pub(crate) struct Operation {
    pub id: String,
    pub method: Method,
    pub template: String,
    segments: Vec<Segment>,
    pub params: Vec<Param>,
    pub body: Option<BodyRule>,
    /// Documented status -> media type of its body (`None`: no body).
    pub statuses: BTreeMap<u16, Option<String>>,
    /// The operation declares an `Idempotency-Key` header: the key is honoured (its
    /// length limits are the header's schema, checked with the other parameters).
    pub declares_key: bool,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamIn {
    Path,
    Query,
    Header,
}

#[derive(Debug)]
pub(crate) struct Param {
    pub name: String,
    pub location: ParamIn,
    pub required: bool,
    /// The schema's `type`, used to turn query text into a JSON value.
    pub kind: String,
    pub default: Option<Value>,
    pub pointer: String,
}

#[derive(Debug)]
pub(crate) struct BodyRule {
    /// A body the spec does not require may be left out: it counts as `{}`.
    pub may_omit: bool,
    pub pointer: String,
    /// The component schema the body refers to (`CreateQurlRequest`), under
    /// which the spec's `x-qurl-rules` are found.
    pub schema: Option<String>,
}

pub(crate) struct Spec {
    pub operations: Vec<Operation>,
    validators: ValidatorMap,
    /// The spec's request rules beyond JSON Schema (`x-qurl-rules`), read by
    /// the interpreter the client shares.
    pub rules: Vec<qurl_rules::SchemaRules>,
}

/// Path parameters by name, decoded.
pub(crate) type PathParams = Vec<(String, String)>;

/// Where a request lands.
pub(crate) enum Route<'a> {
    Found(&'a Operation, PathParams),
    /// The path exists; these are its methods (for `Allow`).
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

/// The spec, parsed and compiled on first use.
/// The spec the sandbox serves with its request rules also said in plain
/// JSON Schema (`qurl_rules::fuzz_profile`), for a fuzzer that reads only
/// JSON Schema: `qurl-sandbox --fuzz-spec > openapi.fuzz.json`.
pub fn fuzz_spec() -> Result<String, String> {
    let doc: Value = serde_json::from_str(OPENAPI).map_err(|e| e.to_string())?;
    let profile = qurl_rules::fuzz_profile(&doc)?;
    serde_json::to_string_pretty(&profile).map_err(|e| e.to_string())
}

pub(crate) fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        // The document is part of the crate: failing here is a build defect, caught by every test.
        Spec::load(OPENAPI).unwrap_or_else(|e| panic!("sandbox/openapi.json: {e}"))
    })
}

impl Spec {
    fn load(text: &str) -> Result<Spec, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut definitions = Map::new();
        let mut operations = Vec::new();
        let paths = doc["paths"].as_object().ok_or("no paths")?;
        for (template, item) in paths {
            let shared = item["parameters"].as_array().cloned().unwrap_or_default();
            for (verb, op) in item.as_object().ok_or("bad path item")? {
                let Ok(method) = verb.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if !op.is_object() || verb == "parameters" {
                    continue;
                }
                let op = Reader {
                    doc: &doc,
                    op,
                    defs: &mut definitions,
                }
                .operation(method, template, &shared)?;
                operations.push(op);
            }
        }
        let components = to_json_schema(&doc["components"]);
        let root = json!({ "definitions": definitions, "components": components });
        let validators = jsonschema::options()
            .with_draft(Draft::Draft4)
            .should_validate_formats(true)
            .build_map(&root)
            .map_err(|e| format!("schemas do not compile: {e}"))?;
        let rules = qurl_rules::table_from_spec(&doc)?;
        Ok(Spec {
            operations,
            validators,
            rules,
        })
    }

    /// The compiled validator at `pointer` (as recorded in the operation table).
    pub(crate) fn validator(&self, pointer: &str) -> Option<&Validator> {
        self.validators.get(pointer)
    }

    /// Most specific match wins, so `/v1/qurls/batch` beats `/v1/qurls/{id}`.
    pub(crate) fn route(&self, method: &Method, path: &str) -> Route<'_> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        // The methods of the most specific template that matches (for `Allow`).
        let mut allowed: (usize, Vec<Method>) = (0, Vec::new());
        let mut best: Option<(usize, &Operation, PathParams)> = None;
        for op in &self.operations {
            let Some(params) = op.matches(&parts) else {
                continue;
            };
            let literals = op.segments.len() - params.len();
            if allowed.1.is_empty() || literals > allowed.0 {
                allowed = (literals, Vec::new());
            }
            if literals == allowed.0 && !allowed.1.contains(&op.method) {
                allowed.1.push(op.method.clone());
            }
            if op.method == method && best.as_ref().is_none_or(|b| literals > b.0) {
                best = Some((literals, op, params));
            }
        }
        // Only the most specific templates answer: `DELETE /v1/qurls/batch`
        // is not `DELETE /v1/qurls/{id}` but a method `batch` does not allow.
        match best.filter(|b| b.0 == allowed.0) {
            Some((_, op, params)) => Route::Found(op, params),
            None if !allowed.1.is_empty() => Route::MethodNotAllowed(allowed.1),
            None => Route::NotFound,
        }
    }

    #[cfg(test)]
    pub(crate) fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }
}

impl Operation {
    fn matches(&self, parts: &[&str]) -> Option<PathParams> {
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (seg, part) in self.segments.iter().zip(parts) {
            match seg {
                Segment::Literal(l) if l == part => {}
                Segment::Param(name) if !part.is_empty() => {
                    let value = percent_encoding::percent_decode_str(part)
                        .decode_utf8()
                        .ok()?;
                    params.push((name.clone(), value.into_owned()));
                }
                _ => return None,
            }
        }
        Some(params)
    }

    pub(crate) fn documents(&self, status: u16) -> bool {
        self.statuses.contains_key(&status)
    }

    /// Pointer of the response schema for `status`, if it has a body.
    pub(crate) fn response_pointer(&self, status: u16) -> String {
        format!("#/definitions/{}.{status}", self.id)
    }
}

/// Reads one operation, registering its schemas under `definitions`.
struct Reader<'a> {
    doc: &'a Value,
    op: &'a Value,
    defs: &'a mut Map<String, Value>,
}

impl Reader<'_> {
    /// Follows a local `$ref` (parameters, responses, request bodies).
    fn resolve(&self, v: &Value) -> Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self
                .doc
                .pointer(r.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Null),
            None => v.clone(),
        }
    }

    fn define(&mut self, name: String, schema: &Value) -> String {
        self.defs.insert(name.clone(), to_json_schema(schema));
        format!("#/definitions/{name}")
    }

    fn operation(
        mut self,
        method: Method,
        template: &str,
        shared: &[Value],
    ) -> Result<Operation, String> {
        let id = self.op["operationId"]
            .as_str()
            .ok_or_else(|| format!("{method} {template}: no operationId"))?
            .to_owned();
        let mut params = Vec::new();
        let mut declares_key = false;
        let declared = self.op["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for raw in shared.iter().chain(declared.iter()) {
            let p = self.resolve(raw);
            let name = p["name"].as_str().unwrap_or_default().to_owned();
            let location = match p["in"].as_str() {
                Some("path") => ParamIn::Path,
                Some("query") => ParamIn::Query,
                Some("header") => ParamIn::Header,
                _ => continue,
            };
            let schema = &p["schema"];
            declares_key |=
                location == ParamIn::Header && name.eq_ignore_ascii_case("idempotency-key");
            let pointer = self.define(format!("{id}.param.{name}"), schema);
            params.push(Param {
                required: p["required"].as_bool().unwrap_or(location == ParamIn::Path),
                kind: schema["type"].as_str().unwrap_or("string").to_owned(),
                default: schema.get("default").cloned(),
                name,
                location,
                pointer,
            });
        }
        let body = match self.op.get("requestBody") {
            Some(raw) => {
                let rb = self.resolve(raw);
                let schema = &rb["content"]["application/json"]["schema"];
                Some(BodyRule {
                    may_omit: !rb["required"].as_bool().unwrap_or(false),
                    pointer: self.define(format!("{id}.body"), schema),
                    schema: schema["$ref"]
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        .map(str::to_owned),
                })
            }
            None => None,
        };
        let mut statuses = BTreeMap::new();
        let responses = self.op["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (code, raw) in &responses {
            let Ok(status) = code.parse::<u16>() else {
                continue;
            };
            let r = self.resolve(raw);
            let media = r["content"].as_object().and_then(|c| c.iter().next());
            if let Some((media_type, content)) = media {
                self.define(format!("{id}.{status}"), &content["schema"]);
                statuses.insert(status, Some(media_type.clone()));
            } else {
                statuses.insert(status, None);
            }
        }
        let segments = template
            .trim_start_matches('/')
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                },
            )
            .collect();
        Ok(Operation {
            id,
            method,
            template: template.to_owned(),
            segments,
            params,
            body,
            statuses,
            declares_key,
        })
    }
}

/// OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a `null` type (and a
/// `null` enum member); everything else is kept as it is.
pub(crate) fn to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let nullable = map.get("nullable") == Some(&Value::Bool(true));
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, v)| !(k.as_str() == "nullable" && v.is_boolean()))
                .map(|(k, v)| (k.clone(), to_json_schema(v)))
                .collect();
            if !nullable {
                return Value::Object(out);
            }
            if let Some(Value::Array(members)) = out.get_mut("enum")
                && !members.contains(&Value::Null)
            {
                members.push(Value::Null);
            }
            match out.get("type").cloned() {
                Some(Value::String(t)) => {
                    out.insert("type".into(), json!([t, "null"]));
                    Value::Object(out)
                }
                _ => json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// How many operations a document declares, counted on its own terms (a
/// verb under a path), for tests that must not restate the number.
#[cfg(test)]
pub(crate) fn operations_in(text: &str) -> usize {
    let doc: Value = serde_json::from_str(text).unwrap_or_default();
    doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.keys())
        .filter(|k| {
            [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&k.as_str())
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_every_operation() {
        let s = spec();
        assert_eq!(s.operations.len(), operations_in(OPENAPI));
        for op in &s.operations {
            if let Some(b) = &op.body {
                assert!(s.validator(&b.pointer).is_some(), "{}", op.id);
            }
            for p in &op.params {
                assert!(s.validator(&p.pointer).is_some(), "{} {}", op.id, p.name);
            }
        }
    }

    #[test]
    fn nullable_becomes_a_null_type() {
        let v = to_json_schema(&json!({"type": "string", "nullable": true, "enum": ["a"]}));
        assert_eq!(v, json!({"type": ["string", "null"], "enum": ["a", null]}));
        let v = to_json_schema(&json!({"$ref": "#/x", "nullable": true}));
        assert_eq!(v, json!({"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}));
    }

    #[test]
    fn routes_prefer_literal_segments() {
        let s = spec();
        let Route::Found(op, params) = s.route(&Method::POST, "/v1/qurls/batch") else {
            panic!("no route")
        };
        assert_eq!(op.id, "batchCreateQurls");
        assert!(params.is_empty());
        let Route::MethodNotAllowed(allowed) = s.route(&Method::DELETE, "/v1/qurls/batch") else {
            panic!("DELETE of the batch path is not DELETE of a qURL")
        };
        assert_eq!(allowed, [Method::POST]);
        let Route::Found(op, params) = s.route(&Method::GET, "/v1/domains/a%2Eexample.com") else {
            panic!("no route")
        };
        assert_eq!(op.id, "getDomain");
        assert_eq!(params, vec![("domain".into(), "a.example.com".into())]);
        let Route::MethodNotAllowed(allowed) = s.route(&Method::PUT, "/v1/qurls") else {
            panic!("PUT /v1/qurls is not a 405")
        };
        assert_eq!(allowed, [Method::GET, Method::POST]);
        // `/v1/qurls/batch` also fits `/v1/qurls/{id}`; only its own methods count.
        let Route::MethodNotAllowed(allowed) = s.route(&Method::OPTIONS, "/v1/qurls/batch") else {
            panic!("OPTIONS /v1/qurls/batch is not a 405")
        };
        assert_eq!(allowed, [Method::POST]);
        assert!(matches!(s.route(&Method::GET, "/v2/x"), Route::NotFound));
    }

    #[test]
    fn key_rules_come_from_the_spec() {
        let s = spec();
        let keyed: Vec<&str> = s
            .operations
            .iter()
            .filter(|o| o.declares_key)
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(keyed.len(), 11, "{keyed:?}");
    }
}
