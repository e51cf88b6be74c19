//! A request rule added to a spec's `x-qurl-rules` becomes a check in the
//! body type's conversion, read from a generated table, with no code naming
//! the operation; a rule the generator cannot place fails the build.

use serde_json::{Value, json};

fn spec(rules: Value) -> Value {
    let created = json!({"201": {"description": "created", "content": {"application/json": {"schema": {"type": "object"}}}}});
    json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/gadgets": {"post": {
                "operationId": "createGadget",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateGadget"}}}},
                "responses": created,
            }},
        },
        "components": {"schemas": {
            "CreateGadget": {
                "type": "object",
                "properties": {
                    "starts_at": {"type": "string"},
                    "starts_in": {"type": "string"},
                },
                "x-qurl-rules": rules,
            },
        }},
    })
}

#[test]
fn a_rule_added_to_the_spec_is_checked_when_the_body_is_built() {
    let rule = json!([{
        "rule": "exclusive", "fields": ["starts_at", "starts_in"], "code": "mutually_exclusive_fields",
        "evidence": "the two ways of saying when may not be combined", "breaks": {"starts_at": "x", "starts_in": "y"},
    }]);
    let g =
        qurl_codegen::generate_from_value(spec(rule), "inline").unwrap_or_else(|e| panic!("{e}"));
    let text = g.client.replace(char::is_whitespace, "");
    for expected in [
        // The table entry, as static data for the shared interpreter.
        r#"schema:::std::borrow::Cow::Borrowed("CreateGadget")"#,
        r#"kind:::qurl_rules::Kind::Exclusive{fields:::std::borrow::Cow::Borrowed(&[::std::borrow::Cow::Borrowed("starts_at"),::std::borrow::Cow::Borrowed("starts_in"),],),},"#,
        r#"code:::std::borrow::Cow::Borrowed("mutually_exclusive_fields")"#,
        // The check, where the body type is built from its builder.
        r#"letvalue=Self{starts_at:value.starts_at?,starts_in:value.starts_in?,};crate::rules::check_body("CreateGadget",&value)?;Ok(value)"#,
    ] {
        assert!(text.contains(expected), "missing: {expected}");
    }

    let without = qurl_codegen::generate_from_value(spec(json!([])), "inline").unwrap();
    assert!(!without.client.contains("check_body"), "no rules, no check");
}

#[test]
fn a_rule_the_generator_cannot_read_fails_the_build_naming_it() {
    let unknown_field = json!([{
        "rule": "http_url", "field": "homepage", "code": "validation_error",
        "evidence": "e", "breaks": {"homepage": "ftp://x"},
    }]);
    let Err(e) = qurl_codegen::generate_from_value(spec(unknown_field), "inline") else {
        panic!("a rule naming an unknown field was accepted");
    };
    let e = e.to_string();
    assert!(
        e.contains("CreateGadget") && e.contains("`homepage`"),
        "{e}"
    );

    let unknown_kind = json!([{"rule": "sometimes", "code": "c", "evidence": "e", "breaks": {}}]);
    let Err(e) = qurl_codegen::generate_from_value(spec(unknown_kind), "inline") else {
        panic!("an unknown kind of rule was accepted");
    };
    assert!(e.to_string().contains("x-qurl-rules"), "{e}");
}

/// The interpreter reads a typed body as serde would write it: each field by
/// its JSON name, `skip_serializing_if` as absent, a string enum as its
/// value, a type it cannot look into as present.
#[test]
fn the_body_is_read_through_generated_field_views() {
    let mut doc = spec(json!([{
        "rule": "exclusive", "fields": ["starts_at", "type"], "code": "mutually_exclusive_fields",
        "evidence": "e", "breaks": {"starts_at": "x", "type": "a"},
    }]));
    let props = &mut doc["components"]["schemas"]["CreateGadget"]["properties"];
    props["type"] = json!({"type": "string", "enum": ["a", "b-c"]});
    props["tags"] = json!({"type": "array", "items": {"type": "string"}});
    props["when"] = json!({"type": "string", "format": "date-time"});
    doc["components"]["schemas"]["CreateGadget"]["required"] = json!(["type"]);
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    let text = g.client.replace(char::is_whitespace, "");
    for expected in [
        // Renamed (`type_` is `type` in JSON), and read by its own view.
        r#""type"=>::qurl_rules::AsField::as_field(&self.type_),"#,
        // A list serde leaves out when empty is absent when empty.
        r#""tags"=>{if::std::vec::Vec::is_empty(&self.tags){::qurl_rules::Field::Absent}else{::qurl_rules::AsField::as_field(&self.tags)}}"#,
        // A time: present or not, nothing more.
        r#""when"=>{match&self.when{::std::option::Option::Some(_)=>::qurl_rules::Field::Other,::std::option::Option::None=>::qurl_rules::Field::Absent,}}"#,
        r#"_=>::qurl_rules::Field::Absent,"#,
        // Every field counts towards `minProperties` when set.
        r#"fnset_count(&self)->usize{0+usize::from((::qurl_rules::AsField::as_field(&self.starts_at)).is_present(),)"#,
        // The enum reads as its JSON value.
        r#"::qurl_rules::Field::Str(matchself{Self::A=>"a",Self::BC=>"b-c",},)"#,
        // A body type is an object to the rules.
        r#"impl::qurl_rules::AsFieldforCreateGadget{fnas_field(&self)->::qurl_rules::Field<'_>{::qurl_rules::Field::Object(self)}}"#,
    ] {
        assert!(text.contains(expected), "missing: {expected}");
    }
}

/// What each kind of generated type reads as: a checked newtype as what it
/// wraps, a body type no rule names as merely present (no `Object` view),
/// an enum with data as present, and a field of a generated struct type
/// through that type's own view.
#[test]
fn each_kind_of_generated_type_reads_through_its_own_view() {
    let mut doc = spec(json!([{
        "rule": "exclusive", "fields": ["starts_at", "code"], "code": "mutually_exclusive_fields",
        "evidence": "e", "breaks": {"starts_at": "x", "code": "y"},
    }]));
    let schemas = &mut doc["components"]["schemas"];
    schemas["Place"] = json!({"type": "object", "properties": {"city": {"type": "string"}}});
    let props = &mut schemas["CreateGadget"]["properties"];
    props["code"] = json!({"type": "string", "pattern": "^[a-z]+$"});
    props["place"] = json!({"$ref": "#/components/schemas/Place"});
    props["either"] = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
    schemas["CreateGadget"]["required"] = json!(["place"]);
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    let text = g.client.replace(char::is_whitespace, "");
    for expected in [
        r#"impl::qurl_rules::AsFieldforCreateGadgetCode{fnas_field(&self)->::qurl_rules::Field<'_>{::qurl_rules::AsField::as_field(&self.0)}}"#,
        r#"impl::qurl_rules::AsFieldforPlace{fnas_field(&self)->::qurl_rules::Field<'_>{::qurl_rules::Field::Other}}"#,
        r#"impl::qurl_rules::AsFieldforCreateGadgetEither{fnas_field(&self)->::qurl_rules::Field<'_>{::qurl_rules::Field::Other}}"#,
        r#""place"=>::qurl_rules::AsField::as_field(&self.place),"#,
    ] {
        assert!(text.contains(expected), "missing: {expected}");
    }
    assert!(
        !text.contains("impl::qurl_rules::ObjectforPlace"),
        "no rule looks inside Place"
    );
}
