//! A proxy from the environment never sees a loopback API: the key would
//! reach it in clear text over plain http, and it may sit on another machine.
//!
//! Alone in its own test binary because it sets process-wide environment
//! variables, which other tests running in parallel threads would read.

mod common;

use common::raw::RawServer;
use common::{client, mock_page, page, KEY};
use httpmock::prelude::*;

#[test]
fn a_loopback_base_url_is_reached_directly_whatever_proxy_the_environment_names() {
    let server = MockServer::start();
    let listed = mock_page(&server, 1, page(1, 1, 2, [1, 2]));
    // A recording "proxy": it accepts and records whatever connects to it.
    let proxy = RawServer::start([]);
    let proxy_url = proxy.base_url().replace("/v2", "");
    for name in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        std::env::set_var(name, &proxy_url);
    }

    let ids: Vec<u64> = client(&server)
        .list_webhooks()
        .items()
        .map(|item| item.expect("listed directly").id)
        .collect();

    assert_eq!(ids, [1, 2]);
    listed.assert_calls(1);
    assert_eq!(
        proxy.request_count(),
        0,
        "the proxy saw {:?}",
        proxy.requests()
    );
    assert!(proxy
        .requests()
        .iter()
        .all(|r| r.header("x-apikey") != Some(KEY)));
}
