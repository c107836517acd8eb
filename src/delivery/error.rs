//! The errors of receiving a delivery: loading a key, verifying a signature,
//! reading what was verified.

use std::fmt;

use crate::{Cause, EventType};

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

impl std::error::Error for SignatureError {}

/// Why [`Verifier::from_pem`](super::Verifier::from_pem) refused a key.
///
/// No variant repeats the text it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not one PEM block labelled `PUBLIC KEY`.
    NotPem {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A public key, but not an Ed25519 one (RSA, EC, X25519, ...), or not
    /// exactly the SubjectPublicKeyInfo of one (RFC 8410).
    NotEd25519,
    /// An Ed25519 key that cannot show who signed: a point of small order,
    /// or an encoding that is not canonical.
    Weak {
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::NotPem { reason } => write!(f, "not a PEM public key: {reason}"),
            KeyError::NotEd25519 => f.write_str(
                "not an Ed25519 public key: expected the SubjectPublicKeyInfo of one \
                 (algorithm 1.3.101.112), as Partoo publishes it",
            ),
            KeyError::Weak { reason } => write!(f, "refused Ed25519 key: {reason}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// Why [`Verifier::verify_delivery`](super::Verifier::verify_delivery) or
/// [`Delivery::payload`](super::Delivery::payload) gave no delivery or payload.
///
/// The decoder's message, when there is one, is the
/// [`source`](std::error::Error::source); it may quote a short piece of the
/// body, which is only ever parsed once its signature verified (or, with
/// [`Delivery::parse_unverified`](super::Delivery::parse_unverified), at the
/// caller's choice).
#[derive(Debug)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The signature was refused; the body was not parsed.
    Signature(SignatureError),
    /// The body is not a delivery: not a JSON object with a string `type`.
    Envelope {
        /// What the decoder said.
        source: Cause,
    },
    /// The payload does not have the shape asked of
    /// [`Delivery::payload`](super::Delivery::payload).
    Payload {
        /// The delivery's event type.
        event_type: EventType,
        /// What the decoder said.
        source: Cause,
    },
}

impl From<SignatureError> for DeliveryError {
    fn from(error: SignatureError) -> Self {
        DeliveryError::Signature(error)
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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

impl std::error::Error for DeliveryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeliveryError::Signature(error) => Some(error),
            DeliveryError::Envelope { source } | DeliveryError::Payload { source, .. } => {
                Some(source.as_ref())
            }
        }
    }
}
