//! Reading a delivery: the envelope, the raw payload, and the typed payloads
//! of the documented events, tolerant of what Partoo may add or leave out.
#![cfg(feature = "verify")]

use partoo_webhooks::delivery::{
    BusinessEvent, Delivery, DeliveryError, LeadFieldType, LeadReceived, MessageEvent,
    MessageStatus, SenderType,
};
use partoo_webhooks::EventType;
use proptest::prelude::*;

fn delivery(body: &str) -> Delivery {
    Delivery::parse_unverified(body.as_bytes()).expect("a delivery")
}

#[test]
fn the_payload_json_is_the_text_of_the_body() {
    let body = "{\"payload\" :  { \"b\": 1,\n \"a\": \"\\u00e9\" } , \"type\":\"business_created\", \"extra\": []}";
    let delivery = delivery(body);
    assert_eq!(delivery.event_type(), &EventType::BusinessCreated);
    assert_eq!(
        delivery.payload_json(),
        "{ \"b\": 1,\n \"a\": \"\\u00e9\" }"
    );
}

#[test]
fn a_missing_or_null_payload_reads_as_null() {
    for body in [
        r#"{"type": "lead_received"}"#,
        r#"{"type": "lead_received", "payload": null}"#,
    ] {
        assert_eq!(delivery(body).payload_json(), "null");
    }
}

#[test]
fn unknown_event_types_are_kept() {
    let delivery = delivery(r#"{"type": "review_created", "payload": {}}"#);
    assert!(
        matches!(delivery.event_type(), EventType::Unknown(value) if value.as_str() == "review_created"),
        "{:?}",
        delivery.event_type()
    );
}

#[test]
fn a_body_that_is_not_an_envelope_is_refused() {
    for body in [
        "",
        "not json",
        "[]",
        "\"lead_received\"",
        r#"{"payload": {}}"#,
        r#"{"type": 3, "payload": {}}"#,
        r#"{"type": "lead_received", "type": "message_created"}"#,
        r#"{"type": "lead_received"} trailing"#,
    ] {
        let result = Delivery::parse_unverified(body.as_bytes());
        assert!(
            matches!(result, Err(DeliveryError::Envelope { .. })),
            "{body:?}: {result:?}"
        );
    }
    let not_utf8 = b"{\"type\": \"lead\xff\"}";
    assert!(Delivery::parse_unverified(not_utf8).is_err());
}

#[test]
fn lead_received_reads_with_its_answers() {
    let lead: LeadReceived = delivery(
        r#"{"type": "lead_received", "payload": {
            "id": 981, "source": "chatbot", "created_at": "2024-05-02T10:00:00Z",
            "chatbot_id": "cb-1", "chatbot_name": "Welcome", "business_name": "Café du Port",
            "store_code": "P-12", "new_field": {"x": 1},
            "values": [
                {"id": 1, "type": "EMAIL", "name": "email", "value": "zoe@example.com"},
                {"id": 2, "type": "OPT_IN", "name": "newsletter", "value": true},
                {"id": 3, "type": "DATE", "name": "when", "value": "2024-06-01"},
                {"name": "bare"}
            ]}}"#,
    )
    .payload()
    .unwrap();
    assert_eq!(lead.id.as_deref(), Some("981"));
    assert_eq!(lead.source.as_deref(), Some("chatbot"));
    assert_eq!(lead.business_name.as_deref(), Some("Café du Port"));
    assert_eq!(lead.store_code.as_deref(), Some("P-12"));
    let kinds: Vec<_> = lead.values.iter().map(|value| value.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            Some(LeadFieldType::Email),
            Some(LeadFieldType::OptIn),
            Some("DATE".parse().unwrap()),
            None
        ]
    );
    assert!(matches!(&kinds[2], Some(LeadFieldType::Unknown(value)) if value.as_str() == "DATE"));
    assert_eq!(lead.values[1].value.as_deref(), Some("true"));
    assert_eq!(lead.values[3].value, None);
}

#[test]
fn message_events_read_with_their_conversation() {
    let event: MessageEvent = delivery(
        r#"{"type": "message_updated", "payload": {
            "org_id": 7,
            "message": {
                "id": 55, "conversation_id": 12, "date": "2023-01-31 16:22:17.327878+00:00",
                "content_type": "Text", "sender_type": "Consumer", "sender_label": "Zoë",
                "status": "Success", "is_deleted": false, "content": "Bonjour 👋",
                "user_id": null, "custom_channel": null
            },
            "conversation": {
                "id": 12, "consumer_img": null, "consumer_name": "Zoë",
                "business": {"id": "5409c35a97bbc544d8e26737"}, "messaging_partner": "Facebook"
            }}}"#,
    )
    .payload()
    .unwrap();
    assert_eq!(event.org_id, Some(7));
    let message = event.message.unwrap();
    assert_eq!(message.id.as_deref(), Some("55"));
    assert_eq!(message.sender_type, Some(SenderType::Consumer));
    assert_eq!(message.status, Some(MessageStatus::Success));
    assert_eq!(message.content.as_deref(), Some("Bonjour 👋"));
    assert_eq!(message.user_id, None);
    let conversation = event.conversation.unwrap();
    assert_eq!(
        conversation
            .business
            .and_then(|business| business.id)
            .as_deref(),
        Some("5409c35a97bbc544d8e26737")
    );
    assert_eq!(conversation.messaging_partner.as_deref(), Some("Facebook"));
}

