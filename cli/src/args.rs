//! The command line, defined with clap: the commands, their options and
//! their help; and clap's errors told without the values given.
//!
//! A key pasted in the wrong place (`list <key>`, `--org-id <key>`) must not
//! be printed back into a CI log: messages name options, commands and
//! positions, never what was typed for them. clap's suggestions are kept, as
//! they only ever name the tool's own commands, options and values.

use std::ffi::OsString;
use std::num::{IntErrorKind, ParseIntError};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, ColorChoice, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use partoo_webhooks::{PRODUCTION_URL, SANDBOX_URL};

use crate::diff::DiffFormat;
use crate::output::Format;
use crate::verify::VerifyArgs;

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "partoo-webhooks",
    version,
    about = "Lists the webhook configurations of a Partoo account, compares them with a \
             desired-state file and applies it; verifies the signature of a delivery.",
    subcommand_required = true,
    propagate_version = true,
    after_help = TOP_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log each request on standard error: method, path (query values but the
    /// page as ***), status, time, retries [default: off]
    #[arg(short, long, global = true, display_order = 100)]
    pub verbose: bool,
    /// Colour diff lines and error prefixes; auto: on a terminal, unless the
    /// environment variable NO_COLOR is set
    #[arg(
        long,
        value_name = "WHEN",
        global = true,
        display_order = 100,
        value_enum,
        default_value_t = ColorChoice::Auto
    )]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the account's webhook configurations, each page printed as it arrives.
    #[command(after_help = LIST_HELP)]
    List(ListArgs),
    /// Compare the account with a desired-state file (read-only) and print what to change.
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Make the account hold what a desired-state file declares: creates and updates, never deletes.
    #[command(after_help = APPLY_HELP)]
    Apply(ApplyArgs),
    /// Ask Partoo to send a test delivery for each webhook a desired-state file declares.
    #[command(after_help = TRYOUT_HELP)]
    Tryout(TryoutArgs),
    #[command(
        about = crate::verify::ABOUT,
        after_help = crate::verify::HELP,
        hide = !cfg!(feature = "verify")
    )]
    Verify(VerifyArgs),
    /// Print a completion script for a shell on standard output.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// How to reach the API: the options every command that calls it shares.
/// `None` leaves the setting to the environment or the library.
#[derive(Debug, Args)]
pub struct Connection {
    #[arg(long, conflicts_with = "base_url", help = format!(
        "Use Partoo's sandbox API, {SANDBOX_URL} [default: off]"
    ))]
    pub sandbox: bool,
    #[arg(long, value_name = "URL", help = format!(
        "The API's base URL, up to /v2 [env: PARTOO_BASE_URL] [default: {PRODUCTION_URL}]"
    ))]
    pub base_url: Option<String>,
    /// The one organization to read (and write); needed with a PROVIDER user's key [default: every
    /// organization the key sees]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<u64>)]
    pub org_id: Option<u64>,
    /// The longest one attempt of a request may take, in seconds [default: 30]
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = seconds)]
    pub timeout: Option<Duration>,
    /// Retries of a request after HTTP 429 or 5xx, a timeout or a broken
    /// connection [default: 3]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<u32>)]
    pub retries: Option<u32>,
    /// Read the API key from the first line of PATH [default: the environment
    /// variable PARTOO_API_KEY]
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Trust only the CA certificates of this PEM file for TLS (a TLS-inspecting
    /// proxy, a private CA) [env: SSL_CERT_FILE] [default: the TLS library's roots]
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
}

/// The options of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Webhooks per request, 1 to 100 [default: 100]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<u32>)]
    pub per_page: Option<u32>,
    /// The first page to list [default: 1]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<u32>)]
    pub page: Option<u32>,
    /// Stop after N webhooks, requesting no page beyond them [default: no limit]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one)]
    pub limit: Option<u64>,
    /// The output format [default: table on a terminal, jsonl otherwise]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Request up to N pages ahead, in parallel; Partoo allows 300 requests per
    /// minute per organization [default: 0]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<usize>)]
    pub prefetch: Option<usize>,
}

/// The options of `diff`, and its desired-state file.
#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Webhooks per request, 1 to 100 [default: 100]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<u32>)]
    pub per_page: Option<u32>,
    /// The output format: lines for people and grep, or one JSON document
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Fail when the account announces more than N webhooks, before holding
    /// them in memory [default: 100000]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<u64>)]
    pub max_webhooks: Option<u64>,
    /// The desired-state file; - for standard input
    #[arg(value_name = "DESIRED.json")]
    pub desired: PathBuf,
}

