//! What a user writes: building a client, the list request and its query,
//! and the webhook model as decoded from the API.

mod common;

use common::{client, mock_page, page, webhook, KEY, PATH};
use httpmock::prelude::*;
use partoo_webhooks::{
    Client, CustomHeaderError, CustomHeaders, EventType, Page, WebhookItem, PRODUCTION_URL,
    SANDBOX_URL,
};
use proptest::prelude::*;
use serde_json::json;

#[test]
fn send_sends_per_page_100_page_1_and_no_org_id_unless_set() {
    let server = MockServer::start();
    let bare = server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .header("x-apikey", KEY)
            .query_param("page", "1")
            .query_param("per_page", "100")
            .query_param_missing("org_id");
        then.status(200).json_body(page(1, 1, 1, [1]));
    });

    let received = client(&server).list_webhooks().send().expect("one page");

    assert_eq!((received.page, received.items.len()), (1, 1));
    bare.assert_calls(1);
}

#[test]
fn page_n_holds_the_same_webhooks_from_send_and_from_an_iteration() {
    // The mock answers only per_page=100: a request relying on the server's
    // default of 30 would find nothing and fail.
    let server = MockServer::start();
    let pages: Vec<_> = (1..=2)
        .map(|n| {
            server.mock(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param("page", n.to_string())
                    .query_param("per_page", "100");
                let first = u64::from(n - 1) * 100 + 1;
                then.status(200)
                    .json_body(page(n, 2, 150, first..first + 100));
            })
        })
        .collect();
    let client = client(&server);

    let alone = client.list_webhooks().page(2).send().expect("page 2");
    let iterated = client.list_webhooks().pages().nth(1).expect("page 2");

    assert_eq!(alone, iterated.expect("page 2 decodes"));
    assert_eq!(alone.items.first().map(|item| item.id), Some(101));
    pages[0].assert_calls(1);
    pages[1].assert_calls(2);
}

#[test]
fn send_sends_org_id_page_and_per_page() {
    let server = MockServer::start();
    let second = server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("org_id", "7")
            .query_param("page", "2")
            .query_param("per_page", "50");
        then.status(200).json_body(page(2, 3, 101, [51, 52]));
    });

    let received: Page<WebhookItem> = client(&server)
        .list_webhooks()
        .org_id(7)
        .per_page(50)
        .page(2)
        .send()
        .expect("page 2");

    assert_eq!(
        (received.page, received.max_page, received.count),
        (2, 3, 101)
    );
    let ids: Vec<u64> = received.items.iter().map(|item| item.id).collect();
    assert_eq!(ids, [51, 52]);
    second.assert_calls(1);
}

#[test]
fn every_request_of_a_listing_carries_org_id_and_per_page_100_by_default() {
    for (per_page, sent) in [(None, "100"), (Some(25), "25")] {
        let server = MockServer::start();
        let pages = [1u32, 2].map(|p| {
            server.mock(move |when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param("org_id", "7")
                    .query_param("page", p.to_string())
                    .query_param("per_page", sent);
                then.status(200).json_body(page(p, 2, 2, [p.into()]));
            })
        });
        let mut request = client(&server).list_webhooks().org_id(7);
        if let Some(per_page) = per_page {
            request = request.per_page(per_page);
        }

        let listed: Vec<u64> = request.items().map(|item| item.unwrap().id).collect();

        assert_eq!(listed, [1, 2], "per_page {per_page:?}");
        pages.iter().for_each(|mock| mock.assert_calls(1));
    }
}

#[test]
fn nothing_is_sent_until_send_or_the_first_next() {
    let server = MockServer::start();
    let first = mock_page(&server, 1, page(1, 1, 1, [1]));
    let request = client(&server).list_webhooks().per_page(10);

    let mut items = request.clone().items();
    let pages = request.clone().pages();
    let iterator = request.clone().into_iter();
    first.assert_calls(0);

    assert_eq!(items.next().unwrap().unwrap().id, 1);
    drop((pages, iterator));
    first.assert_calls(1);
}

#[test]
fn a_cloned_request_lists_again_from_the_start() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 2, [1])),
        mock_page(&server, 2, page(2, 2, 2, [2])),
    ];
    let request = client(&server).list_webhooks().per_page(1);

    let once: Vec<u64> = request.clone().items().map(|i| i.unwrap().id).collect();
    let twice: Vec<u64> = request.items().map(|i| i.unwrap().id).collect();

    assert_eq!((once, twice), (vec![1, 2], vec![1, 2]));
    pages.iter().for_each(|mock| mock.assert_calls(2));
}

#[test]
fn iterating_the_request_lists_every_item() {
    let server = MockServer::start();
    let pages = [
        mock_page(&server, 1, page(1, 2, 3, [1, 2])),
        mock_page(&server, 2, page(2, 2, 3, [3])),
    ];

    let mut listed = Vec::new();
    for item in client(&server).list_webhooks().per_page(2) {
        listed.push(item.unwrap().id);
    }

    assert_eq!(listed, [1, 2, 3]);
    pages.iter().for_each(|mock| mock.assert_calls(1));
}

