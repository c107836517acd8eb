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
//!   verifier is made ([`KeyError::Weak`]).
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
//! [`WebhookItem`](crate::WebhookItem): unknown fields are ignored, every
//! field is optional (absent and `null` read as `None`), identifiers are text
//! whether Partoo sends strings or numbers, and the enumerations
//! ([`LeadFieldType`], [`MessageStatus`], [`SenderType`]) keep values they do
//! not know in `Unknown`, as [`EventType`] does. Anything else is in
//! [`Delivery::payload_json`], or in a type of your own through
//! [`Delivery::payload`].
//!
//! Available with the `verify` feature (on by default).

mod error;
mod payload;
mod signature;

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::EventType;

pub use error::{DeliveryError, KeyError, SignatureError};
pub use payload::{
    Business, BusinessEvent, BusinessRef, Conversation, LeadFieldType, LeadReceived, LeadValue,
    Message, MessageEvent, MessageStatus, SenderType,
};

use signature::PublicKey;

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

/// The 32 bytes of [`PRODUCTION_KEY_PEM`]'s key.
const PRODUCTION_KEY: PublicKey = [
    0xd0, 0x6f, 0x5c, 0x88, 0x72, 0xfa, 0x5d, 0x94, 0x17, 0xb9, 0x6a, 0xba, 0x5b, 0x87, 0x45, 0x2e,
    0xfc, 0x0d, 0x10, 0xf5, 0xa0, 0x71, 0xdb, 0x50, 0x80, 0x45, 0x65, 0x04, 0x8c, 0x19, 0x58, 0x14,
];

/// The 32 bytes of [`SANDBOX_KEY_PEM`]'s key.
const SANDBOX_KEY: PublicKey = [
    0x2e, 0xcc, 0xaf, 0x5f, 0x6c, 0x95, 0x9c, 0x6d, 0xd9, 0x29, 0x12, 0x05, 0x7c, 0x4b, 0xd8, 0x93,
    0x69, 0xe4, 0xcd, 0xa9, 0xe8, 0x36, 0x00, 0x2a, 0x05, 0x2a, 0x9d, 0x78, 0xdb, 0x9b, 0xe2, 0xc3,
];

/// Checks deliveries' signatures against one or more Ed25519 public keys.
///
/// A signature made by any of the keys is accepted: during a key rotation,
/// hold the old and the new key; a receiver for both environments holds
/// both of Partoo's keys.
///
/// ```
/// use partoo_webhooks::delivery::Verifier;
///
/// let both = Verifier::production().or(Verifier::sandbox());
/// assert_eq!(both.len(), 2);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    /// Never empty, and every key passed [`signature::check_key`].
    keys: Vec<PublicKey>,
}

impl Verifier {
    /// Partoo's production key ([`PRODUCTION_KEY_PEM`]).
    #[must_use]
    pub fn production() -> Verifier {
        Verifier {
            keys: vec![PRODUCTION_KEY],
        }
    }

    /// Partoo's sandbox key ([`SANDBOX_KEY_PEM`]).
    #[must_use]
    pub fn sandbox() -> Verifier {
        Verifier {
            keys: vec![SANDBOX_KEY],
        }
    }

    /// A verifier of the one Ed25519 key of an SPKI PEM (`-----BEGIN PUBLIC
    /// KEY-----`), as Partoo publishes its keys.
    ///
    /// # Errors
    /// [`KeyError`] for anything that is not exactly one Ed25519 public key:
    /// no block or several, a private key, another algorithm, a key of small
    /// order or encoded non-canonically.
    pub fn from_pem(pem: &str) -> Result<Verifier, KeyError> {
        let key = signature::key_from_pem(pem)?;
        Ok(Verifier { keys: vec![key] })
    }

