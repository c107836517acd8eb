//! Server text that reaches people: error messages, excerpts and log records
//! quote what a server sent, and a hostile or debugging server may echo the
//! API key into it.
//!
//! Whatever a server sent is redacted whole before it is cut: cutting first
//! would leave the start of a key that straddles the cut. Any run of at least
//! [`MIN_PIECE`] characters of the key is redacted, not only the whole key, so a
//! key the server itself truncated, or that surrounding text completes, leaves
//! no piece long enough to matter. Pieces also match when echoed in another
//! ASCII case, percent-encoded (a key copied into a URL) or JSON-escaped.

/// What a piece of the key becomes.
const MARKER: &str = "[redacted]";

/// The shortest run of key characters that is redacted. Shorter runs occur
/// by chance in ordinary text.
const MIN_PIECE: usize = 6;

/// How many characters of a body an error quotes.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// `text` with every piece of `key` replaced by `[redacted]`.
pub(crate) fn redact(text: &str, key: &str) -> String {
    let mut out = String::with_capacity(text.len());
    redact_into(text, key.as_bytes(), usize::MAX, &mut out);
    out
}

/// The start of a body (or a server's message), redacted, at most
/// [`EXCERPT_CHARS`] characters and an ellipsis, its line breaks and tabs
/// made spaces so that an HTML page reads as one line. Other characters are
/// kept as sent: an error's `Display` escapes them ([`crate::text::escape`]).
pub(crate) fn excerpt(body: &[u8], key: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    // Redaction stops once the excerpt is full: the rest of a 10 MiB body is
    // never looked at, and what is kept is exactly as if all of it had been.
    let mut redacted = String::new();
    let more = redact_into(text, key.as_bytes(), EXCERPT_CHARS + 1, &mut redacted);
    let mut chars = redacted.chars();
    let mut excerpt: String = chars
        .by_ref()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_ascii_whitespace() { ' ' } else { c })
        .collect();
    if more || chars.next().is_some() {
        excerpt.push('…');
    }
    excerpt
}

/// Appends `text` to `out`, pieces of the key replaced, until `out` has
/// received `limit` characters; returns whether some of `text` was left.
fn redact_into(text: &str, key: &[u8], limit: usize, out: &mut String) -> bool {
    let bytes = text.as_bytes();
    let (mut written, mut at) = (0, 0);
    while let Some(c) = text[at..].chars().next() {
        if written >= limit {
            return true;
        }
        // A piece is ASCII from start to end, so `at` stays on a char boundary.
        match longest_piece(&bytes[at..], key) {
            Some(length) => {
                out.push_str(MARKER);
                written += MARKER.len();
                at += length;
            }
            None => {
                out.push(c);
                written += 1;
                at += c.len_utf8();
            }
        }
    }
    false
}

/// The length in bytes of the longest piece of the key at the start of
/// `text`, if one is at least [`MIN_PIECE`] key characters long (or the whole
/// key, when it is shorter).
fn longest_piece(text: &[u8], key: &[u8]) -> Option<usize> {
    let shortest = MIN_PIECE.min(key.len()).max(1);
    let mut longest = None;
    for start in 0..key.len() {
        let (mut matched, mut length) = (0, 0);
        for &k in &key[start..] {
            match key_char(&text[length..], k) {
                Some(n) => (matched, length) = (matched + 1, length + n),
                None => break,
            }
        }
        if matched >= shortest && longest.is_none_or(|l| length > l) {
            longest = Some(length);
        }
    }
    longest
}

