//! A small stateful fake of Partoo's webhook API on loopback, for the demo and
//! the tests: an account whose webhooks the writes change, every request
//! recorded, and faults to script.
//!
//! It serves, under `/v2`, `GET /webhooks` (paginated, `page`, `per_page`,
//! `org_id`), `GET /webhooks/{id}`, `POST /webhooks` (`org_id` query; the
//! create body's `custom_headers` are ignored, as Partoo documents only `url`
//! and `event_type`; a second webhook for one organization and event type is
//! refused with 400), `PUT /webhooks/{id}` (sets `url` and `custom_headers`)
//! and `POST /webhooks/tryout` (changes nothing). Anything else is a 405 or a
//! 404. A request without the key gets a 401.
//!
//! Each connection carries one request (`Connection: close`) on a thread of
//! its own; the accepting thread stops when the fake is dropped.
#![allow(dead_code)] // the demo uses a part, each test another

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

/// What the fake does to one request instead of answering it plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After` in seconds, before acting.
    TooManyRequests(u64),
    /// 500, before acting.
    ServerError,
    /// 405, before acting.
    MethodNotAllowed,
    /// Acts, then answers 500: the answer is lost.
    AppliedThen500,
    /// Acts, then closes the connection without answering.
    AppliedThenHangUp,
    /// Acts, then answers nothing until the client gives up.
    AppliedThenStall,
    /// Acts and answers, but stops listening first: connections are refused
    /// until [`FakePartoo::reopen`].
    RefuseAfter,
}

/// One webhook of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub id: u64,
    pub org_id: u64,
    pub event_type: String,
    pub url: String,
    /// A JSON object, or `None` for none.
    pub custom_headers: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl Hook {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "org_id": self.org_id, "event_type": self.event_type,
            "url": self.url, "custom_headers": self.custom_headers,
            "created_at": self.created_at, "updated_at": self.updated_at,
        })
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path and query, as sent: `/v2/webhooks?org_id=7`.
    pub target: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// Whether it changed the account.
    pub applied: bool,
}

impl Recorded {
    /// `METHOD /target`, without the body.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }
}

#[derive(Default)]
struct State {
    hooks: Vec<Hook>,
    next_id: u64,
    clock: u64,
    requests: Vec<Recorded>,
    writes: usize,
    /// Faults by request number, and by write number (from 1).
    on_request: HashMap<usize, Fault>,
    on_write: HashMap<usize, Fault>,
    refuse_puts: bool,
}

struct Shared {
    key: String,
    addr: SocketAddr,
    state: Mutex<State>,
    /// `None` while connections are refused.
    listener: Mutex<Option<TcpListener>>,
    stop: AtomicBool,
}

/// The fake API; stops when dropped.
pub struct FakePartoo {
    shared: Arc<Shared>,
}

