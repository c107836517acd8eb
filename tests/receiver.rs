//! `examples/receiver.rs` serving on loopback: signed, tampered, unsigned,
//! test and oversized deliveries, as Partoo (or someone else) would POST them.
#![cfg(feature = "verify")]
mod common;

#[allow(dead_code)] // its main() is the example's
#[path = "../examples/receiver.rs"]
mod receiver;

use std::sync::Arc;
use std::thread::{self, JoinHandle};

use common::signing::TestKey;
use partoo_webhooks::delivery::Verifier;
use tiny_http::Server;

const LEAD: &str = r#"{"type": "lead_received", "payload": {"id": 981, "business_name": "Café du Port", "values": [{"type": "EMAIL", "value": "zoe@example.com"}, {"type": "OPT_IN", "value": true}]}}"#;

/// The example's server on a free loopback port, verifying with `verifier`.
struct Receiver {
    server: Arc<Server>,
    serving: Option<JoinHandle<usize>>,
    url: String,
    agent: ureq::Agent,
}

impl Receiver {
    fn start(verifier: Verifier) -> Receiver {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("a loopback port"));
        let url = format!("http://{}/partoo", server.server_addr());
        let serving = {
            let server = server.clone();
            thread::spawn(move || receiver::serve(&server, &verifier))
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Receiver {
            server,
            serving: Some(serving),
            url,
            agent,
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

    /// Stops the server, and returns how many requests it answered.
    fn stop(mut self) -> usize {
        self.server.unblock();
        let serving = self.serving.take().expect("serving");
        serving.join().expect("the receiver never panics")
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

/// The README's "Receive webhooks" section shows the example's code.
#[test]
fn the_readme_shows_the_example() {
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
    let code: Vec<&str> = example
        .lines()
        .skip_while(|line| line.starts_with("//!") || line.is_empty())
        .collect();
    assert_eq!(block, code.join("\n"));
}
