//! The lazy iterators that run a [`Listing`](crate::listing::Listing): page
//! after page, one page in memory, with optional prefetching.

use std::hash::Hash;
use std::iter::FusedIterator;

use serde::de::DeserializeOwned;

use crate::listing::contract::Contract;
use crate::listing::dedupe::Dedupe;
use crate::listing::prefetch::Prefetch;
use crate::listing::Listing;
use crate::{Client, Error, Page};

/// Every page of a listing, in order, as [`Page`]s.
///
/// Made by [`ListWebhooks::pages`](crate::ListWebhooks::pages). Sends nothing
/// until the first [`next`](Iterator::next), then one request per page (plus
/// retries), holding one page at a time.
///
/// # When it stops
/// Every listing keeps these invariants, whatever the server answers, with a
/// [`limit`](crate::ListWebhooks::limit), with
/// [`prefetch`](crate::ListWebhooks::prefetch), and in
/// [`snapshot`](crate::ListWebhooks::snapshot) (`count` is always that of the
/// latest answer):
/// - **It is bounded.** It goes to at most `ceil(count / per_page) + 2`
///   pages, and receives at most as many items as those pages hold,
///   duplicates included; retries of a page are not pages, and prefetching
///   requests no page beyond the bound either. Past it: [`Error::Runaway`].
///   `per_page` is the one asked for, or the size of the largest page
///   received when the server caps it lower.
/// - **It is complete and exact, or ends with an error.** A listing from
///   page 1 without a limit that ends (below) having yielded other than
///   `count` distinct items yields [`Error::CountMismatch`] after all its
///   items: fewer, and items were missed; more, and some were deleted
///   meanwhile; usually because the account changed during the listing.
///   List again, or use [`snapshot`](crate::ListWebhooks::snapshot). A page
///   shorter than `per_page` is not an error by itself (a server may cap
///   `per_page`): the end check is what catches a gap.
///
/// It ends (`None`, or that [`Error::CountMismatch`] first) after yielding the
/// page that:
/// - is numbered `max_page` or above (the `max_page` of the latest answer,
///   which may grow or shrink during a listing), or
/// - has no items, or
/// - completes the [`limit`](crate::ListWebhooks::limit) set on the request
///   (the page is cut to it; no end check then).
///
/// It yields one `Err` and then ends when:
/// - a request fails (after its retries);
/// - the server answers a different page than the one requested
///   ([`Error::PageMismatch`]);
/// - the listing would go past its bound ([`Error::Runaway`]): so it never
///   runs on, even from a server whose `max_page` keeps running ahead of
///   `page` or that repeats the same page.
///
/// It is fused: after `None` or an error it only returns `None`, so a loop
/// that `continue`s on errors cannot spin.
///
/// The end check trusts `count`, which Partoo documents as the number of
/// resources matching the request. Should a server's `count` ever be wrong,
/// the items are all there before the error: keep them and ignore
/// [`Error::CountMismatch`], or list with [`page`](crate::ListWebhooks::page) or
/// a limit, which skip the check.
///
/// Items whose id was already yielded among the latest 256 items (at least)
/// of this listing are left out (see [`duplicates`](Self::duplicates)):
/// webhooks created during a listing shift items across page boundaries. The
/// bounded window keeps memory flat on huge listings; "distinct" above means
/// as far as it sees.
pub struct Pages<T> {
    client: Client,
    listing: Listing,
    state: State,
    /// Items still to yield under the request's limit.
    remaining: Option<u64>,
    contract: Contract,
    dedupe: Dedupe<T>,
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
    /// The last page was yielded; the contract's end check comes next.
    Ending,
    Finished,
}

impl<T: 'static> Pages<T> {
    /// A listing whose items `identity` tells apart (their id), for the
    /// de-duplication.
    pub(crate) fn new<K: Hash + Ord + Send + 'static>(
        client: Client,
        listing: Listing,
        identity: fn(&T) -> K,
    ) -> Self {
        let state = match listing.validate() {
            Ok(()) if listing.limit == Some(0) => State::Finished,
            Ok(()) => State::Next(listing.page.unwrap_or(1)),
            Err(error) => State::Invalid(error),
        };
        let start = listing.page.unwrap_or(1);
        let whole = start == 1 && listing.limit.is_none();
        Pages {
            client,
            remaining: listing.limit,
            contract: Contract::new(start, listing.per_page(), whole),
            listing,
            state,
            dedupe: Dedupe::new(identity),
            duplicates: 0,
            buf: Vec::new(),
            ahead: None,
        }
    }
}

