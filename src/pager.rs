//! The lazy iterators that run a [`Listing`](crate::pagination::Listing): page
//! after page, one page in memory, with optional prefetching.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::iter::FusedIterator;
use std::thread::{self, JoinHandle};

use serde::de::DeserializeOwned;

use crate::pagination::Listing;
use crate::retry::Failure;
use crate::{Client, Error, Page};

/// How many of the latest item ids a listing remembers to skip duplicates.
///
/// Offset pagination shifts items by one page boundary at most when fewer than
/// `per_page` items are created between two requests, so the previous page
/// would do; this is far more, and still keeps memory flat on huge listings.
pub(crate) const REMEMBERED_IDS: usize = 4096;

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
/// - has no items, or
/// - reports a `max_page` or a `count` of 0.
///
/// It yields one `Err` and then ends when a request fails (after its retries),
/// or when the server answers a different page than the one requested. It is
/// fused: after `None` or an error it only returns `None`, so a loop that
/// `continue`s on errors cannot spin.
///
/// Items whose id was already yielded among the last 4,096 items of this listing
/// are left out of later pages: webhooks created during a listing shift items
/// across page boundaries. The window keeps memory flat on huge listings.
pub struct Pages<T, K = u64> {
    client: Client,
    listing: Listing,
    identity: fn(&T) -> K,
    state: State,
    total: Option<u64>,
    seen: Seen<K>,
    buf: Vec<u8>,
    ahead: VecDeque<Prefetched<T>>,
}

/// A page requested ahead: its number, and the thread making its one attempt.
type Prefetched<T> = (u32, JoinHandle<Result<Page<T>, Failure>>);

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

impl<T, K: Hash + Eq + Clone> Pages<T, K> {
    pub(crate) fn new(client: Client, listing: Listing, identity: fn(&T) -> K) -> Self {
        let state = match listing.validate() {
            Ok(()) => State::Next(listing.page.unwrap_or(1)),
            Err(error) => State::Invalid(error),
        };
        Pages {
            client,
            listing,
            identity,
            state,
            total: None,
            seen: Seen::default(),
            buf: Vec::new(),
            ahead: VecDeque::new(),
        }
    }

    /// The number of items the server reported (`count` of the latest page), once
    /// a page has arrived.
    pub fn total(&self) -> Option<u64> {
        self.total
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
        let mut received = match result {
            Ok(received) if received.page == page => received,
            Ok(received) => {
                self.stop(State::Failed(page));
                return Err(Error::PageMismatch {
                    requested: page,
                    received: received.page,
                });
            }
            Err(error) => {
                self.stop(State::Failed(page));
                return Err(error);
            }
        };
        self.total = Some(received.count);
        let last = received.items.is_empty() || received.count == 0 || page >= received.max_page;
        let listed = received.items.len();
        self.seen.retain_new(&mut received.items, self.identity);
        if received.items.len() < listed {
            log::debug!(
                "page {page}: skipped {} items already listed",
                listed - received.items.len()
            );
        }
        if last {
            self.stop(State::Finished);
        } else {
            // page < max_page <= u32::MAX, so page + 1 cannot overflow.
            self.state = State::Next(page + 1);
        }
        Ok(received)
    }

