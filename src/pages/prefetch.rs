//! Pages fetched ahead, each on a thread of its own, handed over in page order.
//!
//! A thread runs the same page-fetching function as the listing, retries and
//! the client's shared back-off included (no request of any thread starts
//! before a honoured `Retry-After` has passed). Dropping the listing returns at
//! once: requests in flight finish on their threads, bounded by the client's
//! timeout and retries, and their results are thrown away.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver};
use std::thread;

use crate::error::Error;
use crate::pages::{Fetch, Page};

/// The most pages a listing keeps in flight ahead of the one being read.
/// Partoo allows 300 requests per minute per organization: more parallel
/// requests would only meet 429s.
pub const MAX_PREFETCH: usize = 16;

/// Where the outcome of a page requested ahead arrives.
type Outcome<T> = Receiver<Result<Page<T>, Error>>;

/// The pages requested ahead of a listing, in page order.
pub(crate) struct Prefetch<T> {
    depth: usize,
    ahead: VecDeque<(u32, Outcome<T>)>,
}

impl<T: Send + 'static> Prefetch<T> {
    /// Up to `depth` pages in flight, capped at [`MAX_PREFETCH`].
    pub(crate) fn new(depth: usize) -> Self {
        Prefetch {
            depth: depth.min(MAX_PREFETCH),
            ahead: VecDeque::new(),
        }
    }

    /// Requests the pages from `next` to `last` not yet in flight, while there is room.
    pub(crate) fn fill(&mut self, next: u32, last: u32, fetch: &Fetch<T>) {
        let mut page = self
            .ahead
            .back()
            .map_or(next, |(page, _)| page.saturating_add(1));
        while page <= last && self.ahead.len() < self.depth {
            let (reply, outcome) = mpsc::sync_channel(1);
            let fetch = Fetch::clone(fetch);
            let spawned = thread::Builder::new()
                .name("partoo-prefetch".to_owned())
                .spawn(move || reply.send(fetch(page)));
            if spawned.is_err() {
                // Without a thread, the page is fetched in order when reached.
                return;
            }
            self.ahead.push_back((page, outcome));
            page = match page.checked_add(1) {
                Some(after) => after,
                None => return,
            };
        }
    }

    /// The outcome of `page` if it was requested ahead, waiting for it; `None`
    /// when it was not, or its thread died without an answer: the listing then
    /// fetches it itself.
    pub(crate) fn take(&mut self, page: u32) -> Option<Result<Page<T>, Error>> {
        match self.ahead.front() {
            Some((ahead, _)) if *ahead == page => self.ahead.pop_front()?.1.recv().ok(),
            _ => None,
        }
    }

    /// Forgets every page in flight.
    pub(crate) fn clear(&mut self) {
        self.ahead.clear();
    }
}
