//! The single requests about webhooks, against a stateful fake of Partoo:
//! `get_webhook`, `create_webhooks`, `update_webhook` (PUT) and `tryout`,
//! each one exact request, its values checked before it is sent, and a write
//! retried only when it cannot have been applied.

mod common;

use std::error::Error as _;
use std::time::Duration;

use common::fake::{FakePartoo, Fault};
use common::{assert_no_key_piece, fake_builder, fake_client as client, Sleeps, KEY};
use partoo_webhooks::{
    Client, CustomHeaders, Error, EventType, NewWebhook, WebhookItem, WebhookUpdate,
};
use serde_json::json;

const LEADS: &str = "https://crm.example.com/leads";

/// The failures after which a write may have been applied: never resent.
const MAY_HAVE_APPLIED: [Fault; 4] = [
    Fault::AppliedThen500,
    Fault::AppliedThenHangUp,
    Fault::AppliedThenStall,
    Fault::ServerError,
];

/// A client whose attempts time out after 300 ms, for the stalled writes.
fn impatient(fake: &FakePartoo) -> (Client, Sleeps) {
    let sleeps = Sleeps::default();
    let builder = fake_builder(fake, &sleeps).timeout(Duration::from_millis(300));
    (builder.build().expect("test client"), sleeps)
}

fn leads() -> NewWebhook {
    NewWebhook::new(EventType::LeadReceived, LEADS)
}

fn token(value: &str) -> CustomHeaders {
    [("X-Auth-Token", value)].into_iter().collect()
}

/// The error, its `Debug` and its whole `source()` chain, as a reporter prints them.
fn everything_said(error: &Error) -> String {
    let mut text = format!("{error} {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text += &format!(" {cause}");
        source = cause.source();
    }
    text
}

#[test]
fn get_webhook_sends_one_get_and_decodes_the_item() {
    let fake = FakePartoo::start(KEY);
    fake.insert(
        7,
        "lead_received",
        LEADS,
        Some(json!({"X-Auth-Token": "t"})),
    );
    let (client, _) = client(&fake);

    let hook: WebhookItem = client.get_webhook(1).org_id(7).send().unwrap();

    assert_eq!((hook.id, hook.org_id, hook.url.as_str()), (1, 7, LEADS));
    assert_eq!(hook.event_type, EventType::LeadReceived);
    assert_eq!(hook.custom_headers, Some(token("t")));
    assert_eq!(fake.lines(), ["GET /v2/webhooks/1?org_id=7"]);
}

#[test]
fn get_webhook_without_org_id_sends_no_query_and_a_missing_one_is_a_404() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);

    let error = client.get_webhook(42).send().unwrap_err();

    assert_eq!(error.status(), Some(404));
    assert_eq!(fake.lines(), ["GET /v2/webhooks/42"]);
}

#[test]
fn create_posts_url_and_event_type_to_the_organization_and_returns_what_was_made() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);
    let orders = NewWebhook::new(EventType::BusinessCreated, "https://crm.example.com/b");

    let made = client
        .create_webhooks(vec![leads(), orders])
        .org_id(7)
        .send()
        .unwrap();

    let requests = fake.requests();
    assert_eq!(fake.lines(), ["POST /v2/webhooks?org_id=7"]);
    let items = json!({"items": [
        {"event_type": "lead_received", "url": LEADS},
        {"event_type": "business_created", "url": "https://crm.example.com/b"},
    ]});
    assert_eq!(requests[0].body, Some(items));
    let ids: Vec<(u64, u64)> = made.iter().map(|m| (m.id, m.org_id)).collect();
    assert_eq!(ids, [(1, 7), (2, 7)]);
    assert_eq!(fake.hooks().len(), 2);
}

#[test]
fn update_puts_the_url_and_every_custom_header() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "lead_received", LEADS, None);
    let before = fake.hooks()[0].updated_at.clone();
    let (client, _) = client(&fake);
    let update = WebhookUpdate::new("https://crm.example.com/v2").custom_headers(token("s3cret"));

    let changed = client.update_webhook(1, update).org_id(7).send().unwrap();

    assert_eq!(fake.lines(), ["PUT /v2/webhooks/1?org_id=7"]);
    let body =
        json!({"url": "https://crm.example.com/v2", "custom_headers": {"X-Auth-Token": "s3cret"}});
    assert_eq!(fake.requests()[0].body, Some(body));
    assert_eq!(changed.url, "https://crm.example.com/v2");
    assert_eq!(changed.custom_headers, Some(token("s3cret")));
    assert_ne!(changed.updated_at, before);
}

