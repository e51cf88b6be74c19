//! Lists come from the spec: any GET that takes a `cursor` and answers with
//! `meta.next_cursor` gets `by_page()`/`by_item()`, named by nobody.

mod support;

use support::squash;

use serde_json::{Value, json};

/// A spec with one list of widgets whose `data` is `shape`, and one plain GET.
fn spec(shape: Value) -> Value {
    let cursor = json!({"name": "cursor", "in": "query", "schema": {"type": "string"}});
    let limit = json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}});
    let answer = |schema: &str| json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}});
    json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/widgets": {"get": {"parameters": [cursor, limit], "responses": answer("WidgetList")}},
            "/v1/gadget": {"get": {"responses": answer("Gadget")}},
        },
        "components": {"schemas": {
            "Widget": {"type": "object", "properties": {"widget_id": {"type": "string"}}},
            "WidgetShelf": {"type": "object", "required": ["widgets"], "properties": {"widgets": {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}}},
            "ListMeta": {"type": "object", "properties": {"has_more": {"type": "boolean"}, "next_cursor": {"type": "string"}, "request_id": {"type": "string"}}},
            "WidgetList": {"type": "object", "properties": {"data": shape, "meta": {"$ref": "#/components/schemas/ListMeta"}}},
            "Gadget": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Widget"}}},
        }}
    })
}

fn has(code: &str, pattern: &str) -> bool {
    code.contains(&squash(pattern))
}

#[test]
fn a_new_paginated_operation_gets_both_methods_on_both_clients() {
    let doc = spec(json!({"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}));
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    let client = squash(&g.client);
    assert_eq!(
        client.matches(&squash("pub fn by_page(self)")).count(),
        1,
        "only the list"
    );
    assert_eq!(client.matches(&squash("pub fn by_item(self)")).count(), 1);
    assert!(has(
        &client,
        "impl<'a> crate::pages::ListCall<'a> for GetWidgets<'a>"
    ));
    assert!(has(
        &client,
        "impl crate::pages::ListPage for WidgetList { type Item = Widget;"
    ));
    assert!(has(
        &client,
        "fn into_items(self) -> ::std::vec::Vec<Self::Item> { self.data }"
    ));
    let blocking = squash(&g.blocking);
    assert!(has(
        &blocking,
        "pub fn by_item(self) -> crate::blocking::ItemIter<'a,"
    ));
    assert!(has(
        &blocking,
        "pub fn by_page(self) -> crate::blocking::PageIter<'a,"
    ));
    // Both answers are envelopes: into_data() for each.
    assert!(has(&client, "impl crate::data::Envelope for WidgetList"));
    assert!(has(&client, "impl crate::data::Envelope for Gadget"));
}

#[test]
fn a_list_nested_in_data_is_found() {
    let doc = spec(json!({"$ref": "#/components/schemas/WidgetShelf"}));
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    let client = squash(&g.client);
    assert!(has(&client, "type Item = Widget;"));
    assert!(has(
        &client,
        "self.data.map(|d| d.widgets).unwrap_or_default()"
    ));
}

#[test]
fn a_page_without_a_list_is_a_build_error_naming_it() {
    let doc = spec(json!({"type": "object", "properties": {"count": {"type": "integer"}}}));
    let err = qurl_codegen::generate_from_value(doc, "inline")
        .err()
        .expect("no list to walk");
    let text = err.to_string();
    assert!(text.contains("WidgetList"), "{text}");
    assert!(text.contains("holds 0 lists"), "{text}");
}

#[test]
fn a_get_without_a_cursor_is_not_a_list() {
    let mut doc = spec(json!({"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}));
    doc["paths"]["/v1/widgets"]["get"]["parameters"] = json!([]);
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    assert!(!g.client.contains("fn by_page"));
}

#[test]
fn a_closed_enum_names_its_allowed_values() {
    let mut doc = spec(json!({"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}));
    doc["paths"]["/v1/widgets"]["post"] = json!({
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"color": {"type": "string", "enum": ["red", "blue"]}}}}}},
        "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gadget"}}}}}
    });
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        g.client.contains("{value:?} is not one of red, blue"),
        "the FromStr error lists the values"
    );
}
