//! The command line, parsed with the standard library: `list` and its options,
//! `--help` and `--version`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use partoo_webhooks::{PRODUCTION_URL, SANDBOX_URL};

use crate::output::Format;

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Help,
    Version,
    List(ListArgs),
}

/// The options of `list`; `None` leaves the setting to the environment or the library.
#[derive(Debug, Default)]
pub struct ListArgs {
    pub sandbox: bool,
    pub base_url: Option<String>,
    pub org_id: Option<u64>,
    pub per_page: Option<u32>,
    pub page: Option<u32>,
    pub limit: Option<u64>,
    pub format: Option<Format>,
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub prefetch: Option<usize>,
    pub api_key_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
}

/// A command line that cannot be run, with what is wrong in it.
#[derive(Debug)]
pub struct UsageError(pub String);

pub fn help() -> String {
    format!(
        "\
partoo-webhooks {version}
Lists the webhook configurations of a Partoo account.

Usage:
  partoo-webhooks list [options]
  partoo-webhooks --help | --version

Options of list:
  --sandbox            use the sandbox API, {SANDBOX_URL}
  --base-url URL       the API's base URL, up to /v2
                       [default: $PARTOO_BASE_URL, else {PRODUCTION_URL}]
  --org-id N           the organization to list (needed with a PROVIDER user's key)
  --per-page N         webhooks per request, 1 to 100 [default: 100]
  --page N             the first page to list [default: 1]
  --limit N            stop after N webhooks, requesting no page beyond them
  --format FORMAT      table, jsonl, json or csv
                       [default: table on a terminal, jsonl otherwise]
  --timeout SECS       the longest one request may take [default: 30]
  --retries N          retries of a request after HTTP 429 or 5xx, a timeout or a
                       broken connection [default: 3]
  --prefetch N         request up to N pages ahead, in parallel [default: 0]; Partoo
                       allows 300 requests per minute per organization
  --api-key-file PATH  read the API key from the first line of PATH
  --ca-file PATH       trust only the CA certificates of this PEM file for TLS
                       (a TLS-inspecting proxy, a private CA)
                       [default: $SSL_CERT_FILE, else the TLS library's roots]

The API key comes from the environment variable PARTOO_API_KEY, or from
--api-key-file; never from a command-line value, which would show in `ps` and
in the shell's history.

Output streams: each page is printed before the next one is requested.
jsonl and json use the API's field names; csv has a header row and RFC 4180
quoting; table is for people.

Exit status: 0 success, 1 the API or the network failed (after printing
everything received), 2 a usage or configuration error (nothing was requested).
",
        version = env!("CARGO_PKG_VERSION"),
    )
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Err(usage("missing command: the only command is `list`"));
    };
    match first.to_str() {
        Some("list") => parse_list(args),
        Some("--help" | "-h") => Ok(Command::Help),
        Some("--version" | "-V") => Ok(Command::Version),
        Some(option) if option.starts_with('-') => Err(unknown_option(option)),
        Some(other) => Err(usage(format!(
            "unknown command '{other}': the only command is `list`"
        ))),
        None => Err(usage("the command is not valid UTF-8")),
    }
}

fn parse_list(mut args: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut list = ListArgs::default();
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str() else {
            return Err(usage("an argument is not valid UTF-8"));
        };
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value)),
            _ => (arg, None),
        };
        let mut value = || -> Result<OsString, UsageError> {
            match inline {
                Some(value) => Ok(value.into()),
                None => args
                    .next()
                    .ok_or_else(|| usage(format!("{name} needs a value"))),
            }
        };
        match name {
            "--help" | "-h" => return Ok(Command::Help),
            "--sandbox" if inline.is_none() => set_flag(&mut list.sandbox, name)?,
            "--sandbox" => return Err(usage("--sandbox takes no value")),
            "--base-url" => set(&mut list.base_url, name, text(name, value()?)?)?,
            "--org-id" => set(&mut list.org_id, name, number(name, value()?)?)?,
            "--per-page" => set(&mut list.per_page, name, number(name, value()?)?)?,
            "--page" => set(&mut list.page, name, number(name, value()?)?)?,
            "--limit" => set(&mut list.limit, name, number(name, value()?)?)?,
            "--format" => set(&mut list.format, name, format(name, value()?)?)?,
            "--timeout" => set(&mut list.timeout, name, seconds(name, value()?)?)?,
            "--retries" => set(&mut list.retries, name, number(name, value()?)?)?,
            "--prefetch" => set(&mut list.prefetch, name, number(name, value()?)?)?,
            "--api-key-file" => set(&mut list.api_key_file, name, value()?.into())?,
            "--ca-file" => set(&mut list.ca_file, name, value()?.into())?,
            "--api-key" => {
                return Err(usage(
                    "the API key is never taken from the command line, where `ps` and the \
                     shell's history would show it; export PARTOO_API_KEY or pass --api-key-file",
                ))
            }
            option if option.starts_with('-') => return Err(unknown_option(option)),
            other => return Err(usage(format!("unexpected argument '{other}'"))),
        }
    }
    if list.sandbox && list.base_url.is_some() {
        return Err(usage("--sandbox and --base-url cannot be used together"));
    }
    if list.limit == Some(0) {
        return Err(usage(
            "--limit must be 1 or more; leave it out to list every webhook",
        ));
    }
    Ok(Command::List(list))
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Only the name: the value of an `--option=value` could be a secret typed by mistake.
fn unknown_option(option: &str) -> UsageError {
    let name = option.split_once('=').map_or(option, |(name, _)| name);
    usage(format!("unknown option '{name}'"))
}

fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), UsageError> {
    if slot.replace(value).is_some() {
        return Err(usage(format!("{name} is given more than once")));
    }
    Ok(())
}

fn set_flag(flag: &mut bool, name: &str) -> Result<(), UsageError> {
    if std::mem::replace(flag, true) {
        return Err(usage(format!("{name} is given more than once")));
    }
    Ok(())
}

fn text(name: &str, value: OsString) -> Result<String, UsageError> {
    value
        .into_string()
        .map_err(|_| usage(format!("the value of {name} is not valid UTF-8")))
}

fn number<T: FromStr>(name: &str, value: OsString) -> Result<T, UsageError> {
    let value = text(name, value)?;
    value
        .parse()
        .map_err(|_| usage(format!("invalid {name} '{value}': expected a whole number")))
}

fn format(name: &str, value: OsString) -> Result<Format, UsageError> {
    let value = text(name, value)?;
    value.parse().map_err(|_| {
        usage(format!(
            "invalid {name} '{value}': expected table, jsonl, json or csv"
        ))
    })
}

fn seconds(name: &str, value: OsString) -> Result<Duration, UsageError> {
    let value = text(name, value)?;
    value
        .parse::<f64>()
        .ok()
        .filter(|secs| *secs > 0.0)
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| {
            usage(format!(
                "invalid {name} '{value}': expected a number of seconds above 0"
            ))
        })
}
