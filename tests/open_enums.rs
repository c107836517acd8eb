//! The enumerations of Partoo's values that may grow (`EventType`, and the
//! payloads' `LeadFieldType`, `MessageStatus`, `SenderType`): whatever the
//! string, it reads back as itself; a known string always comes as its
//! variant, never as `Unknown`; and equality, ordering and hashing are those
//! of the string, whichever variant holds it.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::fmt::{Debug, Display};
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use partoo_webhooks::{DesiredState, DesiredWebhook, EventType, Plan, WebhookItem};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What the tests need of an open enumeration, whose `KNOWN`, `as_str` and
/// `Unknown` are inherent, not a trait's.
struct Shape<T: 'static> {
    known: &'static [T],
    as_str: fn(&T) -> &str,
    is_unknown: fn(&T) -> bool,
}

macro_rules! shape {
    ($name:ident) => {
        Shape::<$name> {
            known: $name::KNOWN,
            as_str: $name::as_str,
            is_unknown: |value| matches!(value, $name::Unknown(_)),
        }
    };
}

trait Open:
    FromStr<Err = std::convert::Infallible>
    + Clone
    + Debug
    + Display
    + Eq
    + Ord
    + Hash
    + Serialize
    + DeserializeOwned
{
}

impl<T> Open for T where
    T: FromStr<Err = std::convert::Infallible>
        + Clone
        + Debug
        + Display
        + Eq
        + Ord
        + Hash
        + Serialize
        + DeserializeOwned
{
}

