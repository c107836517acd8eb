//! The listings under test, each run in a child process of its own (this bench
//! binary, re-executed with `--child`) so that the whole process is measured.

use std::io::{self, BufWriter, Write};
use std::time::Duration;

use partoo_webhooks::{Client, WebhookItem};
use serde::Deserialize;
use ureq::Agent;

pub const KEY: &str = "bench-key";
pub const PER_PAGE: u32 = 100;
pub const PREFETCH: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// The crate: `list_webhooks().per_page(100).items()`.
    Crate,
    /// The crate with `.prefetch(4)`.
    Prefetch,
    /// The crate, sequential, in a process that first started one thread and
    /// waited for its end. From then on, in every thread, glibc's malloc locks
    /// an arena or does an atomic compare-and-swap on every call its per-thread
    /// cache cannot serve: the floor under any listing that uses a thread, such
    /// as a prefetching one.
    Threaded,
    /// The hand-written loop of issue 9: `Agent::new_with_defaults()`, each
    /// body read whole and decoded into a typed page.
    Loop,
    /// The loop on an agent with the crate's timeouts, ureq's own:
    /// `timeout_global` 30 s and `timeout_connect` 10 s. What bounding every
    /// request costs in ureq itself (under a global timeout, ureq resolves the
    /// host name on a thread of its own whenever it opens a connection).
    LoopTimeouts,
    /// The hand-written equivalent of `partoo-webhooks list --format jsonl`:
    /// the loop, printing each item with `serde_json::to_writer` to a
    /// `BufWriter` on standard output.
    JsonlLoop,
}

impl Listing {
    const ALL: [Listing; 6] = [
        Listing::Crate,
        Listing::Prefetch,
        Listing::Threaded,
        Listing::Loop,
        Listing::LoopTimeouts,
        Listing::JsonlLoop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Listing::Crate => "crate",
            Listing::Prefetch => "prefetch",
            Listing::Threaded => "threaded",
            Listing::Loop => "loop",
            Listing::LoopTimeouts => "loop-timeouts",
            Listing::JsonlLoop => "jsonl-loop",
        }
    }

    pub fn from_name(name: &str) -> Option<Listing> {
        Listing::ALL.into_iter().find(|l| l.name() == name)
    }

    /// Whether the listing prints the webhooks (as jsonl) on standard output.
    pub fn prints(self) -> bool {
        self == Listing::JsonlLoop
    }
}

/// What a listing saw: proof that every listing did the same work, and a use
/// of each item so that none of it is optimised away.
#[derive(Default)]
pub struct Tally {
    items: u64,
    id_sum: u64,
    url_bytes: u64,
}

impl Tally {
    fn add(&mut self, item: &WebhookItem) {
        self.items += 1;
        self.id_sum += item.id;
        self.url_bytes += item.url.len() as u64;
    }

    /// Panics unless the listing yielded every item of `pages` pages exactly once.
    pub fn check(&self, pages: u32) {
        let n = u64::from(pages) * u64::from(PER_PAGE);
        assert_eq!(self.items, n, "items listed");
        assert_eq!(self.id_sum, n * (n + 1) / 2, "ids listed");
        let url_bytes: u64 = (1..=n).map(|id| 26 + id.to_string().len() as u64).sum();
        assert_eq!(self.url_bytes, url_bytes, "urls listed");
    }
}

/// Never inlined: callgrind's `--toggle-collect=pagination::listings::list` needs the symbol.
#[inline(never)]
pub fn list(listing: Listing, base_url: &str) -> Tally {
    let mut tally = Tally::default();
    match listing {
        Listing::Crate => list_crate(base_url, 0, &mut tally),
        Listing::Prefetch => list_crate(base_url, PREFETCH, &mut tally),
        Listing::Threaded => {
            std::thread::spawn(|| ()).join().expect("an empty thread");
            list_crate(base_url, 0, &mut tally);
        }
        Listing::Loop => hand_written(base_url, &Agent::new_with_defaults(), |item| {
            tally.add(&item);
        }),
        Listing::LoopTimeouts => hand_written(base_url, &agent_with_timeouts(), |item| {
            tally.add(&item);
        }),
        Listing::JsonlLoop => {
            let mut out = BufWriter::new(io::stdout().lock());
            hand_written(base_url, &Agent::new_with_defaults(), |item| {
                tally.add(&item);
                serde_json::to_writer(&mut out, &item).expect("print webhook");
                out.write_all(b"\n").expect("print webhook");
            });
            out.flush().expect("flush standard output");
        }
    }
    tally
}

pub fn list_crate(base_url: &str, prefetch: usize, tally: &mut Tally) {
    let client = Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .build()
        .expect("crate client");
    let items = client
        .list_webhooks()
        .per_page(PER_PAGE)
        .prefetch(prefetch)
        .items();
    for item in items {
        tally.add(&item.expect("crate listing"));
    }
}

/// A page as a user would declare it for `serde_json::from_slice`.
#[derive(Deserialize)]
struct RawPage {
    page: u32,
    max_page: u32,
    items: Vec<WebhookItem>,
}

/// An agent with the timeouts the crate gives ureq by default: 30 s for a
/// whole request, 10 s of it to connect.
fn agent_with_timeouts() -> Agent {
    Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// The loop a user writes by hand: no retry, no timeout unless the agent has
/// one, a fresh `Vec` per body (`read_to_vec`, 10 MiB limit), and the stop
/// rule of `max_page`.
fn hand_written(base_url: &str, agent: &Agent, mut each: impl FnMut(WebhookItem)) {
    let mut page = 1u32;
    loop {
        let url = format!("{base_url}/webhooks?page={page}&per_page={PER_PAGE}");
        let mut response = agent
            .get(&url)
            .header("x-APIKey", KEY)
            .call()
            .expect("hand-written request");
        let body = response
            .body_mut()
            .read_to_vec()
            .expect("hand-written body");
        let raw: RawPage = serde_json::from_slice(&body).expect("hand-written decode");
        let last = raw.items.is_empty() || raw.page >= raw.max_page;
        raw.items.into_iter().for_each(&mut each);
        if last {
            return;
        }
        page += 1;
    }
}
