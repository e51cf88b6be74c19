//! The spec's shapes, generated at build time from `openapi.json` by
//! codegen's server profile (see `build.rs`). What the sandbox sends (answers,
//! their envelopes, webhook bodies) has closed enums, `nullable` fields always
//! sent, optional fields sent only when `Some`, ordered maps; `views` and
//! `envelopes` fill them from the records. What it reads (request bodies)
//! comes with the spec's defaults; the handlers read bodies into them once the
//! validator has accepted the JSON. Nothing here is written by hand but
//! [`Timestamp`], the one type the profile leaves to the server.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The generated types. Every schema an operation names is here, also those
/// the sandbox has no use for yet (a checkout's request, say), and typify's
/// conversions that nothing calls: hence `dead_code`.
#[allow(dead_code, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/shapes.rs"));
}

pub(crate) use generated::*;

/// A `date-time` as the API writes it: RFC 3339 in UTC, whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timestamp(DateTime<Utc>);

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

/// The generated types derive `Deserialize` too; the sandbox never reads its
/// own answers back, but a timestamp that does not parse is an error, not a panic.
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_whole_seconds_in_utc() {
        let t = Utc
            .timestamp_opt(1_790_000_000, 987_000_000)
            .single()
            .unwrap();
        let json = serde_json::to_string(&Timestamp::from(t)).unwrap();
        assert_eq!(json, "\"2026-09-21T14:13:20Z\"");
    }
}
