//! Properties of listings against hostile servers, on the scripted server of
//! `common::raw`:
//!
//! - whatever faults a server mixes into a listing, the items yielded are
//!   exactly its items, in order, each once, or an error comes after a
//!   correct prefix; and the iterator always ends (a model of the retry
//!   policy predicts the outcome and the request count);
//! - whatever a server answers (ids repeated or missing, empty pages, a
//!   `count` and a `max_page` that lie or change), every entry point keeps
//!   the listing contract: its requests stay within the bound, an `Ok` end of
//!   a whole listing means exactly `count` distinct items (`min(limit,
//!   count)` with a limit), and nothing panics or runs on;
//! - against an account that changes while it is listed (webhooks deleted,
//!   created, both at once, or updated, between any two requests), the same
//!   contract holds, and a snapshot that returns `Ok` returns a state the
//!   account actually had.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use common::raw::{self, assert_key_hidden, client_at, RawServer, Step};
use common::workers::prefetch_threads_settled;
use common::{page, Sleeps, KEY};
use partoo_webhooks::{Client, Error, WebhookItem};
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

/// The tests here count this process's prefetching threads, so they run one
/// at a time: every worker alive is then one of the running test's listings'.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The pages of every request, sorted, once the workers of dropped listings
/// have left: no request of theirs can arrive after that.
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
        (End::Exhausted(page), Error::RetriesExhausted { attempts, last, .. }) => {
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
            Error::Status { status: 401, .. }
        ) | (End::Fatal(_, Outcome::Garbage), Error::Body { .. })
            | (End::Exhausted(_), Error::Status { status: 503, .. })
            | (End::Exhausted(_), Error::Status { status: 429, .. })
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
        let _serial = serial();
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
            // prefetching (in another order); past it, never more than
            // `prefetch` pages beyond, each fetched once: a page requested
            // ahead runs its whole fetch on its own thread, so when the
            // listing ends meanwhile its retries still run (at most
            // `max_retries` of them; the old workers stopped retrying).
            let last = expected_pages.last().copied().flatten().unwrap_or(1);
            let settled = settled_requests(&server);
            let (within, beyond): (Vec<_>, Vec<_>) =
                settled.into_iter().partition(|page| *page <= Some(last));
            prop_assert_eq!(within, expected_pages, "the requests up to page {}", last);
            let beyond: Vec<u32> = beyond.into_iter().flatten().collect();
            for page in &beyond {
                let requests = beyond.iter().filter(|p| *p == page).count();
                prop_assert!(requests <= 1 + max_retries as usize, "page {} requested {} times", page, requests);
            }
            prop_assert!(beyond.iter().all(|page| *page <= last + prefetch as u32), "{:?}", beyond);
        }
    }
}

// ---- The listing contract against an arbitrary server ----------------------

/// The pages a hostile server scripts; requests past them get a 418.
const SCRIPTED: usize = 8;

/// What the server answers for one page, to every request for it.
#[derive(Debug, Clone)]
struct Answer {
    ids: Vec<u64>,
    count: u64,
    max_page: u32,
}

/// How a page of an honest listing is changed.
#[derive(Debug, Clone)]
enum Edit {
    Keep,
    Ids(Vec<u64>),
    Count(u64),
    MaxPage(u32),
    Empty,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        12 => Just(Edit::Keep),
        // Ids repeated, missing, out of order, beyond the honest ones.
        1 => prop::collection::vec(1u64..=16, 0..=6).prop_map(Edit::Ids),
        1 => (0u64..=20).prop_map(Edit::Count),
        1 => (0u32..=10).prop_map(Edit::MaxPage),
        1 => Just(Edit::Empty),
    ]
}

/// A listing of `total` webhooks at `per_page` a page, as an honest server
/// answers it, with an edit per page.
fn hostile_server() -> impl Strategy<Value = (u32, Vec<Answer>)> {
    (1u32..=4, 0u64..=12, prop::collection::vec(edit(), SCRIPTED)).prop_map(
        |(per_page, total, edits)| {
            let size = u64::from(per_page);
            let max_page = total.div_ceil(size) as u32;
            let answers = edits
                .into_iter()
                .zip(1u64..)
                .map(|(edit, n)| {
                    let first = (n - 1) * size + 1;
                    let mut answer = Answer {
                        ids: (first..=(n * size).min(total)).collect(),
                        count: total,
                        max_page,
                    };
                    match edit {
                        Edit::Keep => {}
                        Edit::Ids(ids) => answer.ids = ids,
                        Edit::Count(count) => answer.count = count,
                        Edit::MaxPage(max_page) => answer.max_page = max_page,
                        Edit::Empty => answer.ids.clear(),
                    }
                    answer
                })
                .collect();
            (per_page, answers)
        },
    )
}

