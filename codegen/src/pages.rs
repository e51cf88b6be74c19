//! Lists and envelopes, found in the spec and the generated types:
//!
//! - a **paginated operation** is a GET that takes a `cursor` query
//!   parameter and answers with a body whose `meta` has `next_cursor`. Its
//!   builder gets `by_page()` and `by_item()` (and implements
//!   `crate::pages::ListCall`); its page type implements
//!   `crate::pages::ListPage`, whose items are `data` itself when `data` is a
//!   list, or the one list inside `data` otherwise;
//! - an **envelope** is a success type with a `data` field: it implements
//!   `crate::data::Envelope`, which gives `into_data()`.
//!
//! Nothing here names an operation: a new list in the spec gets both.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use syn::{Item, ItemMod, Type};

use crate::names::method_name;
use crate::normalise::resolve_ref;
use crate::syntax::generic_arg;

/// Method names of the paginated operations of a normalised document.
pub fn paginated_methods(doc: &Value) -> BTreeSet<String> {
    let components = doc.get("components").unwrap_or(&Value::Null);
    let mut out = BTreeSet::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(op) = item.get("get") else { continue };
        let params = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .chain(op.get("parameters").and_then(Value::as_array))
            .flatten()
            .filter_map(|p| resolve_ref(p, components));
        let takes_cursor = params
            .into_iter()
            .any(|p| p["in"] == "query" && p["name"] == "cursor");
        if takes_cursor && answers_with_cursor(op, components) {
            out.insert(method_name("get", path));
        }
    }
    out
}

/// The 2xx JSON schema's `meta` has a `next_cursor` property.
fn answers_with_cursor(op: &Value, components: &Value) -> bool {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return false;
    };
    responses
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .filter_map(|(_, r)| resolve_ref(r, components))
        .filter_map(|r| r.pointer("/content/application~1json/schema"))
        .filter_map(|s| resolve_ref(s, components))
        .filter_map(|s| s.pointer("/properties/meta"))
        .filter_map(|m| resolve_ref(m, components))
        .any(|m| m.pointer("/properties/next_cursor").is_some())
}

/// Fields of every struct in the generated `types` module, by struct name.
pub type Structs = BTreeMap<String, Vec<(String, Type)>>;

