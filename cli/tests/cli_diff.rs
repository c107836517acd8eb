//! `partoo-webhooks diff DESIRED.json`, run as a CI job would against a mock
//! API: the lines printed for each kind of difference, the exit statuses, the
//! checks of the file before any request, and the listing made again when the
//! account changes under it. Every test counts the requests the server saw.
mod common;

use std::process::Command;

use common::cli::Run;
use common::temp::TempFile as DesiredFile;
use common::{any_request, KEY, PATH};
use httpmock::prelude::*;
use httpmock::Mock;
use serde_json::{json, Value};

/// The value of the live `X-Auth-Token` header, and of `$HOOK_TOKEN` when in sync.
const LIVE_TOKEN: &str = "live-token-4f1d";
/// A value that differs from the live one.
const NEW_TOKEN: &str = "new-token-9b2e";

/// A webhook of organization 7 as the API renders it.
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

/// The account of most tests: 1 `business_created`, and 2 `lead_received`
/// with an `X-Auth-Token` header.
fn account() -> Vec<Value> {
    let mut lead = item(2, "lead_received");
    lead["custom_headers"] = json!({ "X-Auth-Token": LIVE_TOKEN });
    vec![item(1, "business_created"), lead]
}

/// The desired-state file that matches [`account`] when `$HOOK_TOKEN` is [`LIVE_TOKEN`].
fn in_sync() -> Vec<Value> {
    vec![
        json!({ "org_id": 7, "event_type": "business_created", "url": "https://hooks.example.com/1" }),
        json!({ "org_id": 7, "event_type": "lead_received", "url": "https://hooks.example.com/2",
                "custom_headers": { "X-Auth-Token": "${HOOK_TOKEN}" } }),
    ]
}

/// Serves `items` as one page, to requests carrying the test key.
fn serve(server: &MockServer, items: Vec<Value>) -> Mock<'_> {
    let count = items.len();
    server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("page", "1")
            .header("x-apikey", KEY);
        then.status(200)
            .json_body(json!({ "page": 1, "max_page": 1, "count": count, "items": items }));
    })
}

/// Serves one page once, before any mock made after it: a step of an account
/// that changes.
fn once(server: &MockServer, page: u32, max_page: u32, items: Vec<Value>) -> Mock<'_> {
    let count = items.len() as u32 + (max_page - 1);
    page_mock(server, page, max_page, count, items, Some(1))
}

fn page_mock(
    server: &MockServer,
    page: u32,
    max_page: u32,
    count: u32,
    items: Vec<Value>,
    times: Option<usize>,
) -> Mock<'_> {
    server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("page", page.to_string())
            .header("x-apikey", KEY);
        let then = then.status(200).json_body(
            json!({ "page": page, "max_page": max_page, "count": count, "items": items }),
        );
        if let Some(times) = times {
            then.up_to_n_times(times);
        }
    })
}

/// The binary with the test key and `$HOOK_TOKEN` set to [`LIVE_TOKEN`].
fn cli() -> Command {
    let mut command = common::cli::cli();
    command.env("HOOK_TOKEN", LIVE_TOKEN);
    command
}

/// `partoo-webhooks diff --base-url <the mock> <args> <file>`.
fn diff(server: &MockServer, file: &DesiredFile, args: &[&str]) -> Command {
    let mut command = cli();
    command
        .args(["diff", "--base-url", &server.url("/v2")])
        .args(args)
        .arg(file.path());
    command
}

/// Runs the command to its end; in every test, neither a piece of the key
/// nor a header value may be in its output.
fn run(command: &mut Command) -> Run {
    let run = common::cli::run(command);
    for secret in [LIVE_TOKEN, NEW_TOKEN] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret} was printed: {run:#?}"
        );
    }
    run
}

impl DesiredFile {
    /// A desired-state file holding `webhooks`, in the temporary directory.
    fn json(name: &str, webhooks: &[Value]) -> DesiredFile {
        let contents = serde_json::to_string_pretty(webhooks).unwrap();
        DesiredFile::new(&format!("{name}.json"), contents)
    }
}

#[test]
fn in_sync_prints_nothing_and_exits_0() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let file = DesiredFile::json("in-sync", &in_sync());
    let run = run(&mut diff(&server, &file, &[]));
    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "no difference: 2 desired, 2 live\n");
    mock.assert_calls(1);
}

#[test]
fn a_desired_webhook_missing_from_the_account_is_a_plus_line_and_exits_3() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let mut desired = in_sync();
    desired.push(json!({ "org_id": 7, "event_type": "message_created",
        "url": "https://hooks.example.com/new", "custom_headers": { "X-Env": "prod" } }));
    let file = DesiredFile::json("create", &desired);
    let run = run(&mut diff(&server, &file, &[]));
    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "+ 7 message_created: url https://hooks.example.com/new; custom headers X-Env\n"
    );
    assert_eq!(
        run.stderr,
        "1 to create, 0 to update, 0 to delete: 3 desired, 2 live\n"
    );
    mock.assert_calls(1);
}

#[test]
fn a_live_webhook_not_desired_is_a_minus_line_with_its_id() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let file = DesiredFile::json("delete", &in_sync()[1..]);
    let run = run(&mut diff(&server, &file, &[]));
    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "- 7 business_created: id 1; url https://hooks.example.com/1\n"
    );
    assert_eq!(
        run.stderr,
        "0 to create, 0 to update, 1 to delete: 1 desired, 2 live\n"
    );
    mock.assert_calls(1);
}

