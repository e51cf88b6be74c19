//! Bodies generated from the spec's schemas (proptest): whatever the client
//! accepts, the sandbox does not refuse with a 400. The generator reads each
//! property's schema (types, enums, patterns, lengths, bounds, formats), so
//! it also makes bodies that break the rules; the client must refuse
//! those itself. Two kinds of rule are kept out of the bodies because no
//! client can know them: times (`expires_at` must lie in the next 30 days,
//! the API's clock) and stored state (`custom_domain` must be a verified
//! domain of the account); a refusal by the plan's limits (a lifetime beyond
//! the plan's maximum) is the API's to make and is allowed. 1,000 cases per
//! operation.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use qurl::ErrorKind;
use serde_json::{Map, Value, json};

include!(concat!(env!("OUT_DIR"), "/send_json.rs"));

const SPEC: &str = include_str!("../openapi.json");
const CASES: u32 = 1000;
const BODIES_PER_ACCOUNT: usize = 40;
/// Fields whose rules depend on stored state, never generated.
const STATE_FIELDS: &[&str] = &["custom_domain"];

fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(SPEC).unwrap())
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc()
            .pointer(&r.replacen('#', "", 1))
            .unwrap_or(&Value::Null),
        None => schema,
    }
}

type Gen = BoxedStrategy<Value>;

/// A value for `schema`: mostly within its keywords, sometimes outside.
fn value(schema: &Value, depth: u32) -> Gen {
    let schema = resolve(schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let listed = proptest::sample::select(values.clone()).boxed();
        return prop_oneof![19 => listed, 1 => Just(json!("not-a-listed-value"))].boxed();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") if depth < 3 => object(schema, depth + 1),
        Some("object") => Just(json!({})).boxed(),
        Some("array") => {
            // Short lists mostly; now and then one item over the maximum.
            let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
            let max = schema["maxItems"].as_u64().map(|m| m as usize);
            let usual = min..=max.unwrap_or(usize::MAX).min(min + 3);
            let item = value(&schema["items"], depth);
            let lists = proptest::collection::vec(item.clone(), usual).boxed();
            match max {
                Some(m) => prop_oneof![19 => lists, 1 => proptest::collection::vec(item, m + 1)]
                    .prop_map(Value::Array)
                    .boxed(),
                None => lists.prop_map(Value::Array).boxed(),
            }
        }
        Some("integer") => {
            let min = schema["minimum"].as_i64().unwrap_or(-5);
            let max = schema["maximum"].as_i64().unwrap_or(min + 2000);
            prop_oneof![18 => min..=max, 1 => Just(min - 1), 1 => Just(max + 1)]
                .prop_map(|n| json!(n))
                .boxed()
        }
        Some("boolean") => any::<bool>().prop_map(Value::Bool).boxed(),
        Some("string") => string(schema),
        _ => Just(Value::Null).boxed(),
    }
}

fn string(schema: &Value) -> Gen {
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        // Within the API's window: the next 30 days.
        return (3600i64..29 * 86_400)
            .prop_map(|ahead| {
                json!((chrono::Utc::now() + chrono::Duration::seconds(ahead)).to_rfc3339())
            })
            .boxed();
    }
    if schema.get("format").and_then(Value::as_str) == Some("uri") {
        let scheme = prop_oneof![
            12 => Just("https://"),
            4 => Just("http://"),
            1 => Just("ftp://"),
            1 => Just("mailto:"),
            1 => Just("https:///"),
            1 => Just(""),
        ];
        let host = proptest::sample::select(vec![
            "example.com",
            "a.example",
            "x.example:8080",
            "b.example",
            "c.example",
            "",
        ]);
        return (scheme, host, "[a-z0-9/]{0,12}")
            .prop_map(|(s, h, p)| json!(format!("{s}{h}/{p}")))
            .boxed();
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        // Anchors are implied; a run of digits is kept short (durations such
        // as `720h`), or nearly every number would be out of range.
        let pattern = pattern
            .trim_start_matches('^')
            .trim_end_matches('$')
            .replace("[0-9]+", "[0-9]{1,3}");
        let matching =
            proptest::string::string_regex(&pattern).expect("a pattern proptest can generate");
        return prop_oneof![19 => matching, 1 => "[ -~]{0,8}"]
            .prop_map(Value::String)
            .boxed();
    }
    let max = schema["maxLength"].as_u64().unwrap_or(40) as usize;
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    let words = proptest::sample::select(vec![
        "admin",
        "qurl",
        "docs",
        "tunnel",
        "url",
        "transit",
        "tunnel_bootstrap",
    ]);
    prop_oneof![
        16 => proptest::string::string_regex(&format!("[a-z0-9 -]{{{min},{}}}", max.min(60))).unwrap().prop_map(Value::String),
        2 => words.prop_map(|w| json!(w)),
        1 => Just(json!("x".repeat(max + 1))),
    ]
    .boxed()
}

