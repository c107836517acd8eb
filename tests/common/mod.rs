//! Fixtures shared by the integration tests: a fake Partoo API on httpmock.
#![allow(dead_code)] // each test file uses a different part
/// The test key, and the pages of the fake API.
pub mod api;
/// The stateful fake of Partoo's webhook API, shared with the demo.
#[path = "../../examples/demo/fake.rs"]
pub mod fake;
pub mod gate;
pub mod raw;
#[cfg(feature = "verify")]
pub mod signing;
pub mod workers;

#[allow(unused_imports)] // each test file uses a different part
pub use api::{assert_no_key_piece, mock_page, page, webhook, KEY, PATH};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use partoo_webhooks::{Client, ClientBuilder};

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

/// A client of `fake` as [`fake_builder`] makes it, and the waits it records.
pub fn fake_client(fake: &fake::FakePartoo) -> (Client, Sleeps) {
    let sleeps = Sleeps::default();
    let client = fake_builder(fake, &sleeps).build().expect("test client");
    (client, sleeps)
}
