//! One table, two enforcers: for every request rule the spec states
//! (`x-qurl-rules`, and `minProperties`), a body that breaks it is refused
//! by the client before anything is sent, naming the field, and the same
//! body sent raw to the sandbox gets a 400 naming the same field with the
//! rule's code. The cases come from the spec: a new rule gets a case here
//! with no new test code (its `breaks` fragment over the schema's `example`).

mod support;

use httpmock::prelude::*;
use qurl::ErrorKind;
use qurl_rules::{Kind, SpecRule};
use serde_json::{Map, Value, json};
use support::*;

include!(concat!(env!("OUT_DIR"), "/send_json.rs"));

const SPEC: &str = include_str!("../openapi.json");
/// Every path parameter of a case: ids are plain strings in the spec, and
/// the rules are checked before an id is looked up.
const PATH_VALUE: &str = "x_parity";

/// One request that should be refused for one rule.
struct Case {
    operation_id: String,
    verb: String,
    path: String,
    /// What is broken, for messages.
    rule: String,
    body: Value,
    /// The field the refusal must name, and the API's code for it.
    field: String,
    code: String,
}

/// Object `base` with `fragment` laid over it; a `null` removes a field.
fn merged(base: &Value, fragment: &Map<String, Value>) -> Value {
    let mut out = base.as_object().cloned().unwrap_or_default();
    for (k, v) in fragment {
        if v.is_null() {
            out.remove(k);
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// The field a broken rule is reported under (see `qurl_rules::check`).
fn named_field(kind: &Kind) -> String {
    match kind {
        Kind::Exclusive { fields } => fields[1].to_string(),
        Kind::RequiredIf { field, .. }
        | Kind::RequiredUnless { field, .. }
        | Kind::OnlyIf { field, .. }
        | Kind::HttpUrl { field }
        | Kind::OneOf { field, .. }
        | Kind::NotOneOf { field, .. }
        | Kind::Duration { field, .. }
        | Kind::Range { field, .. }
        | Kind::Items { field, .. } => field.to_string(),
        Kind::MinProperties { .. } => "body".to_owned(),
    }
}

/// An operation whose body is a component schema.
#[derive(Clone)]
struct BodyOp {
    operation_id: String,
    verb: String,
    path: String,
    schema: String,
}

/// The operations whose body is a component schema, with that schema.
fn bodies(doc: &Value) -> Vec<BodyOp> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            let Some(schema) = op
                .pointer("/requestBody/content/application~1json/schema/$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            else {
                continue;
            };
            let id = op["operationId"].as_str().unwrap().to_owned();
            out.push(BodyOp {
                operation_id: id,
                verb: verb.to_uppercase(),
                path: path.clone(),
                schema: schema.to_owned(),
            });
        }
    }
    out
}

/// Each operation's schema `example` (which must be accepted), and one case
/// per rule of its body schema.
fn cases(doc: &Value) -> (Vec<Case>, Vec<(BodyOp, Value)>) {
    let stated = qurl_rules::spec_rules(doc).expect("the spec's rules parse");
    let mut cases = Vec::new();
    let mut examples = Vec::new();
    for op in bodies(doc) {
        let BodyOp {
            operation_id: id,
            verb,
            path,
            schema,
        } = op.clone();
        let component = &doc["components"]["schemas"][&schema];
        let mut rules: Vec<SpecRule> = stated.get(&schema).cloned().unwrap_or_default();
        if let Some(count) = component["minProperties"].as_u64() {
            rules.push(SpecRule {
                rule: qurl_rules::Rule {
                    kind: Kind::MinProperties { count },
                    code: "validation_error".into(),
                },
                evidence: "minProperties".into(),
                breaks: Map::new(),
            });
        }
        if rules.is_empty() {
            continue;
        }
        let example = component
            .get("example")
            .unwrap_or_else(|| panic!("`{schema}` has rules but no `example` to break them from"));
        examples.push((op, example.clone()));
        for r in rules {
            let body = match r.rule.kind {
                Kind::MinProperties { .. } => json!({}),
                _ => merged(example, &r.breaks),
            };
            cases.push(Case {
                operation_id: id.clone(),
                verb: verb.clone(),
                path: path.clone(),
                rule: format!("{schema}: {:?}", r.rule.kind),
                body,
                field: named_field(&r.rule.kind),
                code: r.rule.code.to_string(),
            });
        }
    }
    (cases, examples)
}