impl<T> Pages<T> {
    /// The number of items the server reported (`count` of the latest page), once
    /// a page has arrived.
    pub fn total(&self) -> Option<u64> {
        self.contract.count()
    }

    /// How many items were left out so far because their id had already been
    /// yielded: a sign that the account changed during the listing.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// The page the listing would request next, or the page a request failed
    /// on: resume an interrupted listing with
    /// [`.page(n)`](crate::ListWebhooks::page). `None` once the listing has
    /// ended, [`Error::Runaway`] and [`Error::CountMismatch`] included: resuming
    /// would not mend those, listing again may.
    pub fn next_page(&self) -> Option<u32> {
        match self.state {
            State::Next(page) | State::Failed(page) => Some(page),
            State::Invalid(_) | State::Ending | State::Finished => None,
        }
    }

    /// Records the outcome for `page` and decides what comes next.
    fn accept(&mut self, page: u32, result: Result<Page<T>, Error>) -> Result<Page<T>, Error> {
        let result = result.and_then(|received| {
            self.contract.receive(page, &received)?;
            Ok(received)
        });
        let mut received = match result {
            Ok(received) => received,
            Err(error) => {
                let stopped = match error {
                    Error::Runaway { .. } => State::Finished,
                    _ => State::Failed(page),
                };
                self.stop(stopped);
                return Err(error);
            }
        };
        let raw = received.items.len();
        self.dedupe.retain_new(&mut received.items);
        if received.items.len() < raw {
            let skipped = raw - received.items.len();
            self.duplicates += skipped as u64;
            log::debug!("page {page}: skipped {skipped} items already listed");
        }
        if let Some(remaining) = &mut self.remaining {
            received
                .items
                .truncate(usize::try_from(*remaining).unwrap_or(usize::MAX));
            *remaining -= received.items.len() as u64;
        }
        self.contract.yielded(received.items.len());
        let next = page.checked_add(1).filter(|_| page < received.max_page);
        match next {
            _ if self.remaining == Some(0) => self.stop(State::Finished),
            Some(next) if raw > 0 => self.state = State::Next(next),
            _ => self.stop(State::Ending),
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

impl<T: DeserializeOwned + Send + 'static> Pages<T> {
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
    /// `prefetch` allows, the limit can use and the contract's bound permits.
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
            .map_or(max_page, |needed| page.saturating_add(needed).min(max_page))
            .min(self.contract.last_page().unwrap_or(page));
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

impl<T: DeserializeOwned + Send + 'static> Iterator for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let page = match std::mem::replace(&mut self.state, State::Finished) {
            State::Next(page) => page,
            State::Invalid(error) => return Some(Err(error)),
            State::Ending => return self.contract.end().err().map(Err),
            stopped => {
                self.state = stopped;
                return None;
            }
        };
        if let Err(error) = self.contract.go_to(page) {
            self.stop(State::Finished);
            return Some(Err(error));
        }
        let result = self.fetch(page);
        let max_page = result.as_ref().map_or(0, |received| received.max_page);
        let accepted = self.accept(page, result);
        if let State::Next(_) = self.state {
            self.prefetch(page, max_page);
        }
        Some(accepted)
    }
}

impl<T: DeserializeOwned + Send + 'static> FusedIterator for Pages<T> {}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("listing", &self.listing)
            .field("state", &self.state)
            .field("contract", &self.contract)
            .finish_non_exhaustive()
    }
}

/// Every item of every page of a listing, in order.
///
/// Made by [`ListWebhooks::items`](crate::ListWebhooks::items) or by iterating a
/// [`ListWebhooks`](crate::ListWebhooks). It runs a [`Pages`] and stops exactly
/// when it does; every item of a page is yielded before the next page is
/// requested, and an error comes after every item received before it.
pub struct Items<T> {
    pages: Pages<T>,
    current: std::vec::IntoIter<T>,
}

impl<T> Items<T> {
    pub(crate) fn new(pages: Pages<T>) -> Self {
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

impl<T: DeserializeOwned + Send + 'static> Iterator for Items<T> {
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

impl<T: DeserializeOwned + Send + 'static> Items<T> {
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

impl<T: DeserializeOwned + Send + 'static> FusedIterator for Items<T> {}

impl<T> std::fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}
