//! Real TLS over loopback, under whichever TLS feature the build has
//! (`cargo test --no-default-features --features native-tls --test tls` for
//! native-tls): a certificate from an unknown CA is refused before anything is
//! sent, and a private CA given to the library, to `--ca-file` or in
//! `SSL_CERT_FILE` makes a listing work.
mod common;
#[cfg(any(feature = "rustls", feature = "native-tls"))]
#[path = "common/https.rs"]
mod https;

#[cfg(any(feature = "rustls", feature = "native-tls"))]
mod with_tls {
    use std::path::PathBuf;
    use std::process::Command;
    use std::time::Duration;

    use partoo_webhooks::{Client, ClientBuilder, Error};

    use crate::common::cli::{cli, jsonl_ids, run};
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

        match &error {
            Error::Certificate { page: 1, host, .. } if host == "localhost" => {}
            other => panic!("expected a certificate error, got {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "the TLS certificate of localhost was refused during the request for page 1"
        );
        assert!(
            std::error::Error::source(&error).is_some(),
            "the TLS reason"
        );
        assert!(!error.is_retryable());
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

        assert!(matches!(error, Error::Certificate { .. }), "{error:?}");
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
            match &error {
                Error::InvalidRootCerts { reason: actual, .. } => {
                    assert!(actual.starts_with(reason), "{pem:?}: {actual:?}")
                }
                other => panic!("{pem:?}: expected InvalidRootCerts, got {other:?}"),
            }
            assert!(error.to_string().starts_with("invalid root certificates: "));
        }
    }

    // ---- The command line ---------------------------------------------------

    /// `partoo-webhooks list --base-url <server> --format jsonl <args>`.
    fn list(server: &HttpsServer, args: &[&str]) -> Command {
        let mut command = cli();
        command
            .args([
                "list",
                "--base-url",
                &server.base_url(),
                "--format",
                "jsonl",
            ])
            .args(args);
        command
    }

    #[test]
    fn cli_ca_file_makes_a_listing_work() {
        let (pki, server) = server();
        let ca = TempFile::new("ca-file", pki.ca_pem());

        let run = run(&mut list(&server, &["--ca-file", ca.path()]));

        assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
        assert_eq!(jsonl_ids(&run.stdout), [1, 2]);
        assert_eq!(server.requests().len(), 1);
    }

    #[test]
    fn cli_ssl_cert_file_makes_a_listing_work() {
        let (pki, server) = server();
        let ca = TempFile::new("ssl-cert-file", pki.ca_pem());

        let run = run(list(&server, &[]).env("SSL_CERT_FILE", ca.path()));

        assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
        assert_eq!(jsonl_ids(&run.stdout), [1, 2]);
        assert_eq!(server.requests().len(), 1);
    }

    #[test]
    fn cli_ca_file_wins_over_ssl_cert_file() {
        let (pki, server) = server();
        let ca = TempFile::new("wins-ca", pki.ca_pem());
        let other = TempFile::new("wins-other", Pki::new().ca_pem());

        let run = run(list(&server, &["--ca-file", ca.path()]).env("SSL_CERT_FILE", other.path()));

        assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
        assert_eq!(server.requests().len(), 1);
    }

    #[test]
    fn cli_unknown_ca_exits_1_naming_the_certificate_and_sends_nothing() {
        let (_pki, server) = server();

        let run = run(&mut list(&server, &["--retries", "3"]));

        assert_eq!((run.status, run.stdout.as_str()), (1, ""), "{run:#?}");
        assert!(
            run.stderr.starts_with(
                "partoo-webhooks: the TLS certificate of localhost was refused during the \
                 request for page 1: "
            ),
            "{run:#?}"
        );
        assert!(
            run.stderr.contains("--ca-file or SSL_CERT_FILE"),
            "{run:#?}"
        );
        assert_eq!((server.connections(), server.requests().len()), (1, 0));
    }

    #[test]
    fn cli_unreadable_ca_file_exits_2_before_connecting() {
        let (_pki, server) = server();
        let missing = temp_path("missing-ca");
        let missing = missing.to_str().unwrap();

        let by_flag = run(&mut list(&server, &["--ca-file", missing]));
        let by_env = run(list(&server, &[]).env("SSL_CERT_FILE", missing));

        assert_eq!(by_flag.status, 2);
        assert!(
            by_flag.stderr.starts_with(&format!(
                "partoo-webhooks: cannot read the CA file {missing}: "
            )),
            "{by_flag:#?}"
        );
        assert_eq!(by_env.status, 2);
        assert!(
            by_env.stderr.starts_with(&format!(
                "partoo-webhooks: cannot read the CA file {missing} (SSL_CERT_FILE): "
            )),
            "{by_env:#?}"
        );
        assert_eq!(server.connections(), 0);
    }

    #[test]
    fn cli_ca_file_without_certificates_exits_2_before_connecting() {
        let (_pki, server) = server();
        let empty = TempFile::new("empty-ca", "no certificate here\n");

        let run = run(&mut list(&server, &["--ca-file", empty.path()]));

        assert_eq!(run.status, 2);
        assert_eq!(
            run.stderr,
            format!(
                "partoo-webhooks: cannot use the CA file {}: it holds no certificate: \
                 expected PEM sections `-----BEGIN CERTIFICATE-----`\n",
                empty.path()
            )
        );
        assert_eq!(server.connections(), 0);
    }

    /// A path in the temporary directory, named after the test process.
    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("partoo-tls-{}-{name}", std::process::id()))
    }

    /// A file removed when the test ends.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &str) -> TempFile {
            let path = temp_path(name);
            std::fs::write(&path, contents).unwrap();
            TempFile(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Without a TLS feature the client lists over http only, and says why it
/// refuses https (the default base URL) instead of failing at the first request.
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
#[test]
fn without_a_tls_feature_an_https_base_url_is_refused_at_build() {
    use partoo_webhooks::{Client, Error};

    let error = common::raw::failure(Client::new(common::KEY));

    match &error {
        Error::InvalidBaseUrl { url, reason, .. } => {
            assert_eq!(url, partoo_webhooks::PRODUCTION_URL);
            assert!(reason.contains("`rustls`") && reason.contains("`native-tls`"));
        }
        other => panic!("expected InvalidBaseUrl, got {other:?}"),
    }
    let http = Client::builder()
        .api_key(common::KEY)
        .base_url("http://127.0.0.1:1/v2")
        .build();
    assert!(http.is_ok(), "{http:?}");
}
