//! spec -> normalise -> progenitor -> source text for `OUT_DIR`.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle};
use serde_json::Value;

use crate::error::CodegenError;
use crate::manifest::{self, Operation};
use crate::normalise::normalise;

/// Everything build.rs writes.
pub struct Generated {
    /// The progenitor client (types, builders, `Client`).
    pub client: String,
    /// The blocking facade over the same builders.
    pub blocking: String,
    /// One row per operation.
    pub operations: Vec<Operation>,
    /// Method names found on the generated `Client`.
    pub generated_methods: Vec<String>,
}

impl Generated {
    pub fn manifest_rust(&self) -> String {
        let mut s = manifest::to_rust(&self.operations);
        s.push_str(&format!(
            "/// Methods found on the generated `Client` (to check the table against).\npub static GENERATED_METHODS: &[&str] = &{:?};\n",
            self.generated_methods
        ));
        s
    }

    /// A function listing the JSON Schema of every body, response and
    /// error type, for the schema snapshot test (included from `OUT_DIR`).
    pub fn schemas_rust(&self) -> String {
        let mut names: Vec<&str> = self
            .operations
            .iter()
            .flat_map(|o| [o.body_type.as_deref(), Some(o.response_type.as_ref())])
            .flatten()
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .chain([crate::normalise::ERROR_BODY])
            .collect();
        names.sort_unstable();
        names.dedup();
        let rows: Vec<String> = names
            .iter()
            .map(|n| format!("        ({n:?}, schemars::schema_for!(qurl::types::{n})),"))
            .collect();
        format!(
            "/// JSON Schema of every request, response and error type.\npub fn type_schemas() -> Vec<(&'static str, schemars::schema::RootSchema)> {{\n    vec![\n{}\n    ]\n}}\n",
            rows.join("\n")
        )
    }
}

/// Path of the shim's per-client state, the generated `Client`'s inner type.
const INNER_TYPE: &str = "crate::shim::ClientState";

/// Generate from an already parsed document. `file` names it in errors.
pub fn generate_from_value(published: Value, file: &str) -> Result<Generated, CodegenError> {
    let mut doc = published.clone();
    normalise(&mut doc, file)?;
    let spec: openapiv3::OpenAPI = serde_path_to_error::deserialize(doc.clone()).map_err(|e| {
        CodegenError::new(
            file,
            format!(
                "not a valid OpenAPI 3.0 document at `{}`: {}",
                e.path(),
                e.inner()
            ),
        )
    })?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(INNER_TYPE.parse().expect("a valid type path"))
        .with_derive("schemars::JsonSchema");
    let tokens =
        run_guarded(file, || Generator::new(&settings).generate_tokens(&spec))?.map_err(|e| {
            CodegenError::new(
                file,
                format!("progenitor rejected the normalised document: {e}"),
            )
        })?;
    let mut file_ast: syn::File = syn::parse2(tokens).map_err(|e| {
        CodegenError::new(file, format!("progenitor produced unparsable code: {e}"))
    })?;
    let mut operations = manifest::build(&published, &doc);
    let rules = qurl_rules::table_from_spec(&published)
        .map_err(|m| CodegenError::new(file, format!("the request rules: {m}")))?;
    crate::rewrite::rewrite(&mut file_ast, &doc, &operations, &rules).map_err(|m| {
        CodegenError::new(
            file,
            format!("progenitor's output has an unexpected shape: {m}"),
        )
    })?;

    crate::blocking::fill_type_names(&file_ast, &mut operations);
    let blocking =
        crate::blocking::facade(&file_ast, &operations).map_err(|m| CodegenError::new(file, m))?;
    let generated_methods = crate::blocking::generated_method_names(&file_ast);
    Ok(Generated {
        client: prettyplease::unparse(&file_ast),
        blocking,
        operations,
        generated_methods,
    })
}

/// Read `spec_path`, generate, and write `codegen.rs`, `blocking.rs`,
/// `manifest_types.rs`, `manifest.rs`, `schemas.rs` and (for tests)
/// `send_json.rs` into `out_dir`.
pub fn generate_to_dir(spec_path: &Path, out_dir: &Path) -> Result<Generated, CodegenError> {
    let (doc, file) = read_spec(spec_path)?;
    let generated = generate_from_value(doc, &file)?;
    let write = |name: &str, body: &str| {
        std::fs::write(out_dir.join(name), body)
            .map_err(|e| CodegenError::new(&file, format!("cannot write {name} to OUT_DIR: {e}")))
    };
    write("codegen.rs", &generated.client)?;
    write("blocking.rs", &generated.blocking)?;
    write("manifest_types.rs", manifest::TYPES_SOURCE)?;
    write("manifest.rs", &generated.manifest_rust())?;
    write("schemas.rs", &generated.schemas_rust())?;
    let send_json = crate::testing::send_json_rust(&generated.operations)
        .map_err(|m| CodegenError::new(&file, m))?;
    write("send_json.rs", &send_json)?;
    Ok(generated)
}

/// The spec at `spec_path`, parsed, and the name errors give it.
pub(crate) fn read_spec(spec_path: &Path) -> Result<(Value, String), CodegenError> {
    let file = spec_path.display().to_string();
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| CodegenError::new(&file, format!("cannot read the spec: {e}")))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        CodegenError::new(
            &file,
            format!(
                "not valid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok((doc, file))
}

/// progenitor panics on some documents; turn a panic into an error that
/// names the file instead of a backtrace from deep inside the generator.
/// The panic hook is left alone (swapping it races with other threads); the
/// message is read from the panic's payload.
pub(crate) fn run_guarded<T>(file: &str, f: impl FnOnce() -> T) -> Result<T, CodegenError> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        CodegenError::new(
            file,
            format!(
                "progenitor panicked while generating ({detail}); the normaliser does not cover this construct yet"
            ),
        )
    })
}
