//! `prefetch(n)`: pages requested ahead on background threads, items still
//! strictly in page order, and never more than `n` requests beyond the page
//! being read.

mod common;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::gate::GateServer;
use common::raw;
use common::workers::{prefetch_threads, prefetch_threads_settled};
use common::{builder, client, mock_page, page, Sleeps, KEY, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::{Error, WebhookItem};
use serde_json::Value;

/// Items per page in these listings; the mock ignores `per_page`.
const PER: u64 = 3;

/// The ids of page `n`: 1..=3 on page 1, 4..=6 on page 2, ...
fn ids(n: u32) -> Vec<u64> {
    let first = u64::from(n - 1) * PER + 1;
    (first..first + PER).collect()
}

/// Every id of pages `first..=last`, in order.
fn ids_of(pages: std::ops::RangeInclusive<u32>) -> Vec<u64> {
    pages.flat_map(ids).collect()
}

/// Mocks pages 1..=`max_page` of a listing, each with its own ids.
fn listing(server: &MockServer, max_page: u32) -> Vec<Mock<'_>> {
    let count = u64::from(max_page) * PER;
    (1..=max_page)
        .map(|n| mock_page(server, n, page(n, max_page, count, ids(n))))
        .collect()
}

/// Serves `body` for page `n`, after `delay`. The call counts on arrival.
fn mock_slow_page<'a>(server: &'a MockServer, n: u32, body: Value, delay: Duration) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("page", n.to_string())
            .header("x-apikey", KEY);
        then.status(200)
            .header("content-type", "application/json")
            .delay(delay)
            .json_body(body);
    })
}

