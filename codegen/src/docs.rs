//! The rustdoc of each generated operation: what a failed attempt leads to
//! (from the manifest's replay class), and an example that runs as a doc
//! test against the embedded sandbox, built with the plain-value builder
//! from the spec's required parameters and body fields.

use serde_json::Value;

use crate::manifest::{Operation, Replay};
use crate::normalise::resolve_ref;

/// What retries do for an operation of this class.
pub fn retries(replay: Replay) -> &'static str {
    match replay {
        Replay::Safe => {
            "**Retries.** A read or a delete: replayed after any retryable failure \
             (no connection, a timeout, a dropped answer, 408/429/502/503/504), within \
             the client's `RetryPolicy` and retry budget."
        }
        Replay::Keyed => {
            "**Retries.** The spec declares `Idempotency-Key` here: every attempt carries \
             the same key (a new UUIDv7, or yours with `.idempotency_key(k)`) and the same \
             bytes, so the call is replayed after any retryable failure and the API answers \
             a repeated key with the first answer. If the outcome is still unknown after \
             the retries (`err.outcome_unknown()`), resend the same request with \
             `err.idempotency_key()`."
        }
        Replay::Idempotent => {
            "**Retries.** The spec marks this operation `x-qurl-idempotent` (a repeat \
             changes nothing more), so it is replayed after any retryable failure, like a \
             keyed call."
        }
        Replay::Unkeyed => {
            "**Retries.** The spec declares no `Idempotency-Key` here, so the call is not \
             replayed once it may have reached the server: only after a refused connection \
             or a 429. After a 5xx, a timeout or a dropped answer the error says \
             `err.outcome_unknown()`: look at the state before sending it again \
             (`err.idempotency_key()` names the call in your logs). Where a repeat is \
             harmless, `RetryPolicy::assume_idempotent(true)` opts in to replays."
        }
    }
}

/// A literal that converts into a value of `schema` (enough to compile and
/// to read well; the example does not depend on the call succeeding).
fn value(schema: &Value, components: &Value) -> Option<String> {
    let schema = resolve_ref(schema, components)?;
    if let Some(example) = schema
        .get("example")
        .filter(|e| e.is_string() || e.is_number() || e.is_boolean())
    {
        return Some(example.to_string());
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return Some(first.to_string());
    }
    match schema.get("type").and_then(Value::as_str)? {
        "string" => Some(
            match schema.get("format").and_then(Value::as_str) {
                Some("uri") => "\"https://example.com/page\"",
                Some("date-time") => "\"2026-12-01T09:00:00Z\"",
                _ => "\"example\"",
            }
            .to_owned(),
        ),
        "integer" | "number" => Some(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .map_or(1, |m| m.max(1))
                .to_string(),
        ),
        "boolean" => Some("true".to_owned()),
        "array" => Some(format!("[{}]", value(schema.get("items")?, components)?)),
        _ => None,
    }
}

/// `.field(value)` for the body's required fields, or its first property
/// when none is required (an object field is left out).
fn body_fields(body: &Value, components: &Value) -> String {
    let Some(props) = body.get("properties").and_then(Value::as_object) else {
        return String::new();
    };
    let required: Vec<&str> = body
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let names: Vec<&str> = if required.is_empty() {
        props.keys().take(1).map(String::as_str).collect()
    } else {
        required
    };
    names
        .iter()
        .filter_map(|n| {
            Some(format!(
                ".{}({})",
                crate::syntax::setter_name(n),
                value(props.get(*n)?, components)?
            ))
        })
        .collect()
}

/// The example: required parameters and body fields, then `send()` (or, for
/// a list, `by_item()`), printing what came back either way.
pub fn example(op: &Operation, spec_op: &Value, components: &Value, list: bool) -> String {
    let mut chain = format!("client\n    .{}()", op.method);
    for p in op
        .parameters
        .iter()
        .filter(|p| p.required && p.location != "header")
    {
        let schema = spec_op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|q| resolve_ref(q, components))
            .find(|q| q["name"] == p.name.as_ref())
            .and_then(|q| q.get("schema"))
            .and_then(|s| value(s, components))
            .unwrap_or_else(|| "\"example\"".into());
        chain.push_str(&format!(
            "\n    .{}({schema})",
            crate::syntax::setter_name(&p.name)
        ));
    }
    let body = spec_op
        .pointer("/requestBody/content/application~1json/schema")
        .and_then(|s| resolve_ref(s, components));
    if let Some(body) = body {
        chain.push_str(&format!(
            "\n    .body_map(|b| b{})",
            body_fields(body, components)
        ));
    }
    let call = if list {
        format!(
            "let mut items = {chain}\n    .by_item();\n\
             while let Some(item) = items.next().await {{\n    \
             match item {{\n        \
             Ok(item) => println!(\"{{item:?}}\"),\n        \
             Err(e) => {{\n            \
             println!(\"{{e}}; resume from {{:?}}\", e.page_cursor());\n            \
             break;\n        \
             }}\n    \
             }}\n\
             }}"
        )
    } else {
        format!(
            "match {chain}\n    .send()\n    .await\n{{\n    \
             Ok(answer) => println!(\"{{}}: {{:?}}\", answer.status(), answer.into_inner()),\n    \
             Err(e) => println!(\"{{e}}\"),\n\
             }}"
        )
    };
    format!(
        "```\n\
         use qurl::prelude::*;\n\
         # #[tokio::main(flavor = \"current_thread\")]\n\
         # async fn main() -> Result<(), Box<dyn std::error::Error>> {{\n\
         # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;\n\
         # let client = qurl::Client::builder().api_key(\"lv_live_docs_owner_0001\").base_url(sandbox.base_url()).build()?;\n\
         {call}\n\
         # Ok(()) }}\n\
         ```"
    )
}

/// Replace progenitor's `ignore` example in an operation method's docs with
/// the retry rule and a runnable example.
pub fn rewrite_client_docs(
    file: &mut syn::File,
    doc: &Value,
    ops: &[Operation],
    lists: &std::collections::BTreeSet<String>,
) {
    let components = doc.get("components").unwrap_or(&Value::Null);
    for item in &mut file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some()
            || crate::syntax::last_ident(&imp.self_ty).as_deref() != Some("Client")
        {
            continue;
        }
        for it in &mut imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            let name = f.sig.ident.to_string();
            let Some(op) = ops.iter().find(|o| o.method == name) else {
                continue;
            };
            let spec_op = doc
                .pointer(&format!(
                    "/paths/{}/{}",
                    op.path.replace('~', "~0").replace('/', "~1"),
                    op.verb.to_ascii_lowercase()
                ))
                .unwrap_or(&Value::Null);
            for attr in &mut f.attrs {
                let syn::Meta::NameValue(nv) = &mut attr.meta else {
                    continue;
                };
                if !nv.path.is_ident("doc") {
                    continue;
                }
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) = &nv.value
                else {
                    continue;
                };
                let old = text.value();
                let Some(cut) = old.find("```ignore") else {
                    continue;
                };
                let new = format!(
                    "{}{}\n\n{}",
                    &old[..cut],
                    retries(op.replay),
                    example(op, spec_op, components, lists.contains(&name))
                );
                nv.value = syn::parse_quote!(#new);
            }
        }
    }
}
