//! Text for people: the one rule for showing text from elsewhere (a server,
//! a file) to a person, and the one masking of a URL's secrets. This crate's
//! error messages and `Debug` output use them, and so does the
//! `partoo-webhooks` tool for its tables, `diff` lines and messages; a
//! program that prints a webhook's fields for people can use them too.
//!
//! A server decides what a webhook's URL, event type and header names hold,
//! and what its error messages say. Printed as they are, a terminal obeys the
//! control characters among them (ESC moves the cursor, rewrites the screen),
//! and invisible characters change what a person reads: after U+202E
//! (right-to-left override), `https://e.x/\u{202e}gpj.exe` reads as
//! `https://e.x/exe.jpg`, and U+200B (zero width space) hides a difference
//! between two URLs. [`escape`] shows every such character as a visible
//! escape, as `ls` and git quote file names:
//!
//! ```
//! use partoo_webhooks::text::{escape, mask_url};
//!
//! assert_eq!(escape("https://e.x/\u{202e}gpj"), r"https://e.x/\u{202e}gpj");
//! assert_eq!(
//!     mask_url("https://user:pw@e.x/hook?key=9fa91de19&v=2"),
//!     "https://***@e.x/hook?key=***&v=***"
//! );
//! ```

use std::borrow::Cow;

/// Every character of the Unicode general categories Cc (controls), Cf
/// (format: bidi controls, zero-width characters, the BOM, tags), Zl (line
/// separator) and Zp (paragraph separator), as inclusive ranges in increasing
/// order, as of Unicode 16.0 (Cf last grew in 15.0, by U+13439 to U+1343F).
/// Adjacent ranges of different categories are merged. `tests/text.rs`
/// compares them, character by character, with the tables of the
/// `unicode-properties` crate.
const ESCAPED: [(u32, u32); 23] = [
    (0x0000, 0x001F),   // Cc: C0 controls
    (0x007F, 0x009F),   // Cc: DEL and C1 controls
    (0x00AD, 0x00AD),   // Cf: soft hyphen
    (0x0600, 0x0605),   // Cf: Arabic number signs
    (0x061C, 0x061C),   // Cf: Arabic letter mark
    (0x06DD, 0x06DD),   // Cf: Arabic end of ayah
    (0x070F, 0x070F),   // Cf: Syriac abbreviation mark
    (0x0890, 0x0891),   // Cf: Arabic pound and piastre marks above
    (0x08E2, 0x08E2),   // Cf: Arabic disputed end of ayah
    (0x180E, 0x180E),   // Cf: Mongolian vowel separator
    (0x200B, 0x200F),   // Cf: zero width space, (non-)joiner, LRM, RLM
    (0x2028, 0x202E),   // Zl, Zp, and Cf: bidi embeddings and overrides
    (0x2060, 0x2064),   // Cf: word joiner, invisible operators
    (0x2066, 0x206F),   // Cf: bidi isolates, deprecated format characters
    (0xFEFF, 0xFEFF),   // Cf: zero width no-break space (BOM)
    (0xFFF9, 0xFFFB),   // Cf: interlinear annotation
    (0x110BD, 0x110BD), // Cf: Kaithi number sign
    (0x110CD, 0x110CD), // Cf: Kaithi number sign above
    (0x13430, 0x1343F), // Cf: Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3), // Cf: shorthand format controls
    (0x1D173, 0x1D17A), // Cf: musical symbol format controls
    (0xE0001, 0xE0001), // Cf: language tag
    (0xE0020, 0xE007F), // Cf: tag characters
];

/// Whether [`escape`] writes `c` as an escape: whether it is of the Unicode
/// general category Cc, Cf, Zl or Zp.
#[must_use]
pub fn needs_escape(c: char) -> bool {
    let c = u32::from(c);
    let range = ESCAPED.partition_point(|&(_, last)| last < c);
    ESCAPED.get(range).is_some_and(|&(first, _)| first <= c)
}

/// `text` with every character of the Unicode general categories Cc, Cf, Zl
/// and Zp (see [`needs_escape`]) written as a visible escape, `\u{` and its
/// code point in lowercase hexadecimal and `}`, as Rust writes it: ESC is
/// `\u{1b}`, a newline `\u{a}`, U+202E `\u{202e}`. Every other character is
/// kept, backslashes included, so text without such characters is returned
/// as it is.
///
/// Tabs and newlines are escaped too: a caller that lays out lines escapes
/// each piece of text it puts in them, not the layout around them.
#[must_use]
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match needs_escape(c) {
            true => shown.extend(c.escape_unicode()),
            false => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// `url` with the secrets a webhook URL usually holds shown as `***`: the
/// credentials of its authority (`https://user:pw@host/` is
/// `https://***@host/`) and the value of every query parameter, its name
/// kept (`?key=9fa91de19&v=2` is `?key=***&v=***`; a parameter without `=`
/// is all value). The path, which can hold a secret too, is kept, as is
/// anything after `#`.
///
/// Masks, and escapes nothing: text for a person goes through [`escape`] as well.
#[must_use]
pub fn mask_url(url: &str) -> String {
    let end = url.find('#').unwrap_or(url.len());
    let query = url[..end].find('?').unwrap_or(end);
    let start = url[..query].find("://").map_or(0, |i| i + 3);
    let host = url[start..query].find('/').map_or(query, |i| start + i);
    let mut shown = match url[start..host].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..query]),
        None => url[..query].to_owned(),
    };
    match url.get(query + 1..end).filter(|pairs| !pairs.is_empty()) {
        Some(pairs) => {
            let masked = pairs.split('&').map(|pair| match pair.split_once('=') {
                Some((name, _)) => format!("{name}=***"),
                None if pair.is_empty() => String::new(),
                None => "***".to_owned(),
            });
            shown = format!("{shown}?{}", masked.collect::<Vec<_>>().join("&"));
        }
        None => shown.push_str(&url[query..end]),
    }
    shown + &url[end..]
}

