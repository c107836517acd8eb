//! `prefetch(n)`: pages requested ahead on background threads, items still
//! strictly in page order, and never more than `n` requests beyond the page
//! being read.

mod common;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::{builder, client, mock_page, page, Sleeps, KEY, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::{Error, WebhookItem};
use serde_json::{json, Value};

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

/// Prefetching threads alive in this process. Linux names them
/// `partoo-prefetch-N`, cut to the 15 bytes a thread name may have.
fn prefetch_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.starts_with("partoo-prefetch"))
        })
        .count()
}

/// Waits briefly for joined threads to leave `/proc`: a thread is joinable
/// a moment before the kernel forgets it.
fn prefetch_threads_settled() -> usize {
    for _ in 0..50 {
        if prefetch_threads() == 0 {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    prefetch_threads()
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
fn dropping_after_the_first_page_stops_at_the_pages_requested_ahead() {
    let _serial = serial();
    let server = MockServer::start();
    let count = 10 * PER;
    let mut mocks = vec![mock_page(&server, 1, page(1, 10, count, ids(1)))];
    // Slow enough that threads left running would still be waiting after the drop.
    for n in 2..=3 {
        let body = page(n, 10, count, ids(n));
        mocks.push(mock_slow_page(&server, n, body, Duration::from_millis(300)));
    }
    mocks.extend((4..=10).map(|n| mock_page(&server, n, page(n, 10, count, ids(n)))));

    let mut items = client(&server).list_webhooks().prefetch(2).items();
    let first: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    drop(items);

    assert_eq!(first, ids(1));
    assert_eq!(
        calls(&mocks),
        [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
        "page 1 and the 2 pages ahead, counted when the drop returned"
    );
    assert_eq!(prefetch_threads_settled(), 0, "the drop joined its threads");
}

#[test]
fn never_requests_more_than_n_pages_beyond_the_current_one() {
    let _serial = serial();
    let server = MockServer::start();
    let mocks = listing(&server, 10);

    let mut items = client(&server).list_webhooks().prefetch(2).items();
    let page_one: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    assert_eq!(mocks[3].calls(), 0, "page 4 waits until page 2 is read");
    let page_two: Vec<u64> = items.by_ref().take(2).map(id).collect();
    drop(items);

    assert_eq!(page_one, ids(1));
    assert_eq!(page_two, ids(2)[..2]);
    assert_eq!(
        calls(&mocks),
        [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
        "reading page 2 requests up to page 4, never page 5"
    );
}

#[test]
fn an_error_on_a_page_comes_after_every_item_before_it_and_ends_the_listing() {
    let _serial = serial();
    let server = MockServer::start();
    let count = 5 * PER;
    let before: Vec<_> = (1..=2)
        .map(|n| mock_page(&server, n, page(n, 5, count, ids(n))))
        .collect();
    let unauthorized = server.mock(|when, then| {
        when.method(GET).path(PATH).query_param("page", "3");
        then.status(401)
            .json_body(json!({ "errors": { "authentication": "User not authenticated" } }));
    });
    let after: Vec<_> = (4..=5)
        .map(|n| mock_page(&server, n, page(n, 5, count, ids(n))))
        .collect();

    let mut items = client(&server).list_webhooks().prefetch(2).items();
    let listed: Vec<Result<WebhookItem, Error>> = items.by_ref().collect();

    let (ok, errors): (Vec<_>, Vec<_>) = listed.into_iter().partition(Result::is_ok);
    assert_eq!(ok.into_iter().map(id).collect::<Vec<_>>(), ids_of(1..=2));
    assert!(
        matches!(errors[..], [Err(Error::Unauthorized { page: 3, .. })]),
        "{errors:?}"
    );
    assert!(items.next().is_none(), "nothing after the error");
    assert_eq!(items.next_page(), Some(3), "resumable at the failed page");
    drop(items);
    assert_eq!(calls(&before), [1, 1]);
    unauthorized.assert_calls(1);
    assert_eq!(
        calls(&after),
        [1, 0],
        "page 4 was already requested ahead when page 3 failed; page 5 never"
    );
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
    let server = MockServer::start();
    let mut mocks = vec![mock_page(&server, 1, page(1, 5, 5 * PER, ids(1)))];
    // Items were deleted meanwhile: page 2 is now the last one.
    mocks.push(mock_page(&server, 2, page(2, 2, 2 * PER, ids(2))));
    mocks.extend((3..=5).map(|n| mock_page(&server, n, page(n, 5, 5 * PER, ids(n)))));

    let listed: Vec<u64> = client(&server)
        .list_webhooks()
        .prefetch(3)
        .items()
        .map(id)
        .collect();

    assert_eq!(listed, ids_of(1..=2), "nothing from pages 3 and 4");
    assert_eq!(calls(&mocks), [1, 1, 1, 1, 0]);
}

#[test]
fn an_empty_page_ends_the_listing_despite_pages_requested_ahead() {
    let _serial = serial();
    let server = MockServer::start();
    let count = 5 * PER;
    let mocks = vec![
        mock_page(&server, 1, page(1, 5, count, ids(1))),
        mock_page(&server, 2, page(2, 5, count, [])),
        mock_page(&server, 3, page(3, 5, count, ids(3))),
        mock_page(&server, 4, page(4, 5, count, ids(4))),
    ];

    let listed: Vec<u64> = client(&server)
        .list_webhooks()
        .prefetch(2)
        .items()
        .map(id)
        .collect();

    assert_eq!(listed, ids(1), "nothing from page 3");
    assert_eq!(calls(&mocks), [1, 1, 1, 0]);
}

#[test]
fn prefetch_zero_requests_no_page_before_it_is_needed() {
    let _serial = serial();
    let server = MockServer::start();
    let mocks = listing(&server, 3);

    let mut items = client(&server).list_webhooks().prefetch(0).items();
    let page_one: Vec<u64> = items.by_ref().take(PER as usize).map(id).collect();
    // A page requested ahead would be waited for, and counted, by the drop.
    drop(items);

    assert_eq!(page_one, ids(1));
    assert_eq!(
        calls(&mocks),
        [1, 0, 0],
        "page 2 not requested during page 1"
    );
}