fn url(base: &str, path: &str) -> String {
    let mut filled = path.to_owned();
    while let (Some(a), Some(b)) = (filled.find('{'), filled.find('}')) {
        filled.replace_range(a..=b, PATH_VALUE);
    }
    format!("{base}{filled}")
}

async fn raw(
    http: &reqwest::Client,
    base: &str,
    verb: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(verb.as_bytes()).unwrap();
    let response = http
        .request(method, url(base, path))
        .bearer_auth(SECRET_KEY)
        .json(body)
        .send()
        .await
        .expect("the sandbox answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_rule_is_refused_by_the_client_and_by_the_sandbox_alike() {
    let doc: Value = serde_json::from_str(SPEC).unwrap();
    let (cases, examples) = cases(&doc);
    // Every kind of rule has at least one case (a kind nobody uses would be
    // an interpreter branch no spec rule exercises here).
    assert!(cases.len() >= 25, "{} cases", cases.len());

    let server = MockServer::start_async().await;
    let anything = server.mock(|_, then| {
        then.status(500);
    });
    let client = client(&server.base_url(), qurl::RetryPolicy::none());
    let sandbox = qurl_sandbox::Sandbox::builder()
        .seed(11)
        .start()
        .await
        .expect("sandbox");
    let http = reqwest::Client::new();

    let mut failures = Vec::new();
    for case in &cases {
        let label = format!("{} ({}) {}", case.operation_id, case.rule, case.body);
        // The client: refused locally, naming the field.
        match send_json(&client, &case.operation_id, PATH_VALUE, case.body.clone()).await {
            Err(e) => failures.push(format!("{label}: the body is not the type: {e}")),
            Ok(Ok(())) => failures.push(format!("{label}: the client sent it")),
            Ok(Err(e)) => {
                let text = e.to_string();
                if e.kind() != ErrorKind::InvalidRequest
                    || !text.contains(&format!("`{}`", case.field))
                {
                    failures.push(format!("{label}: client said {:?}: {text}", e.kind()));
                }
            }
        }
        // The sandbox: 400, naming the field, with the rule's code.
        let (status, answer) = raw(
            &http,
            &sandbox.base_url(),
            &case.verb,
            &case.path,
            &case.body,
        )
        .await;
        let fields = answer["error"]["invalid_fields"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        if status != 400 || !fields.contains_key(&case.field) || code != case.code {
            failures.push(format!("{label}: sandbox answered {status} {answer}"));
        }
    }
    assert_eq!(anything.calls_async().await, 0, "the client sent nothing");

    // The example each case starts from is accepted by both: what breaks a
    // case is its rule, not the rest of the body.
    for (op, example) in &examples {
        let id = &op.operation_id;
        match send_json(&client, id, PATH_VALUE, example.clone()).await {
            Err(e) => failures.push(format!("{id}: its example is not the type: {e}")),
            Ok(Err(e)) if e.kind() == ErrorKind::InvalidRequest => {
                failures.push(format!(
                    "{id}: the client refused its example {example}: {e}"
                ));
            }
            // Sent (the mock server answers 500): accepted.
            Ok(_) => {}
        }
        let (status, answer) = raw(&http, &sandbox.base_url(), &op.verb, &op.path, example).await;
        if status == 400 {
            failures.push(format!(
                "{id}: the sandbox refused its example {example}: {answer}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
