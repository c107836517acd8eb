//! `partoo-webhooks verify` in a build without the `verify` feature: the
//! command is refused as a usage error, and the help does not list it.

use std::ffi::OsString;

use crate::Failure;

pub const ABOUT: &str = "";
pub const HELP: &str = "";

/// Whatever followed `verify`: nothing of it is used.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    #[allow(dead_code, reason = "refused whatever it holds")]
    rest: Vec<OsString>,
}

pub fn run(_: &VerifyArgs) -> Result<u8, Failure> {
    Err(crate::usage(
        "this partoo-webhooks was built without the `verify` feature, which the verify \
         command needs",
    ))
}
