//! The custom headers of a webhook configuration, and the API's rules for them.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::escape;

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
/// assert!(matches!(headers.validate(), Err(CustomHeaderError::ReservedPrefix { .. })));
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
        let same = |(a, x): &&(String, String), (b, y): &&(String, String)| {
            a.eq_ignore_ascii_case(b) && x == y
        };
        self.0.len() == other.0.len()
            && self
                .by_name()
                .iter()
                .zip(&other.by_name())
                .all(|(a, b)| same(a, b))
    }
}

impl Eq for CustomHeaders {}

impl CustomHeaders {
    /// The headers sorted by name without regard to ASCII case, a repeated
    /// name's values in their order.
    fn by_name(&self) -> Vec<&(String, String)> {
        let mut sorted: Vec<&(String, String)> = self.0.iter().collect();
        sorted.sort_by_cached_key(|(name, _)| name.to_ascii_lowercase());
        sorted
    }
}

impl fmt::Debug for CustomHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, _)| (name, "[hidden]")))
            .finish()
    }
}

/// A rule of the API's `CustomHeaders` schema that a set of headers breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustomHeaderError {
    /// More than [`CustomHeaders::MAX_HEADERS`] headers.
    TooMany {
        /// How many there are.
        count: usize,
    },
    /// A name that does not start with `X-` (in any case).
    MissingXPrefix {
        /// The header name.
        name: String,
    },
    /// A name that starts with `X-Partoo` (in any case), which Partoo reserves.
    ReservedPrefix {
        /// The header name.
        name: String,
    },
    /// A name longer than [`CustomHeaders::MAX_NAME_CHARS`] characters.
    NameTooLong {
        /// The header name.
        name: String,
        /// Its length in characters.
        chars: usize,
    },
    /// A value longer than [`CustomHeaders::MAX_VALUE_CHARS`] characters.
    ValueTooLong {
        /// The header name.
        name: String,
        /// The value's length in characters.
        chars: usize,
    },
    /// A name with a character the API forbids: space `( ) < > @ , ; : \ " / [ ] ? = { }`.
    ForbiddenCharacter {
        /// The header name.
        name: String,
        /// The first forbidden character.
        character: char,
    },
    /// A name with a character that HTTP does not allow in a header name
    /// (RFC 9110's `tchar`: ASCII letters and digits, and ``!#$%&'*+-.^_`|~``),
    /// and that the API's own list does not name: a control character, a
    /// non-ASCII letter, an invisible one such as U+200B. Not in the API's
    /// schema, but no HTTP request can carry such a header.
    NotToken {
        /// The header name.
        name: String,
        /// The first character outside `tchar`.
        character: char,
    },
    /// A control character (such as a newline) in a value. Not in the API's
    /// schema, but no HTTP header can carry one, and a newline would inject
    /// another header. (A name with one is [`NotToken`](Self::NotToken).)
    ControlCharacter {
        /// The header name.
        name: String,
    },
}

/// Names, which may come from a server, are shown escaped.
impl fmt::Display for CustomHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CustomHeaders as H;
        let quoted = |name: &String| format!("\"{}\"", escape(name));
        match self {
            Self::TooMany { count } => {
                write!(
                    f,
                    "{count} custom headers, at most {} allowed",
                    H::MAX_HEADERS
                )
            }
            Self::MissingXPrefix { name } => {
                write!(f, "custom header {} must start with \"X-\"", quoted(name))
            }
            Self::ReservedPrefix { name } => write!(
                f,
                "custom header {} uses the reserved prefix \"X-Partoo\"",
                quoted(name)
            ),
            Self::NameTooLong { name, chars } => write!(
                f,
                "custom header name {} has {chars} characters, at most {} allowed",
                quoted(name),
                H::MAX_NAME_CHARS
            ),
            Self::ValueTooLong { name, chars } => write!(
                f,
                "the value of custom header {} has {chars} characters, at most {} allowed",
                quoted(name),
                H::MAX_VALUE_CHARS
            ),
            Self::ForbiddenCharacter { name, character } => write!(
                f,
                "custom header name {} contains the forbidden character '{character}'",
                quoted(name)
            ),
            Self::NotToken { name, character } => write!(
                f,
                "custom header name {} contains '{}', which HTTP does not allow in a \
                 header name (only letters, digits and !#$%&'*+-.^_`|~)",
                quoted(name),
                escape(character.encode_utf8(&mut [0; 4]))
            ),
            Self::ControlCharacter { name } => write!(
                f,
                "the value of custom header {} contains a control character",
                quoted(name)
            ),
        }
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
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                self.0.push((name, value));
                None
            }
        }
    }

    /// The value of a header, its name compared without regard to ASCII case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The headers as `(name, value)`, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
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
        if self.0.len() > Self::MAX_HEADERS {
            return Err(CustomHeaderError::TooMany {
                count: self.0.len(),
            });
        }
        for (name, value) in &self.0 {
            check(name, value)?;
        }
        Ok(())
    }
}

