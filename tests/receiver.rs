//! `examples/receiver.rs` serving on loopback: signed, tampered, unsigned,
//! test and oversized deliveries, as Partoo (or someone else) would POST them;
//! senders that trickle or stall; and what it logs.
#![cfg(feature = "verify")]
mod common;

#[allow(dead_code)] // its main() is the example's
#[path = "../examples/receiver.rs"]
mod receiver;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::signing::TestKey;
use partoo_webhooks::delivery::Verifier;
use tiny_http::Server;

const LEAD: &str = r#"{"type": "lead_received", "payload": {"id": 981, "business_name": "Café du Port", "values": [{"type": "EMAIL", "value": "zoe@example.com"}, {"type": "OPT_IN", "value": true}]}}"#;

/// The read deadline of the tests: short, so that no test waits for long.
const DEADLINE: Duration = Duration::from_millis(200);

/// How long a test waits for an answer that should come at once: only a
/// failing test waits that long.
const PATIENCE: Duration = Duration::from_secs(5);

/// The example's server on a free loopback port, verifying with `verifier`.
struct Receiver {
    server: Arc<Server>,
    serving: Option<JoinHandle<usize>>,
    address: String,
    url: String,
    agent: ureq::Agent,
    log: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    fn start(verifier: Verifier) -> Receiver {
        Receiver::start_with(verifier, 2)
    }

