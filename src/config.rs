//! The client's settings: one place for every default, and the builder that fills it in.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::HeaderValue;

use crate::retry::RetryPolicy;
use crate::{Client, Error};

/// The production API, the default base URL.
pub const PRODUCTION_URL: &str = "https://api.partoo.co/v2";

/// The sandbox API, for development against test data.
pub const SANDBOX_URL: &str = "https://api.sandbox.partoo.co/v2";

/// What the client does between two attempts; tests swap it to record delays.
pub(crate) type Sleeper = Arc<dyn Fn(Duration) + Send + Sync>;

/// Every setting of a [`Client`]. The defaults are in `Default::default`.
#[derive(Clone)]
pub(crate) struct Config {
    pub base_url: String,
    pub allow_insecure_http: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_size: u64,
    pub user_agent: String,
    pub retry: RetryPolicy,
    pub sleeper: Sleeper,
    /// A PEM bundle whose certificates replace the default roots; read at `build()`.
    pub root_certs_pem: Option<Vec<u8>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: PRODUCTION_URL.to_owned(),
            allow_insecure_http: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_size: 10 * 1024 * 1024,
            user_agent: concat!("partoo-webhooks/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy {
                max_retries: 3,
                base_delay: Duration::from_millis(500),
                max_delay: Duration::from_secs(30),
                max_retry_after: Duration::from_secs(60),
            },
            sleeper: Arc::new(std::thread::sleep),
            root_certs_pem: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_body_size", &self.max_body_size)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The API key, checked and ready to send. Its `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct ApiKey(pub HeaderValue);

impl ApiKey {
    pub(crate) fn new(key: &str) -> Result<ApiKey, Error> {
        let invalid = |reason| Error::InvalidApiKey { reason };
        if key.is_empty() {
            return Err(invalid("it is empty"));
        }
        // Visible ASCII only: a newline would let a key inject headers, and
        // no Partoo key has spaces or non-ASCII characters.
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "it contains whitespace, a control character or a non-ASCII character",
            ));
        }
        let mut value = HeaderValue::from_str(key).map_err(|_| invalid("not a header value"))?;
        value.set_sensitive(true);
        Ok(ApiKey(value))
    }

    pub(crate) fn as_str(&self) -> &str {
        // Checked to be visible ASCII in `new`.
        self.0.to_str().unwrap_or_default()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
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
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until build() is called"]
pub struct ClientBuilder {
    api_key: Option<ApiKeyInput>,
    config: Config,
}

/// The key as given, kept out of `Debug` until `build` checks it.
#[derive(Clone)]
struct ApiKeyInput(String);

impl fmt::Debug for ApiKeyInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

impl ClientBuilder {
    /// A builder with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key, sent in the `x-APIKey` header to the base URL's origin only.
    ///
    /// Required: [`build`](Self::build) fails with [`Error::MissingApiKey`] without it,
    /// and with [`Error::InvalidApiKey`] if it is empty or has characters other than
    /// visible ASCII.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKeyInput(key.into()));
        self
    }

    /// The API's base URL, up to and including `/v2`.
    ///
    /// Must be `https`, or `http` to a loopback host (tests, local mocks) unless
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set.
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
    /// the API key unencrypted. Only for a trusted network.
    ///
    /// Defaults to `false`.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.config.allow_insecure_http = allow;
        self
    }

    /// The longest wait to establish a connection (DNS, TCP, TLS).
    ///
    /// Defaults to 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The longest one request may take, from connecting to the last byte of the
    /// body. A server that stalls or drips its answer fails with [`Error::Timeout`].
    ///
    /// Defaults to 30 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The largest response body read, in bytes (after decompression). A larger page
    /// fails with [`Error::BodyTooLarge`] without being read into memory.
    ///
    /// Defaults to 10 MiB.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The `User-Agent` header.
    ///
    /// Defaults to `partoo-webhooks/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// How many times a request is retried after a retryable failure: HTTP 429,
    /// 500, 502, 503 or 504, a timeout, or a connection that failed or broke.
    /// Other failures are never retried. 0 disables retrying.
    ///
    /// Defaults to 3.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.config.retry.max_retries = retries;
        self
    }

    /// The backoff ceiling of the first retry. The ceiling doubles with each retry,
    /// up to [`retry_max_delay`](Self::retry_max_delay), and the actual wait is
    /// drawn uniformly below it ("full jitter").
    ///
    /// Defaults to 500 milliseconds.
    pub fn retry_base_delay(mut self, delay: Duration) -> Self {
        self.config.retry.base_delay = delay;
        self
    }

    /// The largest backoff ceiling.
    ///
    /// Defaults to 30 seconds.
    pub fn retry_max_delay(mut self, delay: Duration) -> Self {
        self.config.retry.max_delay = delay;
        self
    }

    /// The longest `Retry-After` (seconds or HTTP-date) the client waits through.
    /// When the server asks for longer, the request fails at once with
    /// [`Error::RateLimited`] carrying the wait, so the caller decides.
    ///
    /// Defaults to 60 seconds.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.config.retry.max_retry_after = wait;
        self
    }

    /// What the client calls to wait between attempts, given the delay. Useful to
    /// record or shorten waits in tests, or to wait on something else.
    ///
    /// Defaults to [`std::thread::sleep`].
    pub fn sleeper(mut self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.config.sleeper = Arc::new(sleep);
        self
    }

    /// Trusts exactly the CA certificates of this PEM bundle (its
    /// `-----BEGIN CERTIFICATE-----` sections), instead of the default roots: for a
    /// TLS-inspecting proxy, or a host whose certificate a private CA signed.
    ///
    /// They replace the defaults rather than add to them, as curl's `--cacert` and
    /// `SSL_CERT_FILE` do: the client talks to one host, and trusting only its CA is
    /// the narrower trust. To keep the public roots as well, include them in the
    /// bundle (e.g. `/etc/ssl/certs/ca-certificates.crt` followed by your CA).
    ///
    /// ```no_run
    /// let client = partoo_webhooks::Client::builder()
    ///     .api_key("my-key")
    ///     .replace_root_certs_pem(std::fs::read("corporate-ca.pem")?)
    ///     .build()?;
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`build`](Self::build) fails with [`Error::InvalidRootCerts`] if the bundle is
    /// not valid PEM, holds no certificate, or this build has no TLS feature.
    ///
    /// Defaults to Mozilla's root certificates with the `rustls` feature, and to the
    /// platform's with `native-tls` (where OpenSSL also reads `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR`).
    pub fn replace_root_certs_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config.root_certs_pem = Some(pem.into());
        self
    }

    /// Checks the settings and builds the client. Sends nothing.
    ///
    /// # Errors
    /// [`Error::MissingApiKey`], [`Error::InvalidApiKey`], [`Error::InvalidBaseUrl`]
    /// or [`Error::InvalidRootCerts`].
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.ok_or(Error::MissingApiKey)?;
        Client::from_config(ApiKey::new(&key.0)?, self.config)
    }
}
