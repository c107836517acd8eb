//! `GET /webhooks`: the list request, run by the pages layer.

use std::sync::Arc;

use ureq::http::Method;

use crate::client::Client;
use crate::error::Error;
use crate::pages::{snapshot, Fetch, Items, Page, Pages, Settings};
use crate::webhooks::WebhookItem;

/// A request for webhook configurations, from [`Client::list_webhooks`].
///
/// Nothing is sent until [`send`](Self::send) (one page) or the first `next()`
/// of [`items`](Self::items) or [`pages`](Self::pages) (every page). Iterating
/// the request itself is the same as `.items()`.
///
/// ```no_run
/// # let client = partoo_webhooks::Client::new("key")?;
/// let first = client.list_webhooks().org_id(7).per_page(50).send()?;
/// println!("{} webhooks over {} pages", first.count, first.max_page);
/// # Ok::<_, partoo_webhooks::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or iterated"]
pub struct ListWebhooks {
    client: Client,
    org_id: Option<u64>,
    settings: Settings,
    max_passes: u32,
    max_items: u64,
}

impl Client {
    /// Lists webhook configurations: a request to configure, then
    /// [`send`](ListWebhooks::send) for one page or iterate for all of them.
    pub fn list_webhooks(&self) -> ListWebhooks {
        ListWebhooks {
            client: self.clone(),
            org_id: None,
            settings: Settings {
                page: 1,
                per_page: ListWebhooks::MAX_PER_PAGE,
                ..Settings::default()
            },
            max_passes: 3,
            max_items: 100_000,
        }
    }
}

impl ListWebhooks {
    /// The largest `per_page` the endpoint accepts.
    pub const MAX_PER_PAGE: u32 = 100;

    /// The organization to list, needed only with a `PROVIDER` user's key.
    ///
    /// Defaults to none: the parameter is not sent.
    pub fn org_id(mut self, org_id: u64) -> Self {
        self.org_id = Some(org_id);
        self
    }

    /// The page [`send`](Self::send) asks for, or the first page of an iteration
    /// (to resume a listing from [`Items::next_page`]). Must be 1 or more. An
    /// iteration from a later page is not checked against `count` at its end
    /// (see [`Pages`] under "When it stops"); its bound counts from this page.
    ///
    /// Defaults to 1.
    pub fn page(mut self, page: u32) -> Self {
        self.settings.page = page;
        self
    }

