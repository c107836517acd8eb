//! `partoo-webhooks verify`: checks a delivery's signature as a receiver
//! would, with its own options: which key, the signature, where the body is.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use partoo_webhooks::delivery::{DeliveryError, SignatureError, Verifier};

use crate::{read_limited, Failure};

/// The summary line of `verify`'s help.
pub const ABOUT: &str = "Check that a delivery's body carries Partoo's signature.";

/// The text after `verify`'s options in its help.
pub const HELP: &str = "\
SIG is the value of a delivery's X-Partoo-Signature-v1 header; the body is
checked byte for byte. Partoo's production key by default; --sandbox for the
sandbox's; --public-key-file for another Ed25519 key (an SPKI PEM, -----BEGIN
PUBLIC KEY-----). When the body is a delivery, its type is printed.

Examples:
  partoo-webhooks verify --signature \"$SIG\" body.json
  partoo-webhooks verify --sandbox --signature \"$SIG\" < body.json

Exit status: 0 the signature is valid, 1 it is not (blank, malformed, or made
by another key or for another body), 2 a usage error, an unreadable or invalid
key file, or an unreadable body (nothing was verified).";

/// A public key file holds about 120 bytes; the cap keeps a wrong path (a
/// log, a device) from being read whole. A file is read whole up to it, and
/// refused past it: never cut, which could drop a second key.
const KEY_FILE_LIMIT: u64 = 1024 * 1024;
/// Deliveries are a few KiB.
const BODY_LIMIT: u64 = 16 * 1024 * 1024;

/// The options of `verify`: one key at most (Partoo's production key when
/// none is given), the signature, and the body.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Check against Partoo's production key (the default)
    #[arg(long, group = "key")]
    #[allow(
        dead_code,
        reason = "the default, accepted so that a script can say it"
    )]
    production: bool,
    /// Check against Partoo's sandbox key [default: the production key]
    #[arg(long, group = "key")]
    sandbox: bool,
    /// Check against the Ed25519 key of this SPKI PEM file [default: the production key]
    #[arg(long, value_name = "PEM", group = "key")]
    public_key_file: Option<PathBuf>,
    /// The value of the delivery's X-Partoo-Signature-v1 header
    #[arg(long, value_name = "SIG", required = true, allow_hyphen_values = true)]
    signature: std::ffi::OsString,
    /// The body as received, byte for byte; - for standard input [default: standard input]
    #[arg(value_name = "FILE")]
    body: Option<PathBuf>,
}

/// Verifies, and returns the exit status of a valid signature.
pub fn run(args: &VerifyArgs) -> Result<u8, Failure> {
    let (verifier, checked_against) = match (&args.public_key_file, args.sandbox) {
        (Some(path), _) => (key_file(path)?, "the key in --public-key-file".to_owned()),
        (None, true) => (
            Verifier::sandbox(),
            "Partoo's sandbox key (a production delivery needs --production)".to_owned(),
        ),
        (None, false) => (
            Verifier::production(),
            "Partoo's production key (a sandbox delivery needs --sandbox)".to_owned(),
        ),
    };
    // `-` and a missing FILE both mean standard input.
    let body = read_body(args.body.as_deref().filter(|path| path.as_os_str() != "-"))?;
    // Not UTF-8 cannot be base64: it is verified, and refused, as malformed.
    let signature = args.signature.to_string_lossy();
    match verifier.verify_delivery(&body, Some(&signature)) {
        Ok(delivery) => {
            // Scripts read it; a type with control characters cannot break the line.
            let event_type = crate::text::escape(delivery.event_type().as_str());
            crate::print(&format!("{event_type}\n"))?;
        }
        Err(DeliveryError::Signature(error)) => {
            return Err(Failure::Failed(match error {
                SignatureError::Missing => {
                    "the signature is blank: give --signature the value of the \
                     X-Partoo-Signature-v1 header"
                        .to_owned()
                }
                SignatureError::Mismatch => format!("{error}; checked against {checked_against}"),
                error => error.to_string(),
            }));
        }
        // Signed, but not a delivery envelope: valid, with nothing to print.
        Err(_) => {}
    }
    Ok(0)
}

fn key_file(path: &Path) -> Result<Verifier, Failure> {
    // Not the path: a key pasted in its place would be printed.
    let source = "the public key file (--public-key-file)";
    let hint = "; a key is 120 bytes";
    let bytes = read_limited(File::open(path), KEY_FILE_LIMIT, source, hint);
    let bytes = bytes.map_err(Failure::Config)?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| Failure::Config(format!("{source} is not text: expected a PEM file")))?;
    Verifier::from_pem(&pem).map_err(|e| Failure::Config(format!("cannot use {source}: {e}")))
}

fn read_body(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    let hint = "; a delivery is a few KiB";
    let body = match path {
        Some(path) => read_limited(File::open(path), BODY_LIMIT, "the body file", hint),
        None => read_limited(Ok(io::stdin().lock()), BODY_LIMIT, "standard input", hint),
    };
    body.map_err(Failure::Config)
}
