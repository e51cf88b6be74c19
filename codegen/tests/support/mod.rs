//! Helpers shared by the codegen tests.

/// The code without whitespace or trailing commas, so patterns do not
/// depend on how prettyplease wraps lines.
pub fn squash(code: &str) -> String {
    code.split_whitespace()
        .collect::<String>()
        .replace(",)", ")")
        .replace(",>", ">")
        .replace(",}", "}")
}
