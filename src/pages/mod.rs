//! Listing page after page: the [`Page`] model, the settings of a listing,
//! and the lazy iterators that run it over a page-fetching function, with the
//! listing contract checked in one place. Nothing here knows about HTTP or
//! webhooks (they are one user of it, in `webhooks/list.rs`), so this is tested
//! without a server.
//!
//! - `prefetch.rs`: pages fetched ahead on threads, handed over in order.
//! - `snapshot.rs`: a whole listing that is a state the account had.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::iter::FusedIterator;
use std::sync::Arc;

use serde::Deserialize;

use crate::error::Error;
use prefetch::Ahead;

mod prefetch;
mod snapshot;

pub use prefetch::MAX_PREFETCH;
pub(crate) use snapshot::snapshot;

/// One page of a list endpoint, as the API returns it.
///
/// A page from [`Pages`] holds only the items not yielded before (see
/// [`Pages::duplicates`]), cut to the listing's limit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page number, from 1.
    pub page: u32,
    /// The last page, as of this answer (0 or 1 when there are no items).
    pub max_page: u32,
    /// How many items the whole listing holds, as of this answer.
    pub count: u64,
    /// The items of this page.
    pub items: Vec<T>,
}

impl<T> Page<T> {
    /// A page, for tests and for other sources of pages.
    #[must_use]
    pub fn new(page: u32, max_page: u32, count: u64, items: Vec<T>) -> Self {
        Page {
            page,
            max_page,
            count,
            items,
        }
    }
}

/// Fetches one page by number: the only thing a listing needs of its endpoint.
pub(crate) type Fetch<T> = Arc<dyn Fn(u32) -> Result<Page<T>, Error> + Send + Sync>;

/// What a listing is to do, apart from the iterator that does it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// The first page.
    pub page: u32,
    /// The page size asked for.
    pub per_page: u32,
    /// The most items to yield.
    pub limit: Option<u64>,
    /// Pages kept in flight ahead.
    pub prefetch: usize,
}

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
///   page 1 that ends (below) having yielded other than `min(limit, count)`
///   distinct items (`count` without a limit) yields
///   [`Error::CountMismatch`] after all its items: fewer, and items were
///   missed; more, and some were deleted meanwhile; usually because the
///   account changed during the listing. List again, or use
///   [`snapshot`](crate::ListWebhooks::snapshot). A page shorter than
///   `per_page` is not an error by itself (a server may cap `per_page`): the
///   end check is what catches a gap. A listing from another page has no
///   end check: it cannot know what came before.
///
/// It ends (`None`, or that [`Error::CountMismatch`] first) after yielding the
/// page that:
/// - is numbered `max_page` or above (the `max_page` of the latest answer,
///   which may grow or shrink during a listing), or
/// - has no items, or
/// - completes the [`limit`](crate::ListWebhooks::limit) (the page is cut to it).
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
/// Items whose id was already yielded by this listing are left out (see
/// [`duplicates`](Self::duplicates)): webhooks created during a listing shift
/// items across page boundaries. The ids are kept for the whole listing, 8
/// bytes each when they come in ascending order (as Partoo lists them),
/// checked by one comparison each. A listing that streams (rather than a
/// [`snapshot`](crate::ListWebhooks::snapshot)) can still miss or repeat a
/// webhook of an account that changes while it is listed: the end check
/// catches a count that does not add up, not every change.
pub struct Pages<T> {
    fetch: Fetch<T>,
    id: fn(&T) -> u64,
    settings: Settings,
    state: State,
    seen: Seen,
    duplicates: u64,
    /// The `count` of the latest answer.
    count: Option<u64>,
    /// The most items a page received held.
    largest: u64,
    /// Items received, duplicates included.
    received: u64,
    /// Distinct items yielded.
    listed: u64,
    /// The pages requested ahead.
    ahead: Ahead<T>,
}

#[derive(Debug)]
enum State {
    /// The next page to request.
    Next(u32),
    /// The listing stopped on an error at this page.
    Failed(u32),
    /// The settings were refused; the error is yielded on the first `next`.
    Invalid(Error),
    /// The last page was yielded; the end check comes next.
    Ending,
    Finished,
}

