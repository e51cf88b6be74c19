//! Generates the qURL client from `openapi.json` (see `codegen/`).

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let spec = manifest_dir.join("openapi.json");
    println!("cargo:rerun-if-changed={}", spec.display());
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(e) = qurl_codegen::generate_to_dir(&spec, &out_dir) {
        // One line a person can act on, instead of a generator backtrace.
        eprintln!("error: {e}");
        println!("cargo:warning={e}");
        std::process::exit(1);
    }
}
