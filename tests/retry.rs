//! Retries: which failures are retried, how long the client waits, and what it
//! reports when it gives up. Delays are recorded by the `sleeper`, never slept.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::raw::failure;
use common::{builder, mock_page, page, Sleeps, KEY, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::{Client, Error};

/// A client of `server` whose waits are recorded in `sleeps` instead of slept.
fn recording_client(server: &MockServer, sleeps: &Sleeps) -> Client {
    sleeps.install(builder(server)).build().unwrap()
}

/// Answers `GET /v2/webhooks?page=<page>` with `status` and these headers, at
/// most `times` times, before any mock defined later.
fn failing<'a>(
    server: &'a MockServer,
    page: u32,
    status: u16,
    headers: &[(&str, &str)],
    times: usize,
) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("page", page.to_string())
            .header("x-apikey", KEY);
        let mut then = then.status(status).body("{}").up_to_n_times(times);
        for (name, value) in headers {
            then = then.header(*name, *value);
        }
    })
}

/// Asserts the client waited once, for `wait` counted from an answer's
/// arrival: a little less than `wait` by the time the sleeper is called.
#[track_caller]
fn assert_one_wait_of_at_most(sleeps: &Sleeps, wait: Duration) {
    let delays = sleeps.delays();
    assert!(
        delays.len() == 1 && delays[0] <= wait && delays[0] > wait - Duration::from_millis(500),
        "expected one wait just under {wait:?}, got {delays:?}"
    );
}

/// A date as `Retry-After` carries it: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for dates after 1970.
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = (mp + 2) % 12; // 0 = January
    let year = era * 400 + yoe + u64::from(month < 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[month as usize],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[test]
fn http_date_helper_formats_the_rfc_example() {
    let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
    assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
}

#[test]
fn waits_retry_after_seconds_then_succeeds() {
    let server = MockServer::start();
    let limited = failing(&server, 1, 429, &[("Retry-After", "7")], 1);
    let ok = mock_page(&server, 1, page(1, 1, 2, [1, 2]));
    let sleeps = Sleeps::default();

    let received = recording_client(&server, &sleeps)
        .list_webhooks()
        .page(1)
        .send()
        .unwrap();

    assert_eq!(received.items.len(), 2);
    // Counted from the 429's arrival: what is left of 7 s when the wait starts.
    assert_one_wait_of_at_most(&sleeps, Duration::from_secs(7));
    limited.assert_calls(1);
    ok.assert_calls(1);
}

/// Was `waits_until_a_retry_after_http_date_then_succeeds`. Issue 21: Partoo
/// documents `Retry-After` in seconds, and the HTTP-date parser went; a date
/// now falls back to the client's back-off (1 s at most here), on a 429 as
/// on a 503, and sets no deadline for the client's clones.
#[test]
fn a_retry_after_http_date_falls_back_to_the_backoff() {
    for status in [429, 503] {
        let server = MockServer::start();
        let date = http_date(SystemTime::now() + Duration::from_secs(10));
        let limited = failing(&server, 1, status, &[("Retry-After", &date)], 1);
        let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
        let second = mock_page(&server, 2, page(2, 2, 2, [2]));
        let sleeps = Sleeps::default();
        let client = recording_client(&server, &sleeps);

        let received = client.list_webhooks().page(1).send().unwrap();
        let waits_after_the_retry = sleeps.delays().len();
        client.clone().list_webhooks().page(2).send().unwrap();

        assert_eq!(received.items.len(), 1, "HTTP {status}");
        let delays = sleeps.delays();
        // The back-off's equal jitter: between half its 1 s ceiling and the
        // ceiling, less the moment between the answer and the wait.
        assert!(
            delays.len() == 1
                && delays[0] <= Duration::from_secs(1)
                && delays[0] > Duration::from_millis(400),
            "HTTP {status}: waited {delays:?} for a date 10 s ahead"
        );
        assert_eq!(waits_after_the_retry, 1, "HTTP {status}");
        limited.assert_calls(1);
        ok.assert_calls(1);
        second.assert_calls(1);
    }
}

/// On a 503 as on a 429 since issue 21 (the 503 case is new).
#[test]
fn retry_after_longer_than_the_ceiling_fails_at_once_with_the_wait() {
    for status in [429, 503] {
        let server = MockServer::start();
        let limited = failing(&server, 1, status, &[("Retry-After", "120")], 10);
        let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
        let sleeps = Sleeps::default();
        let client = sleeps
            .install(builder(&server))
            .max_retry_after(Duration::from_secs(60))
            .build()
            .unwrap();

        let error = failure(client.list_webhooks().page(1).send());

        assert!(
            matches!(
                error,
                Error::Status { page: Some(1), status: s, retry_after: Some(wait), .. }
                    if s == status && wait == Duration::from_secs(120)
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("120 s"), "{error}");
        assert_eq!(sleeps.delays(), [], "HTTP {status}");
        limited.assert_calls(1);
        ok.assert_calls(0);
    }
}

#[test]
fn retries_503_twice_then_succeeds() {
    let server = MockServer::start();
    let unavailable = failing(&server, 1, 503, &[], 2);
    let ok = mock_page(&server, 1, page(1, 1, 3, [1, 2, 3]));
    let sleeps = Sleeps::default();

    let received = recording_client(&server, &sleeps)
        .list_webhooks()
        .page(1)
        .send()
        .unwrap();

    let ids: Vec<u64> = received.items.iter().map(|w| w.id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(sleeps.delays().len(), 2);
    unavailable.assert_calls(2);
    ok.assert_calls(1);
}

#[test]
fn retry_on_page_2_resumes_there_without_duplicates_or_gaps() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 8, [1, 2, 3]));
    let unavailable = failing(&server, 2, 503, &[], 2);
    let second = mock_page(&server, 2, page(2, 3, 8, [4, 5, 6]));
    let third = mock_page(&server, 3, page(3, 3, 8, [7, 8]));
    let sleeps = Sleeps::default();

    let ids: Vec<u64> = recording_client(&server, &sleeps)
        .list_webhooks()
        .per_page(3)
        .items()
        .map(|item| item.unwrap().id)
        .collect();

    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(sleeps.delays().len(), 2);
    first.assert_calls(1);
    unavailable.assert_calls(2);
    second.assert_calls(1);
    third.assert_calls(1);
}

