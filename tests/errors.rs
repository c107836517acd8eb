//! What each failure looks like to the caller, and that none of them shows the key.

mod common;

use std::error::Error as _;
use std::net::TcpListener;

use common::raw::{self, RawServer, Step};
use common::{assert_no_key_piece, builder, client, mock_page, page, Sleeps, KEY, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use partoo_webhooks::{Client, Error};

/// Answers every `GET /v2/webhooks`, whatever the query, with `status` and `body`.
fn answer<'a>(server: &'a MockServer, status: u16, content_type: &str, body: &str) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET).path(PATH);
        then.status(status)
            .header("content-type", content_type)
            .body(body);
    })
}

/// Matches any request, so a test that expects none can assert its count is 0.
fn any_request(server: &MockServer) -> Mock<'_> {
    server.mock(|_, then| {
        then.status(418);
    })
}

const HTML_404: &str = "<!DOCTYPE html>\n<html><body>\n<h1>Not Found</h1>\n</body></html>\n";

#[test]
fn unauthorized_carries_the_server_message_from_either_envelope() {
    for body in [
        r#"{"errors": {"authentication": "User not authenticated"}}"#,
        r#"{"error": {"authentication": "User not authenticated"}}"#,
    ] {
        let server = MockServer::start();
        let denied = answer(&server, 401, "application/json", body);

        let error = client(&server).list_webhooks().send().unwrap_err();

        assert!(
            matches!(&error, Error::Status { page: Some(1), status: 401, message, retry_after: None, .. }
                if message == "User not authenticated"),
            "{body}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            "unauthorized (HTTP 401) on page 1: User not authenticated"
        );
        denied.assert_calls(1);
    }
}

#[test]
fn forbidden_carries_the_server_message_from_either_envelope() {
    for body in [
        r#"{"errors": {"authorization": "Operation not allowed"}}"#,
        r#"{"error": {"authorization": "Operation not allowed"}}"#,
    ] {
        let server = MockServer::start();
        let denied = answer(&server, 403, "application/json", body);

        let error = client(&server).list_webhooks().send().unwrap_err();

        assert!(
            matches!(&error, Error::Status { page: Some(1), status: 403, message, retry_after: None, .. }
                if message == "Operation not allowed"),
            "{body}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            "forbidden (HTTP 403) on page 1: Operation not allowed"
        );
        denied.assert_calls(1);
    }
}

#[test]
fn not_found_with_an_html_body_reports_the_status_and_an_excerpt() {
    let server = MockServer::start();
    let missing = answer(&server, 404, "text/html", HTML_404);

    let error = client(&server).list_webhooks().send().unwrap_err();

    let excerpt = "<!DOCTYPE html> <html><body> <h1>Not Found</h1> </body></html>";
    assert!(
        matches!(&error, Error::Status { page: Some(1), status: 404, message, .. } if message == excerpt),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("error (HTTP 404) on page 1: {excerpt}")
    );
    missing.assert_calls(1);
}

#[test]
fn server_error_with_a_long_html_body_reports_the_status_and_a_short_excerpt() {
    let server = MockServer::start();
    let body = format!(
        "<html>\n{}</html>",
        "<p>Internal Server Error</p>\n".repeat(50)
    );
    let failing = answer(&server, 500, "text/html", &body);
    let client = builder(&server).max_retries(0).build().unwrap();

    let error = client.list_webhooks().send().unwrap_err();

    let Error::Status {
        page: Some(1),
        status: 500,
        message,
        ..
    } = &error
    else {
        panic!("expected HTTP 500 on page 1, got {error:?}");
    };
    assert!(
        message.starts_with("<html> <p>Internal Server Error</p>"),
        "{message}"
    );
    assert!(
        message.chars().count() <= 201 && message.ends_with('…'),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
    failing.assert_calls(1);
}

#[test]
fn server_error_is_retried_then_reported_with_its_status() {
    let server = MockServer::start();
    let failing = answer(&server, 500, "text/html", "<html>oops</html>");
    let sleeps = Sleeps::default();
    let client = sleeps.install(builder(&server)).build().unwrap();

    let error = client.list_webhooks().send().unwrap_err();

    // The default client retries a 500 three times.
    assert!(
        matches!(&error, Error::RetriesExhausted { attempts: 4, last, .. }
            if matches!(**last, Error::Status { page: Some(1), status: 500, .. })),
        "{error:?}"
    );
    assert_eq!((error.status(), error.page()), (Some(500), Some(1)));
    // Each level says what failed there, once: the cause is the source.
    assert_eq!(error.to_string(), "gave up on page 1 after 4 attempts");
    let last = error.source().expect("the last failure");
    assert_eq!(
        last.to_string(),
        "error (HTTP 500) on page 1: <html>oops</html>"
    );
    assert_eq!(sleeps.delays().len(), 3);
    failing.assert_calls(4);
}

#[test]
fn a_page_that_is_not_json_is_a_body_error_naming_the_page() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 2, 3, [1, 2]));
    let maintenance = server.mock(|when, then| {
        when.method(GET).path(PATH).query_param("page", "2");
        then.status(200)
            .header("content-type", "text/html")
            .body("<html>Down for maintenance</html>");
    });
    let mut items = client(&server).list_webhooks().per_page(2).items();

    let before: Vec<u64> = items
        .by_ref()
        .take(2)
        .map(|item| item.unwrap().id)
        .collect();
    let error = items.next().expect("an error").unwrap_err();

    assert_eq!(before, [1, 2]);
    assert!(
        matches!(&error, Error::Body { page: Some(2), excerpt, .. } if excerpt == "<html>Down for maintenance</html>"),
        "{error:?}"
    );
    let serde_error = error
        .source()
        .and_then(|source| source.downcast_ref::<serde_json::Error>())
        .expect("the serde error as source");
    // The decoder's words are the source's, not repeated here.
    assert_eq!(
        error.to_string(),
        r#"cannot read the body on page 2, which starts with "<html>Down for maintenance</html>""#
    );
    assert!(!serde_error.to_string().is_empty());
    assert!(items.next().is_none());
    first.assert_calls(1);
    maintenance.assert_calls(1);
}

