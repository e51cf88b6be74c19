//! build.rs's errors on bad specs, and the normaliser on documents that
//! would make progenitor 0.15.1 panic as published.

use std::path::{Path, PathBuf};

use qurl_codegen::generate_to_dir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn error_for(name: &str) -> String {
    let out = tempdir();
    match generate_to_dir(&fixture(name), &out) {
        Ok(_) => panic!("{name} should not generate"),
        Err(e) => e.to_string(),
    }
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "qurl-codegen-test-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn openapi_3_1_is_rejected_with_the_reason() {
    let e = error_for("openapi_3_1.json");
    assert!(e.contains("openapi_3_1.json"), "{e}");
    assert!(
        e.contains("3.1.0 is not supported") && e.contains("3.0"),
        "{e}"
    );
}

#[test]
fn two_operations_with_one_method_name_are_both_named() {
    let e = error_for("name_collision.json");
    assert!(
        e.contains("GET /v1/api-keys (listKeys)") && e.contains("GET /v1/api_keys (listKeysAgain)"),
        "{e}"
    );
    assert!(e.contains("get_api_keys"), "{e}");
}

#[test]
fn invalid_json_names_file_line_and_column() {
    let e = error_for("not_json.json");
    assert!(e.contains("not_json.json") && e.contains("line 2"), "{e}");
}

#[test]
fn swagger_2_is_rejected() {
    assert!(error_for("swagger_2.json").contains("Swagger 2.0"));
}

#[test]
fn an_operation_without_responses_is_named() {
    let e = error_for("no_responses.json");
    assert!(
        e.contains("POST /v1/things (makeThing)") && e.contains("responses"),
        "{e}"
    );
}

#[test]
fn documents_that_panic_progenitor_as_published_generate_after_normalising() {
    let out = tempdir();
    let g =
        generate_to_dir(&fixture("progenitor_traps.json"), &out).unwrap_or_else(|e| panic!("{e}"));
    let methods: Vec<_> = g.operations.iter().map(|o| o.method.as_ref()).collect();
    assert_eq!(methods, ["get_things", "post_things", "put_things_batch"]);
    // The path-level, required, uuid-typed key became an optional string with its rule kept.
    let post = &g.operations[1];
    assert_eq!(
        post.idempotency_key.map(|k| (k.min_len, k.max_len)),
        Some((36, 36))
    );
    assert!(
        g.client.contains("ApiErrorBody") && !g.client.contains("ProblemOrValidationProblem"),
        "every operation has the one error body; nothing left to merge"
    );
    assert_eq!(
        g.client.matches("crate::shim::Call::begin").count(),
        3,
        "every send hands the call to the shim"
    );
    assert_eq!(
        g.operations[1].replay,
        qurl_codegen::manifest::Replay::Keyed,
        "a path-level key counts as declared"
    );
    assert!(
        g.client.contains("pub fn idempotency_key"),
        "PUT got a key setter too"
    );
    assert!(
        out.join("codegen.rs").exists()
            && out.join("blocking.rs").exists()
            && out.join("manifest.rs").exists()
    );
}

/// The published upstream document (kept outside the project, beside the
/// checkout) must generate too: users regenerate from what the API publishes.
#[test]
fn the_published_upstream_document_generates() {
    let upstream = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/qurl-openapi-upstream.yaml");
    // Missing is a failure, not a skip: a check that cannot run must say so.
    let text = std::fs::read_to_string(&upstream).unwrap_or_else(|e| {
        panic!(
            "{} cannot be read ({e}); this test needs the shared reference folder beside the checkout",
            upstream.display()
        )
    });
    let doc: serde_json::Value = serde_yaml::from_str(&text).expect("upstream YAML parses");
    let g = qurl_codegen::generate_from_value(doc, "qurl-openapi-upstream.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.operations.len(), 50);
    assert_eq!(
        g.operations
            .iter()
            .filter(|o| o.idempotency_key.is_some())
            .count(),
        22
    );
    let keyed = g
        .operations
        .iter()
        .filter(|o| o.replay == qurl_codegen::manifest::Replay::Keyed)
        .count();
    assert_eq!(
        keyed, 11,
        "the upstream document declares the key on 11 operations"
    );
}

/// Replay classes: a declared key makes an operation keyed; no key makes it
/// unkeyed unless the spec marks it `x-qurl-idempotent`; reads are safe.
#[test]
fn replay_classes_come_from_the_spec() {
    use qurl_codegen::manifest::Replay;
    let ok = serde_json::json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}});
    let key = serde_json::json!({"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 64}});
    let doc = serde_json::json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/a": {"post": {"parameters": [key], "responses": ok}, "get": {"responses": ok}},
            "/v1/b": {"post": {"responses": ok}},
            "/v1/c": {"put": {"x-qurl-idempotent": true, "responses": ok}},
        }
    });
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    let class: Vec<(&str, Replay)> = g
        .operations
        .iter()
        .map(|o| (o.method.as_ref(), o.replay))
        .collect();
    assert_eq!(
        class,
        [
            ("get_a", Replay::Safe),
            ("post_a", Replay::Keyed),
            ("post_b", Replay::Unkeyed),
            ("put_c", Replay::Idempotent),
        ]
    );
    assert_eq!(g.operations[1].idempotency_key.map(|k| k.max_len), Some(64));
    assert_eq!(
        g.operations[2].idempotency_key.map(|k| k.max_len),
        Some(256)
    );
}
