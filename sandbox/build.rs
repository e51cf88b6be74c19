//! Generates the sandbox's response shapes from `openapi.json` (codegen's
//! server profile), so a field renamed or an enum value added in the spec
//! breaks this crate's build where the shape is filled.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let spec = manifest_dir.join("openapi.json");
    println!("cargo:rerun-if-changed={}", spec.display());
    println!("cargo:rerun-if-changed=build.rs");
    let profile = qurl_codegen::ServerProfile {
        timestamp_type: "crate::shapes::Timestamp",
    };
    if let Err(e) = qurl_codegen::server_shapes_to_file(&spec, &out_dir.join("shapes.rs"), &profile)
    {
        // One line a person can act on, instead of a generator backtrace.
        eprintln!("error: {e}");
        println!("cargo:warning={e}");
        std::process::exit(1);
    }
}
