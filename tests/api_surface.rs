//! The API surface as reviewed snapshots: the operations table build.rs
//! emits, and the JSON Schema of every request and response type. Changing
//! `openapi.json` shows up here as a diff for `cargo insta review`.

mod support;

use std::collections::BTreeSet;

use qurl::manifest::{GENERATED_METHODS, OPERATIONS};

include!(concat!(env!("OUT_DIR"), "/schemas.rs"));

#[test]
fn every_operation_of_the_spec_has_exactly_one_method() {
    // Counted from the spec itself, so a spec that gains an operation fails
    // only where that needs a decision (the surface snapshot), not here.
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../openapi.json")).expect("openapi.json parses");
    let in_spec = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.keys()))
        .filter(|k| {
            [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&k.as_str())
        })
        .count();
    assert_eq!(
        OPERATIONS.len(),
        in_spec,
        "one row per operation of openapi.json"
    );
    let table: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.method.as_ref()).collect();
    let generated: BTreeSet<&str> = GENERATED_METHODS.iter().copied().collect();
    assert_eq!(table.len(), OPERATIONS.len(), "method names are unique");
    let missing: Vec<_> = table.difference(&generated).collect();
    let extra: Vec<_> = generated.difference(&table).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_has_every_method_of_the_async_one() {
    let blocking: BTreeSet<&str> = qurl::blocking::METHODS.iter().copied().collect();
    let generated: BTreeSet<&str> = GENERATED_METHODS.iter().copied().collect();
    assert_eq!(blocking, generated);
}

#[test]
fn keys_are_declared_on_every_mutating_operation_and_nowhere_else() {
    for op in OPERATIONS {
        let mutating = matches!(op.verb.as_ref(), "POST" | "PUT" | "PATCH");
        assert_eq!(
            op.idempotency_key.is_some(),
            mutating,
            "{} {}",
            op.verb,
            op.path
        );
    }
    let api_keys = qurl::manifest::find("post_api_keys").unwrap();
    assert_eq!(api_keys.idempotency_key.unwrap().min_len, 32);
    assert_eq!(
        qurl::manifest::find("post_qurls")
            .unwrap()
            .idempotency_key
            .unwrap()
            .max_len,
        256
    );
}

/// Replay classes come from the spec: a mutating operation that declares
/// `Idempotency-Key` is keyed, one marked `x-qurl-idempotent` is replayed as
/// idempotent, any other is unkeyed; reads are safe. (The classes as
/// reviewed are in the operations snapshot.)
#[test]
fn replay_classes_follow_the_spec() {
    use qurl::manifest::Replay;
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../openapi.json")).expect("openapi.json parses");
    let declares_key = |op: &serde_json::Value| {
        op["parameters"].as_array().into_iter().flatten().any(|p| {
            let p = p["$ref"]
                .as_str()
                .and_then(|r| spec.pointer(r.trim_start_matches('#')))
                .unwrap_or(p);
            p["in"] == "header" && p["name"] == "Idempotency-Key"
        })
    };
    let mut keyed = 0;
    for row in OPERATIONS {
        let op = &spec["paths"][row.path.as_ref()][row.verb.to_lowercase()];
        let expected = match row.verb.as_ref() {
            "POST" | "PUT" | "PATCH" if declares_key(op) => Replay::Keyed,
            "POST" | "PUT" | "PATCH" if op["x-qurl-idempotent"] == true => Replay::Idempotent,
            "POST" | "PUT" | "PATCH" => Replay::Unkeyed,
            _ => Replay::Safe,
        };
        assert_eq!(row.replay, expected, "{} {}", row.verb, row.path);
        keyed += usize::from(expected == Replay::Keyed);
    }
    assert!(keyed > 0, "the spec declares keys on some operations");
    for keyed in [
        "post_qurls",
        "post_qurls_batch",
        "post_qurls_id_mint_link",
        "post_api_keys",
    ] {
        assert_eq!(qurl::manifest::find(keyed).unwrap().replay, Replay::Keyed);
    }
}

#[test]
fn operations_table_snapshot() {
    support::snapshot_settings()
        .bind(|| insta::assert_yaml_snapshot!("api_surface_operations", OPERATIONS));
}

#[test]
fn type_schemas_snapshot() {
    let schemas: std::collections::BTreeMap<&str, serde_json::Value> = type_schemas()
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap()))
        .collect();
    assert!(
        schemas.contains_key("CreateQurlRequest") && schemas.contains_key("CreateQurlResponse")
    );
    support::snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("api_surface_type_schemas", schemas));
}

/// README's table of replay classes is the manifest's, operation by operation.
#[test]
fn the_readme_lists_each_mutating_operation_in_its_class() {
    use qurl::manifest::Replay;
    let readme = include_str!("../README.md");
    let row = |label: &str| -> BTreeSet<String> {
        let line = readme
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("| `{label}`")))
            .unwrap_or_else(|| panic!("README has a `{label}` row"));
        let cells: Vec<&str> = line.split('|').collect();
        cells[2]
            .split(',')
            .map(|m| m.trim().trim_matches('`').to_owned())
            .collect()
    };
    for (label, class) in [("Keyed", Replay::Keyed), ("Unkeyed", Replay::Unkeyed)] {
        let manifest: BTreeSet<String> = OPERATIONS
            .iter()
            .filter(|o| o.replay == class)
            .map(|o| o.method.to_string())
            .collect();
        assert_eq!(row(label), manifest, "README row {label}");
    }
}
