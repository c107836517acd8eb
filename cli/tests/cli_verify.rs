//! `partoo-webhooks verify`, run as a user would: every exit status, with
//! the body from a file and from standard input, and usage errors caught
//! before the body is read.
#![cfg(feature = "verify")]
mod common;

use std::process::Command;

use common::cli::{cli, run, run_with_input, Run};
use common::signing::TestKey;
use common::temp::TempFile;
use proptest::prelude::*;

const BODY: &[u8] =
    "{\"type\": \"lead_received\", \"payload\": {\"business_name\": \"Café 🍕\"}}".as_bytes();

/// `partoo-webhooks verify --public-key-file <the test key> <args>`, and the
/// key file, kept while the command runs.
fn verify_with(key: &TestKey, name: &str, args: &[&str]) -> (Command, TempFile) {
    let pem = TempFile::new(&format!("{name}.pem"), key.pem());
    let mut command = cli();
    command
        .args(["verify", "--public-key-file", pem.arg()])
        .args(args);
    (command, pem)
}

fn verify(args: &[&str]) -> Command {
    let mut command = cli();
    command.arg("verify").args(args);
    command
}

#[track_caller]
fn assert_run(run: &Run, status: i32, stdout: &str, stderr: &str) {
    assert_eq!(run.status, status, "{run:#?}");
    assert_eq!(run.stdout, stdout, "{run:#?}");
    assert!(run.stderr.contains(stderr), "{stderr:?} in {run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
}

#[test]
fn a_valid_signature_of_a_body_file_exits_0_and_prints_the_type() {
    let key = TestKey::new(1);
    let body = TempFile::new("valid-body", BODY);
    let (mut command, _pem) =
        verify_with(&key, "valid", &["--signature", &key.sign(BODY), body.arg()]);
    let run = run(&mut command);
    assert_run(&run, 0, "lead_received\n", "");
    assert_eq!(run.stderr, "");
}

#[test]
fn a_valid_signature_of_standard_input_exits_0_with_or_without_a_dash() {
    let key = TestKey::new(1);
    let signature = format!("--signature={}", key.sign(BODY));
    for operand in [&[][..], &["-"][..]] {
        let args = [&[signature.as_str()][..], operand].concat();
        let (mut command, _pem) = verify_with(&key, &format!("stdin{}", operand.len()), &args);
        assert_run(
            &run_with_input(&mut command, BODY),
            0,
            "lead_received\n",
            "",
        );
    }
}

#[test]
fn a_valid_signature_of_a_body_that_is_not_a_delivery_prints_nothing() {
    let key = TestKey::new(1);
    let body = b"\xff not even UTF-8";
    let (mut command, _pem) = verify_with(&key, "not-delivery", &["--signature", &key.sign(body)]);
    let run = run_with_input(&mut command, body);
    assert_run(&run, 0, "", "");
    assert_eq!(run.stderr, "");
}

#[test]
fn a_type_with_control_characters_is_printed_on_one_line_escaped() {
    let key = TestKey::new(1);
    let body = br#"{"type": "a\u001b[2J\nb", "payload": {}}"#;
    let (mut command, _pem) = verify_with(&key, "control", &["--signature", &key.sign(body)]);
    assert_run(
        &run_with_input(&mut command, body),
        0,
        "a\\u{1b}[2J\\u{a}b\n",
        "",
    );
}

#[test]
fn a_tampered_body_exits_1_saying_which_key_was_used() {
    let key = TestKey::new(1);
    let signature = key.sign(BODY);
    let tampered = TempFile::new(
        "tampered",
        String::from_utf8_lossy(BODY).replace("Café", "Cafe"),
    );
    let (mut command, pem) = verify_with(
        &key,
        "tampered",
        &["--signature", &signature, tampered.arg()],
    );
    let run = run(&mut command);
    assert_run(&run, 1, "", "invalid signature: not made for this body");
    assert!(
        run.stderr
            .contains("checked against the key in --public-key-file")
            && !run.stderr.contains(pem.arg()),
        "{run:#?}"
    );
    assert!(!run.stderr.contains(&signature[..16]), "{run:#?}");
}

#[test]
fn a_signature_by_another_key_exits_1_naming_partoo_s_key() {
    let signature = TestKey::new(2).sign(BODY);
    let body = TempFile::new("other-key", BODY);
    for (flag, says) in [
        (
            None,
            "Partoo's production key (a sandbox delivery needs --sandbox)",
        ),
        (Some("--production"), "Partoo's production key"),
        (
            Some("--sandbox"),
            "Partoo's sandbox key (a production delivery needs --production)",
        ),
    ] {
        let mut args = vec!["--signature", &signature, body.arg()];
        args.extend(flag);
        assert_run(&run(&mut verify(&args)), 1, "", says);
    }
}

#[test]
fn a_malformed_or_blank_signature_exits_1_saying_so() {
    let key = TestKey::new(1);
    let signature = key.sign(BODY);
    let url_safe = signature.replace('+', "-").replace('/', "_");
    assert_ne!(url_safe, signature, "the signature has a + or a /");
    for (value, says) in [
        (
            signature.trim_end_matches('='),
            "malformed signature: it is not standard base64",
        ),
        (url_safe.as_str(), "malformed signature"),
        (
            "c2hvcnQ=",
            "malformed signature: it does not decode to the 64 bytes",
        ),
        ("  ", "the signature is blank"),
    ] {
        let (mut command, _pem) = verify_with(&key, "malformed", &["--signature", value]);
        assert_run(&run_with_input(&mut command, BODY), 1, "", says);
    }
}

#[test]
fn usage_errors_exit_2_before_the_body_is_read() {
    // The body file does not exist: a command that got as far as reading it
    // would say so instead.
    let missing = std::env::temp_dir().join(format!("partoo-test-{}-no-body", std::process::id()));
    let missing = missing.to_str().unwrap();
    let signature = TestKey::new(1).sign(BODY);
    for (args, says) in [
        (vec![missing], "missing --signature <SIG>"),
        (vec!["--signature"], "--signature needs a value"),
        (
            vec!["--signature", "x", "--signature", "y", missing],
            "more than once",
        ),
        (
            vec![
                "--production",
                "--sandbox",
                "--signature",
                &signature,
                missing,
            ],
            "--production and --sandbox cannot be used together",
        ),
        (
            vec!["--sandbox=yes", "--signature", &signature, missing],
            "--sandbox takes no value",
        ),
        (
            vec!["--org-id", "7", "--signature", &signature, missing],
            "unknown option '--org-id'",
        ),
        (
            vec!["--signature", &signature, missing, "second"],
            "unexpected argument in position 5 (not shown",
        ),
    ] {
        let run = run(&mut verify(&args));
        assert_run(&run, 2, "", says);
        assert!(
            run.stderr.contains("\nUsage: partoo-webhooks verify ")
                && run
                    .stderr
                    .ends_with("\nTry 'partoo-webhooks verify --help' for more information.\n"),
            "{run:#?}"
        );
        assert!(!run.stderr.contains("no-body"), "{run:#?}");
    }
}

#[test]
fn an_unreadable_or_invalid_key_file_exits_2_before_the_body_is_read() {
    let missing = std::env::temp_dir().join(format!("partoo-test-{}-no-body", std::process::id()));
    let private = TempFile::new(
        "private.pem",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    );
    let garbage = TempFile::new("garbage.pem", b"\x00\xff binary");
    let absent =
        std::env::temp_dir().join(format!("partoo-test-{}-absent.pem", std::process::id()));
    let signature = TestKey::new(1).sign(BODY);
    for (key_file, says) in [
        (absent.to_str().unwrap(), "cannot read the public key file"),
        (
            private.arg(),
            "not a PEM public key: it holds a private key",
        ),
        (garbage.arg(), "is not text: expected a PEM file"),
    ] {
        let args = [
            "--public-key-file",
            key_file,
            "--signature",
            &signature,
            missing.to_str().unwrap(),
        ];
        let run = run(&mut verify(&args));
        assert_run(&run, 2, "", says);
        assert!(!run.stderr.contains("no-body"), "{run:#?}");
    }
}

#[test]
fn an_unreadable_body_file_exits_2() {
    let signature = TestKey::new(1).sign(BODY);
    let missing = std::env::temp_dir().join(format!("partoo-test-{}-no-body", std::process::id()));
    let run = run(&mut verify(&[
        "--signature",
        &signature,
        missing.to_str().unwrap(),
    ]));
    assert_run(&run, 2, "", "cannot read the body file");
}

#[test]
fn a_double_dash_ends_the_options() {
    let key = TestKey::new(1);
    let signature = key.sign(BODY);
    // A body file whose name starts with a dash: an option before `--`, a
    // file after it.
    let dashed = format!("-partoo-test-{}-dashed-body", std::process::id());
    let body = TempFile::named(&dashed, BODY);
    let dir = body.path().parent().unwrap();
    let (mut before, _pem) =
        verify_with(&key, "dash-before", &["--signature", &signature, &dashed]);
    let (mut after, _pem) = verify_with(
        &key,
        "dash-after",
        &["--signature", &signature, "--", &dashed],
    );
    assert_run(&run(before.current_dir(dir)), 2, "", "unknown option");
    assert_run(&run(after.current_dir(dir)), 0, "lead_received\n", "");
}

#[test]
fn help_describes_verify() {
    let run = run(&mut verify(&["--help"]));
    assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{run:#?}");
    for text in [
        "Usage: partoo-webhooks verify [OPTIONS] --signature <SIG> [FILE]",
        "--production",
        "--sandbox",
        "--public-key-file <PEM>",
        "Examples:",
        "Exit status: 0 the signature is valid, 1 it is not",
    ] {
        assert!(run.stdout.contains(text), "{text}: {run:#?}");
    }
    // Only verify's options.
    assert!(!run.stdout.contains("--org-id"), "{run:#?}");
    let help_verify = common::cli::run(cli().args(["help", "verify"]));
    assert_eq!(help_verify.stdout, run.stdout);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the signature and the body, the command ends with 0 or 1 and
    /// never panics.
    #[test]
    fn arbitrary_signatures_and_bodies_end_in_0_or_1(
        signature in any::<String>().prop_filter("no NUL in an argument", |s| !s.contains('\0')),
        body in any::<Vec<u8>>(),
    ) {
        let run = run_with_input(&mut verify(&["--signature", &signature]), &body);
        prop_assert!(run.status == 0 || run.status == 1, "{:#?}", run);
        prop_assert!(!run.stderr.contains("panicked"), "{:#?}", run);
    }
}

#[test]
fn a_key_file_is_read_whole_so_a_second_key_far_into_it_is_refused() {
    let (first, second) = (TestKey::new(1), TestKey::new(2));
    // Past 64 KiB, where the file used to be cut, leaving the first key alone.
    let filler = "a comment line that is not PEM\n".repeat(70_000 / 31);
    let pem = TempFile::new(
        "two-keys-far-apart.pem",
        format!("{}{filler}{}", first.pem(), second.pem()),
    );
    let body = TempFile::new("two-keys-body", BODY);

    let run = run(cli().args([
        "verify",
        "--public-key-file",
        pem.arg(),
        "--signature",
        &first.sign(BODY),
        body.arg(),
    ]));

    assert_run(
        &run,
        2,
        "",
        "expected exactly one -----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY----- block",
    );
    assert!(
        run.stderr.contains("cannot use the public key file"),
        "{run:#?}"
    );
}

#[test]
fn a_key_file_over_the_limit_is_refused_as_too_large_naming_the_limit() {
    let key = TestKey::new(1);
    let pem = TempFile::new(
        "too-large.pem",
        format!("{}{}", key.pem(), "x".repeat(1024 * 1024)),
    );

    let run = run(cli().args([
        "verify",
        "--public-key-file",
        pem.arg(),
        "--signature",
        &key.sign(BODY),
    ]));

    assert_run(
        &run,
        2,
        "",
        "the public key file (--public-key-file) is larger than 1 MiB",
    );
}