fn calls(mocks: &[Mock<'_>]) -> Vec<usize> {
    mocks.iter().map(Mock::calls).collect()
}

fn id(item: Result<WebhookItem, Error>) -> u64 {
    item.expect("item").id
}

/// Tests here count this process's prefetching threads, so they run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Page bodies 1..=`max_page` of a listing, for a [`GateServer`].
fn bodies(max_page: u32) -> HashMap<u32, Value> {
    let count = u64::from(max_page) * PER;
    (1..=max_page)
        .map(|n| (n, page(n, max_page, count, ids(n))))
        .collect()
}

/// A client of a gate server, with a timeout long enough that held requests
/// never time out while a test looks at them.
fn gated_client(server: &GateServer) -> partoo_webhooks::Client {
    gated_client_builder(server).build().unwrap()
}

#[test]
fn items_come_in_page_order_when_later_pages_arrive_first() {
    let _serial = serial();
    let server = MockServer::start();
    let count = 6 * PER;
    // Page 2 answers last and page 4 first, although page 2 is needed first.
    let mut mocks = vec![mock_page(&server, 1, page(1, 6, count, ids(1)))];
    for (n, delay) in [(2, 150), (3, 75), (4, 0), (5, 0), (6, 0)] {
        let body = page(n, 6, count, ids(n));
        mocks.push(mock_slow_page(
            &server,
            n,
            body,
            Duration::from_millis(delay),
        ));
    }

    let listed: Vec<u64> = client(&server)
        .list_webhooks()
        .prefetch(3)
        .items()
        .map(id)
        .collect();

    assert_eq!(listed, ids_of(1..=6));
    assert_eq!(calls(&mocks), [1; 6], "every page requested once");
}

#[test]
fn dropping_returns_at_once_and_the_pages_in_flight_are_discarded() {
    let _serial = serial();
    // Pages 2 and up get no answer until the gate opens.
    let server = GateServer::start(bodies(10), &(2..=10).collect::<Vec<_>>());
    let mut items = gated_client(&server).list_webhooks().prefetch(2).items();

    let first: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    let in_flight = server.wait_for_requests(3);
    drop(items);

    // The drop did not wait for the two requests in flight: they are still
    // unanswered, and their workers still wait for them.
    assert_eq!(first, ids(1));
    assert_eq!(in_flight, [1, 2, 3]);
    assert_eq!(prefetch_threads(), 2, "the workers still hold the requests");
    server.open();
    assert_eq!(prefetch_threads_settled(), 0, "then they leave");
    assert_eq!(server.pages(), [1, 2, 3], "and start nothing more");
}

#[test]
fn never_requests_more_than_n_pages_beyond_the_current_one() {
    let _serial = serial();
    let server = GateServer::start(bodies(10), &[]);
    let mut items = gated_client(&server).list_webhooks().prefetch(2).items();

    let page_one: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    let while_reading_page_one = server.wait_for_requests(3);
    let page_two: Vec<u64> = items.by_ref().take(2).map(id).collect();
    let while_reading_page_two = server.wait_for_requests(4);
    drop(items);
    assert_eq!(prefetch_threads_settled(), 0);

    assert_eq!(page_one, ids(1));
    assert_eq!(page_two, ids(2)[..2]);
    assert_eq!(while_reading_page_one, [1, 2, 3], "page 4 waits for page 2");
    assert_eq!(while_reading_page_two, [1, 2, 3, 4]);
    assert_eq!(server.pages(), [1, 2, 3, 4], "never page 5");
}

#[test]
fn an_error_on_a_page_comes_after_every_item_before_it_and_ends_the_listing() {
    let _serial = serial();
    // Page 3 has no answer scripted: the server says 418, which is not retried.
    let mut responses = bodies(5);
    responses.remove(&3);
    let server = GateServer::start(responses, &[4]);
    let mut items = gated_client(&server).list_webhooks().prefetch(2).items();

    let before: Vec<u64> = items.by_ref().take(2 * PER as usize).map(id).collect();
    // Reading page 2 put page 4 in flight, where it is held.
    assert_eq!(server.wait_for_requests(4), [1, 2, 3, 4]);
    let error = items.next().expect("an error").unwrap_err();

    assert_eq!(before, ids_of(1..=2));
    assert_eq!(error.status(), Some(418), "{error:?}");
    assert_eq!(error.page(), Some(3));
    assert!(items.next().is_none(), "nothing after the error");
    assert_eq!(items.next_page(), Some(3), "resumable at the failed page");
    drop(items);
    server.open();
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(server.pages(), [1, 2, 3, 4], "page 5 never requested");
}

#[test]
fn a_prefetched_page_that_fails_with_503_is_retried_in_order() {
    let _serial = serial();
    let server = MockServer::start();
    let count = 4 * PER;
    let first = mock_page(&server, 1, page(1, 4, count, ids(1)));
    // Registered before page 2's success, so it answers first (mocks match in order).
    let unavailable = server.mock(|when, then| {
        when.method(GET).path(PATH).query_param("page", "2");
        then.status(503);
    });
    unavailable.up_to_n_times(1);
    let rest: Vec<_> = (2..=4)
        .map(|n| mock_page(&server, n, page(n, 4, count, ids(n))))
        .collect();
    let sleeps = Sleeps::default();
    let client = sleeps.install(builder(&server)).build().unwrap();

    let listed: Vec<u64> = client.list_webhooks().prefetch(2).items().map(id).collect();

    assert_eq!(listed, ids_of(1..=4));
    first.assert_calls(1);
    unavailable.assert_calls(1);
    assert_eq!(calls(&rest), [1, 1, 1], "page 2 answered on its one retry");
    assert_eq!(sleeps.delays().len(), 1, "one backoff, for page 2's retry");
}

#[test]
fn pages_requested_ahead_beyond_a_shrunken_max_page_are_discarded() {
    let _serial = serial();
    let mut responses = bodies(5);
    // Items were deleted meanwhile: page 2 is now the last one.
    responses.insert(2, page(2, 2, 2 * PER, ids(2)));
    let server = GateServer::start(responses, &[2]);
    let mut pages = gated_client(&server).list_webhooks().prefetch(3).pages();

    let first = pages.next().expect("page 1").expect("page 1 decodes");
    assert_eq!(server.wait_for_requests(4), [1, 2, 3, 4]);
    server.open();
    let rest: Vec<u64> = pages
        .by_ref()
        .flat_map(|page| page.unwrap().items)
        .map(|item| item.id)
        .collect();
    drop(pages);

    assert_eq!(
        first.items.iter().map(|item| item.id).collect::<Vec<_>>(),
        ids(1)
    );
    assert_eq!(rest, ids(2), "nothing from pages 3 and 4");
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(server.pages(), [1, 2, 3, 4]);
}

#[test]
fn an_empty_page_before_max_page_ends_with_a_count_mismatch_despite_pages_requested_ahead() {
    let _serial = serial();
    let mut responses = bodies(5);
    responses.insert(2, page(2, 5, 5 * PER, []));
    let server = GateServer::start(responses, &[2]);
    let mut items = gated_client(&server).list_webhooks().prefetch(2).items();

    let first: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    assert_eq!(server.wait_for_requests(3), [1, 2, 3]);
    server.open();
    let error = items.next().expect("an error").unwrap_err();
    drop(items);

    assert_eq!(first, ids(1));
    assert!(
        matches!(
            error,
            Error::CountMismatch {
                listed: 3,
                count: 15,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(server.pages(), [1, 2, 3], "nothing from page 3 is yielded");
}

#[test]
fn prefetch_zero_requests_no_page_before_it_is_needed() {
    let _serial = serial();
    let server = MockServer::start();
    let mocks = listing(&server, 3);

    let mut items = client(&server).list_webhooks().prefetch(0).items();
    let page_one: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    let workers = prefetch_threads();
    drop(items);

    assert_eq!(page_one, ids(1));
    assert_eq!(workers, 0, "no worker thread without prefetching");
    assert_eq!(
        calls(&mocks),
        [1, 0, 0],
        "page 2 not requested during page 1"
    );
}

#[test]
fn prefetching_is_capped_at_max_prefetch_pages_and_threads() {
    let _serial = serial();
    let held: Vec<u32> = (2..=40).collect();
    let server = GateServer::start(bodies(40), &held);
    let mut items = gated_client(&server)
        .list_webhooks()
        .prefetch(usize::MAX)
        .items();

    let first: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    let expected: Vec<u32> = (1..=1 + partoo_webhooks::MAX_PREFETCH as u32).collect();
    let requested = server.wait_for_requests(expected.len());
    let workers = prefetch_threads();
    drop(items);
    server.open();

    assert_eq!(first, ids(1));
    assert_eq!(requested, expected);
    assert_eq!(workers, partoo_webhooks::MAX_PREFETCH);
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(server.pages(), expected, "no page beyond the cap");
}

#[test]
fn prefetching_keeps_at_most_n_pages_in_flight_for_a_whole_listing() {
    // Each page requested ahead has a thread of its own (the threads are not
    // reused): what is bounded is how many requests are in flight at once.
    // Every answer takes 20 ms, so the pages requested together overlap.
    let _serial = serial();
    let server = GateServer::start_with_delay(bodies(30), Duration::from_millis(20));
    let items = gated_client(&server).list_webhooks().prefetch(3).items();

    let listed: Vec<u64> = items.map(id).collect();

    assert_eq!(listed, ids_of(1..=30));
    assert_eq!(
        server.max_in_flight(),
        3,
        "never more than 3, and 3 are used"
    );
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(
        server.pages(),
        (1..=30).collect::<Vec<_>>(),
        "each page once"
    );
}

#[test]
fn prefetching_near_the_largest_page_number_does_not_overflow() {
    let _serial = serial();
    let server = MockServer::start();
    let (last, before) = (u32::MAX, u32::MAX - 1);
    let mocks = [
        mock_page(&server, before, page(before, last, 2 * PER, ids(1))),
        mock_page(&server, last, page(last, last, 2 * PER, ids(2))),
    ];
    let stray = server.mock(|_, then| {
        then.status(418);
    });

    let listed: Vec<u64> = client(&server)
        .list_webhooks()
        .page(before)
        .prefetch(4)
        .items()
        .map(id)
        .collect();

    assert_eq!(listed, ids_of(1..=2));
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(calls(&mocks), [1, 1]);
    stray.assert_calls(0);
}

/// Case 4 of issue 18: with `prefetch(4)`, page 1 answered and the four pages
/// requested ahead answered 429 with `Retry-After`, the listing waited the
/// whole `Retry-After` per page, one page after another. The promise: the wait
/// is one deadline for the whole client, so no request starts before it, and
/// the pages in flight wait for it together, not one after another. (Each
/// page's thread waits for the shared deadline itself, so the sleeper is
/// called by several threads: the test asserts when requests start, with a
/// real sleep of the shortest `Retry-After` there is, one second.)
///
/// The server gives no 429 before all five requests have arrived, so that
/// every page is in flight when the first 429 is read, however late a loaded
/// machine starts a thread; and page 2's 429 waits behind the gate, so that
/// it comes after the client has read the 429s of pages 3 to 5 and moves the
/// deadline later.
#[test]
fn a_retry_after_met_by_every_page_in_flight_holds_back_every_request_and_is_waited_out_together() {
    let _serial = serial();
    let wait = Duration::from_secs(1);
    let limited = raw::response(429, &[("Retry-After", "1")], b"");
    let first: HashMap<u32, Vec<u8>> = (2..=5).map(|n| (n, limited.clone())).collect();
    let server = GateServer::start_with_first(bodies(5), first, 5, &[2]);
    let slept = std::sync::Arc::new(Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&slept);
    let client = gated_client_builder(&server)
        .retry_base_delay(Duration::from_millis(1))
        .retry_max_delay(Duration::from_millis(1))
        .sleeper(move |delay| {
            log.lock().unwrap().push(delay);
            std::thread::sleep(delay);
        })
        .build()
        .unwrap();
    let mut items = client.list_webhooks().prefetch(4).items();

    let mut listed: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    server.wait_for_requests(5);
    let first: Vec<u32> = server.arrivals().iter().map(|(p, _)| *p).take(5).collect();
    assert_eq!(first.len(), 5, "{:?}", server.arrivals());
    // Let the threads read the 429s of pages 3 to 5 (the assertions below
    // hold in either order; this makes page 2's the 429 that moves the
    // deadline).
    std::thread::sleep(Duration::from_millis(100));
    let opened = Instant::now();
    server.open();
    listed.extend(items.map(id));
    let elapsed = opened.elapsed();

    assert_eq!(listed, ids_of(1..=5));
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(
        server.pages(),
        [1, 2, 2, 3, 3, 4, 4, 5, 5],
        "one retry per page"
    );
    // The five requests sent before any 429 (the server holds them until
    // then) are the five pages, each once.
    let mut first = first;
    first.sort_unstable();
    assert_eq!(first, [1, 2, 3, 4, 5], "{:?}", server.arrivals());
    // The deadline is the last 429's arrival plus its Retry-After; no
    // request arrived before it.
    let last_429 = server
        .firsts_given()
        .iter()
        .map(|(_, at)| *at)
        .max()
        .unwrap();
    let retries: Vec<(u32, Instant)> = server.arrivals().into_iter().skip(5).collect();
    assert_eq!(retries.len(), 4);
    for (page, at) in &retries {
        let early = (last_429 + wait).saturating_duration_since(*at);
        assert!(early.is_zero(), "page {page}'s retry came {early:?} early");
    }
    // Waited out together: once per page, one after another, is 4 s.
    assert!(elapsed < 3 * wait, "{elapsed:?}");
    let slept = slept.lock().unwrap();
    assert!(slept.iter().all(|d| *d <= wait), "{slept:?}");
}

/// A builder for a client of a gate server, as [`gated_client`] builds it.
fn gated_client_builder(server: &GateServer) -> partoo_webhooks::ClientBuilder {
    partoo_webhooks::Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .timeout(Duration::from_secs(60))
}

/// Case 1 of issue 18 with prefetching: the same 100 webhooks on every page,
/// `count` 100, `max_page` 4294967295. No page beyond the bound is requested
/// ahead either.
#[test]
fn repeated_pages_are_not_requested_ahead_beyond_the_bound() {
    let _serial = serial();
    let server = MockServer::start();
    let mocks: Vec<Mock<'_>> = (1..=10u32)
        .map(|n| mock_page(&server, n, page(n, u32::MAX, 100, 1..=100)))
        .collect();

    let outcomes: Vec<Result<u64, Error>> = client(&server)
        .list_webhooks()
        .prefetch(3)
        .items()
        .map(|item| item.map(|item| item.id))
        .collect();

    assert_eq!(outcomes.len(), 101, "100 items, then the error");
    assert!(outcomes[..100].iter().all(Result::is_ok));
    assert!(
        matches!(
            outcomes[100],
            Err(Error::Runaway {
                page: 4,
                max_pages: 3,
                ..
            })
        ),
        "{:?}",
        outcomes[100]
    );
    assert_eq!(prefetch_threads_settled(), 0);
    assert_eq!(calls(&mocks), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
}
