//! What `rewrite.rs` makes of progenitor's output, read in the generated
//! code of a small spec: setters that take plain values and check the spec's
//! bounds (naming the field), timestamps from a `DateTime` or a string,
//! `From<&str>` for opened string types, `#[must_use]` builders, and a
//! `send` that hands the call to the shim while progenitor's own `send`
//! becomes private and undocumented.

mod support;

use support::squash;

use serde_json::{Value, json};

/// One create operation whose body has a field for each kind of rule.
fn spec() -> Value {
    let widget = json!({"$ref": "#/components/schemas/Widget"});
    json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/widgets": {"post": {
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateWidgetRequest"}}}},
                "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": widget}}}},
            }},
        },
        "components": {"schemas": {
            // In an answer, so opened into a plain string type.
            "Shade": {"type": "string", "enum": ["light", "dark"]},
            // Only in a request, so a closed enum.
            "Size": {"type": "string", "enum": ["s", "m"]},
            "Widget": {"type": "object", "properties": {"widget_id": {"type": "string"}, "shade": {"$ref": "#/components/schemas/Shade"}}},
            "CreateWidgetRequest": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "label": {"type": "string"},
                // typify's checked newtype: TryFrom<&str> and TryFrom<String>.
                "code": {"type": "string", "pattern": "^[a-z]+$"},
                "shade": {"$ref": "#/components/schemas/Shade"},
                "size": {"$ref": "#/components/schemas/Size"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 0, "maxItems": 5},
                "pair": {"type": "array", "items": {"type": "integer", "format": "int64", "minimum": -3, "maximum": 9}, "minItems": 2},
                "few": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                "count": {"type": "integer", "format": "int64", "minimum": -5, "maximum": 10},
                "level": {"type": "integer", "minimum": 0, "maximum": 10},
                "floor": {"type": "integer", "minimum": 2},
                "small": {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 10},
                "big": {"type": "integer", "format": "uint64", "minimum": 4},
                // typify makes this a NonZeroU64, which is no Rust integer type.
                "one": {"type": "integer", "format": "uint64", "minimum": 1, "maximum": 50},
                "weight": {"type": "number", "minimum": 0.5, "maximum": 2.5},
                "at": {"type": "string", "format": "date-time"},
            }},
        }}
    })
}

fn client() -> String {
    let g = qurl_codegen::generate_from_value(spec(), "inline").unwrap_or_else(|e| panic!("{e}"));
    squash(&g.client)
}

/// The setter `name` of the body builder (squashed): from its signature to
/// the next function.
fn setter<'c>(client: &'c str, name: &str) -> &'c str {
    let start = client
        .find(&format!("pubfn{name}<"))
        .unwrap_or_else(|| panic!("no setter {name}"));
    let rest = &client[start..];
    let end = rest[1..].find("pubfn").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[test]
fn numbers_are_checked_against_the_spec_bounds_naming_the_field() {
    let client = client();
    for (field, check, message) in [
        (
            "count",
            "v >= -5 && v <= 10",
            "`count`: {v} is out of range: the spec says at least -5 and at most 10",
        ),
        // A signed integer keeps a minimum of 0.
        (
            "level",
            "v >= 0 && v <= 10",
            "`level`: {v} is out of range: the spec says at least 0 and at most 10",
        ),
        // Only a minimum.
        (
            "floor",
            "v >= 2",
            "`floor`: {v} is out of range: the spec says at least 2",
        ),
        // Unsigned: a minimum of 0 says nothing the type does not.
        (
            "small",
            "v <= 10",
            "`small`: {v} is out of range: the spec says at most 10",
        ),
        // Unsigned with a real minimum keeps it.
        (
            "big",
            "v >= 4",
            "`big`: {v} is out of range: the spec says at least 4",
        ),
        (
            "weight",
            "v >= 0.5 && v <= 2.5",
            "`weight`: {v} is out of range: the spec says at least 0.5 and at most 2.5",
        ),
    ] {
        let code = setter(&client, field);
        assert!(
            code.contains(&squash(&format!(
                "if {check} {{ Ok(v) }} else {{ Err(format!(\"{message}\")) }}"
            ))),
            "{field}: {code}"
        );
        assert_eq!(code.matches("Ok(v)").count(), 1, "one check: {code}");
    }
    // No bound, no check.
    for field in ["name", "label"] {
        assert!(!setter(&client, field).contains("Ok(v)"), "{field}");
    }
}