pub fn structs(types: &ItemMod) -> Structs {
    let Some((_, items)) = types.content.as_ref() else {
        return Structs::new();
    };
    items
        .iter()
        .filter_map(|i| match i {
            Item::Struct(s) => Some((
                s.ident.to_string(),
                s.fields
                    .iter()
                    .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

fn field<'a>(structs: &'a Structs, name: &str, field: &str) -> Option<&'a Type> {
    structs
        .get(name)?
        .iter()
        .find_map(|(n, t)| (n == field).then_some(t))
}

/// `Some(inner)` for `Option<inner>`, else `None`.
fn optional(ty: &Type) -> Option<&Type> {
    generic_arg(ty, "Option")
}

fn type_name(ty: &Type) -> Option<String> {
    crate::syntax::last_ident(optional(ty).unwrap_or(ty))
}

/// `Option<&Meta>` from `self.meta`, whether the field is optional or not.
fn meta_ref(meta_ty: &Type) -> TokenStream {
    if optional(meta_ty).is_some() {
        quote!(self.meta.as_ref())
    } else {
        quote!(::std::option::Option::Some(&self.meta))
    }
}

/// `ListPage` for a page type: cursor state from `meta`, items from `data`.
pub fn list_page_impl(structs: &Structs, page: &str) -> Result<TokenStream, String> {
    let meta_ty = field(structs, page, "meta").ok_or_else(|| format!("`{page}` has no `meta`"))?;
    let meta_name = type_name(meta_ty).unwrap_or_default();
    let has_more = match field(structs, &meta_name, "has_more") {
        Some(t) if optional(t).is_some() => quote!(.and_then(|m| m.has_more)),
        Some(_) => quote!(.map(|m| m.has_more)),
        None => quote!(.and(::std::option::Option::None)),
    };
    let next_cursor = match field(structs, &meta_name, "next_cursor") {
        Some(t) if optional(t).is_some() => quote!(.and_then(|m| m.next_cursor.as_deref())),
        Some(_) => quote!(.map(|m| m.next_cursor.as_str())),
        None => return Err(format!("`{meta_name}` has no `next_cursor`")),
    };
    let data_ty = field(structs, page, "data").ok_or_else(|| format!("`{page}` has no `data`"))?;
    let (item, items) = list_items(structs, page, data_ty, quote!(self.data))?;
    let meta = meta_ref(meta_ty);
    let page_ident = format_ident!("{}", page);
    Ok(quote! {
        impl crate::pages::ListPage for #page_ident {
            type Item = #item;
            fn has_more(&self) -> ::std::option::Option<bool> {
                #meta #has_more
            }
            fn next_cursor(&self) -> ::std::option::Option<&str> {
                #meta #next_cursor
            }
            fn into_items(self) -> ::std::vec::Vec<Self::Item> {
                #items
            }
        }
    })
}

/// The item type and an expression giving the items' `Vec` from `expr`, a
/// value of type `ty`: a list, an optional list, or a struct (optional or
/// not) with exactly one list field.
fn list_items(
    structs: &Structs,
    page: &str,
    ty: &Type,
    expr: TokenStream,
) -> Result<(Type, TokenStream), String> {
    if let Some(item) = generic_arg(ty, "Vec") {
        return Ok((item.clone(), expr));
    }
    if let Some(inner) = optional(ty) {
        if let Some(item) = generic_arg(inner, "Vec") {
            return Ok((item.clone(), quote!(#expr.unwrap_or_default())));
        }
        let (item, from_d) = list_items(structs, page, inner, quote!(d))?;
        return Ok((item, quote!(#expr.map(|d| #from_d).unwrap_or_default())));
    }
    let name = crate::syntax::last_ident(ty).unwrap_or_default();
    let lists: Vec<&(String, Type)> = structs
        .get(&name)
        .into_iter()
        .flatten()
        .filter(|(_, t)| {
            generic_arg(t, "Vec").is_some()
                || optional(t).and_then(|i| generic_arg(i, "Vec")).is_some()
        })
        .collect();
    let [(field, field_ty)] = lists.as_slice() else {
        return Err(format!(
            "the list page `{page}` has `data` of type `{name}`, which holds {} lists; the generator needs exactly one",
            lists.len()
        ));
    };
    let f = format_ident!("{}", field);
    list_items(structs, page, field_ty, quote!(#expr.#f))
}

/// `Envelope` for a success type with `data`, or `None` for other types.
pub fn envelope_impl(structs: &Structs, name: &str) -> Option<TokenStream> {
    let data_ty = field(structs, name, "data")?;
    let (data, data_expr) = match optional(data_ty) {
        Some(inner) => (inner.clone(), quote!(self.data)),
        None => (
            data_ty.clone(),
            quote!(::std::option::Option::Some(self.data)),
        ),
    };
    let request_id = field(structs, name, "meta")
        .and_then(|meta_ty| {
            let meta_name = type_name(meta_ty)?;
            let rid = field(structs, &meta_name, "request_id")?;
            let meta = meta_ref(meta_ty);
            Some(if optional(rid).is_some() {
                quote!(#meta.and_then(|m| m.request_id.clone()))
            } else {
                quote!(#meta.map(|m| m.request_id.clone()))
            })
        })
        .unwrap_or_else(|| quote!(::std::option::Option::None));
    let ident = format_ident!("{}", name);
    Some(quote! {
        impl crate::data::Envelope for #ident {
            type Data = #data;
            const NAME: &'static str = #name;
            fn into_parts(self) -> (::std::option::Option<Self::Data>, ::std::option::Option<::std::string::String>) {
                let request_id = #request_id;
                (#data_expr, request_id)
            }
        }
    })
}

/// `by_page()` and `by_item()` on a list operation's builder, and its
/// `ListCall` impl (`builder` is the struct, `page` the page type as the
/// builder module names it).
pub fn builder_methods(op: &str, page: &Type) -> TokenStream {
    let page_doc = format!(
        "Every page of this listing, as a lazy stream: a page is requested when the \
         stream reaches it, each through the client's retries, with every parameter set \
         here (a `cursor` set here is where it starts). It ends after the last page, or \
         with the first error; [`crate::Error::page_cursor`] says where to resume. A \
         cursor the API repeats ends it with `ErrorKind::UnexpectedResponse` instead of \
         looping. The blocking client's `{op}()` returns an iterator instead."
    );
    let item_doc = "Every item of every page, as a lazy stream holding one page at a time \
         (see [`by_page`](Self::by_page) for paging, errors and resuming).";
    quote! {
        #[doc = #page_doc]
        pub fn by_page(self) -> impl ::futures::Stream<Item = ::std::result::Result<#page, crate::Error>> + Send + Unpin + 'a {
            crate::pages::walk(self, #op)
        }
        #[doc = #item_doc]
        pub fn by_item(self) -> impl ::futures::Stream<Item = ::std::result::Result<<#page as crate::pages::ListPage>::Item, crate::Error>> + Send + Unpin + 'a {
            crate::pages::items(self, #op)
        }
    }
}

/// `ListCall` for a list operation's builder.
pub fn list_call_impl(builder: &syn::Ident, page: &Type) -> TokenStream {
    quote! {
        impl<'a> crate::pages::ListCall<'a> for #builder<'a> {
            type Page = #page;
            fn start_cursor(&self) -> ::std::option::Option<::std::string::String> {
                self.cursor.clone().ok().flatten()
            }
            fn fetch(
                self,
                cursor: ::std::option::Option<::std::string::String>,
            ) -> impl ::std::future::Future<Output = ::std::result::Result<ResponseValue<#page>, crate::Error>> + Send + 'a {
                let call = match cursor {
                    ::std::option::Option::Some(c) => self.cursor(c),
                    ::std::option::Option::None => self,
                };
                call.send()
            }
        }
    }
}
