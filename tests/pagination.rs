//! How the iterators walk a listing: order, laziness, and exactly when they stop.

mod common;

use common::{client, mock_page, page, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::{Error, WebhookItem};
use serde_json::json;

/// Answers every request no other mock matched with a status the client does
/// not retry. httpmock tries mocks in creation order, so create this one last:
/// its call count is then the number of requests the test did not expect.
fn stray(server: &MockServer) -> Mock<'_> {
    server.mock(|_, then| {
        then.status(418).body("unexpected request");
    })
}

fn ids(items: impl IntoIterator<Item = Result<WebhookItem, Error>>) -> Vec<u64> {
    items
        .into_iter()
        .map(|item| item.expect("every item decodes").id)
        .collect()
}

#[test]
fn lists_every_item_of_every_page_in_order() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 5, [1, 2])),
        mock_page(&server, 2, page(2, 3, 5, [3, 4])),
        mock_page(&server, 3, page(3, 3, 5, [5])),
    ];
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().per_page(2).items());

    assert_eq!(listed, [1, 2, 3, 4, 5]);
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn pages_yields_each_page_once_in_order() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 3, [1, 2])),
        mock_page(&server, 2, page(2, 2, 3, [3])),
    ];
    let stray = stray(&server);

    let listed: Vec<(u32, usize)> = client(&server)
        .list_webhooks()
        .per_page(2)
        .pages()
        .map(|page| page.map(|page| (page.page, page.items.len())))
        .collect::<Result<_, _>>()
        .expect("both pages");

    assert_eq!(listed, [(1, 2), (2, 1)]);
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn take_n_requests_only_the_pages_holding_those_items() {
    // (n, ceil(n / per_page)) with 3 items per page.
    for (n, requests) in [(0, 0), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (9, 3)] {
        let server = MockServer::start();
        let pages = [1u32, 2, 3].map(|p| {
            let last = u64::from(p) * 3;
            mock_page(&server, p, page(p, 3, 9, last - 2..=last))
        });
        let stray = stray(&server);

        let listed = ids(client(&server).list_webhooks().per_page(3).items().take(n));

        assert_eq!(listed, (1..=n as u64).collect::<Vec<_>>(), "take({n})");
        for (i, mock) in pages.iter().enumerate() {
            assert_eq!(
                mock.calls(),
                usize::from(i < requests),
                "take({n}), page {}",
                i + 1
            );
        }
        stray.assert_calls(0);
    }
}

#[test]
fn limit_yields_at_most_that_many_items_and_requests_only_their_pages() {
    // (limit, ids yielded, requests) with 3 items per page and 9 in all.
    for (limit, yielded, requests) in [(0, 0, 0), (2, 2, 1), (3, 3, 1), (4, 4, 2), (20, 9, 3)] {
        let server = MockServer::start();
        let pages = [1u32, 2, 3].map(|p| {
            let last = u64::from(p) * 3;
            mock_page(&server, p, page(p, 3, 9, last - 2..=last))
        });
        let stray = stray(&server);

        let request = client(&server).list_webhooks().per_page(3).limit(limit);
        let listed = ids(request.items());

        assert_eq!(listed, (1..=yielded).collect::<Vec<_>>(), "limit({limit})");
        for (i, mock) in pages.iter().enumerate() {
            let expected = usize::from(i < requests);
            assert_eq!(mock.calls(), expected, "limit({limit}), page {}", i + 1);
        }
        stray.assert_calls(0);
    }
}

