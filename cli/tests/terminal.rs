//! What only a terminal shows: colour (diff lines, the error prefix) and the
//! progress line, each run on a pseudo-terminal opened for the test, and
//! their absence in a pipe, with NO_COLOR, `--color never` and JSON.
#![cfg(unix)]

mod common;

use std::process::Command;

use common::cli::{cli, run, Run};
use common::pty::{run_on_terminal, Terminal};
use common::temp::TempFile;
use common::{mock_page, page, KEY, PATH};
use httpmock::prelude::*;
use serde_json::{json, Value};

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const RESET: &str = "\x1b[0m";
const RED_PREFIX: &str = "\x1b[1;31mpartoo-webhooks:\x1b[0m ";

fn item(id: u64, event_type: &str) -> Value {
    json!({
        "id": id,
        "url": format!("https://hooks.example.com/{id}"),
        "event_type": event_type,
        "created_at": "2024-11-27T16:10:44.929678Z",
        "updated_at": "2024-11-27T16:10:44.929678Z",
        "org_id": 7,
    })
}

/// An account and a desired file with one difference of each kind: `~` (a
/// url), `+`, `-`, and `!` (two webhooks for one event type).
fn every_kind(server: &MockServer, name: &str) -> TempFile {
    let items = [
        item(1, "business_created"),
        item(3, "message_updated"),
        item(4, "lead_received"),
        item(5, "lead_received"),
    ];
    mock_page(
        server,
        1,
        json!({ "page": 1, "max_page": 1, "count": 4, "items": items }),
    );
    let desired = json!([
        { "org_id": 7, "event_type": "business_created", "url": "https://hooks.example.com/v2/1" },
        { "org_id": 7, "event_type": "business_deleted", "url": "https://hooks.example.com/new" },
        { "org_id": 7, "event_type": "lead_received", "url": "https://hooks.example.com/4" },
    ]);
    TempFile::new(&format!("terminal-{name}.json"), desired.to_string())
}

/// `diff` against the mock, NO_COLOR unset whatever the test's environment.
fn diff(server: &MockServer, file: &TempFile, args: &[&str]) -> Command {
    let mut command = cli();
    command
        .env_remove("NO_COLOR")
        .args(["diff", "--base-url", &server.url("/v2")])
        .args(args)
        .arg(file.path());
    command
}

fn lines_of(run: &Run) -> Vec<&str> {
    run.stdout.lines().collect()
}

#[test]
fn diff_lines_are_coloured_by_kind_on_a_terminal() {
    let server = MockServer::start();
    let file = every_kind(&server, "coloured");

    let run = run_on_terminal(&mut diff(&server, &file, &[]), Terminal::Stdout);

    assert_eq!(run.status, 3, "{run:#?}");
    let lines = lines_of(&run);
    assert_eq!(lines.len(), 4, "{run:#?}");
    for (colour, sign) in [(YELLOW, '~'), (GREEN, '+'), (RED, '-'), (MAGENTA, '!')] {
        let start = format!("{colour}{sign} 7 ");
        let line = lines.iter().find(|line| line.starts_with(&start));
        assert!(
            line.is_some_and(|line| line.ends_with(RESET)),
            "{sign}: {run:#?}"
        );
    }
    // The summary, on a pipe here, is plain.
    assert!(!run.stderr.contains('\x1b'), "{run:#?}");
}

#[test]
fn diff_lines_are_plain_in_a_pipe_with_no_color_with_color_never_and_in_json() {
    let server = MockServer::start();
    let file = every_kind(&server, "plain");

    let piped = run(&mut diff(&server, &file, &[]));
    let no_color = run_on_terminal(
        diff(&server, &file, &[]).env("NO_COLOR", "1"),
        Terminal::Stdout,
    );
    let never = run_on_terminal(
        &mut diff(&server, &file, &["--color", "never"]),
        Terminal::Stdout,
    );
    let json = run_on_terminal(
        &mut diff(&server, &file, &["--format", "json", "--color", "always"]),
        Terminal::Stdout,
    );

    for run in [&piped, &no_color, &never, &json] {
        assert_eq!(run.status, 3, "{run:#?}");
        assert!(!run.stdout.contains('\x1b'), "{run:#?}");
        assert!(!run.stderr.contains('\x1b'), "{run:#?}");
    }
    assert_eq!(no_color.stdout, piped.stdout);
    assert_eq!(never.stdout, piped.stdout);
    serde_json::from_str::<Value>(&json.stdout).expect("plain JSON");
}

#[test]
fn an_empty_no_color_keeps_colour_and_color_always_colours_a_pipe() {
    let server = MockServer::start();
    let file = every_kind(&server, "always");

    let empty = run_on_terminal(
        diff(&server, &file, &[]).env("NO_COLOR", ""),
        Terminal::Stdout,
    );
    let always = run(diff(&server, &file, &["--color", "always"]).env("NO_COLOR", "1"));

    for run in [&empty, &always] {
        assert_eq!(run.status, 3, "{run:#?}");
        assert!(run.stdout.starts_with(YELLOW), "{run:#?}");
    }
}

