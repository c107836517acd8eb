//! The one error type of the crate; server text in its messages is shown
//! by the one rule of [`crate::text::escape`].

use std::fmt;
use std::time::Duration;

use crate::text::escape;

/// Everything that can go wrong while configuring the client or calling the API.
///
/// Variants are what a caller acts on: the key, the base URL or a setting
/// (fix the configuration), an HTTP status with the server's message, a
/// timeout or a connection (retry later), a body that cannot be read, and the
/// listing contract (list again). An error of a listing names the page it was
/// for. No variant ever holds the API key: the client cuts it out of every
/// server text before keeping any of it, so printing an error (with `{}` or
/// `{:?}`) is always safe. `Display` also shows the control and invisible
/// characters of server text as escapes such as `\u{202e}`.
///
/// The enum and each variant with fields are `#[non_exhaustive]`, so that a
/// later version can add a variant or a field: match a variant's fields with
/// `..`, as in `Error::Status { status, .. }`. `Display` describes this error
/// alone; its cause, if any, is [`source()`](std::error::Error::source).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No API key was given, to the builder or in `PARTOO_API_KEY`.
    MissingApiKey,
    /// The API key is empty or holds a character that cannot be sent in an HTTP header.
    #[non_exhaustive]
    InvalidApiKey {
        /// What is wrong with the key (never the key itself).
        reason: &'static str,
    },
    /// The base URL cannot be used; nothing was sent.
    #[non_exhaustive]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A setting or a request parameter cannot be used (the user agent, the
    /// root certificates, `per_page`, `page`, a write's `url` or
    /// `custom_headers`, [`Apply`](crate::plan::Apply)'s `org_id`); nothing
    /// was sent.
    #[non_exhaustive]
    InvalidSetting {
        /// The setting, e.g. `per_page`.
        name: &'static str,
        /// Why it was refused, e.g. `expected between 1 and 100` (never the value given).
        reason: String,
    },
    /// The server answered with a status other than 2xx: 401 (the key is
    /// wrong, expired or revoked), 403 (its user may not do this, or not for
    /// this `org_id`), 429 (rate limited), 3xx (a redirect, which is never
    /// followed: the key stays with the base URL's origin), 4xx, 5xx.
    #[non_exhaustive]
    Status {
        /// The page requested, for a listing.
        page: Option<u32>,
        /// The HTTP status.
        status: u16,
        /// The server's message (`errors` or `error` of Partoo's bodies), an
        /// excerpt of its body, or for a redirect where it led.
        message: String,
        /// The wait the server asked for in `Retry-After`, in seconds.
        retry_after: Option<Duration>,
    },
    /// A request took longer than the client's `timeout`.
    #[non_exhaustive]
    Timeout {
        /// The page requested, for a listing.
        page: Option<u32>,
        /// The underlying error.
        source: Cause,
    },
    /// The connection could not be made or broke: name resolution, refused,
    /// reset, TLS (a certificate refused included), or a malformed HTTP answer.
    #[non_exhaustive]
    Connection {
        /// The page requested, for a listing.
        page: Option<u32>,
        /// The underlying error.
        source: Cause,
    },
    /// The body of a 2xx answer could not be read: not the expected JSON, or
    /// larger than the client's `max_body_size`.
    #[non_exhaustive]
    Body {
        /// The page requested, for a listing.
        page: Option<u32>,
        /// The start of the body (at most 200 characters), the key cut out;
        /// empty for a body that may hold JSON (any `{`, `[` or `"`), which
        /// may be the account's data, or one larger than the limit.
        excerpt: String,
        /// The underlying error.
        source: Cause,
    },
    /// The server answered another page than the one requested.
    #[non_exhaustive]
    PageMismatch {
        /// The page requested.
        requested: u32,
        /// The page in the answer.
        received: u32,
    },
    /// The listing was stopped before `page`: the server kept sending pages or
    /// items past what its own `count` allows (see [`Pages`](crate::Pages)).
    /// Listing again cannot help while the server does this.
    #[non_exhaustive]
    Runaway {
        /// The page the listing did not go to, or whose items went past the bound.
        page: u32,
        /// The latest `count`.
        count: u64,
        /// The most pages that `count` allows.
        max_pages: u64,
        /// The items received, duplicates included.
        received: u64,
    },
    /// A listing from page 1 ended with other than `min(limit, count)` distinct
    /// items: the account changed while it was listed, or the server is
    /// inconsistent. Every item was yielded before this error.
    #[non_exhaustive]
    CountMismatch {
        /// The distinct items listed.
        listed: u64,
        /// The latest `count`.
        count: u64,
    },
    /// A snapshot would hold more items than its `max_items`; nothing more was requested.
    #[non_exhaustive]
    TooManyItems {
        /// The page that announced the count.
        page: u32,
        /// The announced `count`.
        count: u64,
        /// The snapshot's `max_items`.
        limit: u64,
    },
    /// No two consecutive listings of a snapshot agreed within its `max_passes`.
    #[non_exhaustive]
    NoConsistentSnapshot {
        /// The listings made.
        passes: u32,
    },
    /// A retryable error persisted through every attempt.
    #[non_exhaustive]
    RetriesExhausted {
        /// The attempts made.
        attempts: u32,
        /// The error of the last attempt.
        last: Box<Error>,
    },
}

