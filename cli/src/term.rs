//! What only a terminal shows: colour, a progress line on standard error, and
//! a question to answer.
//!
//! Colour is a few ANSI codes written by hand, only where people read (diff
//! lines, the prefix of an error), only when the stream is a terminal and
//! `NO_COLOR` is unset or empty (<https://no-color.org>), unless `--color`
//! says otherwise; never in a pipe, a file or JSON. The progress line is
//! written with `\r` and erased before anything else reaches standard error
//! or the listing's output, and only when standard error is a terminal.

use std::env;
use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use clap::ColorChoice;

static STDOUT_COLOR: AtomicBool = AtomicBool::new(false);
static STDERR_COLOR: AtomicBool = AtomicBool::new(false);

/// The progress line shown on standard error, if any; `None` when standard
/// error is not a terminal.
static PROGRESS: Mutex<Option<String>> = Mutex::new(None);

/// Decides colour for both streams, and whether progress can be shown.
pub fn init(choice: ColorChoice) {
    let auto = |terminal: bool| terminal && env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (stdout, stderr) = match choice {
        ColorChoice::Always => (true, true),
        ColorChoice::Never => (false, false),
        ColorChoice::Auto => (
            auto(io::stdout().is_terminal()),
            auto(io::stderr().is_terminal()),
        ),
    };
    STDOUT_COLOR.store(stdout, Ordering::Relaxed);
    STDERR_COLOR.store(stderr, Ordering::Relaxed);
    if io::stderr().is_terminal() {
        *progress() = Some(String::new());
    }
}

/// Whether what is printed for people on standard output is coloured.
pub fn stdout_color() -> bool {
    STDOUT_COLOR.load(Ordering::Relaxed)
}

/// A change's line in the colour of its first character: `+` green, `-`
/// red, `~` yellow, `!` magenta.
pub fn paint(line: String, color: bool) -> String {
    let code = match line.as_bytes().first() {
        Some(b'+') => "32",
        Some(b'-') => "31",
        Some(b'~') => "33",
        Some(b'!') => "35",
        _ => return line,
    };
    match color {
        true => format!("\x1b[{code}m{line}\x1b[0m"),
        false => line,
    }
}

/// The prefix of the tool's messages on standard error, in bold red when
/// `error` and standard error is coloured.
pub fn prefix(error: bool) -> &'static str {
    match error && STDERR_COLOR.load(Ordering::Relaxed) {
        true => "\x1b[1;31mpartoo-webhooks:\x1b[0m",
        false => "partoo-webhooks:",
    }
}

fn progress() -> std::sync::MutexGuard<'static, Option<String>> {
    PROGRESS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Shows `text` as the progress line, in place of the previous one.
pub fn show_progress(text: String) {
    let mut shown = progress();
    if let Some(shown) = shown.as_mut() {
        let width = shown.chars().count();
        // Padded over the previous one, which may be longer.
        let _ = write!(io::stderr(), "\r{text:width$}");
        *shown = text;
    }
}

/// Erases the progress line, before the output or a message.
pub fn clear_progress() {
    erase(&mut progress());
}

fn erase(shown: &mut Option<String>) {
    if let Some(text) = shown.as_mut().filter(|text| !text.is_empty()) {
        // Spaces rather than an ANSI erase, which not every console reads.
        let width = text.chars().count();
        let _ = write!(io::stderr(), "\r{:width$}\r", "");
        text.clear();
    }
}

/// Writes one line to standard error, after the progress line is erased.
pub fn line(text: &str) {
    let mut shown = progress();
    erase(&mut shown);
    // With standard error gone too, the exit status is all that is left to say it.
    let _ = writeln!(io::stderr(), "{text}");
}

/// Whether a person can be asked: standard input and standard error are
/// terminals.
pub fn can_ask() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// Asks `question` on standard error and reads the answer from standard
/// input: `true` for `y` or `yes` (any case), `false` for anything else, an
/// empty line and the end of input included.
pub fn confirm(question: &str) -> bool {
    erase(&mut progress());
    let _ = write!(io::stderr(), "{} {question} [y/N] ", prefix(false));
    let mut answer = String::new();
    let _ = io::stdin().lock().read_line(&mut answer);
    if !answer.ends_with('\n') {
        // The end of input (Ctrl-D) left the cursor after the question.
        let _ = writeln!(io::stderr());
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
