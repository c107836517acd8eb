//! The strict parts of verification: what a key and a signature must look
//! like before ring's Ed25519 is asked about them.
//!
//! Everything here handles public data only (public keys, signatures, bodies
//! that anyone on the path can see), so an early return reveals nothing.

use base64::engine::general_purpose::STANDARD;
use base64::{DecodeSliceError, Engine as _};
use ring::signature::{UnparsedPublicKey, ED25519};

use super::error::{KeyError, SignatureError};

/// An Ed25519 public key: the 32 bytes of RFC 8032's encoding.
pub(super) type PublicKey = [u8; 32];

/// A decoded signature: R then S, 32 bytes each.
pub(super) type Signature = [u8; 64];

/// The DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410) up to the key:
/// SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (33 bytes, 0 unused bits) }.
/// DER has one encoding of it, so a key's file is these 12 bytes and the key.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";

/// The y coordinates (low 255 bits, little-endian) of the eight points of
/// small order, and the two that have a second encoding at or above p
/// (y + p for y = 0 and y = 1). The top bit, x's sign, is ignored when
/// comparing, so these stand for all fourteen encodings a decoder accepts.
/// Any signature made with S = 0 and R the identity verifies under the
/// identity, and under the others for a share of all messages: such a key
/// proves nothing about who signed.
const SMALL_ORDER_Y: [PublicKey; 7] = [
    // 0: the points of order 4.
    [0; 32],
    // 1: the identity.
    le_with_first_byte(0x01, 0x00),
    // The points of order 8.
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // p - 1: the point of order 2.
    le_with_first_byte(0xec, 0xff),
    // p and p + 1: 0 and 1 again, encoded at or above p.
    le_with_first_byte(0xed, 0xff),
    le_with_first_byte(0xee, 0xff),
];

/// A 255-bit little-endian number: `first`, then `rest` in every other byte
/// (the top bit clear).
const fn le_with_first_byte(first: u8, rest: u8) -> PublicKey {
    let mut bytes = [rest; 32];
    bytes[0] = first;
    bytes[31] &= 0x7f;
    bytes
}

/// Reads one `BEGIN PUBLIC KEY` block holding an Ed25519 key, and checks the key.
///
/// Text before and after the block is allowed (RFC 7468 lets explanatory
/// text stand there), but not a second block: a file of several keys is not
/// "the" key, and which one would be meant cannot be guessed.
pub(super) fn key_from_pem(pem: &str) -> Result<PublicKey, KeyError> {
    let not_pem = |reason| KeyError::NotPem { reason };
    let mut lines = pem.lines().map(str::trim);
    let Some(begin) = lines.find(|line| line.starts_with("-----BEGIN ")) else {
        return Err(not_pem("no -----BEGIN PUBLIC KEY----- line"));
    };
    if begin != BEGIN {
        return Err(not_pem(if begin.ends_with("PRIVATE KEY-----") {
            "it holds a private key; give the public key (-----BEGIN PUBLIC KEY-----)"
        } else {
            "its block is not a PUBLIC KEY (-----BEGIN PUBLIC KEY-----)"
        }));
    }
    let mut base64 = String::new();
    loop {
        match lines.next() {
            None => return Err(not_pem("no -----END PUBLIC KEY----- line")),
            Some(END) => break,
            Some(line) if line.starts_with("-----") => {
                return Err(not_pem(
                    "the block does not end with -----END PUBLIC KEY-----",
                ))
            }
            Some(line) => base64.push_str(line),
        }
    }
    if lines.any(|line| line.starts_with("-----BEGIN ")) {
        return Err(not_pem("it holds more than one PEM block"));
    }
    // One byte more than an Ed25519 SPKI, to tell a longer one apart.
    let mut der = [0; SPKI_PREFIX.len() + 33];
    let len = match STANDARD.decode_slice(&base64, &mut der) {
        Ok(len) => len,
        Err(DecodeSliceError::OutputSliceTooSmall) => return Err(KeyError::NotEd25519),
        Err(DecodeSliceError::DecodeError(_)) => {
            return Err(not_pem("the block is not standard base64 with padding"))
        }
    };
    let key = der[..len]
        .strip_prefix(&SPKI_PREFIX)
        .and_then(|key| PublicKey::try_from(key).ok())
        .ok_or(KeyError::NotEd25519)?;
    check_key(&key)?;
    Ok(key)
}

