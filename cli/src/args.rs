//! The command line, parsed with the standard library: `list`, `diff` and the
//! options they share, `--help` and `--version`.
//!
//! Messages name options and positions, never the values given: a key pasted
//! in the wrong place (`list <key>`, `--org-id <key>`) would be printed back.

use std::ffi::OsString;
use std::num::{IntErrorKind, ParseIntError};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::diff::DiffFormat;
use crate::output::Format;

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Help,
    Version,
    List(ListArgs),
    Diff(DiffArgs),
    Verify(crate::verify::VerifyArgs),
}

/// How to reach the API: the options `list` and `diff` share. `None` leaves
/// the setting to the environment or the library.
#[derive(Debug, Default)]
pub struct Connection {
    pub sandbox: bool,
    pub base_url: Option<String>,
    pub org_id: Option<u64>,
    pub per_page: Option<u32>,
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub api_key_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
}

/// The options of `list`.
#[derive(Debug, Default)]
pub struct ListArgs {
    pub connection: Connection,
    pub page: Option<u32>,
    pub limit: Option<u64>,
    pub format: Option<Format>,
    pub prefetch: Option<usize>,
}

/// The options of `diff`, and its desired-state file.
#[derive(Debug)]
pub struct DiffArgs {
    pub connection: Connection,
    pub format: DiffFormat,
    pub desired: PathBuf,
    pub max_webhooks: Option<u64>,
}

/// A command line that cannot be run, with what is wrong in it.
#[derive(Debug)]
pub struct UsageError(pub String);

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Err(usage("missing command: `list`, `diff` or `verify`"));
    };
    match first.to_str() {
        Some("list") => parse_options(args, ListOptions::default()),
        Some("diff") => parse_options(args, DiffOptions::default()),
        Some("verify") => crate::verify::parse(args),
        Some("--help" | "-h") => Ok(Command::Help),
        Some("--version" | "-V") => Ok(Command::Version),
        Some(option) if option.starts_with('-') => Err(unknown_option(option)),
        Some(_) => Err(usage(format!(
            "unknown command (the first argument, {NOT_SHOWN}): the commands are `list`, `diff` and `verify`"
        ))),
        None => Err(usage("the command is not valid UTF-8")),
    }
}

/// One option as written, with the rest of the command line to take its value from.
struct Opt<'a, I> {
    name: &'a str,
    /// The value written `--name=value`.
    inline: Option<&'a str>,
    rest: &'a mut I,
}

impl<I: Iterator<Item = OsString>> Opt<'_, I> {
    fn value(&mut self) -> Result<OsString, UsageError> {
        match self.inline.take() {
            Some(value) => Ok(value.into()),
            None => self
                .rest
                .next()
                .ok_or_else(|| usage(format!("{} needs a value", self.name))),
        }
    }

    fn flag(&self, flag: &mut bool) -> Result<(), UsageError> {
        if self.inline.is_some() {
            return Err(usage(format!("{} takes no value", self.name)));
        }
        set_flag(flag, self.name)
    }
}

/// What a command adds to the shared parser: its own options and operands.
trait Options {
    fn connection(&mut self) -> &mut Connection;
    /// Takes an option of this command; `false` if it is not one.
    fn option<I: Iterator<Item = OsString>>(
        &mut self,
        opt: &mut Opt<'_, I>,
    ) -> Result<bool, UsageError>;
    /// Takes an argument that is not an option, at `position` on the command
    /// line (the command being 1).
    fn operand(&mut self, arg: OsString, position: usize) -> Result<(), UsageError>;
    fn finish(self) -> Result<Command, UsageError>;
}

/// The arguments after the command, counting how many were taken.
struct Counted<I> {
    args: I,
    taken: usize,
}

impl<I: Iterator<Item = OsString>> Iterator for Counted<I> {
    type Item = OsString;

    fn next(&mut self) -> Option<OsString> {
        let arg = self.args.next()?;
        self.taken += 1;
        Some(arg)
    }
}

fn parse_options<O: Options>(
    args: impl Iterator<Item = OsString>,
    mut options: O,
) -> Result<Command, UsageError> {
    let mut args = Counted { args, taken: 0 };
    let mut options_ended = false;
    while let Some(raw) = args.next() {
        // `-` is an operand (standard input), and `--` ends the options, as
        // POSIX says: `diff -- -webhooks.json`.
        if options_ended || !raw.as_encoded_bytes().starts_with(b"-") || raw == "-" {
            options.operand(raw, args.taken + 1)?;
            continue;
        }
        if raw == "--" {
            options_ended = true;
            continue;
        }
        let Some(arg) = raw.to_str() else {
            return Err(usage("an option is not valid UTF-8"));
        };
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value)),
            _ => (arg, None),
        };
        let mut opt = Opt {
            name,
            inline,
            rest: &mut args,
        };
        match name {
            "--help" | "-h" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--api-key" => {
                return Err(usage(
                    "the API key is never taken from the command line, where `ps` and the \
                     shell's history would show it; export PARTOO_API_KEY or pass --api-key-file",
                ))
            }
            _ if options.connection().option(&mut opt)? => {}
            _ if options.option(&mut opt)? => {}
            option => return Err(unknown_option(option)),
        }
    }
    let connection = options.connection();
    if connection.sandbox && connection.base_url.is_some() {
        return Err(usage("--sandbox and --base-url cannot be used together"));
    }
    options.finish()
}

