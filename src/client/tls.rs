//! TLS: which library the agent uses and which root certificates it trusts.
//!
//! ureq 3 never picks its TLS library from feature flags alone: without a
//! `TlsConfig` naming native-tls it uses rustls, and panics on every https
//! request when only native-tls is compiled in. So the choice is made here,
//! once, from this crate's features:
//!
//! | features               | library    | default roots                          |
//! |------------------------|------------|----------------------------------------|
//! | `rustls` (default)     | rustls     | Mozilla's (webpki-roots)               |
//! | `native-tls`           | native-tls | the platform's (OpenSSL: `SSL_CERT_*`) |
//! | both                   | native-tls | the platform's                         |
//! | neither                | a compile error naming the two features             |
//!
//! Partoo's API speaks https only, so a build without TLS could reach
//! nothing but a local mock: it is refused when it is compiled, rather than
//! at run time. Both features at once means someone added `native-tls`
//! without turning the default `rustls` off: features unify across a
//! dependency tree, and asking for the platform's library is the deliberate
//! choice of the two.

use crate::client::builder::Config;
use crate::error::Error;

fn invalid<T>(reason: impl Into<String>) -> Result<T, Error> {
    Err(Error::InvalidSetting {
        name: "root certificates",
        reason: reason.into(),
    })
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
compile_error!(
    "partoo-webhooks needs a TLS library: enable its `rustls` (default) or `native-tls` feature"
);

/// The TLS library and the roots the agent trusts, from the features and `config`.
pub(crate) fn tls_config(config: &Config) -> Result<ureq::tls::TlsConfig, Error> {
    use std::sync::Arc;
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

    let (provider, default_roots) = if cfg!(feature = "native-tls") {
        // native-tls's own store: on Linux, OpenSSL's with SSL_CERT_FILE and SSL_CERT_DIR.
        (TlsProvider::NativeTls, RootCerts::PlatformVerifier)
    } else {
        (TlsProvider::Rustls, RootCerts::WebPki)
    };
    let roots = match &config.root_certs_pem {
        Some(pem) => RootCerts::Specific(Arc::new(read_pem(pem)?)),
        None => default_roots,
    };
    Ok(TlsConfig::builder()
        .provider(provider)
        .root_certs(roots)
        .build())
}

fn read_pem(pem: &[u8]) -> Result<Vec<ureq::tls::Certificate<'static>>, Error> {
    use ureq::tls::{parse_pem, PemItem};

    let mut certs = Vec::new();
    for item in parse_pem(pem) {
        // The parser's own messages quote raw bytes; a count says where instead.
        let item = item.or_else(|_| {
            invalid(format!(
                "not valid PEM after {} certificate(s): a section is cut short, \
                 or its base64 is damaged",
                certs.len()
            ))
        })?;
        if let PemItem::Certificate(cert) = item {
            // Both TLS libraries silently skip a root they cannot parse, which
            // would surface much later as "unknown issuer" on every request.
            if !is_der_sequence(cert.der()) {
                let n = certs.len() + 1;
                return invalid(format!("certificate {n} is not an X.509 certificate"));
            }
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return invalid(
            "it holds no certificate: expected PEM sections `-----BEGIN CERTIFICATE-----`",
        );
    }
    Ok(certs)
}

/// Whether `der` is one whole DER SEQUENCE, as every X.509 certificate is.
fn is_der_sequence(der: &[u8]) -> bool {
    // The length in one byte below 0x80, or in the 1 to 4 bytes that follow.
    let (count, length) = match *der {
        [0x30, short @ 0..=0x7f, ..] => (0, usize::from(short)),
        [0x30, long @ 0x81..=0x84, ref rest @ ..] => {
            let count = usize::from(long & 0x7f);
            // Too few bytes: an empty length, and a sum that cannot match.
            let bytes = rest.get(..count).unwrap_or_default();
            let length = bytes.iter().fold(0, |n, &b| (n << 8) | usize::from(b));
            (count, length)
        }
        _ => return false,
    };
    (2 + count).checked_add(length) == Some(der.len())
}

/// Whether a request failed because the server's certificate was refused.
///
/// Matched on the message, because the error types of rustls and native-tls
/// are not part of ureq's API (ureq may upgrade them in a minor release), and
/// every TLS stack names the certificate when it refuses one: rustls
/// ("invalid peer certificate"), OpenSSL ("certificate verify failed"),
/// Secure Transport and SChannel.
pub(crate) fn is_certificate_error(error: &ureq::Error) -> bool {
    let from_tls = match error {
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) => true,
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) => true,
        // rustls reports through the socket adapter, as an I/O error holding its own.
        ureq::Error::Io(io) => io.kind() == std::io::ErrorKind::InvalidData,
        _ => false,
    };
    from_tls && error.to_string().to_lowercase().contains("certificate")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls_errors_that_name_a_certificate_are_certificate_errors() {
        use std::io::{Error as IoError, ErrorKind};

        let io = |kind, text: &str| ureq::Error::Io(IoError::new(kind, text.to_owned()));
        let refused = io(
            ErrorKind::InvalidData,
            "invalid peer certificate: UnknownIssuer",
        );
        assert!(is_certificate_error(&refused));
        let corrupt = io(ErrorKind::InvalidData, "received corrupt message");
        assert!(!is_certificate_error(&corrupt));
        let reset = io(ErrorKind::ConnectionReset, "certificate");
        assert!(!is_certificate_error(&reset));
        assert!(!is_certificate_error(&ureq::Error::Tls("certificate")));
    }

    #[test]
    fn the_tls_library_and_its_roots_follow_the_features_native_tls_winning() {
        use ureq::tls::{RootCerts, TlsProvider};

        let tls = tls_config(&Config::default()).expect("the default config");
        if cfg!(feature = "native-tls") {
            assert_eq!(tls.provider(), TlsProvider::NativeTls);
            assert!(matches!(tls.root_certs(), RootCerts::PlatformVerifier));
        } else {
            assert_eq!(tls.provider(), TlsProvider::Rustls);
            assert!(matches!(tls.root_certs(), RootCerts::WebPki));
        }
    }

    #[test]
    fn a_der_sequence_must_span_the_whole_input() {
        assert!(is_der_sequence(&[0x30, 0x00]));
        assert!(is_der_sequence(&[0x30, 0x02, 0x05, 0x00]));
        assert!(is_der_sequence(&[0x30, 0x81, 0x01, 0x00]));
        assert!(!is_der_sequence(&[]));
        assert!(!is_der_sequence(&[0x31, 0x00]));
        assert!(!is_der_sequence(&[0x30, 0x02, 0x05]));
        assert!(!is_der_sequence(&[0x30, 0x00, 0x00]));
        assert!(!is_der_sequence(&[0x30, 0x82, 0x01]));
        assert!(!is_der_sequence(b"hello, world"));
    }
}
