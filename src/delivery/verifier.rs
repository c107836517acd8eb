//! [`Verifier`]: the keys, and the strict parts of verification, what a key
//! and a signature must look like before ring's Ed25519 is asked about them.
//!
//! Everything here handles public data only (public keys, signatures, bodies
//! that anyone on the path can see), so an early return reveals nothing.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::signature::{UnparsedPublicKey, ED25519};

use super::error::{DeliveryError, SignatureError};
use super::{Delivery, PRODUCTION_KEY_PEM, SANDBOX_KEY_PEM};

/// An Ed25519 public key: the 32 bytes of RFC 8032's encoding.
type PublicKey = [u8; 32];

/// The DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410) up to the key:
/// SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (33 bytes, 0 unused bits) }.
/// DER has one encoding of it, so a key's file is these 12 bytes and the key.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";

/// The y coordinates (x's sign bit cleared), in base64, of the eight points
/// of small order that have a canonical encoding: 0 (order 4), 1 (the
/// identity), the two of order 8, and p - 1 (order 2). Their encodings at or
/// above p (p and p + 1) are refused as non-canonical. Any signature made
/// with S = 0 and R the identity verifies under the identity, and under the
/// others for a share of all messages: such a key proves nothing about who
/// signed.
const SMALL_ORDER_Y: [&str; 5] = [
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "JuiVj8KyJ7BFw/SJ8u+Y8NXfrAXTxjM5sTgCiG1T/AU=",
    "xxdqcD1N2E+6PAt2DRBnDyogU/osOczGTsf9d5KsA3o=",
    "7P///////////////////////////////////////38=",
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
    /// Never empty, and every key passed `check_key`.
    keys: Vec<PublicKey>,
}

impl Verifier {
    /// Partoo's production key ([`PRODUCTION_KEY_PEM`]).
    #[must_use]
    pub fn production() -> Verifier {
        Verifier::from_pem(PRODUCTION_KEY_PEM).expect("the published key, tested")
    }

    /// Partoo's sandbox key ([`SANDBOX_KEY_PEM`]).
    #[must_use]
    pub fn sandbox() -> Verifier {
        Verifier::from_pem(SANDBOX_KEY_PEM).expect("the published key, tested")
    }

    /// A verifier of the one Ed25519 key of an SPKI PEM (`-----BEGIN PUBLIC
    /// KEY-----`), as Partoo publishes its keys.
    ///
    /// Text before and after the block is allowed (RFC 7468 lets explanatory
    /// text stand there), but not a second block: a file of several keys is
    /// not "the" key, and which one would be meant cannot be guessed.
    ///
    /// # Errors
    /// [`DeliveryError::Key`] for anything that is not exactly one Ed25519
    /// public key: no block or several, a private key, another algorithm, a
    /// key of small order or encoded non-canonically.
    pub fn from_pem(pem: &str) -> Result<Verifier, DeliveryError> {
        let key = key_from_pem(pem).and_then(check_key);
        let key = key.map_err(|reason| DeliveryError::Key { reason })?;
        Ok(Verifier { keys: vec![key] })
    }

    /// This verifier's keys and `other`'s: a signature made by any of them is
    /// accepted. A key both hold is kept once.
    #[must_use]
    pub fn or(mut self, mut other: Verifier) -> Verifier {
        other.keys.retain(|key| !self.keys.contains(key));
        self.keys.append(&mut other.keys);
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
    /// The header must be strict standard base64 with padding (surrounding
    /// whitespace trimmed) of exactly 64 bytes; ring's Ed25519 also refuses
    /// a signature whose S is not below the group order (a valid signature
    /// with L added to S).
    ///
    /// # Errors
    /// [`SignatureError`]: missing, malformed, or made for another body or by
    /// another key.
    pub fn verify(&self, body: &[u8], signature: Option<&str>) -> Result<(), SignatureError> {
        let text = signature.map_or("", str::trim_ascii);
        if text.is_empty() {
            return Err(SignatureError::Missing);
        }
        let malformed = |reason| SignatureError::Malformed { reason };
        // The engine refuses the URL-safe alphabet, missing or extra padding,
        // and non-zero bits after the last byte.
        let bytes: [u8; 64] = STANDARD
            .decode(text)
            .map_err(|_| malformed("it is not standard base64 with padding"))?
            .try_into()
            .map_err(|_| malformed("it does not decode to the 64 bytes of an Ed25519 signature"))?;
        let signed_by = |key| UnparsedPublicKey::new(&ED25519, key).verify(body, &bytes);
        let any_key = self.keys.iter().any(|key| signed_by(key).is_ok());
        any_key.then_some(()).ok_or(SignatureError::Mismatch)
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
        self.verify(body, signature)
            .map_err(DeliveryError::Signature)?;
        Delivery::parse_unverified(body)
    }
}

/// The keys in base64, as the published PEMs show them after their prefix.
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self.keys.iter().map(|key| STANDARD.encode(key)).collect();
        f.debug_struct("Verifier").field("keys", &keys).finish()
    }
}

