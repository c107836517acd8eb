//! The `partoo-webhooks` binary, run as a user would against a mock API: its
//! output formats, `--limit`, exit statuses, where the key comes from, and
//! streaming (a failure or a closed pipe keeps what was printed).
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::cli::{cli, jsonl_ids, run, with_stdout_closed};
use common::temp::TempFile;
use common::{any_request, mock_page, page, webhook, KEY, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use serde_json::{json, Value};

/// `partoo-webhooks list --base-url <the mock> <args>`.
fn list(server: &MockServer, args: &[&str]) -> Command {
    let mut command = cli();
    command
        .args(["list", "--base-url", &server.url("/v2")])
        .args(args);
    command
}

/// Two pages of `--per-page 2`: a known and an unknown event type, custom
/// headers sent, absent and `null`, and a URL that CSV must quote.
fn two_pages(server: &MockServer) -> (Mock<'_>, Mock<'_>) {
    let first = json!({ "page": 1, "max_page": 2, "count": 3, "items": [
        webhook(1),
        {
            "id": 2, "url": "https://hooks.example.com/a,b?q=\"x\"",
            "event_type": "review_created",
            "created_at": "2025-01-05T09:00:00Z", "updated_at": "2025-02-01T10:30:00.5Z",
            "org_id": 7, "custom_headers": { "X-Auth-Token": "s3cret", "X-Env": "prod" },
        },
    ]});
    let second = json!({ "page": 2, "max_page": 2, "count": 3, "items": [{
        "id": 13, "url": "https://hooks.example.com/13", "event_type": "lead_received",
        "created_at": "2025-03-01T00:00:00Z", "updated_at": "2025-03-01T00:00:00Z",
        "org_id": 7, "custom_headers": null,
    }]});
    (mock_page(server, 1, first), mock_page(server, 2, second))
}

const JSONL_LINES: [&str; 3] = [
    r#"{"id":1,"url":"https://hooks.example.com/1","event_type":"business_created","created_at":"2024-11-27T16:10:44.929678Z","updated_at":"2024-11-27T16:10:44.929678Z","org_id":7}"#,
    r#"{"id":2,"url":"https://hooks.example.com/a,b?q=\"x\"","event_type":"review_created","created_at":"2025-01-05T09:00:00Z","updated_at":"2025-02-01T10:30:00.5Z","org_id":7,"custom_headers":{"X-Auth-Token":"s3cret","X-Env":"prod"}}"#,
    r#"{"id":13,"url":"https://hooks.example.com/13","event_type":"lead_received","created_at":"2025-03-01T00:00:00Z","updated_at":"2025-03-01T00:00:00Z","org_id":7}"#,
];

/// Lists the two pages in `format` and checks the run was clean.
fn list_two_pages(format: &str) -> String {
    let server = MockServer::start();
    let (first, second) = two_pages(&server);
    let run = run(&mut list(&server, &["--per-page", "2", "--format", format]));
    assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
    first.assert_calls(1);
    second.assert_calls(1);
    run.stdout
}

#[test]
fn jsonl_prints_one_object_per_line_with_the_api_field_names() {
    let stdout = list_two_pages("jsonl");
    assert_eq!(stdout, JSONL_LINES.map(|line| format!("{line}\n")).concat());
}

#[test]
fn json_prints_one_array() {
    let stdout = list_two_pages("json");
    assert_eq!(stdout, format!("[\n{}\n]\n", JSONL_LINES.join(",\n")));
    let parsed: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(parsed.len(), 3);
}

#[test]
fn csv_prints_a_header_then_rows_quoted_per_rfc_4180() {
    let stdout = list_two_pages("csv");
    assert_eq!(
        stdout,
        r#"id,url,event_type,created_at,updated_at,org_id,custom_headers
1,https://hooks.example.com/1,business_created,2024-11-27T16:10:44.929678Z,2024-11-27T16:10:44.929678Z,7,
2,"https://hooks.example.com/a,b?q=""x""",review_created,2025-01-05T09:00:00Z,2025-02-01T10:30:00.5Z,7,"{""X-Auth-Token"":""s3cret"",""X-Env"":""prod""}"
13,https://hooks.example.com/13,lead_received,2025-03-01T00:00:00Z,2025-03-01T00:00:00Z,7,
"#
    );
}

#[test]
fn table_prints_aligned_columns_and_only_the_names_of_custom_headers() {
    let stdout = list_two_pages("table");
    assert_eq!(
        stdout,
        "\
ID  ORG  EVENT TYPE        CREATED AT                   CUSTOM HEADERS      URL
 1    7  business_created  2024-11-27T16:10:44.929678Z  -                   https://hooks.example.com/1
 2    7  review_created    2025-01-05T09:00:00Z         X-Auth-Token,X-Env  https://hooks.example.com/a,b?q=***
13    7  lead_received     2025-03-01T00:00:00Z         -                   https://hooks.example.com/13
"
    );
}

#[test]
fn output_that_is_not_a_terminal_defaults_to_jsonl() {
    let server = MockServer::start();
    let (first, second) = two_pages(&server);
    let run = run(&mut list(&server, &["--per-page", "2"]));
    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(
        run.stdout,
        JSONL_LINES.map(|line| format!("{line}\n")).concat()
    );
    first.assert_calls(1);
    second.assert_calls(1);
}

#[test]
fn unknown_event_types_are_printed_as_sent_in_every_format() {
    let server = MockServer::start();
    let mut item = webhook(5);
    item["event_type"] = json!("review_created");
    let mock = mock_page(
        &server,
        1,
        json!({ "page": 1, "max_page": 1, "count": 1, "items": [item] }),
    );
    for format in ["jsonl", "json", "csv", "table"] {
        let run = run(&mut list(&server, &["--format", format]));
        assert_eq!(run.status, 0, "{run:#?}");
        assert!(run.stdout.contains("review_created"), "{format}: {run:#?}");
    }
    mock.assert_calls(4);
}

#[test]
fn jsonl_has_custom_headers_only_when_the_api_sent_them() {
    let stdout = list_two_pages("jsonl");
    let has_headers: Vec<bool> = stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|item| item.get("custom_headers").is_some())
        .collect();
    // Absent on 1, sent on 2, `null` on 13.
    assert_eq!(has_headers, [false, true, false]);
}