/// A server answering page `n` with `answers[n - 1]`, up to `copies` times.
fn serve(answers: &[Answer], copies: usize) -> RawServer {
    let scripts = answers
        .iter()
        .zip(1u32..)
        .map(|(answer, n)| {
            let body = page(n, answer.max_page, answer.count, answer.ids.iter().copied());
            vec![Step::Send(raw::json_response(200, &body)); copies]
        })
        .collect();
    RawServer::start_per_page(scripts)
}

/// The most pages any one listing of this server may request: no answer's
/// `count` is above the largest, and the page size the bound uses is never
/// below that of page 1's answer (or 1).
fn bound(per_page: u32, answers: &[Answer]) -> usize {
    let largest = answers.iter().map(|a| a.count).max().unwrap_or(0);
    let first = answers[0].ids.len() as u64;
    let size = u64::from(per_page).min(first).max(1);
    (largest.div_ceil(size) + 2) as usize
}

/// Requests the server saw, once the workers of ended listings have left.
fn settled_count(server: &RawServer) -> usize {
    assert_eq!(
        prefetch_threads_settled(),
        0,
        "workers outlived their listing"
    );
    server.request_count()
}

/// Calls `next` until the end (at most `limit` times), returning the items
/// and the errors.
fn drain<I, T>(iter: &mut I, limit: usize) -> (Vec<T>, Vec<Error>, bool)
where
    I: Iterator<Item = Result<T, Error>>,
{
    let (mut items, mut errors) = (Vec::new(), Vec::new());
    for _ in 0..limit {
        match iter.next() {
            Some(Ok(item)) => items.push(item),
            Some(Err(error)) => errors.push(error),
            None => return (items, errors, true),
        }
    }
    (items, errors, false)
}