#[test]
fn the_error_prefix_is_red_on_a_terminal_only() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.path(PATH);
        then.status(401)
            .json_body(json!({ "errors": { "authentication": "User not authenticated" } }));
    });
    let list = || {
        let mut command = cli();
        command.env_remove("NO_COLOR").args([
            "list",
            "--base-url",
            &server.url("/v2"),
            "--retries",
            "0",
        ]);
        command
    };

    let terminal = run_on_terminal(&mut list(), Terminal::Stderr);
    let piped = run(&mut list());
    let no_color = run_on_terminal(list().env("NO_COLOR", "yes"), Terminal::Stderr);

    assert_eq!(terminal.status, 1, "{terminal:#?}");
    assert!(
        terminal
            .stderr
            .starts_with(&format!("{RED_PREFIX}unauthorized (HTTP 401)")),
        "{terminal:#?}"
    );
    assert!(
        piped.stderr.starts_with("partoo-webhooks: unauthorized"),
        "{piped:#?}"
    );
    assert!(
        no_color.stderr.starts_with("partoo-webhooks: unauthorized"),
        "{no_color:#?}"
    );
}

#[test]
fn a_usage_error_prefix_is_red_on_a_terminal_and_keeps_its_lines() {
    let run = run_on_terminal(cli().env_remove("NO_COLOR").arg("lst"), Terminal::Stderr);

    assert_eq!(run.status, 2, "{run:#?}");
    assert!(
        run.stderr.starts_with(&format!(
            "{RED_PREFIX}unknown command (the first argument, not shown, in case it is a \
             secret)\n  tip: a similar command exists: 'list'\n"
        )),
        "{run:#?}"
    );
}

#[test]
fn list_shows_the_page_awaited_on_a_terminal_and_clears_it_before_finishing() {
    let server = MockServer::start();
    let pages: Vec<_> = (1..=3u32)
        .map(|n| mock_page(&server, n, page(n, 3, 3, [u64::from(n)])))
        .collect();
    let mut list = cli();
    list.args(["list", "--base-url", &server.url("/v2"), "--per-page", "1"]);

    let run = run_on_terminal(&mut list, Terminal::Stderr);

    assert_eq!(run.status, 0, "{run:#?}");
    // The output, on a pipe, is the plain listing.
    assert_eq!(run.stdout.lines().count(), 3, "{run:#?}");
    assert!(!run.stdout.contains('\r'), "{run:#?}");
    let shown = run.stderr.find("\rpage 2/3").expect("page 2 shown");
    let then = run.stderr[shown..].find("\rpage 3/3").expect("then page 3");
    // Erased at the end: spaces over it, and the cursor back at the start.
    let rest = &run.stderr[shown + then + "\rpage 3/3".len()..];
    assert!(rest.starts_with('\r') && rest.ends_with('\r'), "{rest:?}");
    assert_eq!(rest.trim_matches([' ', '\r']), "", "{rest:?}");
    pages.iter().for_each(|page| page.assert_calls(1));
}

#[test]
fn diff_shows_the_pages_listed_and_the_pass_then_clears_them_before_the_summary() {
    let server = MockServer::start();
    let items = [item(1, "business_created"), item(2, "lead_received")];
    let pages: Vec<_> = (1..=2u32)
        .map(|n| {
            let body = json!({ "page": n, "max_page": 2, "count": 2,
                               "items": [items[n as usize - 1].clone()] });
            mock_page(&server, n, body)
        })
        .collect();
    let desired = json!([
        { "org_id": 7, "event_type": "business_created", "url": "https://hooks.example.com/1" },
        { "org_id": 7, "event_type": "lead_received", "url": "https://hooks.example.com/2" },
    ]);
    let file = TempFile::new("terminal-progress.json", desired.to_string());

    let run = run_on_terminal(
        &mut diff(&server, &file, &["--per-page", "1"]),
        Terminal::Stderr,
    );

    assert_eq!((run.status, run.stdout.as_str()), (0, ""), "{run:#?}");
    for shown in [
        "1 page listed",
        "2 pages listed",
        "1 page listed, pass 2",
        "2 pages listed, pass 2",
    ] {
        assert!(
            run.stderr.contains(&format!("\r{shown}")),
            "{shown}: {run:#?}"
        );
    }
    // The summary starts on a cleared line.
    let summary = "no difference: 2 desired, 2 live\n";
    assert!(run.stderr.ends_with(summary), "{run:#?}");
    let before = &run.stderr[..run.stderr.len() - summary.len()];
    assert!(
        before.ends_with(&format!(
            "\r{}\r",
            " ".repeat("2 pages listed, pass 2".len())
        )),
        "{run:#?}"
    );
    // Two passes that agree: each page twice.
    pages.iter().for_each(|page| page.assert_calls(2));
}

#[test]
fn nothing_but_the_output_reaches_a_pipe() {
    let server = MockServer::start();
    let pages: Vec<_> = (1..=2u32)
        .map(|n| mock_page(&server, n, page(n, 2, 2, [u64::from(n)])))
        .collect();

    let run = run(cli().args([
        "list",
        "--base-url",
        &server.url("/v2"),
        "--per-page",
        "1",
        "--color",
        "always",
    ]));

    assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
    assert!(!run.stdout.contains(['\r', '\x1b']), "{run:#?}");
    pages.iter().for_each(|page| page.assert_calls(1));
    // The key is never shown, on a terminal either (checked by every run).
    let _ = KEY;
}