#[test]
fn an_update_without_custom_headers_sends_the_url_alone() {
    let fake = FakePartoo::start(KEY);
    fake.insert(
        7,
        "lead_received",
        LEADS,
        Some(json!({"X-Auth-Token": "kept"})),
    );
    let (client, _) = client(&fake);

    let changed = client
        .update_webhook(1, WebhookUpdate::new("https://crm.example.com/v2"))
        .send()
        .unwrap();

    assert_eq!(fake.lines(), ["PUT /v2/webhooks/1"]);
    assert_eq!(
        fake.requests()[0].body,
        Some(json!({"url": "https://crm.example.com/v2"}))
    );
    assert_eq!(changed.custom_headers, Some(token("kept")));
}

#[test]
fn tryout_posts_one_item_and_returns_the_answer_as_text() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);

    let answer = client.tryout(leads()).org_id(7).send().unwrap();

    assert_eq!(fake.lines(), ["POST /v2/webhooks/tryout?org_id=7"]);
    let items = json!({"items": [{"event_type": "lead_received", "url": LEADS}]});
    assert_eq!(fake.requests()[0].body, Some(items));
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["status"], "sent");
    assert!(fake.hooks().is_empty(), "a tryout changes nothing");
}

#[test]
fn values_partoo_would_refuse_are_refused_before_any_request() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);
    let plain = "http://crm.example.com/leads";
    let reserved: CustomHeaders = [("X-Partoo-Id", "1")].into_iter().collect();
    let unprefixed: CustomHeaders = [("Authorization", "Bearer x")].into_iter().collect();

    let errors = [
        client
            .create_webhooks(vec![
                leads(),
                NewWebhook::new(EventType::LeadReceived, plain),
            ])
            .org_id(7)
            .send()
            .map(drop),
        client
            .update_webhook(1, WebhookUpdate::new(plain))
            .send()
            .map(drop),
        client
            .update_webhook(1, WebhookUpdate::new(LEADS).custom_headers(reserved))
            .send()
            .map(drop),
        client
            .update_webhook(1, WebhookUpdate::new(LEADS).custom_headers(unprefixed))
            .send()
            .map(drop),
        client
            .tryout(NewWebhook::new(EventType::LeadReceived, plain))
            .send()
            .map(drop),
    ];

    let names: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            Err(Error::InvalidSetting { name, .. }) => *name,
            other => panic!("expected InvalidSetting, got {other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        ["url", "url", "custom_headers", "custom_headers", "url"]
    );
    let said = everything_said(errors[3].as_ref().unwrap_err());
    assert!(!said.contains("Bearer"), "a header value was shown: {said}");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_429_on_a_write_is_retried_after_its_retry_after() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::TooManyRequests(7));
    let (client, sleeps) = client(&fake);

    let made = client
        .create_webhooks(vec![leads()])
        .org_id(7)
        .send()
        .unwrap();

    assert_eq!(made.len(), 1);
    assert_eq!(fake.lines(), ["POST /v2/webhooks?org_id=7"; 2]);
    let slept = sleeps.delays();
    assert_eq!(slept.len(), 1);
    assert!(
        slept[0] > Duration::from_secs(6) && slept[0] <= Duration::from_secs(7),
        "{slept:?}"
    );
    assert_eq!(fake.hooks().len(), 1);
}

#[test]
fn a_429_asking_for_longer_than_allowed_is_returned_at_once() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::TooManyRequests(3600));
    let (client, sleeps) = client(&fake);

    let error = client
        .update_webhook(1, WebhookUpdate::new(LEADS))
        .send()
        .unwrap_err();

    assert!(
        matches!(error, Error::Status { status: 429, retry_after: Some(wait), .. } if wait == Duration::from_secs(3600))
    );
    assert_eq!(fake.lines().len(), 1);
    assert!(sleeps.delays().is_empty());
}

#[test]
fn a_create_whose_answer_is_lost_is_never_sent_again() {
    for fault in MAY_HAVE_APPLIED {
        let fake = FakePartoo::start(KEY);
        fake.fail_write(1, fault);
        let (client, sleeps) = impatient(&fake);

        let error = client
            .create_webhooks(vec![leads()])
            .org_id(7)
            .send()
            .unwrap_err();

        assert!(error.is_retryable(), "{fault:?}: {error:?}");
        assert_eq!(fake.lines(), ["POST /v2/webhooks?org_id=7"], "{fault:?}");
        assert!(sleeps.delays().is_empty(), "{fault:?}");
        let made = usize::from(fault != Fault::ServerError);
        assert_eq!(
            fake.hooks().len(),
            made,
            "{fault:?}: reading the account tells"
        );
    }
}