/// What every ended listing must show: it ended, with one error at most,
/// and that error last; no id yielded twice (the listing is far within the
/// duplicate filter's window).
fn assert_well_ended(ids: &[u64], errors: &[Error], ended: bool) -> Result<(), TestCaseError> {
    prop_assert!(ended, "still yielding: {:?} {:?}", ids, errors);
    prop_assert!(errors.len() <= 1, "{:?}", errors);
    let distinct: HashSet<u64> = ids.iter().copied().collect();
    prop_assert_eq!(distinct.len(), ids.len(), "an id yielded twice: {:?}", ids);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_entry_point_keeps_the_listing_contract_against_any_server(
        (per_page, answers) in hostile_server(),
        prefetch in prop_oneof![Just(0usize), 1usize..=3],
        limit in 1u64..=14,
        stop_after in 0usize..=6,
    ) {
        let _serial = serial();
        let bound = bound(per_page, &answers);
        // Room to see a listing run on: far more calls than items it may yield.
        let calls = 100 * (bound + 1);

        // items(): the whole listing.
        let server = serve(&answers, 1);
        let request = client_at(server.base_url()).list_webhooks().per_page(per_page).prefetch(prefetch);
        let mut items = request.items();
        let (listed, errors, ended) = drain(&mut items, calls);
        let ids: Vec<u64> = listed.iter().map(|item| item.id).collect();
        assert_well_ended(&ids, &errors, ended)?;
        let total = items.total();
        drop(items);
        prop_assert!(settled_count(&server) <= bound, "items(): {} > {}", server.request_count(), bound);
        if errors.is_empty() {
            prop_assert_eq!(Some(ids.len() as u64), total, "items() ended Ok with {:?}", ids);
        }

        // pages(): the same contract, page by page.
        let server = serve(&answers, 1);
        let mut pages = client_at(server.base_url()).list_webhooks().per_page(per_page).prefetch(prefetch).pages();
        let (listed, errors, ended) = drain(&mut pages, calls);
        let ids: Vec<u64> = listed.iter().flat_map(|p| p.items.iter().map(|item| item.id)).collect();
        assert_well_ended(&ids, &errors, ended)?;
        let last_count = listed.last().map(|page| page.count);
        drop(pages);
        prop_assert!(settled_count(&server) <= bound, "pages()");
        if errors.is_empty() {
            prop_assert_eq!(last_count, Some(ids.len() as u64), "pages() ended Ok with {:?}", ids);
        }

        // .limit(n): within the bound and the limit, and (since issue 24: a
        // limit used to turn the end check off) an Ok end means exactly
        // min(limit, count) items.
        let server = serve(&answers, 1);
        let request = client_at(server.base_url()).list_webhooks().per_page(per_page).prefetch(prefetch);
        let mut limited = request.limit(limit).items();
        let (listed, errors, ended) = drain(&mut limited, calls);
        let ids: Vec<u64> = listed.iter().map(|item| item.id).collect();
        assert_well_ended(&ids, &errors, ended)?;
        prop_assert!(ids.len() as u64 <= limit);
        if errors.is_empty() {
            let expected = limited.total().map(|count| count.min(limit));
            prop_assert_eq!(Some(ids.len() as u64), expected, ".limit({}) ended Ok", limit);
        }
        drop(limited);
        prop_assert!(settled_count(&server) <= bound, ".limit({})", limit);

        // Dropped mid-way: returns, and no request starts after it beyond
        // those already in flight.
        let server = serve(&answers, 1);
        let mut items = client_at(server.base_url()).list_webhooks().per_page(per_page).prefetch(prefetch).items();
        let taken = items.by_ref().take(stop_after).count();
        drop(items);
        prop_assert!(taken <= stop_after);
        prop_assert!(settled_count(&server) <= bound, "dropped after {}", taken);

        // snapshot(): each pass within the bound; an Ok snapshot is exactly
        // the count its pages agreed on.
        let passes = 3;
        let server = serve(&answers, passes);
        let snapshot = client_at(server.base_url())
            .list_webhooks()
            .per_page(per_page)
            .prefetch(prefetch)
            .max_passes(passes as u32)
            .snapshot();
        prop_assert!(settled_count(&server) <= passes * bound, "snapshot()");
        match snapshot {
            Ok(webhooks) => {
                let ids: HashSet<u64> = webhooks.iter().map(|w| w.id).collect();
                prop_assert_eq!(ids.len(), webhooks.len());
                prop_assert_eq!(webhooks.len() as u64, answers[0].count, "{:?}", ids);
            }
            Err(error) => assert_key_hidden(&error),
        }
    }
}

// ---- An account that changes while it is listed ----------------------------

/// The names a listing's JSON uses, and one it does not.
const NAMES: [&str; 12] = [
    "page",
    "max_page",
    "count",
    "items",
    "id",
    "url",
    "event_type",
    "created_at",
    "updated_at",
    "org_id",
    "custom_headers",
    "other",
];

