//! `partoo-webhooks verify`: checks a delivery's signature as a receiver
//! would, with its own options: which key, the signature, where the body is.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use partoo_webhooks::delivery::{DeliveryError, SignatureError, Verifier};

use crate::args::{Command, UsageError};
use crate::Failure;

/// The usage line of `--help`.
pub const USAGE: &str =
    "  partoo-webhooks verify [--production | --sandbox | --public-key-file PEM]
                         --signature SIG [FILE | -]
";

/// The section of `--help`.
pub const HELP: &str = "
verify: checks that SIG, the value of a delivery's X-Partoo-Signature-v1
header, is Partoo's signature of the body in FILE, byte for byte (standard
input when FILE is - or absent). Partoo's production key by default;
--sandbox for the sandbox's; --public-key-file for another Ed25519 key (an
SPKI PEM, -----BEGIN PUBLIC KEY-----). When the body is a delivery, its
type is printed. `--` ends the options.
Exit status: 0 the signature is valid, 1 it is not (blank, malformed, or
made by another key or for another body), 2 a usage error, an unreadable or
invalid key file, or an unreadable body (nothing was verified).
";

/// A public key file holds about 120 bytes; the cap keeps a wrong path (a
/// log, a device) from being read whole. A file is read whole up to it, and
/// refused past it: never cut, which could drop a second key.
const KEY_FILE_LIMIT: u64 = 1024 * 1024;
/// Deliveries are a few KiB.
const BODY_LIMIT: u64 = 16 * 1024 * 1024;

/// Which key the signature is checked against.
#[derive(Debug)]
enum Key {
    Production,
    Sandbox,
    File(PathBuf),
}

/// The options of `verify`.
#[derive(Debug)]
pub struct VerifyArgs {
    key: Key,
    signature: String,
    /// `None` for standard input.
    body: Option<PathBuf>,
}

/// Parses the arguments after `verify`.
pub fn parse(args: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args;
    let (mut key, mut signature, mut body) = (None, None, None);
    let mut operands_only = false;
    while let Some(raw) = args.next() {
        let option = match raw.to_str() {
            Some(text) if !operands_only && text.starts_with('-') && text != "-" => text,
            _ if !operands_only && raw.as_encoded_bytes().starts_with(b"-") && raw != "-" => {
                return Err(usage("an option is not valid UTF-8"))
            }
            _ => {
                // `-` and a missing FILE both mean standard input.
                let path = (raw != "-").then(|| PathBuf::from(raw));
                if body.replace(path).is_some() {
                    return Err(usage(
                        "verify takes one body file; remove the extra argument",
                    ));
                }
                continue;
            }
        };
        let (name, inline) = match option.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(OsString::from(value))),
            _ => (option, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| usage(format!("{name} needs a value")))
        };
        let chosen = match name {
            "--" => {
                operands_only = true;
                continue;
            }
            "--help" | "-h" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--signature" => {
                // Not UTF-8 cannot be base64: it is verified, and refused, as malformed.
                let text = value()?.to_string_lossy().into_owned();
                if signature.replace(text).is_some() {
                    return Err(usage("--signature is given more than once"));
                }
                continue;
            }
            "--production" | "--sandbox" if inline.is_some() => {
                return Err(usage(format!("{name} takes no value")))
            }
            "--production" => Key::Production,
            "--sandbox" => Key::Sandbox,
            "--public-key-file" => Key::File(value()?.into()),
            _ => {
                let name = name.split_once('=').map_or(name, |(name, _)| name);
                return Err(usage(format!("unknown option '{name}'")));
            }
        };
        if key.replace(chosen).is_some() {
            return Err(usage(
                "give one key: --production, --sandbox or --public-key-file",
            ));
        }
    }
    let Some(signature) = signature else {
        return Err(usage(
            "verify needs --signature: the value of the delivery's X-Partoo-Signature-v1 header",
        ));
    };
    Ok(Command::Verify(VerifyArgs {
        key: key.unwrap_or(Key::Production),
        signature,
        body: body.flatten(),
    }))
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Verifies, and returns the exit status of a valid signature.
pub fn run(args: &VerifyArgs) -> Result<u8, Failure> {
    let (verifier, checked_against) = match &args.key {
        Key::Production => (
            Verifier::production(),
            "Partoo's production key (a sandbox delivery needs --sandbox)".to_owned(),
        ),
        Key::Sandbox => (
            Verifier::sandbox(),
            "Partoo's sandbox key (a production delivery needs --production)".to_owned(),
        ),
        Key::File(path) => (key_file(path)?, format!("the key in {}", path.display())),
    };
    let body = read_body(args.body.as_deref())?;
    match verifier.verify_delivery(&body, Some(&args.signature)) {
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
    let source = format!("the public key file {}", path.display());
    let bytes = read_limited(
        File::open(path),
        KEY_FILE_LIMIT,
        &source,
        "a key is 120 bytes",
    )?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| Failure::Config(format!("{source} is not text: expected a PEM file")))?;
    Verifier::from_pem(&pem).map_err(|e| Failure::Config(format!("cannot use {source}: {e}")))
}

fn read_body(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    match path {
        Some(path) => read_limited(
            File::open(path),
            BODY_LIMIT,
            &format!("the body file {}", path.display()),
            "a delivery is a few KiB",
        ),
        None => read_limited(
            Ok(io::stdin().lock()),
            BODY_LIMIT,
            "standard input",
            "a delivery is a few KiB",
        ),
    }
}

/// Reads `source` whole, or refuses it when larger than `limit` (whole MiB),
/// saying `what_fits`: never cut.
fn read_limited(
    reader: io::Result<impl Read>,
    limit: u64,
    source: &str,
    what_fits: &str,
) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    reader
        .and_then(|reader| reader.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| Failure::Config(format!("cannot read {source}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Failure::Config(format!(
            "{source} is larger than {} MiB; {what_fits}",
            limit >> 20
        )));
    }
    Ok(bytes)
}
