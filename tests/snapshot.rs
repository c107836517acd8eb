//! `ListWebhooks::snapshot`: every webhook as one `Vec`, listed again when a
//! listing shows the account changing while it ran, and given up on after
//! `max_passes` listings.
//!
//! A changing account is a script: mocks made with `up_to_n_times(1)` answer
//! once each, in the order they were made, before the mocks made after them.
mod common;

use common::{client, mock_page, page, KEY, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::Error;
use serde_json::Value;

/// Serves `body` once for `page`, before any mock made after it.
fn once<'a>(server: &'a MockServer, page: u32, body: Value) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("page", page.to_string())
            .header("x-apikey", KEY);
        then.status(200).json_body(body).up_to_n_times(1);
    })
}

fn ids(webhooks: &[partoo_webhooks::WebhookItem]) -> Vec<u64> {
    webhooks.iter().map(|webhook| webhook.id).collect()
}

fn calls(mocks: &[&Mock]) -> Vec<usize> {
    mocks.iter().map(|mock| mock.calls()).collect()
}

#[test]
fn a_stable_account_is_listed_once() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 2, 3, [1, 2]));
    let second = mock_page(&server, 2, page(2, 2, 3, [3]));
    let webhooks = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap();
    assert_eq!(ids(&webhooks), [1, 2, 3]);
    assert_eq!(calls(&[&first, &second]), [1, 1]);
}

#[test]
fn a_webhook_created_between_two_pages_makes_it_list_again_and_return_the_new_state() {
    let server = MockServer::start();
    // Webhook 7 is created after page 1 of the first listing was read.
    let before = once(&server, 1, page(1, 3, 5, [1, 2]));
    let after = [
        mock_page(&server, 1, page(1, 3, 6, [1, 2])),
        mock_page(&server, 2, page(2, 3, 6, [3, 4])),
        mock_page(&server, 3, page(3, 3, 6, [5, 7])),
    ];
    let webhooks = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap();
    assert_eq!(ids(&webhooks), [1, 2, 3, 4, 5, 7]);
    // The first listing stops at page 2, whose count differs; the second is whole.
    assert_eq!(
        calls(&[&before, &after[0], &after[1], &after[2]]),
        [1, 1, 2, 1]
    );
}

#[test]
fn an_id_listed_twice_makes_it_list_again_even_when_the_count_holds() {
    let server = MockServer::start();
    // Between the pages, webhook 9 is created first in the order and 3 deleted:
    // the count holds, and webhook 2 shifts onto page 2.
    let first = [
        once(&server, 1, page(1, 2, 3, [1, 2])),
        once(&server, 2, page(2, 2, 3, [2])),
    ];
    let second = [
        mock_page(&server, 1, page(1, 2, 3, [9, 1])),
        mock_page(&server, 2, page(2, 2, 3, [2])),
    ];
    let webhooks = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap();
    assert_eq!(ids(&webhooks), [9, 1, 2]);
    assert_eq!(
        calls(&[&first[0], &first[1], &second[0], &second[1]]),
        [1, 1, 1, 1]
    );
}

#[test]
fn a_moved_max_page_makes_it_list_again() {
    let server = MockServer::start();
    let first = [
        once(&server, 1, page(1, 2, 4, [1, 2])),
        once(&server, 2, page(2, 3, 4, [3, 4])),
    ];
    let second = [
        mock_page(&server, 1, page(1, 2, 4, [1, 2])),
        mock_page(&server, 2, page(2, 2, 4, [3, 4])),
    ];
    let webhooks = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap();
    assert_eq!(ids(&webhooks), [1, 2, 3, 4]);
    assert_eq!(
        calls(&[&first[0], &first[1], &second[0], &second[1]]),
        [1, 1, 1, 1]
    );
}

/// An account whose count grows with every request: no two pages agree.
fn always_changing(server: &MockServer) -> Vec<Mock<'_>> {
    (0..20u64)
        .flat_map(|pass| {
            let count = 10 + 2 * pass;
            [
                once(server, 1, page(1, 2, count, [1, 2])),
                once(server, 2, page(2, 2, count + 1, [3, 4])),
            ]
        })
        .collect()
}

#[test]
fn an_account_that_changes_on_every_request_fails_after_three_listings() {
    let server = MockServer::start();
    let mocks = always_changing(&server);
    let error = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap_err();
    assert!(
        matches!(error, Error::NoConsistentSnapshot { passes: 3, .. }),
        "{error:?}"
    );
    assert_eq!(error.page(), None);
    let requests: usize = mocks.iter().map(Mock::calls).sum();
    assert_eq!(requests, 6, "two pages per listing, three listings");
}

#[test]
fn max_passes_sets_how_many_listings_are_made() {
    for (passes, expected, requests) in [(5, 5, 10), (1, 1, 2), (0, 1, 2)] {
        let server = MockServer::start();
        let mocks = always_changing(&server);
        let error = client(&server)
            .list_webhooks()
            .per_page(2)
            .max_passes(passes)
            .snapshot()
            .unwrap_err();
        assert!(
            matches!(error, Error::NoConsistentSnapshot { passes, .. } if passes == expected),
            "max_passes({passes}): {error:?}"
        );
        assert_eq!(mocks.iter().map(Mock::calls).sum::<usize>(), requests);
    }
}