#[test]
fn limit_requests_only_the_pages_it_needs() {
    let server = MockServer::start();
    let pages: Vec<Mock> = (1..=3)
        .map(|n| mock_page(&server, n, page(n, 3, 6, [2 * n as u64 - 1, 2 * n as u64])))
        .collect();
    let run = run(&mut list(&server, &["--per-page", "2", "--limit", "3"]));
    assert_eq!(run.status, 0, "{run:#?}");
    let ids = jsonl_ids(&run.stdout);
    assert_eq!(ids, [1, 2, 3]);
    pages[0].assert_calls(1);
    pages[1].assert_calls(1);
    pages[2].assert_calls(0);
}

#[test]
fn limit_with_prefetch_requests_no_page_past_the_limit() {
    let server = MockServer::start();
    let pages: Vec<Mock> = (1..=6)
        .map(|n| mock_page(&server, n, page(n, 6, 12, [2 * n as u64 - 1, 2 * n as u64])))
        .collect();
    let args = ["--per-page", "2", "--limit", "5", "--prefetch", "4"];
    let run = run(&mut list(&server, &args));
    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(jsonl_ids(&run.stdout), [1, 2, 3, 4, 5]);
    let calls: Vec<usize> = pages.iter().map(Mock::calls).collect();
    assert_eq!(calls, [1, 1, 1, 0, 0, 0]);
}

#[test]
fn limit_never_changes_which_webhooks_a_page_holds() {
    // Page 3 of 100 per page starts at webhook 201, with or without --limit.
    let server = MockServer::start();
    let third = server.mock(|when, then| {
        when.path(PATH)
            .query_param("page", "3")
            .query_param("per_page", "100");
        then.status(200).json_body(page(3, 4, 400, 201..=300));
    });
    let run = run(&mut list(&server, &["--page", "3", "--limit", "2"]));
    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(jsonl_ids(&run.stdout), [201, 202]);
    third.assert_calls(1);
}

#[test]
fn org_id_and_page_are_sent_and_the_listing_starts_at_that_page() {
    let server = MockServer::start();
    let page_1 = mock_page(&server, 1, page(1, 2, 3, [1, 2]));
    let page_2 = server.mock(|when, then| {
        when.path(PATH)
            .query_param("org_id", "42")
            .query_param("page", "2");
        then.status(200).json_body(page(2, 2, 3, [3]));
    });
    let run = run(&mut list(&server, &["--org-id", "42", "--page", "2"]));
    assert_eq!((run.status, run.stdout.lines().count()), (0, 1), "{run:#?}");
    page_1.assert_calls(0);
    page_2.assert_calls(1);
}

#[test]
fn unauthorized_exits_1_with_the_servers_message_and_a_fix() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH);
        then.status(401)
            .json_body(json!({ "errors": { "authentication": "User not authenticated" } }));
    });
    let run = run(&mut list(&server, &["--retries", "0"]));
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: unauthorized (HTTP 401) on page 1: User not authenticated; \
         check the API key in PARTOO_API_KEY\n"
    );
    mock.assert_calls(1);
}

#[test]
fn a_failure_on_page_2_keeps_page_1_on_stdout_and_exits_1() {
    let server = MockServer::start();
    let page_1 = mock_page(
        &server,
        1,
        json!({ "page": 1, "max_page": 2, "count": 2, "items": [webhook(1)] }),
    );
    let page_2 = server.mock(|when, then| {
        when.path(PATH).query_param("page", "2");
        then.status(500).body("upstream exploded");
    });
    let run = run(&mut list(&server, &["--retries", "0"]));
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, format!("{}\n", JSONL_LINES[0]));
    assert_eq!(
        run.stderr,
        "partoo-webhooks: error (HTTP 500) on page 2: upstream exploded\n"
    );
    page_1.assert_calls(1);
    page_2.assert_calls(1);
}