#[test]
fn limit_counts_items_after_skipping_duplicates() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 6, [1, 2])),
        mock_page(&server, 2, page(2, 3, 6, [2, 3])),
        mock_page(&server, 3, page(3, 3, 6, [4, 5])),
    ];
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().per_page(2).limit(4));

    assert_eq!(listed, [1, 2, 3, 4]);
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn follows_a_max_page_that_grows_during_the_listing() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 2, [1])),
        mock_page(&server, 2, page(2, 3, 3, [2])),
        mock_page(&server, 3, page(3, 3, 3, [3])),
    ];
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().per_page(1));

    assert_eq!(listed, [1, 2, 3]);
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn stops_at_a_max_page_that_shrinks_during_the_listing() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 3, [1]));
    let second = mock_page(&server, 2, page(2, 2, 2, [2]));
    let third = mock_page(&server, 3, page(3, 3, 3, [3]));

    let listed = ids(client(&server).list_webhooks().per_page(1));

    assert_eq!(listed, [1, 2]);
    first.assert_calls(1);
    second.assert_calls(1);
    third.assert_calls(0);
}

#[test]
fn an_empty_page_before_max_page_ends_the_listing_with_a_count_mismatch_after_every_item() {
    // Ending cleanly here would report 2 of 6 webhooks as the whole account.
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 6, [1, 2]));
    let empty = mock_page(&server, 2, page(2, 3, 6, []));
    let stray = stray(&server);
    let mut items = client(&server).list_webhooks().per_page(2).items();

    let listed: Vec<u64> = items
        .by_ref()
        .take(2)
        .map(|item| item.unwrap().id)
        .collect();
    let error = items.next().expect("an error").unwrap_err();

    assert_eq!(listed, [1, 2]);
    assert!(
        matches!(
            error,
            Error::CountMismatch {
                listed: 2,
                count: 6,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("2 of 6"), "{error}");
    assert!(error.to_string().contains("list again"), "{error}");
    assert_eq!(error.page(), None);
    assert!(items.next().is_none());
    assert_eq!(items.next_page(), None, "resuming cannot fill the gap");
    first.assert_calls(1);
    empty.assert_calls(1);
    stray.assert_calls(0);
}

#[test]
fn an_empty_page_before_max_page_is_a_clean_end_once_count_items_were_listed() {
    // A server whose max_page runs one page ahead of its items.
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 2, [1, 2]));
    let empty = mock_page(&server, 2, page(2, 3, 2, []));
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().per_page(2));

    assert_eq!(listed, [1, 2]);
    first.assert_calls(1);
    empty.assert_calls(1);
    stray.assert_calls(0);
}

#[test]
fn a_page_short_of_per_page_is_no_error_when_the_count_is_met() {
    // A server capping per_page at 2 while 3 were asked for.
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 5, [1, 2])),
        mock_page(&server, 2, page(2, 3, 5, [3, 4])),
        mock_page(&server, 3, page(3, 3, 5, [5])),
    ];
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().per_page(3));

    assert_eq!(listed, [1, 2, 3, 4, 5]);
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn an_empty_page_at_or_past_its_max_page_ends_the_listing() {
    // Webhooks deleted during the listing shrink max_page below the page asked for.
    for (max_page, count) in [(2, 2), (1, 2)] {
        let server = MockServer::start();
        let first = mock_page(&server, 1, page(1, 2, 4, [1, 2]));
        let empty = mock_page(&server, 2, page(2, max_page, count, []));
        let stray = stray(&server);

        let listed = ids(client(&server).list_webhooks().per_page(2));

        assert_eq!(listed, [1, 2], "max_page {max_page}");
        first.assert_calls(1);
        empty.assert_calls(1);
        stray.assert_calls(0);
    }
}