    /// Items per page, between 1 and 100; anything else fails before a request.
    /// Always sent, so that page `n` holds the same webhooks whether it comes
    /// from [`send`](Self::send) or from an iteration.
    ///
    /// Defaults to 100, the most the API allows (its own default is 30), for
    /// the fewest round trips.
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.settings.per_page = per_page;
        self
    }

    /// The most webhooks an iteration yields. Unlike `.items().take(n)`, it also
    /// keeps [`prefetch`](Self::prefetch) from requesting pages that could not
    /// be used; the page that completes the limit is cut to it. 0 sends nothing.
    /// A limited iteration from page 1 must still end with `min(limit, count)`
    /// webhooks, or an error after them (see [`Pages`] under "When it stops").
    /// Ignored by [`send`](Self::send).
    ///
    /// Defaults to none: the iteration runs to the last page.
    pub fn limit(mut self, items: u64) -> Self {
        self.settings.limit = Some(items);
        self
    }

    /// While iterating, keeps up to `pages` following pages in flight, once the
    /// first page has revealed `max_page`, each on a thread of its own. Items
    /// still come strictly in page order, and every stop rule still holds: no
    /// page beyond the listing's bound (see [`Pages`]) or beyond what the
    /// [`limit`](Self::limit) can use is requested ahead. At most
    /// [`MAX_PREFETCH`](crate::MAX_PREFETCH) (16) pages: a larger value counts as that.
    ///
    /// This hides latency on long listings, at the cost of up to `pages` extra
    /// requests when the caller stops early. Dropping the iterator returns at
    /// once: requests in flight finish in the background (within the client's
    /// timeout and retries) and their pages are discarded. Partoo allows 300
    /// requests per minute per organization: a high value on a fast network
    /// reaches that sooner; the resulting 429s are retried with backoff, and a
    /// `Retry-After` holds back every thread until it has passed.
    ///
    /// Defaults to 0: one request at a time, on the caller's thread.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.settings.prefetch = pages;
        self
    }

    /// The most listings [`snapshot`](Self::snapshot) makes before it gives
    /// up. An account of more than one page needs at least 2. Ignored by
    /// [`send`](Self::send) and the iterators.
    ///
    /// Defaults to 3.
    pub fn max_passes(mut self, passes: u32) -> Self {
        self.max_passes = passes;
        self
    }

    /// The most webhooks [`snapshot`](Self::snapshot) holds: it fails with
    /// [`Error::TooManyItems`] as soon as an answer's `count` is larger,
    /// before keeping anything for them, so that a server announcing billions
    /// cannot exhaust memory. Far above any real account: Partoo allows one
    /// webhook per organization and event type. Ignored by
    /// [`send`](Self::send) and the iterators, which hold one page at a time.
    ///
    /// Defaults to 100,000.
    pub fn max_items(mut self, items: u64) -> Self {
        self.max_items = items;
        self
    }

    /// Every webhook of the listing as one `Vec` that is a state the account
    /// had: the listing is made until two consecutive listings agree, item
    /// for item (every field, `updated_at` included), up to
    /// [`max_passes`](Self::max_passes) listings. An account of one page is
    /// one answer of the server, and one listing.
    ///
    /// # Why two listings
    /// Partoo pages by offset: a webhook deleted and another created while
    /// page 1 is read leave `count` and `max_page` as they were, and page 2
    /// then skips a webhook that existed all along. No check within one
    /// listing can see that; a second listing that agrees can. So a snapshot
    /// of more than one page costs at least twice its pages in requests
    /// (`2 * max_page`), and a listing that itself shows a change (a repeated
    /// id, a `count` or `max_page` that moves, other than `count` webhooks)
    /// agrees with nothing.
    ///
    /// # What it cannot detect
    /// - A change undone between two listings.
    /// - Any change after the last page was read: a snapshot is the state of a
    ///   moment, not a lock.
    /// - With [`page`](Self::page) or [`limit`](Self::limit) set, the webhooks
    ///   outside the part listed.
    ///
    /// The other settings apply to every listing, [`prefetch`](Self::prefetch)
    /// included.
    ///
    /// ```no_run
    /// # let client = partoo_webhooks::Client::new("key")?;
    /// let webhooks = client.list_webhooks().org_id(7).max_passes(5).snapshot()?;
    /// println!("organization 7 has {} webhooks", webhooks.len());
    /// # Ok::<_, partoo_webhooks::Error>(())
    /// ```
    ///
    /// # Errors
    /// The first failed request, as the iterators report it (a failure is not
    /// a change: it is not listed again), [`Error::TooManyItems`] past
    /// [`max_items`](Self::max_items), or [`Error::NoConsistentSnapshot`]
    /// when no two consecutive listings agreed.
    pub fn snapshot(self) -> Result<Vec<WebhookItem>, Error> {
        snapshot(self.max_passes, self.max_items, || self.clone().pages())
    }

    /// Sends one request for the page set with [`page`](Self::page), with
    /// the parameters set so far, retrying as configured.
    ///
    /// # Errors
    /// Any [`Error`]: the parameters are checked first, then the request can fail.
    pub fn send(&self) -> Result<Page<WebhookItem>, Error> {
        let page = self.settings.page;
        self.check()?;
        self.get_page(page).map_err(|error| error.on_page(page))
    }

    /// Every page, lazily. See [`Pages`] for exactly when it stops.
    pub fn pages(self) -> Pages<WebhookItem> {
        let settings = self.check().map(|()| self.settings.clone());
        let fetch: Fetch<WebhookItem> = Arc::new(move |page| self.get_page(page));
        Pages::new(settings, fetch, |webhook| webhook.id)
    }

    /// Every webhook of every page, lazily. See [`Items`].
    pub fn items(self) -> Items<WebhookItem> {
        Items::new(self.pages())
    }

    fn check(&self) -> Result<(), Error> {
        let max = Self::MAX_PER_PAGE;
        let (name, reason) = match (self.settings.per_page, self.settings.page) {
            (1..=Self::MAX_PER_PAGE, 1..) => return Ok(()),
            (1..=Self::MAX_PER_PAGE, _) => ("page", "expected 1 or more".to_owned()),
            _ => ("per_page", format!("expected between 1 and {max}")),
        };
        Err(Error::InvalidSetting { name, reason })
    }

    /// Requests `page`, with the parameters set so far.
    fn get_page(&self, page: u32) -> Result<Page<WebhookItem>, Error> {
        let (per_page, org_id) = (self.settings.per_page, self.org_id);
        let org_id = org_id.map(|id| format!("&org_id={id}")).unwrap_or_default();
        let target = format!("/webhooks?per_page={per_page}&page={page}{org_id}");
        self.client.call(Method::GET, &target, None)
    }
}

impl IntoIterator for ListWebhooks {
    type Item = Result<WebhookItem, Error>;
    type IntoIter = Items<WebhookItem>;

    fn into_iter(self) -> Items<WebhookItem> {
        self.items()
    }
}
