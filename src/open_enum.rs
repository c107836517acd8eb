//! Enumerations of Partoo's values that may grow (event types, the kinds and
//! statuses of a delivery's payload): the values this crate knows as
//! variants, the rest kept as sent in an [`UnknownValue`].
//!
//! Every such enumeration has the one shape made by [`open_enum!`]: only
//! parsing builds the fallback, and only for a string no variant names, so a
//! known value never hides in it. So equality and hashing, derived, are
//! those of the string whichever way a value was made, and ordering is that
//! of [`as_str`](crate::EventType::as_str).

use std::fmt;

/// A value of one of Partoo's enumerations that this version of the crate
/// does not know, kept exactly as sent: the `Unknown` variant of
/// [`EventType`](crate::EventType) and of the payloads' enumerations.
///
/// Only parsing makes one, and never for a string that a variant names: a
/// value this crate knows always comes as its variant, so matching on the
/// variants is enough to handle it. Read an unknown value with
/// [`as_str`](Self::as_str). It cannot be made by hand:
///
/// ```compile_fail
/// let value = partoo_webhooks::UnknownValue(Box::from("review_created"));
/// ```
///
/// A later version of this crate may know the same string as a variant; the
/// enumerations compare, order and hash by their string, so such a value is
/// equal to the string it would hold here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnknownValue(Box<str>);

impl UnknownValue {
    /// Kept private to the crate: the parsers of `open_enum!` call it only
    /// for a string no variant names.
    pub(crate) fn new(value: impl Into<Box<str>>) -> Self {
        UnknownValue(value.into())
    }

    /// The value, as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Defines an open enumeration: the variants given with their strings, an
/// `Unknown(UnknownValue)` fallback, `KNOWN`, `as_str`, and `PartialEq`,
/// `Eq`, `PartialOrd`, `Ord`, `Hash`, `Display`, `FromStr` (infallible),
/// `Serialize` and `Deserialize`, all by the string.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        ///
        /// Values this crate does not know are kept as sent in
        /// [`Unknown`](Self::Unknown), which only parsing makes, and written
        /// back the same. Values compare, order and hash as their string
        /// ([`as_str`](Self::as_str)).
        // Derived equality and hash are the string's: parsing maps every
        // known string to its variant, so `Unknown` never holds a known one.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
            /// A value this version of the crate does not know, as sent; never
            /// one of the strings above.
            Unknown($crate::open_enum::UnknownValue),
        }

        impl $name {
            /// The values this version of the crate knows, in the order
            /// documented. Later versions may know more.
            pub const KNOWN: &'static [$name] = &[$($name::$variant,)+];

            /// The string for this value, as Partoo sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(unknown) => unknown.as_str(),
                }
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<::std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> ::std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            /// Never fails: a value no variant names becomes
            /// [`Unknown`](Self::Unknown).
            fn from_str(value: &str) -> Result<Self, ::std::convert::Infallible> {
                Ok(match value {
                    $($text => $name::$variant,)+
                    _ => $name::Unknown($crate::open_enum::UnknownValue::new(value)),
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct StrVisitor;

                impl ::serde::de::Visitor<'_> for StrVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }

                    // A borrowed string allocates nothing for a known value.
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        let Ok(value) = value.parse();
                        Ok(value)
                    }
                }

                deserializer.deserialize_str(StrVisitor)
            }
        }
    };
}

pub(crate) use open_enum;
