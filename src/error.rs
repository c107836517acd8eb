//! The one error type of the crate.

use std::fmt;
use std::time::Duration;

use crate::text::escape;

/// Everything that can go wrong while configuring the client or listing.
///
/// Every variant that comes from a request names the page it was for. No
/// variant ever holds the API key, so printing an error (with `{}` or `{:?}`)
/// is always safe. The fields keep what the server sent (the key cut out);
/// `Display` escapes its control and invisible characters
/// ([`text::escape`](crate::text::escape)).
///
/// The enum and each variant with fields are `#[non_exhaustive]`, so that a
/// later version can add a variant or a field (a request id, say): match a
/// variant's fields with `..`, as in `Error::Status { status, .. }`.
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
    /// A setting of the builder cannot be used; nothing was sent.
    #[non_exhaustive]
    InvalidSetting {
        /// The setting, e.g. `user agent`.
        name: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The root certificates given to
    /// [`ClientBuilder::replace_root_certs_pem`](crate::ClientBuilder::replace_root_certs_pem)
    /// cannot be used; nothing was sent.
    #[non_exhaustive]
    InvalidRootCerts {
        /// What is wrong with them, e.g. that the PEM holds no certificate.
        reason: String,
    },
    /// A request parameter is out of range; nothing was sent.
    #[non_exhaustive]
    InvalidParameter {
        /// The query parameter, e.g. `per_page`.
        name: &'static str,
        /// The value that was refused.
        value: u64,
        /// The accepted range, e.g. `between 1 and 100`.
        expected: String,
    },
    /// The server answered 401: the key is wrong, expired or revoked.
    #[non_exhaustive]
    Unauthorized {
        /// The page requested.
        page: u32,
        /// The server's message (`errors.authentication`), or an excerpt of its body.
        message: String,
    },
    /// The server answered 403: the key's user may not list webhooks (or this `org_id`).
    #[non_exhaustive]
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
    #[non_exhaustive]
    RateLimited {
        /// The page requested.
        page: u32,
        /// The wait the server asked for in `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The server answered another status that is not a success.
    #[non_exhaustive]
    Status {
        /// The page requested.
        page: u32,
        /// The HTTP status code.
        status: u16,
        /// The server's message, or a short excerpt of the body.
        message: String,
    },
    /// A success response whose body is not the expected JSON.
    ///
    /// The decoder's message is the [`source`](std::error::Error::source).
    #[non_exhaustive]
    Decode {
        /// The page requested.
        page: u32,
        /// The start of the body, for diagnosis (the API key cut out).
        excerpt: String,
        /// What the decoder said.
        source: Cause,
    },
    /// The response body is larger than the configured limit; the rest was not read.
    #[non_exhaustive]
    BodyTooLarge {
        /// The page requested.
        page: u32,
        /// The limit in bytes.
        limit: u64,
    },
    /// The request did not complete in time: a phase of it, or the budget
    /// that an attempt's redirect hops share
    /// ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)). Retried.
    ///
    /// Which phase ran out (connecting, waiting for the answer, reading the
    /// body) is said by the [`source`](std::error::Error::source).
    #[non_exhaustive]
    Timeout {
        /// The page requested.
        page: u32,
        /// The HTTP library's error.
        source: Cause,
    },
    /// The connection failed or broke: refused, reset, or closed before the
    /// whole answer arrived. Retried.
    #[non_exhaustive]
    Connection {
        /// The page requested.
        page: u32,
        /// The HTTP library's error.
        source: Cause,
    },
    /// Another failure below HTTP, which asking again would not mend: the host
    /// name does not resolve, the answer is not HTTP, a proxy refused. Not retried.
    #[non_exhaustive]
    Transport {
        /// The page requested.
        page: u32,
        /// The HTTP library's error.
        source: Cause,
    },
    /// The server's TLS certificate was refused: expired, for another name, or
    /// signed by a CA the client does not trust (a TLS-inspecting proxy, a
    /// private CA: see
    /// [`ClientBuilder::replace_root_certs_pem`](crate::ClientBuilder::replace_root_certs_pem)).
    /// Nothing was sent over the connection, the API key included. Not retried.
    ///
    /// The TLS library's reason is the [`source`](std::error::Error::source).
    #[non_exhaustive]
    Certificate {
        /// The page requested.
        page: u32,
        /// The host whose certificate was refused.
        host: String,
        /// The TLS library's error.
        source: Cause,
    },
    /// The server redirected somewhere the client will not follow with the API key.
    #[non_exhaustive]
    Redirect {
        /// The page requested.
        page: u32,
        /// Where the server wanted the client to go (the API key cut out).
        location: String,
        /// Why the client refused.
        reason: &'static str,
    },
    /// The server answered a different page than the one requested.
    ///
    /// A server that ignores `page` would otherwise be listed forever.
    #[non_exhaustive]
    PageMismatch {
        /// The page requested.
        requested: u32,
        /// The `page` in the server's answer.
        received: u32,
    },
    /// The listing went past what the server's `count` allows: more pages
    /// than `ceil(count / per_page) + 2`, or more items (duplicates included)
    /// than those pages hold, `count` being that of the latest answer.
    ///
    /// A server whose `max_page` runs ahead of `page`, or that repeats the
    /// same page, would otherwise be listed forever. See [`Pages`](crate::Pages)
    /// under "When it stops".
    #[non_exhaustive]
    Runaway {
        /// The page the listing stopped at: not requested when the page bound
        /// stopped it, received but not yielded when the item bound did.
        page: u32,
        /// The `count` of the latest answer.
        count: u64,
        /// The most pages that `count` allows this listing.
        max_pages: u64,
        /// How many items had been received, duplicates included.
        received: u64,
    },
    /// A listing of every page ended having yielded other than `count`
    /// distinct items, `count` being the latest answer's: fewer, and items
    /// were missed (an empty page before the announced last one ends a
    /// listing this way too); more, and some were deleted during the listing.
    /// Usually the account changed while it was listed. Every item received
    /// was yielded before this error. List again, or use
    /// [`ListWebhooks::snapshot`](crate::ListWebhooks::snapshot).
    #[non_exhaustive]
    CountMismatch {
        /// How many distinct items were listed.
        listed: u64,
        /// The `count` of the latest answer.
        count: u64,
    },
    /// An answer of [`ListWebhooks::snapshot`](crate::ListWebhooks::snapshot)
    /// announced more items than it may hold
    /// ([`ListWebhooks::max_items`](crate::ListWebhooks::max_items)); nothing
    /// was allocated for them.
    #[non_exhaustive]
    TooManyItems {
        /// The page whose answer announced them.
        page: u32,
        /// The `count` of that answer.
        count: u64,
        /// The most items the snapshot may hold.
        limit: u64,
    },
    /// Every listing of [`ListWebhooks::snapshot`](crate::ListWebhooks::snapshot)
    /// showed the webhooks changing while it ran. No request failed.
    #[non_exhaustive]
    NoConsistentSnapshot {
        /// How many listings were made.
        passes: u32,
    },
    /// A retryable failure persisted through every allowed retry. The last
    /// failure is also the [`source`](std::error::Error::source).
    #[non_exhaustive]
    RetriesExhausted {
        /// How many requests were made for the page.
        attempts: u32,
        /// The failure of the last attempt.
        last: Box<Error>,
    },
}

/// The underlying error of an [`Error`]: from the HTTP library, the JSON
/// decoder or the system. Its type is not part of this crate's API, so that
/// upgrading those libraries is not a breaking change; read it through
/// [`std::error::Error::source`] or its `Display`.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

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

    /// The page whose request failed, if the error comes from a listing.
    pub fn page(&self) -> Option<u32> {
        match self {
            Error::Unauthorized { page, .. }
            | Error::Forbidden { page, .. }
            | Error::RateLimited { page, .. }
            | Error::Status { page, .. }
            | Error::Decode { page, .. }
            | Error::BodyTooLarge { page, .. }
            | Error::Timeout { page, .. }
            | Error::Connection { page, .. }
            | Error::Transport { page, .. }
            | Error::Certificate { page, .. }
            | Error::Redirect { page, .. }
            | Error::Runaway { page, .. }
            | Error::TooManyItems { page, .. } => Some(*page),
            Error::PageMismatch { requested, .. } => Some(*requested),
            Error::RetriesExhausted { last, .. } => last.page(),
            Error::MissingApiKey | Error::InvalidApiKey { .. } => None,
            Error::NoConsistentSnapshot { .. } | Error::CountMismatch { .. } => None,
            Error::InvalidBaseUrl { .. } | Error::InvalidParameter { .. } => None,
            Error::InvalidSetting { .. } => None,
            Error::InvalidRootCerts { .. } => None,
        }
    }

    /// Whether the request ran out of time, looking through
    /// [`Error::RetriesExhausted`] at the last failure.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::RetriesExhausted { last, .. } => last.is_timeout(),
            _ => false,
        }
    }

    /// Whether asking again later may succeed: HTTP 429, 500, 502, 503 and 504,
    /// timeouts, and connections that failed or broke. These are the failures
    /// the client retries itself; [`Error::RetriesExhausted`] is one of them
    /// that persisted.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Connection { .. } => true,
            Error::Status { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            Error::RetriesExhausted { last, .. } => last.is_retryable(),
            _ => false,
        }
    }
}

