//! Broken servers: bodies cut short, stalls, drips, bad or oversized bodies,
//! gzip. Played by the scripted server of `common::raw`, one step per request.

mod common;

use std::time::Duration;

use common::raw::{self, failure, RawServer, Step};
use common::{page, Sleeps, KEY};
use partoo_webhooks::{ClientBuilder, Error, Page, WebhookItem};
use serde_json::Value;

/// A client of `server` with the test key, 1 ms retry waits recorded in
/// `sleeps`, and a 5 s timeout that no passing test comes near.
fn builder(server: &RawServer, sleeps: &Sleeps) -> ClientBuilder {
    let builder = partoo_webhooks::Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .retry_base_delay(Duration::from_millis(1))
        .retry_max_delay(Duration::from_millis(1))
        .timeout(Duration::from_secs(5));
    sleeps.install(builder)
}

fn ok(body: &Value) -> Step {
    Step::Send(raw::json_response(200, body))
}

fn send_page(builder: ClientBuilder, number: u32) -> Result<Page<WebhookItem>, Error> {
    builder.build().unwrap().list_webhooks().page(number).send()
}

fn ids(page: &Page<WebhookItem>) -> Vec<u64> {
    page.items.iter().map(|w| w.id).collect()
}

#[test]
fn connection_cut_mid_body_is_retried_then_succeeds() {
    let body = page(1, 1, 3, [1, 2, 3]);
    let server = RawServer::start([Step::Send(raw::cut_short(&body, 20)), ok(&body)]);
    let sleeps = Sleeps::default();

    let received = send_page(builder(&server, &sleeps), 1).unwrap();

    assert_eq!(ids(&received), [1, 2, 3]);
    assert_eq!(sleeps.delays().len(), 1);
    assert_eq!(server.request_count(), 2);
}

#[test]
fn connection_cut_on_every_attempt_exhausts_the_retries() {
    let body = page(2, 2, 3, [1, 2, 3]);
    let cut = Step::Send(raw::cut_short(&body, 20));
    let server = RawServer::start(vec![cut; 3]);
    let sleeps = Sleeps::default();

    let error = failure(send_page(builder(&server, &sleeps).max_retries(2), 2));

    match &error {
        Error::RetriesExhausted {
            attempts: 3, last, ..
        } => {
            assert!(
                matches!(**last, Error::Connection { page: 2, .. }),
                "{last:?}"
            )
        }
        other => panic!("expected RetriesExhausted after 3 attempts, got {other:?}"),
    }
    assert_eq!(server.request_count(), 3);
}

#[test]
fn connection_closed_before_any_answer_is_retried() {
    let body = page(1, 1, 1, [1]);
    let server = RawServer::start([Step::Send(Vec::new()), ok(&body)]);
    let sleeps = Sleeps::default();

    let received = send_page(builder(&server, &sleeps), 1).unwrap();

    assert_eq!(ids(&received), [1]);
    assert_eq!(server.request_count(), 2);
}

#[test]
fn truncated_json_is_a_decode_error_naming_the_page_and_not_retried() {
    let json = page(2, 2, 3, [1, 2, 3]).to_string();
    let truncated = &json.as_bytes()[..json.len() / 2];
    let server = RawServer::start([Step::Send(raw::response(
        200,
        &[("Content-Type", "application/json")],
        truncated,
    ))]);
    let sleeps = Sleeps::default();

    let error = failure(send_page(builder(&server, &sleeps), 2));

    assert!(matches!(error, Error::Decode { page: 2, .. }), "{error:?}");
    assert!(error.to_string().contains("page 2"), "{error}");
    assert_eq!(sleeps.delays(), []);
    assert_eq!(server.request_count(), 1);
}

