//! The four output formats, written page by page so that a listing streams.

use std::borrow::Cow;
use std::io::{self, Write};

use partoo_webhooks::WebhookItem;

use crate::text::{escape, mask_url};

/// How webhooks are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for people.
    Table,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// A header row, then one row per webhook.
    Csv,
}

const CSV_HEADER: &str = "id,url,event_type,created_at,updated_at,org_id,custom_headers\n";

const TABLE_HEADER: [&str; 6] = [
    "ID",
    "ORG",
    "EVENT TYPE",
    "CREATED AT",
    "CUSTOM HEADERS",
    "URL",
];
/// Numbers read best aligned on their last digit.
const RIGHT_ALIGNED: [bool; 6] = [true, true, false, false, false, false];

/// Writes a listing in one format, one page at a time.
pub struct Printer<W: Write> {
    out: W,
    format: Format,
    /// Whether the opening (a header row, `[`) is written.
    started: bool,
    written: u64,
    /// The table's columns are as wide as the widest value seen so far: the
    /// whole listing is never held to measure it.
    widths: [usize; 6],
}

impl<W: Write> Printer<W> {
    pub fn new(out: W, format: Format) -> Self {
        Printer {
            out,
            format,
            started: false,
            written: 0,
            widths: TABLE_HEADER.map(|title| title.chars().count()),
        }
    }

    /// Writes the items of one page and flushes them, so that they are out
    /// before the next page is requested.
    pub fn page(&mut self, items: &[WebhookItem]) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                for item in items {
                    serde_json::to_writer(&mut self.out, item)?;
                    self.out.write_all(b"\n")?;
                }
            }
            Format::Json => {
                if !self.started {
                    self.out.write_all(b"[")?;
                }
                for (i, item) in items.iter().enumerate() {
                    let first = self.written == 0 && i == 0;
                    self.out.write_all(if first { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut self.out, item)?;
                }
            }
            Format::Csv => {
                if !self.started {
                    self.out.write_all(CSV_HEADER.as_bytes())?;
                }
                for item in items {
                    write_csv_row(&mut self.out, item)?;
                }
            }
            Format::Table => {
                let rows: Vec<[String; 6]> = items.iter().map(table_row).collect();
                for row in &rows {
                    for (width, cell) in self.widths.iter_mut().zip(row) {
                        *width = (*width).max(cell.chars().count());
                    }
                }
                if !self.started {
                    write_table_row(&mut self.out, &TABLE_HEADER, &self.widths)?;
                }
                for row in &rows {
                    write_table_row(&mut self.out, row, &self.widths)?;
                }
            }
        }
        self.started = true;
        self.written += items.len() as u64;
        self.out.flush()
    }

    /// Ends a complete listing: the opening if no page had any item, and the
    /// closing `]` of json. Not called after a failure, so that a cut-off json
    /// listing does not parse as a whole one.
    pub fn finish(mut self) -> io::Result<()> {
        if !self.started {
            self.page(&[])?;
        }
        if self.format == Format::Json {
            let end: &[u8] = if self.written == 0 { b"]\n" } else { b"\n]\n" };
            self.out.write_all(end)?;
        }
        self.out.flush()
    }
}

fn write_csv_row(out: &mut impl Write, item: &WebhookItem) -> io::Result<()> {
    let headers = match &item.custom_headers {
        Some(headers) => serde_json::to_string(headers)?,
        None => String::new(),
    };
    writeln!(
        out,
        "{},{},{},{},{},{},{}",
        item.id,
        csv_field(&item.url),
        csv_field(item.event_type.as_str()),
        csv_field(&item.created_at),
        csv_field(&item.updated_at),
        item.org_id,
        csv_field(&headers),
    )
}

/// RFC 4180: a field holding a comma, a quote or a line break is quoted, its
/// quotes doubled. A field that a spreadsheet would read as a formula (one
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// leading `'` first, as OWASP advises against CSV injection: `url` and
/// `event_type` are the server's text.
fn csv_field(value: &str) -> Cow<'_, str> {
    let value = match value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => Cow::Owned(format!("'{value}")),
        false => Cow::Borrowed(value),
    };
    if value.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        value
    }
}

fn table_row(item: &WebhookItem) -> [String; 6] {
    let headers = match &item.custom_headers {
        // Names only: the values are often credentials, and a table is on a screen.
        Some(headers) if !headers.is_empty() => {
            let names: Vec<&str> = headers.iter().map(|(name, _)| name).collect();
            names.join(",")
        }
        _ => "-".to_owned(),
    };
    // The server's text goes to a terminal: escaped, the URL's credentials and
    // query values masked.
    [
        item.id.to_string(),
        item.org_id.to_string(),
        escape(item.event_type.as_str()).into_owned(),
        escape(&item.created_at).into_owned(),
        escape(&headers).into_owned(),
        escape(&mask_url(&item.url)).into_owned(),
    ]
}

fn write_table_row<S: AsRef<str>>(
    out: &mut impl Write,
    cells: &[S; 6],
    widths: &[usize; 6],
) -> io::Result<()> {
    let last = cells.len() - 1;
    for (i, cell) in cells.iter().enumerate() {
        let (cell, width) = (cell.as_ref(), widths[i]);
        let gap = if i == 0 { "" } else { "  " };
        if i == last {
            // No trailing spaces.
            write!(out, "{gap}{cell}")?;
        } else if RIGHT_ALIGNED[i] {
            write!(out, "{gap}{cell:>width$}")?;
        } else {
            write!(out, "{gap}{cell:<width$}")?;
        }
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_rfc_4180_requires_it() {
        assert_eq!(csv_field("https://e.x/a"), "https://e.x/a");
        assert_eq!(csv_field(""), "");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_field("carriage\rreturn"), "\"carriage\rreturn\"");
    }

    #[test]
    fn csv_fields_that_a_spreadsheet_would_compute_start_with_a_quote() {
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\tx"), "'\tx");
        assert_eq!(csv_field("\rx"), "\"'\rx\"");
        assert_eq!(
            csv_field("=HYPERLINK(\"h\",\"x\")"),
            "\"'=HYPERLINK(\"\"h\"\",\"\"x\"\")\""
        );
        assert_eq!(csv_field("a=1"), "a=1");
    }
}