#[test]
fn an_empty_page_with_a_count_of_zero_ends_the_listing_with_a_mismatch_after_the_items() {
    // The account was emptied during the listing: webhook 1 is gone, yet was
    // listed.
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 2, [1]));
    let emptied = mock_page(&server, 2, page(2, 3, 0, []));
    let stray = stray(&server);

    let outcomes: Vec<Result<u64, Error>> = client(&server)
        .list_webhooks()
        .per_page(1)
        .items()
        .map(|item| item.map(|item| item.id))
        .collect();

    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(outcomes[0].as_ref().ok(), Some(&1));
    let error = outcomes[1].as_ref().unwrap_err();
    assert!(
        matches!(
            error,
            Error::CountMismatch {
                listed: 1,
                count: 0,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "1 items were listed for a count of 0; the account may have changed during \
         the listing: list again, or use snapshot()"
    );
    first.assert_calls(1);
    emptied.assert_calls(1);
    stray.assert_calls(0);
}

#[test]
fn a_server_whose_max_page_keeps_running_ahead_stops_after_count_over_per_page_plus_two_pages() {
    // Fresh items on every page, and always one more page announced: without
    // the bound this never ends.
    let server = MockServer::start();
    let per_page = 100u64;
    let count = 300;
    let mocks: Vec<Mock<'_>> = (1..=6u32)
        .map(|n| {
            let first = u64::from(n - 1) * per_page + 1;
            mock_page(&server, n, page(n, n + 1, count, first..first + per_page))
        })
        .collect();
    let stray = stray(&server);
    let mut items = client(&server).list_webhooks().items();

    let mut listed = Vec::new();
    let error = loop {
        match items.next().expect("an error before the end") {
            Ok(item) => listed.push(item.id),
            Err(error) => break error,
        }
    };

    // ceil(300 / 100) + 2 = 5 pages; page 6 is not requested.
    assert_eq!(listed, (1..=500).collect::<Vec<_>>());
    assert!(
        matches!(
            error,
            Error::Runaway {
                page: 6,
                count: 300,
                max_pages: 5,
                received: 500,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.page(), Some(6));
    assert!(items.next().is_none(), "fused after the error");
    assert_eq!(items.next_page(), None, "not resumable");
    let calls: Vec<usize> = mocks.iter().map(Mock::calls).collect();
    assert_eq!(calls, [1, 1, 1, 1, 1, 0]);
    stray.assert_calls(0);
}

#[test]
fn items_past_the_bound_stop_the_listing_duplicates_included() {
    // A count of 1 at 2 per page allows 3 pages: 6 items. Page 2 holds 5
    // more, all repeats of page 1: 7 received, though only 2 are distinct.
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 1, [1, 2]));
    let second = mock_page(&server, 2, page(2, 3, 1, [1, 2, 1, 2, 1]));
    let stray = stray(&server);
    let mut pages = client(&server).list_webhooks().per_page(2).pages();

    let page_1 = pages.next().expect("page 1").expect("within the bound");
    let error = pages.next().expect("an error").unwrap_err();

    assert_eq!(page_1.items.len(), 2);
    assert!(
        matches!(
            error,
            Error::Runaway {
                page: 2,
                count: 1,
                max_pages: 3,
                received: 7,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("at most 3 pages"), "{error}");
    assert!(pages.next().is_none());
    assert_eq!(pages.next_page(), None, "not resumable");
    first.assert_calls(1);
    second.assert_calls(1);
    stray.assert_calls(0);
}

#[test]
fn a_count_of_zero_beside_items_does_not_end_the_listing_early() {
    // Self-contradictory: count 0, yet items and more pages. Ending after page
    // 1 would drop page 2 silently; following max_page lets the count bound judge.
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 2, 0, [1]));
    let second = mock_page(&server, 2, page(2, 2, 2, [2]));
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().per_page(1));

    assert_eq!(listed, [1, 2]);
    first.assert_calls(1);
    second.assert_calls(1);
    stray.assert_calls(0);
}

#[test]
fn stops_when_max_page_is_zero_and_reports_the_items_short_of_count() {
    // count and items still promise more, so only `max_page` can stop it.
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 0, 3, [1]));
    let second = mock_page(&server, 2, page(2, 3, 3, [2]));

    let outcomes: Vec<Result<u64, Error>> = client(&server)
        .list_webhooks()
        .per_page(1)
        .items()
        .map(|item| item.map(|item| item.id))
        .collect();

    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(outcomes[0].as_ref().ok(), Some(&1));
    assert!(
        matches!(
            outcomes[1],
            Err(Error::CountMismatch {
                listed: 1,
                count: 3,
                ..
            })
        ),
        "{outcomes:?}"
    );
    first.assert_calls(1);
    second.assert_calls(0);
}