/// The ids a listing yielded: those that came in ascending order in a sorted
/// `Vec` (one comparison and a push each, 8 bytes), any other in a set.
#[derive(Debug, Default)]
struct Seen {
    ascending: Vec<u64>,
    others: HashSet<u64>,
}

impl Seen {
    /// Whether `id` comes for the first time; it is kept either way.
    #[inline]
    fn first(&mut self, id: u64) -> bool {
        match self.ascending.last() {
            // Above every ascending id, and so above every other one.
            Some(&last) if id <= last => {
                self.ascending.binary_search(&id).is_err() && self.others.insert(id)
            }
            _ => {
                self.ascending.push(id);
                true
            }
        }
    }
}

impl<T> Pages<T> {
    /// A listing of `settings` over `fetch`, whose items `id` tells apart.
    pub(crate) fn new(
        settings: Result<Settings, Error>,
        fetch: Fetch<T>,
        id: fn(&T) -> u64,
    ) -> Self {
        let (settings, state) = match settings {
            Ok(s) if s.limit == Some(0) => (s, State::Finished),
            Ok(s) => (s.clone(), State::Next(s.page)),
            Err(error) => (Settings::default(), State::Invalid(error)),
        };
        Pages {
            ahead: VecDeque::new(),
            fetch,
            id,
            settings,
            state,
            seen: Seen::default(),
            duplicates: 0,
            count: None,
            largest: 0,
            received: 0,
            listed: 0,
        }
    }

    /// The number of items the server reported (`count` of the latest page), once
    /// a page has arrived.
    pub fn total(&self) -> Option<u64> {
        self.count
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
            _ => None,
        }
    }

    /// The items per page the server uses, as far as it showed.
    fn page_size(&self) -> u64 {
        u64::from(self.settings.per_page).min(self.largest).max(1)
    }

    /// The most pages the latest `count` allows; `None` before any answer.
    fn max_pages(&self) -> Option<u64> {
        Some(self.count?.div_ceil(self.page_size()).saturating_add(2))
    }

    /// The last page the listing may go to, as far as the latest answer says.
    fn last_page(&self) -> Option<u32> {
        let last = u64::from(self.settings.page).saturating_add(self.max_pages()? - 1);
        Some(u32::try_from(last).unwrap_or(u32::MAX))
    }

    fn runaway(&self, page: u32) -> Error {
        Error::Runaway {
            page,
            count: self.count.unwrap_or(0),
            max_pages: self.max_pages().unwrap_or(0),
            received: self.received,
        }
    }

    /// Takes in the answer to `page`: the contract's checks, the duplicates
    /// left out, the limit applied, and what comes next.
    fn receive(&mut self, page: u32, mut answer: Page<T>) -> Result<Page<T>, Error> {
        if answer.page != page {
            return Err(Error::PageMismatch {
                requested: page,
                received: answer.page,
            });
        }
        let raw = answer.items.len() as u64;
        self.count = Some(answer.count);
        self.largest = self.largest.max(raw);
        self.received = self.received.saturating_add(raw);
        let max_pages = self.max_pages().unwrap_or(0);
        let max_items = max_pages.saturating_mul(self.page_size());
        if self.received > max_items {
            return Err(self.runaway(page));
        }
        if self.seen.ascending.capacity() == 0 {
            // Room for the listing at once (a million ids at most): no regrowth.
            let room = usize::try_from(max_items.min(1 << 20)).unwrap_or(0);
            self.seen.ascending.reserve(room);
        }
        let (seen, id) = (&mut self.seen, self.id);
        answer.items.retain(|item| seen.first(id(item)));
        self.duplicates += raw - answer.items.len() as u64;
        let room = self.settings.limit.unwrap_or(u64::MAX) - self.listed;
        answer
            .items
            .truncate(usize::try_from(room).unwrap_or(usize::MAX));
        self.listed += answer.items.len() as u64;
        self.state = match page.checked_add(1) {
            _ if Some(self.listed) == self.settings.limit => State::Ending,
            Some(next) if page < answer.max_page && raw > 0 => State::Next(next),
            _ => State::Ending,
        };
        Ok(answer)
    }

    /// The last page to keep in flight from `next`: as many pages as
    /// `prefetch` allows (at most [`MAX_PREFETCH`]) and the limit can use, up
    /// to `max_page` and within the contract's bound.
    fn last_ahead(&self, next: u32, max_page: u32) -> u32 {
        let room = self.settings.limit.unwrap_or(u64::MAX) - self.listed;
        let depth = self.settings.prefetch.min(MAX_PREFETCH) as u64;
        let pages = room.div_ceil(self.page_size()).min(depth);
        let last = u32::try_from(u64::from(next) + pages - 1).unwrap_or(u32::MAX);
        last.min(max_page).min(self.last_page().unwrap_or(next))
    }

    /// The end check: a listing from page 1 holds exactly `min(limit, count)`
    /// items, or this is the error to yield.
    fn end(&self) -> Option<Error> {
        let (listed, count) = (self.listed, self.count.unwrap_or(0));
        let expected = self.settings.limit.map_or(count, |limit| limit.min(count));
        let mismatch = self.settings.page == 1 && listed != expected;
        mismatch.then_some(Error::CountMismatch { listed, count })
    }
}

