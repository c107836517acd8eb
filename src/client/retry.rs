//! Which failures are worth another try, and how long to wait before it.
//!
//! Listing is a GET, so asking again is always safe. ureq 3 has no retries of
//! its own; this module is the whole policy.
//!
//! Waits are deadlines, counted from when the failed answer arrived, and the
//! client has one [`Backoff`] for all its threads: a 429's `Retry-After` holds
//! back every request of the client and its clones (prefetching workers
//! included) until it has passed, and a page that failed on a worker is
//! retried on that same deadline rather than on a new wait.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::client::builder::Sleeper;
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
    /// When the answer (or the failure) came: the wait before a retry counts
    /// from here, wherever the failure waited to be seen.
    pub at: Instant,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            retry_after: None,
            at: Instant::now(),
        }
    }
}

/// The client's one back-off, shared by its clones and their threads.
pub(crate) struct Backoff {
    sleeper: Sleeper,
    /// No request starts before this: the deadline of the latest `Retry-After`,
    /// until a wait has served it.
    until: Mutex<Option<Instant>>,
}

/// Waits longer than this are cut to it, so that adding one to an `Instant`
/// cannot overflow.
const LONGEST_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// `wait` after `at`.
fn after(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait.min(LONGEST_WAIT)).unwrap_or(at)
}

impl Backoff {
    pub(crate) fn new(sleeper: Sleeper) -> Self {
        Backoff {
            sleeper,
            until: Mutex::new(None),
        }
    }

    fn until(&self) -> MutexGuard<'_, Option<Instant>> {
        // The lock is never held while sleeping or requesting, so a panic
        // elsewhere cannot leave the deadline half-written.
        self.until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Holds back every request of the client until `wait` after `at`, the
    /// arrival of a 429 whose `Retry-After` asked for it.
    pub(crate) fn defer(&self, at: Instant, wait: Duration) {
        let mut until = self.until();
        *until = (*until).max(Some(after(at, wait)));
    }

    /// Waits out the client's deadline, if one is set: before every request.
    pub(crate) fn wait(&self) {
        self.wait_until(None);
    }

