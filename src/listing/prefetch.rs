//! Pages requested ahead by a few worker threads, reused for the whole listing.
//!
//! A thread per page would cost a `clone3`, a stack and their teardown for
//! every page; the workers here are started as the pages in flight first need
//! them (at most [`MAX_PREFETCH`]), and each keeps its own body buffer.
//!
//! A worker makes one attempt per page and decodes it: retries (and their
//! sleeps) happen in the listing's thread, in page order, on the deadline the
//! failure set (see `retry.rs`), not on a new wait. A worker starts no
//! request before the client's back-off has passed. Decoding there
//! instead was measured worse on one CPU (1.28x the sequential CPU instead of
//! 1.20x): workers woken by their responses preempt the decoding thread.
//!
//! Dropping the queue returns at once: requests in flight finish on their
//! workers, bounded by the client's timeout, and their results are thrown away.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread;

use serde::de::DeserializeOwned;

use crate::client::retry::Failure;
use crate::listing::PageRequest;
use crate::{Client, Page};

/// The most pages a listing keeps in flight ahead of the one being read, and
/// so the most worker threads it starts. Partoo allows 300 requests per
/// minute per organization: more parallel requests would only meet 429s.
pub const MAX_PREFETCH: usize = 16;

/// The outcome of one attempt at a page.
type Outcome<T> = Result<Page<T>, Failure>;

/// One page for a worker: the request, where to send its outcome, and the
/// generation of the listing's wishes it belongs to.
struct Job<T> {
    request: PageRequest,
    reply: SyncSender<Outcome<T>>,
    generation: u64,
}

/// The pages requested ahead of a listing, in page order.
pub(crate) struct Prefetch<T> {
    client: Client,
    /// How many pages may be in flight.
    depth: usize,
    /// Each worker's own queue: pages go round-robin, so a worker's previous
    /// page was taken, and its request done, before it gets another one.
    workers: Vec<Sender<Job<T>>>,
    /// Pages requested ahead so far, which picks the next worker.
    pushed: usize,
    /// Bumped whenever the listing drops what it asked for: a worker skips the
    /// jobs of an older generation instead of requesting pages nobody wants.
    generation: Arc<AtomicU64>,
    ahead: VecDeque<(u32, Receiver<Outcome<T>>)>,
}

impl<T: DeserializeOwned + Send + 'static> Prefetch<T> {
    /// A queue keeping up to `depth` pages in flight, capped at [`MAX_PREFETCH`].
    pub(crate) fn new(client: Client, depth: usize) -> Self {
        Prefetch {
            client,
            depth: depth.clamp(1, MAX_PREFETCH),
            workers: Vec::new(),
            pushed: 0,
            generation: Arc::new(AtomicU64::new(0)),
            ahead: VecDeque::new(),
        }
    }

    /// The highest page in flight, if any.
    pub(crate) fn last(&self) -> Option<u32> {
        self.ahead.back().map(|(page, _)| *page)
    }

    /// Whether another page may be requested now.
    pub(crate) fn has_room(&self) -> bool {
        self.ahead.len() < self.depth
    }

    /// Requests `page` ahead. Returns `false` when no worker could be started;
    /// the page is then fetched in order when the listing reaches it.
    pub(crate) fn push(&mut self, page: u32, request: PageRequest) -> bool {
        let index = self.pushed % self.depth;
        if index == self.workers.len() && !self.start_worker() {
            return false;
        }
        let (reply, outcome) = mpsc::sync_channel(1);
        let generation = self.generation.load(Ordering::Relaxed);
        let job = Job {
            request,
            reply,
            generation,
        };
        if self.workers[index].send(job).is_err() {
            return false;
        }
        self.pushed += 1;
        self.ahead.push_back((page, outcome));
        true
    }

    /// The outcome of `page` if it was requested ahead, waiting for it.
    ///
    /// `None` when it was not, or when its worker died without an answer (a
    /// panic): the listing then fetches it itself.
    pub(crate) fn take(&mut self, page: u32) -> Option<Outcome<T>> {
        if self.ahead.front().is_some_and(|(ahead, _)| *ahead == page) {
            let (_, outcome) = self.ahead.pop_front()?;
            return outcome.recv().ok();
        }
        None
    }

    fn start_worker(&mut self) -> bool {
        let (jobs, queue) = mpsc::channel();
        let client = self.client.clone();
        let generation = Arc::clone(&self.generation);
        let started = thread::Builder::new()
            .name("partoo-prefetch".to_owned())
            .spawn(move || work(&client, &queue, &generation));
        if started.is_err() {
            return false;
        }
        self.workers.push(jobs);
        true
    }
}

/// A worker's life: one attempt per job, until the listing is dropped and its
/// queue closes.
fn work<T: DeserializeOwned>(client: &Client, queue: &Receiver<Job<T>>, generation: &AtomicU64) {
    let mut buf = Vec::new();
    while let Ok(job) = queue.recv() {
        let wanted = || job.generation == generation.load(Ordering::Relaxed);
        if !wanted() {
            continue;
        }
        // The client's back-off (a 429's `Retry-After`) holds every thread;
        // the listing may have stopped meanwhile.
        client.wait_for_backoff();
        if !wanted() {
            continue;
        }
        // A listing that stopped waiting dropped the receiver: nothing to do.
        let _ = job.reply.send(client.attempt(&job.request, 1, &mut buf));
    }
}

impl<T> Prefetch<T> {
    /// Forgets every page in flight: requests under way finish and their
    /// outcomes are dropped; those not started are skipped.
    pub(crate) fn clear(&mut self) {
        self.ahead.clear();
        self.generation.fetch_add(1, Ordering::Relaxed);
    }
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        // Jobs not started are skipped; the workers finish the request in hand,
        // then find the queue closed. The listing does not wait for them.
        self.generation.fetch_add(1, Ordering::Relaxed);
    }
}
