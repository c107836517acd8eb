//! `-v`: each request and retry on standard error, its query masked but for
//! the page number, never the key, never ureq's own records.

mod common;

use std::process::Command;

use common::cli::{cli, run};
use common::temp::TempFile;
use common::{page, KEY, PATH};
use httpmock::prelude::*;

fn list(server: &MockServer, args: &[&str]) -> Command {
    let mut command = cli();
    command
        .args(["list", "--base-url", &server.url("/v2")])
        .args(args);
    command
}

/// Asserts what every `-v` run must keep out of standard error.
#[track_caller]
fn assert_nothing_secret(stderr: &str) {
    // `run` checks the key; its header and ureq's records must not show either.
    for absent in [
        "x-apikey",
        "X-Apikey",
        "ureq",
        "org_id=7",
        "per_page=1&",
        "per_page=1 ",
    ] {
        assert!(!stderr.contains(absent), "{absent} in {stderr}");
    }
}

#[test]
fn each_request_is_logged_with_its_page_status_and_time_and_the_rest_of_its_query_masked() {
    let server = MockServer::start();
    let pages: Vec<_> = (1..=2u32)
        .map(|n| {
            server.mock(|when, then| {
                when.path(PATH)
                    .query_param("page", n.to_string())
                    .query_param("org_id", "7")
                    .header("x-apikey", KEY);
                then.status(200).json_body(page(n, 2, 2, [u64::from(n)]));
            })
        })
        .collect();

    let run = run(&mut list(
        &server,
        &["-v", "--org-id", "7", "--per-page", "1"],
    ));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stdout.lines().count(), 2, "the output is unchanged");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{run:#?}");
    for (n, line) in (1..=2).zip(&lines) {
        assert!(
            line.starts_with("partoo-webhooks: GET /webhooks?"),
            "{line}"
        );
        assert!(line.contains(" -> 200 ("), "{line}");
        assert!(line.ends_with(" ms)"), "{line}");
        let query = line["partoo-webhooks: GET /webhooks?".len()..]
            .split(' ')
            .next()
            .unwrap();
        let mut parameters: Vec<&str> = query.split('&').collect();
        parameters.sort_unstable();
        assert_eq!(
            parameters,
            ["org_id=***", &format!("page={n}"), "per_page=***"],
            "{line}"
        );
    }
    assert_nothing_secret(&run.stderr);
    pages.iter().for_each(|page| page.assert_calls(1));
}

#[test]
fn retries_are_logged_with_the_failure() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH);
        then.status(503).header("retry-after", "0").body("busy");
    });

    let run = run(&mut list(&server, &["--verbose", "--retries", "1"]));

    assert_eq!(run.status, 1, "{run:#?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{run:#?}");
    assert!(lines[0].contains(" -> 503 ("), "{run:#?}");
    assert!(
        lines[1].starts_with("partoo-webhooks: GET /webhooks?")
            && lines[1].contains(": attempt 1 failed (error (HTTP 503), Retry-After 0 s: busy)")
            && lines[1].contains("; retrying in ")
            && lines[1].ends_with(" ms"),
        "{run:#?}"
    );
    assert!(lines[2].contains(" -> 503 ("), "{run:#?}");
    assert!(lines[3].starts_with("partoo-webhooks: gave up on page 1 after 2 attempts"));
    assert_nothing_secret(&run.stderr);
    mock.assert_calls(2);
}

#[test]
fn without_verbose_nothing_is_logged() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH);
        then.status(503).header("retry-after", "0").body("busy");
    });

    let run = run(&mut list(&server, &["--retries", "1"]));

    assert_eq!(run.status, 1, "{run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    mock.assert_calls(2);
}

#[test]
fn a_key_read_from_a_file_is_never_logged() {
    let server = MockServer::start();
    let mock = common::mock_page(&server, 1, page(1, 1, 1, [1]));
    let key_file = TempFile::new("verbose-key", format!("{KEY}\n"));

    // `run` fails the test if any piece of the key shows.
    let run = run(list(&server, &["-v", "--api-key-file", key_file.arg()])
        .env_remove("PARTOO_API_KEY")
        .env("RUST_LOG", "trace"));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert_nothing_secret(&run.stderr);
    mock.assert_calls(1);
}

#[test]
fn verbose_is_accepted_before_the_command_too() {
    let server = MockServer::start();
    let mock = common::mock_page(&server, 1, page(1, 1, 1, [1]));
    let mut command = cli();
    command.args(["-v", "list", "--base-url", &server.url("/v2")]);

    let run = run(&mut command);

    assert_eq!((run.status, run.stderr.lines().count()), (0, 1), "{run:#?}");
    mock.assert_calls(1);
}