impl<T: Send + 'static> Iterator for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let page = match std::mem::replace(&mut self.state, State::Finished) {
            State::Next(page) => page,
            State::Invalid(error) => return Some(Err(error)),
            State::Ending => return self.end().map(Err),
            stopped => {
                self.state = stopped;
                return None;
            }
        };
        let fetched = match self.last_page() {
            Some(last) if page > last => Err(self.runaway(page)),
            _ => prefetch::take(&mut self.ahead, page).unwrap_or_else(|| (self.fetch)(page)),
        };
        let result = fetched.map_err(|e| e.on_page(page));
        match result.and_then(|answer| self.receive(page, answer)) {
            Ok(answer) => {
                if let State::Next(next) = self.state {
                    let last = self.last_ahead(next, answer.max_page);
                    prefetch::fill(&mut self.ahead, next, last, &self.fetch);
                }
                Some(Ok(answer))
            }
            Err(error) => {
                if !matches!(error, Error::Runaway { .. }) {
                    self.state = State::Failed(page);
                }
                self.ahead.clear();
                Some(Err(error))
            }
        }
    }
}

impl<T: Send + 'static> FusedIterator for Pages<T> {}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("settings", &self.settings)
            .field("state", &self.state)
            .field("count", &self.count)
            .field("listed", &self.listed)
            .finish_non_exhaustive()
    }
}

/// Every item of a listing, in order: [`Pages`] flattened, one page in memory.
///
/// Stops as [`Pages`] does, yielding the same errors.
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

impl<T: Send + 'static> Iterator for Items<T> {
    type Item = Result<T, Error>;

    #[inline]
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