#[test]
fn retries_each_transient_status_once_then_succeeds() {
    for status in [429, 500, 502, 503, 504] {
        let server = MockServer::start();
        let transient = failing(&server, 1, status, &[], 1);
        let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
        let sleeps = Sleeps::default();

        let received = recording_client(&server, &sleeps)
            .list_webhooks()
            .page(1)
            .send();

        assert!(received.is_ok(), "HTTP {status}: {received:?}");
        assert_eq!(sleeps.delays().len(), 1, "HTTP {status}");
        transient.assert_calls(1);
        ok.assert_calls(1);
    }
}

#[test]
fn gives_up_on_500_after_max_retries_plus_one_attempts() {
    let server = MockServer::start();
    let broken = failing(&server, 1, 500, &[], 100);
    let sleeps = Sleeps::default();
    let client = sleeps
        .install(builder(&server))
        .max_retries(2)
        .build()
        .unwrap();

    let error = failure(client.list_webhooks().page(1).send());

    match &error {
        Error::RetriesExhausted {
            attempts: 3, last, ..
        } => assert!(
            matches!(
                **last,
                Error::Status {
                    page: Some(1),
                    status: 500,
                    ..
                }
            ),
            "{last:?}"
        ),
        other => panic!("expected RetriesExhausted after 3 attempts, got {other:?}"),
    }
    assert_eq!(error.to_string(), "gave up on page 1 after 3 attempts");
    assert_eq!(error.status(), Some(500));
    assert_eq!(sleeps.delays().len(), 2);
    broken.assert_calls(3);
}

#[test]
fn gives_up_on_429_reporting_the_last_wait() {
    let server = MockServer::start();
    let limited = failing(&server, 1, 429, &[("Retry-After", "2")], 100);
    let sleeps = Sleeps::default();
    let client = sleeps
        .install(builder(&server))
        .max_retries(1)
        .build()
        .unwrap();

    let error = failure(client.list_webhooks().page(1).send());

    match &error {
        Error::RetriesExhausted {
            attempts: 2, last, ..
        } => assert!(
            matches!(
                **last,
                Error::Status { page: Some(1), status: 429, retry_after: Some(wait), .. }
                    if wait == Duration::from_secs(2)
            ),
            "{last:?}"
        ),
        other => panic!("expected RetriesExhausted after 2 attempts, got {other:?}"),
    }
    assert_one_wait_of_at_most(&sleeps, Duration::from_secs(2));
    limited.assert_calls(2);
}

#[test]
fn never_retries_400_401_403_404() {
    for status in [400, 401, 403, 404] {
        let server = MockServer::start();
        let refused = failing(&server, 1, status, &[], 100);
        let sleeps = Sleeps::default();

        let error = failure(
            recording_client(&server, &sleeps)
                .list_webhooks()
                .page(1)
                .send(),
        );

        // `Unauthorized` and `Forbidden` merged into `Error::Status` (issue 21).
        assert!(
            matches!(error, Error::Status { page: Some(1), status: s, .. } if s == status),
            "HTTP {status}: {error:?}"
        );
        assert!(!error.is_retryable(), "HTTP {status}");
        assert_eq!(sleeps.delays(), [], "HTTP {status}");
        refused.assert_calls(1);
    }
}

