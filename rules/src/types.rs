//! The rule table's types. Borrowed (`Cow::Borrowed`) they can be written as
//! `static` data, which is how the client's generated code holds them; owned
//! they are what [`crate::table_from_spec`] reads from a spec.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

pub type Text = Cow<'static, str>;
pub type List = Cow<'static, [Text]>;

/// One rule on a JSON object, with the error code the API answers when it is
/// broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(flatten)]
    pub kind: Kind,
    pub code: Text,
}

/// What a rule asks of an object. Field names are the JSON names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Kind {
    /// At most one of `fields` may be present.
    Exclusive { fields: List },
    /// `field` must be present when the condition holds.
    RequiredIf { field: Text, when: When },
    /// `field` must be present unless the condition holds.
    RequiredUnless { field: Text, when: When },
    /// `field` may be present only when the condition holds.
    OnlyIf { field: Text, when: When },
    /// A string `field` must be an absolute `http` or `https` URL with a host
    /// (`format: uri` accepts any scheme).
    HttpUrl { field: Text },
    /// A string `field` (or each string of a list `field`) must be one of
    /// `values`.
    OneOf { field: Text, values: List },
    /// A string `field` may not be one of `values` (reserved words).
    NotOneOf { field: Text, values: List },
    /// A duration string `field` (`<digits><unit>`, unit one of `smhdw`; its
    /// syntax is the field's `pattern`) must lie within these bounds, in
    /// seconds. An empty string is not a duration and is left to the pattern.
    Duration {
        field: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_seconds: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_seconds: Option<u64>,
    },
    /// The object must have at least `count` fields: the schema's
    /// `minProperties`, which the typed client does not otherwise check.
    MinProperties { count: u64 },
    /// An integer `field` within the schema's `minimum`/`maximum`.
    Range {
        field: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        minimum: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        maximum: Option<i64>,
    },
    /// A list `field` within the schema's `minItems`/`maxItems`, its items
    /// distinct when `unique` (`uniqueItems`).
    Items {
        field: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_items: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_items: Option<u64>,
        #[serde(default)]
        unique: bool,
    },
}

/// "Another field has this value"; `default` is the value an absent field
/// stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct When {
    pub field: Text,
    pub equals: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Text>,
}

/// The rules of one schema of the spec's `components/schemas`, and the
/// properties that hold (a list of) another schema that has rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRules {
    pub schema: Text,
    pub rules: Cow<'static, [Rule]>,
    pub nested: Cow<'static, [Nested]>,
}

/// A property whose value is an object (or, when `list`, a list of objects)
/// of `schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nested {
    pub property: Text,
    pub schema: Text,
    pub list: bool,
}