#[test]
fn an_update_whose_answer_is_lost_is_never_sent_again() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "lead_received", LEADS, None);
    fake.fail_write(1, Fault::AppliedThenHangUp);
    let (client, _) = client(&fake);

    let error = client
        .update_webhook(1, WebhookUpdate::new("https://crm.example.com/v2"))
        .send();

    assert!(matches!(error, Err(Error::Connection { .. })), "{error:?}");
    assert_eq!(fake.lines(), ["PUT /v2/webhooks/1"]);
    assert_eq!(fake.hooks()[0].url, "https://crm.example.com/v2");
}

#[test]
fn an_update_is_never_sent_again_after_any_failure_that_may_have_applied_it() {
    for fault in MAY_HAVE_APPLIED {
        let fake = FakePartoo::start(KEY);
        fake.insert(7, "lead_received", LEADS, None);
        fake.fail_write(1, fault);
        let (client, sleeps) = impatient(&fake);

        let error = client
            .update_webhook(1, WebhookUpdate::new("https://crm.example.com/v2"))
            .send()
            .unwrap_err();

        assert!(error.is_retryable(), "{fault:?}: {error:?}");
        assert_eq!(fake.lines(), ["PUT /v2/webhooks/1"], "{fault:?}");
        assert!(sleeps.delays().is_empty(), "{fault:?}");
        let url = match fault {
            Fault::ServerError => LEADS,
            _ => "https://crm.example.com/v2",
        };
        assert_eq!(
            fake.hooks()[0].url,
            url,
            "{fault:?}: reading the account tells"
        );
    }
}

#[test]
fn a_write_whose_connection_was_refused_is_retried() {
    let fake = FakePartoo::start(KEY);
    fake.refuse();
    let (client, sleeps) = client(&fake);

    let made = client
        .create_webhooks(vec![leads()])
        .org_id(7)
        .send()
        .unwrap();

    assert_eq!(made.len(), 1);
    assert_eq!(
        fake.lines(),
        ["POST /v2/webhooks?org_id=7"],
        "the refused attempt never arrived"
    );
    assert_eq!(sleeps.delays().len(), 1);
}

#[test]
fn a_second_webhook_for_one_organization_and_event_type_is_refused_once() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "lead_received", LEADS, None);
    let (client, _) = client(&fake);

    let error = client
        .create_webhooks(vec![leads()])
        .org_id(7)
        .send()
        .unwrap_err();

    assert_eq!(error.status(), Some(400));
    assert_eq!(fake.lines().len(), 1);
    assert_eq!(fake.hooks().len(), 1);
}

#[test]
fn an_update_refused_with_405_names_put_and_where_to_make_the_change() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "lead_received", LEADS, None);
    fake.refuse_puts();
    let (client, _) = client(&fake);

    let error = client
        .update_webhook(1, WebhookUpdate::new(LEADS))
        .org_id(7)
        .send()
        .unwrap_err();

    assert_eq!(error.status(), Some(405));
    let text = error.to_string();
    assert!(text.contains("405"), "{text}");
    assert!(text.contains("PUT /webhooks/{id}"), "{text}");
    assert!(
        text.contains("Settings > Integrations > Webhooks"),
        "{text}"
    );
    assert_eq!(fake.lines(), ["PUT /v2/webhooks/1?org_id=7"]);
}

#[test]
fn an_update_of_a_webhook_that_is_not_there_is_a_404_that_says_why() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);

    let error = client
        .update_webhook(9, WebhookUpdate::new(LEADS))
        .send()
        .unwrap_err();

    assert_eq!(error.status(), Some(404));
    assert!(error.to_string().contains("no such webhook"), "{error}");
    assert_eq!(fake.lines().len(), 1);
}

#[test]
fn the_key_is_in_no_error_of_a_write() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "lead_received", LEADS, None);
    fake.refuse_puts();
    fake.fail_write(2, Fault::AppliedThenHangUp);
    fake.fail_write(3, Fault::TooManyRequests(3600));
    let (client, _) = client(&fake);
    let wrong_key = Client::builder()
        .api_key("wrong")
        .base_url(fake.url())
        .build()
        .unwrap();

    let errors = [
        client
            .update_webhook(1, WebhookUpdate::new(LEADS))
            .send()
            .map(drop),
        client
            .create_webhooks(vec![leads()])
            .org_id(8)
            .send()
            .map(drop),
        client.tryout(leads()).send().map(drop),
        client
            .create_webhooks(vec![leads()])
            .org_id(7)
            .send()
            .map(drop),
        client.get_webhook(5).send().map(drop),
        wrong_key.get_webhook(1).send().map(drop),
    ];

    for error in errors {
        assert_no_key_piece(&everything_said(&error.unwrap_err()));
    }
}
