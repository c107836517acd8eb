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

    pub(crate) fn is_loopback(&self) -> bool {
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
///
/// The origin is judged on the resolved URL, never on the text of `location`:
/// `?page=2` or `/v2/webhooks?from=https://x.example/` stay home, and
/// `//evil.example/` does not.
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
    let absolute = resolve(current, location.trim());
    let target: Uri = absolute.parse().map_err(|_| refuse("not a valid URL"))?;
    if Origin::of(&target).as_ref() != Some(origin) {
        return Err(refuse(
            "it leads to another origin, which must not receive the API key",
        ));
    }
    Ok(absolute)
}

/// A URI reference split as RFC 3986 Appendix B does, without its fragment,
/// which a request target never carries.
struct Parts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

impl<'a> Parts<'a> {
    fn of(reference: &'a str) -> Parts<'a> {
        let rest = reference.split_once('#').map_or(reference, |(r, _)| r);
        let (scheme, rest) = match rest.find([':', '/', '?']) {
            Some(i) if i > 0 && rest[i..].starts_with(':') => (Some(&rest[..i]), &rest[i + 1..]),
            _ => (None, rest),
        };
        let (authority, rest) = match rest.strip_prefix("//") {
            Some(rest) => {
                let end = rest.find(['/', '?']).unwrap_or(rest.len());
                (Some(&rest[..end]), &rest[end..])
            }
            None => (None, rest),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        Parts {
            scheme,
            authority,
            path,
            query,
        }
    }
}

/// Resolves `reference` against the absolute URL `base` (RFC 3986 §5.2.2,
/// strict), and recomposes the target without a fragment (§5.3).
fn resolve(base: &str, reference: &str) -> String {
    let (b, r) = (Parts::of(base), Parts::of(reference));
    let (scheme, authority, path, query) = if r.scheme.is_some() {
        (r.scheme, r.authority, remove_dot_segments(r.path), r.query)
    } else if r.authority.is_some() {
        (b.scheme, r.authority, remove_dot_segments(r.path), r.query)
    } else if r.path.is_empty() {
        (
            b.scheme,
            b.authority,
            b.path.to_owned(),
            r.query.or(b.query),
        )
    } else if r.path.starts_with('/') {
        (b.scheme, b.authority, remove_dot_segments(r.path), r.query)
    } else {
        let merged = match (b.authority, b.path) {
            (Some(_), "") => format!("/{}", r.path),
            (_, path) => format!(
                "{}{}",
                &path[..path.rfind('/').map_or(0, |i| i + 1)],
                r.path
            ),
        };
        (b.scheme, b.authority, remove_dot_segments(&merged), r.query)
    };
    let mut target = String::with_capacity(base.len() + reference.len());
    if let Some(scheme) = scheme {
        target.push_str(scheme);
        target.push(':');
    }
    if let Some(authority) = authority {
        target.push_str("//");
        target.push_str(authority);
    }
    target.push_str(&path);
    if let Some(query) = query {
        target.push('?');
        target.push_str(query);
    }
    target
}

/// Interprets the `.` and `..` segments of a path (RFC 3986 §5.2.4).
fn remove_dot_segments(path: &str) -> String {
    let (mut input, mut output) = (path, String::with_capacity(path.len()));
    let drop_last = |output: &mut String| output.truncate(output.rfind('/').unwrap_or(0));
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../").or(input.strip_prefix("./")) {
            input = rest;
        } else if input.starts_with("/./") || input == "/." {
            input = &input[2..];
            if input.is_empty() {
                input = "/";
            }
        } else if input.starts_with("/../") || input == "/.." {
            input = &input[3..];
            if input.is_empty() {
                input = "/";
            }
            drop_last(&mut output);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let from = usize::from(input.starts_with('/'));
            let end = input[from..].find('/').map_or(input.len(), |i| i + from);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

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
            (
                "?page=2&per_page=100",
                "https://api.partoo.co/v2/webhooks?page=2&per_page=100",
            ),
            (
                "/v2/webhooks?from=https://x.example/",
                "https://api.partoo.co/v2/webhooks?from=https://x.example/",
            ),
            ("../v3/./webhooks#top", "https://api.partoo.co/v3/webhooks"),
            (" /v2/webhooks ", "https://api.partoo.co/v2/webhooks"),
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
            "//evil.example",
            "https://api.partoo.co@evil.example/",
            "https:/v2/webhooks",
            "javascript:alert(1)",
            "/v2/web hooks",
        ] {
            let err = follow_redirect(&home, from, location, 4).unwrap_err();
            assert!(
                matches!(err, Error::Redirect { page: 4, .. }),
                "{location}: {err}"
            );
        }
    }

    /// Every example of RFC 3986 §5.4 against its base `http://a/b/c/d;p?q`.
    /// A fragment never reaches a request target, so where the RFC's result
    /// has one (`#s`, `g#s`, `g?y#s`, ...) it is dropped here.
    #[test]
    fn resolves_every_reference_example_of_rfc_3986() {
        let normal = [
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            ("g?y#s", "http://a/b/c/g?y"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
        ];
        let abnormal = [
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g"),
            ("g#s/../x", "http://a/b/c/g"),
            // A strict parser, as the RFC recommends: a scheme makes the
            // reference absolute. (This one has no host: a redirect is refused.)
            ("http:g", "http:g"),
        ];
        for (reference, expected) in normal.into_iter().chain(abnormal) {
            assert_eq!(
                resolve("http://a/b/c/d;p?q", reference),
                expected,
                "{reference:?}"
            );
        }
    }

    /// Locations built from the pieces that make resolution interesting.
    fn location() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/"),
            Just("//"),
            Just("."),
            Just(".."),
            Just("?"),
            Just("#"),
            Just(":"),
            Just("@"),
            Just("https:"),
            Just("http:"),
            Just("api.partoo.co"),
            Just("evil.example"),
            Just(":443"),
            Just("v2"),
            Just("webhooks"),
            Just("é"),
            Just("%2F"),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn a_followed_redirect_is_absolute_and_stays_home(
            location in prop_oneof![location(), any::<String>()],
        ) {
            let home = origin("https://api.partoo.co/v2");
            let from = "https://api.partoo.co/v2/webhooks?page=2&per_page=100";

            if let Ok(url) = follow_redirect(&home, from, &location, 2) {
                let uri: Uri = url.parse().unwrap();
                prop_assert!(uri.scheme().is_some() && uri.authority().is_some(), "{url}");
                prop_assert_eq!(Origin::of(&uri), Some(home));
                let path = uri.path();
                prop_assert!(
                    !path.split('/').any(|segment| segment == "." || segment == ".."),
                    "{url}"
                );
                prop_assert!(!url.contains('#'), "{url}");
            }
        }

        #[test]
        fn a_reference_without_scheme_resolves_under_the_base_scheme(
            location in prop_oneof![location(), any::<String>()],
        ) {
            let resolved = resolve("https://api.partoo.co/v2/webhooks?page=2", &location);
            if Parts::of(&location).scheme.is_none() {
                prop_assert!(resolved.starts_with("https://"), "{resolved}");
            }
        }
    }
}