#[test]
fn json_of_the_wrong_shape_is_a_body_error_naming_the_missing_field() {
    let server = MockServer::start();
    let odd = answer(
        &server,
        200,
        "application/json",
        r#"{"page": 1, "count": 0, "items": []}"#,
    );

    let error = client(&server).list_webhooks().send().unwrap_err();

    assert!(
        matches!(error, Error::Body { page: Some(1), .. }),
        "{error:?}"
    );
    let cause = error.source().expect("the decoder's error").to_string();
    assert!(cause.contains("max_page"), "{cause}");
    odd.assert_calls(1);
}

#[test]
fn per_page_out_of_range_is_refused_before_any_request() {
    for per_page in [0, 101] {
        let server = MockServer::start();
        let any = any_request(&server);
        let request = client(&server).list_webhooks().per_page(per_page);
        let expected = "invalid per_page: expected between 1 and 100";

        let sent = request.send().unwrap_err();
        let mut items = request.clone().items();
        let first_item = items.next().expect("an error").unwrap_err();
        let first_page = request.pages().next().expect("an error").unwrap_err();

        for error in [&sent, &first_item, &first_page] {
            assert!(
                matches!(
                    error,
                    Error::InvalidSetting {
                        name: "per_page",
                        ..
                    }
                ),
                "{error:?}"
            );
            assert_eq!(error.to_string(), expected);
        }
        assert!(items.next().is_none());
        any.assert_calls(0);
    }
}

#[test]
fn per_page_1_and_100_are_accepted() {
    for per_page in [1, 100] {
        let server = MockServer::start();
        let sent = server.mock(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param("per_page", per_page.to_string());
            then.status(200).json_body(page(1, 1, 1, [1]));
        });

        let received = client(&server).list_webhooks().per_page(per_page).send();

        assert_eq!(received.expect("accepted").items.len(), 1);
        sent.assert_calls(1);
    }
}

#[test]
fn page_zero_is_refused_before_any_request() {
    let server = MockServer::start();
    let any = any_request(&server);

    let error = client(&server).list_webhooks().page(0).send().unwrap_err();

    assert!(
        matches!(error, Error::InvalidSetting { name: "page", .. }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "invalid page: expected 1 or more");
    any.assert_calls(0);
}

#[test]
fn an_empty_or_unsafe_api_key_is_refused_when_building() {
    for key in ["", "two words", "key\r\nX-Injected: 1", "clé", "tab\tkey"] {
        let error = Client::builder().api_key(key).build().unwrap_err();

        assert!(
            matches!(error, Error::InvalidApiKey { .. }),
            "{key:?}: {error:?}"
        );
        assert!(
            error.to_string().starts_with("invalid API key: "),
            "{error}"
        );
    }
    let missing = Client::builder().build().unwrap_err();
    assert!(matches!(missing, Error::MissingApiKey), "{missing:?}");
}

#[test]
fn a_user_agent_no_header_can_carry_is_refused_when_building() {
    // ureq panicked on the first request with such a user agent.
    for user_agent in ["bot\r\nX-Injected: 1", "nul\0", "del\u{7f}"] {
        let error = Client::builder()
            .api_key(KEY)
            .user_agent(user_agent)
            .build()
            .unwrap_err();

        assert!(
            matches!(
                error,
                Error::InvalidSetting {
                    name: "user agent",
                    ..
                }
            ),
            "{user_agent:?}: {error:?}"
        );
        assert!(
            error.to_string().starts_with("invalid user agent: "),
            "{error}"
        );
    }
}

#[test]
fn an_unusual_but_valid_user_agent_is_sent_as_given() {
    // Non-ASCII, which httpmock cannot read: a raw server records it.
    let server = RawServer::start([Step::Send(raw::json_response(200, &page(1, 1, 1, [1])))]);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .user_agent("sync-bot/2 (é; tab\there)")
        .build()
        .unwrap();

    let received = client.list_webhooks().page(1).send().unwrap();

    assert_eq!(received.items.len(), 1);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("user-agent"),
        Some("sync-bot/2 (é; tab\there)")
    );
}

