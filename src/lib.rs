//! A small, blocking client for the webhook configurations of the
//! [Partoo REST API v2](https://developers.partoo.co): no async runtime, and
//! by default no crate beyond what `ureq`, `serde` and `serde_json` bring; and
//! the receiving end, verifying and reading the deliveries Partoo sends
//! ([`delivery`]).
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
//!     // Listed until two consecutive listings agree (3 listings at most).
//!     let live = client.list_webhooks().org_id(7).snapshot()?;
//!     let plan = Plan::new(&desired, &live);
//!     for create in &plan.creates {
//!         // The real URL and headers, to act on; mask them before printing.
//!         println!("to create: {} {} ({} headers)", create.org_id, create.event_type, create.custom_headers.len());
//!     }
//!     println!("{} to update, {} to delete", plan.updates.len(), plan.deletes.len());
//!     Ok(())
//! }
//! ```
//!
//! # Configure webhooks
//!
//! Get one webhook, update it, send it a test delivery, or make an account hold
//! what is declared with [`plan::Apply`] (read, write, read again; never a
//! delete, never a write sent twice blindly):
//!
//! ```no_run
//! use partoo_webhooks::plan::{Apply, Write};
//! use partoo_webhooks::{Client, CustomHeaders, DesiredState, DesiredWebhook, EventType};
//! use partoo_webhooks::{NewWebhook, WebhookUpdate};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = Client::from_env()?;
//!
//!     // One request each, values checked first; a write is retried only when it
//!     // cannot have been applied (a 429, a refused connection).
//!     let hook = client.get_webhook(42).org_id(7).send()?;
//!     let headers: CustomHeaders = [("X-Auth-Token", std::env::var("HOOK_TOKEN")?)].into_iter().collect();
//!     client.update_webhook(hook.id, WebhookUpdate::new(&hook.url).custom_headers(headers)).org_id(7).send()?;
//!     client.tryout(NewWebhook::new(EventType::LeadReceived, &hook.url)).org_id(7).send()?;
//!
//!     // Or make the account hold what is declared: read, write, read again.
//!     let leads = DesiredWebhook::new(7, EventType::LeadReceived, "https://crm.example.com/leads");
//!     let desired = DesiredState::new(vec![leads])?;
//!     let applied = Apply::new(&client, &desired).org_id(7).run(|write| match write {
//!         Write::Created(item) => println!("created {} {}: id {}", item.org_id, item.event_type, item.id),
//!         Write::Updated(item) => println!("updated {} {}: id {}", item.org_id, item.event_type, item.id),
//!         _ => {}
//!     })?;
//!     // Partoo documents no delete: those are left, to delete in its app.
//!     println!("converged: {}, {} to delete", applied.converged(), applied.remaining.deletes.len());
//!     Ok(())
//! }
//! ```
//!
//! # Receive webhooks
//!
//! Partoo signs every delivery with Ed25519 (`X-Partoo-Signature-v1`);
//! [`delivery::Verifier`] holds its production and sandbox keys, verifies the
//! raw body before anything parses it, and only then reads it as a
//! [`delivery::Delivery`]. The heart of a receiver, from
//! `examples/receiver.rs` (which adds the HTTP server, on `tiny_http`):
//!
//! ```no_run
//! use partoo_webhooks::delivery::{
//!     BusinessEvent, Delivery, DeliveryError, LeadReceived, MessageEvent, Verifier,
//! };
//! use partoo_webhooks::EventType;
//!
//! /// The status and the text to answer a delivery with.
//! fn handle(
//!     verifier: &Verifier,
//!     body: &[u8],
//!     signature: Option<&str>,
//!     tryout: bool,
//! ) -> (u16, String) {
//!     // Verified first: nothing of an unverified body is read, or believed.
//!     let delivery = match verifier.verify_delivery(body, signature) {
//!         Ok(delivery) => delivery,
//!         Err(DeliveryError::Signature(error)) => return (401, error.to_string()),
//!         // Signed by Partoo but unreadable: sending it again would not help.
//!         Err(error) => return (400, error.to_string()),
//!     };
//!     if tryout {
//!         return (200, format!("test delivery of {}", delivery.event_type()));
//!     }
//!     match dispatch(&delivery) {
//!         Ok(done) => (200, done),
//!         Err(error) => (400, error.to_string()),
//!     }
//! }
//!
//! /// Acts on a verified delivery. Partoo may deliver one twice: acting on it
//! /// must be idempotent (keyed by the lead's or the message's id, say).
//! fn dispatch(delivery: &Delivery) -> Result<String, DeliveryError> {
//!     Ok(match delivery.event_type() {
//!         EventType::LeadReceived => {
//!             let lead: LeadReceived = delivery.payload()?;
//!             let business = lead.business_name.as_deref().unwrap_or("?");
//!             format!("lead for {business} with {} answers", lead.values.len())
//!         }
//!         EventType::MessageCreated | EventType::MessageUpdated => {
//!             let event: MessageEvent = delivery.payload()?;
//!             let status = event.message.and_then(|message| message.status);
//!             format!(
//!                 "message, status {}",
//!                 status.map_or("?".into(), |s| s.to_string())
//!             )
//!         }
//!         EventType::BusinessCreated | EventType::BusinessUpdated | EventType::BusinessDeleted => {
//!             let event: BusinessEvent = delivery.payload()?;
//!             let id = event.business.and_then(|business| business.id);
//!             format!("{} {}", delivery.event_type(), id.as_deref().unwrap_or("?"))
//!         }
//!         other => format!("{other}: not handled here"),
//!     })
//! }
//! ```
//!
//! # What to expect when things go wrong
//!
//! - Errors are one [`Error`] enum of what a caller acts on; an error of a
//!   listing names its page, and HTTP errors carry the status and the
//!   server's message. No error, `Debug` output or log record of this crate
//!   contains the API key, even when a server echoes it back: it is cut out
//!   of server text before anything else is done with it. (ureq's own
//!   records are another matter: at debug level they show the response's
//!   headers as received, a `Location` that echoes the key included, and at
//!   trace level every byte, the key's header included: keep `ureq` and
//!   `ureq_proto` at `info` or quieter wherever logs are kept.)
//! - An answer that is JSON but cannot be decoded is never quoted, as it
//!   holds the account's webhook URLs and header values: [`Error::Body`]
//!   says why and where (`invalid type: string, expected u64 at line 1
//!   column 380`), never a string it read. Only a body without any `{`,
//!   `[` or `"` (a proxy's plain page) is quoted, its first 200 characters,
//!   the key cut out.
//! - Reads: HTTP 429, 500, 502, 503, 504, timeouts and broken connections are
//!   retried (3 times by default) with exponential backoff and jitter, never
//!   less than half the backoff ceiling, honouring `Retry-After` (seconds, on
//!   a 429 or a 503) as one deadline for the whole client and its threads.
//!   Nothing else is retried.
//! - Every attempt is bounded by ureq's own timeouts, phase by phase
//!   ([`ClientBuilder::connect_timeout`] then [`ClientBuilder::timeout`], 10 s
//!   and 30 s by default), without a thread per request; name resolution is
//!   left to the system's resolver.
//! - A listing always ends, and never reports a partial listing as complete:
//!   it goes to at most `ceil(count / per_page) + 2` pages
//!   ([`Error::Runaway`] past them), and a listing from page 1 that yields
//!   other than `min(limit, count)` items ends with [`Error::CountMismatch`],
//!   after every item. A [`snapshot`](ListWebhooks::snapshot) is a state the
//!   account had: two consecutive listings that agree, at most
//!   [`max_items`](ListWebhooks::max_items) webhooks.
//! - The key is only ever sent to the base URL: redirects are never
//!   followed (a 3xx is an [`Error::Status`] naming where it led). A
//!   loopback base URL is reached directly, never through a proxy from the
//!   environment.
//! - Every setting and its default is on [`ClientBuilder`]; exactly when the
//!   iterators stop is on [`Pages`].
//! - Server text reaches people safely, by one rule ([`text::escape`]):
//!   error messages show every character of the Unicode categories Cc, Cf,
//!   Zl and Zp (controls, bidi overrides, zero-width spaces) as an escape
//!   such as `\u{202e}`; `Debug` of a [`WebhookItem`] and a [`Plan`] show
//!   every URL query value and any credentials as `***`
//!   ([`text::mask_url`]). A [`Plan`] holds the real URLs and headers, to
//!   act on: the `partoo-webhooks` tool masks them where it prints them, with
//!   the same two functions.
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls, trusting Mozilla's root
//!   certificates (built in).
//! - `native-tls`: TLS through the platform's library and its trust store
//!   (OpenSSL on Linux, which also reads `SSL_CERT_FILE` and `SSL_CERT_DIR`).
//!   It wins when both are enabled, so adding it without turning the default
//!   features off is enough.
//! - One of the two is required: a build with neither is a compile error,
//!   since Partoo's API speaks https only.
//! - `gzip` (default): accept gzip-compressed responses.
//! - `verify` (default): the [`delivery`] module, which verifies Partoo's
//!   signature of a delivery with ring's Ed25519, and `partoo-webhooks
//!   verify`. It adds no crate to the default build (ring comes with
//!   rustls, base64 with ureq); with `native-tls` alone it adds `ring`.
//!
//! A TLS-inspecting proxy or a host signed by a private CA needs that CA:
//! [`ClientBuilder::replace_root_certs_pem`]. A refused certificate is an
//! [`Error::Connection`] whose source names it.
//!
//! # Where things live
//!
//! The public items are at the crate root, but for three public modules:
//! [`plan`] (the comparison and its change types; [`Plan`] and the
//! desired-state types are also at the root), [`delivery`] and [`text`]. The layers
//! import one way: `client` knows nothing of pages or webhooks, `pages`
//! nothing of HTTP or webhooks, `webhooks` uses both, `plan` uses
//! `webhooks`, and `delivery` stands apart.
//!
//! - `error.rs`: [`Error`], the one error of the client.
//! - [`text`]: the one rule for showing text to a person ([`text::escape`])
//!   and the masking of a URL's secrets ([`text::mask_url`]), which errors
//!   and `Debug` use; it imports nothing of the crate.
//! - `client/`: [`Client`] (`mod.rs`: an authenticated JSON request for any
//!   method, its statuses and errors, retries), [`ClientBuilder`] and the
//!   defaults (`builder.rs`), `retry.rs` (the back-off shared by a client's
//!   threads), `tls.rs`.
//! - `pages/`: [`Page`], the iterators [`Pages`] and [`Items`] over a
//!   page-fetching function with the listing contract, prefetching, and
//!   snapshots.
//! - `webhooks/`: [`WebhookItem`] and [`EventType`] (`mod.rs`),
//!   [`CustomHeaders`] and Partoo's rules for them (`custom_headers.rs`),
//!   `GET /webhooks` as [`ListWebhooks`] (`list.rs`), and get one, create,
//!   update, try out as [`WebhookRequest`]s (`write.rs`).
//! - `open_enum.rs`: [`UnknownValue`], the one shape of every enumeration of
//!   Partoo's that may grow.
//! - [`plan`]: [`DesiredState`] (`desired.rs`), [`Plan`] (`mod.rs`) and
//!   [`plan::Apply`] (`apply.rs`).
//! - [`delivery`]: receiving webhooks (signatures, the envelope, payloads).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;

#[cfg(feature = "verify")]
pub mod delivery;
mod error;
mod open_enum;
mod pages;
pub mod plan;
pub mod text;
mod webhooks;

pub use client::{Client, ClientBuilder, PRODUCTION_URL, SANDBOX_URL};
pub use error::{Cause, Error};
pub use open_enum::UnknownValue;
pub use pages::{Items, Page, Pages, MAX_PREFETCH};
pub use plan::{DesiredError, DesiredErrorKind, DesiredState, DesiredWebhook, Plan};
pub use webhooks::{CustomHeaderError, CustomHeaders};
pub use webhooks::{
    EventType, ListWebhooks, NewWebhook, WebhookItem, WebhookRequest, WebhookUpdate,
};

/// The README's examples, compiled by `cargo test` so that they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
