//! The one error type of the crate.

use std::fmt;
use std::time::Duration;

/// Everything that can go wrong while configuring the client or listing.
///
/// Every variant that comes from a request names the page it was for. No
/// variant ever holds the API key, so printing an error (with `{}` or `{:?}`)
/// is always safe.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No API key was given, to the builder or in `PARTOO_API_KEY`.
    MissingApiKey,
    /// The API key is empty or holds a character that cannot be sent in an HTTP header.
    InvalidApiKey {
        /// What is wrong with the key (never the key itself).
        reason: &'static str,
    },
    /// The base URL cannot be used; nothing was sent.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A setting of the builder cannot be used; nothing was sent.
    InvalidSetting {
        /// The setting, e.g. `user agent`.
        name: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A request parameter is out of range; nothing was sent.
    InvalidParameter {
        /// The query parameter, e.g. `per_page`.
        name: &'static str,
        /// The value that was refused.
        value: u64,
        /// The accepted range, e.g. `between 1 and 100`.
        expected: String,
    },
    /// The server answered 401: the key is wrong, expired or revoked.
    Unauthorized {
        /// The page requested.
        page: u32,
        /// The server's message (`errors.authentication`), or an excerpt of its body.
        message: String,
    },
    /// The server answered 403: the key's user may not list webhooks (or this `org_id`).
    Forbidden {
        /// The page requested.
        page: u32,
        /// The server's message (`errors.authorization`), or an excerpt of its body.
        message: String,
    },
    /// The server answered 429 (rate limited).
    ///
    /// Returned without waiting when `Retry-After` asks for longer than the
    /// client's ceiling, or (inside [`Error::RetriesExhausted`]) when retries ran out.
    RateLimited {
        /// The page requested.
        page: u32,
        /// The wait the server asked for in `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The server answered another status that is not a success.
    Status {
        /// The page requested.
        page: u32,
        /// The HTTP status code.
        status: u16,
        /// The server's message, or a short excerpt of the body.
        message: String,
    },
    /// A success response whose body is not the expected JSON.
    Decode {
        /// The page requested.
        page: u32,
        /// The start of the body, for diagnosis.
        excerpt: String,
        /// What the decoder said.
        source: serde_json::Error,
    },
    /// The response body is larger than the configured limit; the rest was not read.
    BodyTooLarge {
        /// The page requested.
        page: u32,
        /// The limit in bytes.
        limit: u64,
    },
    /// The request did not complete in time (connecting, or the whole request).
    Timeout {
        /// The page requested.
        page: u32,
        /// ureq's error, which says which timeout fired.
        source: ureq::Error,
    },
    /// The request failed below HTTP: connection refused or reset, a body cut short, TLS, DNS.
    Transport {
        /// The page requested.
        page: u32,
        /// ureq's error.
        source: ureq::Error,
    },
    /// The server redirected somewhere the client will not follow with the API key.
    Redirect {
        /// The page requested.
        page: u32,
        /// Where the server wanted the client to go.
        location: String,
        /// Why the client refused.
        reason: &'static str,
    },
    /// The server answered a different page than the one requested.
    ///
    /// A server that ignores `page` would otherwise be listed forever.
    PageMismatch {
        /// The page requested.
        requested: u32,
        /// The `page` in the server's answer.
        received: u32,
    },
    /// A retryable failure persisted through every allowed retry.
    RetriesExhausted {
        /// How many requests were made for the page.
        attempts: u32,
        /// The failure of the last attempt.
        last: Box<Error>,
    },
}

impl Error {
    /// The HTTP status of the failed response, if the failure was one.
    ///
    /// Looks through [`Error::RetriesExhausted`] at the last failure.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::RateLimited { .. } => Some(429),
            Error::Status { status, .. } => Some(*status),
            Error::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The page whose request failed, if the error comes from a request.
    pub fn page(&self) -> Option<u32> {
        match self {
            Error::Unauthorized { page, .. }
            | Error::Forbidden { page, .. }
            | Error::RateLimited { page, .. }
            | Error::Status { page, .. }
            | Error::Decode { page, .. }
            | Error::BodyTooLarge { page, .. }
            | Error::Timeout { page, .. }
            | Error::Transport { page, .. }
            | Error::Redirect { page, .. } => Some(*page),
            Error::PageMismatch { requested, .. } => Some(*requested),
            Error::RetriesExhausted { last, .. } => last.page(),
            Error::MissingApiKey | Error::InvalidApiKey { .. } => None,
            Error::InvalidBaseUrl { .. } | Error::InvalidParameter { .. } => None,
            Error::InvalidSetting { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingApiKey => {
                f.write_str("no API key: set PARTOO_API_KEY or pass one to ClientBuilder::api_key")
            }
            Error::InvalidApiKey { reason } => write!(f, "invalid API key: {reason}"),
            Error::InvalidBaseUrl { url, reason } => {
                write!(f, "invalid base URL {url:?}: {reason}")
            }
            Error::InvalidSetting { name, reason } => write!(f, "invalid {name}: {reason}"),
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => write!(f, "invalid {name} {value}: expected {expected}"),
            Error::Unauthorized { page, message } => {
                write!(f, "unauthorized (HTTP 401) on page {page}: {message}")
            }
            Error::Forbidden { page, message } => {
                write!(f, "forbidden (HTTP 403) on page {page}: {message}")
            }
            Error::RateLimited { page, retry_after } => {
                write!(f, "rate limited (HTTP 429) on page {page}")?;
                match retry_after {
                    Some(wait) => write!(f, ": the server asks to retry in {} s", wait.as_secs()),
                    None => Ok(()),
                }
            }
            Error::Status {
                page,
                status,
                message,
            } => write!(f, "HTTP {status} on page {page}: {message}"),
            Error::Decode {
                page,
                excerpt,
                source,
            } => write!(
                f,
                "cannot decode page {page}: {source}; the body starts with {excerpt:?}"
            ),
            Error::BodyTooLarge { page, limit } => write!(
                f,
                "the body of page {page} is larger than the limit of {limit} bytes"
            ),
            Error::Timeout { page, source } => {
                write!(f, "request for page {page} timed out ({source})")
            }
            Error::Transport { page, source } => {
                write!(f, "request for page {page} failed: {source}")
            }
            Error::Redirect {
                page,
                location,
                reason,
            } => write!(
                f,
                "refused the redirect of page {page} to {location:?}: {reason}"
            ),
            Error::PageMismatch {
                requested,
                received,
            } => write!(
                f,
                "asked for page {requested} but the server answered page {received}"
            ),
            Error::RetriesExhausted { attempts, last } => {
                write!(f, "gave up after {attempts} attempts: {last}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode { source, .. } => Some(source),
            Error::Timeout { source, .. } | Error::Transport { source, .. } => Some(source),
            Error::RetriesExhausted { last, .. } => Some(last.as_ref()),
            _ => None,
        }
    }
}
