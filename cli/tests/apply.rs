//! `apply` against a stateful fake of Partoo (the demo's, `examples/demo/fake.rs`):
//! the plan printed as `diff` prints it, one line per write, the account
//! verified, the exact requests it took, never a DELETE, and no secret printed.

mod common;

#[path = "../../examples/demo/fake.rs"]
mod fake;

use std::process::Command;

use common::cli::{cli, run, Run};
use common::temp::TempFile;
use common::KEY;
use fake::{FakePartoo, Fault};
use serde_json::{json, Value};

/// The values of `${HOOK_TOKEN}` and `${HOOK_PATH}`: never printed.
const TOKEN: &str = "tok-4c1d9e7f2b";
const PATH_SECRET: &str = "path-8e3a61c0";

const LIST: &str = "GET /v2/webhooks?per_page=100&page=1&org_id=7";
const CREATE: &str = "POST /v2/webhooks?org_id=7";

const DELETE_NOTE: &str = "delete it in Partoo's app: Settings > Integrations > Webhooks";

/// Organization 7's declared webhooks: leads with a secret header, messages
/// at a URL that holds a secret.
fn declared() -> Value {
    json!([
        {
            "org_id": 7, "event_type": "lead_received",
            "url": "https://crm.example.com/leads",
            "custom_headers": { "X-Auth-Token": "${HOOK_TOKEN}" }
        },
        {
            "org_id": 7, "event_type": "message_created",
            "url": "https://crm.example.com/${HOOK_PATH}/messages"
        },
    ])
}

fn file(name: &str, desired: &Value) -> TempFile {
    TempFile::new(&format!("apply-{name}.json"), desired.to_string())
}

/// `apply` against the fake, with the secrets in the environment.
fn apply(fake: &FakePartoo, file: &TempFile, args: &[&str]) -> Command {
    let mut command = cli();
    command
        .env("HOOK_TOKEN", TOKEN)
        .env("HOOK_PATH", PATH_SECRET)
        .args(["apply", "--base-url", &fake.url(), "--org-id", "7"])
        .args(args)
        .arg(file.path());
    command
}

/// Asserts that no secret, nor the key, is in what the run printed.
#[track_caller]
fn assert_no_secret(run: &Run) {
    for secret in [TOKEN, PATH_SECRET, KEY] {
        assert!(!run.stdout.contains(secret), "{secret} printed: {run:#?}");
        assert!(!run.stderr.contains(secret), "{secret} printed: {run:#?}");
    }
}

/// Asserts that the fake saw only the methods Partoo documents for webhooks
/// (GET, POST, PUT): no DELETE, nor anything else.
#[track_caller]
fn assert_no_delete(fake: &FakePartoo) {
    let lines = fake.lines();
    let documented = ["GET ", "POST ", "PUT "];
    assert!(
        lines
            .iter()
            .all(|line| documented.iter().any(|method| line.starts_with(method))),
        "{lines:#?}"
    );
}

/// The lines of the writes in standard output.
fn write_lines(run: &Run) -> Vec<&str> {
    (run.stdout.lines())
        .filter(|line| line.starts_with("created ") || line.starts_with("updated "))
        .collect()
}

/// The account as (event type, url, custom headers), in id order; no
/// headers and an empty object (what an update without headers sets) alike.
fn account(fake: &FakePartoo) -> Vec<(String, String, Option<Value>)> {
    (fake.hooks().into_iter())
        .map(|h| {
            let headers = h.custom_headers.filter(|h| h != &json!({}));
            (h.event_type, h.url, headers)
        })
        .collect()
}

fn declared_account() -> Vec<(String, String, Option<Value>)> {
    vec![
        (
            "lead_received".to_owned(),
            "https://crm.example.com/leads".to_owned(),
            Some(json!({ "X-Auth-Token": TOKEN })),
        ),
        (
            "message_created".to_owned(),
            format!("https://crm.example.com/{PATH_SECRET}/messages"),
            None,
        ),
    ]
}