#[test]
fn a_different_url_is_a_tilde_line_naming_both_urls() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let mut desired = in_sync();
    desired[0]["url"] = json!("https://hooks.example.com/v2/1");
    let file = DesiredFile::json("url", &desired);
    let run = run(&mut diff(&server, &file, &[]));
    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "~ 7 business_created: id 1; url https://hooks.example.com/1 -> https://hooks.example.com/v2/1\n"
    );
    assert_eq!(
        run.stderr,
        "0 to create, 1 to update, 0 to delete: 2 desired, 2 live\n"
    );
    mock.assert_calls(1);
}

#[test]
fn a_changed_header_value_is_named_and_never_printed_in_any_format() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let file = DesiredFile::json("header-value", &in_sync());
    // `run` fails the test if either token shows in the output.
    let text = run(diff(&server, &file, &[]).env("HOOK_TOKEN", NEW_TOKEN));
    assert_eq!(text.status, 3, "{text:#?}");
    assert_eq!(
        text.stdout,
        "~ 7 lead_received: id 2; custom header X-Auth-Token value differs\n"
    );
    let json = run(diff(&server, &file, &["--format", "json"]).env("HOOK_TOKEN", NEW_TOKEN));
    assert_eq!(json.status, 3, "{json:#?}");
    let plan: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        plan["updates"],
        json!([{ "id": 2, "org_id": 7, "event_type": "lead_received",
                 "custom_headers": { "added": [], "removed": [],
                                     "value_differs": ["X-Auth-Token"] } }])
    );
    mock.assert_calls(2);
}

#[test]
fn headers_added_and_removed_are_named() {
    let server = MockServer::start();
    let mut live = account();
    live[0]["custom_headers"] = json!({ "X-Old": LIVE_TOKEN });
    let mock = serve(&server, live);
    let mut desired = in_sync();
    desired[1]["custom_headers"]["X-New"] = json!(NEW_TOKEN);
    let file = DesiredFile::json("header-names", &desired);
    let run = run(&mut diff(&server, &file, &[]));
    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "~ 7 business_created: id 1; custom header X-Old removed\n\
         ~ 7 lead_received: id 2; custom header X-New added\n"
    );
    mock.assert_calls(1);
}

#[test]
fn two_live_webhooks_for_one_key_are_reported_as_such_not_merged() {
    let server = MockServer::start();
    let mut live = account();
    live.push(item(5, "lead_received"));
    let mock = serve(&server, live);
    let file = DesiredFile::json("conflict", &in_sync());
    let run = run(&mut diff(&server, &file, &[]));
    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "! 7 lead_received: ids 2, 5; 2 webhooks where Partoo allows one per organization \
         and event type; not compared with the desired one\n"
    );
    assert_eq!(
        run.stderr,
        "0 to create, 0 to update, 0 to delete, 1 with several webhooks for one organization \
         and event type: 2 desired, 3 live\n"
    );
    mock.assert_calls(1);
}

/// Also: `diff` only reads. A create, an update and a delete to show, and
/// whatever else reaches the server than the listing is counted.
#[test]
fn every_kind_of_difference_in_text_then_json() {
    let server = MockServer::start();
    let mut live = account();
    live.push(item(3, "message_updated"));
    let mock = serve(&server, live);
    let stray = any_request(&server);
    let mut desired = in_sync();
    desired[0]["url"] = json!("https://hooks.example.com/v2/1");
    desired.push(json!({ "org_id": 7, "event_type": "business_deleted",
                         "url": "https://hooks.example.com/new" }));
    let file = DesiredFile::json("every-kind", &desired);

    let text = run(&mut diff(&server, &file, &[]));
    assert_eq!(text.status, 3, "{text:#?}");
    assert_eq!(
        text.stdout,
        "~ 7 business_created: id 1; url https://hooks.example.com/1 -> https://hooks.example.com/v2/1\n\
         + 7 business_deleted: url https://hooks.example.com/new\n\
         - 7 message_updated: id 3; url https://hooks.example.com/3\n"
    );
    let json = run(&mut diff(&server, &file, &["--format", "json"]));
    assert_eq!(json.status, 3, "{json:#?}");
    assert_eq!(json.stderr, text.stderr);
    let plan: Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(
        plan,
        json!({
            "creates": [{ "org_id": 7, "event_type": "business_deleted",
                          "url": "https://hooks.example.com/new", "custom_headers": [] }],
            "updates": [{ "id": 1, "org_id": 7, "event_type": "business_created",
                          "url": { "live": "https://hooks.example.com/1",
                                   "desired": "https://hooks.example.com/v2/1" } }],
            "deletes": [{ "id": 3, "org_id": 7, "event_type": "message_updated",
                          "url": "https://hooks.example.com/3" }],
            "conflicts": [],
        })
    );
    mock.assert_calls(2);
    stray.assert_calls(0);
}

#[test]
fn org_id_lists_that_organization_and_takes_its_entries() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH)
            .query_param("org_id", "7")
            .query_param("page", "1");
        then.status(200)
            .json_body(json!({ "page": 1, "max_page": 1, "count": 2, "items": account() }));
    });
    let file = DesiredFile::json("org-id", &in_sync());
    let run = run(&mut diff(&server, &file, &["--org-id", "7"]));
    assert_eq!((run.status, run.stdout.as_str()), (0, ""), "{run:#?}");
    mock.assert_calls(1);
}

