//! The spec's rules on query and path parameters, checked in the operation
//! builders' setters: `minimum`/`maximum`, `minLength`/`maxLength` and
//! `pattern` (an `enum` is already a typed value), and a required path
//! parameter may not be empty (`/v1/qurls/` would name another operation).
//! A broken rule is kept as the setter's error, so `send` refuses the call,
//! naming the parameter and the rule, before anything is sent.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;
use syn::{ImplItem, ItemImpl, Type, parse_quote};

use crate::names::method_name;
use crate::normalise::{VERBS, resolve_ref};
use crate::syntax::{generic_arg, is_integer, last_ident, setter_name, setter_target};

/// The parameters (resolved) of the operation whose method is `method`.
fn parameters<'a>(doc: &'a Value, method: &str) -> Vec<&'a Value> {
    let components = doc.get("components").unwrap_or(&Value::Null);
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    for (path, item) in paths {
        for verb in VERBS {
            let Some(op) = item.get(verb) else { continue };
            if method_name(verb, path) != method {
                continue;
            }
            return item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .chain(op.get("parameters").and_then(Value::as_array))
                .flatten()
                .filter_map(|p| resolve_ref(p, components))
                .collect();
        }
    }
    Vec::new()
}

/// A check of `x: &T` against `schema`, returning `Err(message)` on a
/// broken rule; `None` when the schema states nothing to check.
fn check(name: &str, ty: &Type, schema: &Value, in_path: bool) -> Option<TokenStream> {
    let mut checks = Vec::new();
    let ty_name = last_ident(ty).unwrap_or_default();
    let number = |k: &str| schema.get(k).and_then(Value::as_i64);
    if ty_name.starts_with("NonZero") || is_integer(ty) {
        let value = if ty_name.starts_with("NonZero") {
            quote!(x.get() as i128)
        } else {
            quote!(*x as i128)
        };
        let (min, max) = (number("minimum"), number("maximum"));
        if min.is_some() || max.is_some() {
            let lo = min.map(i128::from).unwrap_or(i128::MIN);
            let hi = max.map(i128::from).unwrap_or(i128::MAX);
            let rule = match (min, max) {
                (Some(a), Some(b)) => format!("at least {a} and at most {b}"),
                (Some(a), None) => format!("at least {a}"),
                (None, Some(b)) => format!("at most {b}"),
                (None, None) => unreachable!(),
            };
            let message = format!("`{name}`: {{n}} is out of range: the spec says {rule}");
            checks.push(quote! {
                let n = #value;
                if n < #lo || n > #hi {
                    return ::std::result::Result::Err(format!(#message));
                }
            });
        }
    }
    if ty_name == "String" {
        let min = schema
            .get("minLength")
            .and_then(Value::as_u64)
            .unwrap_or(u64::from(in_path)) as usize;
        let max = schema.get("maxLength").and_then(Value::as_u64);
        if min > 0 {
            let message = if in_path && min == 1 {
                format!("`{name}`: is empty; the path needs a value")
            } else {
                format!("`{name}`: {{len}} characters, but the spec says at least {min}")
            };
            checks.push(quote! {
                let len = x.chars().count();
                if len < #min {
                    return ::std::result::Result::Err(format!(#message));
                }
            });
        }
        if let Some(max) = max.map(|m| m as usize) {
            let message = format!("`{name}`: {{len}} characters, but the spec says at most {max}");
            checks.push(quote! {
                let len = x.chars().count();
                if len > #max {
                    return ::std::result::Result::Err(format!(#message));
                }
            });
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            let message = format!("`{name}`: {{x:?}} does not match the spec's pattern {pattern}");
            checks.push(quote! {
                let matches = ::regress::Regex::new(#pattern).map_or(true, |re| re.find(x).is_some());
                if !matches {
                    return ::std::result::Result::Err(format!(#message));
                }
            });
        }
    }
    (!checks.is_empty()).then(|| quote!(#(#checks)*))
}

/// progenitor's setters drop the conversion's error (`map_err(|_| ..)`), so
/// a value typify refused (a pattern, an enum) said only "conversion ...
/// failed". Keep it, naming the parameter.
fn keep_conversion_errors(imp: &mut ItemImpl) {
    struct Closures(String);
    impl syn::visit_mut::VisitMut for Closures {
        fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
            syn::visit_mut::visit_expr_method_call_mut(self, call);
            if call.method != "map_err" {
                return;
            }
            let Some(syn::Expr::Closure(c)) = call.args.first() else {
                return;
            };
            if !matches!(c.inputs.first(), Some(syn::Pat::Wild(_))) {
                return;
            }
            let message = format!("`{}`: {{e}}", self.0);
            call.args[0] = parse_quote!(|e| format!(#message));
        }
    }
    for item in &mut imp.items {
        let ImplItem::Fn(f) = item else { continue };
        if setter_target(f).is_none() || f.sig.ident == "body" {
            continue;
        }
        let name = f.sig.ident.to_string();
        let mut closures = Closures(name.trim_end_matches('_').to_owned());
        syn::visit_mut::VisitMut::visit_block_mut(&mut closures, &mut f.block);
        if let Some(wc) = f.sig.generics.where_clause.as_mut() {
            wc.predicates
                .push(parse_quote!(V::Error: ::std::fmt::Display));
        }
    }
}

/// Add the spec's parameter checks to the setters of `imp`, the builder of
/// the operation named `method`, and keep their conversion errors.
pub fn check_setters(imp: &mut ItemImpl, method: &str, doc: &Value) {
    keep_conversion_errors(imp);
    let components = doc.get("components").unwrap_or(&Value::Null);
    for param in parameters(doc, method) {
        let Some(name) = param.get("name").and_then(Value::as_str) else {
            continue;
        };
        let location = param.get("in").and_then(Value::as_str).unwrap_or_default();
        if location != "query" && location != "path" {
            continue;
        }
        let Some(schema) = param.get("schema").and_then(|s| resolve_ref(s, components)) else {
            continue;
        };
        let ident = setter_name(name);
        let Some(setter) = imp.items.iter_mut().find_map(|i| match i {
            ImplItem::Fn(f) if f.sig.ident == ident => Some(f),
            _ => None,
        }) else {
            continue;
        };
        let Some(target) = setter_target(setter) else {
            continue;
        };
        // The field holds an `Option` unless the spec requires the parameter.
        let optional = !is_required(param);
        let value_ty = generic_arg(&target, "Option").unwrap_or(&target).clone();
        let Some(body) = check(name, &value_ty, schema, location == "path") else {
            continue;
        };
        let field = syn::Ident::new(&ident, proc_macro2::Span::call_site());
        let stmt: syn::Stmt = if optional {
            parse_quote! {
                self.#field = self.#field.and_then(|v| {
                    if let ::std::option::Option::Some(x) = &v {
                        #body
                    }
                    ::std::result::Result::Ok(v)
                });
            }
        } else {
            parse_quote! {
                self.#field = self.#field.and_then(|v| {
                    let x = &v;
                    #body
                    ::std::result::Result::Ok(v)
                });
            }
        };
        // Before the setter's final `self`.
        let at = setter.block.stmts.len().saturating_sub(1);
        setter.block.stmts.insert(at, stmt);
    }
}

fn is_required(param: &Value) -> bool {
    param
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}
