//! The custom headers of a webhook configuration, and the API's rules for them.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::escape;

/// The HTTP headers Partoo adds to each call of a webhook, in the order the API
/// sent them. Names compare without regard to ASCII case, as in HTTP.
///
/// Two sets are equal (`==`) when they hold the same headers in any order:
/// names compared without regard to ASCII case, values exactly. A name that
/// comes more than once (a listing keeps what the server sent) must have its
/// values in the same order in both, as HTTP reads repeated fields; the
/// first of them is what [`get`](Self::get) returns.
///
/// The values are often credentials (Partoo's own example is `X-Auth-Token`),
/// so `Debug` shows the names only; [`get`](Self::get), [`iter`](Self::iter)
/// and serialization give the values.
///
/// ```
/// use partoo_webhooks::{CustomHeaderError, CustomHeaders};
///
/// let mut headers = CustomHeaders::new();
/// headers.insert("X-Auth-Token", "secret");
/// assert!(headers.validate().is_ok());
///
/// headers.insert("X-Partoo-Id", "1");
/// let error: CustomHeaderError = headers.validate().unwrap_err();
/// assert_eq!(error.to_string(), r#"custom header "X-Partoo-Id" uses the reserved prefix "X-Partoo""#);
/// assert_eq!(format!("{headers:?}"), r#"{"X-Auth-Token": "[hidden]", "X-Partoo-Id": "[hidden]"}"#);
///
/// let same = CustomHeaders::from_iter([("x-partoo-id", "1"), ("X-AUTH-TOKEN", "secret")]);
/// assert_eq!(headers, same);
/// assert_ne!(headers, CustomHeaders::from_iter([("X-Auth-Token", "SECRET"), ("X-Partoo-Id", "1")]));
/// ```
#[derive(Clone, Default)]
pub struct CustomHeaders(Vec<(String, String)>);

impl PartialEq for CustomHeaders {
    fn eq(&self, other: &Self) -> bool {
        self.by_name() == other.by_name()
    }
}

impl Eq for CustomHeaders {}

impl fmt::Debug for CustomHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, _)| (name, "[hidden]")))
            .finish()
    }
}

/// A rule of the API's `CustomHeaders` schema that a set of headers breaks:
/// more than [`CustomHeaders::MAX_HEADERS`] headers, a name that does not
/// start with `X-` or starts with the reserved `X-Partoo` (in any case), a
/// name longer than [`CustomHeaders::MAX_NAME_CHARS`] or a value longer than
/// [`CustomHeaders::MAX_VALUE_CHARS`] characters, a name with a character of
/// [`CustomHeaders::FORBIDDEN_NAME_CHARS`], and, though not in the schema, what
/// no HTTP request can carry: a name with a character outside RFC 9110's
/// `tchar` (ASCII letters and digits, and ``!#$%&'*+-.^_`|~``; a control
/// character, a non-ASCII letter, an invisible one such as U+200B), a control
/// character (such as a newline) in a value, and a name given twice (in any
/// case).
///
/// `Display` says which rule, naming the header escaped (a name may come from
/// a server); never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomHeaderError {
    /// The header that breaks the rule; `None` for too many headers.
    pub name: Option<String>,
    /// The rule broken, for people, as `Display` shows it.
    pub message: String,
}

impl fmt::Display for CustomHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CustomHeaderError {}

impl CustomHeaders {
    /// The most headers a webhook may have.
    pub const MAX_HEADERS: usize = 5;
    /// The longest name, in characters.
    pub const MAX_NAME_CHARS: usize = 128;
    /// The longest value, in characters.
    pub const MAX_VALUE_CHARS: usize = 512;
    /// The characters a name may not contain.
    pub const FORBIDDEN_NAME_CHARS: &'static str = " ()<>@,;:\\\"/[]?={}";

    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a header, replacing the value of a header of the same name (in any
    /// case), which is returned. Does not validate: see [`validate`](Self::validate).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let (name, value) = (name.into(), value.into());
        if let Some(i) = self.position(&name) {
            return Some(std::mem::replace(&mut self.0[i].1, value));
        }
        self.0.push((name, value));
        None
    }

