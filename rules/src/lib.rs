//! The qURL API's request rules that JSON Schema cannot say (two fields that
//! may not be combined, a field required when another has a value, ...), as
//! `openapi.json` states them in its `x-qurl-rules` extension, and the one
//! interpreter of them.
//!
//! The client (its generated body checks) and the sandbox (its request
//! validation) both run [`check`] over the same table, read from the same
//! spec by [`table_from_spec`], so the two cannot disagree. Only rules that
//! depend on the request alone live here; rules on time, plan or stored
//! state stay with the API (and the sandbox's own code).

mod check;
mod profile;
mod spec;
mod types;
mod view;

pub use check::{Violation, check, check_first, check_object, check_own, duration_seconds};
pub use profile::fuzz_profile;
pub use spec::{SpecRule, spec_rules, table_from_spec};
pub use types::{Kind, List, Nested, Rule, SchemaRules, Text, When};
pub use view::{AsField, Field, Items, Object};
