//! `partoo-webhooks`: lists the webhook configurations of a Partoo account from
//! the shell, page by page as they arrive, compares them with a desired-state
//! file and applies it, sends test deliveries; verifies the signature of a
//! delivery. See `partoo-webhooks --help`.
#![forbid(unsafe_code)]

mod apply;
mod args;
mod diff;
mod output;
mod term;
mod text;
mod tryout;
mod verbose;
#[cfg_attr(not(feature = "verify"), path = "verify_unavailable.rs")]
mod verify;

use std::env::{self, VarError};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use partoo_webhooks::{Client, DesiredState, Error, ListWebhooks, Plan, WebhookItem, SANDBOX_URL};

use crate::args::{Cli, Command, Connection, DiffArgs, ListArgs};
use crate::diff::DiffFormat;
use crate::output::{Format, Printer};

const NAME: &str = "partoo-webhooks";
/// A key file holds one short line; the cap keeps a wrong path (a log, a
/// device) from being read whole.
const KEY_FILE_LIMIT: u64 = 64 * 1024;
/// Mozilla's whole bundle is about 200 KiB.
const CA_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// The output buffer of `list`, flushed after every page.
const PAGE_OUTPUT_BUFFER: usize = 64 * 1024;

/// The exit status of `diff` when the account differs from the desired state,
/// and of `apply` when differences remain that the API cannot make.
const DIFFERENCES: u8 = 3;

/// Why the program stopped, which decides its exit status.
enum Failure {
    /// A command line that cannot run: exit 2. The message's first line says
    /// what is wrong; the next ones where to read more.
    Usage(String),
    /// A configuration that cannot work: exit 2, nothing was requested.
    Config(String),
    /// The API, the network or the output failed: exit 1.
    Failed(String),
}

/// A usage error found after parsing, with the pointer to the help.
fn usage(message: impl std::fmt::Display) -> Failure {
    Failure::Usage(format!(
        "{message}\nTry '{NAME} --help' for more information."
    ))
}

fn main() -> ExitCode {
    let failure = match run() {
        Ok(status) => return ExitCode::from(status),
        Err(failure) => failure,
    };
    let (message, status) = match &failure {
        Failure::Usage(message) => (message, 2),
        Failure::Config(message) => (message, 2),
        Failure::Failed(message) => (message, 1),
    };
    // Masked whole before it is cut into lines: a secret may hold a newline.
    let message = text::mask_secrets(message);
    let mut lines = message.lines();
    say(
        &format!("{} ", term::prefix(true)),
        lines.next().unwrap_or_default(),
    );
    for line in lines {
        say("", line);
    }
    ExitCode::from(status)
}

/// Writes one line to standard error after `prefix`. Messages quote the
/// server, the desired file and the environment, so the line goes through the
/// one rule for text that reaches a person: any newline, ESC or bidi control
/// in it is escaped, and any value read from the environment masked.
fn say(prefix: &str, line: &str) {
    term::line(&format!(
        "{prefix}{}",
        text::escape(&text::mask_secrets(line))
    ));
}

/// Runs the command line, and returns the exit status of a success.
fn run() -> Result<u8, Failure> {
    let args: Vec<OsString> = env::args_os().collect();
    // What a usage error is told with, before `--color` is known.
    term::init(clap::ColorChoice::Auto);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            return match error.kind() {
                ErrorKind::DisplayHelp => print(&error.render().to_string()).map(|()| 0),
                // Not clap's `partoo-webhooks-list 0.1.0` after a command.
                ErrorKind::DisplayVersion => {
                    print(&format!("{NAME} {}\n", env!("CARGO_PKG_VERSION"))).map(|()| 0)
                }
                _ => Err(Failure::Usage(args::usage_error(&error, &args))),
            };
        }
    };
    term::init(cli.color);
    verbose::init(cli.verbose);
    match cli.command {
        Command::List(list) => list_webhooks(&list).map(|()| 0),
        Command::Diff(diff) => diff_webhooks(&diff),
        Command::Apply(apply) => apply::run(&apply),
        Command::Tryout(tryout) => tryout::run(&tryout),
        Command::Verify(verify) => verify::run(&verify),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), NAME, &mut script);
            print(&String::from_utf8_lossy(&script)).map(|()| 0)
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = stdout()?;
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .or_else(output_failure)
}

