//! Property: whatever faults a server mixes into a listing, the items yielded
//! are exactly its items, in order, each once, or an error comes after a
//! correct prefix; and the iterator always ends.
//!
//! Each case is a random listing served by the scripted server of
//! `common::raw`, with a random fault (or none) drawn for every request, and
//! a model of the retry policy predicting the outcome and the request count.

mod common;

use std::time::Duration;

use common::raw::{self, assert_key_hidden, RawServer, Step};
use common::workers::prefetch_threads_settled;
use common::{page, Sleeps, KEY};
use partoo_webhooks::{Client, Error};
use proptest::prelude::*;
use serde_json::json;

/// What the server does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Serve,
    Unavailable,
    RateLimited,
    Cut,
    Unauthorized,
    Garbage,
}

impl Outcome {
    fn retryable(self) -> bool {
        matches!(
            self,
            Outcome::Unavailable | Outcome::RateLimited | Outcome::Cut
        )
    }

    fn step(self, body: &serde_json::Value) -> Step {
        Step::Send(match self {
            Outcome::Serve => raw::json_response(200, body),
            Outcome::Unavailable => raw::response(503, &[], b"<html>down</html>"),
            Outcome::RateLimited => raw::response(429, &[("Retry-After", "0")], b""),
            Outcome::Cut => raw::cut_short(body, body.to_string().len() / 2),
            Outcome::Unauthorized => raw::json_response(
                401,
                &json!({"errors": {"authentication": "User not authenticated"}}),
            ),
            Outcome::Garbage => raw::response(200, &[], b"<html>maintenance</html>"),
        })
    }
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        10 => Just(Outcome::Serve),
        2 => Just(Outcome::Unavailable),
        2 => Just(Outcome::RateLimited),
        2 => Just(Outcome::Cut),
        1 => Just(Outcome::Unauthorized),
        1 => Just(Outcome::Garbage),
    ]
}

/// One page of the listing: its item count, and the faults served for it
/// before it is served whole.
#[derive(Debug, Clone)]
struct PagePlan {
    items: usize,
    faults: Vec<Outcome>,
}

fn page_plan() -> impl Strategy<Value = PagePlan> {
    (1usize..=5, prop::collection::vec(outcome(), 1..=4)).prop_map(|(items, draws)| PagePlan {
        items,
        // One draw per request; the first `Serve` ends the faults of this page.
        faults: draws
            .into_iter()
            .take_while(|o| *o != Outcome::Serve)
            .collect(),
    })
}

/// How the model expects the listing to end.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Complete,
    /// A failure that is never retried, on this page.
    Fatal(u32, Outcome),
    /// Retries ran out on this page.
    Exhausted(u32),
}

/// What the client should do: the page of each request, the ids yielded, the end.
fn model(plans: &[PagePlan], max_retries: u32) -> (Vec<u32>, Vec<u64>, End) {
    let (mut requests, mut ids) = (Vec::new(), Vec::new());
    let mut next_id = 1;
    for (index, plan) in plans.iter().enumerate() {
        let number = index as u32 + 1;
        for (retried, fault) in (0..).zip(&plan.faults) {
            requests.push(number);
            if !fault.retryable() {
                return (requests, ids, End::Fatal(number, *fault));
            }
            if retried == max_retries {
                return (requests, ids, End::Exhausted(number));
            }
        }
        requests.push(number);
        ids.extend(next_id..next_id + plan.items as u64);
        next_id += plan.items as u64;
    }
    (requests, ids, End::Complete)
}

/// The server's script for each page: its faults, then the page itself.
fn script(plans: &[PagePlan]) -> Vec<Vec<Step>> {
    let total: usize = plans.iter().map(|p| p.items).sum();
    let mut steps = Vec::new();
    let mut next_id = 1;
    for (index, plan) in plans.iter().enumerate() {
        let ids = next_id..next_id + plan.items as u64;
        next_id = ids.end;
        let body = page(index as u32 + 1, plans.len() as u32, total as u64, ids);
        let mut page_steps: Vec<Step> = plan.faults.iter().map(|f| f.step(&body)).collect();
        page_steps.push(Outcome::Serve.step(&body));
        steps.push(page_steps);
    }
    steps
}