#[test]
fn business_events_read_the_whole_business() {
    for event_type in ["business_created", "business_updated", "business_deleted"] {
        let body = format!(
            r#"{{"type": "{event_type}", "payload": {{"business": {{
                "id": "5409c35a97bbc544d8e26737", "org_id": 7, "group_id": 3, "name": "Le Port",
                "code": "P-12", "status": "open", "city": "Nantes", "zipcode": "44000",
                "country": "FR", "created": 1409930074.2, "modified": 1700000000.5,
                "opening_hours": {{"monday": []}}
            }}}}}}"#
        );
        let delivery = delivery(&body);
        assert_eq!(delivery.event_type().as_str(), event_type);
        let business = delivery
            .payload::<BusinessEvent>()
            .unwrap()
            .business
            .unwrap();
        assert_eq!(business.id.as_deref(), Some("5409c35a97bbc544d8e26737"));
        assert_eq!(business.group_id.as_deref(), Some("3"));
        // Dates are text as Partoo wrote them: here the documented epoch seconds.
        assert_eq!(business.created.as_deref(), Some("1409930074.2"));
        assert_eq!(business.modified.as_deref(), Some("1700000000.5"));
        assert_eq!(business.address_full, None);
    }
}

#[test]
fn an_empty_payload_reads_as_every_field_absent() {
    let delivery = delivery(r#"{"type": "lead_received", "payload": {}}"#);
    assert_eq!(
        delivery.payload::<LeadReceived>().unwrap(),
        LeadReceived::default()
    );
    assert_eq!(
        delivery.payload::<MessageEvent>().unwrap(),
        MessageEvent::default()
    );
    assert_eq!(
        delivery.payload::<BusinessEvent>().unwrap(),
        BusinessEvent::default()
    );
}

#[test]
fn a_payload_of_another_shape_is_a_payload_error_naming_the_event() {
    let delivery = delivery(r#"{"type": "lead_received", "payload": {"values": "none"}}"#);
    let error = delivery.payload::<LeadReceived>().unwrap_err();
    assert!(matches!(
        &error,
        DeliveryError::Payload {
            event_type: EventType::LeadReceived,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "the payload of a \"lead_received\" delivery does not have the shape asked for"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn a_type_of_your_own_reads_the_payload() {
    #[derive(serde::Deserialize)]
    struct Mine {
        opening_hours: std::collections::BTreeMap<String, Vec<String>>,
    }
    let delivery = delivery(
        r#"{"type": "business_updated", "payload": {"opening_hours": {"monday": ["9-12"]}}}"#,
    );
    let mine: Mine = delivery.payload().unwrap();
    assert_eq!(mine.opening_hours["monday"], ["9-12"]);
}

#[test]
fn org_id_reads_from_a_string_or_a_number_in_message_and_business_events() {
    for org_id in ["7", "\"7\""] {
        let message =
            format!(r#"{{"type": "message_updated", "payload": {{"org_id": {org_id}}}}}"#);
        let event: MessageEvent = delivery(&message).payload().unwrap();
        assert_eq!(event.org_id, Some(7), "{org_id}");
        let business = format!(
            r#"{{"type": "business_updated", "payload": {{"business": {{"org_id": {org_id}, "group_id": {org_id}}}}}}}"#
        );
        let event: BusinessEvent = delivery(&business).payload().unwrap();
        let business = event.business.unwrap();
        assert_eq!(business.org_id, Some(7), "{org_id}");
        assert_eq!(business.group_id.as_deref(), Some("7"), "{org_id}");
    }
}

#[test]
fn a_business_s_dates_read_as_partoo_wrote_them_epoch_seconds_or_a_string() {
    let body = r#"{"type": "business_created", "payload": {"business": {
        "id": 5409, "created": "2014-09-05 15:14:34.200000+00:00", "modified": 1700000000
    }}}"#;
    let business = delivery(body)
        .payload::<BusinessEvent>()
        .unwrap()
        .business
        .unwrap();
    assert_eq!(business.id.as_deref(), Some("5409"));
    assert_eq!(
        business.created.as_deref(),
        Some("2014-09-05 15:14:34.200000+00:00")
    );
    assert_eq!(business.modified.as_deref(), Some("1700000000"));
}

/// Every field that is not an object or a list, given as a number where the
/// docs show a string, or as a string where they show a number or a
/// boolean, still reads: no payload fails as a whole for it.
#[test]
fn every_field_reads_whether_partoo_sends_a_string_or_a_number() {
    let lead: LeadReceived = delivery(
        r#"{"type": "lead_received", "payload": {
            "id": "981", "source": 1, "created_at": 1714644000, "chatbot_id": 4,
            "chatbot_name": 5, "business_name": 6, "store_code": 12,
            "values": [{"id": "1", "type": 2, "name": 3, "value": 4.5}]}}"#,
    )
    .payload()
    .unwrap();
    assert_eq!(lead.id.as_deref(), Some("981"));
    assert_eq!(lead.created_at.as_deref(), Some("1714644000"));
    assert_eq!(lead.chatbot_id.as_deref(), Some("4"));
    assert_eq!(lead.store_code.as_deref(), Some("12"));
    let value = &lead.values[0];
    assert_eq!(value.id.as_deref(), Some("1"));
    assert_eq!(value.kind, Some("2".parse().unwrap()));
    assert_eq!(value.value.as_deref(), Some("4.5"));

    let event: MessageEvent = delivery(
        r#"{"type": "message_created", "payload": {
            "org_id": "7",
            "message": {"id": "55", "conversation_id": 12, "date": 1675182137, "content_type": 1,
                        "sender_type": 2, "sender_label": 3, "status": 4, "is_deleted": "true",
                        "content": 5, "user_id": 6, "custom_channel": 7},
            "conversation": {"id": "12", "consumer_img": 1, "consumer_name": 2,
                             "business": {"id": 5409}, "messaging_partner": 3, "custom_channel": 4}
        }}"#,
    )
    .payload()
    .unwrap();
    assert_eq!(event.org_id, Some(7));
    let message = event.message.unwrap();
    assert_eq!(message.conversation_id.as_deref(), Some("12"));
    assert_eq!(message.date.as_deref(), Some("1675182137"));
    assert_eq!(
        message.status.map(|status| status.to_string()).as_deref(),
        Some("4")
    );
    assert_eq!(message.is_deleted, Some(true));
    assert_eq!(message.user_id.as_deref(), Some("6"));
    let conversation = event.conversation.unwrap();
    assert_eq!(conversation.id.as_deref(), Some("12"));
    assert_eq!(conversation.business.unwrap().id.as_deref(), Some("5409"));

    let business = delivery(
        r#"{"type": "business_updated", "payload": {"business": {
            "id": 5409, "org_id": "7", "group_id": 3, "name": 4, "code": 12, "status": 5,
            "address_full": 6, "address": 7, "city": 8, "zipcode": 44000, "region": 9,
            "country": 10, "created": "1409930074.2", "modified": 1700000000.5
        }}}"#,
    )
    .payload::<BusinessEvent>()
    .unwrap()
    .business
    .unwrap();
    assert_eq!(business.org_id, Some(7));
    assert_eq!(business.code.as_deref(), Some("12"));
    assert_eq!(business.zipcode.as_deref(), Some("44000"));
    assert_eq!(business.created.as_deref(), Some("1409930074.2"));
}