impl<T: Send + 'static> FusedIterator for Items<T> {}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A listing of `per_page` over pages the closure makes, and the pages it was asked for.
    fn listing(
        settings: Settings,
        serve: impl Fn(u32) -> Result<Page<u64>, Error> + Send + Sync + 'static,
    ) -> (Pages<u64>, Arc<Mutex<Vec<u32>>>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&asked);
        let fetch: Fetch<u64> = Arc::new(move |page| {
            log.lock().unwrap().push(page);
            serve(page)
        });
        (Pages::new(Ok(settings), fetch, |id| *id), asked)
    }

    fn settings(limit: Option<u64>) -> Settings {
        Settings {
            page: 1,
            per_page: 2,
            limit,
            prefetch: 0,
        }
    }

    /// An account of `count` items, 2 a page, that says so truthfully.
    fn honest(count: u64) -> impl Fn(u32) -> Result<Page<u64>, Error> {
        move |page| {
            let first = u64::from(page - 1) * 2;
            let items = (first..count.min(first + 2)).collect();
            Ok(Page::new(
                page,
                u32::try_from(count.div_ceil(2)).unwrap(),
                count,
                items,
            ))
        }
    }

    fn run(pages: Pages<u64>) -> (Vec<u64>, Option<Error>) {
        let (mut items, mut error) = (Vec::new(), None);
        for page in pages {
            match page {
                Ok(page) => items.extend(page.items),
                Err(e) => error = Some(e),
            }
        }
        (items, error)
    }

    #[test]
    fn seen_tells_first_comings_in_any_order() {
        let mut seen = Seen::default();
        let firsts: Vec<bool> = [5, 7, 7, 3, 5, 9, 3, 8, 1, 9, 6]
            .into_iter()
            .map(|id| seen.first(id))
            .collect();
        let expected = [
            true, true, false, true, false, true, false, true, true, false, true,
        ];
        assert_eq!(firsts, expected);
        assert_eq!(seen.ascending, [5, 7, 9]);
    }

    #[test]
    fn an_honest_account_is_listed_whole_one_request_a_page() {
        let (pages, asked) = listing(settings(None), honest(5));
        assert_eq!(run(pages).0, vec![0, 1, 2, 3, 4]);
        assert_eq!(*asked.lock().unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn a_limit_stops_at_it_and_a_short_listing_under_a_limit_is_an_error() {
        let (pages, asked) = listing(settings(Some(3)), honest(300));
        let (items, error) = run(pages);
        assert_eq!((items, error.is_none()), (vec![0, 1, 2], true));
        assert_eq!(asked.lock().unwrap().len(), 2);
        // Announces 300, ends after one page: fewer than min(limit, count).
        for limit in [Some(150), Some(1000), None] {
            let short = |page| Ok(Page::new(page, 1, 300, vec![1, 2]));
            let (items, error) = run(listing(settings(limit), short).0);
            assert_eq!(items, vec![1, 2]);
            assert!(
                matches!(
                    error,
                    Some(Error::CountMismatch {
                        listed: 2,
                        count: 300
                    })
                ),
                "{limit:?}: {error:?}"
            );
        }
    }

    #[test]
    fn a_limit_above_count_is_exact_too() {
        let (items, error) = run(listing(settings(Some(10)), honest(5)).0);
        assert_eq!((items.len(), error.is_none()), (5, true));
    }

    #[test]
    fn a_server_that_never_ends_is_stopped_at_the_bound() {
        let (pages, asked) = listing(settings(None), |page| {
            Ok(Page::new(
                page,
                u32::MAX,
                4,
                vec![u64::from(page) * 2, u64::from(page) * 2 + 1],
            ))
        });
        let (_, error) = run(pages);
        assert!(
            matches!(error, Some(Error::Runaway { page: 5, .. })),
            "{error:?}"
        );
        assert_eq!(asked.lock().unwrap().len(), 4);
    }

    #[test]
    fn repeats_are_left_out_and_counted() {
        let (mut pages, _) = listing(settings(None), |page| {
            Ok(Page::new(page, 2, 4, vec![1, u64::from(page) + 1]))
        });
        assert_eq!(pages.next().unwrap().unwrap().items, vec![1, 2]);
        assert_eq!(pages.next().unwrap().unwrap().items, vec![3]);
        assert_eq!(pages.duplicates(), 1);
        assert!(matches!(
            pages.next(),
            Some(Err(Error::CountMismatch {
                listed: 3,
                count: 4
            }))
        ));
        assert!(pages.next().is_none());
    }

    #[test]
    fn an_error_names_its_page_and_the_listing_resumes_there() {
        let (mut pages, _) = listing(settings(None), |page| match page {
            1 => honest(6)(1),
            _ => Err(Error::Status {
                page: None,
                status: 500,
                message: String::new(),
                retry_after: None,
            }),
        });
        assert!(pages.next().unwrap().is_ok());
        let error = pages.next().unwrap().unwrap_err();
        assert_eq!((error.page(), pages.next_page()), (Some(2), Some(2)));
        assert!(pages.next().is_none());
    }

    #[test]
    fn prefetching_yields_in_order_within_the_bound() {
        let (pages, asked) = listing(
            Settings {
                prefetch: 3,
                ..settings(None)
            },
            honest(11),
        );
        let (items, error) = run(pages);
        assert_eq!((items, error.is_none()), ((0..11).collect(), true));
        let mut asked = asked.lock().unwrap().clone();
        asked.sort_unstable();
        assert_eq!(asked, vec![1, 2, 3, 4, 5, 6]);
    }
}
