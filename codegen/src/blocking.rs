//! Derives, from progenitor's output, the blocking facade and the type names
//! of the operations manifest. Reading the generated code (rather than the
//! spec) keeps the facade's setters identical to the async builders'.

use std::collections::BTreeMap;

use quote::{ToTokens, format_ident, quote};
use syn::{FnArg, ImplItem, Item, ItemImpl, ItemMod, Pat, ReturnType, Type};

use crate::manifest::Operation;

/// Module paths the facade uses, relative to the crate that includes it.
const GENERATED: &str = "crate::generated";

fn top_builder_mod(file: &syn::File) -> Option<&ItemMod> {
    file.items.iter().find_map(|i| match i {
        Item::Mod(m) if m.ident == "builder" => Some(m),
        _ => None,
    })
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        other => other.to_token_stream().to_string(),
    }
}

/// `impl Client { pub fn post_qurls(&self) -> builder::PostQurls<'_> }`:
/// builder struct name -> method name.
fn client_methods(file: &syn::File) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || type_name(&imp.self_ty) != "Client" {
            continue;
        }
        for it in &imp.items {
            let ImplItem::Fn(f) = it else { continue };
            if let ReturnType::Type(_, ty) = &f.sig.output
                && ty.to_token_stream().to_string().starts_with("builder ::")
            {
                out.insert(type_name(ty), f.sig.ident.to_string());
            }
        }
    }
    out
}

fn builder_impls(file: &syn::File) -> Vec<&ItemImpl> {
    let Some((_, items)) = top_builder_mod(file).and_then(|m| m.content.as_ref()) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| match i {
            Item::Impl(imp) if imp.trait_.is_none() => Some(imp),
            _ => None,
        })
        .collect()
}

/// The success type `T` of `send`'s `Result<ResponseValue<T>, _>`.
fn response_type(imp: &ItemImpl) -> Option<String> {
    let send = imp.items.iter().find_map(|i| match i {
        ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
        _ => None,
    })?;
    let value = crate::syntax::send_success_type(send)?;
    let inner = crate::syntax::generic_arg(&value, "ResponseValue")?;
    Some(match crate::syntax::last_ident(inner) {
        Some(name) => name,
        None => inner.to_token_stream().to_string(),
    })
}

/// The type `body` converts into: `T` in `where V: TryInto<T>`.
fn body_type(imp: &ItemImpl) -> Option<String> {
    imp.items.iter().find_map(|i| match i {
        ImplItem::Fn(f) if f.sig.ident == "body" => {
            crate::syntax::last_ident(&crate::syntax::setter_target(f)?)
        }
        _ => None,
    })
}

