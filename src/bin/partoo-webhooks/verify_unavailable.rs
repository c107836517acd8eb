//! `partoo-webhooks verify` in a build without the `verify` feature: the
//! command is refused as a usage error, and `--help` does not list it.

use std::ffi::OsString;

use crate::args::{Command, UsageError};
use crate::Failure;

pub const USAGE: &str = "";
pub const HELP: &str = "";

/// Never built: parsing refuses the command.
#[derive(Debug)]
pub enum VerifyArgs {}

pub fn parse(_: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    Err(UsageError(
        "this partoo-webhooks was built without the `verify` feature, which the verify \
         command needs"
            .to_owned(),
    ))
}

pub fn run(args: &VerifyArgs) -> Result<u8, Failure> {
    match *args {}
}