fn list_webhooks(list: &ListArgs) -> Result<(), Failure> {
    let (client, key_source) = connect(&list.connection)?;
    let mut request = listing(&client, &list.connection);
    if let Some(page) = list.page {
        request = request.page(page);
    }
    // --limit never sets per_page: page n must hold the same webhooks with or
    // without it (`--page 3 --limit 2` lists the first two of page 3).
    if let Some(per_page) = list.per_page {
        request = request.per_page(per_page);
    }
    if let Some(limit) = list.limit {
        // The library's limit also keeps --prefetch from asking for unneeded pages.
        request = request.limit(limit);
    }
    let mut pages = request.prefetch(list.prefetch.unwrap_or(0)).pages();
    let stdout = stdout()?;

    let format = list.format.unwrap_or(if io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    // Room for a whole page of 100 webhooks (about 30 KiB of jsonl), so that
    // a page goes out in one write when it is flushed.
    let stdout = BufWriter::with_capacity(PAGE_OUTPUT_BUFFER, stdout);
    let mut printer = Printer::new(stdout, format);
    loop {
        let next = pages.next();
        term::clear_progress();
        let page = match next {
            None => break,
            Some(Ok(page)) => page,
            Some(Err(error)) => return Err(request_failure(error, &key_source)),
        };
        if let Err(error) = printer.page(&page.items) {
            return output_failure(error);
        }
        if let Some(next) = pages.next_page() {
            term::show_progress(format!("page {next}/{}", page.max_page));
        }
    }
    printer.finish().or_else(output_failure)
}

/// Compares the account with the desired-state file, checked before any request.
fn diff_webhooks(diff: &DiffArgs) -> Result<u8, Failure> {
    let compared = compare(
        &diff.connection,
        &diff.desired,
        diff.per_page,
        diff.max_webhooks,
    )?;
    compared.print(diff.format)?;
    Ok(if compared.plan.is_empty() {
        0
    } else {
        DIFFERENCES
    })
}

/// What `diff` and `apply` know once they have compared: the desired state,
/// the client and where its key came from, the reading of the account, and
/// the plan.
struct Compared {
    desired: DesiredState,
    client: Client,
    key_source: String,
    live: Vec<WebhookItem>,
    plan: Plan,
}

/// Reads and checks the desired-state file (before any request), then the
/// account as a snapshot, and plans.
fn compare(
    connection: &Connection,
    desired: &Path,
    per_page: Option<u32>,
    max_webhooks: Option<u64>,
) -> Result<Compared, Failure> {
    let desired = diff::read_desired(desired, connection.org_id).map_err(Failure::Config)?;
    let (client, key_source) = connect(connection)?;
    let mut request = listing(&client, connection);
    if let Some(per_page) = per_page {
        request = request.per_page(per_page);
    }
    if let Some(max) = max_webhooks {
        request = request.max_items(max);
    }
    verbose::follow_snapshot();
    let live = request.snapshot();
    verbose::end_snapshot();
    let live = live.map_err(|error| request_failure(error, &key_source))?;
    let plan = Plan::new(&desired, &live);
    Ok(Compared {
        live,
        plan,
        desired,
        client,
        key_source,
    })
}

impl Compared {
    /// Prints the plan on standard output (coloured text on a terminal) and
    /// its summary on standard error.
    fn print(&self, format: DiffFormat) -> Result<(), Failure> {
        let mut stdout = BufWriter::new(stdout()?);
        let color = format == DiffFormat::Text && term::stdout_color();
        diff::print(&mut stdout, &self.plan, format, color).or_else(output_failure)?;
        let desired = self.desired.webhooks().len();
        say("", &diff::summary(&self.plan, desired, self.live.len()));
        Ok(())
    }
}

/// The client of the connection options, and where the key came from, to
/// name in messages.
fn connect(connection: &Connection) -> Result<(Client, String), Failure> {
    let (key, key_source) = api_key(connection.api_key_file.as_deref())?;
    // Masked in everything printed, as the other values read from outside.
    text::add_secret(&key);
    Ok((client(connection, key, &key_source)?, key_source))
}

/// The list request of the connection options: the organization set.
fn listing(client: &Client, connection: &Connection) -> ListWebhooks {
    let request = client.list_webhooks();
    match connection.org_id {
        Some(org_id) => request.org_id(org_id),
        None => request,
    }
}

/// The key, and where it came from to name in messages (never the key itself).
fn api_key(file: Option<&Path>) -> Result<(String, String), Failure> {
    let Some(path) = file else {
        return match env::var("PARTOO_API_KEY") {
            Ok(key) if !key.is_empty() => Ok((key, "PARTOO_API_KEY".to_owned())),
            Err(VarError::NotUnicode(_)) => Err(Failure::Config(
                "PARTOO_API_KEY is not valid UTF-8; export the key as it was issued".to_owned(),
            )),
            _ => Err(Failure::Config(
                "PARTOO_API_KEY is not set; export it or pass --api-key-file".to_owned(),
            )),
        };
    };
    // Never the path: a key passed as one by mistake would be printed.
    let source = "the API key file (--api-key-file)".to_owned();
    let mut text = String::new();
    File::open(path)
        .and_then(|file| file.take(KEY_FILE_LIMIT).read_to_string(&mut text))
        .map_err(|e| Failure::Config(format!("cannot read the API key file: {e}")))?;
    match text.lines().next() {
        Some(key) if !key.is_empty() => Ok((key.to_owned(), source)),
        _ => Err(Failure::Config(format!(
            "the first line of {source} is empty; it must hold the API key"
        ))),
    }
}

fn client(connection: &Connection, key: String, key_source: &str) -> Result<Client, Failure> {
    let from_env = match env::var("PARTOO_BASE_URL") {
        Ok(url) => Some(url).filter(|url| !url.is_empty()),
        // Not the production API in its place, unless another one was given.
        Err(VarError::NotUnicode(_)) if !connection.sandbox && connection.base_url.is_none() => {
            return Err(Failure::Config(
                "PARTOO_BASE_URL is not valid UTF-8; export the API's URL or pass --base-url"
                    .to_owned(),
            ))
        }
        Err(_) => None,
    };
    let base_url = match connection.sandbox {
        true => Some(SANDBOX_URL.to_owned()),
        false => connection.base_url.clone().or(from_env),
    };
    // Plain http has no certificate to check: an exported SSL_CERT_FILE is not
    // read (nor parsed, which costs more than a short listing) and cannot stop it.
    let plain_http = base_url.as_deref().is_some_and(|url| {
        url.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
    });
    let mut builder = Client::builder().api_key(key);
    if let Some(base_url) = base_url {
        builder = builder.base_url(base_url);
    }
    let ca_bundle = ca_bundle(connection.ca_file.as_deref(), !plain_http)?;
    if let Some((pem, _)) = &ca_bundle {
        builder = builder.replace_root_certs_pem(pem.as_slice());
    }
    if let Some(timeout) = connection.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(retries) = connection.retries {
        builder = builder.max_retries(retries);
    }
    builder.build().map_err(|error| match &error {
        Error::InvalidApiKey { reason, .. } => {
            Failure::Config(format!("invalid API key in {key_source}: {reason}"))
        }
        // Where the URL came from, not the URL: it may hold credentials, or
        // be a key pasted in its place.
        Error::InvalidBaseUrl { reason, .. } => {
            let source = match connection.base_url {
                Some(_) => "--base-url",
                None => "PARTOO_BASE_URL",
            };
            Failure::Config(format!("invalid base URL ({source}): {reason}"))
        }
        Error::InvalidSetting {
            name: "root certificates",
            reason,
            ..
        } => {
            let source = ca_bundle
                .as_ref()
                .map_or("the CA file", |(_, source)| source);
            Failure::Config(format!("cannot use {source}: {reason}"))
        }
        _ => Failure::Config(error.to_string()),
    })
}

/// The CA certificates to trust instead of the built-in roots, with where they
/// came from: `--ca-file`, else `SSL_CERT_FILE` as curl, git and Python read it
/// (the flag wins, as it does in curl). Read here rather than left to OpenSSL,
/// so that it works the same under rustls and on every platform.
fn ca_bundle(flag: Option<&Path>, tls: bool) -> Result<Option<(Vec<u8>, String)>, Failure> {
    // Over plain http (a local mock) an exported SSL_CERT_FILE has nothing
    // to configure and must not stop it.
    let from_env = match tls {
        true => env::var_os("SSL_CERT_FILE"),
        false => None,
    };
    let (path, source) = match (flag, from_env) {
        // Where the path came from, not the path: a key pasted in its place
        // would be printed.
        (Some(path), _) => (path.to_owned(), "the CA file (--ca-file)"),
        (None, Some(path)) if !path.is_empty() => {
            (PathBuf::from(path), "the CA file (SSL_CERT_FILE)")
        }
        (None, _) => return Ok(None),
    };
    let hint = "; a CA bundle is a few hundred KiB";
    let pem = read_limited(File::open(&path), CA_FILE_LIMIT, source, hint);
    Ok(Some((pem.map_err(Failure::Config)?, source.to_owned())))
}

/// Reads `source` whole, or refuses it when larger than `limit` (whole MiB),
/// adding `hint` to the refusal: never cut. Each message names `source`.
fn read_limited(
    reader: io::Result<impl Read>,
    limit: u64,
    source: &str,
    hint: &str,
) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .and_then(|reader| reader.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {source}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{source} is larger than {} MiB{hint}", limit >> 20));
    }
    Ok(bytes)
}