/// Only integer and float types are compared with literals: typify's
/// `NonZeroU64` (an unsigned integer with a minimum of 1) is compared with
/// neither an integer nor a float literal, which would not compile.
/// (So its maximum is not checked locally: the API still refuses it.)
#[test]
fn a_type_that_is_no_plain_number_gets_no_literal_comparison() {
    let client = client();
    let one = setter(&client, "one");
    assert!(one.contains("TryInto<::std::num::NonZeroU64>"), "{one}");
    assert!(!one.contains("Ok(v)"), "{one}");
}

#[test]
fn lists_take_any_iterator_and_their_counts_and_items_are_checked() {
    let client = client();
    let tags = setter(&client, "tags");
    assert!(tags.contains(&squash(
        "pub fn tags<I, T>(mut self, value: I) -> Self where I: ::std::iter::IntoIterator<Item = T>, T: ::std::convert::TryInto<::std::string::String>,"
    )));
    // minItems 0 says nothing.
    assert!(
        tags.contains(&squash(
            "if v.len() <= 5usize { Ok(v) } else { Err(format!(\"`tags`: {} items, but the spec allows at most 5\", v.len())) }"
        )),
        "{tags}"
    );
    let pair = setter(&client, "pair");
    assert!(
        pair.contains(&squash(
            "if v.len() >= 2usize { Ok(v) } else { Err(format!(\"`pair`: {} items, but the spec allows at least 2\", v.len())) }"
        )),
        "{pair}"
    );
    assert!(
        pair.contains(&squash(
            "if v >= -3 && v <= 9 { Ok(v) } else { Err(format!(\"`pair[{i}]`: {v} is out of range: the spec says at least -3 and at most 9\")) }"
        )),
        "{pair}"
    );
    let few = setter(&client, "few");
    assert!(
        few.contains(&squash(
            "if v.len() <= 3usize { Ok(v) } else { Err(format!(\"`few`: {} items, but the spec allows at most 3\", v.len())) }"
        )),
        "{few}"
    );
}

#[test]
fn a_timestamp_takes_a_datetime_or_a_string_and_other_fields_take_their_type() {
    let client = client();
    let at = setter(&client, "at");
    assert!(
        at.contains(&squash(
            "pub fn at<T>(mut self, value: T) -> Self where T: crate::body::Timestamp, { self.at = value.into_timestamp().map_err(|e| format!(\"`at`: {e}\")).map(Some); self }"
        )),
        "{at}"
    );
    let name = setter(&client, "name");
    assert!(
        name.contains(&squash(
            "T: ::std::convert::TryInto<::std::string::String>, T::Error: ::std::fmt::Display, { self.name = value.try_into().map_err(|e| format!(\"`name`: {e}\")); self }"
        )),
        "{name}"
    );
    assert_eq!(client.matches("crate::body::Timestamp").count(), 1);
}

#[test]
fn an_opened_string_type_also_converts_from_str() {
    let client = client();
    assert!(client.contains(&squash(
        "impl ::std::convert::From<&str> for Shade { fn from(value: &str) -> Self { Self::from(value.to_owned()) } }"
    )));
    assert_eq!(
        client
            .matches(&squash("impl ::std::convert::From<&str> for"))
            .count(),
        1,
        "only the opened type needs one (the closed enum has TryFrom<&str>)"
    );
}

#[test]
fn every_type_made_from_a_str_is_made_from_a_string_reference_too() {
    let client = client();
    for expected in [
        "impl ::std::convert::From<&::std::string::String> for Shade { fn from(value: &::std::string::String) -> Self { Self::from(value.as_str()) } }",
        "impl ::std::convert::TryFrom<&::std::string::String> for CreateWidgetRequestCode { type Error = self::error::ConversionError; fn try_from(value: &::std::string::String) -> ::std::result::Result<Self, self::error::ConversionError> { Self::try_from(value.as_str()) } }",
    ] {
        assert!(client.contains(&squash(expected)), "missing: {expected}");
    }
    // typify's closed enum has its own; a second would not compile.
    assert_eq!(
        client
            .matches(&squash(
                "impl ::std::convert::TryFrom<&::std::string::String> for Size"
            ))
            .count(),
        1
    );
}