#[test]
fn retries_sets_how_often_a_failed_request_is_repeated() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH);
        // A zero Retry-After keeps the test from waiting on backoff.
        then.status(503).header("retry-after", "0").body("busy");
    });
    let run = run(&mut list(&server, &["--retries", "2"]));
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        "partoo-webhooks: gave up on page 1 after 3 attempts: \
         error (HTTP 503) on page 1, Retry-After 0 s: busy\n"
    );
    mock.assert_calls(3);
}

#[test]
fn timeout_fails_a_stalled_request_with_exit_1() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH);
        then.status(200)
            .delay(Duration::from_millis(1500))
            .json_body(page(1, 1, 1, [1]));
    });
    let run = run(&mut list(&server, &["--timeout", "0.1", "--retries", "0"]));
    assert_eq!(run.status, 1, "{run:#?}");
    assert!(
        run.stderr
            .starts_with("partoo-webhooks: the request timed out on page 1"),
        "{run:#?}"
    );
    assert_eq!(run.stdout, "");
    mock.assert_calls(1);
}

#[test]
fn missing_key_exits_2_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let run = run(list(&server, &[]).env_remove("PARTOO_API_KEY"));
    assert_eq!(run.status, 2);
    assert_eq!(
        run.stderr,
        "partoo-webhooks: PARTOO_API_KEY is not set; export it or pass --api-key-file\n"
    );
    assert_eq!(run.stdout, "");
    mock.assert_calls(0);
}

#[test]
fn per_page_0_exits_2_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let run = run(&mut list(&server, &["--per-page", "0"]));
    assert_eq!(run.status, 2);
    assert_eq!(
        run.stderr,
        "partoo-webhooks: invalid --per-page: expected between 1 and 100\n\
         Try 'partoo-webhooks --help' for more information.\n"
    );
    mock.assert_calls(0);
}

#[test]
fn unknown_option_exits_2_with_a_suggestion_the_usage_and_a_pointer_to_help() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let run = run(&mut list(&server, &["--frmat=pasted-secret-5e1"]));
    assert_eq!(run.status, 2);
    assert_eq!(
        run.stderr,
        "partoo-webhooks: unknown option '--frmat'\n  \
         tip: a similar option exists: '--format'\n\
         Usage: partoo-webhooks list --base-url <URL> --format <FORMAT>\n\
         Try 'partoo-webhooks list --help' for more information.\n"
    );
    mock.assert_calls(0);
}

#[test]
fn a_mistyped_command_gets_a_suggestion_without_being_repeated() {
    let run = run(cli().arg("lst"));
    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: unknown command (the first argument, not shown, in case it is a \
         secret)\n  tip: a similar command exists: 'list'\n\
         Usage: partoo-webhooks [OPTIONS] <COMMAND>\n\
         Try 'partoo-webhooks --help' for more information.\n"
    );
}

#[test]
fn a_mistyped_value_gets_a_suggestion_without_being_repeated() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let run = run(&mut list(&server, &["--format", "jsn"]));
    assert_eq!(run.status, 2, "{run:#?}");
    assert!(
        run.stderr.starts_with(
            "partoo-webhooks: invalid --format: expected table, jsonl, json or csv\n  \
             tip: a similar value exists: 'json'\n\
             Usage: partoo-webhooks list [OPTIONS]\n"
        ),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("jsn"), "{run:#?}");
    mock.assert_calls(0);
}

#[test]
fn no_command_is_a_usage_error() {
    let run = run(&mut cli());
    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert!(
        run.stderr.starts_with("partoo-webhooks: missing command\n"),
        "{run:#?}"
    );
}

#[test]
fn other_usage_and_configuration_errors_exit_2_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let ftp_url = server.url("/v2").replace("http://", "ftp://");
    // Each runs after `list --base-url <the mock>`.
    let cases: [(&[&str], &str); 8] = [
        (
            &["--sandbox"],
            "--base-url and --sandbox cannot be used together",
        ),
        (&["--limit", "0"], "invalid --limit: expected 1 or more"),
        (&["--page", "0"], "invalid --page: expected 1 or more"),
        (
            &["--per-page", "ten"],
            "invalid --per-page: expected a whole number",
        ),
        (
            &["--format", "xml"],
            "invalid --format: expected table, jsonl, json or csv",
        ),
        (
            &["--timeout", "0"],
            "invalid --timeout: expected a number of seconds",
        ),
        (&["--org-id"], "--org-id needs a value"),
        (
            &["--base-url", &ftp_url],
            "--base-url is given more than once",
        ),
    ];
    for (args, message) in cases {
        let run = run(&mut list(&server, args));
        assert_eq!(run.status, 2, "{args:?}: {run:#?}");
        assert!(
            run.stderr
                .starts_with(&format!("partoo-webhooks: {message}")),
            "{args:?}: {run:#?}"
        );
    }
    let run = run(cli().args(["list", "--base-url", &ftp_url]));
    assert_eq!(run.status, 2, "{run:#?}");
    assert!(
        run.stderr.starts_with("partoo-webhooks: invalid base URL"),
        "{run:#?}"
    );
    mock.assert_calls(0);
}