    /// With `workers` worker threads and the tests' read deadline.
    fn start_with(verifier: Verifier, workers: usize) -> Receiver {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("a loopback port"));
        let address = server.server_addr().to_string();
        let url = format!("http://{address}/partoo");
        let log = Arc::new(Mutex::new(Vec::new()));
        let limits = receiver::Limits {
            read_deadline: DEADLINE,
            workers,
        };
        let serving = {
            let (server, log) = (server.clone(), log.clone());
            thread::spawn(move || {
                let log = |line: &str| log.lock().unwrap().push(line.to_owned());
                receiver::serve(&server, &verifier, limits, &log)
            })
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(PATIENCE))
            .build()
            .into();
        Receiver {
            server,
            serving: Some(serving),
            address,
            url,
            agent,
            log,
        }
    }

    /// POSTs `body` with these headers; the status and text of the answer.
    fn post(&self, body: &[u8], headers: &[(&str, &str)]) -> (u16, String) {
        let mut request = self.agent.post(&self.url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.send(body).expect("the receiver answers");
        let text = response.body_mut().read_to_string().expect("a text answer");
        (response.status().as_u16(), text)
    }

    /// A connection that has sent `head` (a request line and headers, or more).
    fn raw(&self, head: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(&self.address).expect("a connection");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.write_all(head).expect("the head is sent");
        stream
    }

    /// The lines logged so far.
    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The lines logged once there are `count`, and how long that took.
    fn wait_for_log(&self, count: usize) -> (Vec<String>, Duration) {
        let started = Instant::now();
        loop {
            let log = self.log();
            if log.len() >= count {
                return (log, started.elapsed());
            }
            assert!(started.elapsed() < PATIENCE, "{log:?} after {PATIENCE:?}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the server, and returns how many requests it answered.
    fn stop(mut self) -> usize {
        self.server.unblock();
        let serving = self.serving.take().expect("serving");
        serving.join().expect("the receiver never panics")
    }
}

/// The status line of the answer on `stream`, read until the server closes
/// or answers.
fn status_line(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut byte = [0];
    while !answer.ends_with(b"\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        answer.push(byte[0]);
    }
    String::from_utf8_lossy(&answer).trim_end().to_owned()
}

/// A POST head announcing a body of `length` bytes: more than 1 KiB, which
/// tiny_http would read itself before handing the request over.
fn head(length: usize) -> Vec<u8> {
    assert!(length > 1024);
    format!("POST /partoo HTTP/1.1\r\nHost: receiver\r\nContent-Length: {length}\r\n\r\n")
        .into_bytes()
}

/// A sender that sends one byte every 50 ms, on its own thread, until
/// told to stop, its connection fails, or 10 s have passed; it returns the
/// status line it was answered with.
struct Trickle {
    stop: Arc<AtomicBool>,
    sending: JoinHandle<String>,
}

impl Trickle {
    fn start(receiver: &Receiver) -> Trickle {
        let mut stream = receiver.raw(&head(4096));
        let stop = Arc::new(AtomicBool::new(false));
        let sending = {
            let stop = stop.clone();
            thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(10) {
                    if stream.write_all(b" ").is_err() {
                        break;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
                // Done sending: read what the receiver answered, if it did.
                stream.shutdown(Shutdown::Write).ok();
                status_line(&mut stream)
            })
        };
        Trickle { stop, sending }
    }

    /// Stops sending; the status line the receiver answered with.
    fn stop(self) -> String {
        self.stop.store(true, Ordering::Relaxed);
        self.sending.join().expect("the trickle thread")
    }
}

fn signed(key: &TestKey, body: &str) -> (u16, String) {
    let receiver = Receiver::start(key.verifier());
    let answer = receiver.post(
        body.as_bytes(),
        &[("X-Partoo-Signature-v1", &key.sign(body.as_bytes()))],
    );
    assert_eq!(receiver.stop(), 1);
    answer
}

#[test]
fn a_signed_delivery_is_answered_200_and_dispatched_on_its_type() {
    let key = TestKey::new(1);
    assert_eq!(
        signed(&key, LEAD),
        (200, "lead for Café du Port with 2 answers".to_owned())
    );
    let message = r#"{"type": "message_created", "payload": {"message": {"status": "Sending"}}}"#;
    assert_eq!(
        signed(&key, message),
        (200, "message, status Sending".to_owned())
    );
    let business = r#"{"type": "business_deleted", "payload": {"business": {"id": "5409c35a"}}}"#;
    assert_eq!(
        signed(&key, business),
        (200, "business_deleted 5409c35a".to_owned())
    );
    let other = r#"{"type": "review_created", "payload": {}}"#;
    assert_eq!(
        signed(&key, other),
        (200, "review_created: not handled here".to_owned())
    );
}

#[test]
fn a_tampered_delivery_is_answered_401() {
    let key = TestKey::new(1);
    let receiver = Receiver::start(key.verifier());
    let tampered = LEAD.replace("Café", "Cafe");
    let signature = key.sign(LEAD.as_bytes());
    let (status, text) = receiver.post(
        tampered.as_bytes(),
        &[("X-Partoo-Signature-v1", &signature)],
    );
    assert_eq!(status, 401);
    assert_eq!(
        text,
        "invalid signature: not made for this body by any of the verifier's keys"
    );
    assert_eq!(receiver.stop(), 1);
}

#[test]
fn an_unsigned_or_badly_signed_delivery_is_answered_401() {
    let key = TestKey::new(1);
    let receiver = Receiver::start(key.verifier());
    let by_other = TestKey::new(2).sign(LEAD.as_bytes());
    let answers = [
        receiver.post(LEAD.as_bytes(), &[]),
        receiver.post(
            LEAD.as_bytes(),
            &[("X-Partoo-Signature-v1", "bm90IGEgc2lnbmF0dXJl")],
        ),
        receiver.post(LEAD.as_bytes(), &[("X-Partoo-Signature-v1", &by_other)]),
    ];
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [401, 401, 401]);
    assert!(answers[0].1.starts_with("no signature"), "{answers:?}");
    assert!(
        answers[1].1.starts_with("malformed signature"),
        "{answers:?}"
    );
    assert!(answers[2].1.starts_with("invalid signature"), "{answers:?}");
    assert_eq!(receiver.stop(), 3);
}

#[test]
fn a_test_delivery_is_acknowledged_without_being_acted_on() {
    let key = TestKey::new(1);
    let receiver = Receiver::start(key.verifier());
    let signature = key.sign(LEAD.as_bytes());
    let headers = [
        ("X-Partoo-Signature-v1", signature.as_str()),
        ("X-Partoo-Webhook-Tryout", "true"),
    ];
    assert_eq!(
        receiver.post(LEAD.as_bytes(), &headers),
        (200, "test delivery of lead_received".to_owned())
    );
    // A test delivery is verified like any other.
    let unsigned = receiver.post(LEAD.as_bytes(), &headers[1..]);
    assert_eq!(unsigned.0, 401);
    assert_eq!(receiver.stop(), 2);
}

#[test]
fn a_body_over_the_cap_is_answered_413_unverified() {
    let key = TestKey::new(1);
    let receiver = Receiver::start(key.verifier());
    let body = vec![b' '; 1024 * 1024 + 1];
    let signature = key.sign(&body);
    let (status, _) = receiver.post(&body, &[("X-Partoo-Signature-v1", &signature)]);
    assert_eq!(status, 413);
    // At the cap, the same body of spaces verifies (and is not a delivery).
    let at_cap = &body[1..];
    let (status, text) = receiver.post(at_cap, &[("X-Partoo-Signature-v1", &key.sign(at_cap))]);
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            "not a delivery: the body is not a JSON object with a string \"type\""
        )
    );
    assert_eq!(receiver.stop(), 2);
}