/// Any JSON a server could send: scalars of every kind, and lists and
/// objects of them, nested, under the names of a listing.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        // The key, echoed: no error may show it.
        Just(Value::from(KEY)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((prop::sample::select(&NAMES[..]), inner), 0..7).prop_map(
                |fields| Value::Object(
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever a 200 holds (bytes, or JSON of any shape), a request of a
    /// page and a whole listing end with items or an error: never a panic,
    /// never more requests than the bound, never the key in an error.
    #[test]
    fn any_body_of_a_200_ends_a_listing_with_items_or_an_error(
        body in prop_oneof![
            any::<Vec<u8>>(),
            ".{0,40}".prop_map(|text| format!("<p>{text}{KEY}</p>").into_bytes()),
            any_json().prop_map(|value| value.to_string().into_bytes()),
            (0u32..3, 0u32..4, 0u64..6, prop::collection::vec(0u64..5, 0..4))
                .prop_map(|(n, last, count, ids)| page(n, last, count, ids).to_string().into_bytes()),
        ],
    ) {
        let server = RawServer::start(vec![Step::Send(raw::response(200, &[], &body)); 8]);
        let client = client_at(server.base_url());

        let sent = client.list_webhooks().send();
        let (ids, errors, ended) = drain(&mut client.list_webhooks().items().map(|r| r.map(|i| i.id)), 10_000);

        if let Err(error) = &sent {
            assert_key_hidden(error);
        }
        errors.iter().for_each(assert_key_hidden);
        assert_well_ended(&ids, &errors, ended)?;
        // One request for `send`; the listing's page 2 can only repeat page
        // 1's answer, whose `page` is not 2 (or page 1 was refused).
        prop_assert!(server.request_count() <= 3, "{} requests", server.request_count());
    }
}

/// A change to the account; indexes are taken modulo the places there are.
#[derive(Debug, Clone, Copy)]
enum Change {
    Delete(usize),
    Create(usize),
    /// One webhook deleted and another created at once: `count` and
    /// `max_page` stay as they were while every webhook between the two
    /// places shifts by one (issue 24, item 1).
    DeleteAndCreate(usize, usize),
    /// A new URL (and version) for one webhook: same ids, another state.
    Update(usize),
}

fn change() -> impl Strategy<Value = Change> {
    let at = || 0usize..16;
    prop_oneof![
        1 => at().prop_map(Change::Delete),
        1 => at().prop_map(Change::Create),
        3 => (at(), at()).prop_map(|(gone, new)| Change::DeleteAndCreate(gone, new)),
        1 => at().prop_map(Change::Update),
    ]
}

/// A webhook as the account holds it: its id and the version of its URL.
type Webhook = (u64, u32);

/// The account: its webhooks in the server's order, the changes to come
/// (each after the request of that number), and every state it had.
struct Account {
    webhooks: Vec<Webhook>,
    changes: Vec<(usize, Change)>,
    requests: usize,
    next_id: u64,
    states: Vec<Vec<Webhook>>,
}

impl Account {
    fn apply(&mut self, change: Change) {
        let len = self.webhooks.len();
        let mut create = |webhooks: &mut Vec<Webhook>, at: usize| {
            webhooks.insert(at % (webhooks.len() + 1), (self.next_id, 0));
            self.next_id += 1;
        };
        match change {
            Change::Delete(at) if len > 0 => {
                self.webhooks.remove(at % len);
            }
            Change::Create(at) => create(&mut self.webhooks, at),
            Change::DeleteAndCreate(gone, new) if len > 0 => {
                self.webhooks.remove(gone % len);
                create(&mut self.webhooks, new);
            }
            Change::Update(at) if len > 0 => self.webhooks[at % len].1 += 1,
            _ => return,
        }
        self.states.push(self.webhooks.clone());
    }

    /// The answer to `page` of `per_page` from the state of now.
    fn answer(&self, page: u32, per_page: usize) -> serde_json::Value {
        let count = self.webhooks.len();
        let first = (page as usize - 1).saturating_mul(per_page).min(count);
        let items: Vec<serde_json::Value> = self.webhooks[first..(first + per_page).min(count)]
            .iter()
            .map(|&(id, version)| {
                let mut webhook = common::webhook(id);
                webhook["url"] = url(id, version).into();
                webhook
            })
            .collect();
        json!({
            "page": page,
            "max_page": count.div_ceil(per_page),
            "count": count,
            "items": items,
        })
    }
}

fn url(id: u64, version: u32) -> String {
    format!("https://hooks.example.com/{id}/v{version}")
}

/// A server of an [`Account`], answering one request at a time (so that
/// every answer is of one state), and applying the changes due after it.
struct ShiftingServer {
    addr: std::net::SocketAddr,
    account: Arc<Mutex<Account>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl ShiftingServer {
    fn start(initial: u64, changes: Vec<(usize, Change)>) -> ShiftingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let webhooks: Vec<Webhook> = (1..=initial).map(|id| (id, 0)).collect();
        let account = Arc::new(Mutex::new(Account {
            states: vec![webhooks.clone()],
            webhooks,
            changes,
            requests: 0,
            next_id: initial + 1,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (account, stop) = (Arc::clone(&account), Arc::clone(&stop));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Ok(stream) = stream {
                        answer_from(stream, &account);
                    }
                }
            })
        };
        ShiftingServer {
            addr,
            account,
            stop,
            thread: Some(thread),
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    fn requests(&self) -> usize {
        self.account.lock().unwrap().requests
    }

    /// Every state the account had, as (id, URL) lists.
    fn states(&self) -> Vec<Vec<(u64, String)>> {
        let account = self.account.lock().unwrap();
        let shown = |state: &Vec<Webhook>| state.iter().map(|&(id, v)| (id, url(id, v))).collect();
        account.states.iter().map(shown).collect()
    }

    /// The most pages any one listing of this account may request, as
    /// [`bound`] for the answers of every state it had.
    fn bound(&self, per_page: u32) -> usize {
        let account = self.account.lock().unwrap();
        let per_page = per_page as usize;
        let largest = account.states.iter().map(Vec::len).max().unwrap_or(0);
        let smallest_page = account
            .states
            .iter()
            .map(|state| state.len().min(per_page))
            .min();
        largest.div_ceil(smallest_page.unwrap_or(1).max(1)) + 2
    }
}

impl Drop for ShiftingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer_from(mut stream: TcpStream, account: &Mutex<Account>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split(' ').nth(1).unwrap_or_default();
    let param = |name: &str| {
        let query = target.split_once('?').map_or("", |(_, query)| query);
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|n| n.parse::<u32>().ok())
    };
    let (page, per_page) = (param("page").unwrap_or(1), param("per_page").unwrap_or(100));
    let mut account = account.lock().unwrap();
    let body = account.answer(page.max(1), per_page.max(1) as usize);
    account.requests += 1;
    let due: Vec<Change> = account
        .changes
        .iter()
        .filter(|(after, _)| *after == account.requests)
        .map(|(_, change)| *change)
        .collect();
    due.into_iter().for_each(|change| account.apply(change));
    drop(account);
    let _ = stream.write_all(&raw::json_response(200, &body));
}

/// The server's `states` as the snapshot's items: (id, URL) in order.
fn as_state(webhooks: &[WebhookItem]) -> Vec<(u64, String)> {
    webhooks.iter().map(|w| (w.id, w.url.clone())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn listings_of_an_account_that_changes_keep_the_contract_and_snapshots_are_states_it_had(
        per_page in 1u32..=4,
        initial in 0u64..=10,
        changes in prop::collection::vec((1usize..=6, change()), 0..=4),
        prefetch in prop_oneof![Just(0usize), 1usize..=3],
    ) {
        let _serial = serial();
        let client = |server: &ShiftingServer| client_at(server.base_url());

        // items(): within the bound; an Ok end is exactly `count` items.
        let server = ShiftingServer::start(initial, changes.clone());
        let mut items = client(&server).list_webhooks().per_page(per_page).prefetch(prefetch).items();
        let (listed, errors, ended) = drain(&mut items, 1000);
        let ids: Vec<u64> = listed.iter().map(|item| item.id).collect();
        assert_well_ended(&ids, &errors, ended)?;
        let total = items.total();
        drop(items);
        prop_assert_eq!(prefetch_threads_settled(), 0);
        let bound = server.bound(per_page);
        prop_assert!(server.requests() <= bound, "items(): {} > {}", server.requests(), bound);
        if errors.is_empty() {
            prop_assert_eq!(Some(ids.len() as u64), total, "items() ended Ok with {:?}", ids);
        }
        drop(server);

        // snapshot(): each listing within the bound; Ok is a state the
        // account had, whatever changed between or during the listings.
        let passes = 3;
        let server = ShiftingServer::start(initial, changes.clone());
        let snapshot = client(&server)
            .list_webhooks()
            .per_page(per_page)
            .prefetch(prefetch)
            .max_passes(passes)
            .snapshot();
        prop_assert_eq!(prefetch_threads_settled(), 0);
        let bound = server.bound(per_page);
        prop_assert!(server.requests() <= passes as usize * bound, "snapshot(): {} requests", server.requests());
        match snapshot {
            Ok(webhooks) => {
                let state = as_state(&webhooks);
                let states = server.states();
                prop_assert!(states.contains(&state), "{:?} is none of {:?}", state, states);
            }
            Err(error) => prop_assert!(
                matches!(error, Error::NoConsistentSnapshot { passes: 3, .. }),
                "{:?}", error
            ),
        }
    }
}