/// The pages of every request, sorted, once the workers of dropped listings
/// have left: no request of theirs can arrive after that. (This file holds one
/// test, so every worker alive is one of its listings'.)
fn settled_requests(server: &RawServer) -> Vec<Option<u32>> {
    assert_eq!(
        prefetch_threads_settled(),
        0,
        "prefetching workers outlived their listing"
    );
    let mut pages: Vec<Option<u32>> = server.requests().iter().map(|r| r.page()).collect();
    pages.sort_unstable();
    pages
}

fn assert_expected_error(error: &Error, end: &End, max_retries: u32) {
    let (page, last) = match (end, error) {
        (End::Fatal(page, _), error) => (*page, error),
        (End::Exhausted(page), Error::RetriesExhausted { attempts, last }) => {
            assert_eq!(*attempts, max_retries + 1, "{error:?}");
            (*page, &**last)
        }
        // With retrying disabled the first failure is reported as it is.
        (End::Exhausted(page), error) if max_retries == 0 => (*page, error),
        (end, error) => panic!("expected {end:?}, got {error:?}"),
    };
    let kind_matches = matches!(
        (end, last),
        (
            End::Fatal(_, Outcome::Unauthorized),
            Error::Unauthorized { .. }
        ) | (End::Fatal(_, Outcome::Garbage), Error::Decode { .. })
            | (End::Exhausted(_), Error::Status { status: 503, .. })
            | (End::Exhausted(_), Error::RateLimited { .. })
            | (End::Exhausted(_), Error::Connection { .. })
    );
    assert!(kind_matches, "expected {end:?}, got {error:?}");
    assert_eq!(error.page(), Some(page), "{error:?}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn items_are_the_servers_in_order_once_or_an_error_follows_a_correct_prefix(
        plans in prop::collection::vec(page_plan(), 1..6),
        max_retries in 0u32..=3,
        prefetch in prop_oneof![2 => Just(0usize), 1 => 1usize..=3],
    ) {
        let (expected_requests, expected_ids, end) = model(&plans, max_retries);
        let server = RawServer::start_per_page(script(&plans));
        let sleeps = Sleeps::default();
        let client = sleeps
            .install(Client::builder().api_key(KEY).base_url(server.base_url()))
            .max_retries(max_retries)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();

        let mut items = client.list_webhooks().prefetch(prefetch).items();
        let (mut ids, mut errors) = (Vec::new(), Vec::new());
        // Every item, one error at most, then None: anything more is a runaway.
        let bound = expected_ids.len() + 2;
        let mut ended = false;
        for _ in 0..bound {
            match items.next() {
                Some(Ok(item)) => ids.push(item.id),
                Some(Err(error)) => errors.push(error),
                None => {
                    ended = true;
                    break;
                }
            }
        }

        prop_assert!(ended, "still yielding after {bound} calls: {ids:?} {errors:?}");
        prop_assert!(items.next().is_none(), "yielded again after ending");
        prop_assert_eq!(&ids, &expected_ids);
        match &end {
            End::Complete => prop_assert!(errors.is_empty(), "{:?}", errors),
            _ => {
                prop_assert_eq!(errors.len(), 1, "{:?}", errors);
                assert_key_hidden(&errors[0]);
                assert_expected_error(&errors[0], &end, max_retries);
            }
        }
        drop(items);
        let expected_pages: Vec<Option<u32>> = expected_requests.into_iter().map(Some).collect();
        if prefetch == 0 {
            let pages: Vec<Option<u32>> = server.requests().iter().map(|r| r.page()).collect();
            prop_assert_eq!(pages, expected_pages, "the requests, by page");
        } else {
            // Up to the page the listing ended on, the same requests as without
            // prefetching (in another order); past it, each page at most once,
            // and never more than `prefetch` pages beyond.
            let last = expected_pages.last().copied().flatten().unwrap_or(1);
            let settled = settled_requests(&server);
            let (within, beyond): (Vec<_>, Vec<_>) =
                settled.into_iter().partition(|page| *page <= Some(last));
            prop_assert_eq!(within, expected_pages, "the requests up to page {}", last);
            let mut beyond: Vec<u32> = beyond.into_iter().flatten().collect();
            let distinct = beyond.len();
            beyond.dedup();
            prop_assert_eq!(beyond.len(), distinct, "a page past the end requested twice");
            prop_assert!(beyond.iter().all(|page| *page <= last + prefetch as u32), "{:?}", beyond);
        }
    }
}