#[test]
fn html_error_page_with_status_200_is_a_decode_error_with_an_excerpt() {
    let html = b"<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>";
    let server = RawServer::start([Step::Send(raw::response(
        200,
        &[("Content-Type", "text/html")],
        html,
    ))]);
    let sleeps = Sleeps::default();

    let error = failure(send_page(builder(&server, &sleeps), 1));

    match &error {
        Error::Decode {
            page: 1, excerpt, ..
        } => {
            assert!(
                excerpt.starts_with("<html><head><title>502 Bad Gateway"),
                "{excerpt:?}"
            );
            assert!(
                !excerpt.contains('\n'),
                "the excerpt is one line: {excerpt:?}"
            );
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(server.request_count(), 1);
}

#[test]
fn empty_body_with_status_200_is_a_decode_error() {
    let server = RawServer::start([Step::Send(raw::response(
        200,
        &[("Content-Type", "application/json")],
        b"",
    ))]);
    let sleeps = Sleeps::default();

    let error = failure(send_page(builder(&server, &sleeps), 1));

    assert!(
        matches!(&error, Error::Decode { page: 1, excerpt, .. } if excerpt == "(empty body)"),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[test]
fn stalled_response_times_out_naming_the_page() {
    let server = RawServer::start([Step::stall()]);
    let sleeps = Sleeps::default();
    let builder = builder(&server, &sleeps)
        .timeout(Duration::from_millis(200))
        .max_retries(0);

    let error = failure(send_page(builder, 3));

    assert!(matches!(error, Error::Timeout { page: 3, .. }), "{error:?}");
    assert!(error.to_string().contains("page 3"), "{error}");
    assert_eq!(server.request_count(), 1);
}

#[test]
fn stalled_response_is_retried_once_then_gives_up() {
    let server = RawServer::start([Step::stall(), Step::stall()]);
    let sleeps = Sleeps::default();
    let builder = builder(&server, &sleeps)
        .timeout(Duration::from_millis(200))
        .max_retries(1);

    let error = failure(send_page(builder, 1));

    match &error {
        Error::RetriesExhausted {
            attempts: 2, last, ..
        } => {
            assert!(matches!(**last, Error::Timeout { page: 1, .. }), "{last:?}")
        }
        other => panic!("expected RetriesExhausted after 2 attempts, got {other:?}"),
    }
    assert_eq!(sleeps.delays().len(), 1);
    assert_eq!(server.request_count(), 2);
}

#[test]
fn slowly_dripping_body_times_out() {
    let body = page(1, 1, 20, 1..=20).to_string().into_bytes();
    let head = raw::head(
        200,
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", &body.len().to_string()),
        ],
    );
    // The headers come at once; the body would take 2 s, ten times the timeout.
    let pause = Duration::from_millis(50);
    let chunk = body.len() / 40 + 1;
    let server = RawServer::start([Step::Drip {
        head,
        body,
        chunk,
        pause,
    }]);
    let sleeps = Sleeps::default();
    let builder = builder(&server, &sleeps)
        .timeout(Duration::from_millis(200))
        .max_retries(0);

    let error = failure(send_page(builder, 1));

    assert!(matches!(error, Error::Timeout { page: 1, .. }), "{error:?}");
    assert_eq!(server.request_count(), 1);
}

#[test]
fn body_declared_larger_than_the_limit_is_refused_unread() {
    // The server promises 10 MiB, sends a little, then waits: a client that
    // tried to read the rest would hit the timeout instead of the limit.
    let mut bytes = raw::head(
        200,
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", "10485760"),
        ],
    );
    bytes.extend_from_slice(br#"{"page":1,"max_page":1,"count":1,"items":["#);
    let server = RawServer::start([Step::SendThenStall(bytes)]);
    let sleeps = Sleeps::default();
    let builder = builder(&server, &sleeps)
        .max_body_size(1024)
        .timeout(Duration::from_secs(2));

    let error = failure(send_page(builder, 1));

    assert!(
        matches!(
            error,
            Error::BodyTooLarge {
                page: 1,
                limit: 1024,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("1024 bytes"), "{error}");
    assert_eq!(server.request_count(), 1);
}

#[test]
fn close_delimited_body_over_the_limit_is_refused() {
    let body = page(1, 1, 50, 1..=50).to_string();
    assert!(body.len() > 1024);
    let server = RawServer::start([Step::Send(raw::close_delimited(body.as_bytes()))]);
    let sleeps = Sleeps::default();

    let error = failure(send_page(builder(&server, &sleeps).max_body_size(1024), 1));

    assert!(
        matches!(
            error,
            Error::BodyTooLarge {
                page: 1,
                limit: 1024,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[test]
fn chunked_body_over_the_limit_is_refused() {
    let body = page(1, 1, 50, 1..=50).to_string();
    let server = RawServer::start([Step::Send(raw::chunked(body.as_bytes(), 256))]);
    let sleeps = Sleeps::default();

    let error = failure(send_page(builder(&server, &sleeps).max_body_size(1024), 1));

    assert!(
        matches!(
            error,
            Error::BodyTooLarge {
                page: 1,
                limit: 1024,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[test]
fn body_of_exactly_the_limit_is_accepted() {
    let body = page(1, 1, 3, [1, 2, 3]).to_string();
    let server = RawServer::start([Step::Send(raw::chunked(body.as_bytes(), 100))]);
    let sleeps = Sleeps::default();
    let limit = body.len() as u64;

    let received = send_page(builder(&server, &sleeps).max_body_size(limit), 1).unwrap();

    assert_eq!(ids(&received), [1, 2, 3]);
    assert_eq!(server.request_count(), 1);
}

#[test]
fn gzip_body_is_decoded() {
    let body = page(1, 1, 2, [1, 2]).to_string();
    let compressed = raw::gzip(body.as_bytes());
    let server = RawServer::start([Step::Send(raw::response(
        200,
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        &compressed,
    ))]);
    let sleeps = Sleeps::default();

    let received = send_page(builder(&server, &sleeps), 1).unwrap();

    assert_eq!(ids(&received), [1, 2]);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let accepted = requests[0].header("accept-encoding").unwrap_or_default();
    assert!(accepted.contains("gzip"), "Accept-Encoding: {accepted:?}");
}

#[test]
fn a_timeout_of_duration_max_is_no_limit_not_a_panic() {
    // ureq adds the timeout to the clock, which overflowed and panicked.
    for timeout in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        let server = RawServer::start([ok(&page(1, 1, 1, [1]))]);
        let sleeps = Sleeps::default();
        let builder = builder(&server, &sleeps)
            .timeout(timeout)
            .connect_timeout(timeout);

        let received = send_page(builder, 1).unwrap();

        assert_eq!(ids(&received), [1]);
        assert_eq!(server.request_count(), 1);
    }
}

/// Case 6 of issue 18: the first body buffer was sized from `Content-Length`
/// before any byte arrived; with `max_body_size(u64::MAX)` a huge one was a
/// capacity overflow.
#[test]
fn a_huge_content_length_makes_no_room_before_the_bytes_arrive() {
    let mut cut = raw::head(
        200,
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", "9223372036854775807"),
        ],
    );
    cut.extend_from_slice(br#"{"page":1,"#);
    let server = RawServer::start([Step::Send(cut)]);
    let sleeps = Sleeps::default();

    let error = failure(send_page(
        builder(&server, &sleeps)
            .max_body_size(u64::MAX)
            .max_retries(0),
        1,
    ));

    // The body ended early: a broken connection, not an abort.
    assert!(
        matches!(error, Error::Connection { page: 1, .. }),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 1);
}

/// A redirect that takes `pause` to arrive, to page 1 again.
fn slow_redirect(pause: Duration) -> Step {
    Step::Drip {
        head: Vec::new(),
        body: raw::response(302, &[("Location", "/v2/webhooks?page=1")], b""),
        chunk: usize::MAX,
        pause,
    }
}

/// Case 6 of issue 18: each same-origin redirect hop got a fresh timeout, up
/// to 6x `timeout` for one attempt.
#[test]
fn redirect_hops_share_the_attempts_timeout() {
    // A 1 s budget leaves 445 ms to wait for each answer's head: each 250 ms
    // redirect would pass on a fresh budget, and the attempt would end with
    // page 1 after 6 requests. Shared, the third hop has about 500 ms left,
    // 220 ms of it to wait for the head, and times out.
    let body = page(1, 1, 1, [1]);
    let mut script: Vec<Step> = (0..5)
        .map(|_| slow_redirect(Duration::from_millis(250)))
        .collect();
    script.push(ok(&body));
    let server = RawServer::start(script);
    let sleeps = Sleeps::default();

    let error = failure(send_page(
        builder(&server, &sleeps)
            .timeout(Duration::from_secs(1))
            .connect_timeout(Duration::from_millis(10))
            .max_retries(0),
        1,
    ));

    assert!(error.is_timeout(), "{error:?}");
    // A loaded machine may run out of budget a hop sooner; never later.
    let requests = server.request_count();
    assert!((2..=3).contains(&requests), "{requests} requests");
}
