//! `partoo-webhooks verify` in a build without the `verify` feature: the
//! command is refused as a usage error, and `--help` does not list it.

use std::ffi::OsString;

use crate::args::{Command, UsageError};
use crate::Failure;

pub const USAGE: &str = "";
pub const HELP: &str = "";

/// Whatever followed `verify`: nothing of it is used.
#[derive(Debug)]
pub struct VerifyArgs;

pub fn parse(_: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    Ok(Command::Verify(VerifyArgs))
}

pub fn run(_: &VerifyArgs) -> Result<u8, Failure> {
    Err(Failure::Usage(
        "this partoo-webhooks was built without the `verify` feature, which the verify \
         command needs"
            .to_owned(),
    ))
}
