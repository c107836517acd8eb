//! The client: one configured ureq agent, and an authenticated JSON request
//! for any method, with retries, the shared back-off and the mapping of every
//! failure to an [`Error`]. It knows nothing of pages or webhooks.
//!
//! - `builder.rs`: the settings, their defaults, and [`ClientBuilder`].
//! - `retry.rs`: the back-off, `Retry-After`, and the deadline clones share.
//! - `tls.rs`: the TLS library and its root certificates.

use std::env::VarError;
use std::fmt;
use std::io::{ErrorKind, Read};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value;
use ureq::http::{HeaderValue, Method, Request, Uri};
use ureq::{Agent, Body, Proxy};

use crate::error::{Cause, CertificateRefused, Error};
use crate::text::strip_quoted;
use builder::Config;
use retry::{after, ceiling, jittered, parse_retry_after, Backoff};

mod builder;
mod retry;
mod tls;

pub use builder::{ClientBuilder, PRODUCTION_URL, SANDBOX_URL};

/// The header Partoo reads the API key from.
const API_KEY_HEADER: &str = "x-APIKey";
/// How much of an error body is read to find the server's message.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;
/// The most characters of server text an error keeps.
const EXCERPT_CHARS: usize = 200;
/// Idle connections kept: room for the threads of a prefetching listing
/// (16 at most) and the listing's own, so that none is closed and reopened.
const IDLE_CONNECTIONS: usize = 17;

