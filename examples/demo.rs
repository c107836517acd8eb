//! The crate at work on a fresh machine, with no Partoo account: a local fake
//! of the API holds a few hundred webhook configurations over several pages,
//! and the real client lists them through its iterator.
//!
//! ```sh
//! cargo run --example demo
//! ```
//!
//! With `--serve`, the fake stays up (until Ctrl-C), prints its URL and the
//! commands to try with the command-line tool: `list`; `diff` with
//! `examples/demo-desired.json`, which shows what differs; `apply`, which
//! creates and updates (the fake accepts writes and keeps them while it
//! runs); and `diff` again, which then finds nothing (exit status 0).
//!
//! ```sh
//! cargo run --example demo -- --serve
//! ```
//!
//! The fake itself is `examples/demo/fake.rs`, which the crate's tests use too.

use std::collections::BTreeSet;
use std::time::Instant;

use partoo_webhooks::{Client, EventType};
use serde_json::json;

#[path = "demo/fake.rs"]
mod fake;

use fake::FakePartoo;

const WEBHOOKS: u64 = 347;
const PER_PAGE: u32 = 50;
/// Each organization has this many webhooks, one per event type.
const PER_ORGANIZATION: u64 = 6;
const API_KEY: &str = "demo-key";

fn main() -> Result<(), partoo_webhooks::Error> {
    let serve = std::env::args().skip(1).any(|arg| arg == "--serve");
    let fake = FakePartoo::start(API_KEY);
    for id in 1..=WEBHOOKS {
        add_webhook(&fake, id);
    }
    if serve {
        serve_forever(&fake);
    }

    let client = Client::builder()
        .api_key(API_KEY)
        .base_url(fake.url())
        .build()?;
    let started = Instant::now();
    let mut listed = 0;
    println!(
        "{:>4}  {:<22}  {:<14}  URL",
        "ID", "EVENT TYPE", "CUSTOM HEADERS"
    );
    for webhook in client.list_webhooks().per_page(PER_PAGE) {
        let webhook = webhook?;
        let event_type = match &webhook.event_type {
            // Partoo adds event types without notice; a listing keeps them as sent.
            EventType::Unknown(new) => format!("{new} (new)"),
            known => known.as_str().to_owned(),
        };
        let headers = match &webhook.custom_headers {
            Some(headers) => headers
                .iter()
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
                .join(","),
            None => "-".to_owned(),
        };
        println!(
            "{:>4}  {event_type:<22}  {headers:<14}  {}",
            webhook.id, webhook.url
        );
        listed += 1;
    }
    let elapsed = started.elapsed();

    let requests = fake.lines();
    let pages = requests.iter().collect::<BTreeSet<_>>().len();
    let requests = requests.len();
    println!("\n{listed} webhooks, {pages} pages, {requests} requests, {elapsed:.1?} elapsed");
    Ok(())
}

/// Keeps the fake up for the command-line tool until the process is stopped.
fn serve_forever(fake: &FakePartoo) -> ! {
    let url = fake.url();
    let options = format!("--base-url {url} --org-id 7");
    let desired = "examples/demo-desired.json";
    println!("A fake of the Partoo API, {WEBHOOKS} webhooks, at {url} (API key {API_KEY}).");
    println!(
        "It accepts creates and updates, and keeps them while it runs. Try, from another shell:"
    );
    println!("  export PARTOO_API_KEY={API_KEY} DEMO_HOOK_TOKEN=rotated");
    println!("  cargo run -- list {options} --format table");
    println!("  cargo run -- diff {options} {desired}         # what differs: exit status 3");
    println!(
        "  cargo run -- apply --yes {options} {desired}  # creates and updates, then verifies"
    );
    println!(
        "  cargo run -- diff {options} {desired}         # nothing differs now: exit status 0"
    );
    println!("Ctrl-C stops it, and forgets the writes.");
    loop {
        std::thread::park();
    }
}

/// The organization of webhook `id`: six webhooks each, one per event type.
fn organization(id: u64) -> u64 {
    (id - 1) / PER_ORGANIZATION + 1
}

/// Adds webhook `id` (the fake numbers them from 1 in order): every event
/// type in turn, one of them unknown to this crate, and custom headers on
/// every fourth. Six consecutive webhooks make an organization, so each has
/// at most one per event type, as Partoo requires.
fn add_webhook(fake: &FakePartoo, id: u64) {
    const EVENT_TYPES: [&str; 7] = [
        "business_created",
        "business_updated",
        "business_deleted",
        "message_created",
        "message_updated",
        "lead_received",
        "review_created", // not (yet) documented: shows forward compatibility
    ];
    let headers = (id % 4 == 0).then(|| json!({ "X-Auth-Token": format!("token-{id}") }));
    let event_type = EVENT_TYPES[((id - 1) % 7) as usize];
    let url = format!("https://hooks.example.com/partoo/{id}");
    fake.insert(organization(id), event_type, &url, headers);
}
