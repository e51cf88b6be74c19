//! Rewrites a published OpenAPI 3.0 document into one progenitor 0.15 can
//! generate from, without changing what goes over the wire.
//!
//! Each step exists because the published qURL document (or the next one)
//! would otherwise fail: progenitor panics on several error schemas per
//! operation, types `application/problem+json` bodies as raw bytes, and
//! closes string enums so a new server value would break decoding.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::CodegenError;
use crate::names::method_name;

/// HTTP verbs a path item may hold, in OpenAPI's spelling.
pub const VERBS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Verbs whose calls carry an `Idempotency-Key`.
pub fn is_mutating(verb: &str) -> bool {
    matches!(verb, "post" | "put" | "patch")
}

/// Header name of the key, compared case-insensitively.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Parameter extension carrying the key's length rule past normalisation.
pub const KEY_RULE_EXTENSION: &str = "x-qurl-key-rule";

/// Parameter extension: `true` when the published spec itself declared the
/// key (so the API honours it), `false` when the normaliser added it.
pub const KEY_DECLARED_EXTENSION: &str = "x-qurl-key-declared";

/// Operation extension a spec author may set to `true` on a POST/PUT/PATCH
/// that is idempotent by nature (a second identical call changes nothing
/// more), so the client replays it like a keyed call.
pub const IDEMPOTENT_EXTENSION: &str = "x-qurl-idempotent";

/// The one error body type every operation gets (lenient problem details, per-field messages, meta and `data`).
pub const ERROR_BODY: &str = "ApiErrorBody";

/// Normalise `doc` in place. `file` names the document in errors.
pub fn normalise(doc: &mut Value, file: &str) -> Result<(), CodegenError> {
    check_version(doc, file)?;
    let components = doc.get("components").cloned().unwrap_or_else(|| json!({}));
    let mut new_schemas: BTreeMap<String, Value> = BTreeMap::new();
    if components
        .pointer(&format!("/schemas/{ERROR_BODY}"))
        .is_some()
    {
        return Err(CodegenError::new(
            file,
            format!(
                "the spec defines a schema named `{ERROR_BODY}`, the name the normaliser gives the shared error body; rename it"
            ),
        ));
    }
    new_schemas.insert(ERROR_BODY.to_owned(), error_body_schema());
    let mut seen_names: BTreeMap<String, String> = BTreeMap::new();

    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| CodegenError::new(file, "the document has no `paths` object"))?;
    for (path, item) in paths.iter_mut() {
        if item.get("$ref").is_some() {
            return Err(CodegenError::new(
                file,
                format!(
                    "path {path} is a `$ref`; progenitor cannot follow path-item references, inline it"
                ),
            ));
        }
        let path_params = item.get("parameters").cloned().unwrap_or_else(|| json!([]));
        let item = item
            .as_object_mut()
            .ok_or_else(|| CodegenError::new(file, format!("path {path} is not an object")))?;
        for verb in VERBS {
            let Some(op) = item.get_mut(verb) else {
                continue;
            };
            let label = operation_label(verb, path, op);
            let op = op
                .as_object_mut()
                .ok_or_else(|| CodegenError::at(file, &label, "the operation is not an object"))?;
            let name = method_name(verb, path);
            if let Some(other) = seen_names.insert(name.clone(), label.clone()) {
                return Err(CodegenError::at(
                    file,
                    &label,
                    format!(
                        "its method name `{name}` (verb + path rule) is also the name of {other}; \
                         rename one of the two paths"
                    ),
                ));
            }
            rename_operation(op, &name);
            if is_mutating(verb) {
                ensure_idempotency_key(op, &path_params, &components, file, &label)?;
            }
            normalise_responses(op, &components, &mut new_schemas, &name, file, &label)?;
            normalise_request_media(op);
        }
    }

    let schemas = doc
        .as_object_mut()
        .expect("checked by check_version")
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| CodegenError::new(file, "`components` is not an object"))?
        .entry("schemas")
        .or_insert_with(|| json!({}));
    if let Some(schemas) = schemas.as_object_mut() {
        for (name, schema) in new_schemas {
            schemas.entry(name).or_insert(schema);
        }
    }
    open_response_enums(doc);
    Ok(())
}

