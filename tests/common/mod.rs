//! Fixtures shared by the integration tests: a fake Partoo API on httpmock.
#![allow(dead_code)] // each test file uses a different part
/// The stateful fake of Partoo's webhook API, shared with the demo.
#[path = "../../examples/demo/fake.rs"]
pub mod fake;
pub mod gate;
pub mod raw;
#[cfg(feature = "verify")]
pub mod signing;
pub mod workers;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::{Client, ClientBuilder};
use serde_json::{json, Value};

/// The API key of every test client; tests check it never leaks.
pub const KEY: &str = "test-key-5ec8e7-do-not-leak";

/// Asserts that `text` holds no piece of the test key of 6 characters or
/// more: a key cut short still leaks most of itself.
#[track_caller]
pub fn assert_no_key_piece(text: &str) {
    for piece in KEY.as_bytes().windows(6) {
        let piece = std::str::from_utf8(piece).expect("an ASCII key");
        assert!(
            !text.contains(piece),
            "a piece of the API key ({piece:?}) leaked into {text:?}"
        );
    }
}

/// The path of the list endpoint under the mock's `/v2` base.
pub const PATH: &str = "/v2/webhooks";

/// A webhook configuration as the API renders it.
pub fn webhook(id: u64) -> Value {
    json!({
        "id": id,
        "url": format!("https://hooks.example.com/{id}"),
        "event_type": "business_created",
        "created_at": "2024-11-27T16:10:44.929678Z",
        "updated_at": "2024-11-27T16:10:44.929678Z",
        "org_id": 7,
    })
}

/// A page body holding the webhooks with these ids.
pub fn page(page: u32, max_page: u32, count: u64, ids: impl IntoIterator<Item = u64>) -> Value {
    let items: Vec<Value> = ids.into_iter().map(webhook).collect();
    json!({ "page": page, "max_page": max_page, "count": count, "items": items })
}

/// Serves `body` for `GET /v2/webhooks?page=<page>` carrying the test key.
pub fn mock_page<'a>(server: &'a MockServer, page: u32, body: Value) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("page", page.to_string())
            .header("x-apikey", KEY);
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    })
}

/// A builder for a client of `server`, with the test key, and retries that
/// wait 1 ms at most and record nothing. Tests add what they need.
pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(server.url("/v2"))
        .retry_base_delay(Duration::from_millis(1))
        .retry_max_delay(Duration::from_millis(1))
        .timeout(Duration::from_secs(5))
}

/// A client of `server` as built by [`builder`].
pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("test client")
}

/// A sleeper that records the delays it is asked for instead of sleeping.
#[derive(Clone, Default)]
pub struct Sleeps(Arc<Mutex<Vec<Duration>>>);

impl Sleeps {
    /// Installs this recorder as the builder's sleeper, with backoff waits of
    /// 1 s: waits count from the failed answer's arrival, and a wait of a few
    /// milliseconds could be over before it is asked for, and not recorded.
    /// Nothing sleeps, so long waits cost nothing.
    pub fn install(&self, builder: ClientBuilder) -> ClientBuilder {
        let log = self.0.clone();
        builder
            .retry_base_delay(Duration::from_secs(1))
            .retry_max_delay(Duration::from_secs(1))
            .sleeper(move |delay| log.lock().unwrap().push(delay))
    }

    /// The sum of the delays recorded so far.
    pub fn total(&self) -> Duration {
        self.delays().iter().sum()
    }

    /// The delays recorded so far.
    pub fn delays(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

/// A builder for a client of `fake`, with the test key and a timeout of 5 s,
/// whose sleeper records its waits in `sleeps` instead of sleeping (back-off
/// waits of 1 s, as [`Sleeps::install`]), and lets `fake` listen again if it
/// had stopped: a refused connection is retried against a server that is back.
pub fn fake_builder(fake: &fake::FakePartoo, sleeps: &Sleeps) -> ClientBuilder {
    let (log, reopen) = (sleeps.0.clone(), fake.reopener());
    Client::builder()
        .api_key(KEY)
        .base_url(fake.url())
        .timeout(Duration::from_secs(5))
        .retry_base_delay(Duration::from_secs(1))
        .retry_max_delay(Duration::from_secs(1))
        .sleeper(move |delay| {
            log.lock().unwrap().push(delay);
            reopen();
        })
}