#[test]
fn builders_are_must_use() {
    let client = client();
    for builder in [
        "pub struct CreateWidgetRequest {",
        "pub struct PostWidgets<'a> {",
    ] {
        assert!(
            client.contains(&squash(&format!(
                "#[must_use = \"a builder does nothing until it is used\"] {builder}"
            ))),
            "{builder}"
        );
    }
}

#[test]
fn send_goes_through_the_shim_and_progenitors_send_is_private_and_undocumented() {
    let g = qurl_codegen::generate_from_value(spec(), "inline").unwrap_or_else(|e| panic!("{e}"));
    let client = squash(&g.client);
    let row = g
        .operations
        .iter()
        .position(|o| o.method == "post_widgets")
        .expect("the manifest row");
    assert!(client.contains(&squash(&format!(
        "pub async fn send(mut self) -> ::std::result::Result<ResponseValue<types::Widget>, crate::Error> {{ let operation = &crate::manifest::OPERATIONS[{row}usize]; debug_assert_eq!(operation.method, \"post_widgets\"); let call = crate::shim::Call::begin(self.client, operation, Some(::std::mem::replace(&mut self.idempotency_key, Ok(None))))?; let result = self.send_generated(&call).await; call.end(result) }}"
    ))));
    assert!(client.contains(&squash(
        "async fn send_generated(self, call: &crate::shim::Call) -> Result<ResponseValue<types::Widget>, Error<types::ApiErrorBody>>"
    )));
    assert!(!client.contains(&squash("pub async fn send_generated")));
    // The shim sends the request, and the answer decodes from the bytes it read:
    // progenitor's hooks and its second read of the body are gone.
    assert!(client.contains(&squash(
        "let response = crate::shim::execute(client, request, call).await?; match response.status().as_u16() { 201u16 => response.decode(),"
    )));
    for gone in [
        "client.pre(",
        "client.exec(",
        "client.post(&result",
        "ResponseValue::from_response",
    ] {
        assert!(!client.contains(gone), "{gone}");
    }
    // The operation's doc moved to the new `send`, once.
    assert_eq!(
        g.client
            .matches("///Sends a `POST` request to `/v1/widgets`")
            .count(),
        1
    );
}

/// The request of a generated `send`: its URL is the operation's path set on
/// the client's parsed base (a literal when the path has no parameter), its
/// builder calls fill the shim's `Recipe`, and the answer is read from the
/// bytes the shim already holds (`decode`, `empty`, `into_response`).
#[test]
fn send_builds_its_request_as_a_recipe_on_the_base_url() {
    let mut doc = spec();
    doc["paths"]["/v1/widgets/{id}"] = json!({"delete": {
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "gone"}},
    }});
    let g = qurl_codegen::generate_from_value(doc, "inline").unwrap_or_else(|e| panic!("{e}"));
    let client = squash(&g.client);
    for expected in [
        r#"let url = crate::endpoint::endpoint(client, "/v1/widgets");"#,
        r#"let url = crate::endpoint::endpoint(client, &format!("/v1/widgets/{}", encode_path(&id.to_string())));"#,
        "let mut request = crate::recipe::Recipe::new(::reqwest::Method::POST, url)",
        "let mut request = crate::recipe::Recipe::new(::reqwest::Method::DELETE, url)",
        "201u16 => response.decode(),",
        "204u16 => Ok(response.empty()),",
        "_ => Err(Error::UnexpectedResponse(response.into_response()))",
    ] {
        assert!(client.contains(&squash(expected)), "missing: {expected}");
    }
    for gone in ["client.baseurl", "client.client.", "ResponseValue::empty"] {
        assert!(!client.contains(gone), "{gone}");
    }
}