#[test]
fn an_empty_account_costs_one_request_whatever_its_max_page() {
    // The API does not say whether max_page is 0 or 1 when nothing matches.
    for max_page in [0, 1] {
        let server = MockServer::start();
        let only = mock_page(&server, 1, page(1, max_page, 0, []));
        let stray = stray(&server);

        let listed = ids(client(&server).list_webhooks());

        assert!(listed.is_empty(), "max_page {max_page}: {listed:?}");
        only.assert_calls(1);
        stray.assert_calls(0);
    }
}

#[test]
fn fails_when_server_ignores_the_page_parameter() {
    let server = MockServer::start();
    let always_first = server.mock(|when, then| {
        when.method(GET).path(PATH);
        then.status(200).json_body(page(1, 3, 6, [1, 2]));
    });
    let mut items = client(&server).list_webhooks().per_page(2).items();

    let listed: Vec<_> = items
        .by_ref()
        .take(2)
        .map(|item| item.unwrap().id)
        .collect();
    let error = items.next().expect("an error").unwrap_err();

    assert_eq!(listed, [1, 2]);
    assert!(
        matches!(
            error,
            Error::PageMismatch {
                requested: 2,
                received: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(items.next().is_none());
    always_first.assert_calls(2);
}

#[test]
fn yields_nothing_after_an_error_so_a_loop_that_continues_ends() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 6, [1, 2]));
    let broken = server.mock(|when, then| {
        when.method(GET).path(PATH).query_param("page", "2");
        then.status(404).body("<html>gone</html>");
    });
    let third = mock_page(&server, 3, page(3, 3, 6, [5, 6]));
    let mut items = client(&server).list_webhooks().per_page(2).items();

    let mut outcomes = Vec::new();
    // Bounded, so that an iterator that is not fused fails here instead of spinning.
    for item in items.by_ref().take(10) {
        match item {
            Ok(item) => outcomes.push(Ok(item.id)),
            Err(error) => {
                outcomes.push(Err(error.page()));
                continue;
            }
        }
    }

    // Every item received before the error comes first, then the error, once.
    assert_eq!(outcomes, [Ok(1), Ok(2), Err(Some(2))]);
    assert!(items.next().is_none(), "fused after the error");
    first.assert_calls(1);
    broken.assert_calls(1);
    third.assert_calls(0);
}

#[test]
fn pages_is_fused_after_an_error() {
    let server = MockServer::start();
    let broken = server.mock(|when, then| {
        when.method(GET).path(PATH);
        then.status(404).body("not here");
    });
    let mut pages = client(&server).list_webhooks().pages();

    let error = pages.next().expect("an error").unwrap_err();

    assert_eq!(error.status(), Some(404));
    assert!((0..3).all(|_| pages.next().is_none()));
    broken.assert_calls(1);
}