#[test]
fn a_webhook_created_between_two_pages_is_compared_after_the_change() {
    let server = MockServer::start();
    // Webhook 3 is created after page 1 of the first listing was read; the API
    // lists it first, so webhook 1 shifts onto page 2. Without listing again,
    // webhook 3 would be missed and the account would seem in sync.
    let new = item(3, "message_created");
    let before = once(&server, 1, 2, vec![item(1, "business_created")]);
    let after: Vec<Mock> = [new, item(1, "business_created"), account()[1].clone()]
        .into_iter()
        .enumerate()
        .map(|(i, webhook)| page_mock(&server, i as u32 + 1, 3, 3, vec![webhook], None))
        .collect();
    let file = DesiredFile::json("created-between-pages", &in_sync());
    let run = run(&mut diff(&server, &file, &["--per-page", "1"]));
    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "- 7 message_created: id 3; url https://hooks.example.com/3\n"
    );
    assert_eq!(
        run.stderr,
        "0 to create, 0 to update, 1 to delete: 2 desired, 3 live\n"
    );
    // The first listing stops at page 2, whose count differs; the second and
    // the third are whole, and agree.
    let calls: Vec<usize> = std::iter::once(&before)
        .chain(&after)
        .map(Mock::calls)
        .collect();
    assert_eq!(calls, [1, 2, 3, 2]);
}

#[test]
fn an_account_that_changes_on_every_request_exits_1_after_three_listings() {
    let server = MockServer::start();
    let mocks: Vec<Mock> = (0..10u32)
        .flat_map(|pass| {
            let count = 10 + 2 * pass;
            [
                page_mock(&server, 1, 2, count, account(), Some(1)),
                page_mock(
                    &server,
                    2,
                    2,
                    count + 1,
                    vec![item(9, "lead_received")],
                    Some(1),
                ),
            ]
        })
        .collect();
    let file = DesiredFile::json("always-changing", &in_sync());
    let run = run(&mut diff(&server, &file, &["--per-page", "2"]));
    assert_eq!(run.status, 1, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: no consistent snapshot: no two consecutive listings of 3 agreed \
         (the account kept changing); try again when the webhooks are not being changed\n"
    );
    let requests: usize = mocks.iter().map(Mock::calls).sum();
    assert_eq!(requests, 6, "two pages per listing, three listings");
}