#[test]
fn a_failed_request_is_returned_at_once_and_not_listed_again() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 2, 3, [1, 2]));
    let second = server.mock(|when, then| {
        when.path(PATH).query_param("page", "2");
        then.status(404).body("gone");
    });
    let error = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap_err();
    assert_eq!((error.status(), error.page()), (Some(404), Some(2)));
    assert_eq!(calls(&[&first, &second]), [1, 1]);
}

#[test]
fn an_empty_account_is_an_empty_snapshot_in_one_request() {
    let server = MockServer::start();
    let only = mock_page(&server, 1, page(1, 0, 0, []));
    let webhooks = client(&server).list_webhooks().snapshot().unwrap();
    assert!(webhooks.is_empty());
    only.assert_calls(1);
}

/// Case 2 of issue 18: `count` 300 over 3 pages, page 2 holding 50 of its
/// 100; `snapshot()` returned 250 webhooks as a consistent snapshot.
#[test]
fn a_listing_short_of_its_count_is_listed_again_then_not_consistent() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 300, 1..=100)),
        mock_page(&server, 2, page(2, 3, 300, 101..=150)),
        mock_page(&server, 3, page(3, 3, 300, 201..=300)),
    ];

    let error = client(&server).list_webhooks().snapshot().unwrap_err();

    assert!(
        matches!(error, Error::NoConsistentSnapshot { passes: 3, .. }),
        "{error:?}"
    );
    assert_eq!(calls(&[&pages[0], &pages[1], &pages[2]]), [3, 3, 3]);
}

#[test]
fn a_listing_of_more_webhooks_than_its_count_is_not_consistent() {
    let server = MockServer::start();
    // Three webhooks for a count of 2: the third is not kept, and the pass
    // stops there.
    let first = mock_page(&server, 1, page(1, 2, 2, [1, 2]));
    let second = mock_page(&server, 2, page(2, 2, 2, [3]));

    let error = client(&server)
        .list_webhooks()
        .per_page(2)
        .max_passes(2)
        .snapshot()
        .unwrap_err();

    assert!(
        matches!(error, Error::NoConsistentSnapshot { passes: 2, .. }),
        "{error:?}"
    );
    assert_eq!(calls(&[&first, &second]), [2, 2]);
}

/// Case 3 of issue 18: a server claiming `count` 10^12 with fresh ids;
/// `snapshot()` grew to 2.8 GB in 60 s.
#[test]
fn a_count_above_max_items_fails_at_the_first_answer() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, u32::MAX, 1_000_000_000_000, 1..=100));
    let second = mock_page(&server, 2, page(2, u32::MAX, 1_000_000_000_000, 101..=200));

    let error = client(&server).list_webhooks().snapshot().unwrap_err();

    assert!(
        matches!(
            error,
            Error::TooManyItems {
                page: 1,
                count: 1_000_000_000_000,
                limit: 100_000,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "page 1 announces 1000000000000 items, more than the limit of 100000 \
         a snapshot may hold"
    );
    assert_eq!(error.page(), Some(1));
    assert_eq!(calls(&[&first, &second]), [1, 0]);
}

#[test]
fn max_items_sets_the_limit_and_a_count_within_it_passes() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 2, 3, [1, 2]));
    let second = mock_page(&server, 2, page(2, 2, 3, [3]));
    let request = client(&server).list_webhooks().per_page(2);

    let refused = request.clone().max_items(2).snapshot().unwrap_err();
    let held = request.max_items(3).snapshot().unwrap();

    assert!(
        matches!(
            refused,
            Error::TooManyItems {
                page: 1,
                count: 3,
                limit: 2,
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(ids(&held), [1, 2, 3]);
    assert_eq!(calls(&[&first, &second]), [2, 1]);
}

#[test]
fn a_count_that_grows_past_max_items_fails_on_that_page() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 4, [1, 2]));
    let second = mock_page(&server, 2, page(2, 3, 500_000, [3, 4]));
    let third = mock_page(&server, 3, page(3, 3, 500_000, [5, 6]));

    let error = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap_err();

    assert!(
        matches!(
            error,
            Error::TooManyItems {
                page: 2,
                count: 500_000,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(calls(&[&first, &second, &third]), [1, 1, 0]);
}

#[test]
fn a_repeated_id_stops_the_listing_at_that_page() {
    let server = MockServer::start();
    // Page 2 of the first listing repeats webhook 2: page 3 is not requested
    // for it, only by the second listing.
    let first = [
        once(&server, 1, page(1, 3, 5, [1, 2])),
        once(&server, 2, page(2, 3, 5, [2, 3])),
    ];
    let second = [
        mock_page(&server, 1, page(1, 3, 5, [1, 2])),
        mock_page(&server, 2, page(2, 3, 5, [3, 4])),
        mock_page(&server, 3, page(3, 3, 5, [5])),
    ];

    let webhooks = client(&server)
        .list_webhooks()
        .per_page(2)
        .snapshot()
        .unwrap();

    assert_eq!(ids(&webhooks), [1, 2, 3, 4, 5]);
    assert_eq!(calls(&[&first[0], &first[1]]), [1, 1]);
    assert_eq!(calls(&[&second[0], &second[1], &second[2]]), [1, 1, 1]);
}