    /// This verifier's keys and `other`'s: a signature made by any of them is
    /// accepted. A key both hold is kept once.
    #[must_use]
    pub fn or(mut self, other: Verifier) -> Verifier {
        for key in other.keys {
            if !self.keys.contains(&key) {
                self.keys.push(key);
            }
        }
        self
    }

    /// How many keys the verifier holds; never 0.
    #[allow(clippy::len_without_is_empty)] // it cannot be empty
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Checks that `signature`, the value of the `X-Partoo-Signature-v1`
    /// header as received (`None` when it is absent), is one of the keys'
    /// signature of `body`, the request body exactly as received.
    ///
    /// # Errors
    /// [`SignatureError`]: missing, malformed, or made for another body or by
    /// another key.
    pub fn verify(&self, body: &[u8], signature: Option<&str>) -> Result<(), SignatureError> {
        let signature = signature::decode_signature(signature)?;
        match self
            .keys
            .iter()
            .any(|key| signature::verifies(key, body, &signature))
        {
            true => Ok(()),
            false => Err(SignatureError::Mismatch),
        }
    }

    /// [`verify`](Self::verify), then, only if the signature verified, reads
    /// the body as a delivery.
    ///
    /// # Errors
    /// [`DeliveryError::Signature`] when the signature is refused (the body is
    /// not parsed), [`DeliveryError::Envelope`] when a verified body is not a
    /// delivery.
    pub fn verify_delivery(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Delivery, DeliveryError> {
        self.verify(body, signature)?;
        Delivery::parse_unverified(body)
    }
}

/// The keys in base64, as the published PEMs show them after their prefix.
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self.keys.iter().map(signature::key_base64).collect();
        f.debug_struct("Verifier").field("keys", &keys).finish()
    }
}

/// A delivery: `{"type": EVENT_TYPE, "payload": {...}}`.
///
/// A receiver gets one from [`Verifier::verify_delivery`], from a body whose
/// signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    event_type: EventType,
    /// The payload's JSON text as it was in the body; `null` when absent.
    payload: String,
}

/// The envelope as it is in the body; other fields are ignored.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    event_type: EventType,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
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
        let envelope: Envelope<'_> =
            serde_json::from_slice(body).map_err(|error| DeliveryError::Envelope {
                source: error.into(),
            })?;
        Ok(Delivery {
            event_type: envelope.event_type,
            payload: envelope.payload.map_or("null", RawValue::get).to_owned(),
        })
    }

    /// The event type; one this crate does not know is kept in [`EventType::Unknown`].
    pub fn event_type(&self) -> &EventType {
        &self.event_type
    }

    /// The payload's JSON text, exactly as it was in the body (`null` when
    /// the body had none).
    pub fn payload_json(&self) -> &str {
        &self.payload
    }

    /// The payload read as `T`: one of this module's payload types
    /// ([`LeadReceived`], [`MessageEvent`], [`BusinessEvent`]) or a type of
    /// your own.
    ///
    /// # Errors
    /// [`DeliveryError::Payload`] when the payload does not have `T`'s shape.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, DeliveryError> {
        serde_json::from_str(&self.payload).map_err(|error| DeliveryError::Payload {
            event_type: self.event_type.clone(),
            source: error.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_keys_are_the_published_pems_and_pass_the_key_checks() {
        assert_eq!(
            Verifier::from_pem(PRODUCTION_KEY_PEM),
            Ok(Verifier::production())
        );
        assert_eq!(Verifier::from_pem(SANDBOX_KEY_PEM), Ok(Verifier::sandbox()));
        for key in [PRODUCTION_KEY, SANDBOX_KEY] {
            assert_eq!(signature::check_key(&key), Ok(()));
        }
        assert_ne!(PRODUCTION_KEY, SANDBOX_KEY);
    }

    #[test]
    fn or_keeps_a_shared_key_once() {
        let both = Verifier::production().or(Verifier::sandbox());
        assert_eq!(both.clone().or(Verifier::production()), both);
        assert_eq!(both.len(), 2);
    }
}
