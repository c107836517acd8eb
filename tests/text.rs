//! The one rule for text that reaches a person (`text::escape`), checked
//! against the Unicode database of another crate, and the masking of a URL's
//! secrets (`text::mask_url`); then where the library applies them: the
//! `Display` of errors that quote a server, and the `Debug` of listed
//! webhooks. The `partoo-webhooks` tool prints through the same two.
mod common;

use common::raw::{self, RawServer, Step};
use common::{client, KEY, PATH};
use httpmock::prelude::*;
use partoo_webhooks::text::{escape, mask_url, needs_escape};
use partoo_webhooks::{Client, Error, EventType, WebhookItem};
use proptest::prelude::*;
use serde_json::json;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

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

#[test]
fn an_error_message_escapes_by_the_same_rule_and_keeps_every_other_character() {
    // A no-break space and a combining accent are text; RLO and BEL are not.
    let message = "Caf\u{e9}\u{a0}du Port e\u{301} \u{202e}x\u{7}";
    let server = MockServer::start();
    let denied = server.mock(|when, then| {
        when.method(GET).path(PATH);
        then.status(403)
            .json_body(json!({ "errors": { "authorization": message } }));
    });

    let error = client(&server).list_webhooks().send().unwrap_err();

    let shown = error.to_string();
    assert!(
        shown.ends_with(&format!(": {}", escape(message))),
        "{shown}"
    );
    assert!(
        shown.ends_with("Caf\u{e9}\u{a0}du Port e\u{301} \\u{202e}x\\u{7}"),
        "{shown}"
    );
    denied.assert_calls(1);
}

/// The oracle: whether `c` is of the category Cc, Cf, Zl or Zp according to
/// the `unicode-properties` crate's tables.
fn in_the_four_categories(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

fn every_char() -> impl Iterator<Item = char> {
    (0..=u32::from(char::MAX)).filter_map(char::from_u32)
}

#[test]
fn the_rule_escapes_exactly_the_characters_of_cc_cf_zl_and_zp() {
    let disagreements: Vec<String> = every_char()
        .filter(|&c| needs_escape(c) != in_the_four_categories(c))
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect();
    assert_eq!(disagreements, Vec::<String>::new());
    // Not vacuous: 65 controls, 170 format characters and the two separators.
    let named = every_char().filter(|&c| in_the_four_categories(c)).count();
    assert_eq!(named, 237);
}

/// Any text, with characters of the four categories mixed in often: they
/// are about 300 of 1.1 million code points, so arbitrary text rarely holds one.
fn hostile_text() -> impl Strategy<Value = String> {
    let hidden: Vec<char> = every_char()
        .filter(|&c| in_the_four_categories(c))
        .collect();
    let piece = prop_oneof![
        3 => any::<char>(),
        2 => proptest::sample::select(hidden),
        1 => proptest::sample::select(vec!['\\', 'u', '{', '}', ' ', 'é', '\u{a0}']),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn escaped_text_holds_no_character_of_the_four_categories(text in hostile_text()) {
        let escaped = escape(&text);

        prop_assert!(!escaped.chars().any(in_the_four_categories), "{escaped:?}");
        let expected: String = text
            .chars()
            .map(|c| match in_the_four_categories(c) {
                true => format!("\\u{{{:x}}}", u32::from(c)),
                false => c.to_string(),
            })
            .collect();
        prop_assert_eq!(&*escaped, expected.as_str());
    }

    #[test]
    fn text_without_those_characters_is_unchanged(text in any::<String>()) {
        let kept: String = text.chars().filter(|&c| !in_the_four_categories(c)).collect();

        prop_assert_eq!(escape(&kept), kept.as_str());
    }

    #[test]
    fn every_query_value_is_masked_and_every_name_kept(
        path in "https://h\\.example/[a-z0-9/]{0,12}",
        parameters in proptest::collection::vec(("[^&#=]{0,6}", "[^&#]{0,12}"), 1..5),
        fragment in proptest::option::of("#[^#]{0,8}"),
    ) {
        let query: Vec<String> = parameters.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let fragment = fragment.unwrap_or_default();
        let url = format!("{path}?{}{fragment}", query.join("&"));

        let masked = mask_url(&url);

        let names: Vec<String> = parameters.iter().map(|(n, _)| format!("{n}=***")).collect();
        prop_assert_eq!(&*masked, format!("{path}?{}{fragment}", names.join("&")));
        prop_assert_eq!(mask_url(&masked), masked.clone());
    }

    #[test]
    fn masking_any_text_keeps_its_fragment_and_everything_before_the_query_but_credentials(
        text in any::<String>(),
    ) {
        let masked = mask_url(&text);

        let end = text.find('#').unwrap_or(text.len());
        let start = text[..end].find('?').map_or(end, |i| i + 1);
        prop_assert!(masked.ends_with(&text[end..]), "{masked:?}");
        if !text[..start].contains('@') {
            prop_assert!(masked.starts_with(&text[..start]), "{masked:?}");
        }
        prop_assert_eq!(mask_url(&masked), masked.clone());
    }
}
