//! Which failures are worth another try, and how long to wait before it.
//!
//! Listing is a GET, so asking again is always safe. ureq 3 has no retries of
//! its own; this module is the whole policy.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Error;

/// How failed requests are retried. The defaults live in [`crate::ClientBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// The backoff ceiling of the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client sleeps through.
    pub max_retry_after: Duration,
}

/// A failed attempt, with the wait the server asked for, if any.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    pub retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good, or retries run out.
    ///
    /// `earlier` is the failure of an attempt already made elsewhere (a
    /// prefetching thread); it counts as the first attempt.
    pub(crate) fn run<T>(
        &self,
        page: u32,
        sleep: &dyn Fn(Duration),
        mut earlier: Option<Failure>,
        mut attempt: impl FnMut(u32) -> Result<T, Failure>,
    ) -> Result<T, Error> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let failure = match earlier.take() {
                Some(failure) => failure,
                None => match attempt(attempts) {
                    Ok(value) => return Ok(value),
                    Err(failure) => failure,
                },
            };
            if !failure.error.is_retryable() {
                return Err(failure.error);
            }
            let delay = match failure.retry_after {
                // The caller, not a sleeping build, should decide about long waits.
                Some(wait) if wait > self.max_retry_after => return Err(failure.error),
                Some(wait) => wait,
                None => self.backoff(attempts - 1),
            };
            if attempts > self.max_retries {
                return Err(match attempts {
                    1 => failure.error,
                    _ => Error::RetriesExhausted {
                        attempts,
                        last: Box::new(failure.error),
                    },
                });
            }
            log::warn!(
                "page {page}: attempt {attempts} failed ({}); retrying in {} ms",
                failure.error,
                delay.as_millis()
            );
            sleep(delay);
        }
    }

    /// "Full jitter": a uniform wait in `[0, min(max_delay, base_delay * 2^retry)]`.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        match nanos {
            0 => Duration::ZERO,
            // Each RandomState is freshly keyed, which is randomness enough for jitter.
            _ => Duration::from_nanos(RandomState::new().hash_one(retry) % nanos),
        }
    }
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
///
/// A date in the past means "now". Anything else unreadable is `None`, and the
/// client falls back to its own backoff. The value comes from the server, so no
/// value may panic: dates are bounded to four-digit years, and every sum is checked.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = UNIX_EPOCH.checked_add(Duration::from_secs(parse_http_date(value)?))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// HTTP-dates have four-digit years; a larger one is not a date but an attack
/// on the arithmetic below.
const MAX_YEAR: u64 = 9999;

/// Seconds since the Unix epoch of an HTTP-date in any of its three forms:
/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and
/// `Sun Nov  6 08:49:37 1994`. In all three the day comes before the year.
fn parse_http_date(value: &str) -> Option<u64> {
    let (mut month, mut time) = (None, None);
    let mut numbers = Vec::with_capacity(2);
    for token in value.split([' ', ',', '-']).filter(|t| !t.is_empty()) {
        if let Some(m) = MONTHS.iter().position(|m| token.eq_ignore_ascii_case(m)) {
            month = Some(m as u64 + 1);
        } else if token.contains(':') {
            time = Some(token);
        } else if let Ok(n) = token.parse::<u64>() {
            if numbers.len() == 2 {
                return None;
            }
            numbers.push(n);
        } else if !token.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
    }
    let (month, time) = (month?, time?);
    let [day, year] = numbers[..] else {
        return None;
    };
    let year = match year {
        0..=69 => 2000 + year,
        70..=99 => 1900 + year,
        _ => year,
    };
    let mut hms = time.split(':').map(|n| n.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some()
        || !(1..=31).contains(&day)
        || !(1970..=MAX_YEAR).contains(&year)
        || h > 23
        || m > 59
        || s > 60
    {
        return None;
    }
    // Cannot overflow within MAX_YEAR; checked all the same, as this is server input.
    days_since_epoch(year, month, day)
        .checked_mul(86_400)?
        .checked_add(h * 3600 + m * 60 + s)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar, for years >= 1970
/// (Howard Hinnant's `days_from_civil`).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let (era, year_of_era) = (y / 400, y % 400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_the_three_http_date_forms() {
        // 784111777 is 1994-11-06T08:49:37Z, the example of RFC 9110.
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(form), Some(784_111_777), "{form}");
        }
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(1_835_481_599)
        );
    }

    #[test]
    fn refuses_malformed_dates() {
        for bad in [
            "",
            "soon",
            "Sun, 06 Nov 1994 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT+2",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn absurd_dates_and_numbers_are_unreadable_not_a_panic() {
        let now = SystemTime::now();
        for value in [
            "Sun, 06 Nov 300000000000 08:49:37 GMT",
            "Sun, 06 Nov 18446744073709551615 08:49:37 GMT",
            "Sun Nov  6 08:49:37 18446744073709551615",
            "Fri, 31 Dec 10000 23:59:59 GMT",
            "99999999999999999999",
            "Sun, 06 Nov 1994 99999999999999999999:00:00 GMT",
            "Sun, 06 06 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(value, now), None, "{value:?}");
        }
        // The largest readable values are delays, for the ceiling to judge.
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:60 GMT"),
            Some(LAST_DATE)
        );
    }

    /// 10000-01-01T00:00:00Z: no HTTP-date lies beyond it.
    const LAST_DATE: u64 = 253_402_300_800;

    proptest! {
        #[test]
        fn any_header_value_is_a_bounded_delay_or_unreadable(
            value in any::<String>(),
            now in 0..LAST_DATE * 2,
        ) {
            let now = UNIX_EPOCH + Duration::from_secs(now);
            if let Some(delay) = parse_retry_after(&value, now) {
                let seconds = value.trim().parse::<u64>().ok();
                prop_assert!(
                    seconds.map(Duration::from_secs) == Some(delay)
                        || delay <= Duration::from_secs(LAST_DATE),
                    "{value:?} -> {delay:?}"
                );
            }
        }

        #[test]
        fn any_date_shaped_value_is_a_bounded_delay_or_unreadable(
            form in 0..3usize,
            day in any::<u64>(),
            year in prop_oneof![0..100u64, 1900..12000u64, any::<u64>()],
            (h, m, s) in (0..100u64, 0..100u64, 0..100u64),
            month in proptest::sample::select(&MONTHS[..]),
        ) {
            let value = match form {
                0 => format!("Sun, {day:02} {month} {year} {h:02}:{m:02}:{s:02} GMT"),
                1 => format!("Sunday, {day:02}-{month}-{year} {h:02}:{m:02}:{s:02} GMT"),
                _ => format!("Sun {month} {day:2} {h:02}:{m:02}:{s:02} {year}"),
            };
            if let Some(delay) = parse_retry_after(&value, UNIX_EPOCH) {
                prop_assert!(delay <= Duration::from_secs(LAST_DATE), "{value:?}");
            }
        }
    }

    #[test]
    fn backoff_stays_under_its_doubling_ceiling() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(60),
        };
        for retry in 0..10 {
            let ceiling = Duration::from_millis((100u64 << retry).min(1000));
            for _ in 0..50 {
                assert!(policy.backoff(retry) <= ceiling);
            }
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 1, "jitter must vary the delay");
    }
}