#[test]
fn a_key_pasted_as_an_argument_is_refused_without_being_echoed() {
    let server = MockServer::start();
    let mock = any_request(&server);
    // `run` fails the test if any piece of the key shows in the output.
    let cases: [(&[&str], &str); 9] = [
        (&[KEY], "unexpected argument in position 4 (not shown"),
        (
            &["--page", "2", KEY],
            "unexpected argument in position 6 (not shown",
        ),
        (
            &["--org-id", KEY],
            "invalid --org-id: expected a whole number",
        ),
        (
            &[&format!("--per-page={KEY}")],
            "invalid --per-page: expected",
        ),
        (
            &["--limit", "99999999999999999999"],
            "invalid --limit: the number is too large",
        ),
        (&["--format", KEY], "invalid --format: expected"),
        (&["--timeout", KEY], "invalid --timeout: expected"),
        (&["--api-key-file", KEY], "cannot read the API key file: "),
        (&["--ca-file", KEY], "cannot read the CA file (--ca-file): "),
    ];
    for (args, message) in cases {
        let run = run(&mut list(&server, args));

        assert_eq!(run.status, 2, "{args:?}: {run:#?}");
        assert!(
            run.stderr
                .starts_with(&format!("partoo-webhooks: {message}")),
            "{args:?}: {run:#?}"
        );
    }
    let run = run(cli().arg(KEY));
    assert_eq!(run.status, 2, "{run:#?}");
    assert!(
        run.stderr
            .starts_with("partoo-webhooks: unknown command (the first argument"),
        "{run:#?}"
    );
    // In the place of the base URL, from the flag or the environment; and a
    // base URL's credentials and query, which are not shown either.
    let mut from_env = cli();
    from_env.arg("list").env("PARTOO_BASE_URL", KEY);
    let mut with_secrets = cli();
    with_secrets.args([
        "list",
        "--base-url",
        "ftp://user:pw-9f3a@h.example/v2?t=tok-51c",
    ]);
    let mut from_flag = cli();
    from_flag.args(["list", "--base-url", KEY]);
    for (mut command, source) in [
        (from_flag, "--base-url"),
        (from_env, "PARTOO_BASE_URL"),
        (with_secrets, "--base-url"),
    ] {
        let refused = common::cli::run(&mut command);
        assert_eq!(refused.status, 2, "{refused:#?}");
        let expected = format!("partoo-webhooks: invalid base URL ({source}): ");
        assert!(refused.stderr.starts_with(&expected), "{refused:#?}");
        assert!(
            !refused.stderr.contains("pw-9f3a") && !refused.stderr.contains("tok-51c"),
            "{refused:#?}"
        );
    }
    // In the place of every other command's file.
    let url = server.url("/v2");
    let mut commands = vec![
        vec!["diff", "--base-url", &url, KEY],
        vec!["apply", "--yes", "--base-url", &url, KEY],
        vec!["tryout", "--base-url", &url, KEY],
    ];
    if cfg!(feature = "verify") {
        commands.push(vec!["verify", "--signature", "c2ln", KEY]);
        let key_file = ["--public-key-file", KEY, "-"];
        commands.push([&["verify", "--signature", "c2ln"][..], &key_file].concat());
    }
    for args in commands {
        let refused = common::cli::run(cli().args(&args));
        assert_eq!(refused.status, 2, "{args:?}: {refused:#?}");
        assert!(
            refused.stderr.starts_with("partoo-webhooks: cannot "),
            "{args:?}: {refused:#?}"
        );
    }
    mock.assert_calls(0);
}

#[test]
fn a_timeout_below_a_millisecond_is_refused_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    for timeout in ["0.0000000001", "0.0009", "-1", "0", "NaN", "inf", "1e30"] {
        let run = run(&mut list(&server, &["--timeout", timeout]));

        assert_eq!(run.status, 2, "{timeout}: {run:#?}");
        assert!(
            run.stderr.starts_with(
                "partoo-webhooks: invalid --timeout: expected a number of seconds, at least 0.001\n"
            ),
            "{timeout}: {run:#?}"
        );
    }
    mock.assert_calls(0);
}

#[test]
fn api_key_flag_is_refused_without_echoing_the_key() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let flag = format!("--api-key={KEY}");
    // `run` fails the test if the key shows in the output.
    let run = run(list(&server, &[&flag]).env_remove("PARTOO_API_KEY"));
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .contains("export PARTOO_API_KEY or pass --api-key-file"),
        "{run:#?}"
    );
    mock.assert_calls(0);
}

#[test]
fn the_key_is_read_from_the_environment() {
    let server = MockServer::start();
    // mock_page answers only requests carrying the test key.
    let mock = mock_page(&server, 1, page(1, 1, 1, [1]));
    let run = run(&mut list(&server, &[]));
    assert_eq!((run.status, run.stdout.lines().count()), (0, 1), "{run:#?}");
    mock.assert_calls(1);
}

#[test]
fn the_key_file_first_line_is_the_key_and_wins_over_the_environment() {
    let server = MockServer::start();
    let mock = mock_page(&server, 1, page(1, 1, 1, [1]));
    let file = TempFile::new("key-file", format!("{KEY}\r\nsecond line\n"));
    let path = file.arg();
    let run = run(list(&server, &["--api-key-file", path]).env("PARTOO_API_KEY", "other-key"));
    assert_eq!((run.status, run.stdout.lines().count()), (0, 1), "{run:#?}");
    mock.assert_calls(1);
}