/// What the tool says of a failed request (a listing's or a write's), with
/// what to do when it knows.
fn request_failure(error: Error, key_source: &str) -> Failure {
    let fix = match (&error, error.status()) {
        (Error::InvalidSetting { name, reason, .. }, _) => {
            let flag = name.replace('_', "-");
            return usage(format!("invalid --{flag}: {reason}"));
        }
        (&Error::CountMismatch { listed, count, .. }, _) => {
            // The library's advice names its API; this is the command's.
            let what = match listed < count {
                true => format!("incomplete listing: {listed} of {count} webhooks were listed"),
                false => format!("{listed} webhooks were listed for a count of {count}"),
            };
            return Failure::Failed(format!(
                "{what} (all printed); the account may have changed during the listing: \
                 run the command again"
            ));
        }
        (_, Some(401)) => format!("; check the API key in {key_source}"),
        // A listing's error names its page; a write's has none, and
        // neither --org-id nor --prefetch would change it.
        (_, Some(403)) if error.page().is_some() => "; the key's user may not list these \
                           webhooks (a PROVIDER user's key needs --org-id)"
            .to_owned(),
        (_, Some(429)) if error.page().is_some() => "; Partoo allows 300 requests per \
                           minute per organization: try again later (a listing: with a \
                           lower --prefetch)"
            .to_owned(),
        (_, Some(429)) => "; Partoo allows 300 requests per minute per organization: \
                           try again later"
            .to_owned(),
        (Error::NoConsistentSnapshot { .. }, _) => {
            "; try again when the webhooks are not being changed".to_owned()
        }
        (Error::TooManyItems { .. }, _) => {
            "; if the account really holds that many, raise the limit with --max-webhooks N"
                .to_owned()
        }
        (Error::Connection { .. }, _) if with_causes(&error).contains("certificate") => {
            "; if a TLS-inspecting proxy or a private CA signs it, \
             pass that CA's certificate with --ca-file or SSL_CERT_FILE"
                .to_owned()
        }
        _ => String::new(),
    };
    Failure::Failed(format!("{}{fix}", with_causes(&error)))
}