/// The lenient error envelope every error status of every operation decodes
/// into: problem details, per-field messages and meta, with nothing required
/// (a proxy's or an old server's body still decodes), plus `data` for error
/// answers that carry results (batch create's 400).
fn error_body_schema() -> Value {
    let text = json!({"type": "string"});
    json!({
        "description": "Error body of every operation: problem details, per-field messages, metadata, and the results an error answer may carry.",
        "type": "object",
        "properties": {
            "error": {
                "description": "Problem details (RFC 7807) with a stable `code`.",
                "type": "object",
                "properties": {
                    "type": text, "title": text, "status": {"type": "integer"},
                    "code": text, "detail": text, "instance": text,
                    "invalid_fields": {"type": "object", "additionalProperties": text},
                },
            },
            "meta": {
                "description": "Metadata; `request_id` identifies the request for support.",
                "type": "object",
                "properties": {"request_id": text},
            },
            "data": {"description": "Results an error answer carries (batch create's per-item outcomes)."},
        },
    })
}

fn check_version(doc: &Value, file: &str) -> Result<(), CodegenError> {
    let Some(obj) = doc.as_object() else {
        return Err(CodegenError::new(file, "the document is not a JSON object"));
    };
    match obj.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => Ok(()),
        Some(v) if v.starts_with("3.1") => Err(CodegenError::new(
            file,
            format!(
                "OpenAPI {v} is not supported: progenitor 0.15 reads OpenAPI 3.0.x only \
                 (3.1 uses JSON Schema 2020-12); convert the document to 3.0.3"
            ),
        )),
        Some(v) => Err(CodegenError::new(
            file,
            format!("unsupported `openapi` version {v:?}; expected 3.0.x"),
        )),
        None if obj.contains_key("swagger") => Err(CodegenError::new(
            file,
            "this is a Swagger 2.0 document; convert it to OpenAPI 3.0.3",
        )),
        None => Err(CodegenError::new(
            file,
            "missing the `openapi` version field (expected \"3.0.3\")",
        )),
    }
}

fn operation_label(verb: &str, path: &str, op: &Value) -> String {
    match op.get("operationId").and_then(Value::as_str) {
        Some(id) => format!("{} {} ({})", verb.to_ascii_uppercase(), path, id),
        None => format!("{} {}", verb.to_ascii_uppercase(), path),
    }
}

/// The method name becomes the operationId; the published one stays in the docs.
fn rename_operation(op: &mut Map<String, Value>, name: &str) {
    let original = op
        .get("operationId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut doc = op
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default();
    if let Some(original) = original.filter(|o| o != name) {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("Published operationId: `{original}`."));
    }
    if !doc.is_empty() {
        op.insert("description".into(), Value::String(doc));
    }
    op.insert("operationId".into(), Value::String(name.to_owned()));
}

/// Follow a local `#/components/...` reference (the one resolver of the
/// generator); a value without `$ref` is itself. `None`: a dangling reference.
pub fn resolve_ref<'a>(value: &'a Value, components: &'a Value) -> Option<&'a Value> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => components.pointer(r.strip_prefix("#/components")?),
        None => Some(value),
    }
}

fn is_key_header(param: &Value) -> bool {
    param.get("in").and_then(Value::as_str) == Some("header")
        && param
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(IDEMPOTENCY_HEADER))
}

