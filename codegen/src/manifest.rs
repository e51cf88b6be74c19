//! The operations manifest: one row per operation, read by the API-surface
//! snapshot test and by the shim (which takes each key rule from here).

use serde::Serialize;
use serde_json::Value;

use crate::names::method_name;
use crate::normalise::{IDEMPOTENCY_HEADER, KEY_RULE_EXTENSION, VERBS, is_mutating};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Operation {
    pub method: String,
    pub published_operation_id: Option<String>,
    pub verb: String,
    pub path: String,
    pub parameters: Vec<Parameter>,
    pub idempotency_key: Option<KeyRule>,
    pub success_codes: Vec<String>,
    pub body_type: Option<String>,
    pub response_type: String,
    pub error_type: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub location: String,
    pub required: bool,
}

/// Length rule of an operation's `Idempotency-Key`, from the spec.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct KeyRule {
    pub min_len: u64,
    pub max_len: u64,
}

fn resolve<'a>(v: &'a Value, doc: &'a Value) -> &'a Value {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| doc.pointer(p))
        .unwrap_or(v)
}

/// Rows from the published document (for operationIds) and the normalised one.
pub fn build(published: &Value, normalised: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = normalised.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for verb in VERBS {
            let Some(op) = item.get(verb) else { continue };
            let mut parameters: Vec<Parameter> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(
                    op.get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .map(|p| resolve(p, normalised))
                .map(|p| Parameter {
                    name: p
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    location: p
                        .get("in")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                })
                .collect();
            parameters.dedup_by(|a, b| a.name == b.name && a.location == b.location);
            let idempotency_key = is_mutating(verb)
                .then(|| {
                    op.get("parameters")
                        .and_then(Value::as_array)?
                        .iter()
                        .find(|p| {
                            p.get("name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.eq_ignore_ascii_case(IDEMPOTENCY_HEADER))
                        })
                        .map(|p| KeyRule {
                            min_len: p
                                .get(KEY_RULE_EXTENSION)
                                .and_then(|r| r.get("min_len"))
                                .and_then(Value::as_u64)
                                .unwrap_or(1),
                            max_len: p
                                .get(KEY_RULE_EXTENSION)
                                .and_then(|r| r.get("max_len"))
                                .and_then(Value::as_u64)
                                .unwrap_or(256),
                        })
                })
                .flatten();
            let success_codes = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(s, _)| s.clone())
                .filter(|s| s.starts_with('2'))
                .collect();
            let published_operation_id = published
                .get("paths")
                .and_then(|p| p.get(path))
                .and_then(|i| i.get(verb))
                .and_then(|o| o.get("operationId"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            out.push(Operation {
                method: method_name(verb, path),
                published_operation_id,
                verb: verb.to_ascii_uppercase(),
                path: path.clone(),
                parameters,
                idempotency_key,
                success_codes,
                body_type: None,
                response_type: String::new(),
                error_type: String::new(),
            });
        }
    }
    out.sort_by(|a, b| a.method.cmp(&b.method));
    out
}

/// The manifest as Rust source: a static table the crate includes.
pub fn to_rust(ops: &[Operation]) -> String {
    let mut s = String::from(
        "/// Every operation of the spec, as build.rs read it (sorted by method).\n\
         pub static OPERATIONS: &[crate::manifest::Operation] = &[\n",
    );
    for op in ops {
        let key = match op.idempotency_key {
            Some(k) => format!(
                "Some(crate::manifest::KeyRule {{ min_len: {}, max_len: {} }})",
                k.min_len, k.max_len
            ),
            None => "None".into(),
        };
        let params: Vec<String> = op
            .parameters
            .iter()
            .map(|p| {
                format!(
                    "crate::manifest::Parameter {{ name: {:?}, location: {:?}, required: {} }}",
                    p.name, p.location, p.required
                )
            })
            .collect();
        s.push_str(&format!(
            "    crate::manifest::Operation {{ method: {:?}, published_operation_id: {:?}, verb: {:?}, path: {:?}, \
             parameters: &[{}], idempotency_key: {}, success_codes: &{:?}, body_type: {:?}, response_type: {:?}, error_type: {:?} }},\n",
            op.method,
            op.published_operation_id,
            op.verb,
            op.path,
            params.join(", "),
            key,
            op.success_codes,
            op.body_type,
            op.response_type,
            op.error_type,
        ));
    }
    s.push_str("];\n");
    s
}
