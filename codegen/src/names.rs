//! The method-naming rule: lower-case verb, then the path after `/v1/`,
//! with `/`, `-` and `.` turned into `_` and `{param}` into `param`.

/// `("post", "/v1/qurls/{id}/mint_link")` -> `post_qurls_id_mint_link`.
pub fn method_name(verb: &str, path: &str) -> String {
    let rest = path
        .strip_prefix("/v1/")
        .unwrap_or_else(|| path.trim_start_matches('/'));
    let mut name = verb.to_ascii_lowercase();
    name.push('_');
    for c in rest.chars() {
        match c {
            '{' | '}' => {}
            c if c.is_ascii_alphanumeric() => name.push(c.to_ascii_lowercase()),
            // `/`, `-`, `.` and anything else that cannot sit in an identifier.
            _ => name.push('_'),
        }
    }
    collapse_underscores(&name)
}

fn collapse_underscores(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::method_name;

    #[test]
    fn examples_from_the_design_table() {
        assert_eq!(method_name("POST", "/v1/api-keys"), "post_api_keys");
        assert_eq!(method_name("get", "/v1/qurls"), "get_qurls");
        assert_eq!(method_name("get", "/v1/qurls/{id}"), "get_qurls_id");
        assert_eq!(method_name("post", "/v1/qurls/batch"), "post_qurls_batch");
        assert_eq!(
            method_name("post", "/v1/qurls/{id}/mint_link"),
            "post_qurls_id_mint_link"
        );
        assert_eq!(
            method_name("patch", "/v1/api-keys/{key_id}"),
            "patch_api_keys_key_id"
        );
        assert_eq!(method_name("get", "/v1/a.b/{x}/"), "get_a_b_x");
        assert_eq!(method_name("get", "/health"), "get_health");
    }
}