/// Every POST/PUT/PATCH gets an optional string `Idempotency-Key` header.
/// A declared one (operation-level, path-level or `$ref`) is kept with its
/// length rule, made optional (the shim supplies a key) and typed as string.
fn ensure_idempotency_key(
    op: &mut Map<String, Value>,
    path_params: &Value,
    components: &Value,
    file: &str,
    label: &str,
) -> Result<(), CodegenError> {
    let params = op.entry("parameters").or_insert_with(|| json!([]));
    let params = params
        .as_array_mut()
        .ok_or_else(|| CodegenError::at(file, label, "`parameters` is not an array"))?;
    for p in params.iter_mut() {
        let resolved = resolve_ref(p, components).cloned();
        if let Some(resolved) = resolved.filter(is_key_header) {
            // Inline the reference so the shared component stays untouched.
            *p = key_parameter(&resolved, true);
            return Ok(());
        }
    }
    let from_path = path_params
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| resolve_ref(p, components))
        .find(|p| is_key_header(p));
    let parameter = match from_path {
        Some(declared) => key_parameter(declared, true),
        None => key_parameter(
            &json!({"in": "header", "name": IDEMPOTENCY_HEADER, "schema": {"type": "string", "minLength": 1, "maxLength": 256}}),
            false,
        ),
    };
    params.push(parameter);
    Ok(())
}

/// The key parameter as the generated code sees it. `declared` records
/// whether the spec itself declared the key: that decides replay safety.
fn key_parameter(declared: &Value, by_spec: bool) -> Value {
    let schema = declared.get("schema").cloned().unwrap_or_else(|| json!({}));
    let min = schema
        .get("minLength")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1);
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(256);
    // The schema stays a plain string so the setter takes `&str`, `String`
    // or `qurl::IdempotencyKey`; the shim enforces the rule kept here.
    let mut out = json!({
        "in": "header",
        "name": IDEMPOTENCY_HEADER,
        "required": false,
        "schema": {"type": "string"},
    });
    out[KEY_RULE_EXTENSION] = json!({"min_len": min, "max_len": max});
    out[KEY_DECLARED_EXTENSION] = json!(by_spec);
    if let Some(d) = declared.get("description") {
        out["description"] = d.clone();
    }
    out
}

fn is_json_media(media: &str) -> bool {
    let base = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    base == "application/json" || base.ends_with("+json")
}

/// Keep one JSON media type, spelled `application/json`, so progenitor types it.
fn normalise_content(content: &mut Value) {
    let Some(map) = content.as_object_mut() else {
        return;
    };
    let json_entry = map
        .iter()
        .find(|(k, _)| is_json_media(k))
        .map(|(_, v)| v.clone());
    if let Some(entry) = json_entry {
        // JSON wins over other media next to it, which would be untyped.
        map.clear();
        map.insert("application/json".into(), entry);
    }
}

fn normalise_request_media(op: &mut Map<String, Value>) {
    if let Some(content) = op.get_mut("requestBody").and_then(|b| b.get_mut("content")) {
        normalise_content(content);
    }
}

fn is_success(status: &str) -> bool {
    status.starts_with('2') || status.eq_ignore_ascii_case("2XX")
}

fn json_schema(response: &Value) -> Option<&Value> {
    response
        .get("content")?
        .get("application/json")?
        .get("schema")
}

fn normalise_responses(
    op: &mut Map<String, Value>,
    components: &Value,
    new_schemas: &mut BTreeMap<String, Value>,
    method: &str,
    file: &str,
    label: &str,
) -> Result<(), CodegenError> {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return Err(CodegenError::at(
            file,
            label,
            "the operation declares no `responses`",
        ));
    };
    // Inline `$ref` responses so per-operation edits stay per operation.
    for (status, response) in responses.iter_mut() {
        let resolved = resolve_ref(response, components).cloned().ok_or_else(|| {
            CodegenError::at(
                file,
                label,
                format!("response {status} refers to a missing component"),
            )
        })?;
        *response = resolved;
        if let Some(content) = response.get_mut("content") {
            normalise_content(content);
            if content.as_object().is_some_and(Map::is_empty) {
                response.as_object_mut().map(|r| r.remove("content"));
            }
        }
    }
    // Body-less non-2xx (304, ...) carry nothing to decode.
    responses.retain(|status, r| {
        is_success(status) || json_schema(r).is_some() || r.get("content").is_some()
    });
    // A body-less 2xx next to typed ones would be a second success kind.
    let typed_success = responses
        .iter()
        .any(|(s, r)| is_success(s) && json_schema(r).is_some());
    if typed_success {
        responses.retain(|s, r| !is_success(s) || r.get("content").is_some());
    }
    use_one_error_body(responses);
    unify_success_schemas(responses, new_schemas, method);
    Ok(())
}

