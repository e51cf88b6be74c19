//! The progenitor-generated client. Nobody edits this: change `openapi.json`.
#![allow(
    missing_docs,
    unused_imports,
    unreachable_patterns,
    clippy::all,
    rustdoc::all
)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
