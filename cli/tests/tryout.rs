//! `tryout` against the stateful fake of Partoo: one `POST /webhooks/tryout`
//! per chosen webhook, its URL resolved, its body Partoo's (url and
//! event_type), one line each, and no secret printed.

mod common;

#[path = "../../examples/demo/fake.rs"]
mod fake;

use std::process::Command;

use common::cli::{cli, run, with_stdout_closed, Run};
use common::temp::TempFile;
use common::KEY;
use fake::{FakePartoo, Fault};
use serde_json::{json, Value};

const PATH_SECRET: &str = "path-51b7c2d9e0";
const TOKEN: &str = "tok-a83f0e6d17";
const TRYOUT: &str = "POST /v2/webhooks/tryout?org_id=7";

fn declared() -> TempFile {
    let desired = json!([
        {
            "org_id": 7, "event_type": "lead_received",
            "url": "https://crm.example.com/leads",
            "custom_headers": { "X-Auth-Token": "${HOOK_TOKEN}" }
        },
        {
            "org_id": 7, "event_type": "message_created",
            "url": "https://crm.example.com/${HOOK_PATH}/messages"
        },
    ]);
    TempFile::new(
        &format!(
            "tryout-{}.json",
            std::thread::current()
                .name()
                .unwrap_or("x")
                .replace("::", "-")
        ),
        desired.to_string(),
    )
}

fn tryout(fake: &FakePartoo, file: &TempFile, args: &[&str]) -> Command {
    tryout_at(&fake.url(), file, args)
}

/// `tryout` of `file` against the API at `base_url`, with `args`.
fn tryout_at(base_url: &str, file: &TempFile, args: &[&str]) -> Command {
    let mut command = cli();
    command
        .env("HOOK_TOKEN", TOKEN)
        .env("HOOK_PATH", PATH_SECRET)
        .args(["tryout", "--base-url", base_url])
        .args(args)
        .arg(file.path());
    command
}

#[track_caller]
fn assert_no_secret(run: &Run) {
    for secret in [TOKEN, PATH_SECRET, KEY] {
        assert!(!run.stdout.contains(secret), "{secret} printed: {run:#?}");
        assert!(!run.stderr.contains(secret), "{secret} printed: {run:#?}");
    }
}

fn body(event_type: &str, url: &str) -> Option<Value> {
    Some(json!({ "items": [{ "event_type": event_type, "url": url }] }))
}

#[test]
fn each_declared_webhook_gets_one_tryout_with_its_resolved_url() {
    let fake = FakePartoo::start(KEY);
    let file = declared();

    let run = run(&mut tryout(&fake, &file, &[]));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stdout, "sent 7 lead_received\nsent 7 message_created\n");
    assert_eq!(fake.lines(), [TRYOUT, TRYOUT]);
    let bodies: Vec<_> = fake.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(
        bodies,
        [
            body("lead_received", "https://crm.example.com/leads"),
            body(
                "message_created",
                &format!("https://crm.example.com/{PATH_SECRET}/messages")
            ),
        ]
    );
    // A test delivery changes nothing.
    assert!(fake.hooks().is_empty());
    assert_no_secret(&run);
}

#[test]
fn event_type_chooses_the_webhooks_tried() {
    let fake = FakePartoo::start(KEY);
    let file = declared();

    let run = run(&mut tryout(
        &fake,
        &file,
        &["--org-id", "7", "--event-type", "message_created"],
    ));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stdout, "sent 7 message_created\n");
    assert_eq!(fake.lines(), [TRYOUT]);
    assert_no_secret(&run);
}

#[test]
fn an_event_type_the_file_does_not_declare_is_a_usage_error_before_any_request() {
    let fake = FakePartoo::start(KEY);
    let file = declared();

    let run = run(&mut tryout(
        &fake,
        &file,
        &[
            "--event-type",
            "lead_received",
            "--event-type",
            "lead_recieved",
        ],
    ));

    assert_eq!(run.status, 2, "{run:#?}");
    assert!(run.stderr.contains("no webhook to try"), "{run:#?}");
    // No value given is repeated.
    assert!(!run.stderr.contains("lead_recieved"), "{run:#?}");
    assert!(fake.lines().is_empty());
}