    /// The value of a header, its name compared without regard to ASCII case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.0[i].1.as_str())
    }

    /// The headers as `(name, value)`, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The headers as `(name, value)`, in order, with the values to change.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&str, &mut String)> {
        self.0.iter_mut().map(|(n, v)| (n.as_str(), v))
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks every rule of the API's schema, and returns the first one broken.
    ///
    /// Lengths count characters, as JSON Schema does.
    ///
    /// # Errors
    /// The [`CustomHeaderError`] naming the rule and the header.
    pub fn validate(&self) -> Result<(), CustomHeaderError> {
        let (count, max) = (self.0.len(), Self::MAX_HEADERS);
        if count > max {
            let message = format!("{count} custom headers, at most {max} allowed");
            // No header to name: the set as a whole breaks the rule.
            let name = None;
            return Err(CustomHeaderError { name, message });
        }
        for (i, (name, value)) in self.0.iter().enumerate() {
            // A name given twice: the first header of that name is an earlier one.
            let twice = self.position(name) != Some(i);
            if let Some(message) = rule_broken(name, value, twice) {
                let name = Some(name.clone());
                return Err(CustomHeaderError { name, message });
            }
        }
        Ok(())
    }

    /// Where the header named `name` (in any case) first is.
    fn position(&self, name: &str) -> Option<usize> {
        self.iter().position(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The headers, names in lowercase, sorted by name (stably: a repeated
    /// name's values stay in their order): what `==` compares.
    fn by_name(&self) -> Vec<(String, &str)> {
        let lower = |(name, value): (&str, _)| (name.to_ascii_lowercase(), value);
        let mut sorted: Vec<_> = self.iter().map(lower).collect();
        sorted.sort_by(|(a, _), (b, _)| a.cmp(b));
        sorted
    }
}

/// The rule a header breaks, if any, as `Display` says it: the name escaped,
/// never the value. `twice` when an earlier header has the same name.
fn rule_broken(name: &str, value: &str, twice: bool) -> Option<String> {
    use CustomHeaders as H;
    let quoted = format!("\"{}\"", escape(name));
    let lower = name.to_ascii_lowercase();
    let (chars, value_chars) = (name.chars().count(), value.chars().count());
    let (max_name, max_value) = (H::MAX_NAME_CHARS, H::MAX_VALUE_CHARS);
    let forbidden = name.chars().find(|&c| H::FORBIDDEN_NAME_CHARS.contains(c));
    // RFC 9110's `tchar`: what an HTTP header name may hold.
    let not_tchar = |c: char| !c.is_ascii_alphanumeric() && !"!#$%&'*+-.^_`|~".contains(c);
    Some(if twice {
        format!("custom header {quoted} is given twice")
    } else if !lower.starts_with("x-") {
        format!("custom header {quoted} must start with \"X-\"")
    } else if lower.starts_with("x-partoo") {
        format!("custom header {quoted} uses the reserved prefix \"X-Partoo\"")
    } else if chars > max_name {
        format!("custom header name {quoted} has {chars} characters, at most {max_name} allowed")
    } else if let Some(c) = forbidden {
        format!("custom header name {quoted} contains the forbidden character '{c}'")
    } else if let Some(c) = name.chars().find(|&c| not_tchar(c)) {
        format!(
            "custom header name {quoted} contains '{}', which HTTP does not allow in a \
             header name (only letters, digits and !#$%&'*+-.^_`|~)",
            escape(c.encode_utf8(&mut [0; 4]))
        )
    } else if value.chars().any(char::is_control) {
        format!("the value of custom header {quoted} contains a control character")
    } else if value_chars > max_value {
        format!("the value of custom header {quoted} has {value_chars} characters, at most {max_value} allowed")
    } else {
        return None;
    })
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for CustomHeaders {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(headers: I) -> Self {
        let mut all = CustomHeaders::new();
        for (name, value) in headers {
            all.insert(name, value);
        }
        all
    }
}

impl Serialize for CustomHeaders {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for CustomHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeadersVisitor)
    }
}

struct HeadersVisitor;

impl<'de> Visitor<'de> for HeadersVisitor {
    type Value = CustomHeaders;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of header names to string values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CustomHeaders, A::Error> {
        // Kept as sent, repeated names included: a listing reports, it does not judge.
        let entries = std::iter::from_fn(|| map.next_entry().transpose());
        entries.collect::<Result<_, _>>().map(CustomHeaders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, value: &str) -> Result<(), CustomHeaderError> {
        CustomHeaders::from_iter([(name, value)]).validate()
    }

    #[test]
    fn accepts_what_the_spec_allows() {
        for name in [
            "X-My-Header",
            "x-auth-token",
            "X-",
            "X-Partner",
            "X-Part00",
            "X-!#$%&'*+-.^_`|~09azAZ",
        ] {
            assert_eq!(one(name, "value"), Ok(()), "{name}");
        }
        assert_eq!(
            one(&format!("X-{}", "a".repeat(126)), &"v".repeat(512)),
            Ok(())
        );
        let five: CustomHeaders = (1..=5).map(|i| (format!("X-{i}"), "v")).collect();
        assert_eq!(five.validate(), Ok(()));
    }

    #[test]
    fn names_the_rule_each_header_breaks() {
        let cases = [
            (
                "Authorization",
                "v",
                r#"custom header "Authorization" must start with "X-""#,
            ),
            (
                "X-PARTOO-Id",
                "v",
                r#"custom header "X-PARTOO-Id" uses the reserved prefix "X-Partoo""#,
            ),
            (
                "x-partoo",
                "v",
                r#"custom header "x-partoo" uses the reserved prefix "X-Partoo""#,
            ),
            (
                "X-My Header",
                "v",
                r#"custom header name "X-My Header" contains the forbidden character ' '"#,
            ),
            (
                "X-a=b",
                "v",
                r#"custom header name "X-a=b" contains the forbidden character '='"#,
            ),
            (
                "X-a",
                "v\r\nX-Evil: 1",
                r#"the value of custom header "X-a" contains a control character"#,
            ),
            (
                "X-é",
                "v",
                r#"custom header name "X-é" contains 'é', which HTTP does not allow"#,
            ),
            (
                "X-a\u{200b}",
                "v",
                r#"custom header name "X-a\u{200b}" contains '\u{200b}', which"#,
            ),
            (
                "X-a\r\nX-Evil",
                "v",
                r#"custom header name "X-a\u{d}\u{a}X-Evil" contains '\u{d}'"#,
            ),
        ];
        for (name, value, message) in cases {
            let error = one(name, value).unwrap_err();
            assert_eq!(error.name.as_deref(), Some(name));
            assert!(error.to_string().starts_with(message), "{error}");
        }
        for c in CustomHeaders::FORBIDDEN_NAME_CHARS.chars() {
            let error = one(&format!("X-a{c}"), "v").unwrap_err();
            assert!(
                error
                    .to_string()
                    .ends_with(&format!("the forbidden character '{c}'")),
                "{error}"
            );
        }
        let long = format!("X-{}", "a".repeat(127));
        let error = one(&long, "v").unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("has 129 characters, at most 128 allowed"),
            "{error}"
        );
        let error = one("X-a", &"é".repeat(513)).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"the value of custom header "X-a" has 513 characters, at most 512 allowed"#
        );
        let six: CustomHeaders = (1..=6).map(|i| (format!("X-{i}"), "v")).collect();
        let error = six.validate().unwrap_err();
        assert_eq!(
            (error.name, error.message.as_str()),
            (None, "6 custom headers, at most 5 allowed")
        );
        let twice: CustomHeaders =
            CustomHeaders(vec![("X-A".into(), "1".into()), ("x-a".into(), "2".into())]);
        assert_eq!(
            twice.validate().unwrap_err().to_string(),
            r#"custom header "x-a" is given twice"#
        );
    }

    #[test]
    fn insert_replaces_regardless_of_case() {
        let mut headers = CustomHeaders::new();
        assert_eq!(headers.insert("X-A", "1"), None);
        assert_eq!(headers.insert("x-a", "2").as_deref(), Some("1"));
        assert_eq!(headers.get("X-a"), Some("2"));
        assert_eq!(headers.len(), 1);
    }

    #[test]
    fn debug_shows_names_and_hides_values() {
        let headers = CustomHeaders::from_iter([("X-Auth-Token", "s3cret-t0ken"), ("X-Env", "")]);

        for text in [format!("{headers:?}"), format!("{headers:#?}")] {
            assert!(!text.contains("s3cret"), "{text}");
            assert!(text.contains("\"X-Auth-Token\": \"[hidden]\""), "{text}");
            assert!(text.contains("\"X-Env\": \"[hidden]\""), "{text}");
        }
        assert_eq!(format!("{:?}", CustomHeaders::new()), "{}");
    }

    #[test]
    fn round_trips_through_json_in_order() {
        let json = r#"{"X-Z":"1","X-A":"2"}"#;
        let headers: CustomHeaders = serde_json::from_str(json).unwrap();
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [("X-Z", "1"), ("X-A", "2")]
        );
        assert_eq!(serde_json::to_string(&headers).unwrap(), json);
    }
}