/// Every error status answers the one error body, and undocumented 4xx/5xx
/// statuses (a 503 from a proxy, a 429 the spec forgot) decode as it too.
/// Ranges, not `default`: progenitor counts `default` as a success too.
fn use_one_error_body(responses: &mut Map<String, Value>) {
    let body = json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{ERROR_BODY}")}}});
    responses.remove("default");
    for range in ["4XX", "5XX"] {
        if !responses.keys().any(|k| k.eq_ignore_ascii_case(range)) {
            responses.insert(
                range.to_owned(),
                json!({"description": "Any other error status."}),
            );
        }
    }
    for (status, response) in responses.iter_mut() {
        if !is_success(status) {
            response["content"] = body.clone();
        }
    }
}

/// Several distinct success schemas become one `anyOf` component, named
/// after its members so that equal sets share one type.
fn unify_success_schemas(
    responses: &mut Map<String, Value>,
    new_schemas: &mut BTreeMap<String, Value>,
    method: &str,
) {
    let mut distinct: Vec<Value> = Vec::new();
    for (status, r) in responses.iter() {
        if !is_success(status) {
            continue;
        }
        if let Some(s) = json_schema(r)
            && !distinct.contains(s)
        {
            distinct.push(s.clone());
        }
    }
    if distinct.len() <= 1 {
        return;
    }
    let ref_names: Option<BTreeSet<String>> = distinct
        .iter()
        .map(|s| {
            s.get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .map(str::to_owned)
        })
        .collect();
    let name = match ref_names {
        Some(names) => names.into_iter().collect::<Vec<_>>().join("Or"),
        None => format!("{}Success", pascal(method)),
    };
    new_schemas.entry(name.clone()).or_insert_with(|| {
        json!({
            "description": "One of several bodies the API documents for these statuses.",
            "anyOf": distinct,
        })
    });
    let reference = json!({"$ref": format!("#/components/schemas/{name}")});
    for (status, r) in responses.iter_mut() {
        if is_success(status)
            && let Some(schema) = r.pointer_mut("/content/application~1json/schema")
        {
            *schema = reference.clone();
        }
    }
}

pub fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// String enums reachable from a response become plain strings, with the
/// known values in the docs: a value added by the server later still decodes.
fn open_response_enums(doc: &mut Value) {
    let mut reachable = BTreeSet::new();
    let mut queue: Vec<String> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for verb in VERBS {
                if let Some(responses) = item.get(verb).and_then(|o| o.get("responses")) {
                    collect_refs(responses, &mut queue);
                }
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}));
    while let Some(name) = queue.pop() {
        if reachable.insert(name.clone())
            && let Some(s) = schemas.get(&name)
        {
            collect_refs(s, &mut queue);
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for verb in VERBS {
                if let Some(responses) = item.get_mut(verb).and_then(|o| o.get_mut("responses")) {
                    open_enums(responses);
                }
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            if reachable.contains(name) {
                open_enums(schema);
            }
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn open_enums(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let all_strings = map
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|e| e.iter().all(|v| v.is_string() || v.is_null()));
            if all_strings {
                let known: Vec<String> = map["enum"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|s| format!("`{s}`"))
                    .collect();
                map.remove("enum");
                map.entry("type").or_insert_with(|| json!("string"));
                let note = format!("Known values: {}. Others may appear.", known.join(", "));
                let doc = match map.get("description").and_then(Value::as_str) {
                    Some(d) => format!("{d}\n\n{note}"),
                    None => note,
                };
                map.insert("description".into(), Value::String(doc));
            }
            map.values_mut().for_each(open_enums);
        }
        Value::Array(items) => items.iter_mut().for_each(open_enums),
        _ => {}
    }
}