/// Refuses keys that would accept signatures their owner never made, or
/// that a decoder reads as another number than it says.
pub(super) fn check_key(key: &PublicKey) -> Result<(), KeyError> {
    let mut y = *key;
    y[31] &= 0x7f;
    if SMALL_ORDER_Y.contains(&y) {
        return Err(KeyError::Weak {
            reason: "it is a point of small order, under which signatures can be forged",
        });
    }
    // y >= p = 2^255 - 19: 0xed or more, then 0xff up to a last byte of 0x7f.
    if y[0] >= 0xed && y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f {
        return Err(KeyError::Weak {
            reason: "its encoding is not canonical (y is not below 2^255 - 19)",
        });
    }
    Ok(())
}

/// The signature in a header's value: strict standard base64 with padding of
/// exactly 64 bytes, with surrounding whitespace trimmed. An absent or blank
/// value is [`SignatureError::Missing`].
pub(super) fn decode_signature(header: Option<&str>) -> Result<Signature, SignatureError> {
    let text = header.map(str::trim_ascii).unwrap_or_default();
    if text.is_empty() {
        return Err(SignatureError::Missing);
    }
    let malformed = |reason| SignatureError::Malformed { reason };
    // Room for what 88 characters (64 bytes and `==`) can hold, so that a
    // shorter decoding is measured rather than refused as too large.
    let mut bytes = [0; 66];
    match STANDARD.decode_slice(text, &mut bytes) {
        Ok(64) => {
            let mut signature = [0; 64];
            signature.copy_from_slice(&bytes[..64]);
            Ok(signature)
        }
        Ok(_) | Err(DecodeSliceError::OutputSliceTooSmall) => Err(malformed(
            "it does not decode to the 64 bytes of an Ed25519 signature",
        )),
        // The engine also refuses the URL-safe alphabet, missing or extra
        // padding, and non-zero bits after the last byte.
        Err(DecodeSliceError::DecodeError(_)) => {
            Err(malformed("it is not standard base64 with padding"))
        }
    }
}

/// ring's Ed25519 verification, which also refuses a signature whose S is not
/// below the group order (a valid signature with L added to S).
pub(super) fn verifies(key: &PublicKey, body: &[u8], signature: &Signature) -> bool {
    UnparsedPublicKey::new(&ED25519, key)
        .verify(body, signature)
        .is_ok()
}

/// The key as the base64 of its 32 bytes, for `Debug`.
pub(super) fn key_base64(key: &PublicKey) -> String {
    STANDARD.encode(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(key: &PublicKey) -> String {
        let der = [SPKI_PREFIX.as_slice(), key].concat();
        format!("{BEGIN}\n{}\n{END}\n", STANDARD.encode(der))
    }

    #[test]
    fn every_encoding_of_a_small_order_point_is_refused() {
        for y in SMALL_ORDER_Y {
            for sign in [0, 0x80] {
                let mut key = y;
                key[31] |= sign;
                assert!(
                    matches!(key_from_pem(&pem(&key)), Err(KeyError::Weak { .. })),
                    "{key:02x?}"
                );
            }
        }
    }

    #[test]
    fn a_key_above_p_is_refused_and_one_below_is_read() {
        let mut above = [0xff; 32];
        above[0] = 0xf0; // p + 3
        above[31] = 0x7f;
        assert!(matches!(check_key(&above), Err(KeyError::Weak { .. })));
        let mut below = above;
        below[0] = 0xe0; // p - 13
        assert_eq!(check_key(&below), Ok(()));
    }

    #[test]
    fn a_pem_with_explanatory_text_and_crlf_is_read() {
        let key = [7; 32];
        let text = format!(
            "Partoo's key\r\n{}after\r\n",
            pem(&key).replace('\n', "\r\n")
        );
        assert_eq!(key_from_pem(&text), Ok(key));
    }
}
