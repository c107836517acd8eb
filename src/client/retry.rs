//! When to retry and how long to wait: the doubling back-off with equal
//! jitter, `Retry-After` in seconds, and the one deadline a client and its
//! clones share.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::builder::{Config, Sleeper, LONGEST};

/// `at + wait`, with waits past a century taken as a century.
pub(crate) fn after(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait.min(LONGEST)).unwrap_or(at)
}

/// The wait before retry number `retry` (0 for the first): a random point in
/// the upper half of the doubling ceiling ("equal jitter"), never zero unless
/// the base delay is.
pub(crate) fn jittered(config: &Config, retry: u32) -> Duration {
    let ceiling = ceiling(config, retry);
    let floor = ceiling / 2;
    let spread = u64::try_from((ceiling - floor).as_nanos()).unwrap_or(u64::MAX);
    // Each RandomState is freshly keyed, which is randomness enough for jitter.
    let jitter = RandomState::new().hash_one(retry) % spread.saturating_add(1);
    floor + Duration::from_nanos(jitter)
}

/// The doubling ceiling of retry number `retry`.
pub(crate) fn ceiling(config: &Config, retry: u32) -> Duration {
    config
        .base_delay
        .saturating_mul(2u32.saturating_pow(retry))
        .min(config.max_delay)
}

/// `Retry-After` in seconds, as Partoo sends it; any other form is not read.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse().ok().map(Duration::from_secs)
}

/// The deadline before which no request of a client (or of its clones and
/// their threads) starts: set by a `Retry-After` the client honours.
pub(crate) struct Backoff {
    sleeper: Sleeper,
    until: Mutex<Option<Instant>>,
}

impl Backoff {
    pub(crate) fn new(sleeper: Sleeper) -> Self {
        Backoff {
            sleeper,
            until: Mutex::new(None),
        }
    }

    fn until(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // Never held while sleeping or requesting: a poisoned lock holds a whole value.
        self.until.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the shared deadline to `at + wait`, unless it is later already.
    pub(crate) fn defer(&self, at: Instant, wait: Duration) {
        let mut until = self.until();
        *until = (*until).max(Some(after(at, wait)));
    }

    /// The later of the shared deadline and `own`: when a wait for them ends.
    pub(crate) fn deadline(&self, own: Instant) -> Instant {
        (*self.until()).map_or(own, |shared| shared.max(own))
    }

    /// Waits, in one sleep, until the later of the shared deadline and `own`.
    /// The shared deadline is served once: whoever waits for it clears it,
    /// unless a later one was set meanwhile.
    pub(crate) fn wait(&self, own: Option<Instant>) {
        let Some(target) = (*self.until()).max(own) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        for unread in [
            "-1",
            "1.5",
            "",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "99999999999999999999",
        ] {
            assert_eq!(parse_retry_after(unread), None, "{unread:?}");
        }
    }

    #[test]
    fn backoff_stays_between_half_its_doubling_ceiling_and_the_ceiling() {
        let config = Config {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
            ..Config::default()
        };
        for (retry, ceiling_ms) in [(0, 100), (1, 200), (2, 400), (3, 700), (40, 700)] {
            let ceiling = Duration::from_millis(ceiling_ms);
            for _ in 0..50 {
                let wait = jittered(&config, retry);
                assert!(wait >= ceiling / 2 && wait <= ceiling, "{retry}: {wait:?}");
            }
        }
    }

    fn recorded() -> (Backoff, Arc<Mutex<Vec<Duration>>>) {
        let slept = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&slept);
        let sleeper: Sleeper = Arc::new(move |d| log.lock().unwrap().push(d));
        (Backoff::new(sleeper), slept)
    }

    #[test]
    fn a_deadline_is_slept_once_whoever_waits_for_it() {
        let (backoff, slept) = recorded();
        backoff.defer(Instant::now(), Duration::from_secs(5));
        backoff.wait(None);
        backoff.wait(None);
        let slept = slept.lock().unwrap();
        assert_eq!(slept.len(), 1);
        assert!(slept[0] <= Duration::from_secs(5) && slept[0] > Duration::from_secs(4));
    }

    #[test]
    fn a_wait_is_for_the_later_of_its_own_and_the_deadline_in_one_sleep() {
        let (backoff, slept) = recorded();
        let now = Instant::now();
        backoff.defer(now, Duration::from_secs(2));
        backoff.wait(Some(now + Duration::from_secs(7)));
        let slept = slept.lock().unwrap();
        assert_eq!(slept.len(), 1);
        assert!(slept[0] > Duration::from_secs(6) && slept[0] <= Duration::from_secs(7));
    }

    #[test]
    fn a_wait_is_cut_at_a_century() {
        let (backoff, slept) = recorded();
        backoff.defer(Instant::now(), Duration::MAX);
        backoff.wait(None);
        assert!(slept.lock().unwrap()[0] <= LONGEST);
    }
}
