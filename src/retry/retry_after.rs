//! Server-requested delays: `Retry-After` (seconds or HTTP date) and qURL's
//! `RateLimit-Reset` (a Unix timestamp). Garbage yields `None`, never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// Parse one `Retry-After` value relative to `now`. A date in the past is 0.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let now = SystemTime::now();
/// assert_eq!(qurl::retry::parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(qurl::retry::parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values; the policy's ceiling decides what to do.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parse `RateLimit-Reset`: qURL sends a Unix timestamp; small values are
/// read as seconds from now (the IETF draft's form).
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// assert_eq!(qurl::retry::parse_rate_limit_reset("1800000030", now), Some(Duration::from_secs(30)));
/// ```
pub fn parse_rate_limit_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = v.parse().unwrap_or(u64::MAX);
    // Anything before 2001-09-09 cannot be a reset timestamp.
    if n < 1_000_000_000 {
        return Some(Duration::from_secs(n));
    }
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Some(Duration::from_secs(n.saturating_sub(now_secs)))
}

/// Where a delay came from, for the attempt event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DelaySource {
    RetryAfter,
    RateLimitReset,
}

impl DelaySource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DelaySource::RetryAfter => "retry-after",
            DelaySource::RateLimitReset => "ratelimit-reset",
        }
    }
}

/// The delay the server asked for: the first valid `Retry-After`, else
/// `RateLimit-Reset`.
pub(crate) fn server_delay(headers: &HeaderMap) -> Option<(Duration, DelaySource)> {
    let now = SystemTime::now();
    let first = |name: &str, parse: fn(&str, SystemTime) -> Option<Duration>| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| parse(v, now))
    };
    first("retry-after", parse_retry_after)
        .map(|d| (d, DelaySource::RetryAfter))
        .or_else(|| {
            first("ratelimit-reset", parse_rate_limit_reset)
                .map(|d| (d, DelaySource::RateLimitReset))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_dates_and_garbage() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(120));
        let d = parse_retry_after(&later, now).unwrap();
        assert!(d <= Duration::from_secs(120) && d >= Duration::from_secs(119));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(120));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
    }

    use proptest::prelude::*;

    fn headers(retry_after: &[String], reset: &[String]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in retry_after {
            if let Ok(v) = v.parse() {
                h.append("retry-after", v);
            }
        }
        for v in reset {
            if let Ok(v) = v.parse() {
                h.append("ratelimit-reset", v);
            }
        }
        h
    }

    fn header_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            "[ -~]{0,40}",
            (0u64..4_000_000_000)
                .prop_map(|s| httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(s))),
            Just("99999999999999999999999999".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Whatever the server sends, parsing never panics, and what it
        /// asks for comes from one of its headers (the decision applies the
        /// ceiling; see `decision.rs`).
        #[test]
        fn never_panics(
            ra in proptest::collection::vec(header_value(), 0..4),
            reset in proptest::collection::vec(header_value(), 0..3),
        ) {
            let now = SystemTime::now();
            for v in ra.iter().chain(&reset) {
                let _ = parse_retry_after(v, now);
                let _ = parse_rate_limit_reset(v, now);
            }
            if let Some((_, source)) = server_delay(&headers(&ra, &reset)) {
                let asked = match source {
                    DelaySource::RetryAfter => &ra,
                    DelaySource::RateLimitReset => &reset,
                };
                prop_assert!(!asked.is_empty());
            }
        }

        #[test]
        fn whole_seconds_are_exact(n in 0u64..u64::MAX) {
            prop_assert_eq!(parse_retry_after(&n.to_string(), SystemTime::now()), Some(Duration::from_secs(n)));
        }
    }

    #[test]
    fn the_first_valid_retry_after_wins_and_negative_is_ignored() {
        let h = headers(&["soon".into(), "-3".into(), "2".into(), "9".into()], &[]);
        assert_eq!(
            server_delay(&h),
            Some((Duration::from_secs(2), DelaySource::RetryAfter))
        );
        assert_eq!(server_delay(&headers(&["-3".into()], &[])), None);
        let h = headers(&["3600".into()], &[]);
        assert_eq!(
            server_delay(&h),
            Some((Duration::from_secs(3600), DelaySource::RetryAfter))
        );
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(50));
        assert_eq!(
            server_delay(&headers(&[past], &[])),
            Some((Duration::ZERO, DelaySource::RetryAfter))
        );
    }

    #[test]
    fn rate_limit_reset_is_a_timestamp() {
        let now = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        assert_eq!(
            parse_rate_limit_reset("2000000005", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_rate_limit_reset("1999999000", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_rate_limit_reset("30", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_rate_limit_reset("x", now), None);
        // 1,000,000,000 is the first value read as a timestamp (one in the
        // past here), 999,999,999 the last read as seconds.
        assert_eq!(
            parse_rate_limit_reset("1000000000", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_rate_limit_reset("999999999", now),
            Some(Duration::from_secs(999_999_999))
        );
    }
}