#[test]
fn skips_items_already_listed_when_pages_shift() {
    // Webhooks created mid-listing push items already seen onto later pages;
    // a duplicate can also sit on one page.
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 6, [1, 2, 3])),
        mock_page(&server, 2, page(2, 3, 6, [3, 4, 5])),
        mock_page(&server, 3, page(3, 3, 6, [5, 6, 6])),
    ];
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().per_page(3));

    assert_eq!(listed, [1, 2, 3, 4, 5, 6]);
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn reports_the_total_and_the_page_to_resume_from() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 3, 5, [1, 2]));
    let mut broken = server.mock(|when, then| {
        when.method(GET).path(PATH).query_param("page", "2");
        then.status(404).body("gone for now");
    });
    let mut items = client(&server).list_webhooks().per_page(2).items();

    assert_eq!((items.total(), items.next_page()), (None, Some(1)));
    assert_eq!(items.next().unwrap().unwrap().id, 1);
    assert_eq!((items.total(), items.next_page()), (Some(5), Some(2)));
    assert_eq!(items.next().unwrap().unwrap().id, 2);
    assert!(items.next().unwrap().is_err());
    assert_eq!(items.next_page(), Some(2), "the page that failed");

    broken.assert_calls(1);
    broken.delete();
    let rest = [
        mock_page(&server, 2, page(2, 3, 5, [3, 4])),
        mock_page(&server, 3, page(3, 3, 5, [5])),
    ];
    let stray = stray(&server);
    let mut resumed = client(&server).list_webhooks().per_page(2).page(2).items();

    assert_eq!(ids(resumed.by_ref()), [3, 4, 5]);
    assert_eq!((resumed.total(), resumed.next_page()), (Some(5), None));
    first.assert_calls(1);
    rest.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn pages_reports_the_total_and_the_next_page() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 3, [1, 2])),
        mock_page(&server, 2, page(2, 2, 3, [3])),
    ];
    let mut listing = client(&server).list_webhooks().per_page(2).pages();

    assert_eq!((listing.total(), listing.next_page()), (None, Some(1)));
    listing.next().unwrap().unwrap();
    assert_eq!((listing.total(), listing.next_page()), (Some(3), Some(2)));
    listing.next().unwrap().unwrap();
    assert_eq!((listing.total(), listing.next_page()), (Some(3), None));
    assert!(listing.next().is_none());
    pages.iter().for_each(|mock| mock.assert_calls(1));
}

#[test]
fn never_requests_a_page_past_the_largest_page_number() {
    let server = MockServer::start();
    let last = mock_page(&server, u32::MAX, page(u32::MAX, u32::MAX, 1, [1]));
    let stray = stray(&server);
    let mut items = client(&server).list_webhooks().page(u32::MAX).items();

    assert_eq!(ids(items.by_ref()), [1]);
    assert_eq!(items.next_page(), None);
    last.assert_calls(1);
    stray.assert_calls(0);
}

#[test]
fn a_max_page_beyond_the_largest_page_number_is_an_error() {
    let server = MockServer::start();
    let first = server.mock(|when, then| {
        when.method(GET).path(PATH).query_param("page", "1");
        then.status(200).json_body(json!({
            "page": 1, "max_page": u64::from(u32::MAX) + 1, "count": 1, "items": [],
        }));
    });
    let stray = stray(&server);
    let mut items = client(&server).list_webhooks().items();

    let error = items.next().expect("an error").unwrap_err();

    assert!(
        matches!(error, Error::Body { page: Some(1), .. }),
        "{error:?}"
    );
    assert!(items.next().is_none());
    first.assert_calls(1);
    stray.assert_calls(0);
}

/// The same 100 webhooks on every page, `count` 100, and always another page
/// announced: pages 1 to 10 are served.
fn repeating_server(server: &MockServer) -> Vec<Mock<'_>> {
    (1..=10u32)
        .map(|n| mock_page(server, n, page(n, u32::MAX, 100, 1..=100)))
        .collect()
}