#[test]
fn refused_connection_is_a_connection_error_with_the_cause_behind_source() {
    // A port that was just free: connecting to it is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://127.0.0.1:{port}/v2"))
        .max_retries(0)
        .build()
        .unwrap();

    let error = client.list_webhooks().send().unwrap_err();

    assert!(
        matches!(error, Error::Connection { page: Some(1), .. }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "the connection failed on page 1");
    let source = error.source().expect("a source");
    assert!(!source.to_string().is_empty(), "{source:?}");
}

#[test]
fn the_api_key_appears_in_no_error_text() {
    // A hostile or debugging server echoes the key back wherever it can.
    let server = MockServer::start();
    let echo = format!("you sent x-APIKey: {KEY}");
    let mut answered = Vec::new();
    let mut errors = Vec::new();
    for (page_no, status, body) in [
        (
            1,
            401,
            format!(r#"{{"errors": {{"authentication": "{echo}"}}}}"#),
        ),
        (
            2,
            403,
            format!(r#"{{"error": {{"authorization": "{echo}"}}}}"#),
        ),
        (3, 404, format!("<html>\n{echo}\n</html>")),
        (4, 500, format!("<pre>{echo}</pre>")),
        (5, 200, format!("<html>{echo}</html>")),
        (6, 200, format!(r#"{{"page": "{KEY}"}}"#)),
        (7, 302, String::new()),
    ] {
        answered.push(server.mock(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param("page", page_no.to_string());
            let then = then.status(status).body(body);
            if status == 302 {
                then.header("location", format!("https://elsewhere.example/?key={KEY}"));
            }
        }));
    }
    let ignores_page = server.mock(|when, then| {
        when.method(GET).path(PATH).query_param("page", "8");
        then.status(200).json_body(page(1, 9, 9, [1]));
    });
    let client = builder(&server).max_retries(0).build().unwrap();
    for page_no in 1..=7 {
        errors.push(client.list_webhooks().page(page_no).send().unwrap_err());
    }
    errors.push(
        client
            .list_webhooks()
            .page(8)
            .items()
            .next()
            .unwrap()
            .unwrap_err(),
    );
    errors.push(client.list_webhooks().per_page(0).send().unwrap_err());
    errors.push(
        Client::builder()
            .api_key(format!("{KEY} "))
            .build()
            .unwrap_err(),
    );

    let mut texts = vec![format!("{client:?}"), format!("{:?}", builder(&server))];
    for error in &errors {
        let mut cause: Option<&dyn std::error::Error> = Some(error);
        while let Some(error) = cause {
            texts.push(format!("{error} {error:?} {error:#?}"));
            cause = error.source();
        }
    }

    assert_eq!(errors.len(), 10);
    // The echo did reach the first seven errors but the sixth: the key was
    // cut out, not lost. A JSON body is account data, which no error quotes.
    for (n, error) in errors[..7].iter().enumerate() {
        let text = error.to_string();
        assert_eq!(text.contains("[redacted]"), n != 5, "{text}");
    }
    assert_eq!(
        format!("{}: {}", errors[5], errors[5].source().unwrap()),
        "cannot read the body on page 6: invalid type: string, expected u32 at line 1 column 38"
    );
    // A redirect is not followed: its Location is the message, the key cut out.
    assert_eq!(
        errors[6].to_string(),
        "redirect, not followed (HTTP 302) on page 7: to https://elsewhere.example/?key=[redacted]"
    );
    for text in &texts {
        assert_no_key_piece(text);
    }
    answered.iter().for_each(|mock| mock.assert_calls(1));
    ignores_page.assert_calls(1);
}
