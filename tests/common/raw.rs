//! A scripted HTTP/1.1 server on `std::net`, for the faults httpmock cannot
//! produce: a body cut short, a stall, a drip, hand-made framing and gzip.
//!
//! Each accepted connection reads one request and plays the next [`Step`] of
//! the script, then closes; a connection beyond the script gets a 418, so an
//! unexpected request fails the test loudly instead of hanging it. The thread
//! polls a stop flag (set on drop) and has a lifetime bound, so it always ends.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use partoo_webhooks::{Client, Error};
use serde_json::Value;

use super::{assert_no_key_piece, KEY};

/// How often blocked loops look at the stop flag.
const POLL: Duration = Duration::from_millis(1);
/// No server outlives this, even if its owner is leaked.
const LIFETIME: Duration = Duration::from_secs(30);

/// What the server does with one connection, after reading its request.
#[derive(Debug, Clone)]
pub enum Step {
    /// Writes these bytes, then closes.
    Send(Vec<u8>),
    /// Writes these bytes, then answers nothing more until the client hangs up.
    SendThenStall(Vec<u8>),
    /// Writes `head` at once, then `body` in pieces of `chunk` bytes with
    /// `pause` before each piece, until done or the client hangs up.
    Drip {
        head: Vec<u8>,
        body: Vec<u8>,
        chunk: usize,
        pause: Duration,
    },
}

impl Step {
    /// Accepts the request and never answers.
    pub fn stall() -> Step {
        Step::SendThenStall(Vec::new())
    }
}

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request target, e.g. `/v2/webhooks?page=2&per_page=100`.
    pub target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the `page` query parameter.
    pub fn page(&self) -> Option<u32> {
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("page="))
            .and_then(|n| n.parse().ok())
    }
}

/// A running scripted server; dropping it stops its thread and waits for it.
pub struct RawServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RawServer {
    /// Listens on a free loopback port and plays `script`, one step per connection.
    pub fn start(script: impl IntoIterator<Item = Step>) -> RawServer {
        Self::serving(Script::InOrder(
            script.into_iter().collect::<Vec<_>>().into_iter(),
        ))
    }

    /// Like [`start`](Self::start), with a script per page: a request for page
    /// `n` plays the next step of `scripts[n - 1]`, whatever the order in which
    /// the pages' requests arrive (as with prefetching).
    pub fn start_per_page(scripts: Vec<Vec<Step>>) -> RawServer {
        Self::serving(Script::PerPage(
            scripts.into_iter().map(|steps| steps.into_iter()).collect(),
        ))
    }

