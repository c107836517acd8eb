//! `--ca-file` and `SSL_CERT_FILE` over real TLS on loopback, under
//! whichever TLS feature the build has: a private CA makes a listing work, an
//! unknown one is refused before anything is sent.
mod common;
#[cfg(any(feature = "rustls", feature = "native-tls"))]
#[path = "../../tests/common/https.rs"]
mod https;

#[cfg(any(feature = "rustls", feature = "native-tls"))]
mod with_tls {
    use std::process::Command;

    use crate::common::cli::{cli, jsonl_ids, run};
    use crate::common::page;
    use crate::common::temp::TempFile;
    use crate::https::{HttpsServer, Pki};

    /// A server of one page holding webhooks 1 and 2, with its CA.
    fn server() -> (Pki, HttpsServer) {
        let pki = Pki::new();
        let server = HttpsServer::start(&pki, page(1, 1, 2, [1, 2]));
        (pki, server)
    }

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

        let run = run(&mut list(&server, &["--ca-file", ca.arg()]));

        assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
        assert_eq!(jsonl_ids(&run.stdout), [1, 2]);
        assert_eq!(server.requests().len(), 1);
    }

    #[test]
    fn cli_ssl_cert_file_makes_a_listing_work() {
        let (pki, server) = server();
        let ca = TempFile::new("ssl-cert-file", pki.ca_pem());

        let run = run(list(&server, &[]).env("SSL_CERT_FILE", ca.arg()));

        assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
        assert_eq!(jsonl_ids(&run.stdout), [1, 2]);
        assert_eq!(server.requests().len(), 1);
    }

    #[test]
    fn cli_ca_file_wins_over_ssl_cert_file() {
        let (pki, server) = server();
        let ca = TempFile::new("wins-ca", pki.ca_pem());
        let other = TempFile::new("wins-other", Pki::new().ca_pem());

        let run = run(list(&server, &["--ca-file", ca.arg()]).env("SSL_CERT_FILE", other.arg()));

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
                "partoo-webhooks: the connection failed on page 1: \
                 the server's TLS certificate was refused: "
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
        // Written, then removed: a path that is certainly not there.
        let missing = TempFile::new("missing-ca", "").arg().to_owned();
        let missing = missing.as_str();

        let by_flag = run(&mut list(&server, &["--ca-file", missing]));
        let by_env = run(list(&server, &[]).env("SSL_CERT_FILE", missing));

        assert_eq!(by_flag.status, 2);
        assert!(
            by_flag
                .stderr
                .starts_with("partoo-webhooks: cannot read the CA file (--ca-file): ")
                && !by_flag.stderr.contains(missing),
            "{by_flag:#?}"
        );
        assert_eq!(by_env.status, 2);
        assert!(
            by_env
                .stderr
                .starts_with("partoo-webhooks: cannot read the CA file (SSL_CERT_FILE): ")
                && !by_env.stderr.contains(missing),
            "{by_env:#?}"
        );
        assert_eq!(server.connections(), 0);
    }

    #[test]
    fn cli_ca_file_without_certificates_exits_2_before_connecting() {
        let (_pki, server) = server();
        let empty = TempFile::new("empty-ca", "no certificate here\n");

        let run = run(&mut list(&server, &["--ca-file", empty.arg()]));

        assert_eq!(run.status, 2);
        assert_eq!(
            run.stderr,
            "partoo-webhooks: cannot use the CA file (--ca-file): it holds no certificate: \
             expected PEM sections `-----BEGIN CERTIFICATE-----`\n"
        );
        assert_eq!(server.connections(), 0);
    }
}
