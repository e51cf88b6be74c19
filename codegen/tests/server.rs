//! The server profile on a small spec: the shapes a server fills, read the
//! way a server writes them.

mod support;

use qurl_codegen::{ServerProfile, server_shapes_from_value};
use serde_json::json;
use support::squash;

const PROFILE: ServerProfile<'static> = ServerProfile {
    timestamp_type: "crate::shapes::Timestamp",
};

fn spec() -> serde_json::Value {
    let ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gadget"}}}}});
    json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/gadgets": {"post": {
                "operationId": "createGadget",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateGadget"}}}},
                "responses": ok,
            }},
            "/v1/gadgets/big": {"get": {
                "operationId": "getBigGadget",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BigGadget"}}}}},
            }},
        },
        "components": {"schemas": {
            "CreateGadget": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "maxLength": 40},
                "starts_at": {"type": "string", "format": "date-time"},
                "note": {"type": "string", "nullable": true},
                "size": {"type": "integer", "minimum": 1, "default": 3},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
            }},
            "Orphan": {"type": "object", "properties": {"x": {"type": "string"}}},
            "Gadget": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "pattern": "^g_[a-z]+$", "maxLength": 20},
                    "status": {"type": "string", "enum": ["on", "off"]},
                    "retired_at": {"type": "string", "format": "date-time", "nullable": true},
                    "label": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "limit": {"type": "integer", "minimum": 1, "default": 10},
                    "power_state": {"type": "string", "enum": ["idle", "busy"]},
                    "type": {"type": "array", "items": {"type": "string"}},
                    "owner": {"allOf": [{"$ref": "#/components/schemas/Owner"}]},
                },
            },
            // Named only inside an `allOf` list.
            "Owner": {"type": "object", "properties": {"name": {"type": "string"}}},
            // Extends `Gadget`, as `CreateApiKeyData` extends `ApiKeyData`.
            "BigGadget": {"allOf": [
                {"$ref": "#/components/schemas/Gadget"},
                {"type": "object", "properties": {"weight": {"type": "integer"}}},
            ]},
        }},
    })
}

fn generated() -> String {
    let code =
        server_shapes_from_value(&spec(), "inline", &PROFILE).unwrap_or_else(|e| panic!("{e}"));
    squash(&code)
}

/// The fields of generated struct `name`, squashed.
fn struct_body<'a>(code: &'a str, name: &str) -> &'a str {
    let start = code
        .find(&format!("pubstruct{name}{{"))
        .unwrap_or_else(|| panic!("no struct {name}: {code}"));
    let rest = &code[start..];
    &rest[..rest.find('}').expect("closed")]
}

#[test]
fn enums_are_closed() {
    let code = generated();
    assert!(
        code.contains("pubenumGadgetStatus{#[serde(rename=\"on\")]On,#[serde(rename=\"off\")]Off}"),
        "{code}"
    );
    assert!(
        !code.contains("serde(other)") && !code.contains("Unknown"),
        "{code}"
    );
}

#[test]
fn a_nullable_field_is_always_sent_and_an_optional_one_only_when_set() {
    let code = generated();
    // `nullable`: no skip, so `None` goes out as `null`.
    assert!(
        code.contains("#[serde(default,deserialize_with=\"::std::option::Option::deserialize\")]pubretired_at:::std::option::Option<crate::shapes::Timestamp>"),
        "{code}"
    );
    // Optional, not nullable: left out when `None`.
    assert!(
        code.contains("#[serde(skip_serializing_if=\"::std::option::Option::is_none\")]publabel:::std::option::Option<::std::string::String>"),
        "{code}"
    );
}

#[test]
fn timestamps_are_the_servers_type() {
    let code = generated();
    assert!(
        code.contains("pubcreated_at:::std::option::Option<crate::shapes::Timestamp>"),
        "{code}"
    );
    assert!(!code.contains("chrono"), "{code}");
    assert!(
        !code.contains("ServerTimestamp"),
        "the placeholder schema is replaced, not generated: {code}"
    );
}

#[test]
fn optional_lists_and_maps_are_options_and_maps_are_ordered() {
    let code = generated();
    assert!(
        code.contains("#[serde(skip_serializing_if=\"::std::option::Option::is_none\")]pubtags:::std::option::Option<::std::vec::Vec<::std::string::String>>"),
        "{code}"
    );
    assert!(
        code.contains("publabels:::std::option::Option<::std::collections::BTreeMap<::std::string::String,::std::string::String>>"),
        "{code}"
    );
    assert!(!code.contains("is_empty"), "{code}");
}

