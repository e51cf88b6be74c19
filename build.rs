//! Generates the qURL client from `openapi.json` (see `codegen/`).

fn main() {
    qurl_codegen::run_build_script(|spec, out_dir| {
        qurl_codegen::generate_to_dir(spec, out_dir).map(drop)
    });
}
