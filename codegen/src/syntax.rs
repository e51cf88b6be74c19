//! Reading progenitor's output as syntax: the small questions every edit
//! asks of a type or a function.

use syn::{GenericArgument, ImplItemFn, PathArguments, ReturnType, Type, WherePredicate};

/// The last path segment of a type, e.g. `CreateQurlRequest` for
/// `super::CreateQurlRequest`.
pub fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `Some(T)` when `ty` is `Wrapper<T>` (matched on the last segment).
pub fn generic_arg<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    generic_args(ty, wrapper)?.into_iter().next()
}

/// The type arguments of `ty` when it is `Wrapper<..>`.
pub fn generic_args<'a>(ty: &'a Type, wrapper: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
    )
}

/// The target type of a setter: `X` in `where T: TryInto<X>`.
pub fn setter_target(f: &ImplItemFn) -> Option<Type> {
    let wc = f.sig.generics.where_clause.as_ref()?;
    wc.predicates.iter().find_map(|p| match p {
        WherePredicate::Type(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(tb) => {
                let seg = tb.path.segments.last()?;
                if seg.ident != "TryInto" {
                    return None;
                }
                match &seg.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                        GenericArgument::Type(t) => Some(t.clone()),
                        _ => None,
                    }),
                    _ => None,
                }
            }
            _ => None,
        }),
        _ => None,
    })
}

/// `ResponseValue<T>` out of `Result<ResponseValue<T>, Error<E>>`.
pub fn send_success_type(f: &ImplItemFn) -> Option<Type> {
    let ReturnType::Type(_, ty) = &f.sig.output else {
        return None;
    };
    generic_arg(ty, "Result").cloned()
}

/// A Rust integer type (`i64`, `u32`, ...).
pub fn is_integer(ty: &Type) -> bool {
    matches!(
        last_ident(ty).as_deref(),
        Some("i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "isize" | "usize")
    )
}

/// progenitor's name for a setter of spec field or parameter `name`
/// (lower case, `-`/`.` as `_`, and `_` appended to a Rust keyword).
pub fn setter_name(name: &str) -> String {
    let name = name.to_ascii_lowercase().replace(['-', '.'], "_");
    match syn::parse_str::<syn::Ident>(&name) {
        Ok(_) => name,
        Err(_) => format!("{name}_"),
    }
}
