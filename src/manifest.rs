//! The operations manifest build.rs emits: one row per operation of the spec,
//! for tooling (the API-surface snapshot, the sandbox, your own checks).
//!
//! The shim reads each operation's `Idempotency-Key` rule and replay class
//! from here. The types are declared once, in the generator
//! (`codegen/src/manifest_types.rs`), and included here.
//!
//! ```
//! let create = qurl::manifest::find("post_qurls").unwrap();
//! assert_eq!(create.replay, qurl::manifest::Replay::Keyed);
//! let customer = qurl::manifest::find("patch_customer").unwrap();
//! assert_eq!(customer.replay, qurl::manifest::Replay::Unkeyed);
//! ```

include!(concat!(env!("OUT_DIR"), "/manifest_types.rs"));
include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

/// The row for a generated method name (progenitor's `operation_id`).
pub fn find(method: &str) -> Option<&'static Operation> {
    OPERATIONS
        .binary_search_by(|op| op.method.as_ref().cmp(method))
        .ok()
        .map(|i| &OPERATIONS[i])
}
