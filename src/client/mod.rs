//! The client: one configured ureq agent, and how it turns a page request into
//! a decoded page or a precise error.

use std::env::VarError;
use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use serde::de::{DeserializeOwned, DeserializeSeed};
use ureq::{Agent, Body};

use crate::listing::{PageRequest, PageSeed};
use crate::{Error, ListWebhooks, Page, MAX_PREFETCH};
use builder::{ApiKey, Config, Phases};
use redirect::Origin;
use retry::{parse_retry_after, Backoff, Failure};

mod builder;
pub(crate) mod redact;
mod redirect;
pub(crate) mod retry;
mod tls;

pub use builder::{ClientBuilder, PRODUCTION_URL, SANDBOX_URL};

/// The header Partoo reads the API key from.
const API_KEY_HEADER: &str = "x-APIKey";
/// Same-origin redirects followed for one request before giving up.
const MAX_REDIRECTS: usize = 5;
/// How much of an error body is read to find the server's message.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;
/// The most room made for a body before its bytes arrive, whatever its
/// `Content-Length` says: a larger body grows the buffer as it comes.
const FIRST_BODY_BUFFER: u64 = 1024 * 1024;

/// A blocking client of the Partoo API. Cheap to clone; clones share one
/// connection pool, and one back-off: after a 429 whose `Retry-After` it
/// honours, no request of the client or of its clones starts before that
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
    api_key: ApiKey,
    origin: Origin,
    config: Config,
    backoff: Backoff,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_key", &self.inner.api_key)
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
        match std::env::var("PARTOO_BASE_URL") {
            Ok(url) if !url.is_empty() => builder = builder.base_url(url),
            Ok(_) | Err(VarError::NotPresent) => {}
            // Not the production API in its place: the user meant another one.
            Err(VarError::NotUnicode(url)) => {
                return Err(Error::InvalidBaseUrl {
                    url: url.to_string_lossy().into_owned(),
                    reason: "PARTOO_BASE_URL is not valid UTF-8",
                })
            }
        }
        builder.build()
    }

    pub(crate) fn from_config(api_key: ApiKey, mut config: Config) -> Result<Client, Error> {
        let (base_url, origin) =
            redirect::check_base_url(&config.base_url, config.allow_insecure_http)?;
        config.base_url = base_url;
        let phases = Phases::of(config.connect_timeout, config.timeout);
        let mut agent = tls::configure(Agent::config_builder(), &config)?;
        if origin.is_loopback() {
            // The API is on this machine: a proxy from the environment
            // (HTTP_PROXY, ALL_PROXY) could be on another one, and over plain
            // http it would receive the key in clear text.
            agent = agent.proxy(None);
        }
        let agent = agent
            // Statuses and redirects are handled here, so that the key stays home.
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(phases.connect))
            .timeout_send_request(Some(phases.send_request))
            .timeout_recv_response(Some(phases.recv_response))
            .timeout_recv_body(Some(phases.recv_body))
            .timeout_per_read(phases.per_read)
            .timeout_per_write(phases.per_write)
            // A prefetching listing holds a connection per worker, plus its own:
            // fewer idle places would close and reopen some on every page.
            .max_idle_connections_per_host(MAX_PREFETCH + 1)
            .max_idle_connections(MAX_PREFETCH + 1)
            .user_agent(config.user_agent.as_str())
            .accept("application/json")
            .build()
            .new_agent();
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                api_key,
                origin,
                backoff: Backoff::new(config.sleeper.clone()),
                config,
            }),
        })
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    /// Lists webhook configurations: a request to configure, then
    /// [`send`](ListWebhooks::send) for one page or iterate for all of them.
    pub fn list_webhooks(&self) -> ListWebhooks {
        ListWebhooks::new(self.clone())
    }

    /// Fetches one page, retrying as configured. `earlier` is a first attempt
    /// already made by a prefetching thread.
    pub(crate) fn fetch<T: DeserializeOwned>(
        &self,
        request: &PageRequest,
        buf: &mut Vec<u8>,
        earlier: Option<Failure>,
    ) -> Result<Page<T>, Error> {
        let inner = &self.inner;
        inner
            .config
            .retry
            .run(request.page, &inner.backoff, earlier, |attempt| {
                self.attempt(request, attempt, buf)
            })
    }

    /// Waits out the client's back-off, if a 429 set one.
    pub(crate) fn wait_for_backoff(&self) {
        self.inner.backoff.wait();
    }

    /// One attempt at a page, following same-origin redirects, after the
    /// client's back-off. The attempt has one `timeout` budget, which its
    /// redirect hops share: each hop gets what the earlier ones left.
    pub(crate) fn attempt<T: DeserializeOwned>(
        &self,
        request: &PageRequest,
        attempt: u32,
        buf: &mut Vec<u8>,
    ) -> Result<Page<T>, Failure> {
        self.wait_for_backoff();
        let config = &self.inner.config;
        let page = request.page;
        let deadline = Instant::now() + config.timeout;
        let mut url = request.url.clone();
        for hop in 0..=MAX_REDIRECTS {
            let started = Instant::now();
            let mut get = self
                .inner
                .agent
                .get(&url)
                .header(API_KEY_HEADER, self.inner.api_key.0.clone());
            if hop > 0 {
                // The agent's limits are those of a whole budget; a later hop
                // gets the phases of what is left of it.
                let left = deadline.saturating_duration_since(started);
                if left.is_zero() {
                    return Err(Failure::from(Error::Timeout {
                        page,
                        source: "the attempt's time ran out while following redirects".into(),
                    }));
                }
                let phases = Phases::of(config.connect_timeout, left);
                get = get
                    .config()
                    .timeout_connect(Some(phases.connect))
                    .timeout_send_request(Some(phases.send_request))
                    .timeout_recv_response(Some(phases.recv_response))
                    .timeout_recv_body(Some(phases.recv_body))
                    .timeout_per_read(phases.per_read)
                    .timeout_per_write(phases.per_write)
                    .build();
            }
            let result = get.call();
            let arrived = Instant::now();
            if log::log_enabled!(log::Level::Debug) {
                let outcome = match &result {
                    Ok(response) => response.status().as_u16().to_string(),
                    Err(error) => format!("failed ({error})"),
                };
                log::debug!(
                    "GET {} -> {outcome} (page {page}, attempt {attempt}, {} ms)",
                    path_and_query(&url),
                    arrived.duration_since(started).as_millis()
                );
            }
            let mut response = result.map_err(|e| self.transport_error(page, e))?;
            let status = response.status().as_u16();
            let location = response.headers().get("location");
            if let (300..=399, Some(location)) = (status, location) {
                let location = self.redact(&String::from_utf8_lossy(location.as_bytes()));
                url = redirect::follow_redirect(&self.inner.origin, &url, &location, page)?;
                continue;
            }
            if (200..=299).contains(&status) {
                let length = self.read_body(page, response.body_mut(), buf)?;
                return self.decode(request, &buf[..length]).map_err(Failure::from);
            }
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, SystemTime::now()));
            if let (429, Some(wait)) = (status, retry_after) {
                // A wait longer than the ceiling fails the request instead:
                // it is the caller's to decide, not the client's to impose.
                if wait <= config.retry.max_retry_after {
                    self.inner.backoff.defer(arrived, wait);
                }
            }
            let error = self.status_error(page, status, retry_after, response.body_mut());
            return Err(Failure {
                error,
                retry_after,
                at: arrived,
            });
        }
        Err(Failure::from(Error::Redirect {
            page,
            location: url,
            reason: "too many redirects",
        }))
    }

    /// Reads the whole body, within the size limit, into the start of `buf` and
    /// returns its length. `buf` is reused across pages and never shrinks, so
    /// its bytes are zeroed once, not on every page as `read_to_end` would.
    fn read_body(&self, page: u32, body: &mut Body, buf: &mut Vec<u8>) -> Result<usize, Error> {
        let limit = self.inner.config.max_body_size;
        let announced = body.content_length();
        if announced.is_some_and(|length| length > limit) {
            return Err(Error::BodyTooLarge { page, limit });
        }
        // One byte more than announced, to see the end without growing; but
        // the server's word makes room for 1 MiB at most, the bytes for more.
        let wanted = announced.map_or(16 * 1024, |length| length.saturating_add(1));
        let first = usize::try_from(wanted.min(FIRST_BODY_BUFFER)).unwrap_or(usize::MAX);
        let most = usize::try_from(wanted).unwrap_or(usize::MAX);
        let mut reader = body.with_config().limit(limit).reader();
        let mut length = 0;
        loop {
            if length == buf.len() {
                let room = match length {
                    0 => first,
                    _ => length.saturating_mul(2).min(most),
                };
                buf.resize(room.max(length + 1), 0);
            }
            match reader.read(&mut buf[length..]) {
                Ok(0) => return Ok(length),
                Ok(read) => length += read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.transport_error(page, ureq::Error::from(e))),
            }
        }
    }

    fn decode<T: DeserializeOwned>(
        &self,
        request: &PageRequest,
        buf: &[u8],
    ) -> Result<Page<T>, Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(buf);
        PageSeed::new(request.items_key, request.per_page)
            .deserialize(&mut deserializer)
            .and_then(|page| deserializer.end().map(|()| page))
            .map_err(|source| Error::Decode {
                page: request.page,
                excerpt: redact::excerpt(buf, self.inner.api_key.as_str()),
                source: self.redact_serde(source),
            })
    }

    fn transport_error(&self, page: u32, source: ureq::Error) -> Error {
        match source {
            source if tls::is_certificate_error(&source) => Error::Certificate {
                page,
                host: self.inner.origin.host().to_owned(),
                source: source.into(),
            },
            ureq::Error::BodyExceedsLimit(limit) => Error::BodyTooLarge { page, limit },
            ureq::Error::Timeout(_) => Error::Timeout {
                page,
                source: source.into(),
            },
            // Refused, reset, or closed early: another connection may well work.
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed => Error::Connection {
                page,
                source: source.into(),
            },
            source => Error::Transport {
                page,
                source: source.into(),
            },
        }
    }

    fn status_error(
        &self,
        page: u32,
        status: u16,
        retry_after: Option<std::time::Duration>,
        body: &mut Body,
    ) -> Error {
        let mut bytes = Vec::new();
        // A broken error body still leaves the status to report.
        let _ = body
            .as_reader()
            .take(ERROR_BODY_LIMIT)
            .read_to_end(&mut bytes);
        let key = self.inner.api_key.as_str();
        let message = match server_message(&bytes) {
            Some(message) => redact::excerpt(message.as_bytes(), key),
            None => redact::excerpt(&bytes, key),
        };
        match status {
            401 => Error::Unauthorized { page, message },
            403 => Error::Forbidden { page, message },
            429 => Error::RateLimited { page, retry_after },
            _ => Error::Status {
                page,
                status,
                message,
            },
        }
    }

    /// A hostile or debugging server may echo request headers back; its words
    /// reach error messages, so the key is cut out of them.
    fn redact(&self, text: &str) -> String {
        redact::redact(text, self.inner.api_key.as_str())
    }

    /// serde quotes the strings it could not use, whole; a quote that had to be
    /// redacted replaces the error, which keeps its text but loses its position.
    fn redact_serde(&self, error: serde_json::Error) -> crate::error::Cause {
        let text = error.to_string();
        let redacted = self.redact(&text);
        if redacted == text {
            error.into()
        } else {
            redacted.into()
        }
    }
}

