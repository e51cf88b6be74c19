//! A rule on a query or path parameter in the spec becomes a check in the
//! operation builder's setter, with no code naming the operation.

use serde_json::json;

#[test]
fn a_parameter_rule_added_to_the_spec_is_checked_by_its_setter() {
    let ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}});
    let doc = json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/widgets/{widget_id}": {"get": {
                "parameters": [
                    {"name": "widget_id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "depth", "in": "query", "schema": {"type": "integer", "minimum": 2, "maximum": 9}},
                    {"name": "tag", "in": "query", "schema": {"type": "string", "maxLength": 12}},
                ],
                "responses": ok,
            }},
        },
    });
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    for expected in [
        "`depth`: {n} is out of range: the spec says at least 2 and at most 9",
        // A length or pattern makes typify's own checked type; the setter keeps its error.
        "`tag`: {e}",
        "`widget_id`: is empty; the path needs a value",
    ] {
        assert!(g.client.contains(expected), "missing check: {expected}");
    }
}