#[test]
fn decodes_every_field_under_the_api_names() {
    let server = MockServer::start();
    let mut with_headers = webhook(2);
    with_headers["event_type"] = json!("lead_received");
    with_headers["custom_headers"] = json!({ "X-Auth-Token": "s3cret", "X-Tenant": "a" });
    let only = mock_page(
        &server,
        1,
        json!({ "page": 1, "max_page": 1, "count": 2, "items": [webhook(1), with_headers] }),
    );

    let received = client(&server).list_webhooks().page(1).send().unwrap();

    let created = "2024-11-27T16:10:44.929678Z";
    let first = WebhookItem::new(
        1,
        "https://hooks.example.com/1",
        EventType::BusinessCreated,
        created,
        created,
        7,
    );
    let mut second = WebhookItem::new(
        2,
        "https://hooks.example.com/2",
        EventType::LeadReceived,
        created,
        created,
        7,
    );
    second.custom_headers = Some(CustomHeaders::from_iter([
        ("X-Auth-Token", "s3cret"),
        ("X-Tenant", "a"),
    ]));
    assert_eq!(received.items, [first, second]);
    only.assert_calls(1);
}

#[test]
fn unknown_event_types_and_unknown_fields_do_not_break_a_listing() {
    let server = MockServer::start();
    let mut unknown = webhook(1);
    unknown["event_type"] = json!("review_created");
    unknown["secret_sauce"] = json!({ "nested": [1, 2] });
    let mut null_headers = webhook(2);
    null_headers["custom_headers"] = json!(null);
    let only = mock_page(
        &server,
        1,
        json!({
            "page": 1, "max_page": 1, "count": 3, "next_cursor": null,
            "items": [unknown, null_headers, webhook(3)],
        }),
    );

    let listed: Vec<WebhookItem> = client(&server)
        .list_webhooks()
        .items()
        .collect::<Result<_, _>>()
        .expect("every item decodes");

    assert_eq!(listed.len(), 3);
    let new = &listed[0].event_type;
    assert!(
        matches!(new, EventType::Unknown(value) if value.as_str() == "review_created"),
        "{new:?}"
    );
    assert_eq!(
        (new.as_str(), new.to_string()),
        ("review_created", "review_created".to_owned())
    );
    assert_eq!(
        serde_json::to_value(&listed[0]).unwrap()["event_type"],
        "review_created"
    );
    assert_eq!(
        (
            listed[1].custom_headers.as_ref(),
            listed[2].custom_headers.as_ref()
        ),
        (None, None)
    );
    only.assert_calls(1);
}

#[test]
fn event_types_read_and_write_the_api_strings() {
    let names = [
        "business_created",
        "business_updated",
        "business_deleted",
        "message_updated",
        "message_created",
        "lead_received",
    ];
    assert_eq!(EventType::KNOWN.len(), names.len());
    for (known, name) in EventType::KNOWN.iter().zip(names) {
        assert_eq!(name.parse::<EventType>(), Ok(known.clone()));
        assert_eq!((known.as_str(), known.to_string()), (name, name.to_owned()));
        assert_eq!(serde_json::to_value(known).unwrap(), name);
        assert_eq!(
            serde_json::from_value::<EventType>(json!(name)).unwrap(),
            *known
        );
    }
}

#[test]
fn custom_headers_validate_names_the_rule_broken() {
    let long_name = format!("X-{}", "a".repeat(127));
    let long_value = "v".repeat(513);
    let six: Vec<(String, &str)> = (0..6).map(|i| (format!("X-H{i}"), "v")).collect();
    let cases: [(CustomHeaders, &str); 7] = [
        (
            CustomHeaders::from_iter(six),
            "6 custom headers, at most 5 allowed",
        ),
        (
            CustomHeaders::from_iter([("Auth", "v")]),
            "must start with \"X-\"",
        ),
        (
            CustomHeaders::from_iter([("x-PARTOO-id", "v")]),
            "uses the reserved prefix",
        ),
        (
            CustomHeaders::from_iter([(long_name.as_str(), "v")]),
            "has 129 characters",
        ),
        (
            CustomHeaders::from_iter([("X-A", long_value.as_str())]),
            "has 513 characters",
        ),
        (
            CustomHeaders::from_iter([("X-A:B", "v")]),
            "the forbidden character ':'",
        ),
        (
            CustomHeaders::from_iter([("X-A", "v\r\nX-Injected: 1")]),
            "contains a control character",
        ),
    ];
    for (headers, rule) in cases {
        let error: CustomHeaderError = headers.validate().expect_err("a broken rule");
        assert!(error.to_string().contains(rule), "{headers:?}: {error}");
    }
    let five_at_the_limits = CustomHeaders::from_iter([
        (format!("x-{}", "a".repeat(126)), "v".repeat(512)),
        ("X-B".to_owned(), String::new()),
        ("X-C".to_owned(), "c".to_owned()),
        ("X-D".to_owned(), "d".to_owned()),
        ("X-My-Partoo".to_owned(), "e".to_owned()),
    ]);
    assert_eq!(five_at_the_limits.validate(), Ok(()));
}