/// A decoder's `message` without the string it quotes. serde writes a value
/// it could not use between `"` (`invalid type: string "…", expected u32 at
/// line 1 column 9`), and that value may be a secret: it is left out, and
/// what follows it (serde's last `, expected …`, or the position) is kept.
/// Field names and numbers, which serde writes between backquotes, are kept.
#[must_use]
pub fn strip_quoted(message: &str) -> Cow<'_, str> {
    let Some(cut) = message.find('"') else {
        return Cow::Borrowed(message);
    };
    let rest = &message[cut..];
    let tail = rest
        .rfind(", expected ")
        .or_else(|| rest.rfind(" at line "));
    let tail = tail.map_or("", |at| &rest[at..]);
    Cow::Owned(format!("{}{tail}", message[..cut].trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ranges_are_sorted_and_disjoint() {
        for pair in ESCAPED.windows(2) {
            let ((first, last), (next, _)) = (pair[0], pair[1]);
            assert!(first <= last && last + 1 < next, "{pair:x?}");
        }
    }

    #[test]
    fn text_without_characters_to_escape_is_borrowed() {
        for text in [
            "",
            "https://e.x/a?b=c",
            "é\\u{202e}€😀",
            "\u{a0}\u{3000}",
            "e\u{301}",
        ] {
            assert!(
                matches!(escape(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn every_character_to_escape_is_shown_as_its_code_point() {
        let cases = [
            ("\u{0}", r"\u{0}"),
            ("a\tb\nc\r", r"a\u{9}b\u{a}c\u{d}"),
            ("\u{1b}[2J\u{7}", r"\u{1b}[2J\u{7}"),
            ("\u{7f}\u{9b}", r"\u{7f}\u{9b}"),
            ("x\u{202e}y\u{200b}z", r"x\u{202e}y\u{200b}z"),
            ("\u{2028}\u{2029}\u{feff}", r"\u{2028}\u{2029}\u{feff}"),
            ("tag\u{e0041}", r"tag\u{e0041}"),
            ("\"q\" \\", "\"q\" \\"),
        ];
        for (text, expected) in cases {
            assert_eq!(escape(text), expected, "{text:?}");
        }
    }

    #[test]
    fn credentials_in_the_authority_are_masked_with_the_query() {
        let cases = [
            (
                "https://user:pw@h.example/a?k=1",
                "https://***@h.example/a?k=***",
            ),
            ("https://token@h.example", "https://***@h.example"),
            ("https://u:p@ss@h.example/x@y", "https://***@h.example/x@y"),
            ("https://h.example/a@b?c=d@e", "https://h.example/a@b?c=***"),
            ("https://h.example/a#x@y", "https://h.example/a#x@y"),
            ("https://u@h.example?", "https://***@h.example?"),
            ("https://u@h.example?k=1#f", "https://***@h.example?k=***#f"),
        ];
        for (url, expected) in cases {
            assert_eq!(mask_url(url), expected, "{url}");
        }
    }

    #[test]
    fn a_quoted_string_is_left_out_of_a_decoders_message_and_the_rest_kept() {
        let cases = [
            (
                r#"invalid type: string "s3cret, expected u8", expected u32 at line 1 column 9"#,
                "invalid type: string, expected u32 at line 1 column 9",
            ),
            (
                r#"bad "s3cret" at line 2 column 3"#,
                "bad at line 2 column 3",
            ),
            (
                "missing field `url` at line 1 column 2",
                "missing field `url` at line 1 column 2",
            ),
            (
                "EOF while parsing a string at line 1 column 5",
                "EOF while parsing a string at line 1 column 5",
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(strip_quoted(message), expected, "{message}");
        }
    }

    #[test]
    fn query_values_are_masked_and_names_kept() {
        let cases = [
            ("https://e.x/a", "https://e.x/a"),
            ("https://e.x/a?", "https://e.x/a?"),
            ("https://e.x/a?key=s3cret", "https://e.x/a?key=***"),
            ("https://e.x/a?k=1&v=&=x", "https://e.x/a?k=***&v=***&=***"),
            ("https://e.x/a?9fa91de19", "https://e.x/a?***"),
            ("https://e.x/a?a=1&&b=2=3", "https://e.x/a?a=***&&b=***"),
            ("https://e.x/a?k=1#top", "https://e.x/a?k=***#top"),
            ("https://e.x/a#x?k=1", "https://e.x/a#x?k=1"),
        ];
        for (url, expected) in cases {
            assert_eq!(mask_url(url), expected, "{url}");
        }
    }
}