    /// Sleeps, once, until both `own` and the client's deadline have passed.
    ///
    /// Once the sleeper returns, the deadline it was asked to wait for is
    /// served, and cleared, even if the sleeper returned early (one that
    /// records waits in a test, or shortens them): the next request or retry
    /// does not sleep for it again. A later deadline, set meanwhile by another
    /// 429, stays.
    pub(crate) fn wait_until(&self, own: Option<Instant>) {
        let target = (*self.until()).max(own);
        let Some(target) = target else {
            return;
        };
        let remaining = target.saturating_duration_since(Instant::now());
        if !remaining.is_zero() {
            (self.sleeper)(remaining);
        }
        let mut until = self.until();
        if *until <= Some(target) {
            *until = None;
        }
    }
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good, or retries run out,
    /// waiting on `backoff` between attempts.
    ///
    /// `earlier` is the failure of an attempt already made elsewhere (a
    /// prefetching thread); it counts as the first attempt.
    pub(crate) fn run<T>(
        &self,
        page: u32,
        backoff: &Backoff,
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
            // The caller, not a sleeping build, should decide about long waits.
            if failure.retry_after > Some(self.max_retry_after) {
                return Err(failure.error);
            }
            if attempts > self.max_retries {
                return Err(match attempts {
                    1 => failure.error,
                    _ => Error::RetriesExhausted {
                        attempts,
                        last: Box::new(failure.error),
                    },
                });
            }
            let retry = attempts - 1;
            // A `Retry-After` honoured here became the client's deadline when
            // its answer arrived (`Backoff::defer`), which `wait_until` waits
            // for too: the retry waits for it, on the same deadline as every
            // other thread, and at least half the ceiling, so that
            // `Retry-After: 0` (or a date in the past) is no tight loop.
            let own = match failure.retry_after {
                Some(_) => self.ceiling(retry) / 2,
                None => self.backoff(retry),
            };
            let own = after(failure.at, own);
            log::warn!(
                "page {page}: attempt {attempts} failed ({}); retrying in {} ms at the earliest",
                failure.error,
                own.saturating_duration_since(Instant::now()).as_millis()
            );
            backoff.wait_until(Some(own));
        }
    }

    /// The backoff ceiling of retry number `retry` (from 0): the base delay
    /// doubled for each retry before it, up to `max_delay`.
    fn ceiling(&self, retry: u32) -> Duration {
        self.base_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay)
    }

    /// "Equal jitter": a uniform wait in `[ceiling / 2, ceiling]`, random
    /// enough to spread clients apart, and never near 0.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        let floor = ceiling / 2;
        let spread = u64::try_from((ceiling - floor).as_nanos()).unwrap_or(u64::MAX);
        // Each RandomState is freshly keyed, which is randomness enough for jitter.
        let jitter = RandomState::new().hash_one(retry) % spread.saturating_add(1);
        floor + Duration::from_nanos(jitter)
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
    fn refuses_each_field_out_of_its_range_alone() {
        // Each value breaks one rule and keeps the others.
        for bad in [
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Nov 1994 08:60:37 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
        // The largest value of each field is still a date.
        assert_eq!(
            parse_http_date("Sun, 31 Dec 1995 23:59:59 GMT"),
            Some(820_454_399)
        );
    }

    #[test]
    fn two_digit_years_are_read_as_rfc_9110_says() {
        // Below 70: this century; from 70: the last one (RFC 850 dates).
        assert_eq!(
            parse_http_date("Tuesday, 29-Feb-28 23:59:59 GMT"),
            Some(1_835_481_599)
        );
        assert_eq!(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Saturday, 31-Dec-69 23:59:59 GMT"),
            Some(3_155_759_999)
        );
        assert_eq!(
            parse_http_date("Friday, 31-Dec-99 23:59:59 GMT"),
            Some(946_684_799)
        );
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

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn backoff_stays_between_half_its_doubling_ceiling_and_the_ceiling() {
        let policy = policy();
        for retry in 0..10 {
            let ceiling = Duration::from_millis((100u64 << retry).min(1000));
            for _ in 0..50 {
                let wait = policy.backoff(retry);
                assert!(wait >= ceiling / 2 && wait <= ceiling, "{retry}: {wait:?}");
            }
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 1, "jitter must vary the delay");
        let none = RetryPolicy {
            base_delay: Duration::ZERO,
            ..policy
        };
        assert_eq!(none.backoff(2), Duration::ZERO);
        let huge = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..policy
        };
        assert!(huge.backoff(40) >= Duration::MAX / 2);
    }

    /// A backoff whose sleeper records what it is asked instead of sleeping.
    fn recorded() -> (Backoff, std::sync::Arc<Mutex<Vec<Duration>>>) {
        let slept = std::sync::Arc::new(Mutex::new(Vec::new()));
        let log = slept.clone();
        let sleeper: Sleeper = std::sync::Arc::new(move |wait| log.lock().unwrap().push(wait));
        (Backoff::new(sleeper), slept)
    }

    #[test]
    fn a_deadline_is_slept_once_whoever_waits_for_it() {
        let (backoff, slept) = recorded();
        let at = Instant::now();
        backoff.defer(at, Duration::from_secs(2));
        // An earlier deadline does not shorten it.
        backoff.defer(at, Duration::from_secs(1));
        backoff.wait();
        backoff.wait();
        backoff.wait_until(Some(at));
        let slept = slept.lock().unwrap().clone();
        assert_eq!(slept.len(), 1, "{slept:?}");
        assert!(slept[0] <= Duration::from_secs(2) && slept[0] > Duration::from_secs(1));
    }

    #[test]
    fn a_retry_waits_for_the_later_of_its_own_wait_and_the_deadline_in_one_sleep() {
        let (backoff, slept) = recorded();
        let at = Instant::now();
        backoff.defer(at, Duration::from_secs(2));
        backoff.wait_until(Some(at + Duration::from_secs(3)));
        // The deadline was served by that sleep.
        backoff.wait();
        backoff.wait_until(Some(at + Duration::from_secs(1)));
        let slept = slept.lock().unwrap().clone();
        assert_eq!(slept.len(), 2, "{slept:?}");
        assert!(slept[0] > Duration::from_secs(2) && slept[0] <= Duration::from_secs(3));
        assert!(
            slept[1] <= Duration::from_secs(1),
            "its own wait, counted from `at`"
        );
    }

    #[test]
    fn a_deadline_set_during_a_wait_is_not_served_by_it() {
        let slept = std::sync::Arc::new(Mutex::new(Vec::new()));
        let backoff = std::sync::Arc::new_cyclic(|me: &std::sync::Weak<Backoff>| {
            let (me, log) = (me.clone(), slept.clone());
            let sleeper: Sleeper = std::sync::Arc::new(move |wait| {
                let mut log = log.lock().unwrap();
                log.push(wait);
                if log.len() == 1 {
                    // Another thread's 429 arrives while this one sleeps.
                    let backoff = me.upgrade().unwrap();
                    backoff.defer(Instant::now(), Duration::from_secs(5));
                }
            });
            Backoff::new(sleeper)
        });
        backoff.defer(Instant::now(), Duration::from_secs(1));
        backoff.wait();
        backoff.wait();
        let slept = slept.lock().unwrap().clone();
        assert_eq!(slept.len(), 2, "{slept:?}");
        assert!(slept[1] > Duration::from_secs(4), "{slept:?}");
    }

    #[test]
    fn a_wait_is_exact_up_to_a_century_and_cut_there() {
        let at = Instant::now();
        let decade = Duration::from_secs(10 * 365 * 24 * 60 * 60);
        assert_eq!(after(at, decade), at + decade);
        assert_eq!(after(at, Duration::MAX), at + LONGEST_WAIT);
    }
}
