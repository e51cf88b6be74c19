//! Where a delivery may go: plain `http://` to a loopback address, decided
//! from the URL alone (no DNS), before any connection is made.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::http::Uri;

/// A checked destination: the socket to connect to, and what to send as
/// `Host` and request target.
///
/// ```
/// let target = qurl_sandbox::delivery::loopback_target("http://localhost:8080/in").unwrap();
/// assert_eq!((target.authority.as_str(), target.path_and_query.as_str()), ("localhost:8080", "/in"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The loopback socket address; the only address ever connected to.
    pub addr: SocketAddr,
    /// `Host` header value (host and port as written in the URL).
    pub authority: String,
    /// Path and query of the URL (`/` when empty).
    pub path_and_query: String,
}

/// Why a webhook URL is not delivered to. The sandbox never sends traffic
/// off the machine.
///
/// ```
/// use qurl_sandbox::delivery::{TargetError, loopback_target};
/// assert_eq!(loopback_target("https://127.0.0.1/"), Err(TargetError::NotHttp("https".into())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL with a host.
    Unparsable,
    /// Not `http` (TLS is not spoken to a loopback receiver).
    NotHttp(String),
    /// The host is a name other than `localhost`, or an address that is not loopback.
    NotLoopback(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unparsable => write!(f, "not delivered: the webhook URL does not parse"),
            Self::NotHttp(scheme) => write!(
                f,
                "not delivered: the sandbox delivers over http:// to loopback only, not {scheme}://"
            ),
            Self::NotLoopback(host) => write!(
                f,
                "not delivered: {host:?} is not a loopback address; the sandbox only delivers \
                 to 127.0.0.0/8, [::1] or localhost"
            ),
        }
    }
}

impl std::error::Error for TargetError {}

/// Checks `url` and returns where to connect. Names other than `localhost`
/// are refused rather than resolved, so DNS can never point a delivery
/// elsewhere.
///
/// ```
/// use qurl_sandbox::delivery::loopback_target;
///
/// let target = loopback_target("http://127.0.0.1:9000/hooks?x=1").unwrap();
/// assert_eq!(target.addr.to_string(), "127.0.0.1:9000");
/// assert_eq!(target.path_and_query, "/hooks?x=1");
/// assert!(loopback_target("http://example.com/hooks").is_err());
/// ```
pub fn loopback_target(url: &str) -> Result<Target, TargetError> {
    let uri: Uri = url.parse().map_err(|_| TargetError::Unparsable)?;
    let scheme = uri.scheme_str().ok_or(TargetError::Unparsable)?;
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(TargetError::NotHttp(scheme.to_owned()));
    }
    let host = uri.host().ok_or(TargetError::Unparsable)?;
    let ip = loopback_ip(host).ok_or_else(|| TargetError::NotLoopback(host.to_owned()))?;
    let port = uri.port_u16().unwrap_or(80);
    let authority = match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let path_and_query = uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    Ok(Target {
        addr: SocketAddr::new(ip, port),
        authority,
        path_and_query,
    })
}

fn loopback_ip(host: &str) -> Option<IpAddr> {
    if host.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = literal.parse().ok()?;
    let loopback = match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    loopback.then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_accepted() {
        for (url, addr, path) in [
            ("http://127.0.0.1:8080/hook", "127.0.0.1:8080", "/hook"),
            ("http://127.9.8.7/", "127.9.8.7:80", "/"),
            ("http://localhost:3000", "127.0.0.1:3000", "/"),
            ("HTTP://LOCALHOST:3000/a?b=c", "127.0.0.1:3000", "/a?b=c"),
            ("http://[::1]:9000/x", "[::1]:9000", "/x"),
            (
                "http://[::ffff:127.0.0.1]:9000/x",
                "[::ffff:127.0.0.1]:9000",
                "/x",
            ),
        ] {
            let target = loopback_target(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(
                (
                    target.addr.to_string().as_str(),
                    target.path_and_query.as_str()
                ),
                (addr, path)
            );
        }
    }

    #[test]
    fn everything_else_is_refused_without_resolving() {
        for url in [
            "http://example.com/hook",
            "http://localhost.example.com/hook",
            "http://10.0.0.1/hook",
            "http://0.0.0.0:8080/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[2001:db8::1]/hook",
            "http://[::ffff:10.0.0.1]/hook",
            "http://2130706433/hook",
            "http://user@example.com/hook",
        ] {
            assert!(
                matches!(loopback_target(url), Err(TargetError::NotLoopback(_))),
                "{url}"
            );
        }
        assert_eq!(
            loopback_target("https://127.0.0.1/hook"),
            Err(TargetError::NotHttp("https".into()))
        );
        for url in ["", "not a url", "/relative/only", "ftp://"] {
            assert!(loopback_target(url).is_err(), "{url}");
        }
    }
}
