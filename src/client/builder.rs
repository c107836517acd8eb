//! The client's settings: one place for every default, and the builder that fills it in.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::HeaderValue;

use crate::client::retry::RetryPolicy;
use crate::{Client, Error};

/// The production API, the default base URL.
pub const PRODUCTION_URL: &str = "https://api.partoo.co/v2";

/// The sandbox API, for development against test data.
pub const SANDBOX_URL: &str = "https://api.sandbox.partoo.co/v2";

/// The longest timeout: ureq adds a timeout to the clock, which panics past its
/// range (`Duration::MAX` did). A century never ends in practice either.
const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

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

/// The limits of each phase of one request, as ureq applies them: each phase's
/// clock starts when the previous phase ends, so a request takes at most their
/// sum.
///
/// Per-phase limits rather than ureq's `timeout_global`: with an overall
/// deadline, ureq 3 resolves the host name on a new thread for every request,
/// even over a pooled connection, which doubled the client's system time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Phases {
    pub connect: Duration,
    pub send_request: Duration,
    pub recv_response: Duration,
    pub recv_body: Duration,
    /// The longest single wait to write: just under `send_request`.
    pub per_write: Option<Duration>,
    /// The longest single wait to read: just under `recv_response`.
    pub per_read: Option<Duration>,
}

/// How much shorter a single wait is than its phase.
///
/// ureq sets a socket's timeout to the time left in the phase before each read
/// or write, a `setsockopt` every time, since that time shrinks. A single-wait
/// limit just under the phase's is what ureq uses instead while it is the
/// shorter, which is during the phase's first millisecond: the value does not
/// change, so the socket is not touched again. A server that answers at once
/// then costs no system call for timeouts; a slow one costs one per read, as
/// before, which is nothing beside its slowness.
const SINGLE_WAIT_MARGIN: Duration = Duration::from_millis(1);

impl Phases {
    /// Shares `timeout` among the phases. Connecting gets `connect_timeout`, but
    /// at most a third of the budget; of the rest, sending the request gets a
    /// tenth (a GET's head fits in the socket's buffer), and waiting for the
    /// response head (the server's work) and reading the body get the same
    /// share each, so that one single-wait limit suits both.
    pub(crate) fn of(connect_timeout: Duration, timeout: Duration) -> Phases {
        let connect = connect_timeout.min(timeout / 3);
        let rest = timeout - connect;
        let send_request = rest / 10;
        let recv_response = (rest - send_request) / 2;
        let under = |phase: Duration| {
            phase
                .checked_sub(SINGLE_WAIT_MARGIN)
                .filter(|d| !d.is_zero())
        };
        Phases {
            connect,
            send_request,
            recv_response,
            recv_body: rest - send_request - recv_response,
            per_write: under(send_request),
            per_read: under(recv_response),
        }
    }

    /// The most one request can take, name resolution aside.
    #[cfg(test)]
    fn total(&self) -> Duration {
        self.connect + self.send_request + self.recv_response + self.recv_body
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
    /// handshake), within [`timeout`](Self::timeout): at most a third of it is
    /// spent connecting, whatever this says.
    ///
    /// Defaults to 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout.min(MAX_TIMEOUT);
        self
    }

    /// The longest one attempt at a page may take: from connecting to the last
    /// byte of the body, across the same-origin redirects it follows, which
    /// share this one budget (each hop gets what the earlier ones left). A
    /// server that stalls or drips its answer fails with [`Error::Timeout`]
    /// (and is retried, as configured: each retry is a new attempt with a
    /// budget of its own; the waits between attempts are not part of it).
    ///
    /// The budget is shared among the phases of the request, each with its own
    /// limit, and the limits add up to it. Connecting gets
    /// [`connect_timeout`](Self::connect_timeout), at most a third of the budget;
    /// of the rest, sending the request gets 10%, and waiting for the
    /// response's head and reading its body 45% each. With the defaults: 10 s,
    /// 2 s, 9 s and 9 s. A phase that runs out fails the request, even if an
    /// earlier phase finished early; so does a single wait for data that lasts
    /// the whole of its phase's share (1 ms less, exactly).
    ///
    /// Not bounded by it: resolving the host name, which is left to the
    /// system's resolver and its own limits (`timeout` and `attempts` in
    /// `/etc/resolv.conf`), since bounding it here would take a thread per
    /// request.
    ///
    /// Longer than a hundred years counts as a hundred years.
    ///
    /// Defaults to 30 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout.min(MAX_TIMEOUT);
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

    /// The `User-Agent` header; an empty one sends none. A value that no header
    /// can carry (a control character such as a newline) makes
    /// [`build`](Self::build) fail with [`Error::InvalidSetting`].
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
    /// drawn uniformly between half the ceiling and the ceiling ("equal
    /// jitter"), counted from when the failed answer arrived. Half the ceiling
    /// is also the least a retry waits after a `Retry-After` (a shorter one,
    /// such as 0 or a date in the past, is raised to it), so that no retry is
    /// a tight loop.
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
    /// A wait it honours is one deadline for the whole client, counted from
    /// when the 429 arrived: no request of the client, of its clones or of
    /// their prefetching threads starts before it, and pages that failed
    /// meanwhile are retried on that same deadline, not each after a wait of
    /// its own.
    ///
    /// Defaults to 60 seconds.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.config.retry.max_retry_after = wait;
        self
    }

    /// What the client calls to wait between attempts, given the delay. Useful to
    /// record or shorten waits in tests, or to wait on something else. A wait
    /// it returns from early counts as served all the same: the client does not
    /// ask again for the same deadline.
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
    /// [`Error::InvalidSetting`] or [`Error::InvalidRootCerts`].
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.ok_or(Error::MissingApiKey)?;
        // ureq would panic on the first request instead.
        if HeaderValue::from_str(&self.config.user_agent).is_err() {
            return Err(Error::InvalidSetting {
                name: "user agent",
                reason: "it holds a control character, which no header can carry",
            });
        }
        Client::from_config(ApiKey::new(&key.0)?, self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_limits_add_up_to_the_timeout() {
        let secs = Duration::from_secs;
        let default = Config::default();
        let phases = Phases::of(default.connect_timeout, default.timeout);
        assert_eq!(
            phases,
            Phases {
                connect: secs(10),
                send_request: secs(2),
                recv_response: secs(9),
                recv_body: secs(9),
                per_write: Some(Duration::from_millis(1999)),
                per_read: Some(Duration::from_millis(8999)),
            }
        );
        for (connect, timeout) in [
            (secs(10), secs(30)),
            (secs(10), Duration::from_millis(200)),
            (secs(60), secs(5)),
            (Duration::ZERO, secs(1)),
            (secs(1), Duration::from_nanos(7)),
            (Duration::MAX, Duration::MAX),
        ] {
            let phases = Phases::of(connect, timeout);
            assert!(phases.total() <= timeout, "{connect:?} {timeout:?}");
            assert!(phases.connect <= connect.min(timeout / 3));
            assert!(phases.recv_body >= phases.recv_response, "{phases:?}");
            assert!(phases
                .per_read
                .is_none_or(|wait| wait < phases.recv_response));
            assert!(phases
                .per_write
                .is_none_or(|wait| wait < phases.send_request));
        }
    }
}
