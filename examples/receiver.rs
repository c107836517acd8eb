//! A blocking receiver of Partoo's webhooks on `tiny_http`: it verifies the
//! signature before anything else, answers 401 to a delivery that does not
//! verify (Partoo never retries a 4xx) and 200 to one that does,
//! acknowledges test deliveries without acting on them, and dispatches on
//! the event type.
//!
//! ```text
//! RECEIVER_READ_DEADLINE_MS=10000 cargo run --example receiver -- [ADDRESS [PUBLIC_KEY.pem]]
//! ```
//!
//! ADDRESS defaults to 127.0.0.1:8080, the key to Partoo's production key,
//! and the read deadline to 10 s.
//!
//! What uses this crate comes first, `handle` and `dispatch`: the README's
//! "Receive webhooks" section shows them. The HTTP server around them
//! follows.
//!
//! # What one sender can hold
//!
//! - Each request is read on a thread of its own, as `tiny_http` reads each
//!   connection on one: a slow sender holds that thread, not the others.
//!   Verifying and dispatching run on a few worker threads
//!   ([`Limits::workers`]), so that a burst of deliveries does not run all at
//!   once against what `dispatch` calls.
//! - A body declared larger than 1 MiB is refused (413) before it is read; any
//!   other is read up to 1 MiB and one byte, and refused past it.
//! - A body not received within the read deadline ([`Limits::read_deadline`],
//!   counted from the end of the headers) is answered 408: a sender that
//!   trickles its body is cut there.
//! - Every log line is escaped: the method, the path and any text that came
//!   from the sender are Debug-quoted, so control and bidi characters show as
//!   `\u{...}` and cannot forge or hide a line.
//!
//! # What it expects of the proxy in front of it
//!
//! Listen on loopback and put a reverse proxy in front (nginx, say), which
//! must:
//!
//! - terminate TLS: Partoo delivers over HTTPS;
//! - bound the request line and headers, in size and in time (nginx:
//!   `large_client_header_buffers`, 4 × 8 KiB by default, and
//!   `client_header_timeout`): `tiny_http` reads them whole, with no limit,
//!   before this code sees the request (a 300 MB header costs it about
//!   600 MB);
//! - read the whole body before passing the request on (nginx:
//!   `proxy_request_buffering on`, the default), with `client_max_body_size
//!   1m` and `client_body_timeout`: `tiny_http` gives no access to the socket,
//!   so a read already waiting cannot be cut, and a sender that stops sending
//!   holds its thread here until the connection closes; after an answer,
//!   `tiny_http` also reads and discards what is left of a refused body;
//! - bound the number of connections (nginx: `limit_conn`,
//!   `worker_connections`): each holds a thread in `tiny_http`, and each
//!   request one here.

use partoo_webhooks::delivery::{
    BusinessEvent, Delivery, DeliveryError, LeadReceived, MessageEvent, Verifier,
};
use partoo_webhooks::EventType;

/// The status and the text to answer a delivery with.
fn handle(
    verifier: &Verifier,
    body: &[u8],
    signature: Option<&str>,
    tryout: bool,
) -> (u16, String) {
    // Verified first: nothing of an unverified body is read, or believed.
    let delivery = match verifier.verify_delivery(body, signature) {
        Ok(delivery) => delivery,
        Err(DeliveryError::Signature(error)) => return (401, error.to_string()),
        // Signed by Partoo but unreadable: sending it again would not help.
        Err(error) => return (400, error.to_string()),
    };
    if tryout {
        return (200, format!("test delivery of {}", delivery.event_type()));
    }
    match dispatch(&delivery) {
        Ok(done) => (200, done),
        Err(error) => (400, error.to_string()),
    }
}

/// Acts on a verified delivery. Partoo may deliver one twice: acting on it
/// must be idempotent (keyed by the lead's or the message's id, say).
fn dispatch(delivery: &Delivery) -> Result<String, DeliveryError> {
    Ok(match delivery.event_type() {
        EventType::LeadReceived => {
            let lead: LeadReceived = delivery.payload()?;
            let business = lead.business_name.as_deref().unwrap_or("?");
            format!("lead for {business} with {} answers", lead.values.len())
        }
        EventType::MessageCreated | EventType::MessageUpdated => {
            let event: MessageEvent = delivery.payload()?;
            let status = event.message.and_then(|message| message.status);
            format!(
                "message, status {}",
                status.map_or("?".into(), |s| s.to_string())
            )
        }
        EventType::BusinessCreated | EventType::BusinessUpdated | EventType::BusinessDeleted => {
            let event: BusinessEvent = delivery.payload()?;
            let id = event.business.and_then(|business| business.id);
            format!("{} {}", delivery.event_type(), id.as_deref().unwrap_or("?"))
        }
        other => format!("{other}: not handled here"),
    })
}

// The HTTP server around `handle`, which bounds what one sender can hold.

use std::error::Error;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use partoo_webhooks::delivery::{SIGNATURE_HEADER, TRYOUT_HEADER};
use tiny_http::{Method, Request, Response, Server};

/// Deliveries are small JSON documents: a larger body is refused, and never
/// read whole.
const MAX_BODY: usize = 1024 * 1024;