impl FakePartoo {
    /// A fake with an empty account, on a free loopback port, that wants `key`.
    pub fn start(key: &str) -> FakePartoo {
        let listener = listen("127.0.0.1:0".parse().expect("an address"));
        let shared = Arc::new(Shared {
            key: key.to_owned(),
            addr: listener.local_addr().expect("an address"),
            state: Mutex::new(State {
                next_id: 1,
                ..State::default()
            }),
            listener: Mutex::new(Some(listener)),
            stop: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        thread::spawn(move || accept(&accepting));
        FakePartoo { shared }
    }

    /// The base URL, up to `/v2`.
    pub fn url(&self) -> String {
        format!("http://{}/v2", self.shared.addr)
    }

    /// Adds a webhook to the account, as if made earlier; returns its id.
    pub fn insert(&self, org_id: u64, event_type: &str, url: &str, headers: Option<Value>) -> u64 {
        let mut state = self.state();
        let id = state.create(org_id, event_type, url);
        state.hooks.last_mut().expect("just made").custom_headers = headers;
        id
    }

    /// The account's webhooks, by id.
    pub fn hooks(&self) -> Vec<Hook> {
        self.state().hooks.clone()
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// `METHOD /target` of every request received, in order.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Recorded::line).collect()
    }

    /// Plays `fault` on request number `n` (from 1), whatever it is.
    pub fn fail_request(&self, n: usize, fault: Fault) {
        self.state().on_request.insert(n, fault);
    }

    /// Plays `fault` on write number `n` (from 1): a request other than a GET.
    pub fn fail_write(&self, n: usize, fault: Fault) {
        self.state().on_write.insert(n, fault);
    }

    /// Answers every `PUT` with 405, as if Partoo updated webhooks another way.
    pub fn refuse_puts(&self) {
        self.state().refuse_puts = true;
    }

    /// Stops listening: connections are refused until [`reopen`](Self::reopen).
    pub fn refuse(&self) {
        *lock(&self.shared.listener) = None;
    }

    /// Listens again, on the same port, if it had stopped. The listener is
    /// bound before this returns, so the next connection is accepted.
    pub fn reopen(&self) {
        reopen(&self.shared);
    }

    /// What [`reopen`](Self::reopen) does, for a client's sleeper: a refused
    /// connection is retried after a wait, against a server that is back.
    pub fn reopener(&self) -> impl Fn() + Send + Sync + 'static {
        let shared = Arc::clone(&self.shared);
        move || reopen(&shared)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }
}

impl Drop for FakePartoo {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

fn reopen(shared: &Shared) {
    let mut listener = lock(&shared.listener);
    if listener.is_none() {
        *listener = Some(listen(shared.addr));
    }
}

/// A non-blocking listener, which the accepting thread polls.
fn listen(addr: SocketAddr) -> TcpListener {
    let listener = TcpListener::bind(addr).expect("a loopback port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    listener
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept(shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::Relaxed) {
        let accepted = match &*lock(&shared.listener) {
            Some(listener) => listener.accept().ok(),
            None => None,
        };
        match accepted {
            Some((stream, _)) => {
                let shared = Arc::clone(shared);
                thread::spawn(move || serve(&shared, stream));
            }
            None => thread::sleep(Duration::from_millis(1)),
        }
    }
}

/// A request's method, target, key and body; `None` if it is not one.
fn read_request(stream: &mut TcpStream) -> Option<(String, String, Option<String>, Vec<u8>)> {
    let mut bytes = Vec::new();
    let mut buffer = [0; 4096];
    let end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buffer).ok().filter(|&n| n > 0)?;
        bytes.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let (mut key, mut length) = (None, 0);
    for (name, value) in lines.filter_map(|line| line.split_once(':')) {
        match name.trim().to_ascii_lowercase().as_str() {
            "x-apikey" => key = Some(value.trim().to_owned()),
            "content-length" => length = value.trim().parse().ok()?,
            _ => {}
        }
    }
    let mut body = bytes.split_off(end + 4);
    while body.len() < length {
        let n = stream.read(&mut buffer).ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&buffer[..n]);
    }
    Some((method, target, key, body))
}

fn serve(shared: &Shared, mut stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some((method, target, key, body)) = read_request(&mut stream) else {
        return;
    };
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    let (status, answer, fault) = {
        let mut state = lock(&shared.state);
        state.requests.push(Recorded {
            method: method.clone(),
            target: target.clone(),
            body: body.clone(),
            applied: false,
        });
        let number = state.requests.len();
        let mut fault = state.on_request.remove(&number);
        if method != "GET" {
            state.writes += 1;
            let write = state.writes;
            fault = fault.or(state.on_write.remove(&write));
            if method == "PUT" && state.refuse_puts {
                fault = fault.or(Some(Fault::MethodNotAllowed));
            }
        }
        let before = match fault {
            Some(Fault::TooManyRequests(_)) => Some(429),
            Some(Fault::ServerError) => Some(500),
            Some(Fault::MethodNotAllowed) => Some(405),
            _ => None,
        };
        let (status, answer) = match (before, key == Some(shared.key.clone())) {
            (Some(status), _) => (status, error("scripted failure")),
            (None, false) => (401, error("missing or wrong API key")),
            (None, true) => state.answer(&method, &target, body.as_ref()),
        };
        (status, answer, fault)
    };
    let (status, extra) = match fault {
        Some(Fault::TooManyRequests(wait)) => (429, format!("Retry-After: {wait}\r\n")),
        Some(Fault::AppliedThen500) => (500, String::new()),
        Some(Fault::AppliedThenHangUp) => return,
        Some(Fault::AppliedThenStall) => {
            // Until the client hangs up, or the read timeout.
            let _ = stream.read(&mut [0; 1]);
            return;
        }
        Some(Fault::RefuseAfter) => {
            // Before the answer, so that the client's next connection is refused.
            *lock(&shared.listener) = None;
            (status, String::new())
        }
        _ => (status, String::new()),
    };
    let answer = answer.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Fake\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n{extra}\r\n{answer}",
        answer.len()
    );
}

fn error(message: &str) -> Value {
    json!({ "errors": { "json": message } })
}

/// The query parameter `name`, if present and a number.
fn query(query: &str, name: &str) -> Option<u64> {
    let mut pairs = query.split('&').filter_map(|pair| pair.split_once('='));
    pairs
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v.parse().ok())
}