/// The options of `apply`, and its desired-state file.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Write without asking; needed where standard input or standard error is
    /// not a terminal (CI) [default: ask on a terminal]
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Fail when the account announces more than N webhooks, before holding
    /// them in memory [default: 100000]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number::<u64>)]
    pub max_webhooks: Option<u64>,
    /// The desired-state file; - for standard input
    #[arg(value_name = "DESIRED.json")]
    pub desired: PathBuf,
}

/// The options of `tryout`, and its desired-state file.
#[derive(Debug, Args)]
pub struct TryoutArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Only the declared webhooks of this event type; repeat it for several
    /// [default: every declared webhook]
    #[arg(long, value_name = "EVENT_TYPE")]
    pub event_type: Vec<String>,
    /// The desired-state file; - for standard input
    #[arg(value_name = "DESIRED.json")]
    pub desired: PathBuf,
}

const TOP_HELP: &str = "\
The API key comes from the environment variable PARTOO_API_KEY, or from
--api-key-file; never from a command-line value, which would show in `ps` and
in the shell's history. Text for people (table, diff, messages) shows control
and invisible characters as escapes such as \\u{202e}, and every URL query
value, URL credentials and value read from the environment as ***.

Examples:
  partoo-webhooks list --format csv > webhooks.csv
  partoo-webhooks diff webhooks.json
  partoo-webhooks apply --yes webhooks.json
  partoo-webhooks help diff
  partoo-webhooks completions bash > ~/.local/share/bash-completion/completions/partoo-webhooks

Exit status: 0 success, 1 the API or the network failed, 2 a usage or
configuration error (nothing was requested), 3 diff found differences, or
apply left some that the API cannot make (deletes).";

const LIST_HELP: &str = "\
Output streams: each page is printed before the next one is requested. jsonl
and json use the API's field names; csv has a header row and RFC 4180 quoting,
and a ' before a cell that starts with = + - @, a tab or a carriage return,
which a spreadsheet would compute; table is for people. On a terminal, the
page awaited is shown on standard error. A listing is one pass over pages by
offset: webhooks created or deleted meanwhile can make it miss or repeat one;
for a state the account really had, use diff.

Examples:
  partoo-webhooks list
  partoo-webhooks list --org-id 7 --format jsonl | jq .url
  partoo-webhooks list --sandbox --limit 10 -v

Exit status: 0 success, 1 the API or the network failed, or the listing ended
with other than the API's count of webhooks (after printing everything
received), 2 a usage or configuration error (nothing was requested).";