#[test]
fn a_fresh_account_is_created_then_its_headers_set_then_verified() {
    let fake = FakePartoo::start(KEY);
    let file = file("fresh", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes", "-v"]));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(
        run.stdout,
        "+ 7 lead_received: url https://crm.example.com/leads; custom headers X-Auth-Token\n\
         + 7 message_created: url (secret, not shown)\n\
         created 7 lead_received: id 1\n\
         created 7 message_created: id 2\n\
         updated 7 lead_received: id 1\n"
    );
    assert!(
        run.stderr.contains(
            "3 writes (3 readings of the account); verified: the account holds what the file declares"
        ),
        "{run:#?}"
    );
    assert_eq!(
        fake.lines(),
        [LIST, CREATE, LIST, "PUT /v2/webhooks/1?org_id=7", LIST]
    );
    let requests = fake.requests();
    // Partoo's create body: url and event_type, the secret URL resolved.
    assert_eq!(
        requests[1].body,
        Some(json!({ "items": [
            { "event_type": "lead_received", "url": "https://crm.example.com/leads" },
            { "event_type": "message_created",
              "url": format!("https://crm.example.com/{PATH_SECRET}/messages") },
        ]}))
    );
    assert_eq!(
        requests[3].body,
        Some(json!({
            "url": "https://crm.example.com/leads",
            "custom_headers": { "X-Auth-Token": TOKEN },
        }))
    );
    assert_eq!(account(&fake), declared_account());
    assert_no_delete(&fake);
    assert_no_secret(&run);
}