/// The message in Partoo's error envelope: `{"errors": {...}}` per the spec,
/// `{"error": {...}}` per the errors guide.
fn server_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let envelope = value.get("errors").or_else(|| value.get("error"))?;
    match envelope {
        serde_json::Value::String(message) => Some(message.clone()),
        serde_json::Value::Object(fields) => match fields.values().next() {
            Some(serde_json::Value::String(message)) if fields.len() == 1 => Some(message.clone()),
            _ => Some(envelope.to_string()),
        },
        _ => None,
    }
}

fn path_and_query(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or("/", |i| &url[after_scheme + i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_message_in_both_envelopes() {
        for body in [
            r#"{"errors":{"authentication":"User not authenticated"}}"#,
            r#"{"error":{"authentication":"User not authenticated"}}"#,
            r#"{"error":"User not authenticated"}"#,
        ] {
            assert_eq!(
                server_message(body.as_bytes()).as_deref(),
                Some("User not authenticated")
            );
        }
        let fields = r#"{"errors":{"json":{"per_page":"too big"}}}"#;
        assert_eq!(
            server_message(fields.as_bytes()).as_deref(),
            Some(r#"{"json":{"per_page":"too big"}}"#)
        );
        assert_eq!(server_message(b"<html>oops</html>"), None);
    }

    #[test]
    fn logs_only_path_and_query() {
        assert_eq!(
            path_and_query("https://h:1/v2/webhooks?page=2"),
            "/v2/webhooks?page=2"
        );
        assert_eq!(path_and_query("https://h"), "/");
    }
}
