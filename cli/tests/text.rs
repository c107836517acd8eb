//! The one rule for text that reaches a person (`text::escape`), checked
//! against the Unicode database of another crate, and the masking of URL
//! query values (`text::mask_query`). The binary's module is included as it is.
#[allow(dead_code)] // the binary uses all of it, this test a part
#[path = "../src/text.rs"]
mod text;

use proptest::prelude::*;
use text::{escape, mask_query, needs_escape};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The oracle: whether `c` is of the category Cc, Cf, Zl or Zp according to
/// the `unicode-properties` crate's tables.
fn in_the_four_categories(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

fn every_char() -> impl Iterator<Item = char> {
    (0..=u32::from(char::MAX)).filter_map(char::from_u32)
}

#[test]
fn the_rule_escapes_exactly_the_characters_of_cc_cf_zl_and_zp() {
    let disagreements: Vec<String> = every_char()
        .filter(|&c| needs_escape(c) != in_the_four_categories(c))
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect();
    assert_eq!(disagreements, Vec::<String>::new());
    // Not vacuous: 65 controls, 170 format characters and the two separators.
    let named = every_char().filter(|&c| in_the_four_categories(c)).count();
    assert_eq!(named, 237);
}

/// Any text, with characters of the four categories mixed in often: they
/// are about 300 of 1.1 million code points, so arbitrary text rarely holds one.
fn hostile_text() -> impl Strategy<Value = String> {
    let hidden: Vec<char> = every_char()
        .filter(|&c| in_the_four_categories(c))
        .collect();
    let piece = prop_oneof![
        3 => any::<char>(),
        2 => proptest::sample::select(hidden),
        1 => proptest::sample::select(vec!['\\', 'u', '{', '}', ' ', 'é', '\u{a0}']),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn escaped_text_holds_no_character_of_the_four_categories(text in hostile_text()) {
        let escaped = escape(&text);

        prop_assert!(!escaped.chars().any(in_the_four_categories), "{escaped:?}");
        let expected: String = text
            .chars()
            .map(|c| match in_the_four_categories(c) {
                true => format!("\\u{{{:x}}}", u32::from(c)),
                false => c.to_string(),
            })
            .collect();
        prop_assert_eq!(&*escaped, expected.as_str());
    }

    #[test]
    fn text_without_those_characters_is_unchanged(text in any::<String>()) {
        let kept: String = text.chars().filter(|&c| !in_the_four_categories(c)).collect();

        prop_assert_eq!(escape(&kept), kept.as_str());
    }

    #[test]
    fn every_query_value_is_masked_and_every_name_kept(
        path in "https://h\\.example/[a-z0-9/]{0,12}",
        parameters in proptest::collection::vec(("[^&#=]{0,6}", "[^&#]{0,12}"), 1..5),
        fragment in proptest::option::of("#[^#]{0,8}"),
    ) {
        let query: Vec<String> = parameters.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let fragment = fragment.unwrap_or_default();
        let url = format!("{path}?{}{fragment}", query.join("&"));

        let masked = mask_query(&url);

        let names: Vec<String> = parameters.iter().map(|(n, _)| format!("{n}=***")).collect();
        prop_assert_eq!(&*masked, format!("{path}?{}{fragment}", names.join("&")));
        prop_assert_eq!(mask_query(&masked), masked.clone());
    }

    #[test]
    fn masking_any_text_keeps_everything_before_the_query(text in any::<String>()) {
        let masked = mask_query(&text);

        let end = text.find('#').unwrap_or(text.len());
        let start = text[..end].find('?').map_or(end, |i| i + 1);
        prop_assert!(masked.starts_with(&text[..start]), "{masked:?}");
        prop_assert!(masked.ends_with(&text[end..]), "{masked:?}");
    }
}
