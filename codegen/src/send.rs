//! The generated `send`'s path around progenitor's request: its URL is
//! set on the client's parsed base URL, its builder calls fill a
//! `crate::recipe::Recipe` (each attempt is built from it), the shim
//! (`crate::shim::execute`) sends it with the call's key and retries,
//! and the answer decodes from the bytes the shim already read, without
//! rebuilding a `reqwest::Response` (or cloning its headers) to read them
//! again. Progenitor's hooks (`pre`, `exec`, `post`) are not called.

use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Expr, ImplItemFn, Stmt, Token, parse_quote};

/// Rewrite progenitor's `send` body (already renamed `send_generated`) so it
/// takes the shim's `Call` and hands the request to it.
pub(crate) fn hand_to_shim(send: &mut ImplItemFn) -> Result<(), String> {
    send.sig.inputs.push(parse_quote!(call: &crate::shim::Call));
    let stmts = &mut send.block.stmts;
    let start = stmts
        .iter()
        .position(|s| is_let_of(s, "info"))
        .ok_or("no `let info = OperationInfo { .. }`")?;
    let end = stmts
        .iter()
        .position(|s| is_let_of(s, "response"))
        .ok_or("no `let response = result?`")?;
    if end < start {
        return Err("`let response` comes before `let info`".into());
    }
    // `info`, `pre`, `exec`, `post` and `let response = result?` become one call.
    stmts.splice(
        start..=end,
        [parse_quote! {
            let response = crate::shim::execute(client, request, call).await?;
        }],
    );
    let url = stmts
        .iter_mut()
        .find(|s| is_let_of(s, "url"))
        .ok_or("no `let url = format!(..)`")?;
    *url = url_from_base(url)?;
    let mut builder = OwnBuilder(0);
    builder.visit_block_mut(&mut send.block);
    if builder.0 != 1 {
        return Err(format!(
            "expected one `client.client.<verb>(url)`, found {}",
            builder.0
        ));
    }
    let mut answers = FromAnswer(0);
    answers.visit_block_mut(&mut send.block);
    if answers.0 == 0 {
        return Err(
            "no `ResponseValue::from_response` or `ResponseValue::empty` to replace".into(),
        );
    }
    Ok(())
}