/// An error followed by its causes, as `anyhow` prints them: each says what
/// failed at its own level, and none repeats another.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// A reader that closed the pipe (`| head -1`) has all it wanted: stop quietly.
fn output_failure(error: io::Error) -> Result<(), Failure> {
    match error.kind() {
        io::ErrorKind::BrokenPipe => Ok(()),
        _ => Err(Failure::Failed(format!(
            "cannot write to standard output: {error}"
        ))),
    }
}

/// Standard output, or why it cannot be written: found before anything is
/// requested or written, as a closed one (`>&-`) fails no write.
fn stdout() -> Result<io::StdoutLock<'static>, Failure> {
    #[cfg(unix)]
    if stdout_was_closed() {
        return Err(Failure::Failed(
            "cannot write to standard output: it is closed".to_owned(),
        ));
    }
    Ok(io::stdout().lock())
}

/// Whether standard output was closed when the program started. Rust's
/// runtime puts `/dev/null` in the place of a closed one, opened to read and
/// write; a shell's `> /dev/null` opens it to write only, so reading tells
/// them apart.
#[cfg(unix)]
fn stdout_was_closed() -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(fd) = std::os::fd::AsFd::as_fd(&io::stdout()).try_clone_to_owned() else {
        return true;
    };
    let mut out = File::from(fd);
    match (out.metadata(), std::fs::metadata("/dev/null")) {
        (Ok(out_meta), Ok(null)) if out_meta.file_type().is_char_device() => {
            out_meta.rdev() == null.rdev() && out.read(&mut [0; 1]).is_ok()
        }
        _ => false,
    }
}
