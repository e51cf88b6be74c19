//! How the rules interpreter reads a typed body: for each generated type,
//! an implementation of `qurl_rules::AsField` (and, for the body types the
//! rules table names, `qurl_rules::Object`: each field by its JSON name).
//! The client then checks a body's rules without converting it to JSON.
//!
//! A field is seen as JSON would see it after serde: `#[serde(rename)]`
//! gives its name, `skip_serializing_if` makes it absent, `None` is absent.

use proc_macro2::TokenStream;
use quote::quote;
use qurl_rules::SchemaRules;
use std::collections::BTreeSet;
use syn::{Fields, Item, ItemMod, ItemStruct, Type, parse_quote};

use crate::syntax::{generic_arg, last_ident};

/// The implementations for every struct and enum of progenitor's `types`.
pub fn impls(types: &ItemMod, table: &[SchemaRules]) -> Result<Vec<Item>, String> {
    let Some((_, items)) = types.content.as_ref() else {
        return Ok(Vec::new());
    };
    let local: BTreeSet<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Struct(s) => Some(s.ident.to_string()),
            Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for item in items {
        match item {
            Item::Struct(s) => out.extend(struct_impls(s, table, &local)?),
            Item::Enum(e) => out.push(enum_impl(e)),
            _ => {}
        }
    }
    Ok(out)
}

fn struct_impls(
    s: &ItemStruct,
    table: &[SchemaRules],
    local: &BTreeSet<String>,
) -> Result<Vec<Item>, String> {
    let ident = &s.ident;
    let name = ident.to_string();
    match &s.fields {
        // A newtype (a constrained string) reads as what it wraps.
        Fields::Unnamed(f) if f.unnamed.len() == 1 => {
            let view = view(&f.unnamed[0].ty, quote!(&self.0), local);
            Ok(vec![parse_quote! {
                impl ::qurl_rules::AsField for #ident {
                    fn as_field(&self) -> ::qurl_rules::Field<'_> { #view }
                }
            }])
        }
        Fields::Named(fields)
            if table
                .iter()
                .any(|t| crate::rules::same_name(&t.schema, &name)) =>
        {
            let mut arms = Vec::new();
            let mut views = Vec::new();
            for field in &fields.named {
                let attrs = SerdeField::read(&field.attrs);
                if attrs.flatten {
                    return Err(format!(
                        "`{name}` has a flattened field, which the rules cannot read by name"
                    ));
                }
                let Some(member) = &field.ident else { continue };
                let json = attrs
                    .rename
                    .unwrap_or_else(|| member.to_string().trim_start_matches("r#").to_owned());
                let mut v = view(&field.ty, quote!(&self.#member), local);
                if let Some(skip) = attrs.skip_if {
                    v = quote!(if #skip(&self.#member) { ::qurl_rules::Field::Absent } else { #v });
                }
                arms.push(quote!(#json => #v));
                views.push(v);
            }
            Ok(vec![
                parse_quote! {
                    impl ::qurl_rules::Object for #ident {
                        fn get(&self, name: &str) -> ::qurl_rules::Field<'_> {
                            match name {
                                #(#arms,)*
                                _ => ::qurl_rules::Field::Absent,
                            }
                        }
                        fn set_count(&self) -> usize {
                            0 #(+ usize::from((#views).is_present()))*
                        }
                    }
                },
                parse_quote! {
                    impl ::qurl_rules::AsField for #ident {
                        fn as_field(&self) -> ::qurl_rules::Field<'_> {
                            ::qurl_rules::Field::Object(self)
                        }
                    }
                },
            ])
        }
        // No rules look inside it: present is all there is to know.
        _ => Ok(vec![parse_quote! {
            impl ::qurl_rules::AsField for #ident {
                fn as_field(&self) -> ::qurl_rules::Field<'_> { ::qurl_rules::Field::Other }
            }
        }]),
    }
}

/// A string enum reads as its JSON value; any other enum as present.
fn enum_impl(e: &syn::ItemEnum) -> Item {
    let ident = &e.ident;
    let unit = e.variants.iter().all(|v| matches!(v.fields, Fields::Unit));
    let body = if unit && !e.variants.is_empty() {
        let arms = e.variants.iter().map(|v| {
            let variant = &v.ident;
            let json = SerdeField::read(&v.attrs)
                .rename
                .unwrap_or_else(|| variant.to_string());
            quote!(Self::#variant => #json)
        });
        quote!(::qurl_rules::Field::Str(match self { #(#arms),* }))
    } else {
        quote!(::qurl_rules::Field::Other)
    };
    parse_quote! {
        impl ::qurl_rules::AsField for #ident {
            fn as_field(&self) -> ::qurl_rules::Field<'_> { #body }
        }
    }
}

/// The view of a value of type `ty` reached by `access` (a reference).
fn view(ty: &Type, access: TokenStream, local: &BTreeSet<String>) -> TokenStream {
    if readable(ty, local) {
        return quote!(::qurl_rules::AsField::as_field(#access));
    }
    if generic_arg(ty, "Option").is_some() {
        return quote! {
            match #access {
                ::std::option::Option::Some(_) => ::qurl_rules::Field::Other,
                ::std::option::Option::None => ::qurl_rules::Field::Absent,
            }
        };
    }
    quote!(::qurl_rules::Field::Other)
}

/// `qurl_rules::AsField` is implemented for `ty`: a leaf the rules crate
/// knows, a generated type, or an option or list of those.
fn readable(ty: &Type, local: &BTreeSet<String>) -> bool {
    for wrapper in ["Option", "Vec"] {
        if let Some(inner) = generic_arg(ty, wrapper) {
            return readable(inner, local);
        }
    }
    let Some(name) = last_ident(ty) else {
        return false;
    };
    const LEAVES: [&str; 15] = [
        "String", "bool", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64",
        "usize", "Value", "Map",
    ];
    LEAVES.contains(&name.as_str()) || local.contains(&name)
}

/// The `#[serde(..)]` settings that change how a field reads as JSON.
#[derive(Default)]
struct SerdeField {
    rename: Option<String>,
    skip_if: Option<syn::Path>,
    flatten: bool,
}

impl SerdeField {
    fn read(attrs: &[syn::Attribute]) -> Self {
        let mut out = SerdeField::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    out.rename = Some(meta.value()?.parse::<syn::LitStr>()?.value());
                } else if meta.path.is_ident("skip_serializing_if") {
                    let path = meta.value()?.parse::<syn::LitStr>()?;
                    // `None` already reads as absent.
                    if !path.value().ends_with("Option::is_none") {
                        out.skip_if = Some(path.parse()?);
                    }
                } else if meta.path.is_ident("flatten") {
                    out.flatten = true;
                } else if meta.input.peek(syn::Token![=]) {
                    // `default = "..."` and the like: read and ignore.
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
        }
        out
    }
}