impl Connection {
    fn option<I: Iterator<Item = OsString>>(
        &mut self,
        opt: &mut Opt<'_, I>,
    ) -> Result<bool, UsageError> {
        let name = opt.name;
        match name {
            "--sandbox" => opt.flag(&mut self.sandbox)?,
            "--base-url" => set(&mut self.base_url, name, text(name, opt.value()?)?)?,
            "--org-id" => set(&mut self.org_id, name, number(name, opt.value()?)?)?,
            "--per-page" => set(&mut self.per_page, name, number(name, opt.value()?)?)?,
            "--timeout" => set(&mut self.timeout, name, seconds(name, opt.value()?)?)?,
            "--retries" => set(&mut self.retries, name, number(name, opt.value()?)?)?,
            "--api-key-file" => set(&mut self.api_key_file, name, opt.value()?.into())?,
            "--ca-file" => set(&mut self.ca_file, name, opt.value()?.into())?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct ListOptions(ListArgs);

impl Options for ListOptions {
    fn connection(&mut self) -> &mut Connection {
        &mut self.0.connection
    }

    fn option<I: Iterator<Item = OsString>>(
        &mut self,
        opt: &mut Opt<'_, I>,
    ) -> Result<bool, UsageError> {
        let (list, name) = (&mut self.0, opt.name);
        match name {
            "--page" => set(&mut list.page, name, number(name, opt.value()?)?)?,
            "--limit" => set(&mut list.limit, name, number(name, opt.value()?)?)?,
            "--format" => set(&mut list.format, name, format(name, opt.value()?)?)?,
            "--prefetch" => set(&mut list.prefetch, name, number(name, opt.value()?)?)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn operand(&mut self, _: OsString, position: usize) -> Result<(), UsageError> {
        Err(usage(format!(
            "unexpected argument in position {position} ({NOT_SHOWN}): list takes options only"
        )))
    }

    fn finish(self) -> Result<Command, UsageError> {
        if self.0.limit == Some(0) {
            return Err(usage(
                "--limit must be 1 or more; leave it out to list every webhook",
            ));
        }
        Ok(Command::List(self.0))
    }
}

#[derive(Default)]
struct DiffOptions {
    connection: Connection,
    format: Option<DiffFormat>,
    desired: Option<PathBuf>,
    max_webhooks: Option<u64>,
}

impl Options for DiffOptions {
    fn connection(&mut self) -> &mut Connection {
        &mut self.connection
    }

    fn option<I: Iterator<Item = OsString>>(
        &mut self,
        opt: &mut Opt<'_, I>,
    ) -> Result<bool, UsageError> {
        let name = opt.name;
        match name {
            "--format" => {
                let format = text(name, opt.value()?)?
                    .parse()
                    .map_err(|_| usage(format!("invalid {name}: expected text or json")))?;
                set(&mut self.format, name, format)?;
            }
            "--max-webhooks" => {
                let max = number(name, opt.value()?)?;
                set(&mut self.max_webhooks, name, max)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The one desired-state file; anything after it is refused without being
    /// repeated, as it may be a secret pasted by mistake.
    fn operand(&mut self, arg: OsString, _: usize) -> Result<(), UsageError> {
        if self.desired.replace(arg.into()).is_some() {
            return Err(usage(
                "diff takes one desired-state file; remove the extra argument",
            ));
        }
        Ok(())
    }

    fn finish(self) -> Result<Command, UsageError> {
        let Some(desired) = self.desired else {
            return Err(usage("diff needs the path of a desired-state file"));
        };
        Ok(Command::Diff(DiffArgs {
            connection: self.connection,
            format: self.format.unwrap_or(DiffFormat::Text),
            desired,
            max_webhooks: self.max_webhooks,
        }))
    }
}

/// Why a message does not quote an argument.
const NOT_SHOWN: &str = "not shown, in case it is a secret";

/// The shortest `--timeout`: below it a timeout is not a limit but a failure.
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

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

fn number<T: FromStr<Err = ParseIntError>>(name: &str, value: OsString) -> Result<T, UsageError> {
    text(name, value)?.parse().map_err(|error: ParseIntError| {
        usage(match error.kind() {
            IntErrorKind::Empty => format!("{name} needs a value"),
            IntErrorKind::PosOverflow => format!("invalid {name}: the number is too large"),
            _ => format!("invalid {name}: expected a whole number"),
        })
    })
}

fn format(name: &str, value: OsString) -> Result<Format, UsageError> {
    text(name, value)?.parse().map_err(|_| {
        usage(format!(
            "invalid {name}: expected table, jsonl, json or csv"
        ))
    })
}

fn seconds(name: &str, value: OsString) -> Result<Duration, UsageError> {
    text(name, value)?
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .filter(|timeout| *timeout >= MIN_TIMEOUT)
        .ok_or_else(|| {
            usage(format!(
                "invalid {name}: expected a number of seconds, at least 0.001"
            ))
        })
}
