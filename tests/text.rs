//! Where the library applies the one rule for text that reaches a person
//! (the tool's `cli/src/text.rs` holds the rule and its tests): the `Display`
//! of errors that quote a server. Query values masked in the `Debug` of
//! listed webhooks.
mod common;

use common::raw::{self, RawServer, Step};
use common::{client, KEY, PATH};
use httpmock::prelude::*;
use partoo_webhooks::{Client, Error, EventType, WebhookItem};
use serde_json::json;

/// ESC and BEL (a terminal title), RLO, ZWSP and the C1 CSI: all a server
/// can put in its text.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7} \u{202e}olleh\u{200b}\u{9b}2J";
/// [`HOSTILE`] as every person-facing text shows it.
const HOSTILE_SHOWN: &str = r"\u{1b}]0;pwned\u{7} \u{202e}olleh\u{200b}\u{9b}2J";

#[test]
fn error_messages_keep_the_servers_text_and_display_it_escaped() {
    let server = MockServer::start();
    let denied = server.mock(|when, then| {
        when.method(GET).path(PATH);
        then.status(401)
            .json_body(json!({ "errors": { "authentication": HOSTILE } }));
    });

    let error = client(&server).list_webhooks().send().unwrap_err();

    assert!(
        matches!(&error, Error::Status { status: 401, message, .. } if message == HOSTILE),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("unauthorized (HTTP 401) on page 1: {HOSTILE_SHOWN}")
    );
    denied.assert_calls(1);
}

#[test]
fn a_body_that_is_not_json_is_quoted_escaped() {
    let server = MockServer::start();
    let html = server.mock(|when, then| {
        when.method(GET).path(PATH);
        then.status(200).body(format!("<p>{HOSTILE}\n</p>"));
    });

    let error = client(&server).list_webhooks().send().unwrap_err();

    // Line breaks become spaces in an excerpt, which reads as one line.
    assert!(
        matches!(&error, Error::Body { excerpt, .. } if *excerpt == format!("<p>{HOSTILE} </p>")),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("cannot read the body on page 1, which starts with \"<p>{HOSTILE_SHOWN} </p>\"")
    );
    html.assert_calls(1);
}

#[test]
fn a_redirect_not_followed_shows_its_location_escaped() {
    // Bytes above 0x7f may be sent in a header; RLO and ZWSP are such bytes in UTF-8.
    let location = "http://127.0.0.2:9/\u{202e}gpj.exe\u{200b}";
    let server = RawServer::start([Step::Send(raw::response(
        302,
        &[("Location", location)],
        b"",
    ))]);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .max_retries(0)
        .build()
        .unwrap();

    let error = client.list_webhooks().send().unwrap_err();

    assert!(
        matches!(&error, Error::Status { status: 302, message, .. } if *message == format!("to {location}")),
        "{error:?}"
    );
    let shown = error.to_string();
    assert!(
        shown
            == r#"redirect, not followed (HTTP 302) on page 1: to http://127.0.0.2:9/\u{202e}gpj.exe\u{200b}"#,
        "{shown}"
    );
    assert_eq!(server.request_count(), 1);
}

#[test]
fn debug_of_a_listed_webhook_masks_its_query_values() {
    let item = WebhookItem::new(
        4,
        "https://hooks.example.com/partoo?key=9fa91de19&org=7#x",
        EventType::LeadReceived,
        "c",
        "u",
        7,
    );

    let debug = format!("{item:?}");

    assert_eq!(
        debug,
        "WebhookItem { id: 4, url: \"https://hooks.example.com/partoo?key=***&org=***#x\", \
         event_type: LeadReceived, created_at: \"c\", updated_at: \"u\", org_id: 7, \
         custom_headers: None }"
    );
    // Serialization stays a faithful export.
    let json = serde_json::to_value(&item).unwrap();
    assert_eq!(
        json["url"],
        "https://hooks.example.com/partoo?key=9fa91de19&org=7#x"
    );
}