#[test]
fn a_key_file_of_an_empty_first_line_or_a_refused_key_is_named_by_its_option_not_its_path() {
    let server = MockServer::start();
    let mock = any_request(&server);
    for (name, text, message) in [
        (
            "key-empty",
            "\nsecond line\n",
            "the first line of the API key file (--api-key-file) is empty",
        ),
        (
            "key-spaced",
            "a key with spaces\n",
            "invalid API key in the API key file (--api-key-file): ",
        ),
    ] {
        let file = TempFile::new(name, text);

        let run = run(&mut list(&server, &["--api-key-file", file.arg()]));

        assert_eq!(run.status, 2, "{run:#?}");
        assert!(
            run.stderr
                .starts_with(&format!("partoo-webhooks: {message}")),
            "{run:#?}"
        );
        assert!(!run.stderr.contains(file.arg()), "{run:#?}");
    }
    mock.assert_calls(0);
}

#[test]
fn an_unreadable_key_file_exits_2_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let missing = std::env::temp_dir().join(format!("partoo-cli-{}-missing", std::process::id()));
    let path = missing.to_str().unwrap();
    let run = run(list(&server, &["--api-key-file", path]).env_remove("PARTOO_API_KEY"));
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .starts_with("partoo-webhooks: cannot read the API key file: "),
        "{run:#?}"
    );
    mock.assert_calls(0);
}

#[cfg(unix)]
#[test]
fn environment_variables_that_are_not_utf8_exit_2_before_any_request() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let server = MockServer::start();
    let mock = any_request(&server);
    let not_utf8 = OsStr::from_bytes(b"\xff\xfe");
    let key = run(list(&server, &[]).env("PARTOO_API_KEY", not_utf8));
    // Were the variable ignored, the production API would be tried: briefly,
    // and through a proxy on a closed loopback port, so never off the machine.
    let url = run(cli()
        .args(["list", "--retries", "0", "--timeout", "0.001"])
        .env("ALL_PROXY", "http://127.0.0.1:1")
        .env("PARTOO_BASE_URL", not_utf8));

    assert_eq!(key.status, 2, "{key:#?}");
    assert!(
        key.stderr.contains("PARTOO_API_KEY is not valid UTF-8"),
        "{key:#?}"
    );
    assert_eq!(url.status, 2, "{url:#?}");
    assert!(
        url.stderr.contains("PARTOO_BASE_URL is not valid UTF-8"),
        "{url:#?}"
    );
    mock.assert_calls(0);
}