#[test]
fn an_api_failure_exits_1_with_nothing_on_stdout() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.path(PATH);
        then.status(401)
            .json_body(json!({ "errors": { "authentication": "User not authenticated" } }));
    });
    let file = DesiredFile::json("unauthorized", &in_sync());
    let run = run(&mut diff(&server, &file, &["--retries", "0"]));
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
fn every_file_error_exits_2_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let object = |org_id: u64, url: &str, extra: &str| {
        format!(r#"{{"org_id": {org_id}, "event_type": "lead_received", "url": "{url}"{extra}}}"#)
    };
    let entry = |extra: &str| format!("[{}]", object(7, "https://h/1", extra));
    let reserved = entry(r#", "custom_headers": {"X-Partoo-Id": "${HOOK_TOKEN}"}"#);
    let unset = entry(r#", "custom_headers": {"X-Auth-Token": "${PARTOO_TEST_UNSET_TOKEN}"}"#);
    let empty = entry(r#", "custom_headers": {"X-Auth-Token": "${EMPTY_TOKEN}"}"#);
    let twice = entry(r#", "custom_headers": {"X-A": "1", "X-a": "2"}"#);
    let duplicate = format!(
        "[{}, {}, {}]",
        object(7, "https://h/1", ""),
        object(8, "https://h/2", ""),
        object(7, "https://h/3", "")
    );
    let cases: [(&str, String, &[&str], &str); 10] = [
        (
            // serde quotes the string it could not use: here a header's secret.
            "headers-as-a-string",
            entry(r#", "custom_headers": "X-Auth: s3cret-41f""#),
            &[],
            "invalid desired-state file: invalid type: string, expected an object of header \
             names to string values at line 1 column 106",
        ),
        (
            "syntax",
            "[\n  {\"org_id\": 7,\n   \"url\" \"https://h\"}\n]".to_owned(),
            &[],
            "invalid desired-state file: expected `:` at line 3 column 10",
        ),
        (
            "unknown-field",
            entry(r#", "uri": "https://h/1""#),
            &[],
            "invalid desired-state file: unknown field `uri`, expected one of `org_id`, \
             `event_type`, `url`, `custom_headers` at line 1 column 73",
        ),
        (
            "header-rule",
            reserved,
            &[],
            "invalid desired-state file: entry 1 (org 7, lead_received): its custom headers \
             break a rule of the API: custom header \"X-Partoo-Id\" uses the reserved prefix \
             \"X-Partoo\"",
        ),
        (
            "http",
            entry("").replace("https://", "http://"),
            &[],
            "invalid desired-state file: entry 1 (org 7, lead_received): the url must start \
             with https://",
        ),
        (
            "duplicate",
            duplicate,
            &[],
            "invalid desired-state file: entries 1 and 3 are both for org 7 and lead_received; \
             Partoo allows one webhook per organization and event type",
        ),
        (
            "unset",
            unset,
            &[],
            "invalid desired-state file: entry 1 (org 7, lead_received): custom header \
             X-Auth-Token uses the environment variable PARTOO_TEST_UNSET_TOKEN, which \
             is not set",
        ),
        (
            "empty",
            empty,
            &[],
            "invalid desired-state file: entry 1 (org 7, lead_received): custom header \
             X-Auth-Token uses the environment variable EMPTY_TOKEN, which is empty",
        ),
        (
            "twice",
            twice,
            &[],
            "invalid desired-state file: entry 1 (org 7, lead_received): its custom headers \
             break a rule of the API: custom header \"X-a\" is given twice",
        ),
        (
            "other-org",
            entry(""),
            &["--org-id", "8"],
            "invalid desired-state file: entry 1 (org 7, lead_received) is not for \
             organization 8; with --org-id, every entry must be for that organization",
        ),
    ];
    for (name, contents, args, message) in cases {
        let file = DesiredFile::new(&format!("{name}.json"), &contents);
        let run = run(diff(&server, &file, args).env("EMPTY_TOKEN", ""));
        assert_eq!(run.status, 2, "{name}: {run:#?}");
        assert_eq!(run.stdout, "", "{name}");
        assert_eq!(
            run.stderr,
            format!("partoo-webhooks: {message}\n"),
            "{name}"
        );
    }
    mock.assert_calls(0);
}

#[test]
fn usage_errors_exit_2_before_any_request_without_repeating_arguments() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let file = DesiredFile::json("usage", &in_sync());
    let url = server.url("/v2");
    let path = file.arg();
    let pasted = "pasted-secret-6d0a";
    let cases: [(Vec<&str>, &str); 5] = [
        (vec!["diff", "--base-url", &url], "missing <DESIRED.json>"),
        (
            vec!["diff", "--base-url", &url, path, pasted],
            "unexpected argument in position 5 (not shown, in case it is a secret)",
        ),
        (
            vec!["diff", "--base-url", &url, "--format", pasted, path],
            "invalid --format: expected text or json",
        ),
        (
            vec!["diff", "--base-url", &url, "--sandbox", path],
            "--base-url and --sandbox cannot be used together",
        ),
        (
            vec!["diff", "--base-url", &url, "--per-page", "0", path],
            "invalid --per-page: expected between 1 and 100",
        ),
    ];
    for (args, message) in cases {
        let run = run(cli().args(&args));
        assert_eq!(run.status, 2, "{args:?}: {run:#?}");
        assert!(
            run.stderr
                .starts_with(&format!("partoo-webhooks: {message}\n")),
            "{args:?}: {run:#?}"
        );
        assert!(
            run.stderr.ends_with("--help' for more information.\n"),
            "{args:?}: {run:#?}"
        );
        assert!(!run.stderr.contains(pasted));
    }
    let missing = std::env::temp_dir().join(format!("{pasted}-{}", std::process::id()));
    let run = run(cli().args(["diff", "--base-url", &url]).arg(&missing));
    assert_eq!(run.status, 2, "{run:#?}");
    assert!(
        run.stderr
            .starts_with("partoo-webhooks: cannot read the desired-state file: "),
        "{run:#?}"
    );
    assert!(
        !run.stderr.contains(pasted),
        "the path was repeated: {run:#?}"
    );
    mock.assert_calls(0);
}

#[test]
fn help_documents_diff_its_file_and_its_exit_statuses() {
    let help = run(cli().args(["diff", "--help"]));
    assert_eq!((help.status, help.stderr.as_str()), (0, ""));
    for text in [
        "Usage: partoo-webhooks diff [OPTIONS] <DESIRED.json>",
        "--sandbox",
        "--base-url",
        "--org-id",
        "--per-page",
        "--timeout",
        "--retries",
        "--api-key-file",
        "--max-webhooks <N>",
        "text",
        "json",
        "${NAME}",
        "custom_headers",
        "Examples:",
        "0 no difference, 3 differences",
    ] {
        assert!(
            help.stdout.contains(text),
            "diff --help does not mention {text}"
        );
    }
    // Only diff's.
    assert!(!help.stdout.contains("--prefetch"), "{}", help.stdout);
    let help_diff = run(cli().args(["help", "diff"]));
    assert_eq!((help_diff.status, help_diff.stdout), (0, help.stdout));
}

/// The secrets of a webhook URL as Partoo's security guide suggests them: in
/// the path, and in the query.
const PATH_SECRET: &str = "9fa91de19";
const QUERY_SECRET: &str = "k3y-7c1e0";
/// A value of `$HOOK_PATH_SECRET` that differs from the live one.
const ROTATED_SECRET: &str = "rotated-51de";

/// The account of [`account`], its `lead_received` URL holding both secrets.
fn account_with_url_secrets() -> Vec<Value> {
    let mut live = account();
    live[1]["url"] = json!(format!(
        "https://hooks.example.com/partoo/{PATH_SECRET}/lead?key={QUERY_SECRET}"
    ));
    live
}

/// [`in_sync`] with the `lead_received` URL read from the environment.
fn desired_with_url_secrets() -> Vec<Value> {
    let mut desired = in_sync();
    desired[1]["url"] =
        json!("https://hooks.example.com/partoo/${HOOK_PATH_SECRET}/lead?key=${HOOK_QUERY_SECRET}");
    desired
}

/// [`run`], also failing if any URL secret was printed.
fn run_hiding_url_secrets(command: &mut Command) -> Run {
    let run = run(command);
    for secret in [PATH_SECRET, QUERY_SECRET, ROTATED_SECRET] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret} was printed: {run:#?}"
        );
    }
    run
}

#[test]
fn secrets_in_a_url_are_read_from_the_environment_and_in_sync_exit_0() {
    let server = MockServer::start();
    let mock = serve(&server, account_with_url_secrets());
    let file = DesiredFile::json("url-secrets-in-sync", &desired_with_url_secrets());

    let run = run_hiding_url_secrets(
        diff(&server, &file, &[])
            .env("HOOK_PATH_SECRET", PATH_SECRET)
            .env("HOOK_QUERY_SECRET", QUERY_SECRET),
    );

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "no difference: 2 desired, 2 live\n");
    mock.assert_calls(1);
}

/// A secret of one letter is masked in every value, as CI systems mask
/// theirs; the JSON's keys, the tool's own names, stay whole and parse.
#[test]
fn a_short_secret_masks_values_but_leaves_the_json_keys_whole() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let mut desired = in_sync();
    desired.push(json!({ "org_id": 7, "event_type": "message_created",
                         "url": "https://hooks.example.com/${SHORT_SECRET}" }));
    let file = DesiredFile::json("short-secret", &desired);

    let run = run(diff(&server, &file, &["--format", "json"]).env("SHORT_SECRET", "e"));

    assert_eq!(run.status, 3, "{run:#?}");
    let plan: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let create = &plan["creates"][0];
    assert_eq!(create["event_type"], "m***ssag***_cr***at***d", "{plan:#}");
    assert_eq!(create["url"], Value::Null, "{plan:#}");
    for key in ["updates", "deletes", "conflicts"] {
        assert_eq!(plan[key], json!([]), "{plan:#}");
    }
    mock.assert_calls(1);
}

#[test]
fn a_url_with_secrets_that_differs_exits_3_printing_neither_url() {
    let server = MockServer::start();
    let mock = serve(&server, account_with_url_secrets());
    let mut desired = desired_with_url_secrets();
    desired.push(json!({ "org_id": 7, "event_type": "message_created",
                         "url": "https://hooks.example.com/partoo/${HOOK_PATH_SECRET}/messages" }));
    let file = DesiredFile::json("url-secrets-differ", &desired);
    let diff = |format: &str| {
        let mut command = diff(&server, &file, &["--format", format]);
        command
            .env("HOOK_PATH_SECRET", ROTATED_SECRET)
            .env("HOOK_QUERY_SECRET", QUERY_SECRET);
        command
    };

    let text = run_hiding_url_secrets(&mut diff("text"));
    let json = run_hiding_url_secrets(&mut diff("json"));

    assert_eq!(text.status, 3, "{text:#?}");
    assert_eq!(
        text.stdout,
        "~ 7 lead_received: id 2; url differs (secret, not shown)\n\
         + 7 message_created: url (secret, not shown)\n"
    );
    assert_eq!(
        text.stderr,
        "1 to create, 1 to update, 0 to delete: 3 desired, 2 live\n"
    );
    assert_eq!(json.status, 3, "{json:#?}");
    assert_eq!(
        json.stdout,
        r#"{
  "creates": [
    {
      "org_id": 7,
      "event_type": "message_created",
      "url": null,
      "custom_headers": []
    }
  ],
  "updates": [
    {
      "id": 2,
      "org_id": 7,
      "event_type": "lead_received",
      "url": {
        "live": null,
        "desired": null
      }
    }
  ],
  "deletes": [],
  "conflicts": []
}
"#
    );
    mock.assert_calls(2);
}