impl State {
    fn create(&mut self, org_id: u64, event_type: &str, url: &str) -> u64 {
        let (id, now) = (self.next_id, self.tick());
        self.next_id += 1;
        self.hooks.push(Hook {
            id,
            org_id,
            event_type: event_type.to_owned(),
            url: url.to_owned(),
            custom_headers: None,
            created_at: now.clone(),
            updated_at: now,
        });
        id
    }

    fn tick(&mut self) -> String {
        self.clock += 1;
        format!("2025-01-01T00:00:00.{:06}Z", self.clock)
    }

    fn applied(&mut self) {
        self.requests.last_mut().expect("recorded").applied = true;
    }

    /// Acts on a request with the right key: the status and the JSON answer.
    fn answer(&mut self, method: &str, target: &str, body: Option<&Value>) -> (u16, Value) {
        let (path, q) = target.split_once('?').unwrap_or((target, ""));
        let Some(path) = path.strip_prefix("/v2/webhooks") else {
            return (404, error("no such route"));
        };
        let org_id = query(q, "org_id");
        let id = path.strip_prefix('/').and_then(|id| id.parse::<u64>().ok());
        let found = id.and_then(|id| {
            (self.hooks.iter()).position(|h| h.id == id && org_id.is_none_or(|org| h.org_id == org))
        });
        match (method, path, found) {
            ("GET", "", _) => (200, self.list(org_id, q)),
            ("GET", _, Some(at)) => (200, self.hooks[at].json()),
            ("POST", "", _) => self.create_all(org_id, body),
            ("PUT", _, Some(at)) => self.update(at, body),
            ("POST", "/tryout", _) => {
                let first = body.and_then(|b| b["items"].get(0)).cloned();
                (200, json!({ "status": "sent", "tested": first }))
            }
            ("GET" | "PUT", _, None) if id.is_some() => (404, error("webhook not found")),
            _ => (405, error("method not allowed")),
        }
    }

    fn list(&self, org_id: Option<u64>, q: &str) -> Value {
        let per_page = query(q, "per_page").unwrap_or(30).clamp(1, 100) as usize;
        let page = query(q, "page").unwrap_or(1).max(1) as usize;
        let matching: Vec<&Hook> = (self.hooks.iter())
            .filter(|h| org_id.is_none_or(|org| h.org_id == org))
            .collect();
        let items: Vec<Value> = (matching.iter().skip((page - 1) * per_page))
            .take(per_page)
            .map(|h| h.json())
            .collect();
        json!({
            "page": page, "count": matching.len(),
            "max_page": matching.len().div_ceil(per_page).max(1), "items": items,
        })
    }

    fn create_all(&mut self, org_id: Option<u64>, body: Option<&Value>) -> (u16, Value) {
        let Some(org_id) = org_id else {
            return (400, error("org_id is required"));
        };
        let items = body.and_then(|b| b["items"].as_array()).cloned();
        let mut wanted = Vec::new();
        for item in items.unwrap_or_default() {
            let (Some(event_type), Some(url)) = (item["event_type"].as_str(), item["url"].as_str())
            else {
                return (400, error("each item needs url and event_type"));
            };
            let taken = |h: &Hook| h.org_id == org_id && h.event_type == event_type;
            if self.hooks.iter().any(taken) || wanted.iter().any(|(e, _)| e == event_type) {
                return (
                    400,
                    error("a webhook exists for this event type and org_id"),
                );
            }
            wanted.push((event_type.to_owned(), url.to_owned()));
        }
        self.applied();
        let made: Vec<Value> = (wanted.iter())
            .map(|(event_type, url)| {
                self.create(org_id, event_type, url);
                let mut item = self.hooks.last().expect("just made").json();
                item.as_object_mut()
                    .expect("an object")
                    .remove("custom_headers");
                item
            })
            .collect();
        (200, json!({ "items": made }))
    }

    fn update(&mut self, at: usize, body: Option<&Value>) -> (u16, Value) {
        let Some(url) = body.and_then(|b| b["url"].as_str()) else {
            return (400, error("url is required"));
        };
        if !url.starts_with("https://") {
            return (400, error("Only HTTPS URLs are supported"));
        }
        let (url, headers) = (url.to_owned(), body.and_then(|b| b.get("custom_headers")));
        let headers = headers.cloned();
        self.applied();
        let now = self.tick();
        let hook = &mut self.hooks[at];
        hook.url = url;
        if let Some(headers) = headers {
            hook.custom_headers = Some(headers);
        }
        hook.updated_at = now;
        (200, hook.json())
    }
}