const DIFF_HELP: &str = "\
DESIRED.json is a JSON array of webhooks, one per organization and event type:
  [{\"org_id\": 7, \"event_type\": \"lead_received\",
    \"url\": \"https://crm.example.com/partoo/${HOOK_PATH_SECRET}/leads\",
    \"custom_headers\": {\"X-Auth-Token\": \"${HOOK_TOKEN}\"}}]
custom_headers is optional. ${NAME} anywhere in a url, and a header value that
is exactly ${NAME}, are read from the environment variable NAME. With
--org-id, every entry must be for that organization. Only the organizations
the file manages are compared: those its entries name, --org-id, and those
listed in the object form {\"organizations\": [7, 8], \"webhooks\": [...]},
whose webhooks without an entry are deletes even when no entry is left. The
account's webhooks in other organizations are counted as not managed, never
deletes. The file is checked before any request. The account is listed until
two consecutive listings agree (3 listings at most).

Text output: one line per difference, '+' to create, '-' to delete, '~' to
update (saying which fields differ), '!' for several webhooks of one
organization and event type; then a summary on standard error. json: one
object with creates, updates, deletes and conflicts. Header values are never
printed, only their names; nor is a url that uses ${NAME}, nor the account's
url it is compared with (json: null), only whether they differ.

Examples:
  partoo-webhooks diff webhooks.json
  envsubst < template.json | partoo-webhooks diff --format json -

Exit status: 0 no difference, 3 differences, 1 the API or the network failed
(or no consistent listing), 2 a usage or file error (nothing was requested).";

const APPLY_HELP: &str = "\
DESIRED.json, its ${NAME} secrets, the checks and the organizations compared
are those of diff (see partoo-webhooks help diff). apply prints the plan as
diff does, then asks \"Apply these N changes? [y/N]\" when standard input and
standard error are terminals; anywhere else it needs --yes, and without it
stops before any request (exit 2). Then it creates (one request per
organization for its new webhooks) and updates (PUT /webhooks/{id}), printing
one line per write as Partoo accepts it:
  created 7 lead_received: id 12
  updated 7 message_created: id 39
and reads the account again until it holds what the file declares: custom
headers, which Partoo's create ignores, are set by an update in the same run.
A write whose answer was lost (a timeout, a 5xx) is never sent again blindly:
the next reading tells whether it was made. apply never deletes: Partoo
documents no delete endpoint. A webhook to delete, or several for one
organization and event type, is printed with where to delete it in Partoo's
app (Settings > Integrations > Webhooks). Header values, values read for
${NAME} and URL query values are never printed.

Examples:
  partoo-webhooks apply webhooks.json             # asks on a terminal
  partoo-webhooks apply --yes --org-id 7 webhooks.json
  envsubst < template.json | partoo-webhooks apply --yes -

Exit status: 0 the account holds exactly what the file declares (within the
organizations it manages), 3 differences remain that the API cannot make
(deletes, several webhooks for one event type), or the confirmation was
declined (nothing written), 1 the API or the network failed (the writes made
before it are printed), 2 a usage or file error, or no --yes off a terminal
(nothing was requested).";

const TRYOUT_HELP: &str = "\
For each webhook DESIRED.json declares (see partoo-webhooks help diff), or
those of --org-id and --event-type, asks Partoo to send a test delivery of
its event type to its URL (${NAME} resolved), with POST /webhooks/tryout.
Partoo's tryout body takes url and event_type only: the delivery carries no
custom headers, whatever the file declares. One line per webhook: sent, or
the error (URL query values and values read for ${NAME} never printed).

Examples:
  partoo-webhooks tryout webhooks.json
  partoo-webhooks tryout --org-id 7 --event-type lead_received webhooks.json

Exit status: 0 Partoo accepted every test delivery, 1 it or the network
refused one or more (each is tried), 2 a usage or file error, or no declared
webhook chosen (nothing was requested).";

const COMPLETIONS_HELP: &str = "\
Examples (a new shell picks them up):
  bash:       partoo-webhooks completions bash > ~/.local/share/bash-completion/completions/partoo-webhooks
  zsh:        partoo-webhooks completions zsh > ~/.zfunc/_partoo-webhooks
              (with fpath+=~/.zfunc before compinit in ~/.zshrc)
  fish:       partoo-webhooks completions fish > ~/.config/fish/completions/partoo-webhooks.fish
  PowerShell: partoo-webhooks completions powershell >> $PROFILE
  elvish:     partoo-webhooks completions elvish >> ~/.config/elvish/rc.elv";

/// Why a message does not quote an argument.
const NOT_SHOWN: &str = "not shown, in case it is a secret";

/// The shortest `--timeout`: below it a timeout is not a limit but a failure.
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

fn number<T: FromStr<Err = ParseIntError>>(value: &str) -> Result<T, String> {
    value.parse().map_err(|error: ParseIntError| {
        match error.kind() {
            IntErrorKind::PosOverflow => "the number is too large",
            _ => "expected a whole number",
        }
        .to_owned()
    })
}

fn at_least_one(value: &str) -> Result<u64, String> {
    match number(value)? {
        0 => Err("expected 1 or more; leave it out to list every webhook".to_owned()),
        n => Ok(n),
    }
}

fn seconds(value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .filter(|timeout| *timeout >= MIN_TIMEOUT)
        .ok_or_else(|| "expected a number of seconds, at least 0.001".to_owned())
}

/// clap's error as the tool tells it: what is wrong, naming the option or
/// the position but never the value given, then clap's suggestion and usage
/// line, and where to read more. `args` is the command line, to count positions.
pub fn usage_error(error: &clap::Error, args: &[OsString]) -> String {
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(text)) => text.as_str(),
        _ => "",
    };
    // "--format <FORMAT>": the option's name only.
    let arg = text(ContextKind::InvalidArg);
    let name = arg.split([' ', '=']).next().unwrap_or_default();
    let mut message = match error.kind() {
        ErrorKind::InvalidSubcommand => {
            format!("unknown command (the first argument, {NOT_SHOWN})")
        }
        ErrorKind::UnknownArgument => unexpected(arg, args),
        ErrorKind::InvalidValue if text(ContextKind::InvalidValue).is_empty() => {
            format!("{name} needs a value")
        }
        ErrorKind::InvalidValue => match error.get(ContextKind::ValidValue) {
            Some(ContextValue::Strings(valid)) => format!("invalid {name}: expected {}", or(valid)),
            _ => format!("invalid {name}"),
        },
        ErrorKind::ValueValidation => match std::error::Error::source(error) {
            Some(reason) => format!("invalid {name}: {reason}"),
            None => format!("invalid {name}"),
        },
        ErrorKind::ArgumentConflict => match error.get(ContextKind::PriorArg) {
            Some(ContextValue::String(prior)) if prior == arg => {
                format!("{name} is given more than once")
            }
            Some(ContextValue::String(prior)) => {
                let prior = prior.split(' ').next().unwrap_or_default();
                format!("{name} and {prior} cannot be used together")
            }
            _ => format!("{name} cannot be used with one of the other options"),
        },
        ErrorKind::MissingRequiredArgument => match error.get(ContextKind::InvalidArg) {
            Some(ContextValue::Strings(missing)) => format!("missing {}", missing.join(", ")),
            _ => "an argument is missing".to_owned(),
        },
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "missing command".to_owned()
        }
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_owned(),
        // What clap says of a flag given `--flag=value`.
        ErrorKind::TooManyValues => format!("{name} takes no value"),
        ErrorKind::NoEquals | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("wrong number of values for {name}")
        }
        // Never clap's own text, which quotes the value.
        _ => "invalid command line".to_owned(),
    };
    for (kind, what) in [
        (ContextKind::SuggestedSubcommand, "command"),
        (ContextKind::SuggestedArg, "option"),
        (ContextKind::SuggestedValue, "value"),
    ] {
        match error.get(kind) {
            Some(ContextValue::String(one)) => {
                message += &format!("\n  tip: a similar {what} exists: '{one}'");
            }
            Some(ContextValue::Strings(many)) if !many.is_empty() => {
                message += &format!("\n  tip: a similar {what} exists: '{}'", many.join("', '"));
            }
            _ => {}
        }
    }
    // The command the line is for, to show its usage and point to its help.
    let mut cli = Cli::command();
    cli.build();
    let name = args.iter().skip(1).find_map(|arg| {
        let arg = arg.to_str().filter(|&arg| arg != "help")?;
        cli.find_subcommand(arg).map(|_| arg)
    });
    let usage = match (error.get(ContextKind::Usage), name) {
        (Some(ContextValue::StyledStr(usage)), _) => usage.to_string(),
        (_, Some(name)) => cli
            .find_subcommand_mut(name)
            .map(|c| c.render_usage().to_string())
            .unwrap_or_default(),
        (_, None) => cli.render_usage().to_string(),
    };
    let command = name.map_or(String::new(), |name| format!(" {name}"));
    format!(
        "{message}\n{}\nTry 'partoo-webhooks{command} --help' for more information.",
        usage.trim_end()
    )
}

/// What clap found unexpected: an option's name (without any `=value`), or
/// the position of an argument that is not one (after `--`, or without a
/// leading `-`), which may be a secret pasted in the wrong place.
fn unexpected(arg: &str, args: &[OsString]) -> String {
    let position = args.iter().skip(1).position(|given| given == arg);
    let options_ended = position.is_some_and(|at| args[1..=at].iter().any(|given| given == "--"));
    match position {
        _ if arg.starts_with('-') && arg != "-" && !options_ended => {
            match arg.split('=').next().unwrap_or_default() {
                "--api-key" => "the API key is never taken from the command line, where `ps` \
                                and the shell's history would show it; export PARTOO_API_KEY or \
                                pass --api-key-file"
                    .to_owned(),
                name => format!("unknown option '{name}'"),
            }
        }
        Some(at) => format!("unexpected argument in position {} ({NOT_SHOWN})", at + 1),
        None => format!("unexpected argument ({NOT_SHOWN})"),
    }
}

/// `a, b or c`.
fn or(values: &[String]) -> String {
    match values {
        [] => String::new(),
        [one] => one.clone(),
        [first @ .., last] => format!("{} or {last}", first.join(", ")),
    }
}
