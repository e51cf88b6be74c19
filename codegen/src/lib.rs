//! Build-time generator for the `qurl` crate.
//!
//! `generate` reads an OpenAPI 3.0 document, normalises it so progenitor can
//! take it as published, runs progenitor (builder interface, expected hooks,
//! the shim's state as inner type), and writes the client, the operations
//! manifest and the blocking facade.
//!
//! `server_shapes_to_file` generates, from the same document, the sandbox's
//! response shapes in a server profile (closed enums, `nullable` always sent;
//! see `server`).

mod blocking;
mod build_script;
mod docs;
mod error;
mod generate;
pub mod manifest;
mod names;
pub mod normalise;
mod pages;
mod params;
mod rewrite;
mod rule_fields;
mod rules;
mod send;
mod server;
mod server_fields;
mod syntax;
mod testing;

pub use build_script::run_build_script;
pub use error::CodegenError;
pub use generate::{Generated, generate_from_value, generate_to_dir};
pub use names::method_name;
pub use server::{
    ServerProfile, TIMESTAMP_SCHEMA, server_shapes_from_value, server_shapes_to_file,
};