#[test]
fn an_unset_variable_in_a_url_exits_2_naming_it_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let mut desired = in_sync();
    desired[1]["url"] =
        json!("https://hooks.example.com/${HOOK_PATH_SECRET}/${PARTOO_TEST_UNSET_SECRET}");
    let file = DesiredFile::json("url-unset", &desired);

    let run = run(diff(&server, &file, &[]).env("HOOK_PATH_SECRET", PATH_SECRET));

    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: invalid desired-state file: entry 2 (org 7, lead_received): the url \
         uses the environment variable PARTOO_TEST_UNSET_SECRET, which is not set\n"
    );
    mock.assert_calls(0);
}

#[test]
fn a_url_that_differs_only_in_its_credentials_says_so_without_showing_them() {
    let server = MockServer::start();
    let mut live = item(1, "business_created");
    live["url"] = json!("https://hook:old-pw-5e1@hooks.example.com/1");
    let mock = serve(&server, vec![live]);
    let desired = [json!({ "org_id": 7, "event_type": "business_created",
                           "url": "https://hook:new-pw-7c3@hooks.example.com/1" })];
    let file = DesiredFile::json("credentials", &desired);

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "~ 7 business_created: id 1; url https://***@hooks.example.com/1 -> \
         https://***@hooks.example.com/1 (in a part shown as ***)\n"
    );
    assert!(!run.stderr.contains("-pw-"), "{run:#?}");
    mock.assert_calls(1);
}