/// The Ed25519 key of the one `PUBLIC KEY` block of `pem`, or why there is none.
fn key_from_pem(pem: &str) -> Result<PublicKey, &'static str> {
    let lines = pem.lines().map(str::trim);
    // Only the boundaries count: explanatory text may stand around the block.
    let boundary = |line: &&str| line.starts_with("-----BEGIN ") || line.starts_with("-----END ");
    let boundaries: Vec<&str> = lines.clone().filter(boundary).collect();
    if boundaries.iter().any(|line| line.contains("PRIVATE KEY")) {
        return Err("not a PEM public key: it holds a private key; \
                    give the public key (-----BEGIN PUBLIC KEY-----)");
    }
    if boundaries != [BEGIN, END] {
        return Err("not a PEM public key: expected exactly one \
                    -----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY----- block");
    }
    let block = lines.skip_while(|line| *line != BEGIN).skip(1);
    let base64: String = block.take_while(|line| *line != END).collect();
    let Ok(der) = STANDARD.decode(base64) else {
        return Err("not a PEM public key: the block is not standard base64 with padding");
    };
    let key = der.strip_prefix(&SPKI_PREFIX);
    key.and_then(|key| key.try_into().ok()).ok_or(
        "not an Ed25519 public key: expected the SubjectPublicKeyInfo of one \
         (algorithm 1.3.101.112), as Partoo publishes it",
    )
}

/// The key, unless it would accept signatures its owner never made, or a
/// decoder reads it as another number than it says.
fn check_key(key: PublicKey) -> Result<PublicKey, &'static str> {
    let mut y = key;
    y[31] &= 0x7f;
    // y >= p = 2^255 - 19: 0xed or more, then 0xff up to a last byte of 0x7f.
    if y[0] >= 0xed && y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f {
        Err("refused Ed25519 key: its encoding is not canonical (y is not below 2^255 - 19)")
    } else if SMALL_ORDER_Y.contains(&STANDARD.encode(y).as_str()) {
        Err("refused Ed25519 key: it is a point of small order, under which signatures can be forged")
    } else {
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(key: &PublicKey) -> String {
        let der = [SPKI_PREFIX.as_slice(), key].concat();
        format!("{BEGIN}\n{}\n{END}\n", STANDARD.encode(der))
    }

    fn refused(key: &PublicKey) -> bool {
        matches!(Verifier::from_pem(&pem(key)), Err(DeliveryError::Key { reason }) if reason.starts_with("refused Ed25519 key"))
    }

    #[test]
    fn every_encoding_of_a_small_order_point_is_refused() {
        let mut ys: Vec<PublicKey> = SMALL_ORDER_Y
            .iter()
            .map(|y| STANDARD.decode(y).unwrap().try_into().unwrap())
            .collect();
        // p and p + 1: 0 and 1 again, encoded at or above p.
        for first in [0xed, 0xee] {
            let mut y = [0xff; 32];
            (y[0], y[31]) = (first, 0x7f);
            ys.push(y);
        }
        for y in ys {
            for sign in [0, 0x80] {
                let mut key = y;
                key[31] |= sign;
                assert!(refused(&key), "{key:02x?}");
            }
        }
    }

    #[test]
    fn a_key_above_p_is_refused_and_one_below_is_read() {
        let mut above = [0xff; 32];
        above[0] = 0xf0; // p + 3
        above[31] = 0x7f;
        assert!(refused(&above));
        let mut below = above;
        below[0] = 0xe0; // p - 13
        assert_eq!(check_key(below), Ok(below));
    }

    #[test]
    fn a_pem_with_explanatory_text_and_crlf_is_read() {
        let key = [7; 32];
        let text = format!(
            "Partoo's key\r\n{}after\r\n",
            pem(&key).replace('\n', "\r\n")
        );
        assert_eq!(Verifier::from_pem(&text).unwrap().keys, [key]);
    }

    #[test]
    fn explanatory_text_may_hold_lines_of_dashes() {
        let key = [7; 32];
        let text = format!("----------\n{}----- end of the key -----\n", pem(&key));
        assert_eq!(Verifier::from_pem(&text).unwrap().keys, [key]);
    }

    #[test]
    fn built_in_keys_are_the_published_pems() {
        let (production, sandbox) = (Verifier::production(), Verifier::sandbox());
        assert_ne!(production, sandbox);
        assert_eq!(
            format!("{production:?}"),
            r#"Verifier { keys: ["0G9ciHL6XZQXuWq6W4dFLvwNEPWgcdtQgEVlBIwZWBQ="] }"#
        );
        assert_eq!(
            format!("{sandbox:?}"),
            r#"Verifier { keys: ["LsyvX2yVnG3ZKRIFfEvYk2nkzanoNgAqBSqdeNub4sM="] }"#
        );
    }

    #[test]
    fn or_keeps_a_shared_key_once() {
        let both = Verifier::production().or(Verifier::sandbox());
        assert_eq!(both.clone().or(Verifier::production()), both);
        assert_eq!(both.len(), 2);
    }
}