fn parse<T: Open>(text: &str) -> T {
    let Ok(value) = text.parse();
    value
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

impl<T: Open> Shape<T> {
    fn strings(&self) -> Vec<String> {
        self.known
            .iter()
            .map(|known| (self.as_str)(known).to_owned())
            .collect()
    }

    /// Parsing, `Display`, JSON (a plain string, and one of escapes, which
    /// serde hands over owned) all give back `text`, as a known variant
    /// exactly when one names it.
    fn check_round_trip(&self, text: &str) {
        let names_a_variant = self.strings().iter().any(|known| known == text);
        let parsed: T = parse(text);
        assert_eq!((self.as_str)(&parsed), text);
        assert_eq!(parsed.to_string(), text);
        assert_eq!((self.is_unknown)(&parsed), !names_a_variant, "{parsed:?}");
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(json, serde_json::to_string(text).unwrap());
        let read: T = serde_json::from_str(&json).unwrap();
        assert_eq!((self.as_str)(&read), text);
        assert_eq!((self.is_unknown)(&read), !names_a_variant, "{read:?}");
        // Every character escaped: serde_json then hands the string over owned.
        let units: String = text
            .encode_utf16()
            .map(|unit| format!("\\u{unit:04x}"))
            .collect();
        let read: T = serde_json::from_str(&format!("\"{units}\"")).unwrap();
        assert_eq!((self.as_str)(&read), text);
        assert_eq!((self.is_unknown)(&read), !names_a_variant, "{read:?}");
    }

    /// Two values compare and order as their strings, and hash alike when equal.
    fn check_compare(&self, a: &str, b: &str) {
        let (pa, pb): (T, T) = (parse(a), parse(b));
        assert_eq!(pa == pb, a == b, "{a:?} {b:?}");
        assert_eq!(pa.cmp(&pb), a.cmp(b), "{a:?} {b:?}");
        assert_eq!(pa.partial_cmp(&pb), a.partial_cmp(b), "{a:?} {b:?}");
        let escaped: T = serde_json::from_value(serde_json::Value::String(a.to_owned())).unwrap();
        assert_eq!(hash_of(&pa), hash_of(&escaped), "{a:?}");
        let set: HashSet<T> = [pa.clone(), pb.clone(), parse(a)].into_iter().collect();
        assert_eq!(set.len(), if a == b { 1 } else { 2 });
    }
}

/// Arbitrary text, known strings, and near misses of them (another case, a
/// suffix), which must stay unknown.
fn texts(known: Vec<String>) -> impl Strategy<Value = String> {
    let exact = prop::sample::select(known.clone());
    let upper = prop::sample::select(known.clone()).prop_map(|s| s.to_uppercase());
    let lower = prop::sample::select(known.clone()).prop_map(|s| s.to_lowercase());
    let longer = (prop::sample::select(known), "\\PC{0,2}").prop_map(|(s, tail)| s + &tail);
    prop_oneof![any::<String>(), exact, upper, lower, longer]
}

#[test]
fn every_known_string_parses_to_its_variant_and_back() {
    fn check<T: Open>(shape: Shape<T>) {
        assert!(!shape.known.is_empty());
        for known in shape.known {
            let text = (shape.as_str)(known);
            let parsed: T = parse(text);
            assert!(!(shape.is_unknown)(&parsed), "{text}");
            assert_eq!(&parsed, known);
            assert!(!(shape.is_unknown)(known));
            shape.check_round_trip(text);
        }
        let distinct: HashSet<&str> = shape.known.iter().map(shape.as_str).collect();
        assert_eq!(distinct.len(), shape.known.len(), "one string per variant");
    }
    check(shape!(EventType));
    #[cfg(feature = "verify")]
    {
        use partoo_webhooks::delivery::{LeadFieldType, MessageStatus, SenderType};
        check(shape!(LeadFieldType));
        check(shape!(MessageStatus));
        check(shape!(SenderType));
    }
}

#[test]
fn unknown_values_are_kept_as_sent_and_equal_to_the_same_string() {
    let new: EventType = parse("review_created");
    let EventType::Unknown(value) = &new else {
        panic!("{new:?}");
    };
    assert_eq!(
        (value.as_str(), value.to_string()),
        ("review_created", "review_created".into())
    );
    assert_eq!(new, parse::<EventType>("review_created"));
    assert_ne!(new, parse::<EventType>("Review_Created"));
    assert_eq!(
        format!("{new:?}"),
        r#"Unknown(UnknownValue("review_created"))"#
    );
}

/// The silent miss an `EventType` built from a known string used to cause:
/// a desired webhook read from a file is found by the variant, and the other
/// way round.
#[test]
fn a_desired_webhook_is_found_by_its_event_type_however_it_was_made() {
    let read: DesiredWebhook = serde_json::from_str(
        r#"{"org_id": 7, "event_type": "lead_received", "url": "https://h/leads"}"#,
    )
    .unwrap();
    let state = DesiredState::new(vec![read]).unwrap();
    for (event_type, matched) in [
        (EventType::LeadReceived, true),
        (parse("lead_received"), true),
        (parse("lead_received "), false),
    ] {
        let live = WebhookItem::new(1, "https://h/leads", event_type, "c", "u", 7);
        let plan = Plan::new(&state, &[live]);
        assert_eq!(plan.is_empty(), matched, "{plan:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_event_type_string_round_trips(text in texts(shape!(EventType).strings())) {
        shape!(EventType).check_round_trip(&text);
    }

    #[test]
    fn event_types_compare_order_and_hash_as_their_strings(
        a in texts(shape!(EventType).strings()),
        b in texts(shape!(EventType).strings()),
    ) {
        shape!(EventType).check_compare(&a, &b);
        shape!(EventType).check_compare(&a, &a);
    }
}

#[cfg(feature = "verify")]
mod payloads {
    use partoo_webhooks::delivery::{LeadFieldType, MessageStatus, SenderType};

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_payload_enum_string_round_trips(text in texts(
            [shape!(LeadFieldType).strings(), shape!(MessageStatus).strings(), shape!(SenderType).strings()].concat()
        )) {
            shape!(LeadFieldType).check_round_trip(&text);
            shape!(MessageStatus).check_round_trip(&text);
            shape!(SenderType).check_round_trip(&text);
        }

        #[test]
        fn payload_enums_compare_order_and_hash_as_their_strings(
            a in texts(shape!(MessageStatus).strings()),
            b in texts(shape!(LeadFieldType).strings()),
        ) {
            shape!(LeadFieldType).check_compare(&a, &b);
            shape!(MessageStatus).check_compare(&a, &b);
            shape!(SenderType).check_compare(&b, &a);
        }
    }
}