/// An object: each required property, and each optional one half the time.
fn object(schema: &Value, depth: u32) -> Gen {
    let required: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    let mut fields: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if STATE_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let name = name.clone();
        let v = value(property, depth);
        if required.contains(&name) {
            fields.push(v.prop_map(move |v| Some((name.clone(), v))).boxed());
        } else {
            fields.push(proptest::option::of(v.prop_map(move |v| (name.clone(), v))).boxed());
        }
    }
    fields
        .prop_map(|pairs| {
            Value::Object(pairs.into_iter().flatten().collect::<Map<String, Value>>())
        })
        .boxed()
}

/// A refusal by the plan's limits only (a lifetime beyond the plan's
/// maximum): no client can know the account's plan, so the API says it.
fn plan_rule(e: &qurl::Error) -> bool {
    e.problem().is_some_and(|p| {
        !p.invalid_fields.is_empty() && p.invalid_fields.values().all(|m| m.contains(" plan"))
    })
}

/// The body schema of `operation_id`, with its verb and path.
fn operation(operation_id: &str) -> (String, String, Value) {
    for (path, item) in doc()["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            if op["operationId"] == operation_id {
                let schema = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .expect("a body")
                    .clone();
                return (verb.to_uppercase(), path.clone(), schema);
            }
        }
    }
    panic!("no operation {operation_id}");
}

/// Run `CASES` bodies through the client against the sandbox.
async fn accepted_bodies_are_not_refused(operation_id: &str) {
    let sandbox = qurl_sandbox::Sandbox::builder()
        .seed(5)
        .start()
        .await
        .expect("sandbox");
    let (_, _, schema) = operation(operation_id);
    let strategy = value(&schema, 0);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let mut bodies = Vec::new();
    for _ in 0..CASES {
        bodies.push(strategy.new_tree(&mut runner).expect("a body").current());
    }
    // A fresh account every few bodies keeps the plan's limits (active keys,
    // resources) out of the way.
    let clients: Vec<qurl::Client> = (0..(CASES as usize).div_ceil(BODIES_PER_ACCOUNT))
        .map(|account| {
            qurl::Client::builder()
                .api_key(format!("lv_live_prop_{operation_id}_{account}"))
                .base_url(sandbox.base_url())
                .retry_policy(qurl::RetryPolicy::none())
                .build()
                .unwrap()
        })
        .collect();
    let mut accepted = 0;
    let mut refused_locally = 0;
    for (n, body) in bodies.into_iter().enumerate() {
        let client = &clients[n / BODIES_PER_ACCOUNT];
        match send_json(client, operation_id, "x_prop", body.clone()).await {
            // typify refused it while reading (an enum, a pattern, a length).
            Err(_) => refused_locally += 1,
            Ok(Err(e)) if e.kind() == ErrorKind::InvalidRequest => refused_locally += 1,
            Ok(Err(e)) if e.status().map(|s| s.as_u16()) == Some(400) && !plan_rule(&e) => {
                panic!("{operation_id}: the client accepted {body} and the sandbox refused it: {e}")
            }
            Ok(_) => accepted += 1,
        }
    }
    // Both branches must be exercised, or the property says little.
    assert!(
        accepted >= 50,
        "{operation_id}: only {accepted} of {CASES} bodies accepted"
    );
    assert!(
        refused_locally >= 50,
        "{operation_id}: only {refused_locally} of {CASES} refused locally"
    );
}

#[tokio::test]
async fn create_qurl() {
    accepted_bodies_are_not_refused("createQurl").await;
}

#[tokio::test]
async fn update_qurl() {
    accepted_bodies_are_not_refused("updateQurl").await;
}

#[tokio::test]
async fn mint_link() {
    accepted_bodies_are_not_refused("mintLink").await;
}

#[tokio::test]
async fn create_resource() {
    accepted_bodies_are_not_refused("createResource").await;
}

#[tokio::test]
async fn create_webhook() {
    accepted_bodies_are_not_refused("createWebhook").await;
}

#[tokio::test]
async fn create_api_key() {
    accepted_bodies_are_not_refused("createApiKey").await;
}
