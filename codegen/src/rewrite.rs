//! Edits progenitor's output, read as syntax, into the surface the crate
//! promises:
//!
//! - body builders take plain values: an optional field's setter takes the
//!   value itself (no `Some`), a list field takes any iterator of values, a
//!   timestamp takes a `DateTime` or an RFC 3339 string, and a number is
//!   checked against the spec's `minimum`/`maximum`. Errors name the field;
//! - every operation's `send` returns `Result<_, crate::Error>`: progenitor's
//!   `send` becomes the private `send_generated`, and a wrapper hands the call
//!   to the shim (`crate::shim::Call`), which makes or checks the key first and
//!   turns the outcome into the one error type;
//! - every builder is `#[must_use]`;
//! - a body type with `x-qurl-rules` checks them when it is built
//!   (`crate::rules`).

use crate::syntax::{generic_arg, is_integer, last_ident, send_success_type, setter_target};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use syn::{Expr, ImplItem, ImplItemFn, Item, ItemImpl, ItemMod, PathArguments, Type, parse_quote};

/// Apply every edit. `doc` is the normalised document (number ranges,
/// lists), `ops` the manifest (replay classes for the docs), `rules` the
/// request rules read from the published document (whose enums the
/// normaliser has not opened).
pub fn rewrite(
    file: &mut syn::File,
    doc: &Value,
    ops: &[crate::manifest::Operation],
    rules: &[qurl_rules::SchemaRules],
) -> Result<(), String> {
    let structs = file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Mod(m) if m.ident == "types" => Some(crate::pages::structs(m)),
            _ => None,
        })
        .ok_or("progenitor's output has no `types` module")?;
    let paginated = crate::pages::paginated_methods(doc);
    crate::docs::rewrite_client_docs(file, doc, ops, &paginated);
    let mut found = Answers::default();
    for item in &mut file.items {
        if let Item::Mod(m) = item
            && m.ident == "builder"
        {
            found = rewrite_operation_builders(m, &paginated, doc, ops)?;
        }
    }
    let mut impls: Vec<Item> = Vec::new();
    for page in &found.pages {
        let tokens = crate::pages::list_page_impl(&structs, page)
            .map_err(|e| format!("cannot walk the list `{page}`: {e}"))?;
        impls.push(parse_quote!(#tokens));
    }
    for name in &found.success_types {
        if let Some(tokens) = crate::pages::envelope_impl(&structs, name) {
            impls.push(parse_quote!(#tokens));
        }
    }
    for item in &mut file.items {
        if let Item::Mod(m) = item
            && m.ident == "types"
        {
            add_from_str_for_string_newtypes(m);
            name_allowed_values(m);
            impls.extend(crate::rule_fields::impls(m, rules)?);
            let builder = submodule(m, "builder")
                .ok_or("progenitor's `types` module has no `builder` module")?;
            rewrite_type_builders(builder, doc)?;
            crate::rules::check_in_conversions(builder, rules)?;
            impls.push(crate::rules::table_item(rules));
            if let Some((_, items)) = m.content.as_mut() {
                items.append(&mut impls);
            }
        }
    }
    Ok(())
}

/// Success types seen on the operation builders.
#[derive(Default)]
struct Answers {
    /// Every `T` of `ResponseValue<types::T>`.
    success_types: std::collections::BTreeSet<String>,
    /// The page types of paginated operations.
    pages: std::collections::BTreeSet<String>,
}

fn submodule<'a>(m: &'a mut ItemMod, name: &str) -> Option<&'a mut ItemMod> {
    m.content.as_mut()?.1.iter_mut().find_map(|i| match i {
        Item::Mod(sub) if sub.ident == name => Some(sub),
        _ => None,
    })
}

fn must_use(attrs: &mut Vec<syn::Attribute>) {
    if !attrs.iter().any(|a| a.path().is_ident("must_use")) {
        attrs.push(parse_quote!(#[must_use = "a builder does nothing until it is used"]));
    }
}

// ---- plain strings for open string types ----------------------------------

/// A response-side enum the normaliser opened is a newtype over `String`
/// with `From<String>` only; the same type in a request should still take a
/// `&str` (`.events(["qurl.accessed"])`), so it gets `From<&str>` too. And
/// every type made from a `&str` is made from a `&String` the same way, so
/// `.id(&id)` works whether or not the spec gives `id` a pattern.
fn add_from_str_for_string_newtypes(types: &mut ItemMod) {
    let Some((_, items)) = types.content.as_mut() else {
        return;
    };
    // (type, source type as text) -> whether the conversion can fail.
    let mut conversions = std::collections::BTreeMap::new();
    for item in items.iter() {
        let Item::Impl(imp) = item else { continue };
        let Some((path, _)) = imp.trait_.as_ref() else {
            continue;
        };
        let Some(seg) = path.segments.last() else {
            continue;
        };
        if seg.ident != "From" && seg.ident != "TryFrom" {
            continue;
        }
        let PathArguments::AngleBracketed(a) = &seg.arguments else {
            continue;
        };
        let (Some(arg), Some(name)) = (a.args.first(), last_ident(&imp.self_ty)) else {
            continue;
        };
        let source = quote!(#arg).to_string().replace(' ', "");
        conversions.insert((name, source), seg.ident == "TryFrom");
    }
    let has = |name: &str, source: &str| conversions.get(&(name.to_owned(), source.to_owned()));
    let names: std::collections::BTreeSet<&String> = conversions.keys().map(|(n, _)| n).collect();
    for name in names {
        let ident = format_ident!("{}", name);
        if has(name, "::std::string::String") == Some(&false) && has(name, "&str").is_none() {
            items.push(parse_quote! {
                impl ::std::convert::From<&str> for #ident {
                    fn from(value: &str) -> Self {
                        Self::from(value.to_owned())
                    }
                }
            });
        }
        if has(name, "&::std::string::String").is_some() {
            continue;
        }
        // How the type is made from a `&str` (`From` for opened types, which
        // got one above), if it is.
        let from_str = match (has(name, "&str"), has(name, "::std::string::String")) {
            (Some(fallible), _) => Some(*fallible),
            (None, Some(false)) => Some(false),
            _ => None,
        };
        match from_str {
            Some(false) => items.push(parse_quote! {
                impl ::std::convert::From<&::std::string::String> for #ident {
                    fn from(value: &::std::string::String) -> Self {
                        Self::from(value.as_str())
                    }
                }
            }),
            Some(true) => items.push(parse_quote! {
                impl ::std::convert::TryFrom<&::std::string::String> for #ident {
                    type Error = self::error::ConversionError;
                    fn try_from(
                        value: &::std::string::String,
                    ) -> ::std::result::Result<Self, self::error::ConversionError> {
                        Self::try_from(value.as_str())
                    }
                }
            }),
            None => {}
        }
    }
}

// ---- enum errors that name the allowed values ------------------------------

/// typify's `FromStr` for a closed string enum answers "invalid value"; make
/// it say which value was refused and which the spec allows.
fn name_allowed_values(types: &mut ItemMod) {
    let Some((_, items)) = types.content.as_mut() else {
        return;
    };
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let is_from_str = imp
            .trait_
            .as_ref()
            .and_then(|(path, _)| path.segments.last())
            .is_some_and(|s| s.ident == "FromStr");
        if !is_from_str {
            continue;
        }
        for it in &mut imp.items {
            if let ImplItem::Fn(f) = it {
                for stmt in &mut f.block.stmts {
                    if let syn::Stmt::Expr(Expr::Match(m), _) = stmt {
                        name_allowed_in_match(m);
                    }
                }
            }
        }
    }
}

