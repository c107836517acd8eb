//! Deliveries signed in the test: ring's own Ed25519 key pairs, made from
//! fixed seeds so that every run signs the same bytes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use partoo_webhooks::delivery::Verifier;
use ring::signature::{Ed25519KeyPair, KeyPair as _};

/// The DER of an Ed25519 SubjectPublicKeyInfo up to the key (RFC 8410).
pub const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Partoo's production key, as `shared/spec/partoo-facts.md` quotes it.
pub const PARTOO_PRODUCTION_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA0G9ciHL6XZQXuWq6W4dFLvwNEPWgcdtQgEVlBIwZWBQ=
-----END PUBLIC KEY-----
";

/// Partoo's sandbox key, as `shared/spec/partoo-facts.md` quotes it.
pub const PARTOO_SANDBOX_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEALsyvX2yVnG3ZKRIFfEvYk2nkzanoNgAqBSqdeNub4sM=
-----END PUBLIC KEY-----
";

/// Standard base64 with padding, as Partoo's header carries it.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The SPKI PEM of a raw 32-byte Ed25519 public key.
pub fn spki_pem(key: &[u8]) -> String {
    let der = [SPKI_PREFIX.as_slice(), key].concat();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64(&der)
    )
}

/// A key pair of the test, standing in for Partoo's private key.
pub struct TestKey(Ed25519KeyPair);

impl TestKey {
    /// The key pair whose 32-byte seed is `seed` repeated.
    pub fn new(seed: u8) -> TestKey {
        TestKey(Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).expect("a 32-byte seed"))
    }

    /// The 32 bytes of the public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.0.public_key().as_ref().try_into().expect("32 bytes")
    }

    /// The public key as Partoo publishes its own: an SPKI PEM.
    pub fn pem(&self) -> String {
        spki_pem(&self.public_key())
    }

    /// A verifier of this key alone, read from its PEM.
    pub fn verifier(&self) -> Verifier {
        Verifier::from_pem(&self.pem()).expect("the test key loads")
    }

    /// The 64 bytes of the signature of `body`.
    pub fn sign_bytes(&self, body: &[u8]) -> [u8; 64] {
        self.0.sign(body).as_ref().try_into().expect("64 bytes")
    }

    /// The `X-Partoo-Signature-v1` value Partoo would send with `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        base64(&self.sign_bytes(body))
    }
}