#[test]
fn partoo_base_url_is_the_default_base_url() {
    let server = MockServer::start();
    let mock = mock_page(&server, 1, page(1, 1, 1, [1]));
    let run = run(cli().arg("list").env("PARTOO_BASE_URL", server.url("/v2")));
    assert_eq!((run.status, run.stdout.lines().count()), (0, 1), "{run:#?}");
    mock.assert_calls(1);
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly_with_status_0() {
    const PAGES: u32 = 40;
    let server = MockServer::start();
    // 40 pages of 100 webhooks are far more than a pipe's buffer holds, so the
    // binary is still writing when the reader goes away.
    let mocks: Vec<Mock> = (1..=PAGES)
        .map(|n| {
            let first = u64::from(n - 1) * 100 + 1;
            mock_page(&server, n, page(n, PAGES, 4000, first..first + 100))
        })
        .collect();
    let mut child = list(&server, &["--format", "jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    drop(reader);
    let output = child.wait_with_output().unwrap();

    assert!(line.starts_with(r#"{"id":1,"#), "{line}");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let requests: usize = mocks.iter().map(Mock::calls).sum();
    assert!(
        (1..PAGES as usize).contains(&requests),
        "stopped listing once nobody read: {requests} requests"
    );
}

#[test]
fn page_1_is_printed_before_page_2_is_requested() {
    // httpmock cannot hold an answer until the test says so: a two-request
    // HTTP/1.1 server (the client keeps its connection alive) withholds page 2
    // until the test has read page 1 from the binary's stdout.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v2", listener.local_addr().unwrap());
    let (page_1_read, page_1_was_read) = mpsc::channel::<()>();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut requests = BufReader::new(stream.try_clone().unwrap());
        let mut held = false;
        for n in 1..=2u32 {
            let mut request_line = String::new();
            requests.read_line(&mut request_line).unwrap();
            // The query's order is the library's: find `page=n` as a whole parameter.
            let wanted = format!("page={n}");
            assert!(
                request_line.split(['?', '&', ' ']).any(|p| p == wanted),
                "{request_line}"
            );
            let mut header = String::new();
            while header != "\r\n" {
                header.clear();
                requests.read_line(&mut header).unwrap();
            }
            if n == 2 {
                held = page_1_was_read
                    .recv_timeout(Duration::from_secs(10))
                    .is_ok();
            }
            let body = page(n, 2, 2, [u64::from(n)]).to_string();
            let length = body.len();
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {length}\r\n\r\n{body}"
            )
            .unwrap();
        }
        held
    });
    let mut child = cli()
        .args([
            "list",
            "--base-url",
            &base_url,
            "--per-page",
            "1",
            "--retries",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Fails only if the server already gave up waiting; the assert below says so.
    let _ = page_1_read.send(());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let output = child.wait_with_output().unwrap();

    assert!(
        server.join().unwrap(),
        "page 1 was not on stdout while page 2 was awaited"
    );
    assert!(first.starts_with(r#"{"id":1,"#), "{first}");
    assert!(rest.starts_with(r#"{"id":2,"#), "{rest}");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn prefetch_keeps_the_output_in_page_order() {
    let server = MockServer::start();
    let pages: Vec<Mock> = (1..=4u32)
        .map(|n| {
            let ids = [2 * u64::from(n) - 1, 2 * u64::from(n)];
            server.mock(|when, then| {
                when.path(PATH).query_param("page", n.to_string());
                // Page 2 arrives after pages 3 and 4.
                let delay = if n == 2 { 100 } else { 0 };
                then.status(200)
                    .delay(Duration::from_millis(delay))
                    .json_body(page(n, 4, 8, ids));
            })
        })
        .collect();
    let run = run(&mut list(&server, &["--per-page", "2", "--prefetch", "3"]));
    assert_eq!(run.status, 0, "{run:#?}");
    let ids = jsonl_ids(&run.stdout);
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8]);
    for page in &pages {
        page.assert_calls(1);
    }
}

#[test]
fn the_top_level_help_lists_the_commands() {
    let help = run(cli().arg("--help"));
    assert_eq!((help.status, help.stderr.as_str()), (0, ""));
    for name in [
        "Commands:",
        "  list ",
        "  diff ",
        "  completions ",
        "  help ",
        "--verbose",
        "--color <WHEN>",
        "PARTOO_API_KEY",
        "--version",
        "Examples:",
        "Exit status:",
    ] {
        assert!(help.stdout.contains(name), "--help does not mention {name}");
    }
    assert_eq!(help.stdout.contains("  verify "), cfg!(feature = "verify"));
    // The commands' options are in their own help.
    assert!(!help.stdout.contains("--per-page"), "{}", help.stdout);
}

#[test]
fn list_help_names_every_option_of_the_contract_with_its_default_and_variable() {
    let help = run(cli().args(["list", "--help"]));
    assert_eq!((help.status, help.stderr.as_str()), (0, ""));
    for name in [
        "Usage: partoo-webhooks list [OPTIONS]",
        "--sandbox",
        "--base-url <URL>",
        "--org-id <N>",
        "--per-page <N>",
        "--page <N>",
        "--limit <N>",
        "--format <FORMAT>",
        "table",
        "jsonl",
        "json",
        "csv",
        "--timeout <SECS>",
        "--retries <N>",
        "--prefetch <N>",
        "--api-key-file <PATH>",
        "--ca-file <PATH>",
        "--verbose",
        "--color <WHEN>",
        "[env: PARTOO_BASE_URL]",
        "[env: SSL_CERT_FILE]",
        "PARTOO_API_KEY",
        "Examples:",
        "Exit status:",
    ] {
        assert!(
            help.stdout.contains(name),
            "list --help does not mention {name}"
        );
    }
    // Only list's.
    for other in ["--max-webhooks", "DESIRED.json", "--signature"] {
        assert!(!help.stdout.contains(other), "list --help mentions {other}");
    }
    // `-h` is the summary: one line per option, each saying its default.
    let short = run(cli().args(["list", "-h"]));
    let options: Vec<&str> = short
        .stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("--") || line.starts_with("  -v"))
        .collect();
    assert_eq!(options.len(), 14, "{}", short.stdout);
    for line in options {
        assert!(line.contains("[default: "), "no default: {line}");
    }
    let help_list = run(cli().args(["help", "list"]));
    assert_eq!((help_list.status, help_list.stdout), (0, help.stdout));
}

#[test]
fn version_prints_the_name_and_version() {
    let run = run(cli().arg("--version"));
    assert_eq!(run.status, 0);
    assert_eq!(
        run.stdout,
        format!("partoo-webhooks {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn an_unreadable_ssl_cert_file_does_not_stop_a_plain_http_listing() {
    // Over plain http there is no certificate to check: the variable, exported
    // for other tools, is not read.
    let server = MockServer::start();
    let only = mock_page(&server, 1, page(1, 1, 2, [1, 2]));
    let run = run(list(&server, &[]).env("SSL_CERT_FILE", "/nonexistent/ca.pem"));
    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(jsonl_ids(&run.stdout), [1, 2]);
    only.assert_calls(1);
}

/// A listing of server text that attacks its readers: ESC sequences, BEL,
/// the C1 CSI (U+009B), a right-to-left override (U+202E) and a zero width
/// space (U+200B) for a terminal; formula starts for a spreadsheet; a secret
/// in a query value.
fn hostile_listing(server: &MockServer) -> Mock<'_> {
    let items = json!([
        {
            "id": 1,
            "url": "https://hooks.example.com/\u{202e}gpj.exe\u{200b}/\u{9b}2J?key=9fa91de19&v=\u{1b}[2J",
            "event_type": "review\u{1b}[31m_created",
            "created_at": "2024-11-27\u{7}",
            "updated_at": "\t2024-11-28",
            "org_id": 7,
            "custom_headers": { "X-\u{202e}nekoT": "s3cret", "X-Env": "prod" },
        },
        {
            "id": 2,
            "url": "=HYPERLINK(\"https://evil.example\",\"x\")",
            "event_type": "@SUM(1+1)",
            "created_at": "+1",
            "updated_at": "-1",
            "org_id": 7,
        },
    ]);
    mock_page(
        server,
        1,
        json!({ "page": 1, "max_page": 1, "count": 2, "items": items }),
    )
}

#[test]
fn table_escapes_hostile_text_and_masks_query_values() {
    let server = MockServer::start();
    let mock = hostile_listing(&server);

    let run = run(&mut list(&server, &["--format", "table"]));

    assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
    assert_eq!(
        run.stdout,
        r#"ID  ORG  EVENT TYPE                CREATED AT       CUSTOM HEADERS         URL
 1    7  review\u{1b}[31m_created  2024-11-27\u{7}  X-Env,X-\u{202e}nekoT  https://hooks.example.com/\u{202e}gpj.exe\u{200b}/\u{9b}2J?key=***&v=***
 2    7  @SUM(1+1)                 +1               -                      =HYPERLINK("https://evil.example","x")
"#
    );
    assert!(!run.stdout.contains("9fa91de19"));
    mock.assert_calls(1);
}

#[test]
fn csv_cells_a_spreadsheet_would_compute_start_with_a_quote() {
    let server = MockServer::start();
    let mock = hostile_listing(&server);

    let run = run(&mut list(&server, &["--format", "csv"]));

    assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
    // Faithful otherwise: the query secret and every character as sent.
    assert_eq!(
        run.stdout,
        "id,url,event_type,created_at,updated_at,org_id,custom_headers\n\
         1,https://hooks.example.com/\u{202e}gpj.exe\u{200b}/\u{9b}2J?key=9fa91de19&v=\u{1b}[2J,\
         review\u{1b}[31m_created,2024-11-27\u{7},'\t2024-11-28,7,\
         \"{\"\"X-Env\"\":\"\"prod\"\",\"\"X-\u{202e}nekoT\"\":\"\"s3cret\"\"}\"\n\
         2,\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\",'@SUM(1+1),'+1,'-1,7,\n"
    );
    mock.assert_calls(1);
}

#[test]
fn jsonl_and_json_stay_faithful_exports_of_hostile_text() {
    let server = MockServer::start();
    let mock = hostile_listing(&server);
    // serde_json escapes C0 controls as JSON requires, and writes the rest as sent.
    let first = "{\"id\":1,\"url\":\"https://hooks.example.com/\u{202e}gpj.exe\u{200b}/\u{9b}2J\
                 ?key=9fa91de19&v=\\u001b[2J\",\"event_type\":\"review\\u001b[31m_created\",\
                 \"created_at\":\"2024-11-27\\u0007\",\"updated_at\":\"\\t2024-11-28\",\"org_id\":7,\
                 \"custom_headers\":{\"X-Env\":\"prod\",\"X-\u{202e}nekoT\":\"s3cret\"}}";
    let second = r#"{"id":2,"url":"=HYPERLINK(\"https://evil.example\",\"x\")","event_type":"@SUM(1+1)","created_at":"+1","updated_at":"-1","org_id":7}"#;

    let jsonl = run(&mut list(&server, &["--format", "jsonl"]));
    let json = run(&mut list(&server, &["--format", "json"]));

    assert_eq!(jsonl.status, 0, "{jsonl:#?}");
    assert_eq!(jsonl.stdout, format!("{first}\n{second}\n"));
    assert_eq!(json.status, 0, "{json:#?}");
    assert_eq!(json.stdout, format!("[\n{first},\n{second}\n]\n"));
    mock.assert_calls(2);
}

#[test]
fn a_hostile_error_message_reaches_standard_error_escaped() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH);
        then.status(403).json_body(json!({ "errors": {
            "authorization": "no\u{1b}[2J\u{7} \u{202e}olleh\u{200b}\u{9b}K\nnext\u{2028}line"
        }}));
    });

    let run = run(&mut list(&server, &["--retries", "0"]));

    assert_eq!((run.status, run.stdout.as_str()), (1, ""), "{run:#?}");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: forbidden (HTTP 403) on page 1: \
         no\\u{1b}[2J\\u{7} \\u{202e}olleh\\u{200b}\\u{9b}K next\\u{2028}line; \
         the key's user may not list these webhooks (a PROVIDER user's key needs --org-id)\n"
    );
    mock.assert_calls(1);
}

#[test]
fn version_and_help_also_work_after_a_command() {
    let version = format!("partoo-webhooks {}\n", env!("CARGO_PKG_VERSION"));
    let list_help = run(cli().args(["help", "list"])).stdout;
    let diff_help = run(cli().args(["help", "diff"])).stdout;
    assert!(list_help.starts_with("List "), "{list_help}");
    assert!(diff_help.starts_with("Compare "), "{diff_help}");
    for (args, expected) in [
        (&["list", "--version"][..], &version),
        (&["diff", "-V"], &version),
        (&["list", "--org-id", "7", "-V"], &version),
        (&["diff", "--help"], &diff_help),
        (&["list", "--org-id", "7", "--help"], &list_help),
    ] {
        let run = run(cli().args(args));

        assert_eq!(
            (run.status, &run.stdout),
            (0, expected),
            "{args:?}: {run:#?}"
        );
    }
}

#[test]
fn a_double_dash_ends_the_options_of_list() {
    let server = MockServer::start();
    let mock = mock_page(&server, 1, page(1, 1, 1, [1]));

    let alone = run(&mut list(&server, &["--"]));
    let then_an_option = run(&mut list(&server, &["--", "--limit"]));

    assert_eq!(
        (alone.status, alone.stdout.lines().count()),
        (0, 1),
        "{alone:#?}"
    );
    // After `--`, `--limit` is an argument, which list does not take.
    assert_eq!(then_an_option.status, 2, "{then_an_option:#?}");
    assert!(
        then_an_option
            .stderr
            .starts_with("partoo-webhooks: unexpected argument in position 5 (not shown"),
        "{then_an_option:#?}"
    );
    mock.assert_calls(1);
}

/// Case 2 of issue 18: `count` 300 over 3 pages, page 2 holding 50 of its
/// 100; `partoo-webhooks list` exited 0.
#[test]
fn a_listing_short_of_its_count_prints_everything_then_exits_1() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 3, 300, 1..=100)),
        mock_page(&server, 2, page(2, 3, 300, 101..=150)),
        mock_page(&server, 3, page(3, 3, 300, 201..=300)),
    ];
    let run = run(&mut list(&server, &["--format", "jsonl"]));
    assert_eq!(run.status, 1, "{}", run.stderr);
    let expected: Vec<u64> = (1..=150).chain(201..=300).collect();
    assert_eq!(jsonl_ids(&run.stdout), expected);
    assert_eq!(
        run.stderr,
        "partoo-webhooks: incomplete listing: 250 of 300 webhooks were listed (all printed); \
         the account may have changed during the listing: run the command again\n"
    );
    pages.iter().for_each(|mock| mock.assert_calls(1));
}

