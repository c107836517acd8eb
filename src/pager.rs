//! The lazy iterators that run a [`Listing`](crate::pagination::Listing): page
//! after page, one page in memory, with optional prefetching.

use std::hash::Hash;
use std::iter::FusedIterator;

use serde::de::DeserializeOwned;

use crate::pagination::Listing;
use crate::prefetch::Prefetch;
use crate::seen::Seen;
use crate::{Client, Error, Page};

/// Every page of a listing, in order, as [`Page`]s.
///
/// Made by [`ListWebhooks::pages`](crate::ListWebhooks::pages). Sends nothing
/// until the first [`next`](Iterator::next), then one request per page (plus
/// retries), holding one page at a time.
///
/// # When it stops
/// It ends cleanly (`None`) after yielding the page that:
/// - is numbered `max_page` or above (the `max_page` of the latest response,
///   which may grow or shrink during a listing), or
/// - completes the [`limit`](crate::ListWebhooks::limit) set on the request
///   (the page is cut to it), or
/// - has no items, when it is numbered `max_page` or above, or its `count` is 0.
///
/// It yields one `Err` and then ends when:
/// - a request fails (after its retries);
/// - the server answers a different page than the one requested
///   ([`Error::PageMismatch`]);
/// - a page has no items although the same answer announces more pages and a
///   `count` above 0 ([`Error::EmptyPage`]): the listing would otherwise look
///   complete while it is not;
/// - the page would take the listing past the server's `count` plus one page
///   of items ([`Error::Runaway`]), `count` being that of the same answer:
///   so a listing never yields more than that, even from a server whose
///   `max_page` keeps running ahead of `page`.
///
/// It is fused: after `None` or an error it only returns `None`, so a loop
/// that `continue`s on errors cannot spin.
///
/// Items whose id was already yielded among the latest 2,048 items (at least)
/// of this listing are left out (see [`duplicates`](Self::duplicates)):
/// webhooks created during a listing shift items across page boundaries. The
/// bounded window keeps memory flat on huge listings.
pub struct Pages<T, K = u64> {
    client: Client,
    listing: Listing,
    identity: fn(&T) -> K,
    state: State,
    /// Items still to yield under the request's limit.
    remaining: Option<u64>,
    /// Items yielded so far.
    listed: u64,
    total: Option<u64>,
    seen: Seen<K>,
    /// Items left out because their id was already yielded.
    duplicates: u64,
    buf: Vec<u8>,
    /// Pages requested ahead, once prefetching starts.
    ahead: Option<Prefetch<T>>,
}

#[derive(Debug)]
enum State {
    /// The next page to request.
    Next(u32),
    /// The listing stopped on an error at this page.
    Failed(u32),
    /// The parameters were refused; the error is yielded on the first `next`.
    Invalid(Error),
    Finished,
}

impl<T, K: Hash + Ord> Pages<T, K> {
    pub(crate) fn new(client: Client, listing: Listing, identity: fn(&T) -> K) -> Self {
        let state = match listing.validate() {
            Ok(()) if listing.limit == Some(0) => State::Finished,
            Ok(()) => State::Next(listing.page.unwrap_or(1)),
            Err(error) => State::Invalid(error),
        };
        Pages {
            client,
            remaining: listing.limit,
            listing,
            identity,
            state,
            listed: 0,
            total: None,
            seen: Seen::default(),
            duplicates: 0,
            buf: Vec::new(),
            ahead: None,
        }
    }

    /// The number of items the server reported (`count` of the latest page), once
    /// a page has arrived.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// How many items were left out so far because their id had already been
    /// yielded: a sign that the account changed during the listing.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// The page the listing would request next, or the page it failed on: resume
    /// an interrupted listing with [`.page(n)`](crate::ListWebhooks::page).
    /// `None` once the listing has finished.
    pub fn next_page(&self) -> Option<u32> {
        match self.state {
            State::Next(page) | State::Failed(page) => Some(page),
            State::Invalid(_) | State::Finished => None,
        }
    }

    /// Records the outcome for `page` and decides what comes next.
    fn accept(&mut self, page: u32, result: Result<Page<T>, Error>) -> Result<Page<T>, Error> {
        let result = result.and_then(|received| self.check(page, received));
        let mut received = match result {
            Ok(received) => received,
            Err(error) => {
                self.stop(State::Failed(page));
                return Err(error);
            }
        };
        self.total = Some(received.count);
        let listed = received.items.len();
        self.seen.retain_new(&mut received.items, self.identity);
        if received.items.len() < listed {
            let skipped = listed - received.items.len();
            self.duplicates += skipped as u64;
            log::debug!("page {page}: skipped {skipped} items already listed");
        }
        if let Some(remaining) = &mut self.remaining {
            received
                .items
                .truncate(usize::try_from(*remaining).unwrap_or(usize::MAX));
            *remaining -= received.items.len() as u64;
        }
        self.listed += received.items.len() as u64;
        let next = page.checked_add(1).filter(|_| page < received.max_page);
        match next {
            Some(next) if listed > 0 && self.remaining != Some(0) => self.state = State::Next(next),
            _ => self.stop(State::Finished),
        }
        Ok(received)
    }

