//! `plan::Apply` against a stateful fake of Partoo: read, plan, create,
//! update, read again; never a DELETE, never a write sent twice blindly, and
//! "converged" only when the account holds what was declared.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::fake::{FakePartoo, Fault, Hook};
use common::{fake_client as client, KEY};
use partoo_webhooks::plan::{Applied, Apply, Write};
use partoo_webhooks::{DesiredState, DesiredWebhook, Error};
use proptest::prelude::*;
use serde_json::{json, Value};

const LIST: &str = "GET /v2/webhooks?per_page=100&page=1";
const LEADS: &str = "https://crm.example.com/leads";

fn hook(org_id: u64, event_type: &str, url: &str, token: Option<&str>) -> DesiredWebhook {
    let mut hook = DesiredWebhook::new(org_id, event_type.parse().unwrap(), url);
    if let Some(token) = token {
        hook.custom_headers.insert("X-Auth-Token", token);
    }
    hook
}

fn desired(hooks: Vec<DesiredWebhook>) -> DesiredState {
    DesiredState::new(hooks).expect("a valid desired state")
}

/// Runs `apply`, with the writes reported to `on_write`.
fn run(apply: Apply<'_>) -> (Result<Applied, Error>, Vec<Write>) {
    let mut reported = Vec::new();
    let result = apply.run(|write| reported.push(write.clone()));
    (result, reported)
}

/// The fake's account as `(org_id, event_type) -> (url, headers)`, headers
/// `{}` when it has none, for the organizations in `orgs`.
fn account(hooks: &[Hook], orgs: &BTreeSet<u64>) -> BTreeMap<(u64, String), (String, Value)> {
    (hooks.iter().filter(|h| orgs.contains(&h.org_id)))
        .map(|h| {
            let headers = h.custom_headers.clone().unwrap_or_else(|| json!({}));
            ((h.org_id, h.event_type.clone()), (h.url.clone(), headers))
        })
        .collect()
}

/// A desired state in the same shape as [`account`].
fn declared(desired: &DesiredState) -> BTreeMap<(u64, String), (String, Value)> {
    (desired.webhooks().iter())
        .map(|w| {
            let headers: serde_json::Map<String, Value> = (w.custom_headers.iter())
                .map(|(n, v)| (n.to_owned(), json!(v)))
                .collect();
            let key = (w.org_id, w.event_type.as_str().to_owned());
            (key, (w.url.clone(), Value::Object(headers)))
        })
        .collect()
}

fn no_delete_ever(fake: &FakePartoo) {
    let methods: BTreeSet<String> = fake.requests().into_iter().map(|r| r.method).collect();
    assert!(
        methods
            .iter()
            .all(|m| ["GET", "POST", "PUT"].contains(&m.as_str())),
        "{methods:?}"
    );
}

#[test]
fn a_fresh_account_is_created_then_its_headers_set_in_the_next_round() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);
    let want = desired(vec![
        hook(7, "lead_received", LEADS, Some("s3cret")),
        hook(7, "business_created", "https://crm.example.com/b", None),
        hook(8, "message_updated", "https://crm.example.com/m", None),
    ]);

    let (result, reported) = run(Apply::new(&client, &want));

    let applied = result.unwrap();
    assert!(applied.converged(), "{applied:?}");
    assert_eq!(applied.readings, 3);
    assert_eq!(
        fake.lines(),
        [
            LIST,
            "POST /v2/webhooks?org_id=7",
            "POST /v2/webhooks?org_id=8",
            LIST,
            "PUT /v2/webhooks/2?org_id=7",
            LIST,
        ]
    );
    let requests = fake.requests();
    let seven = json!({"items": [
        {"event_type": "business_created", "url": "https://crm.example.com/b"},
        {"event_type": "lead_received", "url": LEADS},
    ]});
    assert_eq!(requests[1].body, Some(seven));
    let headers = json!({"url": LEADS, "custom_headers": {"X-Auth-Token": "s3cret"}});
    assert_eq!(requests[4].body, Some(headers));
    let kinds: Vec<(&str, u64)> = (reported.iter())
        .map(|w| match w {
            Write::Created(item) => ("created", item.id),
            Write::Updated(item) => ("updated", item.id),
            _ => ("other", 0),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("created", 1),
            ("created", 2),
            ("created", 3),
            ("updated", 2)
        ]
    );
    assert_eq!(applied.writes, reported);
    assert_eq!(
        account(&fake.hooks(), want.organizations()),
        declared(&want)
    );
}

#[test]
fn an_applied_account_is_only_read() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);
    let want = desired(vec![hook(7, "lead_received", LEADS, Some("s3cret"))]);
    run(Apply::new(&client, &want)).0.unwrap();
    let before = fake.requests().len();

    let (result, reported) = run(Apply::new(&client, &want));

    let applied = result.unwrap();
    assert!(applied.converged() && reported.is_empty() && applied.writes.is_empty());
    assert_eq!(applied.readings, 1);
    assert_eq!(fake.lines()[before..], [LIST]);
}

