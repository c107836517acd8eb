//! Verifying a delivery's signature: RFC 8032's vectors, signatures made in
//! the test (valid, tampered, malformed, non-canonical), Partoo's published
//! keys, keys that must be refused, and a body verified byte for byte.
#![cfg(feature = "verify")]
mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::signing::{
    base64, spki_pem, TestKey, PARTOO_PRODUCTION_PEM, PARTOO_SANDBOX_PEM, SPKI_PREFIX,
};
use partoo_webhooks::delivery::{DeliveryError, SignatureError, Verifier};
use proptest::prelude::*;
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};

const BODY: &[u8] = br#"{"type": "lead_received", "payload": {"id": 1, "values": []}}"#;

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "an even number of digits");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// RFC 8032 section 7.1: secret key, public key, message, signature.
const RFC_8032: [(&str, &str, &str, &str, &str); 5] = [
    (
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        "TEST 1024",
        "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
        "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
        "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
    ),
    (
        "TEST SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
];

#[test]
fn rfc_8032_test_vectors_verify_and_their_tampered_copies_do_not() {
    for (name, secret, public, message, signature) in RFC_8032 {
        let (secret, public, message, signature) =
            (hex(secret), hex(public), hex(message), hex(signature));
        // The transcription checks itself: ring derives the same key and signature.
        let pair = Ed25519KeyPair::from_seed_and_public_key(&secret, &public).expect(name);
        assert_eq!(pair.sign(&message).as_ref(), signature.as_slice(), "{name}");

        let verifier = Verifier::from_pem(&spki_pem(&public)).expect(name);
        assert_eq!(
            verifier.verify(&message, Some(&base64(&signature))),
            Ok(()),
            "{name}"
        );
        let mut longer = message.clone();
        longer.push(0);
        assert_eq!(
            verifier.verify(&longer, Some(&base64(&signature))),
            Err(SignatureError::Mismatch),
            "{name}"
        );
    }
    assert_eq!(
        hex(RFC_8032[3].3).len(),
        1023,
        "TEST 1024's message is 1023 bytes"
    );
}

#[test]
fn a_signature_of_the_body_by_the_key_verifies() {
    let key = TestKey::new(1);
    assert_eq!(key.verifier().verify(BODY, Some(&key.sign(BODY))), Ok(()));
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut flipped = bytes.to_vec();
    flipped[bit / 8] ^= 1 << (bit % 8);
    flipped
}

proptest! {
    #[test]
    fn one_flipped_bit_in_the_body_is_refused(bit in 0..BODY.len() * 8) {
        let key = TestKey::new(1);
        let result = key.verifier().verify(&flip(BODY, bit), Some(&key.sign(BODY)));
        prop_assert_eq!(result, Err(SignatureError::Mismatch));
    }

    #[test]
    fn one_flipped_bit_in_the_signature_is_refused(bit in 0..64 * 8usize) {
        let key = TestKey::new(1);
        let signature = base64(&flip(&key.sign_bytes(BODY), bit));
        prop_assert_eq!(key.verifier().verify(BODY, Some(&signature)), Err(SignatureError::Mismatch));
    }

    /// Whatever a header holds, verifying neither panics nor accepts it.
    #[test]
    fn arbitrary_header_text_is_refused(header in any::<String>()) {
        prop_assert!(TestKey::new(1).verifier().verify(BODY, Some(&header)).is_err());
    }

    /// Any 64 bytes but the signature, well encoded, reach the check itself
    /// (arbitrary text almost never does) and are refused by it.
    #[test]
    fn any_other_64_bytes_well_encoded_are_refused_as_a_mismatch(
        bytes in proptest::collection::vec(any::<u8>(), 64),
    ) {
        let key = TestKey::new(1);
        prop_assume!(bytes != key.sign_bytes(BODY));
        prop_assert_eq!(key.verifier().verify(BODY, Some(&base64(&bytes))), Err(SignatureError::Mismatch));
    }

    /// Text of a signature's length from the base64 alphabet, `=` anywhere:
    /// what a strict decoder (the `base64` crate's standard engine: padding
    /// required, no bits after the last byte) reads as 64 bytes reaches the
    /// check and is a mismatch; anything else is malformed.
    #[test]
    fn base64_like_text_of_a_signatures_length_is_decoded_strictly(
        header in prop_oneof![
            "[A-Za-z0-9+/=]{86}(==|[A-Za-z0-9+/=]{2})",
            // 64 bytes well encoded, then one character changed.
            (prop::collection::vec(any::<u8>(), 64), 0..88usize, "[A-Za-z0-9+/=]").prop_map(
                |(bytes, at, c)| {
                    let mut text = STANDARD.encode(bytes);
                    text.replace_range(at..=at, &c);
                    text
                }
            ),
        ],
    ) {
        let result = TestKey::new(1).verifier().verify(BODY, Some(&header));
        match STANDARD.decode(&header) {
            Ok(bytes) if bytes.len() == 64 => prop_assert_eq!(result, Err(SignatureError::Mismatch)),
            _ => prop_assert!(matches!(result, Err(SignatureError::Malformed { .. })), "{:?}", result),
        }
    }
}

/// L, the order of Ed25519's group, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[test]
fn a_valid_signature_with_l_added_to_s_is_refused() {
    let key = TestKey::new(1);
    let mut signature = key.sign_bytes(BODY);
    let mut carry = 0u16;
    for (s, l) in signature[32..].iter_mut().zip(L) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits in 32 bytes (S < L < 2^253)");
    let verifier = key.verifier();
    assert_eq!(
        verifier.verify(BODY, Some(&base64(&signature))),
        Err(SignatureError::Mismatch)
    );
    // The check is ring's, and the verifier relies on it.
    let ring_alone = UnparsedPublicKey::new(&ED25519, key.public_key()).verify(BODY, &signature);
    assert!(ring_alone.is_err());
}

fn assert_malformed(header: &str) {
    let key = TestKey::new(1);
    let result = key.verifier().verify(BODY, Some(header));
    assert!(
        matches!(result, Err(SignatureError::Malformed { .. })),
        "{header:?}: {result:?}"
    );
}

#[test]
fn a_signature_of_another_length_is_malformed() {
    let signature = TestKey::new(1).sign_bytes(BODY);
    for len in [1, 32, 63, 65, 66, 67, 128] {
        let bytes: Vec<u8> = signature.iter().copied().cycle().take(len).collect();
        assert_malformed(&base64(&bytes));
    }
    assert_malformed(&"A".repeat(1 << 20));
}

#[test]
fn padding_must_be_there_and_exact() {
    let signature = TestKey::new(1).sign(BODY);
    assert!(signature.ends_with("=="));
    let bare = signature.trim_end_matches('=');
    for header in [bare.to_owned(), format!("{bare}="), format!("{signature}=")] {
        assert_malformed(&header);
    }
}

#[test]
fn the_url_safe_alphabet_is_malformed() {
    let key = TestKey::new(1);
    let signature = key.sign(BODY);
    assert!(
        signature.contains(['+', '/']),
        "this signature has a + or a /"
    );
    assert_malformed(&signature.replace('+', "-").replace('/', "_"));
}

#[test]
fn non_zero_bits_after_the_last_byte_are_malformed() {
    // 64 bytes end in a character whose low 4 bits carry nothing: setting
    // one still decodes to the same bytes with a lenient decoder.
    let signature = TestKey::new(1).sign(BODY);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let last = signature.as_bytes()[85];
    let index = ALPHABET.iter().position(|&c| c == last).expect("base64");
    assert_eq!(index & 0xf, 0);
    let mut loose = signature.into_bytes();
    loose[85] = ALPHABET[index | 1];
    assert_malformed(&String::from_utf8(loose).unwrap());
}

#[test]
fn surrounding_whitespace_is_trimmed_and_inner_whitespace_is_not() {
    let key = TestKey::new(1);
    let signature = key.sign(BODY);
    let verifier = key.verifier();
    assert_eq!(
        verifier.verify(BODY, Some(&format!(" \t{signature}\r\n"))),
        Ok(())
    );
    assert_malformed(&format!("{} {}", &signature[..40], &signature[40..]));
}

#[test]
fn an_absent_or_blank_header_is_missing() {
    let verifier = TestKey::new(1).verifier();
    for header in [None, Some(""), Some(" \t ")] {
        assert_eq!(verifier.verify(BODY, header), Err(SignatureError::Missing));
    }
}

#[test]
fn messages_never_show_the_signature_or_the_body() {
    let key = TestKey::new(1);
    let verifier = key.verifier();
    let signature = key.sign(b"another body");
    let errors = [
        verifier.verify(BODY, None).unwrap_err(),
        verifier.verify(BODY, Some(&signature[..80])).unwrap_err(),
        verifier
            .verify(BODY, Some(&signature.replace('=', "")))
            .unwrap_err(),
        verifier.verify(BODY, Some(&signature)).unwrap_err(),
    ];
    for error in errors {
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(&signature[..12]), "{text}");
            assert!(!text.contains("lead_received"), "{text}");
        }
    }
    let refused = verifier
        .verify_delivery(BODY, Some(&signature))
        .unwrap_err();
    assert!(!refused.to_string().contains("lead_received"));
}