/// The length of the spelling of key character `k` at the start of `text`, in
/// either ASCII case: itself, `%HH`, `\u00HH`, or `\/` as JSON may escape a slash.
fn key_char(text: &[u8], k: u8) -> Option<usize> {
    let encodes_k = |digits: &[u8]| match digits {
        [high, low, ..] => {
            let digit = |d: &u8| char::from(*d).to_digit(16);
            matches!((digit(high), digit(low)), (Some(h), Some(l)) if ((h * 16 + l) as u8).eq_ignore_ascii_case(&k))
        }
        _ => false,
    };
    match text {
        [c, ..] if c.eq_ignore_ascii_case(&k) => Some(1),
        [b'%', rest @ ..] if encodes_k(rest) => Some(3),
        [b'\\', b'u', b'0', b'0', rest @ ..] if encodes_k(rest) => Some(6),
        [b'\\', c, ..] if *c == k && matches!(k, b'/' | b'\\' | b'"') => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const KEY: &str = "test-key-5ec8e7-do-not-leak";

    /// Whether `text` holds a run of [`MIN_PIECE`] characters of `key`, in any ASCII case.
    fn holds_a_piece(text: &str, key: &str) -> bool {
        let (text, key) = (text.to_ascii_lowercase(), key.to_ascii_lowercase());
        let chars: Vec<char> = text.chars().collect();
        chars
            .windows(MIN_PIECE)
            .any(|window| key.contains(&window.iter().collect::<String>()))
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(excerpt(b"  \n", KEY), "(empty body)");
        assert_eq!(
            excerpt(b"<html>\n<b>x</b>\r\n\tend", KEY),
            "<html> <b>x</b>   end"
        );
        // Kept for `Display` to escape, which a space would hide.
        assert_eq!(excerpt(b"a\x1b[2Jb\x07", KEY), "a\u{1b}[2Jb\u{7}");
        let long = "é".repeat(300);
        let cut = excerpt(long.as_bytes(), KEY);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        let exact = "a".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(exact.as_bytes(), KEY), exact);
    }

    #[test]
    fn a_key_across_the_cut_leaves_no_piece() {
        for before in EXCERPT_CHARS - KEY.len()..=EXCERPT_CHARS {
            let body = format!("{}{KEY} and more", "x".repeat(before));

            let cut = excerpt(body.as_bytes(), KEY);

            assert!(!holds_a_piece(&cut, KEY), "{before}: {cut}");
        }
    }

    #[test]
    fn the_key_is_redacted_however_it_is_spelled() {
        let percent: String = KEY.bytes().map(|b| format!("%{b:02X}")).collect();
        let json: String = KEY.bytes().map(|b| format!("\\u{b:04x}")).collect();
        for spelled in [
            KEY.to_owned(),
            KEY.to_ascii_uppercase(),
            percent,
            json,
            // Cut by the server itself, or completed by the text around it.
            KEY[..12].to_owned(),
            KEY[9..].to_owned(),
            format!("{}{KEY}", &KEY[..8]),
        ] {
            let text = format!("you sent '{spelled}'!");

            let redacted = redact(&text, KEY).replace("[redacted][redacted]", "[redacted]");

            assert_eq!(redacted, "you sent '[redacted]'!", "{spelled}");
        }
        assert_eq!(
            redact("test-test-k", KEY),
            "test-[redacted]",
            "5 characters are kept"
        );
        assert_eq!(redact("k=ab\\/cdef", "ab/cdefg"), "k=[redacted]");
    }

    #[test]
    fn text_without_the_key_is_kept_as_is() {
        for text in [
            "",
            "User not authenticated",
            "test-",
            "é test€-key",
            "%zz\\u",
            "%7",
        ] {
            assert_eq!(redact(text, KEY), text);
        }
    }

    /// A key spelled one of the ways a server may echo it, character by character.
    fn spelled(key: String) -> impl Strategy<Value = String> {
        let spellings: Vec<_> = key
            .bytes()
            .map(|b| {
                prop_oneof![
                    Just((b as char).to_string()),
                    Just((b as char).to_ascii_uppercase().to_string()),
                    Just(format!("%{b:02x}")),
                    Just(format!("\\u{b:04X}")),
                ]
            })
            .collect();
        spellings.prop_map(|chars| chars.concat())
    }

    /// A key, and a text holding it after arbitrary text padded so that the
    /// key lands anywhere from the start to past the excerpt's cut.
    fn surrounded_key() -> impl Strategy<Value = (String, String)> {
        "[A-Za-z0-9_-]{6,40}".prop_flat_map(|key| {
            let parts = (
                any::<String>(),
                0..EXCERPT_CHARS + 10,
                spelled(key.clone()),
                any::<String>(),
            );
            let text = parts.prop_map(|(before, pad, key, after)| {
                let before: String = before.chars().take(pad).collect();
                let pad = "x".repeat(pad - before.chars().count());
                format!("{before}{pad}{key}{after}")
            });
            (Just(key), text)
        })
    }

    proptest! {
        #[test]
        fn an_excerpt_holds_no_piece_of_the_key_whatever_surrounds_it(
            (key, text) in surrounded_key(),
        ) {
            let excerpt = excerpt(text.as_bytes(), &key);

            prop_assert!(!holds_a_piece(&excerpt, &key), "{excerpt:?}");
            prop_assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
        }

        #[test]
        fn redacted_text_holds_no_piece_of_the_key(
            (key, text) in surrounded_key(),
            bytes in any::<Vec<u8>>(),
        ) {
            prop_assert!(!holds_a_piece(&redact(&text, &key), &key));
            // Not even text that is not UTF-8 panics.
            let excerpt = excerpt(&bytes, &key);
            prop_assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
        }
    }
}
