//! The spec's `x-qurl-rules` (and `minProperties`) in the generated client:
//! the table as `static` data, and a check of it in each body type's
//! `TryFrom<builder::T>`, the conversion every body goes through before
//! `send` builds a request. A broken rule is then a conversion error naming
//! the field, which `send` reports as `ErrorKind::InvalidRequest` before
//! anything is sent or a key is spent. The rules are interpreted at run
//! time by `qurl_rules`, the interpreter the sandbox runs too; it reads the
//! typed body through the implementations `rule_fields.rs` generates.

use proc_macro2::TokenStream;
use quote::quote;
use qurl_rules::{Kind, List, Nested, Rule, SchemaRules, Text, When};
use syn::{Expr, ImplItem, Item, ItemMod, parse_quote};

use crate::syntax::last_ident;

/// `pub(crate) static RULES`, the table as the client holds it.
pub fn table_item(table: &[SchemaRules]) -> Item {
    let entries = table.iter().map(|s| {
        let schema = text(&s.schema);
        let rules = s.rules.iter().map(rule);
        let nested = s.nested.iter().map(nested);
        quote! {
            ::qurl_rules::SchemaRules {
                schema: #schema,
                rules: ::std::borrow::Cow::Borrowed(&[#(#rules),*]),
                nested: ::std::borrow::Cow::Borrowed(&[#(#nested),*]),
            }
        }
    });
    parse_quote! {
        /// The spec's request rules beyond JSON Schema (`x-qurl-rules` and
        /// `minProperties`), per body schema.
        pub(crate) static RULES: &[::qurl_rules::SchemaRules] = &[#(#entries),*];
    }
}

/// Make each body type that has rules check them when it is built:
/// `Ok(Self { .. })` in its `TryFrom<builder::T>` becomes "build, check,
/// then `Ok`".
pub fn check_in_conversions(builder: &mut ItemMod, table: &[SchemaRules]) -> Result<(), String> {
    let Some((_, items)) = builder.content.as_mut() else {
        return Ok(());
    };
    let mut done = Vec::new();
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some((path, _)) = &imp.trait_ else {
            continue;
        };
        if path.segments.last().is_none_or(|s| s.ident != "TryFrom") {
            continue;
        }
        let Some(type_name) = last_ident(&imp.self_ty) else {
            continue;
        };
        // typify names types in its own case (`AIAgentPolicy` becomes
        // `AiAgentPolicy`); the table keeps the spec's names.
        let Some(entry) = table.iter().find(|s| same_name(&s.schema, &type_name)) else {
            continue;
        };
        let name = entry.schema.to_string();
        let Some(ImplItem::Fn(f)) = imp
            .items
            .iter_mut()
            .find(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == "try_from"))
        else {
            return Err(format!("`TryFrom<builder::{name}>` has no `try_from`"));
        };
        let Some(syn::Stmt::Expr(Expr::Call(call), None)) = f.block.stmts.last_mut() else {
            return Err(format!(
                "`TryFrom<builder::{name}>` does not end in `Ok(Self {{ .. }})`"
            ));
        };
        let Some(built) = call.args.first().cloned() else {
            return Err(format!(
                "`TryFrom<builder::{name}>` does not end in `Ok(Self {{ .. }})`"
            ));
        };
        *f.block.stmts.last_mut().expect("matched above") = parse_quote! {
            {
                let value = #built;
                crate::rules::check_body(#name, &value)?;
                Ok(value)
            }
        };
        done.push(name);
    }
    // Every schema with rules of its own must be a body type that got the
    // check; a rule that is never checked would be a silent gap.
    for s in table.iter().filter(|s| !s.rules.is_empty()) {
        if !done.iter().any(|d| d == s.schema.as_ref()) {
            return Err(format!(
                "`{}` has x-qurl-rules but no generated body builder to check them in",
                s.schema
            ));
        }
    }
    Ok(())
}

/// A spec schema name and a Rust type name that stand for the same type.
pub(crate) fn same_name(schema: &str, type_name: &str) -> bool {
    let letters = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    letters(schema) == letters(type_name)
}

fn text(t: &Text) -> TokenStream {
    let s: &str = t;
    quote!(::std::borrow::Cow::Borrowed(#s))
}

fn list(l: &List) -> TokenStream {
    let items = l.iter().map(text);
    quote!(::std::borrow::Cow::Borrowed(&[#(#items),*]))
}

fn option_text(t: &Option<Text>) -> TokenStream {
    match t {
        Some(t) => {
            let t = text(t);
            quote!(::std::option::Option::Some(#t))
        }
        None => quote!(::std::option::Option::None),
    }
}

fn option_u64(n: &Option<u64>) -> TokenStream {
    match n {
        Some(n) => quote!(::std::option::Option::Some(#n)),
        None => quote!(::std::option::Option::None),
    }
}

fn when(w: &When) -> TokenStream {
    let (field, equals, default) = (text(&w.field), text(&w.equals), option_text(&w.default));
    quote!(::qurl_rules::When { field: #field, equals: #equals, default: #default })
}

fn rule(r: &Rule) -> TokenStream {
    let code = text(&r.code);
    let kind = match &r.kind {
        Kind::Exclusive { fields } => {
            let fields = list(fields);
            quote!(Exclusive { fields: #fields })
        }
        Kind::RequiredIf { field, when: w } => {
            let (field, w) = (text(field), when(w));
            quote!(RequiredIf { field: #field, when: #w })
        }
        Kind::RequiredUnless { field, when: w } => {
            let (field, w) = (text(field), when(w));
            quote!(RequiredUnless { field: #field, when: #w })
        }
        Kind::OnlyIf { field, when: w } => {
            let (field, w) = (text(field), when(w));
            quote!(OnlyIf { field: #field, when: #w })
        }
        Kind::HttpUrl { field } => {
            let field = text(field);
            quote!(HttpUrl { field: #field })
        }
        Kind::OneOf { field, values } => {
            let (field, values) = (text(field), list(values));
            quote!(OneOf { field: #field, values: #values })
        }
        Kind::NotOneOf { field, values } => {
            let (field, values) = (text(field), list(values));
            quote!(NotOneOf { field: #field, values: #values })
        }
        Kind::Duration {
            field,
            min_seconds,
            max_seconds,
        } => {
            let (field, min, max) = (
                text(field),
                option_u64(min_seconds),
                option_u64(max_seconds),
            );
            quote!(Duration { field: #field, min_seconds: #min, max_seconds: #max })
        }
        Kind::MinProperties { count } => quote!(MinProperties { count: #count }),
        Kind::Range {
            field,
            minimum,
            maximum,
        } => {
            let field = text(field);
            let option = |n: &Option<i64>| match n {
                Some(n) => quote!(::std::option::Option::Some(#n)),
                None => quote!(::std::option::Option::None),
            };
            let (min, max) = (option(minimum), option(maximum));
            quote!(Range { field: #field, minimum: #min, maximum: #max })
        }
        Kind::Items {
            field,
            min_items,
            max_items,
            unique,
        } => {
            let (field, min, max) = (text(field), option_u64(min_items), option_u64(max_items));
            quote!(Items { field: #field, min_items: #min, max_items: #max, unique: #unique })
        }
    };
    quote!(::qurl_rules::Rule { kind: ::qurl_rules::Kind::#kind, code: #code })
}

fn nested(n: &Nested) -> TokenStream {
    let (property, schema, is_list) = (text(&n.property), text(&n.schema), n.list);
    quote!(::qurl_rules::Nested { property: #property, schema: #schema, list: #is_list })
}