/// Describes this error alone; its cause, if any, is its `source()`, which
/// reporters such as `anyhow` print after it. Text that came from the server
/// (or the caller) is shown through [`escape`], so that a message can be
/// printed to a terminal or a log as it is.
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
            Error::InvalidRootCerts { reason } => {
                write!(f, "invalid root certificates: {reason}")
            }
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => write!(f, "invalid {name} {value}: expected {expected}"),
            Error::Unauthorized { page, message } => {
                let message = escape(message);
                write!(f, "unauthorized (HTTP 401) on page {page}: {message}")
            }
            Error::Forbidden { page, message } => {
                let message = escape(message);
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
            } => write!(f, "HTTP {status} on page {page}: {}", escape(message)),
            Error::Decode { page, excerpt, .. } => write!(
                f,
                "cannot decode page {page}, whose body starts with \"{}\"",
                escape(excerpt)
            ),
            Error::BodyTooLarge { page, limit } => write!(
                f,
                "the body of page {page} is larger than the limit of {limit} bytes"
            ),
            Error::Timeout { page, .. } => write!(f, "request for page {page} timed out"),
            Error::Connection { page, .. } => {
                write!(
                    f,
                    "the connection failed during the request for page {page}"
                )
            }
            Error::Transport { page, .. } => write!(f, "request for page {page} failed"),
            Error::Certificate { page, host, .. } => write!(
                f,
                "the TLS certificate of {} was refused during the request for page {page}",
                escape(host)
            ),
            Error::Redirect {
                page,
                location,
                reason,
            } => write!(
                f,
                "refused the redirect of page {page} to \"{}\": {reason}",
                escape(location)
            ),
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
            Error::CountMismatch { listed, count } => {
                if listed < count {
                    write!(
                        f,
                        "incomplete listing: {listed} of {count} items were listed"
                    )?;
                } else {
                    write!(f, "{listed} items were listed for a count of {count}")?;
                }
                f.write_str(
                    "; the account may have changed during the listing: \
                     list again, or use snapshot()",
                )
            }
            Error::TooManyItems { page, count, limit } => write!(
                f,
                "page {page} announces {count} items, more than the limit of {limit} \
                 a snapshot may hold"
            ),
            Error::NoConsistentSnapshot { passes: 1 } => {
                f.write_str("no consistent snapshot: the data changed during the listing")
            }
            Error::NoConsistentSnapshot { passes } => write!(
                f,
                "no consistent snapshot: the data changed during each of {passes} listings"
            ),
            Error::RetriesExhausted { attempts, last } => match last.page() {
                Some(page) => write!(f, "gave up on page {page} after {attempts} attempts"),
                None => write!(f, "gave up after {attempts} attempts"),
            },
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode { source, .. }
            | Error::Timeout { source, .. }
            | Error::Connection { source, .. }
            | Error::Transport { source, .. }
            | Error::Certificate { source, .. } => Some(source.as_ref()),
            Error::RetriesExhausted { last, .. } => Some(last.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn display_does_not_repeat_the_cause() {
        let cause = "connection reset by peer";
        let error = Error::Connection {
            page: 3,
            source: cause.into(),
        };
        let exhausted = Error::RetriesExhausted {
            attempts: 4,
            last: Box::new(error),
        };
        assert_eq!(exhausted.to_string(), "gave up on page 3 after 4 attempts");
        let last = exhausted.source().expect("the last failure");
        assert_eq!(
            last.to_string(),
            "the connection failed during the request for page 3"
        );
        assert_eq!(last.source().map(|c| c.to_string()).as_deref(), Some(cause));
        assert!(exhausted.is_retryable());
        assert_eq!(exhausted.page(), Some(3));
    }

    #[test]
    fn errors_can_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Error>();
    }
}
