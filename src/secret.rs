//! The API key: sent as a sensitive header, never shown in full.

use std::fmt;

use reqwest::header::HeaderValue;

/// A bearer token that prints as `lv_live_…abcd`.
#[derive(Clone)]
pub struct ApiKey {
    header: HeaderValue,
    masked: String,
}

impl ApiKey {
    /// Checks the key and builds its `Authorization` header.
    pub(crate) fn parse(key: &str) -> Result<Self, crate::BuildError> {
        if key.trim().is_empty() {
            return Err(crate::BuildError::InvalidApiKey(
                "the API key is empty or only whitespace",
            ));
        }
        if key.bytes().any(|b| b.is_ascii_control() || !b.is_ascii()) {
            return Err(crate::BuildError::InvalidApiKey(
                "the API key contains a control character (CR, LF, tab, ...) or non-ASCII; copy it again without them",
            ));
        }
        if key.trim() != key {
            return Err(crate::BuildError::InvalidApiKey(
                "the API key has leading or trailing spaces; trim it",
            ));
        }
        let mut header = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            crate::BuildError::InvalidApiKey("the API key is not a valid header value")
        })?;
        header.set_sensitive(true);
        Ok(Self {
            header,
            masked: mask(key),
        })
    }

    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }
}

/// Keep the non-secret prefix (`lv_live_`) and the last four characters.
fn mask(key: &str) -> String {
    let prefix_len = if key.starts_with("lv_live_") || key.starts_with("lv_test_") {
        8
    } else {
        0
    };
    let tail: String = if key.len() >= 16 {
        key[key.len() - 4..].to_owned()
    } else {
        String::new()
    };
    format!("{}…{}", &key[..prefix_len], tail)
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_prefix_and_tail() {
        let k = ApiKey::parse("lv_live_abcdefghijklmnop1234").unwrap();
        assert_eq!(format!("{k:?}"), "ApiKey(lv_live_…1234)");
        let short = ApiKey::parse("lv_x").unwrap();
        assert_eq!(format!("{short:?}"), "ApiKey(…)");
        assert!(ApiKey::parse("  ").is_err());
        assert!(ApiKey::parse("lv_a\r\nX: y").is_err());
    }
}
