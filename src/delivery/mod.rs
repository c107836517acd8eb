//! Receiving webhooks: verify Partoo's signature of a delivery, then read it.
//!
//! Partoo signs every delivery it sends: the header `X-Partoo-Signature-v1`
//! holds the base64 of an Ed25519 signature over the raw request body, made
//! with one key for production and another for the sandbox. A receiver
//! verifies the body exactly as received, before parsing it, and answers 401
//! when it does not verify (Partoo never retries a 4xx):
//!
//! ```
//! use partoo_webhooks::delivery::{DeliveryError, LeadReceived, Verifier};
//! use partoo_webhooks::EventType;
//!
//! /// The status to answer a POST with.
//! fn receive(verifier: &Verifier, body: &[u8], signature: Option<&str>) -> u16 {
//!     let delivery = match verifier.verify_delivery(body, signature) {
//!         Ok(delivery) => delivery,
//!         Err(DeliveryError::Signature(error)) => {
//!             eprintln!("refused: {error}");
//!             return 401;
//!         }
//!         Err(error) => {
//!             eprintln!("signed, but {error}");
//!             return 400; // Partoo's own body: sending it again would not help.
//!         }
//!     };
//!     match delivery.event_type() {
//!         EventType::LeadReceived => match delivery.payload::<LeadReceived>() {
//!             Ok(lead) => println!("lead for {:?}", lead.business_name),
//!             Err(error) => eprintln!("{error}"),
//!         },
//!         other => println!("{other}: {}", delivery.payload_json()),
//!     }
//!     200
//! }
//!
//! let verifier = Verifier::production();
//! assert_eq!(receive(&verifier, br#"{"type":"lead_received"}"#, None), 401);
//! ```
//!
//! `examples/receiver.rs` is a whole receiver: an HTTP server that caps the
//! body, verifies, answers, and dispatches on the event type.
//!
//! # What is refused
//!
//! - A missing or blank header ([`SignatureError::Missing`]).
//! - Anything but standard base64 with its padding (surrounding whitespace
//!   is trimmed): the URL-safe alphabet, missing padding, non-zero bits after
//!   the last byte; and anything but 64 bytes ([`SignatureError::Malformed`]).
//! - A signature of another body or another key, and a non-canonical one
//!   whose S is not below the group order ([`SignatureError::Mismatch`]).
//! - Public keys of small order, and keys encoded non-canonically, when the
//!   verifier is made ([`DeliveryError::Key`]).
//!
//! The body is verified byte for byte: the same JSON serialized again
//! (another key order, other escapes) does not verify. Verification runs
//! ring's Ed25519 on public data only (keys, signature, body), so its timing
//! reveals nothing to keep secret.
//!
//! Partoo documents no timestamp and no replay protection: a delivery
//! recorded by someone on the path verifies again when sent again. Make the
//! handling idempotent (Partoo does not rule out sending one twice either).
//!
//! # Payloads
//!
//! [`LeadReceived`], [`MessageEvent`] and [`BusinessEvent`] hold the fields
//! Partoo's event reference documents, read as tolerantly as
//! [`WebhookItem`](crate::WebhookItem): unknown fields are ignored, and every
//! field is optional (absent and `null` read as `None`, or as an empty list).
//! Every field that is not an object or a list reads whether Partoo sends a
//! string or a number: identifiers and numbers (`org_id` as `7` or `"7"`,
//! an `id` as `55` or `"55"`), booleans as `true` or `"true"`. Text fields
//! hold a number's JSON text (`7` reads as `"7"`), and dates are text as
//! Partoo wrote them (a business's `created` as `"1409930074.2"` from epoch
//! seconds, or the date it sent in a string). The enumerations
//! ([`LeadFieldType`], [`MessageStatus`], [`SenderType`]) keep values they do
//! not know in `Unknown`, as [`EventType`] does. A value that is none of
//! these (an `org_id` of `"seven"`, a list where an object is documented)
//! makes [`Delivery::payload`] fail with [`DeliveryError::Payload`]. Anything
//! else is in [`Delivery::payload_json`], or in a type of your own through
//! [`Delivery::payload`].
//!
//! Available with the `verify` feature (on by default).