#[test]
fn diff_text_and_json_escape_hostile_text_and_mask_query_values() {
    let server = MockServer::start();
    let mut lead = item(2, "lead_received");
    lead["url"] = json!("https://hooks.example.com/2?key=live-9fa91");
    lead["custom_headers"] = json!({ "X-\u{202e}nekoT": LIVE_TOKEN });
    let mut hostile = item(3, "review\u{1b}[31m_created");
    hostile["url"] =
        json!("https://hooks.example.com/\u{202e}gpj.exe\u{200b}\u{9b}2J\u{7}?key=9fa91");
    let mock = serve(&server, vec![item(1, "business_created"), lead, hostile]);
    let mut desired = in_sync();
    desired[1] = json!({ "org_id": 7, "event_type": "lead_received",
                         "url": "https://hooks.example.com/2?key=new-9fa91" });
    let file = DesiredFile::json("hostile", &desired);

    let text = run(&mut diff(&server, &file, &[]));
    let json = run(&mut diff(&server, &file, &["--format", "json"]));

    assert_eq!(text.status, 3, "{text:#?}");
    assert_eq!(
        text.stdout,
        "~ 7 lead_received: id 2; url https://hooks.example.com/2?key=*** -> \
         https://hooks.example.com/2?key=*** (in a part shown as ***); custom header \
         X-\\u{202e}nekoT removed\n\
         - 7 review\\u{1b}[31m_created: id 3; url \
         https://hooks.example.com/\\u{202e}gpj.exe\\u{200b}\\u{9b}2J\\u{7}?key=***\n"
    );
    assert_eq!(json.status, 3, "{json:#?}");
    assert_eq!(
        json.stdout,
        r#"{
  "creates": [],
  "updates": [
    {
      "id": 2,
      "org_id": 7,
      "event_type": "lead_received",
      "url": {
        "live": "https://hooks.example.com/2?key=***",
        "desired": "https://hooks.example.com/2?key=***"
      },
      "custom_headers": {
        "added": [],
        "removed": [
          "X-\u202enekoT"
        ],
        "value_differs": []
      }
    }
  ],
  "deletes": [
    {
      "id": 3,
      "org_id": 7,
      "event_type": "review\u001b[31m_created",
      "url": "https://hooks.example.com/\u202egpj.exe\u200b\u009b2J\u0007?key=***"
    }
  ],
  "conflicts": []
}
"#
    );
    // JSON's escapes parse back to the server's text.
    let plan: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["deletes"][0]["event_type"], "review\u{1b}[31m_created");
    for run in [&text, &json] {
        assert!(!run.stdout.contains("9fa91"), "{run:#?}");
    }
    mock.assert_calls(2);
}

#[test]
fn a_desired_header_name_that_is_not_an_http_token_exits_2_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let mut desired = in_sync();
    desired[1]["custom_headers"] = json!({ "X-Auth\u{200b}-Token": "${HOOK_TOKEN}" });
    let file = DesiredFile::json("not-a-token", &desired);

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: invalid desired-state file: entry 2 (org 7, lead_received): its \
         custom headers break a rule of the API: custom header name \"X-Auth\\u{200b}-Token\" \
         contains '\\u{200b}', which HTTP does not allow in a header name (only letters, \
         digits and !#$%&'*+-.^_`|~)\n"
    );
    mock.assert_calls(0);
}

#[test]
fn a_dash_reads_the_desired_state_from_standard_input() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let file = DesiredFile::json("stdin", &in_sync());
    let stdin = std::fs::File::open(file.path()).unwrap();

    let run = run(cli()
        .args(["diff", "--base-url", &server.url("/v2"), "-"])
        .stdin(stdin));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stderr, "no difference: 2 desired, 2 live\n");
    mock.assert_calls(1);
}

#[test]
fn a_double_dash_lets_the_desired_file_name_start_with_a_dash() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let name = format!("-partoo-cli-diff-{}-dash.json", std::process::id());
    let _file = DesiredFile::named(&name, serde_json::to_string(&in_sync()).unwrap());
    let dir = std::env::temp_dir();
    let url = server.url("/v2");

    let ended = run(cli()
        .current_dir(&dir)
        .args(["diff", "--base-url", &url, "--", &name]));
    let not_ended = run(cli()
        .current_dir(&dir)
        .args(["diff", "--base-url", &url, &name]));

    assert_eq!(ended.status, 0, "{ended:#?}");
    assert_eq!(ended.stderr, "no difference: 2 desired, 2 live\n");
    assert_eq!(not_ended.status, 2, "{not_ended:#?}");
    // Read as the short option -p, which diff does not have.
    assert!(
        not_ended
            .stderr
            .starts_with("partoo-webhooks: unknown option '-p'\n"),
        "{not_ended:#?}"
    );
    mock.assert_calls(1);
}

/// Case 3 of issue 18: a server claiming `count` 10^12 with fresh ids;
/// `partoo-webhooks diff` grew without bound.
#[test]
fn an_account_announcing_more_than_max_webhooks_exits_1_naming_the_limit_and_the_flag() {
    for (args, count, limit) in [
        (&[][..], 1_000_000_000_000u64, 100_000),
        (&["--max-webhooks", "1"][..], 2, 1),
    ] {
        let server = MockServer::start();
        let huge = server.mock(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param("page", "1")
                .header("x-apikey", KEY);
            then.status(200)
                .json_body(json!({ "page": 1, "max_page": 2, "count": count, "items": account() }));
        });
        let stray = any_request(&server);
        let file = DesiredFile::json("too-many", &in_sync());
        let run = run(&mut diff(&server, &file, args));
        assert_eq!(run.status, 1, "{run:#?}");
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            format!(
                "partoo-webhooks: page 1 announces {count} items, more than the limit of \
                 {limit} a snapshot may hold; if the account really holds that many, raise \
                 the limit with --max-webhooks N\n"
            ),
            "{args:?}"
        );
        huge.assert_calls(1);
        stray.assert_calls(0);
    }
}

