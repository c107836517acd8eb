//! Webhook configurations: the models and Partoo's rules for them, and the
//! endpoint's requests. Uses the client and the pages; knows nothing of plans.
//!
//! - `mod.rs`: [`WebhookItem`], [`EventType`] and the URL rule.
//! - `custom_headers.rs`: [`CustomHeaders`] and Partoo's rules for them.
//! - `list.rs`: `GET /webhooks`, [`ListWebhooks`].
//! - `write.rs`: get one, create, update, try out: [`WebhookRequest`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::open_enum::open_enum;
use crate::text::mask_url;

mod custom_headers;
mod list;
mod write;

pub use custom_headers::{CustomHeaderError, CustomHeaders};
pub use list::ListWebhooks;
pub use write::{NewWebhook, WebhookRequest, WebhookUpdate};

/// One webhook configuration, with the API's field names.
///
/// Unknown JSON fields are ignored; `custom_headers` reads as `None` when it is
/// absent or `null`, and is left out when serialized as `None`.
///
/// Serialization is faithful; `Debug` is for logs, and shows the URL with
/// every query value and any credentials as `***`, and the custom headers
/// without their values.
///
/// ```
/// use partoo_webhooks::{EventType, WebhookItem};
///
/// let item = WebhookItem::new(1, "https://e.x/hook?key=9fa91de19", EventType::LeadReceived, "c", "u", 7);
/// assert!(format!("{item:?}").contains(r#"url: "https://e.x/hook?key=***""#));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookItem {
    /// The configuration's identifier.
    pub id: u64,
    /// The HTTPS URL that receives the events.
    pub url: String,
    /// The event that triggers the webhook.
    pub event_type: EventType,
    /// When the configuration was created, as ISO 8601 (`2024-11-27T16:10:44.929678Z`).
    pub created_at: String,
    /// When it was last updated, as ISO 8601.
    pub updated_at: String,
    /// The organization it belongs to.
    pub org_id: u64,
    /// Headers Partoo adds to each call; `None` when the API sent none (or `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_headers: Option<CustomHeaders>,
}

impl fmt::Debug for WebhookItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookItem")
            .field("id", &self.id)
            .field("url", &mask_url(&self.url))
            .field("event_type", &self.event_type)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("org_id", &self.org_id)
            .field("custom_headers", &self.custom_headers)
            .finish()
    }
}

impl WebhookItem {
    /// A configuration without custom headers, for tests and mocks.
    pub fn new(
        id: u64,
        url: impl Into<String>,
        event_type: EventType,
        created_at: impl Into<String>,
        updated_at: impl Into<String>,
        org_id: u64,
    ) -> Self {
        WebhookItem {
            id,
            url: url.into(),
            event_type,
            created_at: created_at.into(),
            updated_at: updated_at.into(),
            org_id,
            custom_headers: None,
        }
    }
}

open_enum! {
    /// The event a webhook subscribes to.
    ///
    /// Partoo adds event types without notice, so any value the API sends is
    /// accepted: one this crate does not know yet is kept as sent in
    /// [`EventType::Unknown`], and serializes back to the same string.
    ///
    /// ```
    /// use partoo_webhooks::EventType;
    ///
    /// let known: EventType = "lead_received".parse().unwrap();
    /// assert_eq!(known, EventType::LeadReceived);
    /// let new: EventType = "review_created".parse().unwrap();
    /// assert!(matches!(&new, EventType::Unknown(value) if value.as_str() == "review_created"));
    /// assert_eq!(new.as_str(), "review_created");
    /// ```
    pub enum EventType {
        /// `business_created`
        BusinessCreated = "business_created",
        /// `business_updated`
        BusinessUpdated = "business_updated",
        /// `business_deleted`
        BusinessDeleted = "business_deleted",
        /// `message_updated`
        MessageUpdated = "message_updated",
        /// `message_created`
        MessageCreated = "message_created",
        /// `lead_received`
        LeadReceived = "lead_received",
    }
}

/// Whether `url` is `https://` and something after it: Partoo calls HTTPS
/// URLs only.
pub(crate) fn is_https(url: &str) -> bool {
    let (scheme, rest) = url.split_at_checked(8).unwrap_or_default();
    scheme.eq_ignore_ascii_case("https://") && !rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_known_and_unknown() {
        for known in EventType::KNOWN {
            let json = serde_json::to_string(known).unwrap();
            assert_eq!(serde_json::from_str::<EventType>(&json).unwrap(), *known);
        }
        let new: EventType = serde_json::from_str(r#""review_created""#).unwrap();
        assert!(matches!(&new, EventType::Unknown(value) if value.as_str() == "review_created"));
        assert_eq!(new.to_string(), "review_created");
        assert_eq!(serde_json::to_string(&new).unwrap(), r#""review_created""#);
    }

    #[test]
    fn custom_headers_absent_or_null_read_as_none() {
        let base = r#""id":1,"url":"https://e.x/h","event_type":"lead_received","created_at":"c","updated_at":"u","org_id":2"#;
        for json in [
            format!("{{{base}}}"),
            format!(r#"{{{base},"custom_headers":null,"new_field":[1]}}"#),
        ] {
            let item: WebhookItem = serde_json::from_str(&json).unwrap();
            assert_eq!(item.custom_headers, None);
            assert!(!serde_json::to_string(&item)
                .unwrap()
                .contains("custom_headers"));
        }
        let with = format!(r#"{{{base},"custom_headers":{{"X-A":"1"}}}}"#);
        let item: WebhookItem = serde_json::from_str(&with).unwrap();
        assert_eq!(item.custom_headers.unwrap().get("x-a"), Some("1"));
    }
}