/// A blocking client of the Partoo API. Cheap to clone; clones share one
/// connection pool, and one back-off: after a 429 or 503 whose `Retry-After`
/// it honours, no request of the client or of its clones starts before that
/// wait has passed.
///
/// ```no_run
/// let client = partoo_webhooks::Client::from_env()?;
/// for webhook in client.list_webhooks() {
///     println!("{}", webhook?.url);
/// }
/// # Ok::<_, partoo_webhooks::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    agent: Agent,
    key: HeaderValue,
    config: Config,
    backoff: Backoff,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder, to set the key and anything else.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client of the production API with every default.
    ///
    /// # Errors
    /// [`Error::InvalidApiKey`] if the key is empty or not header-safe.
    pub fn new(api_key: impl Into<String>) -> Result<Client, Error> {
        Client::builder().api_key(api_key).build()
    }

    /// A client configured from the environment: the key from `PARTOO_API_KEY`
    /// (required), the base URL from `PARTOO_BASE_URL` (optional; the production
    /// API when unset or empty).
    ///
    /// # Errors
    /// [`Error::MissingApiKey`] when `PARTOO_API_KEY` is unset,
    /// [`Error::InvalidApiKey`] or [`Error::InvalidBaseUrl`] when a variable is
    /// not valid UTF-8, and the errors of [`ClientBuilder::build`].
    pub fn from_env() -> Result<Client, Error> {
        let key = std::env::var("PARTOO_API_KEY").map_err(|error| match error {
            VarError::NotPresent => Error::MissingApiKey,
            VarError::NotUnicode(_) => Error::InvalidApiKey {
                reason: "PARTOO_API_KEY is not valid UTF-8",
            },
        })?;
        let mut builder = Client::builder().api_key(key);
        let url = std::env::var_os("PARTOO_BASE_URL").unwrap_or_default();
        if !url.is_empty() {
            // Not the production API in its place: the user meant another one.
            let url = url.into_string().map_err(|url| Error::InvalidBaseUrl {
                url: url.to_string_lossy().into_owned(),
                reason: "PARTOO_BASE_URL is not valid UTF-8",
            })?;
            builder = builder.base_url(url);
        }
        builder.build()
    }

    pub(crate) fn from_config(mut config: Config) -> Result<Client, Error> {
        let key = api_key(config.api_key.as_deref().ok_or(Error::MissingApiKey)?)?;
        // ureq would panic on the first request instead.
        HeaderValue::from_str(&config.user_agent).map_err(|_| Error::InvalidSetting {
            name: "user agent",
            reason: "it holds a control character, which no header can carry".to_owned(),
        })?;
        let loopback = check_base_url(&config.base_url, config.allow_insecure_http)?;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        let phase = config.timeout / 3;
        let single_wait = phase
            .checked_sub(Duration::from_millis(1))
            .filter(|d| !d.is_zero());
        let agent = Agent::config_builder()
            .tls_config(tls::tls_config(&config)?)
            // The proxy ureq reads from the environment (HTTP_PROXY,
            // ALL_PROXY), but none to an API on this machine: the proxy could
            // be on another one, and over plain http it would receive the key
            // in clear text.
            .proxy(Proxy::try_from_env().filter(|_| !loopback))
            // Statuses are mapped here, and redirects never followed, so that
            // the key stays with the base URL.
            .http_status_as_error(false)
            .max_redirects(0)
            // ureq's per-phase limits, not its global one: under a global (or
            // per-call) deadline ureq resolves the host name on a new thread
            // for every request, pooled connection or not. Single waits a
            // hair shorter than their phase keep ureq from setting the
            // socket's timeout again before every read and write.
            .timeout_connect(Some(config.connect_timeout))
            .timeout_send_request(Some(phase))
            .timeout_recv_response(Some(phase))
            .timeout_recv_body(Some(phase))
            .timeout_per_read(single_wait)
            .timeout_per_write(single_wait)
            .max_idle_connections_per_host(IDLE_CONNECTIONS)
            .max_idle_connections(IDLE_CONNECTIONS)
            .user_agent(config.user_agent.as_str())
            .accept("application/json")
            .build()
            .new_agent();
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                key,
                backoff: Backoff::new(config.sleeper.clone()),
                config,
            }),
        })
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    /// Sends `method target` (a path and query under the base URL) with an
    /// optional JSON body, and decodes the JSON answer, retrying as configured.
    ///
    /// A read (`GET`) is retried after any retryable error. A write only when
    /// it cannot have been applied: after a 429, which Partoo sends before
    /// acting on a request, or a connection refused before anything was sent.
    /// A write whose answer was lost (a timeout, a reset, a 5xx) may have been
    /// applied, and is never sent again from here: read the account to learn.
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        target: &str,
        body: Option<&[u8]>,
    ) -> Result<T, Error> {
        let config = &self.inner.config;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = self.attempt(&method, target, body);
            let Err(error) = result else { return result };
            let failed = Instant::now();
            let retry_after = match &error {
                Error::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            let safe = method == Method::GET || refused(&error) || error.status() == Some(429);
            let retry = safe && error.is_retryable() && config.max_retries > 0;
            // A long Retry-After is the caller's to decide on, not a sleeping build's.
            if !retry || retry_after > Some(config.max_retry_after) {
                return Err(error);
            }
            if attempts > config.max_retries {
                return Err(Error::RetriesExhausted {
                    attempts,
                    last: Box::new(error),
                });
            }
            // A honoured Retry-After is already the shared deadline; half the
            // ceiling on top keeps `Retry-After: 0` from being a tight loop.
            let own = match retry_after {
                Some(_) => ceiling(config, attempts - 1) / 2,
                None => jittered(config, attempts - 1),
            };
            let until = self.inner.backoff.deadline(after(failed, own));
            let wait = until.saturating_duration_since(Instant::now()).as_millis();
            log::warn!(
                "{method} {target}: attempt {attempts} failed ({error}); retrying in {wait} ms"
            );
            self.inner.backoff.wait(Some(until));
        }
    }

    /// One attempt, after the shared back-off.
    fn attempt<T: DeserializeOwned>(
        &self,
        method: &Method,
        target: &str,
        body: Option<&[u8]>,
    ) -> Result<T, Error> {
        let inner = &self.inner;
        inner.backoff.wait(None);
        let started = Instant::now();
        let request = Request::builder()
            .method(method.clone())
            .uri(format!("{}{target}", inner.config.base_url))
            .header(API_KEY_HEADER, inner.key.clone());
        let result = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body)
                .map(|request| inner.agent.run(request)),
            None => request.body(()).map(|request| inner.agent.run(request)),
        };
        let result = result.map_err(|e| connection(e.into()))?;
        let arrived = Instant::now();
        log::debug!(
            "{method} {target} -> {} ({} ms)",
            result.as_ref().map_or(0, |r| r.status().as_u16()),
            arrived.duration_since(started).as_millis()
        );
        let mut response = result.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        if (200..=299).contains(&status) {
            let limit = inner.config.max_body_size;
            // Refused unread when announced larger: reading would only wait
            // for what a slow server sends, and then time out and retry.
            if response.body().content_length().is_some_and(|n| n > limit) {
                return Err(self.transport_error(ureq::Error::BodyExceedsLimit(limit)));
            }
            let bytes = response.body_mut().with_config().limit(limit).read_to_vec();
            let bytes = bytes.map_err(|e| self.transport_error(e))?;
            return serde_json::from_slice(&bytes).map_err(|e| self.body_error(&bytes, e));
        }
        let header = |name| response.headers().get(name).map(|v| v.as_bytes());
        let retry_after =
            header("retry-after").and_then(|v| parse_retry_after(std::str::from_utf8(v).ok()?));
        let location = header("location").map(|l| format!("to {}", self.clean(l)));
        let honoured = retry_after.filter(|wait| *wait <= inner.config.max_retry_after);
        if let (429 | 503, Some(wait)) = (status, honoured) {
            inner.backoff.defer(arrived, wait);
        }
        let message = location.unwrap_or_else(|| self.server_message(response.body_mut()));
        Err(Error::Status {
            page: None,
            status,
            message,
            retry_after,
        })
    }

    fn transport_error(&self, error: ureq::Error) -> Error {
        match error {
            ureq::Error::Timeout(_) => Error::Timeout {
                page: None,
                source: error.into(),
            },
            ureq::Error::BodyExceedsLimit(_) => Error::Body {
                page: None,
                excerpt: String::new(),
                source: error.into(),
            },
            error if tls::is_certificate_error(&error) => {
                connection(Box::new(CertificateRefused(error.into())))
            }
            error => connection(self.clean_cause(error)),
        }
    }

    /// The server's message in Partoo's error bodies, or an excerpt of the body.
    fn server_message(&self, body: &mut Body) -> String {
        let mut bytes = Vec::new();
        let mut reader = body.as_reader().take(ERROR_BODY_LIMIT);
        let _ = reader.read_to_end(&mut bytes);
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let envelope = value.get("errors").or_else(|| value.get("error"));
        // An object of one string, such as `{"url": "invalid"}`, is that string.
        let fields = envelope.and_then(Value::as_object).filter(|f| f.len() == 1);
        let single = fields.and_then(|f| f.values().find(|v| v.is_string()));
        match single.or(envelope) {
            Some(Value::String(message)) => self.clean(message.as_bytes()),
            Some(other) => self.clean(other.to_string().as_bytes()),
            None => self.clean(&bytes),
        }
    }

    /// A 2xx body that cannot be decoded. One that may hold JSON anywhere
    /// (a `{`, `[` or `"`, after a BOM or a prefix as well) may hold the
    /// account's data (URLs, header values): the error says where and why
    /// decoding failed, but without the string serde quotes (`invalid type:
    /// string "…", expected u32`); field names and numbers, in backquotes,
    /// are kept. Any other body (a proxy's plain page) is quoted, the key cut out.
    fn body_error(&self, bytes: &[u8], error: serde_json::Error) -> Error {
        let data = bytes.iter().any(|b| matches!(b, b'{' | b'[' | b'"'));
        // Syntax errors quote nothing they read; data errors quote a string.
        let (excerpt, source): (_, Cause) = match data {
            false => (self.clean(bytes), self.clean_cause(error)),
            true => (String::new(), strip_quoted(&error.to_string()).into()),
        };
        Error::Body {
            page: None,
            excerpt,
            source,
        }
    }

    /// Server text as an error may keep it: the key cut out first, wherever
    /// it stands, then at most [`EXCERPT_CHARS`] characters, whitespace as spaces.
    fn clean(&self, text: &[u8]) -> String {
        let key = self.inner.key.to_str().unwrap_or_default();
        let text = String::from_utf8_lossy(text).replace(|c: char| c.is_ascii_whitespace(), " ");
        let text = text.trim().replace(key, "[redacted]");
        match text.char_indices().nth(EXCERPT_CHARS) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text,
        }
    }

    /// An error whose message may quote server text, with the key cut out.
    fn clean_cause(&self, error: impl std::error::Error + Send + Sync + 'static) -> Cause {
        let key = self.inner.key.to_str().unwrap_or_default();
        match error.to_string() {
            text if text.contains(key) => text.replace(key, "[redacted]").into(),
            _ => error.into(),
        }
    }
}