#[test]
fn partoo_published_keys_load_as_the_built_in_ones_and_differ() {
    let production = Verifier::from_pem(PARTOO_PRODUCTION_PEM).expect("production's PEM");
    let sandbox = Verifier::from_pem(PARTOO_SANDBOX_PEM).expect("sandbox's PEM");
    assert_eq!(production, Verifier::production());
    assert_eq!(sandbox, Verifier::sandbox());
    assert_ne!(production, sandbox);
    assert_eq!(production.clone().or(sandbox).len(), 2);
}

/// No signature by Partoo's private keys can be made here, and none is
/// published. What holds instead: a verifier accepts only signatures made
/// by its own keys (any two keys refuse each other's), and each built-in
/// verifier holds exactly one key of Partoo's, a different one.
#[test]
fn each_key_refuses_signatures_made_by_another() {
    let (a, b) = (TestKey::new(1), TestKey::new(2));
    let (by_a, by_b) = (a.sign(BODY), b.sign(BODY));
    assert_eq!(
        a.verifier().verify(BODY, Some(&by_b)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        b.verifier().verify(BODY, Some(&by_a)),
        Err(SignatureError::Mismatch)
    );
    for partoo in [Verifier::production(), Verifier::sandbox()] {
        for signature in [&by_a, &by_b] {
            assert_eq!(
                partoo.verify(BODY, Some(signature)),
                Err(SignatureError::Mismatch)
            );
        }
        // Adding a key is what makes its signatures verify, for either built-in.
        assert_eq!(partoo.or(a.verifier()).verify(BODY, Some(&by_a)), Ok(()));
    }
    let rotation = a.verifier().or(b.verifier());
    for signature in [&by_a, &by_b] {
        assert_eq!(rotation.verify(BODY, Some(signature)), Ok(()));
    }
}

/// The 14 encodings of points of small order: y in {0, 1, p-1, p, p+1, and
/// the two y of the points of order 8}, each with either sign bit.
fn small_order_encodings() -> Vec<[u8; 32]> {
    let with_first = |first: u8, rest: u8| {
        let mut key = [rest; 32];
        key[0] = first;
        key[31] &= 0x7f;
        key
    };
    let ys = [
        [0; 32],
        with_first(1, 0),
        hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
            .try_into()
            .unwrap(),
        hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
            .try_into()
            .unwrap(),
        with_first(0xec, 0xff),
        with_first(0xed, 0xff),
        with_first(0xee, 0xff),
    ];
    let mut keys = Vec::new();
    for y in ys {
        for sign in [0, 0x80] {
            let mut key = y;
            key[31] |= sign;
            keys.push(key);
        }
    }
    keys
}

#[test]
fn small_order_keys_which_ring_lets_forge_are_refused() {
    // R = the identity, S = 0: under a key of small order, [S]B = R + [k]A
    // holds for every message whose k is a multiple of the key's order.
    let mut forged = [0; 64];
    forged[0] = 1;
    for key in small_order_encodings() {
        let ring_alone = UnparsedPublicKey::new(&ED25519, key);
        let accepted = (0..64u8).find(|m| ring_alone.verify(&[*m], &forged).is_ok());
        assert!(
            accepted.is_some(),
            "ring accepts a forgery under {key:02x?}"
        );

        let result = Verifier::from_pem(&spki_pem(&key));
        assert!(
            matches!(result, Err(DeliveryError::Key { reason }) if reason.starts_with("refused Ed25519 key")),
            "{key:02x?}: {result:?}"
        );
    }
}

#[test]
fn a_non_canonical_key_encoding_is_refused() {
    // y = p + 3: ring would read it as the key of y = 3.
    let mut key = [0xff; 32];
    key[0] = 0xf0;
    key[31] = 0x7f;
    let result = Verifier::from_pem(&spki_pem(&key));
    let refused = "refused Ed25519 key: its encoding is not canonical";
    assert!(
        matches!(&result, Err(DeliveryError::Key { reason }) if reason.starts_with(refused)),
        "{result:?}"
    );
}

#[test]
fn anything_but_one_ed25519_public_key_is_refused() {
    let key = TestKey::new(1).public_key();
    let pem = spki_pem(&key);
    let block = |label: &str, der: &[u8]| {
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            base64(der)
        )
    };
    let x25519 = [&hex("302a300506032b656e032100")[..], &key].concat();
    let not_ed25519 = "not an Ed25519 public key";
    let not_one_block = "not a PEM public key: expected exactly one \
                         -----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY----- block";
    let cases = [
        (String::new(), not_one_block),
        ("MCowBQYDK2VwAyEA".to_owned(), not_one_block),
        (format!("{pem}{pem}"), not_one_block),
        (block("PRIVATE KEY", &key), "it holds a private key"),
        (block("CERTIFICATE", &key), not_one_block),
        (
            format!("{pem}{}", block("PRIVATE KEY", &key)),
            "it holds a private key",
        ),
        (
            pem.replace("-----END PUBLIC KEY-----", "-----END CERTIFICATE-----"),
            not_one_block,
        ),
        (pem.replace("-----END PUBLIC KEY-----\n", ""), not_one_block),
        (
            pem.replace("MCow", "MC*w"),
            "not standard base64 with padding",
        ),
        (pem.replace('=', ""), "not standard base64 with padding"),
        (block("PUBLIC KEY", &x25519), not_ed25519),
        (
            block("PUBLIC KEY", &[&SPKI_PREFIX[..], &key[..31]].concat()),
            not_ed25519,
        ),
        (
            block("PUBLIC KEY", &[&SPKI_PREFIX[..], &key, &[0]].concat()),
            not_ed25519,
        ),
        (
            block("PUBLIC KEY", &[&SPKI_PREFIX[..], &key, &[0; 40]].concat()),
            not_ed25519,
        ),
    ];
    for (text, says) in &cases {
        let error = Verifier::from_pem(text).expect_err(text).to_string();
        assert!(error.contains(says), "{text:?}: {error}");
        assert!(!error.contains("MCow"), "{error}");
    }
}

