//! The payloads of the documented events; how tolerant they are is said in
//! the module docs of [`delivery`](super).
//!
//! Every payload type has the one shape made by [`payload!`]: every field
//! optional and read by [`lenient`], so that no field is a special case.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::open_enum::open_enum;

/// Defines payload types: `Debug`, `Clone`, `Default`, `PartialEq`,
/// `Deserialize` and `#[non_exhaustive]`; every field public, its default
/// when absent, and read by [`lenient`].
macro_rules! payload {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$field_meta:meta])* $field:ident: $type:ty,)+
        }
    )+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(default, deserialize_with = "lenient")]
                pub $field: $type,
            )+
        }
    )+};
}

/// Reads a field whichever JSON type Partoo gave it: a value of the field's
/// type as it is; a string holding one as what it holds (`"7"` for a
/// number, `"true"` for a boolean); a number or a boolean where text is
/// expected as its JSON text (`7` as `"7"`); `null` as absent. Anything else
/// (an `org_id` of `"seven"`, a list where an object is expected) is an
/// error of the payload.
fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    let read = match value {
        Value::Null => return Ok(T::default()),
        Value::String(ref text) => T::deserialize(&value).or_else(|_| serde_json::from_str(text)),
        _ => T::deserialize(&value).or_else(|_| T::deserialize(Value::String(value.to_string()))),
    };
    read.map_err(D::Error::custom)
}

payload! {
    /// The payload of `lead_received`: a lead collected by a chatbot (or another source).
    pub struct LeadReceived {
        /// The lead's identifier.
        id: Option<String>,
        /// Where the lead comes from, e.g. `chatbot`.
        source: Option<String>,
        /// When the lead was collected, as Partoo wrote it.
        created_at: Option<String>,
        /// The chatbot that collected it.
        chatbot_id: Option<String>,
        /// The chatbot's name.
        chatbot_name: Option<String>,
        /// The business the lead is for.
        business_name: Option<String>,
        /// The business's store code.
        store_code: Option<String>,
        /// The answers collected; empty when absent.
        values: Vec<LeadValue>,
    }

    /// One answer of a lead.
    pub struct LeadValue {
        /// The field's identifier.
        id: Option<String>,
        /// What kind of answer it is (`TEXT`, `EMAIL`, `BOOLEAN`, ...).
        #[serde(rename = "type")]
        kind: Option<LeadFieldType>,
        /// The field's name, as the chatbot asked it.
        name: Option<String>,
        /// The answer: a JSON string as its text, anything else (`true`, `42`)
        /// as its JSON text; read it according to [`kind`](Self::kind).
        value: Option<String>,
    }

    /// The payload of `message_created` and `message_updated`: a message and its conversation.
    pub struct MessageEvent {
        /// The message.
        message: Option<Message>,
        /// The conversation it belongs to.
        conversation: Option<Conversation>,
        /// The organization.
        org_id: Option<u64>,
    }

    /// A message of a conversation.
    pub struct Message {
        /// The message's identifier.
        id: Option<String>,
        /// Its conversation's identifier.
        conversation_id: Option<String>,
        /// When it was sent, as Partoo wrote it (`2023-01-31 16:22:17.327878+00:00`).
        date: Option<String>,
        /// What it holds, e.g. `Text`.
        content_type: Option<String>,
        /// Who sent it.
        sender_type: Option<SenderType>,
        /// The sender's name as shown.
        sender_label: Option<String>,
        /// Where its sending is.
        status: Option<MessageStatus>,
        /// Whether it was deleted.
        is_deleted: Option<bool>,
        /// Its content: a JSON string as its text, anything else as its JSON text.
        content: Option<String>,
        /// The Partoo user who sent it, for a message of the business.
        user_id: Option<String>,
        /// The custom channel it came through, as JSON text when not a string.
        custom_channel: Option<String>,
    }

    /// The conversation of a message.
    pub struct Conversation {
        /// The conversation's identifier.
        id: Option<String>,
        /// The consumer's picture (a URL).
        consumer_img: Option<String>,
        /// The consumer's name.
        consumer_name: Option<String>,
        /// The business the conversation is with.
        business: Option<BusinessRef>,
        /// The messaging service, e.g. `Facebook`.
        messaging_partner: Option<String>,
        /// The custom channel, as JSON text when not a string.
        custom_channel: Option<String>,
    }

    /// A business named by its identifier.
    pub struct BusinessRef {
        /// The business's identifier.
        id: Option<String>,
    }

    /// The payload of `business_created`, `business_updated` and `business_deleted`.
    pub struct BusinessEvent {
        /// The business, whole.
        business: Option<Business>,
    }

    /// A business (a location), with the fields most receivers need.
    pub struct Business {
        /// The business's identifier, e.g. `5409c35a97bbc544d8e26737`.
        id: Option<String>,
        /// Its organization.
        org_id: Option<u64>,
        /// Its group.
        group_id: Option<String>,
        /// Its name.
        name: Option<String>,
        /// Its store code.
        code: Option<String>,
        /// Its status, e.g. `open`.
        status: Option<String>,
        /// The whole address on one line.
        address_full: Option<String>,
        /// The street address.
        address: Option<String>,
        /// The city.
        city: Option<String>,
        /// The postal code.
        zipcode: Option<String>,
        /// The region.
        region: Option<String>,
        /// The country, as Partoo writes it (`FR`).
        country: Option<String>,
        /// When it was created, as Partoo wrote it: seconds since the Unix
        /// epoch as documented (`1409930074.2`), or a date in a string.
        created: Option<String>,
        /// When it was last changed, as Partoo wrote it (see
        /// [`created`](Self::created)).
        modified: Option<String>,
    }
}