#[test]
fn a_url_to_change_is_put_once_with_the_desired_headers() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "lead_received", "https://old.example.com", None);
    let (client, _) = client(&fake);
    let want = desired(vec![hook(7, "lead_received", LEADS, None)]);

    let (result, reported) = run(Apply::new(&client, &want));

    let applied = result.unwrap();
    assert!(applied.converged());
    assert_eq!(fake.lines(), [LIST, "PUT /v2/webhooks/1?org_id=7", LIST]);
    let body = json!({"url": LEADS, "custom_headers": {}});
    assert_eq!(fake.requests()[1].body, Some(body));
    assert!(matches!(&reported[..], [Write::Updated(item)] if item.url == LEADS));
}

#[test]
fn custom_headers_to_set_are_put_with_the_url_and_verified() {
    let fake = FakePartoo::start(KEY);
    fake.insert(
        7,
        "lead_received",
        LEADS,
        Some(json!({"X-Auth-Token": "old", "X-Gone": "1"})),
    );
    let (client, _) = client(&fake);
    let want = desired(vec![hook(7, "lead_received", LEADS, Some("new"))]);

    let (result, _) = run(Apply::new(&client, &want));

    let applied = result.unwrap();
    assert!(applied.converged());
    assert_eq!(applied.readings, 2);
    assert_eq!(fake.lines(), [LIST, "PUT /v2/webhooks/1?org_id=7", LIST]);
    let body = json!({"url": LEADS, "custom_headers": {"X-Auth-Token": "new"}});
    assert_eq!(fake.requests()[1].body, Some(body));
    assert_eq!(
        fake.hooks()[0].custom_headers,
        Some(json!({"X-Auth-Token": "new"}))
    );
}

#[test]
fn a_webhook_to_delete_is_never_requested_and_remains() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "lead_received", LEADS, None);
    fake.insert(7, "business_deleted", "https://old.example.com", None);
    let (client, _) = client(&fake);
    let want = desired(vec![hook(7, "lead_received", LEADS, None)]);

    let (result, reported) = run(Apply::new(&client, &want));

    let applied = result.unwrap();
    assert!(!applied.converged());
    assert_eq!(applied.remaining.deletes.len(), 1);
    assert_eq!(applied.remaining.deletes[0].id, 2);
    assert!(applied.remaining.creates.is_empty() && applied.remaining.updates.is_empty());
    assert!(reported.is_empty());
    assert_eq!(fake.lines(), [LIST]);
    assert_eq!(fake.hooks().len(), 2);
}

#[test]
fn a_create_whose_answer_is_lost_is_found_by_the_next_reading_not_sent_again() {
    for fault in [Fault::AppliedThen500, Fault::AppliedThenHangUp] {
        let fake = FakePartoo::start(KEY);
        fake.fail_write(1, fault);
        let (client, _) = client(&fake);
        let want = desired(vec![hook(7, "lead_received", LEADS, Some("s3cret"))]);

        let (result, reported) = run(Apply::new(&client, &want));

        let applied = result.unwrap();
        assert!(applied.converged(), "{fault:?}");
        assert_eq!(
            fake.lines(),
            [
                LIST,
                "POST /v2/webhooks?org_id=7",
                LIST,
                "PUT /v2/webhooks/1?org_id=7",
                LIST
            ],
            "{fault:?}"
        );
        // The create's answer never came: the next reading found it, and says so.
        assert!(
            matches!(&reported[..], [Write::Created(made), Write::Updated(item)] if made.id == 1 && item.id == 1),
            "{fault:?}: {reported:?}"
        );
        assert_eq!(fake.hooks().len(), 1);
    }
}

#[test]
fn a_429_on_a_write_is_waited_for_and_the_write_retried() {
    let fake = FakePartoo::start(KEY);
    fake.fail_write(1, Fault::TooManyRequests(2));
    let (client, sleeps) = client(&fake);
    let want = desired(vec![hook(7, "lead_received", LEADS, None)]);

    let (result, _) = run(Apply::new(&client, &want));

    assert!(result.unwrap().converged());
    let post = "POST /v2/webhooks?org_id=7";
    assert_eq!(fake.lines(), [LIST, post, post, LIST]);
    assert_eq!(sleeps.delays().len(), 1);
    assert_eq!(fake.hooks().len(), 1);
}

#[test]
fn an_update_refused_with_405_is_an_error_after_the_writes_before_it_are_reported() {
    let fake = FakePartoo::start(KEY);
    fake.insert(7, "business_created", "https://old.example.com", None);
    fake.refuse_puts();
    let (client, _) = client(&fake);
    let want = desired(vec![
        hook(7, "business_created", "https://crm.example.com/b", None),
        hook(7, "lead_received", LEADS, None),
    ]);

    let (result, reported) = run(Apply::new(&client, &want));

    let error = result.unwrap_err();
    assert_eq!(error.status(), Some(405));
    assert!(error.to_string().contains("PUT /webhooks/{id}"), "{error}");
    let post = "POST /v2/webhooks?org_id=7";
    assert_eq!(fake.lines(), [LIST, post, "PUT /v2/webhooks/1?org_id=7"]);
    assert!(matches!(&reported[..], [Write::Created(item)] if item.id == 2));
}

