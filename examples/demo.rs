//! The crate at work on a fresh machine, with no Partoo account: a local mock
//! of the API holds a few hundred webhook configurations over several pages,
//! and the real client lists them through its iterator.
//!
//! ```sh
//! cargo run --example demo
//! ```

use std::time::Instant;

use httpmock::prelude::*;
use partoo_webhooks::{Client, EventType};
use serde_json::{json, Value};

const WEBHOOKS: u64 = 347;
const PER_PAGE: u32 = 50;
const API_KEY: &str = "demo-key";

fn main() -> Result<(), partoo_webhooks::Error> {
    // The mock answers `GET /v2/webhooks?page=N&per_page=50` as Partoo does,
    // and only to a request carrying the key.
    let server = MockServer::start();
    let max_page = WEBHOOKS.div_ceil(PER_PAGE.into());
    let pages: Vec<_> = (1..=max_page)
        .map(|page| {
            let first = (page - 1) * u64::from(PER_PAGE) + 1;
            let last = (page * u64::from(PER_PAGE)).min(WEBHOOKS);
            server.mock(|when, then| {
                when.method(GET)
                    .path("/v2/webhooks")
                    .header("x-apikey", API_KEY)
                    .query_param("page", page.to_string())
                    .query_param("per_page", PER_PAGE.to_string());
                then.status(200).json_body(json!({
                    "page": page,
                    "max_page": max_page,
                    "count": WEBHOOKS,
                    "items": (first..=last).map(webhook).collect::<Vec<_>>(),
                }));
            })
        })
        .collect();

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
            EventType::Other(new) => format!("{new} (new)"),
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

/// Webhook `id` as the API renders it: every event type in turn, one of them
/// unknown to this crate, and custom headers on every fourth.
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
        "org_id": 7,
    });
    if id % 4 == 0 {
        webhook["custom_headers"] = json!({ "X-Auth-Token": format!("token-{id}") });
    }
    webhook
}