#[test]
fn max_webhooks_lets_a_larger_account_be_compared() {
    let server = MockServer::start();
    let mock = serve(&server, account());
    let file = DesiredFile::json("max-webhooks", &in_sync());
    let run = run(&mut diff(&server, &file, &["--max-webhooks", "2"]));
    assert_eq!((run.status, run.stdout.as_str()), (0, ""), "{run:#?}");
    mock.assert_calls(1);
    let help = common::cli::run(cli().args(["diff", "--help"]));
    assert!(
        help.stdout.contains("--max-webhooks <N>"),
        "{}",
        help.stdout
    );
}

#[test]
fn max_webhooks_must_be_a_number() {
    let server = MockServer::start();
    let stray = any_request(&server);
    let file = DesiredFile::json("max-webhooks-bad", &in_sync());
    let run = run(&mut diff(&server, &file, &["--max-webhooks", "many"]));
    assert_eq!(run.status, 2, "{run:#?}");
    assert!(
        run.stderr
            .contains("invalid --max-webhooks: expected a whole number"),
        "{}",
        run.stderr
    );
    stray.assert_calls(0);
}

#[test]
fn text_lines_come_by_organization_event_type_then_kind() {
    let server = MockServer::start();
    let webhook = |id: u64, org_id: u64, event_type: &str| {
        let mut item = item(id, event_type);
        item["org_id"] = json!(org_id);
        item
    };
    let live = vec![
        webhook(1, 8, "message_created"),
        webhook(2, 7, "message_updated"),
        webhook(3, 7, "lead_received"),
        webhook(4, 8, "lead_received"),
        webhook(5, 7, "business_created"),
        webhook(6, 7, "lead_received"),
        webhook(7, 8, "message_created"),
        webhook(8, 7, "aaa_unknown_type"),
        webhook(9, 8, "business_updated"),
    ];
    let mock = serve(&server, live);
    let entry = |org_id: u64, event_type: &str, url: &str| json!({ "org_id": org_id, "event_type": event_type, "url": url });
    let desired = vec![
        entry(8, "business_created", "https://hooks.example.com/new-8"),
        entry(7, "lead_received", "https://hooks.example.com/3"),
        entry(8, "business_updated", "https://hooks.example.com/9"),
        entry(7, "business_created", "https://hooks.example.com/v2/5"),
        entry(7, "business_deleted", "https://hooks.example.com/new-7"),
    ];
    let file = DesiredFile::json("changes-order", &desired);

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!(run.status, 3, "{run:#?}");
    let printed: Vec<(char, u64, String)> = run
        .stdout
        .lines()
        .map(|line| {
            let mut words = line.split(' ');
            let sign = words.next().unwrap().parse().unwrap();
            let org_id = words.next().unwrap().parse().unwrap();
            let event_type = words.next().unwrap().trim_end_matches(':').to_owned();
            (sign, org_id, event_type)
        })
        .collect();
    let change = |sign, org_id, event_type: &str| (sign, org_id, event_type.to_owned());
    assert_eq!(
        printed,
        [
            change('-', 7, "aaa_unknown_type"),
            change('~', 7, "business_created"),
            change('+', 7, "business_deleted"),
            change('!', 7, "lead_received"),
            change('-', 7, "message_updated"),
            change('+', 8, "business_created"),
            change('-', 8, "lead_received"),
            change('!', 8, "message_created"),
        ]
    );
    mock.assert_calls(1);
}

/// A desired-state file of `n` distinct entries, one per organization and
/// event type, then `extra`.
fn large_file(name: &str, n: u64, extra: &str) -> DesiredFile {
    const TYPES: [&str; 6] = [
        "business_created",
        "business_updated",
        "business_deleted",
        "message_created",
        "message_updated",
        "lead_received",
    ];
    let mut text = String::from("[\n");
    for i in 0..n {
        text += &format!(
            "{{\"org_id\": {}, \"event_type\": \"{}\", \"url\": \"https://hooks.example.com/{i}\"}},\n",
            i / 6,
            TYPES[(i % 6) as usize]
        );
    }
    text += extra;
    text += "]\n";
    DesiredFile::new(&format!("{name}.json"), text)
}

#[test]
fn a_150000_entry_file_is_checked_whole_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let duplicate =
        r#"{"org_id": 3, "event_type": "message_created", "url": "https://hooks.example.com/x"}"#;
    let file = large_file("large", 150_000, duplicate);

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert_eq!(
        run.stderr,
        "partoo-webhooks: invalid desired-state file: entries 22 and 150001 are both for org 3 \
         and message_created; Partoo allows one webhook per organization and event type\n"
    );
    mock.assert_calls(0);
}

#[test]
fn a_file_over_the_limit_is_refused_as_too_large_naming_the_limit() {
    let server = MockServer::start();
    let mock = any_request(&server);
    // Valid JSON all along: only its size is wrong.
    let padding = " ".repeat(16 * 1024 * 1024);
    let file = DesiredFile::new("too-large.json", format!("[{padding}]"));

    let from_file = run(&mut diff(&server, &file, &[]));
    let from_stdin = common::cli::run_with_input(
        cli().args(["diff", "--base-url", &server.url("/v2"), "-"]),
        format!("[{padding}]").as_bytes(),
    );

    for run in [from_file, from_stdin] {
        assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
        assert!(
            run.stderr
                .starts_with("partoo-webhooks: the desired-state file")
                && run.stderr.contains("is larger than 16 MiB"),
            "{run:#?}"
        );
    }
    mock.assert_calls(0);
}