open_enum! {
    /// The kind of a lead's answer.
    pub enum LeadFieldType {
        /// `TEXT`
        Text = "TEXT",
        /// `NUMBER`
        Number = "NUMBER",
        /// `EMAIL`
        Email = "EMAIL",
        /// `PHONE_NUMBER`
        PhoneNumber = "PHONE_NUMBER",
        /// `BOOLEAN`
        Boolean = "BOOLEAN",
        /// `OPT_IN`
        OptIn = "OPT_IN",
    }
}

open_enum! {
    /// Where the sending of a message is: `Sending`, then `Success` or `Failed`.
    pub enum MessageStatus {
        /// `Sending`
        Sending = "Sending",
        /// `Success`
        Success = "Success",
        /// `Failed`
        Failed = "Failed",
    }
}

open_enum! {
    /// Who sent a message.
    pub enum SenderType {
        /// `User`: someone of the business, through Partoo.
        User = "User",
        /// `Consumer`: the business's customer.
        Consumer = "Consumer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_read_as_text_from_strings_and_numbers() {
        let value: LeadValue =
            serde_json::from_str(r#"{"id": 12, "type": "BOOLEAN", "value": true}"#).unwrap();
        assert_eq!(value.id.as_deref(), Some("12"));
        assert_eq!(value.kind, Some(LeadFieldType::Boolean));
        assert_eq!(value.value.as_deref(), Some("true"));
        let value: LeadValue = serde_json::from_str(r#"{"id": "a\u00e9", "value": null}"#).unwrap();
        assert_eq!(value.id.as_deref(), Some("aé"));
        assert_eq!(value.value, None);
    }

    #[test]
    fn payloads_read_from_a_json_value_too() {
        let value =
            serde_json::json!({"org_id": "7", "message": {"id": 55, "is_deleted": "false"}});
        let event: MessageEvent = serde_json::from_value(value).unwrap();
        assert_eq!(event.org_id, Some(7));
        let message = event.message.unwrap();
        assert_eq!(
            (message.id.as_deref(), message.is_deleted),
            (Some("55"), Some(false))
        );
    }

    #[test]
    fn a_list_reads_null_as_empty_and_an_object_as_its_json_text_where_text_is_expected() {
        let lead: LeadReceived = serde_json::from_str(r#"{"values": null}"#).unwrap();
        assert!(lead.values.is_empty());
        let value: LeadValue = serde_json::from_str(r#"{"value": {"a": [1]}}"#).unwrap();
        assert_eq!(value.value.as_deref(), Some(r#"{"a":[1]}"#));
    }

    #[test]
    fn open_enums_keep_unknown_values() {
        let status: MessageStatus = serde_json::from_str(r#""Delivered""#).unwrap();
        assert!(matches!(&status, MessageStatus::Unknown(value) if value.as_str() == "Delivered"));
        assert_eq!(status.to_string(), "Delivered");
        assert_eq!(
            serde_json::to_string(&SenderType::Consumer).unwrap(),
            r#""Consumer""#
        );
        // A string with an escape is not borrowed, and still reads.
        let kind: LeadFieldType = serde_json::from_str(r#""OPT\u005fIN""#).unwrap();
        assert_eq!(kind, LeadFieldType::OptIn);
    }
}
