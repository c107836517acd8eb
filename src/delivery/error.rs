//! The errors of receiving a delivery: a signature refused, and everything
//! else (a key, a body that is not a delivery, a payload of another shape).

use std::error::Error;
use std::fmt;

use crate::webhooks::EventType;

/// Why a delivery's signature was refused.
///
/// A handler answers every kind the same way (401, and no retry from
/// Partoo), but logs them apart: `Missing` is usually a request that did not
/// come from Partoo, `Mismatch` one whose body was changed on the way, or
/// signed with another key than the verifier's (the sandbox's, say).
///
/// No variant holds the signature or the body, so an error is safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `X-Partoo-Signature-v1` header, or a blank one.
    Missing,
    /// The header is not a signature: not standard base64 with padding, or
    /// not the 64 bytes of an Ed25519 signature.
    Malformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A well-formed signature that none of the verifier's keys made for this
    /// body, or a non-canonical one (S not below the group order).
    Mismatch,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::Missing => {
                f.write_str("no signature: the X-Partoo-Signature-v1 header is absent or blank")
            }
            SignatureError::Malformed { reason } => write!(f, "malformed signature: {reason}"),
            SignatureError::Mismatch => f.write_str(
                "invalid signature: not made for this body by any of the verifier's keys",
            ),
        }
    }
}

impl Error for SignatureError {}

/// Why a key, a delivery or a payload was refused: what
/// [`Verifier::from_pem`](super::Verifier::from_pem),
/// [`Verifier::verify_delivery`](super::Verifier::verify_delivery),
/// [`Delivery::parse_unverified`](super::Delivery::parse_unverified) and
/// [`Delivery::payload`](super::Delivery::payload) return.
///
/// A receiver answers [`Signature`](Self::Signature) with 401 and the others
/// with 400: Partoo signed the body, so sending it again would not help.
///
/// The decoder's message, when there is one, is the
/// [`source`](std::error::Error::source); it may quote a short piece of the
/// body, which is only ever parsed once its signature verified (or, with
/// [`Delivery::parse_unverified`](super::Delivery::parse_unverified), at the
/// caller's choice). No variant repeats a key's text.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The text given as a public key is not exactly one Ed25519 public key
    /// in an SPKI PEM: no block or several, a private key, another
    /// algorithm, a key of small order or encoded non-canonically.
    Key {
        /// What is wrong with it, as `Display` shows it.
        reason: &'static str,
    },
    /// The signature was refused; the body was not parsed.
    Signature(SignatureError),
    /// The body is not a delivery: not a JSON object with a string `type`.
    Envelope {
        /// What the decoder said.
        source: Box<dyn Error + Send + Sync>,
    },
    /// The payload does not have the shape asked of
    /// [`Delivery::payload`](super::Delivery::payload).
    Payload {
        /// The delivery's event type.
        event_type: EventType,
        /// What the decoder said.
        source: Box<dyn Error + Send + Sync>,
    },
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::Key { reason } => f.write_str(reason),
            DeliveryError::Signature(_) => f.write_str("the delivery's signature was refused"),
            DeliveryError::Envelope { .. } => {
                f.write_str("not a delivery: the body is not a JSON object with a string \"type\"")
            }
            DeliveryError::Payload { event_type, .. } => write!(
                f,
                "the payload of a {:?} delivery does not have the shape asked for",
                event_type.as_str()
            ),
        }
    }
}

impl Error for DeliveryError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            DeliveryError::Key { .. } => None,
            DeliveryError::Signature(error) => Some(error),
            DeliveryError::Envelope { source } | DeliveryError::Payload { source, .. } => {
                Some(source.as_ref())
            }
        }
    }
}