#[test]
fn constructors_choose_the_documented_base_urls() {
    assert_eq!(Client::new(KEY).unwrap().base_url(), PRODUCTION_URL);
    let sandbox = Client::builder().api_key(KEY).sandbox().build().unwrap();
    assert_eq!(sandbox.base_url(), SANDBOX_URL);
    let trailing = Client::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:1/v2/")
        .build()
        .unwrap();
    assert_eq!(trailing.base_url(), "http://127.0.0.1:1/v2");
}

/// Headers as a server may send them, repeated names included (a listing
/// keeps them; `from_iter` would merge them).
fn sent<N: AsRef<str>, V: AsRef<str>>(headers: &[(N, V)]) -> CustomHeaders {
    let entries: Vec<String> = headers
        .iter()
        .map(|(name, value)| format!("{}:{}", json!(name.as_ref()), json!(value.as_ref())))
        .collect();
    serde_json::from_str(&format!("{{{}}}", entries.join(","))).unwrap()
}

#[test]
fn custom_headers_are_equal_in_any_order_with_names_in_any_case() {
    let headers = sent(&[("X-Auth-Token", "t0k"), ("X-Env", "prod")]);
    assert_eq!(headers, sent(&[("x-env", "prod"), ("X-AUTH-TOKEN", "t0k")]));
    assert_ne!(headers, sent(&[("X-Auth-Token", "T0K"), ("X-Env", "prod")]));
    assert_ne!(headers, sent(&[("X-Env", "prod")]));
    assert_ne!(
        headers,
        sent(&[("X-Auth-Token", "t0k"), ("X-Env", "prod"), ("X-More", "1")])
    );
    assert_eq!(CustomHeaders::new(), sent::<&str, &str>(&[]));

    // A repeated name: its values in the same order, wherever the others are.
    let repeated = sent(&[("X-A", "1"), ("X-B", "2"), ("x-a", "3")]);
    assert_eq!(repeated, sent(&[("X-B", "2"), ("x-A", "1"), ("X-A", "3")]));
    assert_ne!(repeated, sent(&[("X-A", "3"), ("X-B", "2"), ("X-A", "1")]));
    assert_ne!(
        sent(&[("X-A", "1"), ("X-A", "1"), ("X-B", "2")]),
        sent(&[("X-A", "1"), ("X-B", "2"), ("X-B", "2")])
    );

    // What holds headers compares by the same rule.
    let mut item = WebhookItem::new(1, "https://e.x/h", EventType::LeadReceived, "c", "u", 7);
    let mut other = item.clone();
    item.custom_headers = Some(headers);
    other.custom_headers = Some(sent(&[("x-env", "prod"), ("x-auth-token", "t0k")]));
    assert_eq!(item, other);
}

type Headers = Vec<(String, String)>;

/// What `==` must mean: for each name without regard to ASCII case, the
/// same values in the same order.
fn by_name(headers: &Headers) -> std::collections::BTreeMap<String, Vec<&str>> {
    let mut names = std::collections::BTreeMap::<String, Vec<&str>>::new();
    for (name, value) in headers {
        names
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value);
    }
    names
}

/// A few names (`é` and `É` differ: only ASCII case folds) and values, so
/// that lists collide.
fn header_lists() -> impl Strategy<Value = Headers> {
    let name = prop::sample::select(vec!["X-A", "x-a", "X-b", "x-B", "X-\u{e9}", "X-\u{c9}"]);
    let value = prop::sample::select(vec!["1", "2", "V", "v"]);
    let header = (name, value).prop_map(|(n, v)| (n.to_owned(), v.to_owned()));
    prop::collection::vec(header, 0..5)
}

/// A list, and another: unrelated, or the first with two neighbours swapped
/// or one name's case flipped (equal or not, depending on the names).
fn header_list_pairs() -> impl Strategy<Value = (Headers, Headers)> {
    header_lists().prop_flat_map(|a| {
        let near = (Just(a.clone()), any::<prop::sample::Index>(), any::<bool>()).prop_map(
            |(mut b, at, swap)| {
                if swap && b.len() >= 2 {
                    let i = at.index(b.len() - 1);
                    b.swap(i, i + 1);
                } else if !b.is_empty() {
                    let i = at.index(b.len());
                    let name = &mut b[i].0;
                    *name = name
                        .chars()
                        .map(|c| match c.is_ascii_uppercase() {
                            true => c.to_ascii_lowercase(),
                            false => c.to_ascii_uppercase(),
                        })
                        .collect();
                }
                b
            },
        );
        (Just(a), prop_oneof![header_lists(), near])
    })
}

proptest! {
    #[test]
    fn custom_headers_are_equal_exactly_when_each_name_has_the_same_values(
        (a, b) in header_list_pairs(),
    ) {
        prop_assert_eq!(sent(&a) == sent(&b), by_name(&a) == by_name(&b), "{:?} {:?}", a, b);
    }
}
