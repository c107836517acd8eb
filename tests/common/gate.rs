//! A concurrent HTTP/1.1 server whose answers wait behind a gate, for the
//! prefetching tests: with the gate closed, requests arrive and are counted
//! but get no answer, so a test can look at the client while requests are
//! in flight, without racing a timer.
//!
//! Each connection has its own thread and carries one request
//! (`Connection: close`). Answers are `responses[page]`, or a 418 for a page
//! without one; a page in `first` gets those bytes as the answer to its first
//! request instead (a 429, say). Opening the gate (or dropping the server)
//! releases them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::raw::json_response;
use serde_json::Value;

/// How long anything here waits at most, so that a broken test ends.
const PATIENCE: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Shared {
    /// The `page` of each request received, in order of arrival.
    pages: Mutex<Vec<u32>>,
    /// The raw answers to the first request of a page, not yet given.
    first: Mutex<HashMap<u32, Vec<u8>>>,
    arrived: Condvar,
    open: Mutex<bool>,
    opened: Condvar,
    /// When each request arrived, with its page, in order of arrival.
    arrivals: Mutex<Vec<(u32, Instant)>>,
    /// When each answer from `first` was given, with its page.
    firsts_given: Mutex<Vec<(u32, Instant)>>,
    /// How many requests must have arrived before an answer from `first` is given.
    firsts_after: usize,
    /// Requests received and not yet answered: now, and the most at once.
    in_flight: Mutex<(usize, usize)>,
    /// How long every answer waits (after the gate) before it is given.
    delay: Duration,
}

/// The server. Pages listed in `held` wait for [`open`](Self::open); others
/// are answered at once.
pub struct GateServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl GateServer {
    pub fn start(responses: HashMap<u32, Value>, held: &[u32]) -> GateServer {
        Self::start_with_first(responses, HashMap::new(), 0, held)
    }

    /// Like [`start`](Self::start), answering the first request of each page
    /// in `first` with its bytes, once `after` requests have arrived (so that
    /// a client has sent them all before it reads any of these answers).
    pub fn start_with_first(
        responses: HashMap<u32, Value>,
        first: HashMap<u32, Vec<u8>>,
        after: usize,
        held: &[u32],
    ) -> GateServer {
        Self::serve(responses, first, after, held, Duration::ZERO)
    }

    /// Like [`start`](Self::start), holding no page but giving every answer
    /// `delay` after its request arrived: requests made concurrently are then
    /// in flight at once, which [`max_in_flight`](Self::max_in_flight) sees.
    pub fn start_with_delay(responses: HashMap<u32, Value>, delay: Duration) -> GateServer {
        Self::serve(responses, HashMap::new(), 0, &[], delay)
    }

    fn serve(
        responses: HashMap<u32, Value>,
        first: HashMap<u32, Vec<u8>>,
        firsts_after: usize,
        held: &[u32],
        delay: Duration,
    ) -> GateServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            first: Mutex::new(first),
            firsts_after,
            delay,
            ..Shared::default()
        });
        let (responses, held) = (Arc::new(responses), Arc::new(held.to_vec()));
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (shared, responses) = (Arc::clone(&accepting), Arc::clone(&responses));
                let held = Arc::clone(&held);
                thread::spawn(move || answer(stream, &shared, &responses, &held));
            }
        });
        GateServer { addr, shared }
    }

    /// The base URL to give the client.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The pages requested so far, sorted (arrival order is the threads' race).
    pub fn pages(&self) -> Vec<u32> {
        let mut pages = self.shared.pages.lock().unwrap().clone();
        pages.sort_unstable();
        pages
    }

    /// Waits until `n` requests have arrived (at most a few seconds) and
    /// returns the pages requested, sorted.
    pub fn wait_for_requests(&self, n: usize) -> Vec<u32> {
        self.shared.wait_for_requests(n);
        self.pages()
    }

    /// The page of each request and when it arrived, in order of arrival.
    pub fn arrivals(&self) -> Vec<(u32, Instant)> {
        self.shared.arrivals.lock().unwrap().clone()
    }

    /// The page of each answer given from `first` and when it was given
    /// (just before its bytes were written).
    pub fn firsts_given(&self) -> Vec<(u32, Instant)> {
        self.shared.firsts_given.lock().unwrap().clone()
    }

    /// The most requests that were ever waiting for their answers at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.in_flight.lock().unwrap().1
    }

    /// Lets the held requests have their answers.
    pub fn open(&self) {
        *self.shared.open.lock().unwrap() = true;
        self.shared.opened.notify_all();
    }
}

impl Shared {
    fn wait_for_requests(&self, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        let mut pages = self.pages.lock().unwrap();
        while pages.len() < n && Instant::now() < deadline {
            pages = self
                .arrived
                .wait_timeout(pages, Duration::from_millis(10))
                .unwrap()
                .0;
        }
    }
}

impl Drop for GateServer {
    fn drop(&mut self) {
        self.open();
    }
}

fn answer(stream: TcpStream, shared: &Shared, responses: &HashMap<u32, Value>, held: &[u32]) {
    let _ = stream.set_read_timeout(Some(PATIENCE));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let page = request_line
        .split(['?', '&', ' '])
        .find_map(|part| part.strip_prefix("page="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    shared.arrivals.lock().unwrap().push((page, Instant::now()));
    {
        let mut in_flight = shared.in_flight.lock().unwrap();
        in_flight.0 += 1;
        in_flight.1 = in_flight.1.max(in_flight.0);
    }
    shared.pages.lock().unwrap().push(page);
    shared.arrived.notify_all();
    if held.contains(&page) {
        let deadline = Instant::now() + PATIENCE;
        let mut open = shared.open.lock().unwrap();
        while !*open && Instant::now() < deadline {
            open = shared
                .opened
                .wait_timeout(open, Duration::from_millis(10))
                .unwrap()
                .0;
        }
    }
    if shared.first.lock().unwrap().contains_key(&page) {
        shared.wait_for_requests(shared.firsts_after);
    }
    thread::sleep(shared.delay);
    let first = shared.first.lock().unwrap().remove(&page);
    if first.is_some() {
        shared
            .firsts_given
            .lock()
            .unwrap()
            .push((page, Instant::now()));
    }
    // Out of flight before the answer leaves: a client can only send its
    // next request once it has this one.
    shared.in_flight.lock().unwrap().0 -= 1;
    let response = match (first, responses.get(&page)) {
        (Some(bytes), _) => bytes,
        (None, Some(body)) => json_response(200, body),
        (None, None) => json_response(
            418,
            &serde_json::json!({"errors": {"page": "not scripted"}}),
        ),
    };
    let _ = (&stream).write_all(&response);
}