#[test]
fn a_value_from_the_environment_is_masked_in_every_webhook_text_and_json() {
    let server = MockServer::start();
    // The account holds $HOOK_TOKEN's value in the URLs of webhooks that do
    // not declare it: one to update, one to delete.
    let mut live = account();
    live[0]["url"] = json!(format!("https://hooks.example.com/{LIVE_TOKEN}/1"));
    let mut other = item(3, "message_updated");
    other["url"] = json!(format!("https://hooks.example.com/3?k=1&{LIVE_TOKEN}"));
    other["custom_headers"] = json!({ format!("X-{LIVE_TOKEN}"): "v" });
    live.push(other);
    let mock = serve(&server, live);
    let file = DesiredFile::json("env-secret-elsewhere", &in_sync());

    // `run` fails if LIVE_TOKEN, the value of $HOOK_TOKEN, is printed.
    let text = run(&mut diff(&server, &file, &[]));
    let json = run(&mut diff(&server, &file, &["--format", "json"]));

    assert_eq!(text.status, 3, "{text:#?}");
    assert_eq!(
        text.stdout,
        "~ 7 business_created: id 1; url https://hooks.example.com/***/1 -> \
         https://hooks.example.com/1\n\
         - 7 message_updated: id 3; url https://hooks.example.com/3?k=***&***\n"
    );
    assert_eq!(json.status, 3, "{json:#?}");
    let plan: Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(
        plan["updates"][0]["url"]["live"],
        "https://hooks.example.com/***/1"
    );
    mock.assert_calls(2);
}

#[test]
fn a_value_from_the_environment_is_masked_in_messages() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET).path(PATH);
        then.status(401).json_body(
            json!({ "errors": { "authentication": format!("unknown token {LIVE_TOKEN}") } }),
        );
    });
    let file = DesiredFile::json("env-secret-message", &in_sync());

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!((run.status, run.stdout.as_str()), (1, ""), "{run:#?}");
    assert!(run.stderr.contains("unknown token ***"), "{run:#?}");
    mock.assert_calls(1);
}

#[test]
fn credentials_in_a_url_are_masked_in_text_and_json() {
    let server = MockServer::start();
    let mut live = account();
    let mut other = item(3, "message_updated");
    other["url"] = json!("https://partoo:pa55-9c1f@hooks.example.com/3?key=9fa91");
    live.push(other);
    let mock = serve(&server, live);
    let file = DesiredFile::json("credentials", &in_sync());

    let text = run(&mut diff(&server, &file, &[]));
    let json = run(&mut diff(&server, &file, &["--format", "json"]));

    for run in [&text, &json] {
        assert_eq!(run.status, 3, "{run:#?}");
        assert!(!run.stdout.contains("pa55-9c1f"), "{run:#?}");
    }
    assert_eq!(
        text.stdout,
        "- 7 message_updated: id 3; url https://***@hooks.example.com/3?key=***\n"
    );
    let plan: Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(
        plan["deletes"][0]["url"],
        "https://***@hooks.example.com/3?key=***"
    );
    mock.assert_calls(2);
}

/// [`account`], and webhooks of organizations 8 and 9 that the file of
/// [`in_sync`] does not name.
fn account_of_three_organizations() -> Vec<Value> {
    let mut live = account();
    for (id, org_id) in [(8, 8), (9, 9), (10, 9)] {
        let mut other = item(id, "lead_received");
        other["org_id"] = json!(org_id);
        live.push(other);
    }
    live
}

#[test]
fn webhooks_of_organizations_the_file_does_not_name_are_not_deletes() {
    let server = MockServer::start();
    let mock = serve(&server, account_of_three_organizations());
    let file = DesiredFile::json("only-org-7", &in_sync());

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!((run.status, run.stdout.as_str()), (0, ""), "{run:#?}");
    assert_eq!(
        run.stderr,
        "no difference: 2 desired, 5 live, 3 not managed\n"
    );
    mock.assert_calls(1);
}

#[test]
fn organizations_listed_in_the_file_are_managed_even_without_entries() {
    let server = MockServer::start();
    let mock = serve(&server, account_of_three_organizations());
    let file = DesiredFile::new(
        "managed-orgs.json",
        json!({ "organizations": [7, 8], "webhooks": in_sync() }).to_string(),
    );

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(
        run.stdout,
        "- 8 lead_received: id 8; url https://hooks.example.com/8\n"
    );
    assert_eq!(
        run.stderr,
        "0 to create, 0 to update, 1 to delete: 2 desired, 5 live, 2 not managed\n"
    );
    mock.assert_calls(1);
}

#[test]
fn the_object_form_refuses_unknown_fields_before_any_request() {
    let server = MockServer::start();
    let mock = any_request(&server);
    let file = DesiredFile::new(
        "managed-typo.json",
        json!({ "organisations": [7], "webhooks": in_sync() }).to_string(),
    );

    let run = run(&mut diff(&server, &file, &[]));

    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert!(
        run.stderr.starts_with(
            "partoo-webhooks: invalid desired-state file: unknown field `organisations`"
        ),
        "{run:#?}"
    );
    mock.assert_calls(0);
}
