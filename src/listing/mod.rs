//! Listing a Partoo list endpoint: the settings of a listing, the page it
//! returns, and the lazy iterators that run it, with what they rely on.
//!
//! Nothing here knows about webhooks (they are one user of it, in
//! `webhooks.rs`): another endpoint is one model type and one path away.
//!
//! - `request.rs`: what to ask an endpoint for (path, filters, `per_page`),
//!   and the request of each page.
//! - `page.rs`: the [`Page`] and its decoding, whatever the array's key.
//! - `pages.rs`: [`Pages`] and [`Items`], the iterators.
//! - `contract.rs`: when a listing must stop, checked in one place.
//! - `prefetch.rs`: pages requested ahead on worker threads.
//! - `dedupe.rs`: the ids yielded lately, to leave out repeats; the id type
//!   is the endpoint's, and no type parameter of the iterators.
//! - `snapshot.rs`: a whole, consistent listing as one `Vec`.

pub(crate) mod contract;
pub(crate) mod dedupe;
mod page;
mod pages;
pub(crate) mod prefetch;
mod request;
pub(crate) mod snapshot;

pub use page::Page;
pub(crate) use page::PageSeed;
pub use pages::{Items, Pages};
pub use prefetch::MAX_PREFETCH;
pub(crate) use request::{Listing, PageRequest};
