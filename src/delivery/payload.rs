//! The payloads of the documented events; how tolerant they are is said in
//! the module docs of [`delivery`](super).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::open_enum::open_enum;

/// The payload of `lead_received`: a lead collected by a chatbot (or another source).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LeadReceived {
    /// The lead's identifier.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// Where the lead comes from, e.g. `chatbot`.
    pub source: Option<String>,
    /// When the lead was collected, as Partoo wrote it.
    #[serde(default, deserialize_with = "text")]
    pub created_at: Option<String>,
    /// The chatbot that collected it.
    #[serde(default, deserialize_with = "text")]
    pub chatbot_id: Option<String>,
    /// The chatbot's name.
    pub chatbot_name: Option<String>,
    /// The business the lead is for.
    pub business_name: Option<String>,
    /// The business's store code.
    pub store_code: Option<String>,
    /// The answers collected; empty when absent.
    #[serde(default, deserialize_with = "list")]
    pub values: Vec<LeadValue>,
}

/// One answer of a lead.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LeadValue {
    /// The field's identifier.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// What kind of answer it is (`TEXT`, `EMAIL`, `BOOLEAN`, ...).
    #[serde(rename = "type")]
    pub kind: Option<LeadFieldType>,
    /// The field's name, as the chatbot asked it.
    pub name: Option<String>,
    /// The answer: a JSON string as its text, anything else (`true`, `42`)
    /// as its JSON text; read it according to [`kind`](Self::kind).
    #[serde(default, deserialize_with = "text")]
    pub value: Option<String>,
}

/// The payload of `message_created` and `message_updated`: a message and its conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct MessageEvent {
    /// The message.
    pub message: Option<Message>,
    /// The conversation it belongs to.
    pub conversation: Option<Conversation>,
    /// The organization.
    pub org_id: Option<u64>,
}

/// A message of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// The message's identifier.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// Its conversation's identifier.
    #[serde(default, deserialize_with = "text")]
    pub conversation_id: Option<String>,
    /// When it was sent, as Partoo wrote it (`2023-01-31 16:22:17.327878+00:00`).
    pub date: Option<String>,
    /// What it holds, e.g. `Text`.
    pub content_type: Option<String>,
    /// Who sent it.
    pub sender_type: Option<SenderType>,
    /// The sender's name as shown.
    pub sender_label: Option<String>,
    /// Where its sending is.
    pub status: Option<MessageStatus>,
    /// Whether it was deleted.
    pub is_deleted: Option<bool>,
    /// Its content: a JSON string as its text, anything else as its JSON text.
    #[serde(default, deserialize_with = "text")]
    pub content: Option<String>,
    /// The Partoo user who sent it, for a message of the business.
    #[serde(default, deserialize_with = "text")]
    pub user_id: Option<String>,
    /// The custom channel it came through, as JSON text when not a string.
    #[serde(default, deserialize_with = "text")]
    pub custom_channel: Option<String>,
}

/// The conversation of a message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Conversation {
    /// The conversation's identifier.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// The consumer's picture (a URL).
    pub consumer_img: Option<String>,
    /// The consumer's name.
    pub consumer_name: Option<String>,
    /// The business the conversation is with.
    pub business: Option<BusinessRef>,
    /// The messaging service, e.g. `Facebook`.
    pub messaging_partner: Option<String>,
    /// The custom channel, as JSON text when not a string.
    #[serde(default, deserialize_with = "text")]
    pub custom_channel: Option<String>,
}

/// A business named by its identifier.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BusinessRef {
    /// The business's identifier.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
}

/// The payload of `business_created`, `business_updated` and `business_deleted`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BusinessEvent {
    /// The business, whole.
    pub business: Option<Business>,
}

/// A business (a location), with the fields most receivers need.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Business {
    /// The business's identifier, e.g. `5409c35a97bbc544d8e26737`.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// Its organization.
    pub org_id: Option<u64>,
    /// Its group.
    #[serde(default, deserialize_with = "text")]
    pub group_id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its store code.
    pub code: Option<String>,
    /// Its status, e.g. `open`.
    pub status: Option<String>,
    /// The whole address on one line.
    pub address_full: Option<String>,
    /// The street address.
    pub address: Option<String>,
    /// The city.
    pub city: Option<String>,
    /// The postal code.
    pub zipcode: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// The country, as Partoo writes it (`FR`).
    pub country: Option<String>,
    /// When it was created, in seconds since the Unix epoch.
    pub created: Option<f64>,
    /// When it was last changed, in seconds since the Unix epoch.
    pub modified: Option<f64>,
}

/// Text whether JSON holds a string (its text) or anything else (its JSON
/// text, as sent): identifiers that are numbers in one event and strings in
/// another, answers that are booleans. `null` is `None`.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let Some(raw) = Option::<Box<RawValue>>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let json = raw.get();
    match json.starts_with('"') {
        true => serde_json::from_str(json)
            .map(Some)
            .map_err(D::Error::custom),
        false => Ok(Some(json.to_owned())),
    }
}

/// A list, with `null` read as an empty one.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
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