/// The blocking form of a list builder's `by_page()` / `by_item()`: an
/// iterator that runs one page request at a time on the client's runtime.
fn list_iterator(
    ident: &syn::Ident,
    builder: &syn::Ident,
    docs: &[&syn::Attribute],
    generated: &syn::Path,
) -> proc_macro2::TokenStream {
    let page = quote!(<#generated::builder::#builder<'a> as crate::pages::ListCall<'a>>::Page);
    let (iter, make) = if ident == "by_page" {
        (
            quote!(crate::blocking::PageIter<'a, #page>),
            quote!(crate::blocking::PageIter::new(
                self.runtime,
                self.inner.by_page()
            )),
        )
    } else {
        (
            quote!(crate::blocking::ItemIter<'a, #page>),
            quote!(crate::blocking::ItemIter::new(
                crate::blocking::PageIter::new(self.runtime, self.inner.by_page())
            )),
        )
    };
    quote! {
        #(#docs)*
        ///
        /// Blocking: an iterator; each page is fetched when the iteration reaches it.
        pub fn #ident(self) -> #iter {
            #make
        }
    }
}

/// Fill in body, response and error type names from the generated builders.
pub fn fill_type_names(file: &syn::File, ops: &mut [Operation]) {
    let methods = client_methods(file);
    let mut by_method: BTreeMap<String, &ItemImpl> = BTreeMap::new();
    for imp in builder_impls(file) {
        if let Some(m) = methods.get(&type_name(&imp.self_ty)) {
            by_method.insert(m.clone(), imp);
        }
    }
    for op in ops.iter_mut() {
        if let Some(imp) = by_method.get(op.method.as_ref()) {
            if let Some(ok) = response_type(imp) {
                op.response_type = ok.into();
            }
            op.body_type = body_type(imp).map(Into::into);
        }
    }
}

/// Methods of the generated `Client` (for the "nothing missing, nothing extra" check).
pub fn generated_method_names(file: &syn::File) -> Vec<String> {
    client_methods(file).into_values().collect()
}

/// The blocking facade: one wrapper builder per async builder, forwarding
/// every setter and running `send` on the blocking client's runtime.
pub fn facade(file: &syn::File, ops: &[Operation]) -> Result<String, String> {
    let generated: syn::Path = syn::parse_str(GENERATED).map_err(|e| e.to_string())?;
    let methods = client_methods(file);
    let known: std::collections::BTreeSet<&str> = ops.iter().map(|o| o.method.as_ref()).collect();
    let Some((_, items)) = top_builder_mod(file).and_then(|m| m.content.as_ref()) else {
        return Err("progenitor's output has no `builder` module".into());
    };
    // Indexed once: builder impls by type, and the async client's methods by name.
    let impls: BTreeMap<String, &ItemImpl> = builder_impls(file)
        .into_iter()
        .map(|i| (type_name(&i.self_ty), i))
        .collect();
    let async_fns: BTreeMap<String, &syn::ImplItemFn> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Impl(imp) if imp.trait_.is_none() && type_name(&imp.self_ty) == "Client" => {
                Some(imp)
            }
            _ => None,
        })
        .flat_map(|imp| imp.items.iter())
        .filter_map(|i| match i {
            ImplItem::Fn(f) => Some((f.sig.ident.to_string(), f)),
            _ => None,
        })
        .collect();
    let mut structs = Vec::new();
    let mut client_fns = Vec::new();
    let mut method_names: Vec<String> = Vec::new();
    for item in items {
        let Item::Struct(s) = item else { continue };
        let name = &s.ident;
        let Some(method) = methods.get(&name.to_string()) else {
            continue;
        };
        if !known.contains(method.as_str()) {
            return Err(format!(
                "generated method `{method}` is not in the operations manifest"
            ));
        }
        let method_ident = format_ident!("{}", method);
        let derives: Vec<_> = s
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("derive"))
            .collect();
        let imp = impls
            .get(&name.to_string())
            .ok_or_else(|| format!("no impl for builder {name}"))?;
        let mut fns = Vec::new();
        for it in &imp.items {
            let ImplItem::Fn(f) = it else { continue };
            let ident = &f.sig.ident;
            if ident == "new" {
                continue;
            }
            let docs: Vec<_> = f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .collect();
            let output = &f.sig.output;
            if ident == "send" {
                fns.push(quote! {
                    #(#docs)*
                    /// Blocks the calling thread until the call, retries included, is done.
                    pub fn send(self) #output {
                        self.runtime.run(self.inner.send())
                    }
                });
                continue;
            }
            if ident == "by_page" || ident == "by_item" {
                fns.push(list_iterator(ident, name, &docs, &generated));
                continue;
            }
            if f.sig.asyncness.is_some() || !matches!(f.vis, syn::Visibility::Public(_)) {
                // Streams and other async helpers have no blocking form yet.
                continue;
            }
            let generics = &f.sig.generics;
            let where_clause = &f.sig.generics.where_clause;
            let args: Vec<_> = f
                .sig
                .inputs
                .iter()
                .filter_map(|a| match a {
                    FnArg::Typed(t) => Some(t),
                    FnArg::Receiver(_) => None,
                })
                .collect();
            let arg_names: Vec<_> = args
                .iter()
                .filter_map(|t| match &*t.pat {
                    Pat::Ident(p) => Some(p.ident.clone()),
                    _ => None,
                })
                .collect();
            let arg_decls: Vec<_> = args
                .iter()
                .zip(&arg_names)
                .map(|(t, n)| {
                    let ty = &t.ty;
                    quote! { #n: #ty }
                })
                .collect();
            fns.push(quote! {
                #(#docs)*
                pub fn #ident #generics (self, #(#arg_decls),*) -> Self #where_clause {
                    Self { inner: self.inner.#ident(#(#arg_names),*), runtime: self.runtime }
                }
            });
        }
        let doc = format!(
            "Blocking builder for [`Client::{method}`](crate::blocking::Client::{method})."
        );
        structs.push(quote! {
            #[doc = #doc]
            #[must_use = "a builder does nothing until `send` is called"]
            #(#derives)*
            pub struct #name<'a> {
                pub(crate) inner: #generated::builder::#name<'a>,
                pub(crate) runtime: &'a crate::blocking::Runtime,
            }
            impl<'a> #name<'a> {
                #(#fns)*
            }
        });
        let client_docs: Vec<_> = async_fns
            .get(method)
            .into_iter()
            .flat_map(|f| f.attrs.iter().filter(|a| a.path().is_ident("doc")))
            .collect();
        method_names.push(method.clone());
        client_fns.push(quote! {
            #(#client_docs)*
            pub fn #method_ident(&self) -> builder::#name<'_> {
                builder::#name { inner: self.client.#method_ident(), runtime: &self.runtime }
            }
        });
    }
    let tokens = quote! {
        /// Blocking builders, one per operation, mirroring the async ones.
        pub mod builder {
            #[allow(unused_imports)]
            use #generated::{types, ByteStream, ResponseValue};
            #(#structs)*
        }
        impl crate::blocking::Client {
            #(#client_fns)*
        }
        /// Methods the blocking client has (checked against the async client in tests).
        pub const METHODS: &[&str] = &[#(#method_names),*];
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("blocking facade does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}