/// A build without the `verify` feature keeps the command's name, and
/// refuses it as a usage error that says why.
#[cfg(not(feature = "verify"))]
#[test]
fn without_the_verify_feature_verify_is_a_usage_error() {
    let run = run(cli().args(["verify", "--signature", "c2ln"]));

    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: this partoo-webhooks was built without the `verify` feature, \
         which the verify command needs\n\
         Try 'partoo-webhooks --help' for more information.\n"
    );
}

#[cfg(unix)]
#[test]
fn a_closed_standard_output_exits_1_with_a_message_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);

    for args in [&["--format", "jsonl"][..], &["--format", "table"][..]] {
        let run = run(&mut with_stdout_closed(&list(&server, args)));

        assert_eq!((run.status, run.stdout.as_str()), (1, ""), "{run:#?}");
        assert!(
            run.stderr
                .starts_with("partoo-webhooks: cannot write to standard output: "),
            "{run:#?}"
        );
    }
    let version = run(&mut with_stdout_closed(cli().arg("--version")));
    assert_eq!(version.status, 1, "{version:#?}");
    mock.assert_calls(0);
}

#[cfg(target_os = "linux")]
#[test]
fn a_failing_standard_output_exits_1_with_a_message() {
    let server = MockServer::start();
    let mock = mock_page(&server, 1, page(1, 1, 2, [1, 2]));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");

    let run = run(list(&server, &["--format", "jsonl"]).stdout(full));

    assert_eq!(run.status, 1, "{run:#?}");
    assert!(
        run.stderr
            .starts_with("partoo-webhooks: cannot write to standard output: "),
        "{run:#?}"
    );
    mock.assert_calls(1);
}

