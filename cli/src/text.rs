//! Text for people: the library's one rule for showing text
//! ([`escape`], [`needs_escape`]) and its masking of a URL's secrets, with
//! what only the tool knows: the values read from the environment for
//! `${NAME}`, masked wherever they appear in what it prints.

use std::borrow::Cow;
use std::sync::Mutex;

use partoo_webhooks::text;
pub use partoo_webhooks::text::{escape, needs_escape};

/// The values read from the environment for `${NAME}`, longest first.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds a value read from the environment to those [`mask_secrets`] hides
/// from then on, wherever they appear, as CI systems mask their secrets in
/// logs; also as the library's errors quote a server (whitespace as spaces).
pub fn add_secret(value: &str) {
    let mut secrets = SECRETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let quoted = value.replace(|c: char| c.is_ascii_whitespace(), " ");
    for value in [value, &quoted] {
        if !value.is_empty() && !secrets.iter().any(|secret| secret == value) {
            secrets.push(value.to_owned());
        }
    }
    // Longest first: a secret that holds another is hidden whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
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
/// ([`mask_secrets`]), then the credentials of its authority and its query
/// values, by the library's one masking ([`partoo_webhooks::text::mask_url`]).
pub fn mask_url(url: &str) -> String {
    text::mask_url(&mask_secrets(url))
}