fn connection(source: Cause) -> Error {
    Error::Connection { page: None, source }
}

/// Whether the request certainly never left: the connection was refused.
fn refused(error: &Error) -> bool {
    // Of the errors an attempt returns, only a connection error's cause can
    // be a ureq I/O error.
    let source = std::error::Error::source(error);
    let io = source.and_then(|source| source.downcast_ref::<ureq::Error>());
    matches!(io, Some(ureq::Error::Io(io)) if io.kind() == ErrorKind::ConnectionRefused)
}

/// The key, checked and ready to send: visible ASCII only, since a newline
/// would let a key inject headers, and no Partoo key has spaces.
fn api_key(key: &str) -> Result<HeaderValue, Error> {
    let reason = match HeaderValue::from_str(key) {
        _ if key.is_empty() => "it is empty",
        Ok(mut value) if key.bytes().all(|b| b.is_ascii_graphic()) => {
            value.set_sensitive(true);
            return Ok(value);
        }
        _ => "it contains whitespace, a control character or a non-ASCII character",
    };
    Err(Error::InvalidApiKey { reason })
}

/// Checks a base URL; whether its host is loopback. Plain `http://` is
/// refused unless the host is loopback or the caller opted in, because the
/// key would cross the network in clear text.
fn check_base_url(url: &str, allow_insecure_http: bool) -> Result<bool, Error> {
    let refuse = |reason| Error::InvalidBaseUrl {
        url: url.to_owned(),
        reason,
    };
    let uri: Uri = url
        .parse()
        .map_err(|_| refuse("not a valid absolute URL"))?;
    let host = uri
        .host()
        .ok_or_else(|| refuse("expected http(s)://host[:port]/path"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let reason = match uri.scheme_str() {
        Some("http") if !(allow_insecure_http || loopback) => {
            "plain http would send the API key in clear text; use https, \
             or explicitly allow insecure http on a trusted network"
        }
        Some("https" | "http") if uri.query().is_some() => "a base URL cannot have a query",
        Some("https" | "http") => return Ok(loopback),
        _ => "the scheme must be https (or http)",
    };
    Err(refuse(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_https_or_loopback_http_without_a_query() {
        assert_eq!(
            check_base_url("https://api.partoo.co/v2", false).ok(),
            Some(false)
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080/v2", false).ok(),
            Some(true)
        );
        assert_eq!(check_base_url("http://[::1]:8080", false).ok(), Some(true));
        assert_eq!(check_base_url("http://example.com", true).ok(), Some(false));
        for refused in [
            "http://example.com",
            "ftp://h/",
            "h/v2",
            "https://h/v2?x=1",
            "",
        ] {
            assert!(check_base_url(refused, false).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn keys_are_visible_ascii() {
        assert!(api_key("abc-123_XYZ").is_ok());
        for bad in ["", "a b", "a\nb", "clé"] {
            assert!(
                matches!(api_key(bad), Err(Error::InvalidApiKey { .. })),
                "{bad:?}"
            );
        }
    }
}
