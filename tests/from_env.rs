//! `Client::from_env`: the key and an optional base URL from the environment.
//!
//! Alone in its own test binary because it sets process-wide environment
//! variables, which other tests building clients in parallel threads would
//! read (ureq reads the proxy variables of every client built).

mod common;

use common::{mock_page, page, KEY};
use httpmock::prelude::*;
use partoo_webhooks::{Client, Error, PRODUCTION_URL};

#[test]
fn from_env_reads_the_key_and_an_optional_base_url() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 1, 1, [1]));

    std::env::remove_var("PARTOO_API_KEY");
    std::env::set_var("PARTOO_BASE_URL", server.url("/v2"));
    let missing = Client::from_env().unwrap_err();
    std::env::set_var("PARTOO_API_KEY", KEY);
    let from_env = Client::from_env().unwrap();
    let listed = from_env.list_webhooks().page(1).send();
    std::env::set_var("PARTOO_BASE_URL", "");
    let default_url = Client::from_env().unwrap();
    let (key_not_utf8, url_not_utf8) = not_utf8_from_env();
    std::env::remove_var("PARTOO_API_KEY");
    std::env::remove_var("PARTOO_BASE_URL");

    assert!(matches!(missing, Error::MissingApiKey), "{missing:?}");
    assert_eq!(listed.expect("page 1 with the key").items.len(), 1);
    assert_eq!(default_url.base_url(), PRODUCTION_URL);
    first.assert_calls(1);
    if let Some(error) = key_not_utf8 {
        // Not "missing": the variable is set, and its user should hear so.
        assert!(matches!(error, Error::InvalidApiKey { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "invalid API key: PARTOO_API_KEY is not valid UTF-8"
        );
    }
    if let Some(error) = url_not_utf8 {
        // Not the production API in its place.
        assert!(matches!(error, Error::InvalidBaseUrl { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("PARTOO_BASE_URL is not valid UTF-8"),
            "{error}"
        );
    }
}

/// `Client::from_env` with each variable in turn set to bytes that are not
/// UTF-8 (which only Unix lets a test write), the other one valid.
#[cfg(unix)]
fn not_utf8_from_env() -> (Option<Error>, Option<Error>) {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let not_utf8 = OsStr::from_bytes(b"key-\xff\xfe");
    std::env::set_var("PARTOO_BASE_URL", "https://api.partoo.co/v2");
    std::env::set_var("PARTOO_API_KEY", not_utf8);
    let key = Client::from_env().unwrap_err();
    std::env::set_var("PARTOO_API_KEY", KEY);
    std::env::set_var("PARTOO_BASE_URL", not_utf8);
    let url = Client::from_env().unwrap_err();
    (Some(key), Some(url))
}

#[cfg(not(unix))]
fn not_utf8_from_env() -> (Option<Error>, Option<Error>) {
    (None, None)
}