fn check(name: &str, value: &str) -> Result<(), CustomHeaderError> {
    let named = || name.to_owned();
    let lower = name.to_ascii_lowercase();
    if !lower.starts_with("x-") {
        return Err(CustomHeaderError::MissingXPrefix { name: named() });
    }
    if lower.starts_with("x-partoo") {
        return Err(CustomHeaderError::ReservedPrefix { name: named() });
    }
    let chars = name.chars().count();
    if chars > CustomHeaders::MAX_NAME_CHARS {
        return Err(CustomHeaderError::NameTooLong {
            name: named(),
            chars,
        });
    }
    if let Some(character) = name
        .chars()
        .find(|c| CustomHeaders::FORBIDDEN_NAME_CHARS.contains(*c))
    {
        return Err(CustomHeaderError::ForbiddenCharacter {
            name: named(),
            character,
        });
    }
    if let Some(character) = name.chars().find(|&c| !is_tchar(c)) {
        return Err(CustomHeaderError::NotToken {
            name: named(),
            character,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(CustomHeaderError::ControlCharacter { name: named() });
    }
    let chars = value.chars().count();
    if chars > CustomHeaders::MAX_VALUE_CHARS {
        return Err(CustomHeaderError::ValueTooLong {
            name: named(),
            chars,
        });
    }
    Ok(())
}

/// RFC 9110, section 5.6.2: the characters of a token, such as a header name.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
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
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
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
        let mut headers = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
        while let Some(entry) = map.next_entry::<String, String>()? {
            headers.push(entry);
        }
        Ok(CustomHeaders(headers))
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
        let name = |n: &str| n.to_owned();
        let cases = [
            (
                "Authorization",
                "v",
                CustomHeaderError::MissingXPrefix {
                    name: name("Authorization"),
                },
            ),
            (
                "X-PARTOO-Id",
                "v",
                CustomHeaderError::ReservedPrefix {
                    name: name("X-PARTOO-Id"),
                },
            ),
            (
                "x-partoo",
                "v",
                CustomHeaderError::ReservedPrefix {
                    name: name("x-partoo"),
                },
            ),
            (
                "X-My Header",
                "v",
                CustomHeaderError::ForbiddenCharacter {
                    name: name("X-My Header"),
                    character: ' ',
                },
            ),
            (
                "X-a=b",
                "v",
                CustomHeaderError::ForbiddenCharacter {
                    name: name("X-a=b"),
                    character: '=',
                },
            ),
            (
                "X-a",
                "v\r\nX-Evil: 1",
                CustomHeaderError::ControlCharacter { name: name("X-a") },
            ),
            (
                "X-é",
                "v",
                CustomHeaderError::NotToken {
                    name: name("X-é"),
                    character: 'é',
                },
            ),
            (
                "X-a\u{200b}",
                "v",
                CustomHeaderError::NotToken {
                    name: name("X-a\u{200b}"),
                    character: '\u{200b}',
                },
            ),
            (
                "X-a\r\nX-Evil",
                "v",
                CustomHeaderError::NotToken {
                    name: name("X-a\r\nX-Evil"),
                    character: '\r',
                },
            ),
        ];
        for (n, v, expected) in cases {
            assert_eq!(one(n, v), Err(expected));
        }
        for c in CustomHeaders::FORBIDDEN_NAME_CHARS.chars() {
            let n = format!("X-a{c}");
            assert!(
                matches!(one(&n, "v"), Err(CustomHeaderError::ForbiddenCharacter { character, .. }) if character == c)
            );
        }
        let long = format!("X-{}", "a".repeat(127));
        assert_eq!(
            one(&long, "v"),
            Err(CustomHeaderError::NameTooLong {
                name: long.clone(),
                chars: 129
            })
        );
        assert_eq!(
            one("X-a", &"é".repeat(513)),
            Err(CustomHeaderError::ValueTooLong {
                name: name("X-a"),
                chars: 513
            })
        );
        let six: CustomHeaders = (1..=6).map(|i| (format!("X-{i}"), "v")).collect();
        assert_eq!(six.validate(), Err(CustomHeaderError::TooMany { count: 6 }));
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