mod error;
mod payload;
mod verifier;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::webhooks::EventType;

pub use error::{DeliveryError, SignatureError};
pub use payload::{
    Business, BusinessEvent, BusinessRef, Conversation, LeadFieldType, LeadReceived, LeadValue,
    Message, MessageEvent, MessageStatus, SenderType,
};
pub use verifier::Verifier;

/// The header that carries a delivery's signature.
pub const SIGNATURE_HEADER: &str = "X-Partoo-Signature-v1";

/// The header that marks a test delivery, sent by `POST /webhooks/tryout`.
pub const TRYOUT_HEADER: &str = "X-Partoo-Webhook-Tryout";

/// Partoo's production key, as published.
pub const PRODUCTION_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA0G9ciHL6XZQXuWq6W4dFLvwNEPWgcdtQgEVlBIwZWBQ=
-----END PUBLIC KEY-----
";

/// Partoo's sandbox key, as published.
pub const SANDBOX_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEALsyvX2yVnG3ZKRIFfEvYk2nkzanoNgAqBSqdeNub4sM=
-----END PUBLIC KEY-----
";

/// A delivery: `{"type": EVENT_TYPE, "payload": {...}}`.
///
/// A receiver gets one from [`Verifier::verify_delivery`], from a body whose
/// signature verified. Like [`Delivery::parse_unverified`], its
/// `Deserialize` implementation verifies nothing.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    #[serde(rename = "type")]
    event_type: EventType,
    /// The payload's JSON text as it was in the body; `None` when absent or
    /// `null`. Other fields of the body are ignored.
    #[serde(default)]
    payload: Option<Box<RawValue>>,
}

impl Delivery {
    /// Reads a body as a delivery **without verifying anything**: for tests,
    /// replays of deliveries verified before, and bodies verified elsewhere.
    /// A receiver uses [`Verifier::verify_delivery`].
    ///
    /// ```
    /// use partoo_webhooks::delivery::Delivery;
    /// use partoo_webhooks::EventType;
    ///
    /// let body = br#"{"type": "review_created", "payload": {"id": 3}}"#;
    /// let delivery = Delivery::parse_unverified(body)?;
    /// assert!(matches!(delivery.event_type(), EventType::Unknown(new) if new.as_str() == "review_created"));
    /// assert_eq!(delivery.payload_json(), r#"{"id": 3}"#);
    /// # Ok::<_, partoo_webhooks::delivery::DeliveryError>(())
    /// ```
    ///
    /// # Errors
    /// [`DeliveryError::Envelope`] when the body is not a JSON object with a
    /// string `type` (a missing or `null` `payload` is allowed).
    pub fn parse_unverified(body: &[u8]) -> Result<Delivery, DeliveryError> {
        serde_json::from_slice(body).map_err(|error| DeliveryError::Envelope {
            source: error.into(),
        })
    }

    /// The event type; one this crate does not know is kept in [`EventType::Unknown`].
    pub fn event_type(&self) -> &EventType {
        &self.event_type
    }

    /// The payload's JSON text, exactly as it was in the body (`null` when
    /// the body had none).
    pub fn payload_json(&self) -> &str {
        self.payload.as_deref().map_or("null", RawValue::get)
    }

    /// The payload read as `T`: one of this module's payload types
    /// ([`LeadReceived`], [`MessageEvent`], [`BusinessEvent`]) or a type of
    /// your own.
    ///
    /// # Errors
    /// [`DeliveryError::Payload`] when the payload does not have `T`'s shape.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, DeliveryError> {
        serde_json::from_str(self.payload_json()).map_err(|error| DeliveryError::Payload {
            event_type: self.event_type.clone(),
            source: error.into(),
        })
    }
}