/// How long a sender may take, and how many deliveries are handled at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a request's body may take to arrive, from the end of its
    /// headers; a slower one is answered 408. Defaults to 10 s, or to
    /// `RECEIVER_READ_DEADLINE_MS` when `main` reads it.
    pub read_deadline: Duration,
    /// How many deliveries are verified and dispatched at once. Defaults to 4.
    pub workers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            read_deadline: Duration::from_secs(10),
            workers: 4,
        }
    }
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let verifier = match args.next() {
        Some(pem_file) => Verifier::from_pem(&std::fs::read_to_string(pem_file)?)?,
        None => Verifier::production(), // or Verifier::sandbox(), or .or() both
    };
    let mut limits = Limits::default();
    if let Ok(millis) = std::env::var("RECEIVER_READ_DEADLINE_MS") {
        limits.read_deadline = Duration::from_millis(millis.parse()?);
    }
    let server = Server::http(address)?;
    eprintln!("listening on {}", server.server_addr());
    serve(&server, &verifier, limits, &|line| eprintln!("{line}"));
    Ok(())
}

/// A request's body read whole, and what its headers said.
struct Received {
    body: Vec<u8>,
    signature: Option<String>,
    tryout: bool,
}

/// A delivery waiting for a worker, and where its answer goes.
type Job = (Received, Sender<(u16, String)>);

/// Answers requests until the server is unblocked, and until every request
/// it took is answered; returns how many. `log` gets one line per request.
pub fn serve(
    server: &Server,
    verifier: &Verifier,
    limits: Limits,
    log: &(dyn Fn(&str) + Sync),
) -> usize {
    let answered = AtomicUsize::new(0);
    let (jobs, queue) = mpsc::channel();
    let queue = Mutex::new(queue);
    thread::scope(|scope| {
        for _ in 0..limits.workers.max(1) {
            scope.spawn(|| work(verifier, &queue));
        }
        for request in server.incoming_requests() {
            let (jobs, answered) = (jobs.clone(), &answered);
            scope.spawn(move || {
                answer(request, limits.read_deadline, &jobs, log);
                answered.fetch_add(1, Ordering::Relaxed);
            });
        }
        drop(jobs); // the workers stop once the last request is handled
    });
    answered.into_inner()
}

/// A worker: verifies and dispatches deliveries until no request is left.
fn work(verifier: &Verifier, queue: &Mutex<Receiver<Job>>) {
    loop {
        // One worker waits for a job, the others for the lock.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok((received, answer)) = job else { return };
        let signature = received.signature.as_deref();
        let _ = answer.send(handle(verifier, &received.body, signature, received.tryout));
    }
}

/// Reads a request within the deadline, has a worker handle it, answers, and
/// logs one line.
fn answer(
    mut request: Request,
    deadline: Duration,
    jobs: &Sender<Job>,
    log: &(dyn Fn(&str) + Sync),
) {
    let (status, text) = match read(&mut request, deadline) {
        Err(refusal) => refusal,
        Ok(received) => {
            let (answer, answered) = mpsc::channel();
            let handled = jobs.send((received, answer)).ok();
            let handled = handled.and_then(|()| answered.recv().ok());
            // Only if a worker is gone; Partoo retries a 5xx.
            handled.unwrap_or_else(|| (503, "no worker to handle the delivery".to_owned()))
        }
    };
    // Debug-quoted: the method, the URL and the payload's text are the sender's.
    let method = request.method().as_str();
    log(&format!(
        "{method:?} {:?}: {status} {text:?}",
        request.url()
    ));
    let _ = request.respond(Response::from_string(text).with_status_code(status));
}

/// The body and what the headers said; or the status and text that refuse
/// the request.
fn read(request: &mut Request, deadline: Duration) -> Result<Received, (u16, String)> {
    let too_large = || (413, format!("the body is larger than {MAX_BODY} bytes"));
    if *request.method() != Method::Post {
        return Err((405, "deliveries are POSTed".to_owned()));
    }
    if request
        .body_length()
        .is_some_and(|length| length > MAX_BODY)
    {
        return Err(too_large());
    }
    let header = |name| {
        let mut headers = request.headers().iter();
        let found = headers.find(|header| header.field.equiv(name));
        found.map(|header| header.value.as_str().to_owned())
    };
    let (signature, tryout) = (header(SIGNATURE_HEADER), header(TRYOUT_HEADER).is_some());
    let until = Instant::now() + deadline;
    let reader = Deadline(request.as_reader(), until);
    let mut body = Vec::new();
    match reader.take(MAX_BODY as u64 + 1).read_to_end(&mut body) {
        Err(error) if error.kind() == io::ErrorKind::TimedOut => {
            Err((408, format!("the body took longer than {deadline:?}")))
        }
        Err(error) => Err((400, format!("cannot read the body: {error}"))),
        Ok(_) if body.len() > MAX_BODY => Err(too_large()),
        Ok(_) => Ok(Received {
            body,
            signature,
            tryout,
        }),
    }
}

/// A reader that fails with `TimedOut` once its deadline has passed. A read
/// already waiting is not cut short: `tiny_http` gives no access to the
/// socket (see the proxy's part above).
struct Deadline<R>(R, Instant);

impl<R: Read> Read for Deadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match Instant::now() < self.1 {
            true => self.0.read(buf),
            false => Err(io::ErrorKind::TimedOut.into()),
        }
    }
}
