//! Where the API key may go: the base URL's origin, and nowhere else.
//!
//! ureq strips only `Authorization` and `Cookie` when it follows a redirect;
//! our key travels in `x-APIKey`, which it would forward to any host. So the
//! client follows redirects itself, and only within the origin (scheme, host,
//! port) of the base URL.

use std::net::{Ipv4Addr, Ipv6Addr};

use ureq::http::Uri;

use crate::Error;

/// The scheme, host and port a URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri.port_u16().or(match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        })?;
        Some(Origin {
            host: uri.host()?.to_ascii_lowercase(),
            scheme,
            port,
        })
    }

    /// The host, lowercase, without the brackets of an IPv6 address.
    pub(crate) fn host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }

    fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
            || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// Checks a base URL and returns it without a trailing slash, with its origin.
///
/// Plain `http://` is refused unless the host is loopback or the caller opted
/// in, because the key would cross the network in clear text.
pub(crate) fn check_base_url(
    url: &str,
    allow_insecure_http: bool,
) -> Result<(String, Origin), Error> {
    let refuse = |reason| Error::InvalidBaseUrl {
        url: url.to_owned(),
        reason,
    };
    let uri: Uri = url
        .parse()
        .map_err(|_| refuse("not a valid absolute URL"))?;
    let origin = Origin::of(&uri).ok_or_else(|| refuse("expected http(s)://host[:port]/path"))?;
    match origin.scheme.as_str() {
        "https" => {}
        "http" if allow_insecure_http || origin.is_loopback() => {}
        "http" => {
            return Err(refuse(
                "plain http would send the API key in clear text; use https, \
                 or explicitly allow insecure http on a trusted network",
            ))
        }
        _ => return Err(refuse("the scheme must be https (or http)")),
    }
    if uri.query().is_some() {
        return Err(refuse("a base URL cannot have a query"));
    }
    Ok((url.trim_end_matches('/').to_owned(), origin))
}

/// Resolves a redirect's `Location` against the URL that answered it, and
/// returns the absolute URL if it stays within `origin`.
pub(crate) fn follow_redirect(
    origin: &Origin,
    current: &str,
    location: &str,
    page: u32,
) -> Result<String, Error> {
    let refuse = |reason| Error::Redirect {
        page,
        location: location.to_owned(),
        reason,
    };
    let current: Uri = current.parse().map_err(|_| refuse("unreadable URL"))?;
    let (scheme, authority) = match (current.scheme_str(), current.authority()) {
        (Some(scheme), Some(authority)) => (scheme, authority.as_str()),
        _ => return Err(refuse("unreadable URL")),
    };
    let absolute = if location.contains("://") {
        location.to_owned()
    } else if location.starts_with("//") {
        format!("{scheme}:{location}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = current.path();
        let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{scheme}://{authority}{directory}{location}")
    };
    let target: Uri = absolute.parse().map_err(|_| refuse("not a valid URL"))?;
    if Origin::of(&target).as_ref() != Some(origin) {
        return Err(refuse(
            "it leads to another origin, which must not receive the API key",
        ));
    }
    Ok(absolute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        check_base_url(url, false).unwrap().1
    }

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for url in [
            "https://api.partoo.co/v2",
            "http://127.0.0.1:8080/v2",
            "http://127.5.5.5/v2",
            "http://localhost:1/",
            "http://[::1]:8080/v2",
        ] {
            assert!(check_base_url(url, false).is_ok(), "{url}");
        }
        assert_eq!(
            check_base_url("https://api.partoo.co/v2/", false)
                .unwrap()
                .0,
            "https://api.partoo.co/v2"
        );
    }

    #[test]
    fn plain_http_elsewhere_needs_an_explicit_opt_in() {
        let err = check_base_url("http://api.partoo.co/v2", false).unwrap_err();
        assert!(err.to_string().contains("clear text"), "{err}");
        assert!(check_base_url("http://api.partoo.co/v2", true).is_ok());
        assert!(check_base_url("http://localhost.evil.com/v2", false).is_err());
    }

    #[test]
    fn malformed_base_urls_are_refused() {
        for url in [
            "",
            "api.partoo.co/v2",
            "ftp://api.partoo.co/v2",
            "https://x/v2?a=1",
        ] {
            assert!(
                matches!(check_base_url(url, true), Err(Error::InvalidBaseUrl { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn redirects_are_resolved_within_the_origin() {
        let home = origin("https://api.partoo.co/v2");
        let from = "https://api.partoo.co/v2/webhooks?page=2";
        for (location, expected) in [
            (
                "/v3/webhooks?page=2",
                "https://api.partoo.co/v3/webhooks?page=2",
            ),
            (
                "webhooks/?page=2",
                "https://api.partoo.co/v2/webhooks/?page=2",
            ),
            ("//api.partoo.co/x", "https://api.partoo.co/x"),
            ("https://API.partoo.co:443/x", "https://API.partoo.co:443/x"),
        ] {
            assert_eq!(follow_redirect(&home, from, location, 2).unwrap(), expected);
        }
    }

    #[test]
    fn redirects_to_another_origin_are_refused() {
        let home = origin("https://api.partoo.co/v2");
        let from = "https://api.partoo.co/v2/webhooks";
        for location in [
            "https://evil.example/v2/webhooks",
            "http://api.partoo.co/v2/webhooks",
            "https://api.partoo.co:8443/v2/webhooks",
            "//evil.example/x",
        ] {
            let err = follow_redirect(&home, from, location, 4).unwrap_err();
            assert!(
                matches!(err, Error::Redirect { page: 4, .. }),
                "{location}: {err}"
            );
        }
    }
}
