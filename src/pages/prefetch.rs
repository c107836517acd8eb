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

/// The pages requested ahead of a listing, in page order from the next one to
/// read, each with where its outcome arrives.
pub(crate) type Ahead<T> = VecDeque<(u32, Receiver<Result<Page<T>, Error>>)>;

/// Requests the pages from `next` to `last` not yet in flight. The pages in
/// flight always run from `next` on (the listing takes them in order), so the
/// caller keeps them within its depth by its choice of `last`.
pub(crate) fn fill<T: Send + 'static>(
    ahead: &mut Ahead<T>,
    next: u32,
    last: u32,
    fetch: &Fetch<T>,
) {
    let back = ahead.back().map(|(page, _)| *page);
    for page in (next..=last).filter(|&page| Some(page) > back) {
        let (reply, outcome) = mpsc::sync_channel(1);
        let fetch = Fetch::clone(fetch);
        let spawned = thread::Builder::new()
            .name("partoo-prefetch".to_owned())
            .spawn(move || reply.send(fetch(page)));
        // Without a thread, the page is fetched in order when reached.
        let Ok(_) = spawned else { return };
        ahead.push_back((page, outcome));
    }
}

/// The outcome of `page` if it was requested ahead, waiting for it; `None`
/// when it was not, or its thread died without an answer: the listing then
/// fetches it itself.
pub(crate) fn take<T>(ahead: &mut Ahead<T>, page: u32) -> Option<Result<Page<T>, Error>> {
    match ahead.front() {
        Some((ahead_page, _)) if *ahead_page == page => ahead.pop_front()?.1.recv().ok(),
        _ => None,
    }
}