#[test]
fn with_org_id_only_that_organization_is_read_and_written() {
    let fake = FakePartoo::start(KEY);
    fake.insert(9, "lead_received", "https://other.example.com", None);
    let (client, _) = client(&fake);
    let want = desired(vec![hook(7, "lead_received", LEADS, None)]);

    let (result, _) = run(Apply::new(&client, &want).org_id(7));

    assert!(result.unwrap().converged());
    let list = "GET /v2/webhooks?per_page=100&page=1&org_id=7";
    assert_eq!(fake.lines(), [list, "POST /v2/webhooks?org_id=7", list]);
    assert_eq!(fake.hooks()[0].url, "https://other.example.com");
}

#[test]
fn with_org_id_a_desired_webhook_of_another_organization_is_refused_before_any_request() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);
    let want = desired(vec![
        hook(7, "lead_received", LEADS, None),
        hook(8, "lead_received", LEADS, None),
    ]);

    let (result, _) = run(Apply::new(&client, &want).org_id(7));

    assert!(
        matches!(result, Err(Error::InvalidSetting { name: "org_id", .. })),
        "{result:?}"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn readings_stop_at_max_readings_and_zero_counts_as_one() {
    let fake = FakePartoo::start(KEY);
    let (client, _) = client(&fake);
    let want = desired(vec![hook(7, "lead_received", LEADS, Some("s3cret"))]);

    let (result, _) = run(Apply::new(&client, &want).max_readings(0));

    let applied = result.unwrap();
    assert_eq!(applied.readings, 1);
    assert_eq!(applied.remaining.creates.len(), 1);
    assert_eq!(fake.lines(), [LIST]);
}

const EVENTS: [&str; 3] = ["business_created", "lead_received", "message_updated"];
const URLS: [&str; 2] = ["https://a.example.com/h", "https://b.example.com/h"];

/// `(org_id, event index, url index, token)`.
type Entry = (u64, usize, usize, Option<&'static str>);

fn entries() -> impl Strategy<Value = Vec<Entry>> {
    let token = prop_oneof![Just(None), Just(Some("t1")), Just(Some("t2"))];
    prop::collection::vec((7u64..9, 0..EVENTS.len(), 0..URLS.len(), token), 0..6)
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (0u64..3).prop_map(Fault::TooManyRequests),
        Just(Fault::ServerError),
        Just(Fault::MethodNotAllowed),
        Just(Fault::AppliedThen500),
        Just(Fault::AppliedThenHangUp),
        Just(Fault::RefuseAfter),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever fails, and wherever: never a DELETE, never a create of a
    /// webhook the account already holds (one whose answer was lost
    /// included), and "converged" only when the account holds exactly what
    /// was declared. With no failure, it converges.
    #[test]
    fn whatever_fails_nothing_is_deleted_or_created_twice_and_converged_is_true(
        live in entries(),
        wanted in entries(),
        faults in prop::collection::vec((1usize..14, fault()), 0..4),
        refuse_puts in any::<bool>(),
    ) {
        let fake = FakePartoo::start(KEY);
        let mut existing = BTreeSet::new();
        for (org_id, event, url, token) in live {
            if existing.insert((org_id, EVENTS[event].to_owned())) {
                let headers = token.map(|t| json!({"X-Auth-Token": t}));
                fake.insert(org_id, EVENTS[event], URLS[url], headers);
            }
        }
        let mut seen = BTreeSet::new();
        let want = desired(
            (wanted.into_iter())
                .filter(|&(org_id, event, _, _)| seen.insert((org_id, event)))
                .map(|(org_id, event, url, token)| hook(org_id, EVENTS[event], URLS[url], token))
                .collect(),
        );
        for &(n, fault) in &faults {
            fake.fail_request(n, fault);
        }
        if refuse_puts {
            fake.refuse_puts();
        }
        let (client, _) = client(&fake);

        let (result, _) = run(Apply::new(&client, &want).max_readings(6));

        no_delete_ever(&fake);
        for request in fake.requests() {
            if request.method != "POST" || !request.target.starts_with("/v2/webhooks?") {
                continue;
            }
            let org_id: u64 = request.target.rsplit('=').next().unwrap().parse().unwrap();
            let body = request.body.unwrap();
            for item in body["items"].as_array().unwrap() {
                let key = (org_id, item["event_type"].as_str().unwrap().to_owned());
                prop_assert!(!existing.contains(&key), "a create of {key:?}, which the account held");
                if request.applied {
                    existing.insert(key);
                }
            }
        }
        let held = account(&fake.hooks(), want.organizations());
        match &result {
            Ok(applied) if applied.converged() => prop_assert_eq!(&held, &declared(&want)),
            _ => {}
        }
        if faults.is_empty() && !refuse_puts {
            // Only deletes can remain, and they do.
            let applied = result.expect("no failure");
            let remaining = &applied.remaining;
            prop_assert!(remaining.creates.is_empty() && remaining.updates.is_empty());
            let declared = declared(&want);
            let undeclared = held.keys().filter(|key| !declared.contains_key(key)).count();
            prop_assert_eq!(remaining.deletes.len(), undeclared);
        }
    }
}