#[test]
fn reader_keywords_leave_plain_values() {
    let code = generated();
    let answer = struct_body(&code, "Gadget");
    // No newtype with a fallible constructor for a pattern, no NonZero for a
    // minimum, no default filled in: the server states what it has.
    assert!(answer.contains("pubid:::std::string::String"), "{answer}");
    assert!(
        answer.contains("publimit:::std::option::Option<i64>"),
        "{answer}"
    );
    assert!(!answer.contains("defaults::"), "{answer}");
}

#[test]
fn only_what_a_server_sends_or_reads_is_generated() {
    let code = generated();
    assert!(code.contains("pubstructCreateGadget{"), "{code}");
    assert!(!code.contains("Orphan"), "named by no operation: {code}");
}

#[test]
fn a_request_body_is_read_with_its_defaults_and_plain_strings() {
    let code = generated();
    let request = struct_body(&code, "CreateGadget");
    // Bounds checked by the validator: plain values, no fallible newtypes.
    assert!(
        request.contains("pubname:::std::string::String"),
        "{request}"
    );
    // A request's time is a string, for the time rules to parse and name.
    assert!(
        request.contains("pubstarts_at:::std::option::Option<::std::string::String>"),
        "{request}"
    );
    // `nullable` on a request stays optional: absent reads as `None`.
    assert!(
        request.contains("pubnote:::std::option::Option<::std::string::String>")
            && !request.contains("deserialize_with"),
        "{request}"
    );
    // The spec's default fills what the caller left out.
    assert!(
        request.contains("#[serde(default=\"defaults::default_u64::<i64,3>\")]pubsize:i64"),
        "{request}"
    );
    assert!(
        request.contains("pubmode:::std::option::Option<CreateGadgetMode>"),
        "{request}"
    );
    assert!(
        code.contains(
            "pubenumCreateGadgetMode{#[serde(rename=\"fast\")]Fast,#[serde(rename=\"slow\")]Slow}"
        ),
        "closed, like the answers' enums: {code}"
    );
}

#[test]
fn a_schema_named_only_inside_a_list_of_schemas_is_generated() {
    let code = generated();
    assert!(code.contains("pubstructOwner{"), "{code}");
    assert!(
        struct_body(&code, "Gadget").contains("pubowner:::std::option::Option<Owner>"),
        "{code}"
    );
}

#[test]
fn an_extending_schema_shares_the_inline_enum_it_inherits() {
    let code = generated();
    // Hoisted under the name typify would give it, from the property's name.
    assert!(
        code.contains("pubenumGadgetPowerState{#[serde(rename=\"idle\")]Idle,"),
        "{code}"
    );
    let big = struct_body(&code, "BigGadget");
    assert!(
        big.contains("pubpower_state:::std::option::Option<GadgetPowerState>"),
        "one enum for both, so the server fills one type: {big}"
    );
    assert!(!code.contains("BigGadgetPowerState"), "{code}");
}

#[test]
fn a_renamed_optional_list_keeps_its_rename() {
    let body = struct_body(&generated(), "Gadget").to_owned();
    assert!(
        body.contains("#[serde(rename=\"type\",skip_serializing_if=\"::std::option::Option::is_none\")]pubtype_:::std::option::Option<::std::vec::Vec<::std::string::String>>"),
        "{body}"
    );
}

#[test]
fn the_build_script_entry_writes_the_shapes_to_the_file() {
    let dir = std::env::temp_dir().join(format!("qurl-server-shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec_path = dir.join("openapi.json");
    let out = dir.join("shapes.rs");
    std::fs::write(&spec_path, spec().to_string()).unwrap();
    qurl_codegen::server_shapes_to_file(&spec_path, &out, &PROFILE).unwrap();
    let written = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(squash(&written), generated());
}

#[test]
fn a_schema_named_like_the_timestamp_placeholder_is_refused() {
    let mut doc = spec();
    doc["components"]["schemas"]["ServerTimestamp"] = json!({"type": "string"});
    let e = server_shapes_from_value(&doc, "inline", &PROFILE).expect_err("a name clash");
    assert!(e.to_string().contains("ServerTimestamp"), "{e}");
}
