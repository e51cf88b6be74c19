//! The TLS provider, chosen by a feature: `tls-aws-lc` (rustls with
//! aws-lc-rs, the default), `tls-ring` (rustls with ring) or `native-tls`.
//! Two things depend on it: `tls-ring` must give rustls its provider before
//! reqwest builds a client (reqwest would panic without one), and a refused
//! handshake (an untrusted or expired certificate, a wrong host name) is
//! final: no retry makes a certificate valid.

/// With `tls-ring`, make ring the process's rustls provider unless the
/// application already chose one.
pub(crate) fn install_provider() {
    #[cfg(feature = "tls-ring")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Whether `err` is a TLS handshake the provider refused (as opposed to a
/// connection that failed or was cut, which a retry may fix).
pub(crate) fn is_handshake_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    if refused_by_provider(err) {
        return true;
    }
    // An `io::Error` hides the error it wraps from `source()` (and the
    // connector wraps one `io::Error` in another).
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        && is_handshake_refusal(inner)
    {
        return true;
    }
    err.source().is_some_and(is_handshake_refusal)
}

#[allow(unused_variables)]
fn refused_by_provider(e: &(dyn std::error::Error + 'static)) -> bool {
    #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    #[cfg(feature = "native-tls")]
    if e.downcast_ref::<native_tls::Error>().is_some() {
        return true;
    }
    false
}