    fn stop(&mut self, state: State) {
        self.state = state;
        for (_, handle) in self.ahead.drain(..) {
            let _ = handle.join();
        }
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Eq + Clone> Pages<T, K> {
    fn fetch(&mut self, page: u32) -> Result<Page<T>, Error> {
        let mut earlier = None;
        if self.ahead.front().is_some_and(|(ahead, _)| *ahead == page) {
            if let Some((_, handle)) = self.ahead.pop_front() {
                match handle.join() {
                    Ok(Ok(received)) => return Ok(received),
                    // The failed attempt counts; retrying it happens here, in order.
                    Ok(Err(failure)) => earlier = Some(failure),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        }
        let per_page = Some(self.listing.iteration_per_page());
        let request = self
            .listing
            .request(self.client.base_url(), Some(page), per_page);
        self.client.fetch(&request, &mut self.buf, earlier)
    }

    /// Keeps up to `prefetch` pages after `page` (and up to `max_page`) in flight.
    ///
    /// A prefetching thread makes one attempt; a retryable failure is retried
    /// when the listing reaches that page, so dropping the iterator waits for at
    /// most one request per thread.
    fn prefetch(&mut self, page: u32, max_page: u32) {
        let ahead = u32::try_from(self.listing.prefetch).unwrap_or(u32::MAX);
        let last = page.saturating_add(ahead).min(max_page);
        let mut next = self.ahead.back().map_or(page, |(queued, _)| *queued) + 1;
        while next <= last {
            let client = self.client.clone();
            let per_page = Some(self.listing.iteration_per_page());
            let request = self
                .listing
                .request(client.base_url(), Some(next), per_page);
            let spawned = thread::Builder::new()
                .name(format!("partoo-prefetch-{next}"))
                .spawn(move || client.attempt(&request, 1, &mut Vec::new()));
            match spawned {
                Ok(handle) => self.ahead.push_back((next, handle)),
                // Without a thread, the page is fetched in order when reached.
                Err(_) => break,
            }
            next += 1;
        }
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Eq + Clone> Iterator for Pages<T, K> {
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

impl<T: DeserializeOwned + Send + 'static, K: Hash + Eq + Clone> FusedIterator for Pages<T, K> {}

impl<T, K> Drop for Pages<T, K> {
    /// Waits for prefetching threads, each at most one request, so none outlives the listing.
    fn drop(&mut self) {
        for (_, handle) in self.ahead.drain(..) {
            let _ = handle.join();
        }
    }
}

impl<T, K> std::fmt::Debug for Pages<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("listing", &self.listing)
            .field("state", &self.state)
            .field("total", &self.total)
            .field("prefetched", &self.ahead.len())
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

impl<T, K: Hash + Eq + Clone> Items<T, K> {
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

impl<T: DeserializeOwned + Send + 'static, K: Hash + Eq + Clone> Iterator for Items<T, K> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.current = page.items.into_iter(),
                Err(error) => return Some(Err(error)),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.current.len(), None)
    }
}

impl<T: DeserializeOwned + Send + 'static, K: Hash + Eq + Clone> FusedIterator for Items<T, K> {}

impl<T, K> std::fmt::Debug for Items<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}

/// The ids of the latest [`REMEMBERED_IDS`] items yielded.
struct Seen<K> {
    ids: HashSet<K, BuildHasherDefault<IdHasher>>,
    order: VecDeque<K>,
}

impl<K> Default for Seen<K> {
    fn default() -> Self {
        Seen {
            ids: HashSet::default(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Seen<K> {
    /// Removes from `items` those already seen (on this page too), remembering the rest.
    fn retain_new<T>(&mut self, items: &mut Vec<T>, identity: fn(&T) -> K) {
        items.retain(|item| {
            let id = identity(item);
            if !self.ids.insert(id.clone()) {
                return false;
            }
            if self.order.len() == REMEMBERED_IDS {
                if let Some(oldest) = self.order.pop_front() {
                    self.ids.remove(&oldest);
                }
            }
            self.order.push_back(id);
            true
        });
    }
}

/// A fast multiplicative hasher for ids; the default SipHash would cost several
/// percent of decoding a page, and this set is bounded, so flooding it is harmless.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_ids_seen_on_this_page_or_recently() {
        let mut seen = Seen::default();
        let mut first = vec![1u64, 2, 3, 2];
        seen.retain_new(&mut first, |id| *id);
        assert_eq!(first, [1, 2, 3]);
        let mut second = vec![3u64, 4, 1];
        seen.retain_new(&mut second, |id| *id);
        assert_eq!(second, [4]);
    }

    #[test]
    fn forgets_the_oldest_ids_beyond_its_window() {
        let mut seen = Seen::default();
        let mut many: Vec<u64> = (0..REMEMBERED_IDS as u64 + 10).collect();
        seen.retain_new(&mut many, |id| *id);
        assert_eq!(seen.ids.len(), REMEMBERED_IDS);
        let mut again = vec![REMEMBERED_IDS as u64 + 9, 10, 9];
        seen.retain_new(&mut again, |id| *id);
        assert_eq!(again, [9], "ids 0..10 were forgotten, the rest remembered");
    }

    #[test]
    fn string_ids_work_too() {
        let mut seen = Seen::default();
        let mut ids = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        seen.retain_new(&mut ids, |id| id.clone());
        assert_eq!(ids, ["a", "b"]);
    }
}