#[cfg(unix)]
#[test]
fn standard_output_sent_to_dev_null_is_a_success() {
    let server = MockServer::start();
    let mock = mock_page(&server, 1, page(1, 1, 2, [1, 2]));
    let null = std::fs::File::create("/dev/null").expect("/dev/null");

    let run = run(list(&server, &["--format", "jsonl"]).stdout(null));

    assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
    mock.assert_calls(1);
}

#[test]
fn table_masks_credentials_in_a_url_and_jsonl_keeps_them() {
    let server = MockServer::start();
    let mut item = webhook(1);
    item["url"] = json!("https://partoo:pa55-9c1f@hooks.example.com/1?key=9fa91");
    let mock = mock_page(
        &server,
        1,
        json!({ "page": 1, "max_page": 1, "count": 1, "items": [item] }),
    );

    let table = run(&mut list(&server, &["--format", "table"]));
    let jsonl = run(&mut list(&server, &["--format", "jsonl"]));

    assert_eq!(table.status, 0, "{table:#?}");
    assert!(!table.stdout.contains("pa55-9c1f"), "{table:#?}");
    assert!(
        table
            .stdout
            .contains("https://***@hooks.example.com/1?key=***"),
        "{table:#?}"
    );
    // An export stays faithful.
    assert!(jsonl.stdout.contains("partoo:pa55-9c1f@"), "{jsonl:#?}");
    mock.assert_calls(2);
}