/// Case 1 of issue 18: `items()` made 47,866 requests in 30 s and was still going.
#[test]
fn repeated_pages_stop_with_runaway_after_count_over_per_page_plus_two_requests() {
    let server = MockServer::start();
    let mocks = repeating_server(&server);
    let stray = stray(&server);

    let outcomes: Vec<Result<u64, Error>> = client(&server)
        .list_webhooks()
        .items()
        .map(|item| item.map(|item| item.id))
        .collect();

    let (listed, errors): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    let listed: Vec<u64> = listed.into_iter().map(Result::unwrap).collect();
    assert_eq!(listed, (1..=100).collect::<Vec<_>>(), "each once");
    assert_eq!(errors.len(), 1);
    let error = errors.into_iter().next().unwrap().unwrap_err();
    // ceil(100 / 100) + 2 = 3 pages, 300 items received.
    assert!(
        matches!(
            error,
            Error::Runaway {
                page: 4,
                count: 100,
                max_pages: 3,
                received: 300,
                ..
            }
        ),
        "{error:?}"
    );
    let calls: Vec<usize> = mocks.iter().map(Mock::calls).collect();
    assert_eq!(calls, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    stray.assert_calls(0);
}

/// Case 1 of issue 18, with a limit the repeats never reach: `.limit(150)`
/// never completed either.
#[test]
fn repeated_pages_stop_with_runaway_under_a_limit_they_never_reach() {
    let server = MockServer::start();
    let mocks = repeating_server(&server);
    let stray = stray(&server);
    let mut items = client(&server).list_webhooks().limit(150).items();

    let listed: Vec<u64> = items
        .by_ref()
        .take(100)
        .map(|item| item.unwrap().id)
        .collect();
    let error = items.next().expect("an error").unwrap_err();

    assert_eq!(listed, (1..=100).collect::<Vec<_>>());
    assert!(matches!(error, Error::Runaway { page: 4, .. }), "{error:?}");
    assert!(items.next().is_none());
    let calls: Vec<usize> = mocks.iter().map(Mock::calls).collect();
    assert_eq!(calls, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    stray.assert_calls(0);
}

/// Case 2 of issue 18: `count` 300 over 3 pages, page 2 holding 50 of its
/// 100; `items()` ended cleanly after 250.
#[test]
fn a_short_page_is_not_reported_complete() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 300, 1..=100)),
        mock_page(&server, 2, page(2, 3, 300, 101..=150)),
        mock_page(&server, 3, page(3, 3, 300, 201..=300)),
    ];
    let stray = stray(&server);
    let mut items = client(&server).list_webhooks().items();

    let listed: Vec<u64> = items
        .by_ref()
        .take(250)
        .map(|item| item.unwrap().id)
        .collect();
    let error = items
        .next()
        .expect("an error after every item")
        .unwrap_err();

    let expected: Vec<u64> = (1..=150).chain(201..=300).collect();
    assert_eq!(listed, expected, "every item first");
    assert!(
        matches!(
            error,
            Error::CountMismatch {
                listed: 250,
                count: 300,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "incomplete listing: 250 of 300 items were listed; the account may have \
         changed during the listing: list again, or use snapshot()"
    );
    assert!(items.next().is_none());
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}

#[test]
fn a_start_page_skips_the_end_check_and_a_limit_does_not() {
    // A listing from page 2 cannot know what came before. A limit used to
    // skip the check too (issue 24, item 2); now a limited listing from page
    // 1 must end with min(limit, count) items: 3 of min(10, 9) is a gap.
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 9, [1, 2])),
        mock_page(&server, 2, page(2, 2, 9, [3])),
    ];
    let stray = stray(&server);

    let from_page_1: Vec<Result<u64, Error>> = client(&server)
        .list_webhooks()
        .per_page(2)
        .page(1)
        .limit(10)
        .items()
        .map(|item| item.map(|item| item.id))
        .collect();
    let from_page_2 = ids(client(&server).list_webhooks().per_page(2).page(2));

    assert_eq!(from_page_1.len(), 4, "{from_page_1:?}");
    assert_eq!(
        from_page_1[..3]
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(
        matches!(
            from_page_1[3],
            Err(Error::CountMismatch {
                listed: 3,
                count: 9,
                ..
            })
        ),
        "{from_page_1:?}"
    );
    assert_eq!(from_page_2, [3]);
    let calls: Vec<usize> = pages.iter().map(Mock::calls).collect();
    assert_eq!(calls, [1, 2]);
    stray.assert_calls(0);
}