#[test]
fn a_second_apply_writes_nothing() {
    let fake = FakePartoo::start(KEY);
    let file = file("again", &declared());
    let first = run(&mut apply(&fake, &file, &["--yes"]));
    assert_eq!(first.status, 0, "{first:#?}");
    let before = fake.requests().len();

    let run = run(&mut apply(&fake, &file, &["--yes"]));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no difference"), "{run:#?}");
    assert_eq!(fake.lines()[before..], [LIST]);
    assert_eq!(account(&fake), declared_account());
    assert_no_secret(&run);
}

#[test]
fn headers_to_set_are_one_put_with_every_header() {
    let fake = FakePartoo::start(KEY);
    let id = fake.insert(7, "lead_received", "https://crm.example.com/leads", None);
    fake.insert(
        7,
        "message_created",
        &format!("https://crm.example.com/{PATH_SECRET}/messages"),
        None,
    );
    let file = file("headers", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes"]));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(
        run.stdout,
        format!(
            "~ 7 lead_received: id {id}; custom header X-Auth-Token added\n\
             updated 7 lead_received: id {id}\n"
        )
    );
    assert_eq!(
        fake.lines(),
        [LIST, &format!("PUT /v2/webhooks/{id}?org_id=7"), LIST]
    );
    assert_eq!(account(&fake), declared_account());
    assert_no_secret(&run);
}

#[test]
fn a_url_to_change_is_one_put_and_a_secret_url_is_not_shown() {
    let fake = FakePartoo::start(KEY);
    fake.insert(
        7,
        "lead_received",
        "https://crm.example.com/leads",
        Some(json!({ "X-Auth-Token": TOKEN })),
    );
    let id = fake.insert(
        7,
        "message_created",
        "https://crm.example.com/old/messages",
        None,
    );
    let file = file("url", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes"]));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(
        run.stdout,
        format!(
            "~ 7 message_created: id {id}; url differs (secret, not shown)\n\
             updated 7 message_created: id {id}\n"
        )
    );
    assert_eq!(
        fake.lines(),
        [LIST, &format!("PUT /v2/webhooks/{id}?org_id=7"), LIST]
    );
    assert_eq!(account(&fake), declared_account());
    assert_no_secret(&run);
}

#[test]
fn a_webhook_to_delete_is_never_requested_and_named_with_where_to_delete_it() {
    let fake = FakePartoo::start(KEY);
    let extra = fake.insert(7, "business_deleted", "https://old.example.com/x?k=1", None);
    let file = file("delete", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes"]));

    assert_eq!(run.status, 3, "{run:#?}");
    let delete = format!("- 7 business_deleted: id {extra}; url https://old.example.com/x?k=***");
    // Once in the plan, once in what remains, with where to delete it.
    assert!(run.stdout.starts_with(&format!("{delete}\n")), "{run:#?}");
    assert!(
        run.stdout.ends_with(&format!("{delete}; {DELETE_NOTE}\n")),
        "{run:#?}"
    );
    assert_eq!(write_lines(&run).len(), 3, "{run:#?}");
    assert!(
        run.stderr.contains(
            "1 difference remains that the API cannot make (printed above): make them in \
             Partoo's app: Settings > Integrations > Webhooks"
        ),
        "{run:#?}"
    );
    assert_no_delete(&fake);
    assert!(fake.hooks().iter().any(|h| h.id == extra));
    assert_no_secret(&run);
}

#[test]
fn only_deletes_left_exit_3_without_a_write() {
    let fake = FakePartoo::start(KEY);
    let extra = fake.insert(7, "business_deleted", "https://old.example.com/x", None);
    let desired = json!({ "organizations": [7], "webhooks": [] });
    let file = file("only-delete", &desired);

    let run = run(&mut apply(&fake, &file, &[]));

    // Without --yes off a terminal: refused before anything, deletes or not.
    assert_eq!(run.status, 2, "{run:#?}");
    assert!(fake.lines().is_empty());

    let run = common::cli::run(&mut apply(&fake, &file, &["--yes"]));
    assert_eq!(run.status, 3, "{run:#?}");
    assert!(
        run.stdout.ends_with(&format!(
            "- 7 business_deleted: id {extra}; url https://old.example.com/x; {DELETE_NOTE}\n"
        )),
        "{run:#?}"
    );
    assert_eq!(fake.lines(), [LIST]);
}

#[test]
fn several_webhooks_for_one_event_type_are_left_with_where_to_keep_one() {
    let fake = FakePartoo::start(KEY);
    let first = fake.insert(7, "lead_received", "https://crm.example.com/leads", None);
    let second = fake.insert(7, "lead_received", "https://crm.example.com/old", None);
    let file = file("conflict", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes"]));

    assert_eq!(run.status, 3, "{run:#?}");
    assert_eq!(write_lines(&run), ["created 7 message_created: id 3"]);
    let conflict = format!("! 7 lead_received: ids {first}, {second}; 2 webhooks");
    assert!(
        (run.stdout.lines()).any(|line| line.starts_with(&conflict)
            && line.ends_with(
                "; keep one and delete the others in Partoo's app: Settings > Integrations > Webhooks"
            )),
        "{run:#?}"
    );
    assert_no_delete(&fake);
    assert_eq!(fake.hooks().len(), 3);
    assert_no_secret(&run);
}

#[test]
fn a_create_whose_answer_was_lost_is_not_sent_again_and_is_found_made() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::AppliedThen500);
    let file = file("lost", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes", "--retries", "0"]));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(
        write_lines(&run),
        [
            "created 7 lead_received: id 1",
            "created 7 message_created: id 2",
            "updated 7 lead_received: id 1"
        ]
    );
    let creates = fake.lines().iter().filter(|l| *l == CREATE).count();
    assert_eq!(creates, 1, "{:#?}", fake.lines());
    assert_eq!(account(&fake), declared_account());
    assert_no_delete(&fake);
    assert_no_secret(&run);
}

#[test]
fn a_write_answered_429_is_sent_again_after_the_wait() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::TooManyRequests(0));
    let file = file("429", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes"]));

    assert_eq!(run.status, 0, "{run:#?}");
    assert_eq!(
        fake.lines(),
        [
            LIST,
            CREATE,
            CREATE,
            LIST,
            "PUT /v2/webhooks/1?org_id=7",
            LIST
        ]
    );
    assert_eq!(write_lines(&run).len(), 3, "{run:#?}");
    assert_eq!(account(&fake), declared_account());
}

