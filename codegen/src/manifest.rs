//! The operations manifest: one row per operation, read by the API-surface
//! snapshot test and by the shim (which takes each key rule from here).

use std::borrow::Cow;

use serde_json::Value;

use crate::names::method_name;
use crate::normalise::{
    IDEMPOTENCY_HEADER, IDEMPOTENT_EXTENSION, KEY_DECLARED_EXTENSION, KEY_RULE_EXTENSION, VERBS,
    is_mutating, resolve_ref,
};

include!("manifest_types.rs");

/// The source of the manifest's types, for the crate that includes the table.
pub const TYPES_SOURCE: &str = include_str!("manifest_types.rs");

fn text(v: &Value, field: &str) -> Cow<'static, str> {
    Cow::Owned(
        v.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    )
}

/// The replay class, from the verb, the operation's extension and whether
/// the spec itself declared the key (recorded by the normaliser).
fn replay_class(verb: &str, op: &Value, key: Option<&Value>) -> Replay {
    if !is_mutating(verb) {
        Replay::Safe
    } else if key
        .and_then(|k| k.get(KEY_DECLARED_EXTENSION))
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        Replay::Keyed
    } else if op.get(IDEMPOTENT_EXTENSION).and_then(Value::as_bool) == Some(true) {
        Replay::Idempotent
    } else {
        Replay::Unkeyed
    }
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
                .map(|p| {
                    resolve_ref(p, normalised.get("components").unwrap_or(&Value::Null))
                        .unwrap_or(p)
                })
                .map(|p| Parameter {
                    name: text(p, "name"),
                    location: text(p, "in"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                })
                .collect();
            parameters.dedup_by(|a, b| a.name == b.name && a.location == b.location);
            let key_param = is_mutating(verb)
                .then(|| {
                    op.get("parameters")
                        .and_then(Value::as_array)?
                        .iter()
                        .find(|p| {
                            p.get("name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.eq_ignore_ascii_case(IDEMPOTENCY_HEADER))
                        })
                })
                .flatten();
            let replay = replay_class(verb, op, key_param);
            let idempotency_key = key_param.map(|p| KeyRule {
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
            });
            let success_codes = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(s, _)| s.clone())
                .filter(|s| s.starts_with('2'))
                .map(Cow::Owned)
                .collect();
            let published_operation_id = published
                .get("paths")
                .and_then(|p| p.get(path))
                .and_then(|i| i.get(verb))
                .and_then(|o| o.get("operationId"))
                .and_then(Value::as_str)
                .map(|s| Cow::Owned(s.to_owned()));
            out.push(Operation {
                method: method_name(verb, path).into(),
                published_operation_id,
                verb: verb.to_ascii_uppercase().into(),
                path: path.clone().into(),
                parameters: parameters.into(),
                idempotency_key,
                replay,
                success_codes,
                body_type: None,
                response_type: Cow::Borrowed(""),
            });
        }
    }
    out.sort_by(|a, b| a.method.cmp(&b.method));
    out
}

/// The manifest as Rust source: a static table of the types in
/// [`TYPES_SOURCE`], which the crate includes next to it.
pub fn to_rust(ops: &[Operation]) -> String {
    let text = |s: &str| format!("Cow::Borrowed({s:?})");
    let mut s = String::from(
        "/// Every operation of the spec, as build.rs read it (sorted by method).\n\
         pub static OPERATIONS: &[Operation] = {\n    use ::std::borrow::Cow;\n    &[\n",
    );
    for op in ops {
        let key = match op.idempotency_key {
            Some(k) => format!(
                "Some(KeyRule {{ min_len: {}, max_len: {} }})",
                k.min_len, k.max_len
            ),
            None => "None".into(),
        };
        let params: Vec<String> = op
            .parameters
            .iter()
            .map(|p| {
                format!(
                    "Parameter {{ name: {}, location: {}, required: {} }}",
                    text(&p.name),
                    text(&p.location),
                    p.required
                )
            })
            .collect();
        let codes: Vec<String> = op.success_codes.iter().map(|c| text(c)).collect();
        let optional = |o: &Option<Cow<'static, str>>| match o {
            Some(v) => format!("Some({})", text(v)),
            None => "None".into(),
        };
        s.push_str(&format!(
            "        Operation {{ method: {}, published_operation_id: {}, verb: {}, path: {}, \
             parameters: Cow::Borrowed(&[{}]), idempotency_key: {}, replay: Replay::{:?}, \
             success_codes: Cow::Borrowed(&[{}]), body_type: {}, response_type: {} }},\n",
            text(&op.method),
            optional(&op.published_operation_id),
            text(&op.verb),
            text(&op.path),
            params.join(", "),
            key,
            op.replay,
            codes.join(", "),
            optional(&op.body_type),
            text(&op.response_type),
        ));
    }
    s.push_str("    ]\n};\n");
    s
}
