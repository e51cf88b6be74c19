//! Generates the sandbox's shapes, answers and request bodies alike, from
//! `openapi.json` (codegen's server profile), so a field renamed or an enum
//! value added in the spec breaks this crate's build where the shape is
//! filled or read.

fn main() {
    let profile = qurl_codegen::ServerProfile {
        timestamp_type: "crate::shapes::Timestamp",
    };
    qurl_codegen::run_build_script(|spec, out_dir| {
        qurl_codegen::server_shapes_to_file(spec, &out_dir.join("shapes.rs"), &profile)
    });
}