#[test]
fn max_retries_zero_disables_retrying() {
    let server = MockServer::start();
    let unavailable = failing(&server, 1, 503, &[], 100);
    let sleeps = Sleeps::default();
    let client = sleeps
        .install(builder(&server))
        .max_retries(0)
        .build()
        .unwrap();

    let error = failure(client.list_webhooks().page(1).send());

    assert!(
        matches!(
            error,
            Error::Status {
                page: Some(1),
                status: 503,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(sleeps.delays(), []);
    unavailable.assert_calls(1);
}

#[test]
fn backoff_delays_lie_between_half_the_doubling_ceiling_and_the_ceiling() {
    let server = MockServer::start();
    let unavailable = failing(&server, 1, 503, &[], 100);
    let sleeps = Sleeps::default();
    let (base, max) = (Duration::from_secs(1), Duration::from_secs(4));
    let client = sleeps
        .install(builder(&server))
        .max_retries(6)
        .retry_base_delay(base)
        .retry_max_delay(max)
        .build()
        .unwrap();

    let error = failure(client.list_webhooks().page(1).send());

    assert!(
        matches!(error, Error::RetriesExhausted { attempts: 7, .. }),
        "{error:?}"
    );
    let delays = sleeps.delays();
    assert_eq!(delays.len(), 6);
    for (retry, delay) in delays.iter().enumerate() {
        // 1, 2, 4, then capped at 4 s; "equal jitter" waits half of it at least
        // (counted from the 503's arrival, a few milliseconds before the wait).
        let ceiling = (base * 2u32.pow(retry as u32)).min(max);
        let floor = ceiling / 2 - Duration::from_millis(100);
        assert!(
            *delay <= ceiling && *delay >= floor,
            "retry {retry} waited {delay:?}, outside [{:?}, {ceiling:?}]",
            ceiling / 2
        );
    }
    unavailable.assert_calls(7);
}

/// Case 5 of issue 18: `Retry-After: 0` made four attempts within a millisecond.
///
/// A date in the past was raised the same way while dates were read; since
/// issue 21 a date is not read, and the retry follows the back-off, which
/// waits at least as long (half the ceiling or more, up to the ceiling).
#[test]
fn retry_after_zero_or_in_the_past_is_raised_to_half_the_backoff_ceiling() {
    let past = http_date(SystemTime::now() - Duration::from_secs(60));
    for (value, jittered) in [("0", false), (past.as_str(), true)] {
        let server = MockServer::start();
        let limited = failing(&server, 1, 429, &[("Retry-After", value)], 3);
        let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
        let sleeps = Sleeps::default();
        let client = sleeps
            .install(builder(&server))
            .retry_base_delay(Duration::from_secs(1))
            .retry_max_delay(Duration::from_secs(30))
            .build()
            .unwrap();

        client.list_webhooks().page(1).send().unwrap();

        // Ceilings of 1, 2 and 4 s: at least 0.5, 1 and 2 s, less the few
        // milliseconds between each 429 and its wait; exactly that for `0`.
        let delays = sleeps.delays();
        assert_eq!(delays.len(), 3, "{value}: {delays:?}");
        for (delay, floor) in delays.iter().zip([500, 1000, 2000]) {
            let floor = Duration::from_millis(floor);
            let most = if jittered { floor * 2 } else { floor };
            assert!(
                *delay <= most && *delay > floor - Duration::from_millis(100),
                "{value}: waited {delay:?} for a floor of {floor:?}"
            );
        }
        limited.assert_calls(3);
        ok.assert_calls(1);
    }
}

#[test]
fn a_429_without_retry_after_waits_the_backoff() {
    let server = MockServer::start();
    let limited = failing(&server, 1, 429, &[], 1);
    let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
    let sleeps = Sleeps::default();
    let client = sleeps
        .install(builder(&server))
        .retry_base_delay(Duration::from_secs(2))
        .retry_max_delay(Duration::from_secs(10))
        .build()
        .unwrap();

    client.list_webhooks().page(1).send().unwrap();

    let delays = sleeps.delays();
    assert_eq!(delays.len(), 1);
    assert!(
        delays[0] <= Duration::from_secs(2) && delays[0] > Duration::from_millis(900),
        "{delays:?}"
    );
    limited.assert_calls(1);
    ok.assert_calls(1);
}

#[test]
fn retry_after_with_an_absurd_year_is_ignored_not_a_panic() {
    for value in [
        // Overflows the clock: UNIX_EPOCH + this date panicked.
        "Sun, 06 Nov 300000000000 08:49:37 GMT",
        // Overflows the calendar arithmetic before the clock.
        "Sun, 06 Nov 18446744073709551615 08:49:37 GMT",
        "Sun Nov  6 08:49:37 18446744073709551615",
        "Fri, 31 Dec 10000 23:59:59 GMT",
        // Delay-seconds beyond u64.
        "99999999999999999999",
    ] {
        let server = MockServer::start();
        let limited = failing(&server, 1, 429, &[("Retry-After", value)], 1);
        let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
        let sleeps = Sleeps::default();

        let received = recording_client(&server, &sleeps)
            .list_webhooks()
            .page(1)
            .send();

        // Unreadable, so the client's own backoff (1 s at most here) applies.
        assert_eq!(received.unwrap().items.len(), 1, "{value}");
        let delays = sleeps.delays();
        assert!(
            delays.len() == 1 && delays[0] <= Duration::from_secs(1),
            "{value}: {delays:?}"
        );
        limited.assert_calls(1);
        ok.assert_calls(1);
    }
}

#[test]
fn retry_after_of_the_largest_number_fails_at_once_with_that_wait() {
    let server = MockServer::start();
    let limited = failing(
        &server,
        1,
        429,
        &[("Retry-After", "18446744073709551615")],
        1,
    );
    let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
    let sleeps = Sleeps::default();

    let error = failure(
        recording_client(&server, &sleeps)
            .list_webhooks()
            .page(1)
            .send(),
    );

    assert!(
        matches!(
            error,
            Error::Status { page: Some(1), status: 429, retry_after: Some(wait), .. }
                if wait == Duration::from_secs(u64::MAX)
        ),
        "{error:?}"
    );
    assert_eq!(sleeps.delays(), []);
    limited.assert_calls(1);
    ok.assert_calls(0);
}

/// On a 503 as on a 429 since issue 21 (issue 24, item 5).
#[test]
fn a_retry_after_holds_back_the_next_request_of_every_clone() {
    for status in [429, 503] {
        let server = MockServer::start();
        let limited = failing(&server, 1, status, &[("Retry-After", "5")], 1);
        let second = mock_page(&server, 2, page(2, 2, 2, [2]));
        let sleeps = Sleeps::default();
        let client = sleeps
            .install(builder(&server))
            .max_retries(0)
            .build()
            .unwrap();
        let clone = client.clone();

        let error = failure(client.list_webhooks().page(1).send());
        let waits_before = sleeps.delays().len();
        let received = clone.list_webhooks().page(2).send().unwrap();

        assert!(
            matches!(
                error,
                Error::Status { page: Some(1), status: s, retry_after: Some(wait), .. }
                    if s == status && wait == Duration::from_secs(5)
            ),
            "{error:?}"
        );
        assert_eq!(
            waits_before, 0,
            "HTTP {status}: no retry, so no wait for the first"
        );
        assert_eq!(received.items.len(), 1);
        // The clone's request waited for the deadline the answer set.
        assert_one_wait_of_at_most(&sleeps, Duration::from_secs(5));
        limited.assert_calls(1);
        second.assert_calls(1);
    }
}

/// Issue 24, item 5: the retries of a 503 followed the back-off (1 s at most
/// here) while the server said 5 s, and gave up before it was back. Its
/// `Retry-After` is now the client's deadline, as a 429's: see also
/// `a_retry_after_holds_back_the_next_request_of_every_clone`.
#[test]
fn a_503_with_retry_after_makes_the_retry_wait_that_long() {
    let server = MockServer::start();
    let unavailable = failing(&server, 1, 503, &[("Retry-After", "5")], 1);
    let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
    let sleeps = Sleeps::default();

    let received = recording_client(&server, &sleeps)
        .list_webhooks()
        .page(1)
        .send()
        .unwrap();

    assert_eq!(received.items.len(), 1);
    // Counted from the 503's arrival: what is left of 5 s when the wait starts.
    assert_one_wait_of_at_most(&sleeps, Duration::from_secs(5));
    unavailable.assert_calls(1);
    ok.assert_calls(1);
}

#[test]
fn a_retry_after_equal_to_the_ceiling_is_waited_out() {
    let server = MockServer::start();
    let limited = failing(&server, 1, 429, &[("Retry-After", "7")], 1);
    let ok = mock_page(&server, 1, page(1, 1, 1, [1]));
    let sleeps = Sleeps::default();
    let client = sleeps
        .install(builder(&server))
        .max_retry_after(Duration::from_secs(7))
        .build()
        .unwrap();

    let received = client.list_webhooks().page(1).send().unwrap();

    assert_eq!(received.items.len(), 1);
    assert_one_wait_of_at_most(&sleeps, Duration::from_secs(7));
    limited.assert_calls(1);
    ok.assert_calls(1);
}