    fn serving(script: Script) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, stop) = (requests.clone(), stop.clone());
            thread::spawn(move || serve(listener, script, &requests, &stop))
        };
        RawServer {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL to give the client, `http://127.0.0.1:<port>/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The steps still to play.
enum Script {
    InOrder(std::vec::IntoIter<Step>),
    PerPage(Vec<std::vec::IntoIter<Step>>),
}

impl Script {
    fn next_for(&mut self, request: &Request) -> Option<Step> {
        match self {
            Script::InOrder(steps) => steps.next(),
            Script::PerPage(pages) => {
                let index = usize::try_from(request.page()?.checked_sub(1)?).ok()?;
                pages.get_mut(index)?.next()
            }
        }
    }
}

fn serve(
    listener: TcpListener,
    mut script: Script,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let deadline = Instant::now() + LIFETIME;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        let mut stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(POLL);
                continue;
            }
            Err(_) => continue,
        };
        // Accepted sockets inherit nothing on Linux, but other systems differ.
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
        let Some(request) = read_request(&mut stream, stop) else {
            continue;
        };
        let step = script.next_for(&request);
        // Recorded before answering, so a client that got its answer sees the count.
        requests.lock().unwrap().push(request);
        let step = step.unwrap_or_else(|| {
            Step::Send(json_response(
                418,
                &serde_json::json!({"errors": {"script": "no step left for this request"}}),
            ))
        });
        play(&mut stream, step, stop);
    }
}

fn read_request(stream: &mut TcpStream, stop: &AtomicBool) -> Option<Request> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
            return None;
        }
        match stream.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return None,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Some(Request { target, headers })
}

fn play(stream: &mut TcpStream, step: Step, stop: &AtomicBool) {
    match step {
        Step::Send(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Step::SendThenStall(bytes) => {
            if stream.write_all(&bytes).is_ok() {
                wait_for_hang_up(stream, stop);
            }
        }
        Step::Drip {
            head,
            body,
            chunk,
            pause,
        } => {
            if stream.write_all(&head).is_err() {
                return;
            }
            for piece in body.chunks(chunk.max(1)) {
                if !pause_unless_stopped(pause, stop) || stream.write_all(piece).is_err() {
                    break;
                }
            }
        }
    }
    let _ = stream.flush();
}

/// Returns when the client closes the connection (or the server stops).
fn wait_for_hang_up(stream: &mut TcpStream, stop: &AtomicBool) {
    let mut buf = [0; 1024];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

/// Sleeps `pause` in small steps; false if the server was stopped meanwhile.
fn pause_unless_stopped(pause: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + pause;
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        thread::sleep(POLL.min(until - Instant::now()));
    }
    !stop.load(Ordering::SeqCst)
}

// ---- Responses -------------------------------------------------------------

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The status line and headers, each `name: value`, ending with the blank line.
/// `Connection: close` keeps every request on its own connection, so the script
/// advances once per request.
pub fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\n",
        reason(status)
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// A complete response with a correct `Content-Length`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    let mut headers = headers.to_vec();
    headers.push(("Content-Length", &length));
    let mut bytes = head(status, &headers);
    bytes.extend_from_slice(body);
    bytes
}

/// A complete JSON response.
pub fn json_response(status: u16, body: &Value) -> Vec<u8> {
    response(
        status,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// A 200 whose `Content-Length` promises the whole body but only the first
/// `sent` bytes follow before the connection closes.
pub fn cut_short(body: &Value, sent: usize) -> Vec<u8> {
    let body = body.to_string();
    assert!(sent < body.len(), "a cut must leave something out");
    let length = body.len().to_string();
    let mut bytes = head(
        200,
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", &length),
        ],
    );
    bytes.extend_from_slice(&body.as_bytes()[..sent]);
    bytes
}

/// A 200 without `Content-Length`: the body ends when the connection closes.
pub fn close_delimited(body: &[u8]) -> Vec<u8> {
    let mut bytes = head(200, &[("Content-Type", "application/json")]);
    bytes.extend_from_slice(body);
    bytes
}

/// A 200 with `Transfer-Encoding: chunked`, in chunks of `chunk` bytes.
pub fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut bytes = head(
        200,
        &[
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    for piece in body.chunks(chunk) {
        bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        bytes.extend_from_slice(piece);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    bytes
}

/// `data` as a valid gzip member (RFC 1952) holding "stored" deflate blocks
/// (RFC 1951 §3.2.4): no compression, so no compressor is needed, yet any
/// gzip decoder must inflate it.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    // Magic, deflate, no flags, no mtime, no extra flags, unknown OS.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut blocks = data.chunks(0xffff).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let last = u8::from(blocks.peek().is_none());
        let length = block.len() as u16;
        out.push(last); // BFINAL, and BTYPE 00: stored
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// CRC-32 (IEEE 802.3, reflected), bit by bit: slow, but test bodies are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

// ---- Key hygiene -----------------------------------------------------------

/// Asserts no piece of the test key appears in the error: not in its `Display`,
/// its `Debug`, nor anywhere down its `source()` chain.
#[track_caller]
pub fn assert_key_hidden(error: &Error) {
    let mut texts = vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ];
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        texts.push(inner.to_string());
        texts.push(format!("{inner:?}"));
        source = inner.source();
    }
    for text in texts {
        assert_no_key_piece(&text);
    }
}

/// The error of a call that must fail, after checking it does not hold the key.
#[track_caller]
pub fn failure<T: std::fmt::Debug>(result: Result<T, Error>) -> Error {
    let error = result.expect_err("the call should fail");
    assert_key_hidden(&error);
    error
}

/// A client of the server at `base_url` with the test key that does not
/// retry, so that each step of a script answers one call.
pub fn client_at(base_url: String) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .max_retries(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}
