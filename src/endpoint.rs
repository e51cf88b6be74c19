//! Where a call goes: the client's base URL, parsed once, and each
//! operation's URL made from it.

use reqwest::Url;

use crate::generated::Client;

/// The base URL, parsed once: each request's URL is a copy with the
/// operation's path set, which spares parsing the whole URL (host included)
/// on every call.
#[derive(Debug)]
pub(crate) struct Endpoint {
    url: Url,
    /// The base's own path (`/stem`, or empty), which every path extends.
    stem: String,
}

impl Endpoint {
    pub(crate) fn new(base: &str) -> Result<Endpoint, url::ParseError> {
        let url = Url::parse(base)?;
        let stem = url.path().trim_end_matches('/').to_owned();
        Ok(Endpoint { url, stem })
    }

    /// The URL of `path` (`/v1/qurls/q_1`, its parameters already encoded),
    /// as `format!("{base}{path}")` would parse.
    pub(crate) fn url(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        if self.stem.is_empty() {
            url.set_path(path);
        } else {
            url.set_path(&format!("{}{path}", self.stem));
        }
        url
    }
}

/// The URL of an operation's `path` on `client`, where the generated `send`
/// starts its request (see `codegen/src/send.rs`).
pub(crate) fn endpoint(client: &Client, path: &str) -> Url {
    client.inner.base.url(path)
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    /// The URL the generated `send` builds is the one `format!("{base}{path}")`
    /// parses to, whatever the base's stem and the path's characters.
    #[test]
    fn an_endpoint_is_the_base_and_the_path_parsed_together() {
        let bases = [
            "https://api.layerv.ai",
            "http://127.0.0.1:8080",
            "https://example.com/stem",
            "https://example.com/a/b",
            "http://[::1]:9/x",
        ];
        let paths = [
            "/v1/qurls",
            "/v1/qurls/r_1%2Fq",
            "/v1/domains/%3F%23x/verify",
            "/v1/qurls/caf%C3%A9",
            "/v1/qurls/a b",
            "/v1/qurls/../x",
            "/",
        ];
        for base in bases {
            let endpoint = Endpoint::new(base).expect("a valid base");
            for path in paths {
                let expected = reqwest::Url::parse(&format!("{base}{path}")).expect("parses");
                assert_eq!(endpoint.url(path), expected, "{base} + {path}");
            }
        }
    }
}
