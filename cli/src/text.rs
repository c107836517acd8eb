//! Text for people: the one rule for showing server text on a terminal, in a
//! CI log or in an error message, and the masking of URL query values.
//!
//! A server decides what a webhook's URL, event type and header names hold,
//! and what its error messages say. Printed as they are, a terminal obeys the
//! control characters among them (ESC moves the cursor, rewrites the screen),
//! and invisible characters change what a person reads: after U+202E
//! (right-to-left override), `https://e.x/\u{202e}gpj.exe` reads as
//! `https://e.x/exe.jpg`, and U+200B (zero width space) hides a difference
//! between two URLs. [`escape`] shows every such character as a visible
//! escape, as `ls` and git quote file names. The library's error messages go
//! through it, as do the tool's tables, diff lines and messages.
//!
//! `escape("https://e.x/\u{202e}gpj")` is `https://e.x/\u{202e}gpj` (the
//! backslash written), and `mask_query("https://e.x/hook?key=9fa91de19&v=2")`
//! is `https://e.x/hook?key=***&v=***`. `cli/tests/text.rs` includes this file
//! and checks the rule against the Unicode database of another crate.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Mutex;

/// The values read from the environment for `${NAME}`, longest first.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds a value read from the environment to those [`mask_secrets`] hides
/// from then on, wherever they appear, as CI systems mask their secrets in
/// logs.
pub fn add_secret(value: &str) {
    let mut secrets = SECRETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !value.is_empty() && !secrets.iter().any(|secret| secret == value) {
        secrets.push(value.to_owned());
        // Longest first: a secret that holds another is hidden whole.
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    }
}

/// `text` with every value given to [`add_secret`] shown as `***`: the one
/// masking of everything the tool prints for people.
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut text = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), "***"));
        }
    }
    text
}

/// A URL as people see it: the values from the environment
/// ([`mask_secrets`]), the credentials of its authority
/// (`https://user:password@host/` becomes `https://***@host/`) and its query
/// values ([`mask_query`]) shown as `***`.
pub fn mask_url(url: &str) -> String {
    let url = mask_secrets(url);
    let url = mask_query(&url);
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.into_owned(),
    }
}

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

/// Whether [`escape`] replaces `c`: whether it is of the general category Cc,
/// Cf, Zl or Zp.
pub fn needs_escape(c: char) -> bool {
    if (' '..'\u{7f}').contains(&c) {
        return false;
    }
    let c = u32::from(c);
    ESCAPED
        .binary_search_by(|&(first, last)| {
            if last < c {
                std::cmp::Ordering::Less
            } else if first > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `text` with every character of the Unicode general categories Cc, Cf, Zl
/// and Zp (see [`needs_escape`]) written as a visible escape, `\u{` and its code
/// point in lowercase hexadecimal and `}`, as Rust writes it: ESC is `\u{1b}`,
/// a newline `\u{a}`, U+202E `\u{202e}`. Every other character is kept,
/// backslashes included, so text without such characters is returned as it is.
///
/// Tabs and newlines are escaped too: a caller that lays out lines escapes
/// each piece of text it puts in them, not the layout around them.
pub fn escape(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(needs_escape) else {
        return Cow::Borrowed(text);
    };
    let mut escaped = String::with_capacity(text.len() + 8);
    escaped.push_str(&text[..first]);
    for c in text[first..].chars() {
        if needs_escape(c) {
            // Writing to a String cannot fail.
            let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// `url` with the value of every query parameter shown as `***`, its name
/// kept: `?key=9fa91de19&v=2` becomes `?key=***&v=***`. A parameter without
/// `=` is all value, and becomes `***`. Secrets are often put in a webhook's
/// query (Partoo's own guide suggests `?key=...`); the path, which can hold
/// one too, is kept, as is anything after `#`.
///
/// Masks, and escapes nothing: text for a person goes through [`escape`] as well.
pub fn mask_query(url: &str) -> Cow<'_, str> {
    let end = url.find('#').unwrap_or(url.len());
    let Some(start) = url[..end].find('?').map(|i| i + 1) else {
        return Cow::Borrowed(url);
    };
    let query = &url[start..end];
    if query.is_empty() {
        return Cow::Borrowed(url);
    }
    let mut masked = String::with_capacity(url.len());
    masked.push_str(&url[..start]);
    for (i, parameter) in query.split('&').enumerate() {
        if i > 0 {
            masked.push('&');
        }
        match parameter.split_once('=') {
            Some((name, _)) => {
                masked.push_str(name);
                masked.push_str("=***");
            }
            None if parameter.is_empty() => {}
            None => masked.push_str("***"),
        }
    }
    masked.push_str(&url[end..]);
    Cow::Owned(masked)
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
        for text in ["", "https://e.x/a?b=c", "é\\u{202e}€😀", "\u{a0}\u{3000}"] {
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
        ];
        for (url, expected) in cases {
            assert_eq!(mask_url(url), expected, "{url}");
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
            assert_eq!(mask_query(url), expected, "{url}");
        }
    }
}
