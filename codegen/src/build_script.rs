//! What every build script of this workspace does around its generator:
//! find the crate's `openapi.json` and `OUT_DIR`, rerun when the spec
//! changes, and stop the build with one line a person can act on.

use std::path::{Path, PathBuf};

use crate::error::CodegenError;

/// Run `generate(spec, out_dir)` for the crate whose build script calls this.
pub fn run_build_script(generate: impl FnOnce(&Path, &Path) -> Result<(), CodegenError>) {
    let dir = |name: &str| std::env::var_os(name).map(PathBuf::from);
    let (Some(manifest_dir), Some(out_dir)) = (dir("CARGO_MANIFEST_DIR"), dir("OUT_DIR")) else {
        fail("CARGO_MANIFEST_DIR and OUT_DIR are set by cargo; run this from a build script");
    };
    let spec = manifest_dir.join("openapi.json");
    println!("cargo:rerun-if-changed={}", spec.display());
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(e) = generate(&spec, &out_dir) {
        fail(&e.to_string());
    }
}

/// One line instead of a generator backtrace.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    std::process::exit(1);
}