#[test]
fn an_update_refused_with_405_stops_with_what_was_done_printed() {
    let fake = FakePartoo::start(KEY);
    fake.refuse_puts();
    let id = fake.insert(7, "message_created", "https://crm.example.com/old", None);
    let file = file("405", &declared());

    let run = run(&mut apply(&fake, &file, &["--yes"]));

    assert_eq!(run.status, 1, "{run:#?}");
    assert_eq!(write_lines(&run), ["created 7 lead_received: id 2"]);
    assert!(
        run.stderr.contains("apply stopped after 1 write: ")
            && run.stderr.contains("405")
            && run.stderr.contains("PUT /webhooks/{id}"),
        "{run:#?}"
    );
    assert_eq!(
        fake.lines(),
        [LIST, CREATE, &format!("PUT /v2/webhooks/{id}?org_id=7")]
    );
    assert_no_delete(&fake);
    assert_no_secret(&run);
}

#[test]
fn without_yes_off_a_terminal_nothing_is_requested() {
    let fake = FakePartoo::start(KEY);
    let file = file("no-yes", &declared());

    let run = run(&mut apply(&fake, &file, &[]));

    assert_eq!(run.status, 2, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("--yes"), "{run:#?}");
    assert!(fake.lines().is_empty(), "{:#?}", fake.lines());
}

#[test]
fn a_file_error_stops_apply_before_any_request() {
    let fake = FakePartoo::start(KEY);
    let file = file("unset", &declared());

    let run = run(apply(&fake, &file, &["--yes"]).env_remove("HOOK_TOKEN"));

    assert_eq!(run.status, 2, "{run:#?}");
    assert!(
        run.stderr.contains("HOOK_TOKEN, which is not set"),
        "{run:#?}"
    );
    assert!(fake.lines().is_empty());
}

#[cfg(unix)]
mod on_a_terminal {
    use super::*;
    use common::pty::run_typing;

    #[test]
    fn answering_no_writes_nothing_and_exits_3() {
        let fake = FakePartoo::start(KEY);
        let file = file("answer-n", &declared());

        let run = run_typing(&mut apply(&fake, &file, &[]), "n\n");

        assert_eq!(run.status, 3, "{run:#?}");
        assert!(
            run.stderr.contains("Apply these 2 changes? [y/N] "),
            "{run:#?}"
        );
        assert!(run.stderr.contains("nothing applied"), "{run:#?}");
        assert!(write_lines(&run).is_empty(), "{run:#?}");
        assert_eq!(fake.lines(), [LIST]);
        assert_no_secret(&run);
    }

    #[test]
    fn answering_yes_applies_with_progress() {
        let fake = FakePartoo::start(KEY);
        let file = file("answer-y", &declared());

        let run = run_typing(&mut apply(&fake, &file, &[]), "y\n");

        assert_eq!(run.status, 0, "{run:#?}");
        assert!(
            run.stderr.contains("Apply these 2 changes? [y/N] "),
            "{run:#?}"
        );
        // Writes done of planned: two creates, and the headers of one.
        assert!(run.stderr.contains("\r0/3 writes"), "{run:#?}");
        assert!(run.stderr.contains("\r3/3 writes"), "{run:#?}");
        assert_eq!(write_lines(&run).len(), 3, "{run:#?}");
        assert_eq!(account(&fake), declared_account());
        assert_no_secret(&run);
    }

    #[test]
    fn the_end_of_input_is_no() {
        let fake = FakePartoo::start(KEY);
        let file = file("answer-eof", &declared());

        let run = run_typing(&mut apply(&fake, &file, &[]), "\x04");

        assert_eq!(run.status, 3, "{run:#?}");
        assert_eq!(fake.lines(), [LIST]);
    }
}

#[test]
fn apply_help_shows_its_options_examples_and_exit_statuses_only() {
    for args in [&["apply", "--help"][..], &["help", "apply"]] {
        let run = run(cli().args(args));

        assert_eq!(run.status, 0, "{run:#?}");
        for shown in [
            "--yes",
            "--org-id",
            "--max-webhooks",
            "Apply these N changes? [y/N]",
            "partoo-webhooks apply --yes --org-id 7 webhooks.json",
            "Exit status: 0 the account holds exactly",
            "Settings > Integrations > Webhooks",
        ] {
            assert!(run.stdout.contains(shown), "{shown}: {run:#?}");
        }
        // diff's and list's own options are not apply's.
        for absent in ["--format", "--per-page", "--prefetch"] {
            assert!(!run.stdout.contains(absent), "{absent}: {run:#?}");
        }
    }
}