/// The underlying cause of an error, reachable through `source()`.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The cause of an [`Error::Connection`] whose TLS certificate the client
/// refused, before anything was sent: trying again cannot mend it, so it is
/// not retried. Its own cause is the TLS library's reason.
#[derive(Debug)]
pub(crate) struct CertificateRefused(pub(crate) Cause);

impl fmt::Display for CertificateRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the server's TLS certificate was refused")
    }
}

impl std::error::Error for CertificateRefused {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

impl Error {
    /// The HTTP status, for [`Error::Status`] (also behind [`Error::RetriesExhausted`]).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The page this error is about, for an error of a listing.
    pub fn page(&self) -> Option<u32> {
        match self {
            Error::Status { page, .. }
            | Error::Timeout { page, .. }
            | Error::Connection { page, .. }
            | Error::Body { page, .. } => *page,
            Error::Runaway { page, .. } | Error::TooManyItems { page, .. } => Some(*page),
            Error::PageMismatch { requested, .. } => Some(*requested),
            Error::RetriesExhausted { last, .. } => last.page(),
            _ => None,
        }
    }

    /// Whether the same read may succeed later: a 429, a 500, 502, 503 or
    /// 504, a timeout or a connection failure (but a refused certificate).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Connection { source, .. } => !source.is::<CertificateRefused>(),
            Error::Status { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
            Error::RetriesExhausted { last, .. } => last.is_retryable(),
            _ => false,
        }
    }

    /// The same error, naming `page` (the pages layer knows it; the client does not).
    pub(crate) fn on_page(mut self, at: u32) -> Error {
        match &mut self {
            Error::Status { page, .. }
            | Error::Timeout { page, .. }
            | Error::Connection { page, .. }
            | Error::Body { page, .. } => *page = Some(at),
            Error::RetriesExhausted { last, .. } => {
                **last = std::mem::replace(&mut **last, Error::MissingApiKey).on_page(at);
            }
            _ => {}
        }
        self
    }
}

/// The end of both messages of [`Error::CountMismatch`].
const CHANGED: &str =
    "the account may have changed during the listing: list again, or use snapshot()";

/// ` on page N`, or nothing.
fn on(page: Option<u32>) -> String {
    page.map(|page| format!(" on page {page}"))
        .unwrap_or_default()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingApiKey => {
                f.write_str("no API key: set PARTOO_API_KEY or pass one to ClientBuilder::api_key")
            }
            Error::InvalidApiKey { reason } => write!(f, "invalid API key: {reason}"),
            Error::InvalidBaseUrl { url, reason } => {
                write!(f, "invalid base URL \"{}\": {reason}", escape(url))
            }
            Error::InvalidSetting { name, reason } => write!(f, "invalid {name}: {reason}"),
            Error::Status {
                page,
                status,
                message,
                retry_after,
            } => {
                let what = match status {
                    300..=399 => "redirect, not followed",
                    401 => "unauthorized",
                    403 => "forbidden",
                    429 => "rate limited",
                    _ => "error",
                };
                write!(f, "{what} (HTTP {status}){}", on(*page))?;
                if let Some(wait) = retry_after {
                    write!(f, ", Retry-After {} s", wait.as_secs())?;
                }
                match message.is_empty() {
                    true => Ok(()),
                    false => write!(f, ": {}", escape(message)),
                }
            }
            Error::Body { page, excerpt, .. } => {
                write!(f, "cannot read the body{}", on(*page))?;
                match excerpt.is_empty() {
                    true => Ok(()),
                    false => write!(f, ", which starts with \"{}\"", escape(excerpt)),
                }
            }
            Error::Timeout { page, .. } => write!(f, "the request timed out{}", on(*page)),
            Error::Connection { page, .. } => write!(f, "the connection failed{}", on(*page)),
            Error::PageMismatch {
                requested,
                received,
            } => write!(
                f,
                "asked for page {requested} but the server answered page {received}"
            ),
            Error::Runaway {
                page,
                count,
                max_pages,
                received,
            } => write!(
                f,
                "stopped at page {page}, past the server's count: a count of {count} \
                 allows at most {max_pages} pages, and {received} items were received"
            ),
            Error::CountMismatch { listed, count } if listed < count => write!(
                f,
                "incomplete listing: {listed} of {count} items were listed; {CHANGED}"
            ),
            Error::CountMismatch { listed, count } => write!(
                f,
                "{listed} items were listed for a count of {count}; {CHANGED}"
            ),
            Error::TooManyItems { page, count, limit } => write!(
                f,
                "page {page} announces {count} items, more than the limit of {limit} \
                 a snapshot may hold"
            ),
            Error::NoConsistentSnapshot { passes } => write!(
                f,
                "no consistent snapshot: no two consecutive listings of {passes} agreed \
                 (the account kept changing)"
            ),
            Error::RetriesExhausted { attempts, last } => {
                write!(f, "gave up{} after {attempts} attempts", on(last.page()))
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Body { source, .. }
            | Error::Timeout { source, .. }
            | Error::Connection { source, .. } => Some(source.as_ref()),
            Error::RetriesExhausted { last, .. } => Some(last.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_page_names_the_page_through_retries() {
        let error = Error::RetriesExhausted {
            attempts: 4,
            last: Box::new(Error::Status {
                page: None,
                status: 503,
                message: String::new(),
                retry_after: None,
            }),
        }
        .on_page(3);
        assert_eq!(error.page(), Some(3));
        assert_eq!(error.status(), Some(503));
        assert_eq!(error.to_string(), "gave up on page 3 after 4 attempts");
    }
}