#[test]
fn a_value_that_is_neither_string_nor_number_of_the_field_is_a_payload_error() {
    for org_id in [r#""seven""#, "7.5", "-1", "{}", "[7]", "true"] {
        let body = format!(r#"{{"type": "message_updated", "payload": {{"org_id": {org_id}}}}}"#);
        let result = delivery(&body).payload::<MessageEvent>();
        assert!(
            matches!(result, Err(DeliveryError::Payload { .. })),
            "{org_id}: {result:?}"
        );
    }
}

proptest! {
    /// An identifier or a number reads the same whether sent as a number or
    /// as a string.
    #[test]
    fn a_number_and_its_string_read_the_same(n in any::<u64>()) {
        for org_id in [n.to_string(), format!("\"{n}\"")] {
            let body = format!(
                r#"{{"type": "message_updated", "payload": {{"org_id": {org_id}, "message": {{"id": {org_id}}}}}}}"#
            );
            let event: MessageEvent = delivery(&body).payload().unwrap();
            prop_assert_eq!(event.org_id, Some(n));
            prop_assert_eq!(event.message.unwrap().id, Some(n.to_string()));
        }
    }

    /// Whatever the bytes, parsing returns (and never a panic).
    #[test]
    fn arbitrary_bodies_never_panic(body in any::<Vec<u8>>()) {
        let _ = Delivery::parse_unverified(&body);
    }

    /// Any string is a `type`, kept as sent; typed payloads read or fail, never panic.
    #[test]
    fn any_type_string_is_kept(event_type in any::<String>()) {
        let body = serde_json::json!({ "type": event_type, "payload": {"id": 1} }).to_string();
        let delivery = Delivery::parse_unverified(body.as_bytes()).unwrap();
        prop_assert_eq!(delivery.event_type().as_str(), event_type.as_str());
        prop_assert_eq!(delivery.payload_json(), r#"{"id":1}"#);
        let _ = delivery.payload::<LeadReceived>();
        let _ = delivery.payload::<MessageEvent>();
    }
}