#[test]
fn only_post_is_accepted() {
    let receiver = Receiver::start(TestKey::new(1).verifier());
    let mut response = receiver.agent.get(&receiver.url).call().unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        "deliveries are POSTed"
    );
    assert_eq!(receiver.stop(), 1);
}

#[test]
fn a_trickling_or_stalled_sender_does_not_hold_back_a_delivery() {
    let key = TestKey::new(1);
    // One worker: only the reading of the slow bodies could hold it.
    let receiver = Receiver::start_with(key.verifier(), 1);
    let trickles = [Trickle::start(&receiver), Trickle::start(&receiver)];
    let stalled = receiver.raw(&head(4096));
    // Let their heads reach the receiver first.
    thread::sleep(Duration::from_millis(100));

    let started = Instant::now();
    let answer = receiver.post(
        LEAD.as_bytes(),
        &[("X-Partoo-Signature-v1", &key.sign(LEAD.as_bytes()))],
    );
    assert_eq!(
        answer,
        (200, "lead for Café du Port with 2 answers".to_owned())
    );
    assert!(started.elapsed() < DEADLINE, "{:?}", started.elapsed());

    // The trickles are cut at the deadline; the stalled sender, which never
    // sends another byte, is answered once it closes.
    let (log, _) = receiver.wait_for_log(3);
    let cut = r#""POST" "/partoo": 408 "the body took longer than 200ms""#;
    assert_eq!(log.iter().filter(|line| *line == cut).count(), 2, "{log:?}");
    for trickle in trickles {
        assert_eq!(trickle.stop(), "HTTP/1.1 408 Request Timeout");
    }
    stalled.shutdown(Shutdown::Write).unwrap();
    drop(stalled);
    assert_eq!(receiver.stop(), 4);
}

#[test]
fn a_body_slower_than_the_read_deadline_is_answered_408_at_the_deadline() {
    let receiver = Receiver::start(TestKey::new(1).verifier());
    let trickle = Trickle::start(&receiver);
    // The trickle keeps sending until it is answered, then reads the answer.
    let (log, waited) = receiver.wait_for_log(1);
    assert!(waited >= DEADLINE, "{waited:?}");
    assert_eq!(
        log,
        [r#""POST" "/partoo": 408 "the body took longer than 200ms""#]
    );
    assert_eq!(trickle.stop(), "HTTP/1.1 408 Request Timeout");
    assert_eq!(receiver.stop(), 1);
}

#[test]
fn a_body_declared_over_the_cap_is_answered_413_before_it_is_sent() {
    let receiver = Receiver::start(TestKey::new(1).verifier());
    let mut stream = receiver.raw(&head(300 * 1024 * 1024));
    assert_eq!(status_line(&mut stream), "HTTP/1.1 413 Payload Too Large");
    drop(stream);
    assert_eq!(receiver.stop(), 1);
}

#[test]
fn what_the_receiver_logs_is_escaped() {
    let key = TestKey::new(1);
    let receiver = Receiver::start(key.verifier());
    let mut stream = receiver
        .raw(b"PO\x1b[2JST /partoo\x07 HTTP/1.1\r\nHost: receiver\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(status_line(&mut stream), "HTTP/1.1 405 Method Not Allowed");
    drop(stream);
    let forged = "{\"type\": \"review\\u202e\\n200 OK\", \"payload\": {}}";
    let body = forged.as_bytes();
    let answer = receiver.post(body, &[("X-Partoo-Signature-v1", &key.sign(body))]);
    assert_eq!(answer.0, 200);
    let log = receiver.log();
    assert_eq!(receiver.stop(), 2);
    assert_eq!(
        log[0],
        r#""PO\u{1b}[2JST" "/partoo\u{7}": 405 "deliveries are POSTed""#
    );
    assert_eq!(
        log[1],
        r#""POST" "/partoo": 200 "review\u{202e}\n200 OK: not handled here""#
    );
    for line in &log {
        assert!(
            !line.contains(|c: char| c.is_control() || c == '\u{202e}'),
            "{line:?}"
        );
    }
}

/// The README's "Receive webhooks" section shows an excerpt of the
/// example, line for line: what it shows is what runs here.
#[test]
fn the_readme_shows_an_excerpt_of_the_example() {
    let readme = include_str!("../README.md");
    let section = readme
        .split("## Receive webhooks")
        .nth(1)
        .expect("a Receive webhooks section");
    let block = section
        .split("```rust,no_run\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a Rust block in the section");
    let example = include_str!("../examples/receiver.rs");
    let lines: Vec<&str> = example.lines().collect();
    let shown: Vec<&str> = block.lines().collect();
    assert!(
        lines.windows(shown.len()).any(|window| window == shown),
        "the README's block is not a run of lines of examples/receiver.rs"
    );
}