/// Issue 24, item 2: a listing that announces 300 and ends after 100 (page
/// 2 is short: empty) was a CountMismatch without a limit, but complete
/// with `--limit 150` or `--limit 1000`. A limited listing from page 1 must
/// end with min(limit, count) items or an error after them.
#[test]
fn a_limit_does_not_turn_the_completeness_check_off() {
    for limit in [None, Some(150), Some(1000)] {
        let server = MockServer::start();
        let pages = [
            mock_page(&server, 1, page(1, 3, 300, 1..=100)),
            mock_page(&server, 2, page(2, 3, 300, [])),
        ];
        let stray = stray(&server);
        let mut request = client(&server).list_webhooks();
        if let Some(limit) = limit {
            request = request.limit(limit);
        }
        let mut items = request.items();

        let listed: Vec<u64> = items
            .by_ref()
            .take(100)
            .map(|item| item.unwrap().id)
            .collect();
        let error = items.next().expect("an error after every item");

        assert_eq!(listed, (1..=100).collect::<Vec<_>>(), "{limit:?}");
        assert!(
            matches!(
                error,
                Err(Error::CountMismatch {
                    listed: 100,
                    count: 300,
                    ..
                })
            ),
            "{limit:?}: {error:?}"
        );
        assert!(items.next().is_none());
        let calls: Vec<usize> = pages.iter().map(Mock::calls).collect();
        assert_eq!(calls, [1, 1], "{limit:?}");
        stray.assert_calls(0);
    }
}

#[test]
fn a_limit_met_before_a_short_page_is_complete() {
    // min(100, 300) = 100 items: the limit is met on page 1, which is all
    // that is requested.
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 300, 1..=100)),
        mock_page(&server, 2, page(2, 3, 300, [])),
    ];
    let stray = stray(&server);

    let listed = ids(client(&server).list_webhooks().limit(100));

    assert_eq!(listed, (1..=100).collect::<Vec<_>>());
    let calls: Vec<usize> = pages.iter().map(Mock::calls).collect();
    assert_eq!(calls, [1, 0]);
    stray.assert_calls(0);
}

#[test]
fn size_hint_is_what_the_current_page_still_holds() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 1, 3, [1, 2, 3]));
    let mut items = client(&server).list_webhooks().items();

    let before = items.size_hint();
    items.next().unwrap().unwrap();
    let after_one = items.size_hint();

    // Nothing is known of pages not received, so no upper bound.
    assert_eq!(before, (0, None));
    assert_eq!(after_one, (2, None));
    first.assert_calls(1);
}

#[test]
fn duplicates_counts_the_items_left_out_and_debug_shows_the_state() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 4, [1, 2, 3])),
        mock_page(&server, 2, page(2, 2, 4, [3, 2, 4])),
    ];
    let mut listing = client(&server).list_webhooks().per_page(3).pages();

    listing.next().unwrap().unwrap();
    let second = listing.next().unwrap().unwrap();

    assert_eq!(second.items.len(), 1, "only webhook 4 is new");
    assert_eq!(listing.duplicates(), 2);
    let debug = format!("{listing:?}");
    // The settings, where the listing is, and what it received.
    for part in [
        "Pages",
        "settings",
        "per_page: 3",
        "state",
        "count: Some(4)",
        "listed: 4",
    ] {
        assert!(debug.contains(part), "{part} not in {debug}");
    }
    common::assert_no_key_piece(&debug);
    let items = client(&server).list_webhooks().per_page(3).items();
    let debug = format!("{items:?}");
    assert!(debug.starts_with("Items { pages: Pages {"), "{debug}");
    assert!(debug.contains("buffered: 0"), "{debug}");
    pages.iter().for_each(|mock| mock.assert_calls(1));
}

#[test]
fn a_listing_started_on_one_thread_finishes_on_another_still_leaving_out_repeats() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 3, [1, 2])),
        mock_page(&server, 2, page(2, 2, 3, [2, 3])),
    ];
    let stray = stray(&server);
    // One type parameter: the item. How items are told apart is the endpoint's.
    let mut items: partoo_webhooks::Items<WebhookItem> =
        client(&server).list_webhooks().per_page(2).items();
    let first = items.next().unwrap().unwrap().id;

    let rest = std::thread::spawn(move || ids(items)).join().unwrap();

    assert_eq!((first, rest), (1, vec![2, 3]));
    pages.iter().for_each(|mock| mock.assert_calls(1));
    stray.assert_calls(0);
}