fn name_allowed_in_match(m: &mut syn::ExprMatch) {
    let allowed: Vec<String> = m
        .arms
        .iter()
        .filter_map(|arm| match &arm.pat {
            syn::Pat::Lit(l) => match &l.lit {
                syn::Lit::Str(s) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if allowed.is_empty() {
        return;
    }
    let message = format!(
        "{{value:?}} is not one of {}",
        allowed.join(", ").replace('{', "{{").replace('}', "}}")
    );
    for arm in &mut m.arms {
        if matches!(arm.pat, syn::Pat::Wild(_)) {
            *arm.body = parse_quote!(Err(format!(#message).into()));
        }
    }
}

// ---- body builders -------------------------------------------------------

fn rewrite_type_builders(builder: &mut ItemMod, doc: &Value) -> Result<(), String> {
    let Some((_, items)) = builder.content.as_mut() else {
        return Ok(());
    };
    for item in items.iter_mut() {
        match item {
            Item::Struct(s) => must_use(&mut s.attrs),
            Item::Impl(imp) if imp.trait_.is_none() => {
                let type_name = last_ident(&imp.self_ty).unwrap_or_default();
                let schema = doc
                    .pointer(&format!("/components/schemas/{type_name}"))
                    .cloned()
                    .unwrap_or(Value::Null);
                for it in &mut imp.items {
                    if let ImplItem::Fn(f) = it
                        && let Some(target) = setter_target(f)
                    {
                        let field = f.sig.ident.clone();
                        let property = property_schema(&schema, &field.to_string());
                        *f = plain_value_setter(&field, &target, property)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The schema of a property, found by the setter's name (progenitor appends
/// `_` to names that are Rust keywords).
fn property_schema<'a>(schema: &'a Value, field: &str) -> Option<&'a Value> {
    let props = schema.get("properties")?;
    props
        .get(field)
        .or_else(|| props.get(field.trim_start_matches("r#").trim_end_matches('_')))
}

fn is_float(ty: &Type) -> bool {
    matches!(last_ident(ty).as_deref(), Some("f32" | "f64"))
}

/// `Ok(v)` if `v` is within the spec's bounds, else an error naming them.
fn range_check(field: &str, ty: &Type, schema: Option<&Value>) -> Option<TokenStream> {
    let schema = schema?;
    let (min, max) = (schema.get("minimum"), schema.get("maximum"));
    if min.is_none() && max.is_none() {
        return None;
    }
    let literal = |v: &Value| -> Option<Expr> {
        if is_integer(ty) {
            syn::parse_str(&v.as_i64()?.to_string()).ok()
        } else if is_float(ty) {
            syn::parse_str(&format!("{:?}", v.as_f64()?)).ok()
        } else {
            None
        }
    };
    let mut checks = Vec::new();
    let mut rule = Vec::new();
    // A minimum of 0 says nothing an unsigned type does not already.
    let unsigned = last_ident(ty).is_some_and(|t| t.starts_with('u'));
    let min = min.filter(|m| !(unsigned && m.as_i64() == Some(0)));
    if let Some(m) = min.and_then(literal) {
        checks.push(quote!(v >= #m));
        rule.push(format!("at least {}", min.unwrap_or(&Value::Null)));
    }
    if let Some(m) = max.and_then(literal) {
        checks.push(quote!(v <= #m));
        rule.push(format!("at most {}", max.unwrap_or(&Value::Null)));
    }
    if checks.is_empty() {
        return None;
    }
    let message = format!(
        "`{field}`: {{v}} is out of range: the spec says {}",
        rule.join(" and ")
    );
    Some(quote! {
        .and_then(|v| if #(#checks)&&* { Ok(v) } else { Err(format!(#message)) })
    })
}

/// The spec's `minItems`/`maxItems` on a list field.
fn count_check(field: &str, schema: Option<&Value>) -> TokenStream {
    let bound = |k: &str| schema.and_then(|s| s.get(k)).and_then(Value::as_u64);
    let (min, max) = (bound("minItems"), bound("maxItems"));
    if min.is_none() && max.is_none() {
        return quote!();
    }
    let mut checks = Vec::new();
    let mut rule = Vec::new();
    if let Some(n) = min.filter(|n| *n > 0).map(|n| n as usize) {
        checks.push(quote!(v.len() >= #n));
        rule.push(format!("at least {n}"));
    }
    if let Some(n) = max.map(|n| n as usize) {
        checks.push(quote!(v.len() <= #n));
        rule.push(format!("at most {n}"));
    }
    if checks.is_empty() {
        return quote!();
    }
    let message = format!(
        "`{field}`: {{}} items, but the spec allows {}",
        rule.join(" and ")
    );
    quote! {
        .and_then(|v| if #(#checks)&&* { Ok(v) } else { Err(format!(#message, v.len())) })
    }
}

/// One setter that takes a plain value, converts it, checks it, and keeps
/// any error (naming the field) for `send` to report before anything is sent.
fn plain_value_setter(
    field: &syn::Ident,
    target: &Type,
    schema: Option<&Value>,
) -> Result<ImplItemFn, String> {
    let name = field.to_string();
    let name = name.trim_start_matches("r#");
    let (optional, value_ty) = match generic_arg(target, "Option") {
        Some(inner) => (true, inner.clone()),
        None => (false, target.clone()),
    };
    let wrap = if optional {
        quote!(.map(Some))
    } else {
        quote!()
    };
    let doc = format!("Set `{name}`.");
    let convert_error = format!("`{name}`: {{e}}");
    if let Some(elem) = generic_arg(&value_ty, "Vec") {
        let item_schema = schema.and_then(|s| s.get("items"));
        let check = range_check(&format!("{name}[{{i}}]"), elem, item_schema).unwrap_or_default();
        let count = count_check(name, schema);
        let item_error = format!("`{name}[{{i}}]`: {{e}}");
        return Ok(parse_quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = "Takes any list or iterator of values (`[\"a\", \"b\"]`, a `Vec`)."]
            pub fn #field<I, T>(mut self, value: I) -> Self
            where
                I: ::std::iter::IntoIterator<Item = T>,
                T: ::std::convert::TryInto<#elem>,
                T::Error: ::std::fmt::Display,
            {
                self.#field = value
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        item.try_into()
                            .map_err(|e| format!(#item_error))
                            #check
                    })
                    .collect::<::std::result::Result<::std::vec::Vec<#elem>, ::std::string::String>>()
                    #count
                    #wrap;
                self
            }
        });
    }
    if last_ident(&value_ty).as_deref() == Some("DateTime") {
        return Ok(parse_quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = "Takes a `chrono::DateTime<Utc>` or an RFC 3339 string such as `\"2026-12-01T09:00:00Z\"`."]
            pub fn #field<T>(mut self, value: T) -> Self
            where
                T: crate::body::Timestamp,
            {
                self.#field = value
                    .into_timestamp()
                    .map_err(|e| format!(#convert_error))
                    #wrap;
                self
            }
        });
    }
    let check = range_check(name, &value_ty, schema).unwrap_or_default();
    Ok(parse_quote! {
        #[doc = #doc]
        pub fn #field<T>(mut self, value: T) -> Self
        where
            T: ::std::convert::TryInto<#value_ty>,
            T::Error: ::std::fmt::Display,
        {
            self.#field = value
                .try_into()
                .map_err(|e| format!(#convert_error))
                #check
                #wrap;
            self
        }
    })
}

// ---- operation builders --------------------------------------------------

fn rewrite_operation_builders(
    m: &mut ItemMod,
    paginated: &std::collections::BTreeSet<String>,
    doc: &Value,
    ops: &[crate::manifest::Operation],
) -> Result<Answers, String> {
    let Some((_, items)) = m.content.as_mut() else {
        return Err("progenitor's `builder` module is empty".into());
    };
    let mut found = Answers::default();
    let mut list_calls: Vec<Item> = Vec::new();
    for item in items.iter_mut() {
        match item {
            Item::Struct(s) => must_use(&mut s.attrs),
            Item::Impl(imp) if imp.trait_.is_none() => {
                let Some((op, success)) = wrap_send(imp, ops)? else {
                    continue;
                };
                crate::params::check_setters(imp, &op, doc);
                let Some(page) = generic_arg(&success, "ResponseValue") else {
                    continue;
                };
                let name = last_ident(page).unwrap_or_default();
                if paginated.contains(&op) {
                    let builder = match &*imp.self_ty {
                        Type::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
                        _ => None,
                    }
                    .ok_or_else(|| format!("the builder of `{op}` has no name"))?;
                    let methods = crate::pages::builder_methods(&op, page);
                    let methods: ItemImpl = parse_quote!(impl X { #methods });
                    imp.items.extend(methods.items);
                    let call = crate::pages::list_call_impl(&builder, page);
                    list_calls.push(parse_quote!(#call));
                    found.pages.insert(name.clone());
                }
                found.success_types.insert(name);
            }
            _ => {}
        }
    }
    items.append(&mut list_calls);
    Ok(found)
}

fn operation_id(f: &ImplItemFn) -> Option<String> {
    // `let info = OperationInfo { operation_id: "post_qurls" };`
    struct Finder(Option<String>);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_field_value(&mut self, fv: &'ast syn::FieldValue) {
            if let syn::Member::Named(n) = &fv.member
                && n == "operation_id"
                && let Expr::Lit(l) = &fv.expr
                && let syn::Lit::Str(s) = &l.lit
            {
                self.0 = Some(s.value());
            }
            syn::visit::visit_field_value(self, fv);
        }
    }
    let mut finder = Finder(None);
    syn::visit::Visit::visit_impl_item_fn(&mut finder, f);
    finder.0
}

/// Rename progenitor's `send` and add the shim's; the operation id and the
/// success type, for a builder that has a `send`.
fn wrap_send(
    imp: &mut ItemImpl,
    ops: &[crate::manifest::Operation],
) -> Result<Option<(String, Type)>, String> {
    let builder = last_ident(&imp.self_ty).unwrap_or_default();
    let Some(send) = imp.items.iter_mut().find_map(|i| match i {
        ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
        _ => None,
    }) else {
        return Ok(None);
    };
    let success = send_success_type(send).ok_or_else(|| {
        format!("`{builder}::send` does not return `Result<ResponseValue<_>, _>`")
    })?;
    let op =
        operation_id(send).ok_or_else(|| format!("`{builder}::send` names no operation_id"))?;
    let docs: Vec<syn::Attribute> = send
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    send.sig.ident = format_ident!("send_generated");
    send.vis = syn::Visibility::Inherited;
    send.attrs.retain(|a| !a.path().is_ident("doc"));
    crate::send::hand_to_shim(send).map_err(|e| format!("`{builder}::send`: {e}"))?;
    let has_key = imp
        .items
        .iter()
        .any(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == "idempotency_key"));
    // The key moves to the call, which puts it on every attempt.
    let key = if has_key {
        quote!(Some(::std::mem::replace(
            &mut self.idempotency_key,
            Ok(None)
        )))
    } else {
        quote!(None)
    };
    // The operation's manifest row, by position: no lookup by name per call.
    let row = ops
        .iter()
        .position(|o| o.method == op)
        .ok_or_else(|| format!("`{op}` is missing from the manifest"))?;
    let wrapper: ImplItemFn = parse_quote! {
        #(#docs)*
        ///
        /// Retries, the idempotency key and errors follow the crate's rules
        /// (see the crate docs); every error is a [`crate::Error`].
        #[allow(unused_mut)]
        pub async fn send(mut self) -> ::std::result::Result<#success, crate::Error> {
            let operation = &crate::manifest::OPERATIONS[#row];
            debug_assert_eq!(operation.method, #op);
            let call = crate::shim::Call::begin(self.client, operation, #key)?;
            let result = self.send_generated(&call).await;
            call.end(result)
        }
    };
    imp.items.push(ImplItem::Fn(wrapper));
    Ok(Some((op, success)))
}
