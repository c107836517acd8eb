//! The crate at work on a fresh machine, with no Partoo account: a local mock
//! of the API holds a few hundred webhook configurations over several pages,
//! and the real client lists them through its iterator.
//!
//! ```sh
//! cargo run --example demo
//! ```
//!
//! With `--serve`, the mock stays up (until Ctrl-C) and prints its URL, for
//! the command-line tool: `list`, and `diff` with `examples/demo-desired.json`.
//!
//! ```sh
//! cargo run --example demo -- --serve
//! ```

use std::time::Instant;

use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::{Client, EventType};
use serde_json::{json, Value};

const WEBHOOKS: u64 = 347;
const PER_PAGE: u32 = 50;
/// Each organization has this many webhooks, one per event type.
const PER_ORGANIZATION: u64 = 6;
const API_KEY: &str = "demo-key";

fn main() -> Result<(), partoo_webhooks::Error> {
    let serve = std::env::args().skip(1).any(|arg| arg == "--serve");
    let server = MockServer::start();
    let pages = mock_pages(&server, PER_PAGE);
    if serve {
        serve_forever(&server);
    }

    let client = Client::builder()
        .api_key(API_KEY)
        .base_url(server.url("/v2"))
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

    let requested = pages.iter().filter(|page| page.calls() > 0).count();
    let requests: usize = pages.iter().map(|page| page.calls()).sum();
    println!("\n{listed} webhooks, {requested} pages, {requests} requests, {elapsed:.1?} elapsed");
    Ok(())
}

/// Answers `GET /v2/webhooks?page=N&per_page=<per_page>` as Partoo does, and
/// only to a request carrying the key.
fn mock_pages(server: &MockServer, per_page: u32) -> Vec<Mock<'_>> {
    let max_page = WEBHOOKS.div_ceil(per_page.into());
    (1..=max_page)
        .map(|page| {
            let first = (page - 1) * u64::from(per_page) + 1;
            let last = (page * u64::from(per_page)).min(WEBHOOKS);
            server.mock(|when, then| {
                when.method(GET)
                    .path("/v2/webhooks")
                    .header("x-apikey", API_KEY)
                    .query_param_missing("org_id")
                    .query_param("page", page.to_string())
                    .query_param("per_page", per_page.to_string());
                then.status(200).json_body(json!({
                    "page": page,
                    "max_page": max_page,
                    "count": WEBHOOKS,
                    "items": (first..=last).map(webhook).collect::<Vec<_>>(),
                }));
            })
        })
        .collect()
}

/// Keeps the mock up for the command-line tool, which asks for 100 webhooks a
/// page, or for one organization's (one page), until the process is stopped.
fn serve_forever(server: &MockServer) -> ! {
    mock_pages(server, 100);
    for org_id in 1..=WEBHOOKS.div_ceil(PER_ORGANIZATION) {
        let items: Vec<Value> = (1..=WEBHOOKS)
            .filter(|&id| organization(id) == org_id)
            .map(webhook)
            .collect();
        server.mock(|when, then| {
            when.method(GET)
                .path("/v2/webhooks")
                .header("x-apikey", API_KEY)
                .query_param("org_id", org_id.to_string())
                .query_param("page", "1");
            then.status(200).json_body(json!({
                "page": 1, "max_page": 1, "count": items.len(), "items": items,
            }));
        });
    }
    let url = server.url("/v2");
    println!("A mock of the Partoo API, {WEBHOOKS} webhooks, at {url} (API key {API_KEY}).");
    println!("Try, from another shell:");
    println!("  export PARTOO_API_KEY={API_KEY}");
    println!("  cargo run -- list --base-url {url} --org-id 7 --format table");
    println!("  DEMO_HOOK_TOKEN=rotated cargo run -- diff --base-url {url} --org-id 7 examples/demo-desired.json");
    println!("Ctrl-C stops it.");
    loop {
        std::thread::park();
    }
}

/// The organization of webhook `id`: six webhooks each, one per event type.
fn organization(id: u64) -> u64 {
    (id - 1) / PER_ORGANIZATION + 1
}

/// Webhook `id` as the API renders it: every event type in turn, one of them
/// unknown to this crate, and custom headers on every fourth. Six consecutive
/// webhooks make an organization, so each has at most one per event type, as
/// Partoo requires.
fn webhook(id: u64) -> Value {
    const EVENT_TYPES: [&str; 7] = [
        "business_created",
        "business_updated",
        "business_deleted",
        "message_created",
        "message_updated",
        "lead_received",
        "review_created", // not (yet) documented: shows forward compatibility
    ];
    let mut webhook = json!({
        "id": id,
        "url": format!("https://hooks.example.com/partoo/{id}"),
        "event_type": EVENT_TYPES[((id - 1) % 7) as usize],
        "created_at": "2024-11-27T16:10:44.929678Z",
        "updated_at": "2024-11-27T16:10:44.929678Z",
        "org_id": organization(id),
    });
    if id % 4 == 0 {
        webhook["custom_headers"] = json!({ "X-Auth-Token": format!("token-{id}") });
    }
    webhook
}