#[test]
fn a_multi_byte_utf8_body_verifies_byte_for_byte_and_a_re_serialized_copy_does_not() {
    let body = r#"{"type": "lead_received", "payload": {"business_name": "Café Ünïcode 🍕", "values": [{"name": "prénom", "value": "Zoë 👋"}]}}"#;
    let key = TestKey::new(3);
    let signature = key.sign(body.as_bytes());
    let verifier = key.verifier();
    assert_eq!(verifier.verify(body.as_bytes(), Some(&signature)), Ok(()));

    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    let compact = serde_json::to_string(&value).unwrap();
    let escaped = body.replace('é', "\\u00e9");
    for copy in [compact, escaped] {
        assert_ne!(copy, body);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&copy).unwrap(),
            value
        );
        assert_eq!(
            verifier.verify(copy.as_bytes(), Some(&signature)),
            Err(SignatureError::Mismatch),
            "{copy}"
        );
    }
}

#[test]
fn verify_delivery_refuses_before_parsing() {
    let key = TestKey::new(1);
    let verifier = key.verifier();
    // Not JSON, and unsigned: the signature is what is reported.
    let refused = verifier.verify_delivery(b"not json", None).unwrap_err();
    assert!(matches!(
        refused,
        DeliveryError::Signature(SignatureError::Missing)
    ));
    // A valid delivery with someone else's signature is not read either.
    let by_other = TestKey::new(2).sign(BODY);
    let refused = verifier.verify_delivery(BODY, Some(&by_other)).unwrap_err();
    assert!(matches!(
        refused,
        DeliveryError::Signature(SignatureError::Mismatch)
    ));
    // Verified, but not a delivery.
    let text = b"[1, 2]";
    let refused = verifier
        .verify_delivery(text, Some(&key.sign(text)))
        .unwrap_err();
    assert!(
        matches!(refused, DeliveryError::Envelope { .. }),
        "{refused:?}"
    );

    let delivery = verifier
        .verify_delivery(BODY, Some(&key.sign(BODY)))
        .unwrap();
    assert_eq!(delivery.event_type().as_str(), "lead_received");
}
