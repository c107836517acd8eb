//! A small, blocking client for the webhook configurations of the
//! [Partoo REST API v2](https://developers.partoo.co): no async runtime, three
//! run-time dependencies (`ureq`, `serde`, `serde_json`).
//!
//! # List every webhook
//!
//! The iterator requests page after page until `max_page`, lazily, with one
//! page in memory; transient failures are retried, and it always ends.
//!
//! ```no_run
//! use partoo_webhooks::{Client, WebhookItem};
//!
//! fn main() -> Result<(), partoo_webhooks::Error> {
//!     let client = Client::from_env()?; // PARTOO_API_KEY, and optionally PARTOO_BASE_URL
//!     for item in client.list_webhooks().per_page(100).items() {
//!         let item: WebhookItem = item?;
//!         println!("{} {} {}", item.id, item.event_type.as_str(), item.url);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # One page, the sandbox, an organization
//!
//! ```no_run
//! use partoo_webhooks::{Client, Page, WebhookItem};
//!
//! fn main() -> Result<(), partoo_webhooks::Error> {
//!     let client = Client::builder()
//!         .api_key(std::env::var("PARTOO_API_KEY").unwrap_or_default())
//!         .sandbox()
//!         .build()?;
//!     let page: Page<WebhookItem> = client.list_webhooks().org_id(7).per_page(50).page(2).send()?;
//!     println!("page {}/{}: {} of {} webhooks", page.page, page.max_page, page.items.len(), page.count);
//!
//!     for page in client.list_webhooks().org_id(7).pages() {
//!         let page: Page<WebhookItem> = page?;
//!         println!("page {} has {} webhooks", page.page, page.items.len());
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # A consistent snapshot, and what to change
//!
//! [`ListWebhooks::snapshot`] returns every webhook as one `Vec`, listing
//! again when the account changed during a listing; [`Plan::new`] compares it
//! with [`DesiredWebhook`]s by organization and event type, as
//! `partoo-webhooks diff` does.
//!
//! ```no_run
//! use partoo_webhooks::{Client, DesiredState, DesiredWebhook, EventType, Plan};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = Client::from_env()?;
//!     let mut leads = DesiredWebhook::new(7, EventType::LeadReceived, "https://crm.example.com/leads");
//!     leads.custom_headers.insert("X-Auth-Token", std::env::var("HOOK_TOKEN")?);
//!     let desired = DesiredState::new(vec![leads])?; // HTTPS, header rules, one per key
//!
//!     // Listed again when the account changes during the listing (3 listings at most).
//!     let live = client.list_webhooks().org_id(7).snapshot()?;
//!     let plan = Plan::new(&desired, &live);
//!     for create in &plan.creates {
//!         println!("to create: {} {} {}", create.org_id, create.event_type, create.url);
//!     }
//!     println!("{} to update, {} to delete", plan.updates.len(), plan.deletes.len());
//!     Ok(())
//! }
//! ```
//!
//! # What to expect when things go wrong
//!
//! - Errors are one [`Error`] enum; each names the page, and HTTP errors carry
//!   the status and the server's message. No error, `Debug` output or log
//!   record of this crate contains the API key, even when a server echoes it
//!   back. (ureq's own trace-level records dump every request and response
//!   byte by byte, the key's header included: keep `ureq` and `ureq_proto`
//!   below trace level wherever logs are kept.)
//! - HTTP 429, 500, 502, 503, 504, timeouts and broken connections are retried
//!   (3 times by default) with exponential backoff and jitter, never less than
//!   half the backoff ceiling, honouring `Retry-After` as one deadline for the
//!   whole client and its threads. Nothing else is retried.
//! - Every attempt at a page is bounded as a whole, redirects included
//!   ([`ClientBuilder::timeout`], 30 s by default), without a thread per
//!   request; name resolution is left to the system's resolver.
//! - A listing always ends, and never reports a partial listing as complete:
//!   it goes to at most `ceil(count / per_page) + 2` pages
//!   ([`Error::Runaway`] past them), and a listing of every page that yields
//!   other than `count` items ends with [`Error::CountMismatch`], after every
//!   item. A [`snapshot`](ListWebhooks::snapshot) holds exactly `count`
//!   webhooks, and at most [`max_items`](ListWebhooks::max_items).
//! - The key is only ever sent to the base URL's origin: a redirect elsewhere
//!   is refused with [`Error::Redirect`]. A loopback base URL is reached
//!   directly, never through a proxy from the environment.
//! - Every setting and its default is on [`ClientBuilder`]; exactly when the
//!   iterators stop is on [`Pages`].
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls, trusting Mozilla's root
//!   certificates (built in).
//! - `native-tls`: TLS through the platform's library and its trust store
//!   (OpenSSL on Linux, which also reads `SSL_CERT_FILE` and `SSL_CERT_DIR`).
//!   It wins when both are enabled, so adding it without turning the default
//!   features off is enough.
//! - Neither: plain http only; [`ClientBuilder::build`] refuses an https base
//!   URL, the default included, with [`Error::InvalidBaseUrl`].
//! - `gzip` (default): accept gzip-compressed responses.
//!
//! A TLS-inspecting proxy or a host signed by a private CA needs that CA:
//! [`ClientBuilder::replace_root_certs_pem`]. A refused certificate is
//! [`Error::Certificate`], reported before anything is sent.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod config;
mod contract;
mod custom_headers;
mod desired;
mod error;
mod origin;
mod pager;
mod pagination;
mod plan;
mod prefetch;
mod redact;
mod retry;
mod seen;
mod snapshot;
mod tls;
mod webhooks;

pub use client::Client;
pub use config::{ClientBuilder, PRODUCTION_URL, SANDBOX_URL};
pub use custom_headers::{CustomHeaderError, CustomHeaders};
pub use desired::{DesiredError, DesiredState, DesiredWebhook};
pub use error::{Cause, Error};
pub use pager::{Items, Pages};
pub use pagination::Page;
pub use plan::{Conflict, Create, Delete, HeaderChanges, Plan, Update, UrlChange};
pub use prefetch::MAX_PREFETCH;
pub use webhooks::{EventType, ListWebhooks, WebhookItem};

/// The README's examples, compiled by `cargo test` so that they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
