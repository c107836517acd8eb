//! The library's `log` records, routed to standard error: every request and
//! retry with `-v`, and the progress of a snapshot on a terminal.
//!
//! Only the library's own records are read (targets `partoo_webhooks...`):
//! ureq's (`ureq`, `ureq_proto`) can print headers, the API key among them,
//! and are never shown. A record goes through the rule for text people read
//! (escaped, the values from the environment masked), and the query of a
//! request's path shows only the page number: `org_id=***`.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::term;
use crate::text::{escape, mask_secrets};

struct Logger {
    verbose: AtomicBool,
    /// Whether a snapshot's progress is followed, and where it is: the pass,
    /// and the last page received.
    snapshot: Mutex<Option<(u32, u32)>>,
}

static LOGGER: Logger = Logger {
    verbose: AtomicBool::new(false),
    snapshot: Mutex::new(None),
};

/// Installs the logger; `verbose` prints each of the library's records.
pub fn init(verbose: bool) {
    LOGGER.verbose.store(verbose, Ordering::Relaxed);
    // Without -v, the records serve only progress, which needs a terminal.
    if (verbose || io::stderr().is_terminal()) && log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

/// Shows a snapshot's progress (pages received, the pass) from the records of
/// its requests, until [`end_snapshot`].
pub fn follow_snapshot() {
    *LOGGER.snapshot() = Some((0, 0));
}

pub fn end_snapshot() {
    *LOGGER.snapshot() = None;
    term::clear_progress();
}

impl Logger {
    fn snapshot(&self) -> std::sync::MutexGuard<'_, Option<(u32, u32)>> {
        self.snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Debug && metadata.target().starts_with("partoo_webhooks")
    }

    fn log(&self, record: &Record<'_>) {
        let verbose = self.verbose.load(Ordering::Relaxed);
        // Without -v, only a snapshot's progress reads the records.
        if !self.enabled(record.metadata()) || !verbose && self.snapshot().is_none() {
            return;
        }
        let message = record.args().to_string();
        if verbose {
            let masked: Vec<String> = message.split(' ').map(mask_path).collect();
            let text = escape(&mask_secrets(&masked.join(" "))).into_owned();
            term::line(&format!("{} {text}", term::prefix(false)));
        }
        // "GET /webhooks?page=2&per_page=100 -> 200 (35 ms)": a page received.
        let page = match message.split_once(" -> ") {
            Some((request, _)) => page_of(request),
            None => None,
        };
        if let (Some(page), Some((pass, last))) = (page, self.snapshot().as_mut()) {
            // Page 1 again, but not its retry, starts a pass.
            if page == 1 && *last != 1 {
                *pass += 1;
            }
            *last = page;
            let pages = if page == 1 { "page" } else { "pages" };
            term::show_progress(match *pass {
                1 => format!("{page} {pages} listed"),
                pass => format!("{page} {pages} listed, pass {pass}"),
            });
        }
    }

    fn flush(&self) {}
}

/// The page number of a request's path.
fn page_of(request: &str) -> Option<u32> {
    let (_, query) = request.split_once('?')?;
    query
        .split('&')
        .find_map(|parameter| parameter.strip_prefix("page="))
        .and_then(|page| page.parse().ok())
}

/// A word of a record as shown: a path's query values other than the page
/// number as `***` (`/webhooks?page=2&org_id=***:`), anything else as it is.
fn mask_path(word: &str) -> String {
    let Some((path, query)) = word.split_once('?').filter(|_| word.starts_with('/')) else {
        return word.to_owned();
    };
    let (query, colon) = match query.strip_suffix(':') {
        Some(query) => (query, ":"),
        None => (query, ""),
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some(("page", number)) if number.bytes().all(|b| b.is_ascii_digit()) => {
                parameter.to_owned()
            }
            Some((name, _)) => format!("{name}=***"),
            None => "***".to_owned(),
        })
        .collect();
    format!("{path}?{}{colon}", masked.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_number_of_a_path_is_shown() {
        assert_eq!(
            mask_path("/webhooks?org_id=7&page=12&per_page=100:"),
            "/webhooks?org_id=***&page=12&per_page=***:"
        );
        assert_eq!(mask_path("/webhooks?page=x1"), "/webhooks?page=***");
        assert_eq!(mask_path("/webhooks/42"), "/webhooks/42");
        assert_eq!(mask_path("why?a=b"), "why?a=b");
        assert_eq!(page_of("GET /webhooks?per_page=1&page=3"), Some(3));
    }
}
