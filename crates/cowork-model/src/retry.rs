//! When and how long to wait before trying a failed HTTP call again.

use std::time::Duration;

/// Retries for transient failures: exponential backoff with full jitter,
/// and the server's `retry-after` / `retry-after-ms` when it sends one.
///
/// ```
/// use std::time::Duration;
/// use cowork_model::RetryPolicy;
/// let fast = RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(5) };
/// assert!(fast.backoff(2, None) <= Duration::from_millis(2));
/// assert_eq!(fast.backoff(1, Some(Duration::from_secs(60))), Duration::from_millis(5));
/// assert!(RetryPolicy::is_retryable_status(529));
/// assert!(!RetryPolicy::is_retryable_status(401));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means never retry.
    pub max_attempts: u32,
    /// The ceiling of the first wait; it doubles on each further attempt.
    pub base_delay: Duration,
    /// No wait is longer than this, whatever the server asks.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that tries once and never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether an HTTP status is worth retrying: timeouts, conflicts, rate
    /// limits, server errors and Anthropic's 529 "overloaded".
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 408 | 409 | 429 | 500 | 502 | 503 | 504 | 529)
    }

    /// How long to wait after failed attempt number `attempt` (from 1).
    /// The server's `retry_after` wins when given; otherwise a random wait
    /// up to `base_delay * 2^(attempt-1)`. Both are capped at `max_delay`.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let exponent = attempt.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        // Full jitter: spreads out clients that failed together so they
        // do not come back together.
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// The wait a response asks for: `retry-after-ms` (Anthropic, OpenAI) or
/// `retry-after` in seconds. HTTP-date values are not honoured: model APIs
/// send seconds, and the backoff covers the rest.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    if let Some(ms) = number("retry-after-ms") {
        return Some(Duration::from_secs_f64(ms.min(1e9) / 1000.0));
    }
    number("retry-after").map(|secs| Duration::from_secs_f64(secs.min(1e6)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn backoff_stays_under_the_doubling_ceiling_and_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for _ in 0..200 {
            assert!(policy.backoff(1, None) <= Duration::from_millis(100));
            assert!(policy.backoff(3, None) <= Duration::from_millis(400));
            assert!(policy.backoff(40, None) <= Duration::from_millis(1000));
        }
        let spread: std::collections::HashSet<_> =
            (0..50).map(|_| policy.backoff(4, None)).collect();
        assert!(spread.len() > 1, "jitter must vary the wait");
    }

    #[test]
    fn the_servers_wait_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(600))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn retry_after_ms_is_preferred_to_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", HeaderValue::from_static("1500.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs_f64(1.5005)));
        let mut date = HeaderMap::new();
        date.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&date), None);
    }

    #[test]
    fn client_errors_are_never_retried() {
        for status in [400, 401, 403, 404, 413, 422] {
            assert!(!RetryPolicy::is_retryable_status(status), "{status}");
        }
        for status in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(RetryPolicy::is_retryable_status(status), "{status}");
        }
    }
}
