//! The client's settings: one place for the defaults, and the builder that
//! fills them in.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::client::Client;
use crate::error::Error;

/// The production API, the default base URL.
pub const PRODUCTION_URL: &str = "https://api.partoo.co/v2";

/// The sandbox API.
pub const SANDBOX_URL: &str = "https://api.sandbox.partoo.co/v2";

/// A hundred years: longer waits are taken as this, so that no deadline overflows.
pub(crate) const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// What the client calls to wait between attempts.
pub(crate) type Sleeper = Arc<dyn Fn(Duration) + Send + Sync>;

/// Every setting of a client, with its default in `Default`.
#[derive(Clone)]
pub(crate) struct Config {
    pub api_key: Option<String>,
    pub base_url: String,
    pub allow_insecure_http: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_size: u64,
    pub user_agent: String,
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub max_retry_after: Duration,
    pub sleeper: Sleeper,
    pub root_certs_pem: Option<Vec<u8>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: None,
            base_url: PRODUCTION_URL.to_owned(),
            allow_insecure_http: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_size: 10 * 1024 * 1024,
            user_agent: concat!("partoo-webhooks/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            sleeper: Arc::new(std::thread::sleep),
            root_certs_pem: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Only [`api_key`](Self::api_key) is required.
///
/// ```
/// use std::time::Duration;
///
/// let client = partoo_webhooks::Client::builder()
///     .api_key("my-key")
///     .sandbox()
///     .timeout(Duration::from_secs(10))
///     .max_retries(5)
///     .build()?;
/// assert_eq!(client.base_url(), partoo_webhooks::SANDBOX_URL);
/// # Ok::<_, partoo_webhooks::Error>(())
/// ```
#[derive(Clone, Default, Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct ClientBuilder {
    config: Config,
}

impl ClientBuilder {
    /// A builder with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key, sent in the `x-APIKey` header to the base URL only.
    ///
    /// Required: [`build`](Self::build) fails with [`Error::MissingApiKey`] without it,
    /// and with [`Error::InvalidApiKey`] if it is empty or has characters other than
    /// visible ASCII.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.config.api_key = Some(key.into());
        self
    }

    /// The API's base URL, up to and including `/v2`.
    ///
    /// Must be `https`, or `http` to a loopback host (tests, local mocks) unless
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set. A loopback
    /// host is always reached directly, never through a proxy named in the
    /// environment (`HTTP_PROXY`, `ALL_PROXY`, ...), which could be on another
    /// machine; other hosts go through it, as ureq reads it.
    ///
    /// Defaults to [`PRODUCTION_URL`], `https://api.partoo.co/v2`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = url.into();
        self
    }

    /// Uses the sandbox API, [`SANDBOX_URL`]: the same as `.base_url(SANDBOX_URL)`.
    ///
    /// Defaults to the production API.
    pub fn sandbox(self) -> Self {
        self.base_url(SANDBOX_URL)
    }

    /// Allows a plain `http://` base URL to a host that is not loopback, which sends
    /// the API key unencrypted, to that host and to any proxy on the way. Only
    /// for a trusted network.
    ///
    /// Defaults to `false`.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.config.allow_insecure_http = allow;
        self
    }

    /// The longest wait to establish a connection (TCP, TLS, and a proxy's
    /// handshake).
    ///
    /// Defaults to 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout.min(LONGEST);
        self
    }

    /// The longest one attempt at a request may take once connected, in
    /// ureq's own phases: sending the request, waiting for the answer's head,
    /// and reading its body each get a third of it (and a single wait for
    /// data the whole of that third, 1 ms less). A server that stalls or
    /// drips its answer fails with [`Error::Timeout`], which reads retry as
    /// configured: each retry is a new attempt with a budget of its own, and
    /// the waits between attempts are not part of it. So an attempt lasts at
    /// most [`connect_timeout`](Self::connect_timeout) plus this.
    ///
    /// Not bounded by it: resolving the host name, which is left to the
    /// system's resolver and its own limits (`timeout` and `attempts` in
    /// `/etc/resolv.conf`), since ureq bounds it with a thread per request.
    ///
    /// Longer than a hundred years counts as a hundred years.
    ///
    /// Defaults to 30 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout.min(LONGEST);
        self
    }

    /// The largest response body read, in bytes (after decompression). A larger
    /// one fails with [`Error::Body`] without being held in memory.
    ///
    /// Defaults to 10 MiB.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The `User-Agent` header.
    ///
    /// Defaults to `partoo-webhooks/VERSION`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// How many times a failed request is retried. A read (a `GET`) is retried
    /// after a 429, 500, 502, 503 or 504, a timeout or a broken connection
    /// ([`Error::is_retryable`]); `0` turns retries off.
    ///
    /// Defaults to 3 (4 attempts at most).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.config.max_retries = retries;
        self
    }

    /// The wait before the first retry, doubled for each further one (up to
    /// [`retry_max_delay`](Self::retry_max_delay)), of which a random half is
    /// taken ("equal jitter"), so that many clients do not retry in step.
    ///
    /// Defaults to 500 milliseconds.
    pub fn retry_base_delay(mut self, delay: Duration) -> Self {
        self.config.base_delay = delay;
        self
    }

    /// The ceiling of the doubling wait between retries.
    ///
    /// Defaults to 30 seconds.
    pub fn retry_max_delay(mut self, delay: Duration) -> Self {
        self.config.max_delay = delay;
        self
    }

    /// The longest `Retry-After` (in seconds, on a 429 or a 503) the client
    /// waits through. When the server asks for longer, the request fails at
    /// once with [`Error::Status`] carrying the wait, so the caller decides.
    ///
    /// A wait it honours is one deadline for the whole client, counted from
    /// when the answer arrived: no request of the client, of its clones or of
    /// their prefetching threads starts before it. `Retry-After` in another
    /// form (an HTTP date) is not read: the retry follows the back-off.
    ///
    /// Defaults to 60 seconds.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.config.max_retry_after = wait;
        self
    }

    /// What the client calls to wait between attempts, given the delay. Useful to
    /// record or shorten waits in tests. A wait it returns from early counts as
    /// served all the same.
    ///
    /// Defaults to [`std::thread::sleep`].
    pub fn sleeper(mut self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.config.sleeper = Arc::new(sleep);
        self
    }

    /// Trusts only the root certificates in `pem` (one or more `CERTIFICATE`
    /// sections), instead of the TLS library's usual roots: for a private CA or a
    /// TLS-intercepting proxy. [`build`](Self::build) fails with
    /// [`Error::InvalidSetting`] when they cannot be read.
    ///
    /// Defaults to Mozilla's roots with `rustls`, the platform's with `native-tls`.
    pub fn replace_root_certs_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config.root_certs_pem = Some(pem.into());
        self
    }

    /// Checks the settings and builds the client; nothing is sent.
    ///
    /// # Errors
    /// [`Error::MissingApiKey`], [`Error::InvalidApiKey`],
    /// [`Error::InvalidBaseUrl`] and [`Error::InvalidSetting`].
    pub fn build(self) -> Result<Client, Error> {
        Client::from_config(self.config)
    }
}
