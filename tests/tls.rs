//! Real TLS over loopback, under whichever TLS feature the build has
//! (`cargo test --no-default-features --features native-tls --test tls` for
//! native-tls): a certificate from an unknown CA is refused before anything is
//! sent, and a private CA given to the library makes a listing work (the
//! tool's `--ca-file` and `SSL_CERT_FILE`: `cli/tests/tls.rs`).
mod common;
#[cfg(any(feature = "rustls", feature = "native-tls"))]
#[path = "common/https.rs"]
mod https;

#[cfg(any(feature = "rustls", feature = "native-tls"))]
mod with_tls {
    use std::time::Duration;

    use partoo_webhooks::{Client, ClientBuilder, Error};

    use crate::common::raw::failure;
    use crate::common::{page, KEY};
    use crate::https::{HttpsServer, Pki};

    /// A server of one page holding webhooks 1 and 2, with its CA.
    fn server() -> (Pki, HttpsServer) {
        let pki = Pki::new();
        let server = HttpsServer::start(&pki, page(1, 1, 2, [1, 2]));
        (pki, server)
    }

    /// A client of `server` that retries at once: a refused certificate must
    /// still be tried only once.
    fn builder(server: &HttpsServer) -> ClientBuilder {
        Client::builder()
            .api_key(KEY)
            .base_url(server.base_url())
            .max_retries(3)
            .retry_base_delay(Duration::from_millis(1))
            .retry_max_delay(Duration::from_millis(1))
            .timeout(Duration::from_secs(5))
    }

    /// The error and its causes, as `anyhow` prints them.
    fn with_causes(error: &Error) -> String {
        let mut text = error.to_string();
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            text = format!("{text}: {inner}");
            cause = inner.source();
        }
        text
    }

    fn ids(client: &Client) -> Result<Vec<u64>, Error> {
        client
            .list_webhooks()
            .items()
            .map(|item| Ok(item?.id))
            .collect()
    }

    #[test]
    fn a_certificate_from_an_unknown_ca_is_refused_before_anything_is_sent() {
        let (_pki, server) = server();
        let client = builder(&server).build().expect("a client");

        let error = failure(client.list_webhooks().send());

        // Error::Certificate was merged into Error::Connection (issue 21): the
        // certificate is named by the source chain, the TLS library's reason.
        assert!(
            matches!(error, Error::Connection { page: Some(1), .. }),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "the connection failed on page 1");
        let text = with_causes(&error);
        assert!(text.to_lowercase().contains("certificate"), "{text}");
        assert!(!error.is_retryable(), "{error:?}");
        // One handshake, not retried, and no HTTP request: the key never left.
        assert_eq!(server.connections(), 1);
        assert_eq!(server.requests().len(), 0);
    }

    #[test]
    fn replacing_the_root_certs_with_a_private_ca_makes_a_listing_work() {
        let (pki, server) = server();
        let client = builder(&server)
            .replace_root_certs_pem(pki.ca_pem())
            .build()
            .expect("a client");

        assert_eq!(ids(&client).expect("a listing"), [1, 2]);

        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert!(
            requests[0].target.starts_with("/v2/webhooks?"),
            "{requests:?}"
        );
        assert_eq!(requests[0].api_key.as_deref(), Some(KEY));
    }

    #[test]
    fn given_root_certs_refuse_a_certificate_another_ca_signed() {
        let (_pki, server) = server();
        let client = builder(&server)
            .replace_root_certs_pem(Pki::new().ca_pem())
            .build()
            .expect("a client");

        let error = failure(client.list_webhooks().send());

        assert!(matches!(error, Error::Connection { .. }), "{error:?}");
        let text = with_causes(&error);
        assert!(text.to_lowercase().contains("certificate"), "{text}");
        assert_eq!((server.connections(), server.requests().len()), (1, 0));
    }

    #[test]
    fn unusable_root_certs_fail_at_build() {
        let (pki, _server) = server();
        let cert = pki.ca_pem();
        let body_start = cert.find('\n').unwrap() + 1;
        let cut_short = &cert[..cert.len() / 2];
        let not_der = "-----BEGIN CERTIFICATE-----\naGVsbG8sIHdvcmxk\n-----END CERTIFICATE-----\n";
        let damaged = format!("{}%%%%{}", &cert[..body_start], &cert[body_start..]);
        let key_only = "-----BEGIN PRIVATE KEY-----\naGVsbG8sIHdvcmxk\n-----END PRIVATE KEY-----\n";
        let cases = [
            ("", "it holds no certificate"),
            ("not PEM at all", "it holds no certificate"),
            (key_only, "it holds no certificate"),
            (cut_short, "not valid PEM after 0 certificate(s)"),
            (&damaged, "not valid PEM after 0 certificate(s)"),
            (
                &format!("{cert}{not_der}"),
                "certificate 2 is not an X.509 certificate",
            ),
        ];
        for (pem, reason) in cases {
            let error = failure(
                Client::builder()
                    .api_key(KEY)
                    .replace_root_certs_pem(pem)
                    .build(),
            );
            // Error::InvalidRootCerts was merged into Error::InvalidSetting (issue 21).
            let Error::InvalidSetting {
                name: "root certificates",
                reason: actual,
                ..
            } = &error
            else {
                panic!("{pem:?}: expected InvalidSetting, got {error:?}");
            };
            assert!(actual.starts_with(reason), "{pem:?}: {actual:?}");
            assert_eq!(
                error.to_string(),
                format!("invalid root certificates: {actual}")
            );
        }
    }
}