    /// The stop rules that make a received page an error.
    fn check(&self, page: u32, received: Page<T>) -> Result<Page<T>, Error> {
        let Page {
            max_page, count, ..
        } = received;
        if received.page != page {
            return Err(Error::PageMismatch {
                requested: page,
                received: received.page,
            });
        }
        if received.items.is_empty() && page < max_page && count > 0 {
            return Err(Error::EmptyPage {
                page,
                max_page,
                count,
            });
        }
        let per_page = u64::from(self.listing.per_page());
        let listed = self.listed.saturating_add(received.items.len() as u64);
        if listed > count.saturating_add(per_page) {
            return Err(Error::Runaway {
                page,
                count,
                listed,
            });
        }
        Ok(received)
    }

    fn stop(&mut self, state: State) {
        self.state = state;
        if let Some(ahead) = &mut self.ahead {
            ahead.clear();
        }
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Ord> Pages<T, K> {
    fn fetch(&mut self, page: u32) -> Result<Page<T>, Error> {
        let earlier = match self.ahead.as_mut().and_then(|ahead| ahead.take(page)) {
            Some(Ok(received)) => return Ok(received),
            // The failed attempt counts; retrying it happens here, in order.
            Some(Err(failure)) => Some(failure),
            None => None,
        };
        let request = self.listing.request(self.client.base_url(), page);
        self.client.fetch(&request, &mut self.buf, earlier)
    }

    /// Keeps pages after `page`, up to `max_page`, in flight, as many as
    /// `prefetch` allows and the limit can use.
    fn prefetch(&mut self, page: u32, max_page: u32) {
        if self.listing.prefetch == 0 {
            return;
        }
        let per_page = u64::from(self.listing.per_page());
        // Pages beyond those that can complete the limit would be wasted.
        let needed = self
            .remaining
            .map_or(u64::MAX, |items| items.div_ceil(per_page));
        let last = u32::try_from(needed)
            .map_or(max_page, |needed| page.saturating_add(needed).min(max_page));
        let (client, depth) = (&self.client, self.listing.prefetch);
        let ahead = self
            .ahead
            .get_or_insert_with(|| Prefetch::new(client.clone(), depth));
        let mut next = ahead.last().unwrap_or(page).checked_add(1);
        while let Some(queued) = next.filter(|&n| n <= last && ahead.has_room()) {
            let request = self.listing.request(self.client.base_url(), queued);
            if !ahead.push(queued, request) {
                // Without a worker, the page is fetched in order when reached.
                break;
            }
            next = queued.checked_add(1);
        }
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Ord> Iterator for Pages<T, K> {
    type Item = Result<Page<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let page = match std::mem::replace(&mut self.state, State::Finished) {
            State::Next(page) => page,
            State::Invalid(error) => return Some(Err(error)),
            stopped => {
                self.state = stopped;
                return None;
            }
        };
        let result = self.fetch(page);
        let max_page = result.as_ref().map_or(0, |received| received.max_page);
        let accepted = self.accept(page, result);
        if let State::Next(_) = self.state {
            self.prefetch(page, max_page);
        }
        Some(accepted)
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Ord> FusedIterator for Pages<T, K> {}

impl<T, K> std::fmt::Debug for Pages<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("listing", &self.listing)
            .field("state", &self.state)
            .field("total", &self.total)
            .field("listed", &self.listed)
            .finish_non_exhaustive()
    }
}

/// Every item of every page of a listing, in order.
///
/// Made by [`ListWebhooks::items`](crate::ListWebhooks::items) or by iterating a
/// [`ListWebhooks`](crate::ListWebhooks). It runs a [`Pages`] and stops exactly
/// when it does; every item of a page is yielded before the next page is
/// requested, and an error comes after every item received before it.
pub struct Items<T, K = u64> {
    pages: Pages<T, K>,
    current: std::vec::IntoIter<T>,
}

impl<T, K: Hash + Ord> Items<T, K> {
    pub(crate) fn new(pages: Pages<T, K>) -> Self {
        Items {
            pages,
            current: Vec::new().into_iter(),
        }
    }

    /// The number of items the server reported, once a page has arrived.
    /// See [`Pages::total`].
    pub fn total(&self) -> Option<u64> {
        self.pages.total()
    }

    /// The page the listing would request next, or the page it failed on.
    /// Items of the current page not yet yielded are not counted: resume from
    /// here after an error, or after the iterator ran dry. See [`Pages::next_page`].
    pub fn next_page(&self) -> Option<u32> {
        self.pages.next_page()
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Ord> Iterator for Items<T, K> {
    type Item = Result<T, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.current.next() {
            Some(item) => Some(Ok(item)),
            None => self.next_page_first_item(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.current.len(), None)
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Ord> Items<T, K> {
    /// The slow path of `next`, out of line so that the per-item path inlines
    /// into the caller's loop.
    #[inline(never)]
    fn next_page_first_item(&mut self) -> Option<Result<T, Error>> {
        // The page used up is freed now, while the allocator's view of it is
        // still in cache, rather than after the next round trip.
        self.current = Vec::new().into_iter();
        loop {
            match self.pages.next()? {
                Ok(page) => self.current = page.items.into_iter(),
                Err(error) => return Some(Err(error)),
            }
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
        }
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Ord> FusedIterator for Items<T, K> {}

impl<T, K> std::fmt::Debug for Items<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}