/// `let url = format!("{}/v1/x/{}", client.baseurl, a)` becomes
/// `let url = crate::endpoint::endpoint(client, &format!("/v1/x/{}", a))`: the
/// path is set on the client's parsed base URL instead of the whole URL
/// being parsed again (a literal when the path has no parameters).
fn url_from_base(stmt: &Stmt) -> Result<Stmt, String> {
    let shape = "`let url = format!(\"{}..\", client.baseurl, ..)`";
    let Stmt::Local(local) = stmt else {
        return Err(format!("expected {shape}"));
    };
    let Some(Expr::Macro(m)) = local.init.as_ref().map(|i| &*i.expr) else {
        return Err(format!("expected {shape}"));
    };
    let args = m
        .mac
        .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        .map_err(|e| format!("expected {shape}: {e}"))?;
    let mut args = args.into_iter();
    let (Some(Expr::Lit(template)), Some(base)) = (args.next(), args.next()) else {
        return Err(format!("expected {shape}"));
    };
    let syn::Lit::Str(template) = &template.lit else {
        return Err(format!("expected {shape}"));
    };
    let is_base = matches!(&base, Expr::Field(f) if matches!(&f.member, syn::Member::Named(n) if n == "baseurl"));
    let Some(path) = template.value().strip_prefix("{}").map(str::to_owned) else {
        return Err(format!("expected {shape}"));
    };
    if !is_base {
        return Err(format!("expected {shape}"));
    }
    let rest: Vec<Expr> = args.collect();
    // `format!` would turn `{{` into `{`: only a plain path is used as it is.
    Ok(if rest.is_empty() && !path.contains(['{', '}']) {
        parse_quote!(let url = crate::endpoint::endpoint(client, #path);)
    } else {
        parse_quote!(let url = crate::endpoint::endpoint(client, &format!(#path, #(#rest),*));)
    })
}

fn is_let_of(stmt: &Stmt, name: &str) -> bool {
    matches!(stmt, Stmt::Local(l) if matches!(&l.pat, syn::Pat::Ident(p) if p.ident == name))
}

/// Starts progenitor's builder chain (`client.client.post(url).header(..)
/// .json(..)...build()`) on the shim's `Recipe` instead of reqwest's
/// `RequestBuilder`: the same calls, from which each attempt is built.
struct OwnBuilder(usize);

impl VisitMut for OwnBuilder {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let Expr::MethodCall(call) = expr else { return };
        let on_http_client = matches!(&*call.receiver, Expr::Field(f)
            if matches!(&f.member, syn::Member::Named(n) if n == "client")
                && matches!(&*f.base, Expr::Path(p) if p.path.is_ident("client")));
        let verb = call.method.to_string().to_ascii_uppercase();
        let known = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(&verb.as_str());
        if !on_http_client || !known || call.args.len() != 1 {
            return;
        }
        let verb = syn::Ident::new(&verb, call.method.span());
        let url = &call.args[0];
        *expr = parse_quote!(crate::recipe::Recipe::new(::reqwest::Method::#verb, #url));
        self.0 += 1;
    }
}

/// Replaces progenitor's reads of a `reqwest::Response` with the shim's
/// `Answer` methods; counts the replacements.
struct FromAnswer(usize);

impl VisitMut for FromAnswer {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let replacement: Option<Expr> = match expr {
            // `ResponseValue::from_response(response).await`
            Expr::Await(a) if calls(&a.base, "from_response") => {
                Some(parse_quote!(response.decode()))
            }
            // `ResponseValue::empty(response)`
            Expr::Call(_) if calls(expr, "empty") => Some(parse_quote!(response.empty())),
            // `Error::UnexpectedResponse(response)`
            Expr::Call(_) if calls(expr, "UnexpectedResponse") => Some(parse_quote!(
                Error::UnexpectedResponse(response.into_response())
            )),
            _ => None,
        };
        if let Some(r) = replacement {
            *expr = r;
            self.0 += 1;
        }
    }
}

/// `expr` is `<path ending in name>(response)`.
fn calls(expr: &Expr, name: &str) -> bool {
    let Expr::Call(c) = expr else { return false };
    let Expr::Path(p) = &*c.func else {
        return false;
    };
    let one_arg_response = c.args.len() == 1
        && matches!(c.args.first(), Some(Expr::Path(a)) if a.path.is_ident("response"));
    p.path.segments.last().is_some_and(|s| s.ident == name) && one_arg_response
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    /// `send_generated` in progenitor 0.15's shape, with `extra` statements
    /// before its `let info`.
    fn send(extra: Vec<Stmt>) -> ImplItemFn {
        let mut f: ImplItemFn = parse_quote! {
            async fn send_generated(self) -> Result<ResponseValue<()>, Error<()>> {
                let url = format!("{}/v1/x/{{y}}", client.baseurl);
                let request = client.client.post(url).build()?;
                let info = OperationInfo {};
                let result = client.exec(request, &info).await;
                let response = result?;
                Ok(ResponseValue::empty(response))
            }
        };
        f.block.stmts.splice(1..1, extra);
        f
    }

    fn text(f: &ImplItemFn) -> String {
        f.block.to_token_stream().to_string().replace(' ', "")
    }

    #[test]
    fn escaped_braces_keep_the_path_a_format() {
        let mut f = send(vec![]);
        hand_to_shim(&mut f).expect("progenitor's shape");
        let t = text(&f);
        assert!(
            t.contains(r#"crate::endpoint::endpoint(client,&format!("/v1/x/{{y}}",))"#),
            "{t}"
        );
        assert!(
            t.contains("crate::shim::execute(client,request,call)"),
            "{t}"
        );
    }

    /// Only `client.client.<verb>(url)` is the request, and only answer
    /// reads of `response` are replaced.
    #[test]
    fn calls_that_only_look_alike_are_left_alone() {
        let mut f = send(vec![
            parse_quote!(let a = other.get(1);),
            parse_quote!(let b = client.client.execute(2);),
            parse_quote!(let c = ResponseValue::empty(other);),
            parse_quote!(let d = Error::UnexpectedResponse(response, 2);),
        ]);
        hand_to_shim(&mut f).expect("progenitor's shape");
        let t = text(&f);
        for kept in [
            "other.get(1)",
            "client.client.execute(2)",
            "ResponseValue::empty(other)",
            "Error::UnexpectedResponse(response,2)",
        ] {
            assert!(t.contains(kept), "{kept}: {t}");
        }
    }

    #[test]
    fn a_response_before_its_info_is_refused() {
        let mut f = send(vec![]);
        let info = f.block.stmts.remove(2);
        f.block.stmts.insert(4, info);
        let err = hand_to_shim(&mut f).expect_err("not progenitor's shape");
        assert!(err.contains("comes before"), "{err}");
    }
}