#[test]
fn a_refusal_is_told_the_others_still_sent_and_the_exit_status_is_1() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::MethodNotAllowed);
    let file = declared();

    let run = run(&mut tryout(&fake, &file, &[]));

    assert_eq!(run.status, 1, "{run:#?}");
    assert_eq!(run.stdout, "sent 7 message_created\n");
    assert!(
        run.stderr.contains("not sent 7 lead_received: ") && run.stderr.contains("405"),
        "{run:#?}"
    );
    assert_eq!(fake.lines(), [TRYOUT, TRYOUT]);
    assert_no_secret(&run);
}

#[test]
fn a_delivery_whose_answer_was_lost_is_told_as_maybe_sent_and_not_asked_for_again() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::AppliedThen500);
    let file = declared();

    let run = run(&mut tryout(&fake, &file, &[]));

    assert_eq!(run.status, 1, "{run:#?}");
    assert_eq!(run.stdout, "sent 7 message_created\n");
    assert!(
        run.stderr
            .contains("not confirmed (Partoo may have sent it) 7 lead_received: ")
            && !run.stderr.contains("not sent"),
        "{run:#?}"
    );
    assert_eq!(fake.lines(), [TRYOUT, TRYOUT]);
    assert_no_secret(&run);
}

#[test]
fn a_429_is_told_as_not_sent_since_partoo_answers_it_before_acting() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::TooManyRequests(0));
    let file = declared();

    let run = run(&mut tryout(&fake, &file, &["--retries", "0"]));

    assert_eq!(run.status, 1, "{run:#?}");
    assert_eq!(run.stdout, "sent 7 message_created\n");
    assert!(
        run.stderr.contains("not sent 7 lead_received: ") && run.stderr.contains("429"),
        "{run:#?}"
    );
    assert_eq!(fake.lines(), [TRYOUT, TRYOUT]);
}

#[cfg(unix)]
#[test]
fn a_closed_standard_output_is_found_before_any_delivery_is_asked_for() {
    let fake = FakePartoo::start(KEY);
    let file = declared();

    let run = run(&mut with_stdout_closed(&tryout(&fake, &file, &[])));

    assert_eq!((run.status, run.stdout.as_str()), (1, ""), "{run:#?}");
    assert!(
        run.stderr
            .starts_with("partoo-webhooks: cannot write to standard output: "),
        "{run:#?}"
    );
    assert!(fake.lines().is_empty(), "{:?}", fake.lines());
}

#[test]
fn a_secret_of_several_lines_echoed_in_a_failure_is_masked_whole() {
    let server = httpmock::MockServer::start();
    let secret = "first-line-3c9e\nsecond-line-71ad";
    let echo = server.mock(|when, then| {
        when.path("/v2/webhooks/tryout");
        then.status(400).json_body(json!({ "errors": {
            "url": format!("https://crm.example.com/{secret}/messages is not reachable")
        }}));
    });
    let file = declared();
    let mut command = tryout_at(
        &server.url("/v2"),
        &file,
        &["--event-type", "message_created"],
    );
    command.env("HOOK_PATH", secret);

    let run = run(&mut command);

    assert_eq!(run.status, 1, "{run:#?}");
    assert!(
        run.stderr
            .contains("https://crm.example.com/***/messages is not reachable"),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("-line-"), "{run:#?}");
    echo.assert_calls(1);
}

#[test]
fn a_refused_write_gets_no_advice_meant_for_a_listing() {
    let server = httpmock::MockServer::start();
    let forbidden = server.mock(|when, then| {
        when.path("/v2/webhooks/tryout");
        then.status(403)
            .json_body(json!({ "errors": { "authorization": "forbidden" } }));
    });
    let file = declared();
    let mut command = tryout_at(
        &server.url("/v2"),
        &file,
        &["--event-type", "message_created"],
    );

    let run = run(&mut command);

    assert_eq!(run.status, 1, "{run:#?}");
    assert!(
        run.stderr
            .ends_with("not sent 7 message_created: forbidden (HTTP 403): forbidden\n"),
        "{run:#?}"
    );
    forbidden.assert_calls(1);
}

#[test]
fn tryout_help_says_the_body_takes_url_and_event_type_only() {
    let run = run(cli().args(["tryout", "--help"]));

    assert_eq!(run.status, 0, "{run:#?}");
    for shown in [
        "--event-type",
        "--org-id",
        "Partoo's tryout body takes url and event_type only",
        "partoo-webhooks tryout --org-id 7 --event-type lead_received webhooks.json",
        "Exit status: 0 Partoo accepted every test delivery",
    ] {
        assert!(run.stdout.contains(shown), "{shown}: {run:#?}");
    }
}
