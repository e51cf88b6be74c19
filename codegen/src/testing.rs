//! Test support generated beside the client: `send_json`, which sends a
//! JSON body through any operation's real builder by its operation id, so a
//! test can drive every operation the spec names (the rule parity test
//! does) without code per operation. Written to `OUT_DIR/send_json.rs` and
//! included by tests only; it is not part of the library.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::manifest::Operation;
use crate::syntax::setter_name;

/// The source of `send_json`.
pub fn send_json_rust(ops: &[Operation]) -> Result<String, String> {
    let arms: Vec<TokenStream> = ops.iter().filter_map(arm).collect();
    let file: syn::File = syn::parse2(quote! {
        /// Send `body` as the body of the operation `operation_id` through its
        /// generated builder (every path parameter set to `path_value`). `Err`
        /// from the outer result: the body does not deserialize into the
        /// operation's body type, or the operation has no JSON body.
        pub async fn send_json(
            client: &qurl::Client,
            operation_id: &str,
            path_value: &str,
            body: serde_json::Value,
        ) -> ::std::result::Result<::std::result::Result<(), qurl::Error>, ::std::string::String> {
            let _ = (client, path_value, &body);
            match operation_id {
                #(#arms)*
                other => Err(format!("`{other}` is not an operation with a JSON body")),
            }
        }
    })
    .map_err(|e| format!("send_json does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

fn arm(op: &Operation) -> Option<TokenStream> {
    let id = op.published_operation_id.as_deref()?;
    let body = format_ident!("{}", op.body_type.as_deref()?);
    let method = format_ident!("{}", op.method.as_ref());
    let setters = op
        .parameters
        .iter()
        .filter(|p| p.location == "path")
        .map(|p| format_ident!("{}", setter_name(&p.name)));
    Some(quote! {
        #id => {
            let body: qurl::types::#body = serde_json::from_value(body)
                .map_err(|e| format!("not a {}: {e}", stringify!(#body)))?;
            Ok(client.#method()#(.#setters(path_value))*.body(body).send().await.map(drop))
        }
    })
}
