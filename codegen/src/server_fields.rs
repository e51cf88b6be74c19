//! Field-level edits of typify's output for the server profile.
//!
//! typify reads an optional list (or map) as "absent means empty": a plain
//! `Vec` left out when empty. A server must say which it means, so such a
//! field becomes an `Option` of the list, sent whenever it is `Some`.
//!
//! A `nullable` property the server always sends is required to typify, so
//! reading a body without it would fail; a schema the server also reads (an
//! access policy in a request) must accept it absent, as `None`.

use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Attribute, Expr, ExprLit, Field, Lit, Meta, Token, parse_quote};

/// Every field that typify skips when its list or map is empty becomes an
/// `Option` of it, skipped only when `None`.
pub(crate) fn optional_lists_as_options(file: &mut syn::File) {
    OptionalLists.visit_file_mut(file);
}

struct OptionalLists;

impl VisitMut for OptionalLists {
    fn visit_field_mut(&mut self, field: &mut Field) {
        let Some(index) = field.attrs.iter().position(skips_when_empty) else {
            return;
        };
        let Some(rewritten) = skip_when_none(&field.attrs[index]) else {
            return;
        };
        field.attrs[index] = rewritten;
        let inner = &field.ty;
        field.ty = parse_quote!(::std::option::Option<#inner>);
    }
}

/// `#[serde(default, skip_serializing_if = "...::is_empty")]`
fn skips_when_empty(attr: &Attribute) -> bool {
    serde_items(attr).is_some_and(|items| {
        items
            .iter()
            .any(|m| skip_path(m).is_some_and(is_empty_check))
    })
}

fn is_empty_check(path: String) -> bool {
    path.ends_with("::is_empty")
}

/// The same `serde` attribute without `default`, skipping when `None`.
fn skip_when_none(attr: &Attribute) -> Option<Attribute> {
    let items: Vec<Meta> = serde_items(attr)?
        .into_iter()
        .filter(|m| !m.path().is_ident("default"))
        .map(|m| {
            if skip_path(&m).is_some() {
                parse_quote!(skip_serializing_if = "::std::option::Option::is_none")
            } else {
                m
            }
        })
        .collect();
    Some(parse_quote!(#[serde(#(#items),*)]))
}

/// Every field typify reads with `deserialize_with = Option::deserialize`
/// (a required `nullable`) also reads as `None` when absent.
pub(crate) fn always_sent_read_when_absent(file: &mut syn::File) {
    AlwaysSent.visit_file_mut(file);
}

struct AlwaysSent;

impl VisitMut for AlwaysSent {
    fn visit_field_mut(&mut self, field: &mut Field) {
        for attr in &mut field.attrs {
            let Some(items) = serde_items(attr) else {
                continue;
            };
            let reads_an_option = items.iter().any(|m| {
                named_path(m, "deserialize_with")
                    .is_some_and(|p| p == "::std::option::Option::deserialize")
            });
            if reads_an_option && !items.iter().any(|m| m.path().is_ident("default")) {
                let items = items.iter();
                *attr = parse_quote!(#[serde(default, #(#items),*)]);
            }
        }
    }
}

fn serde_items(attr: &Attribute) -> Option<Punctuated<Meta, Token![,]>> {
    if !attr.path().is_ident("serde") {
        return None;
    }
    attr.parse_args_with(Punctuated::parse_terminated).ok()
}

/// The function named by `skip_serializing_if = "..."`.
fn skip_path(meta: &Meta) -> Option<String> {
    named_path(meta, "skip_serializing_if")
}

/// The string value of `name = "..."`.
fn named_path(meta: &Meta, name: &str) -> Option<String> {
    match meta {
        Meta::NameValue(nv) if nv.path.is_ident(name) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}
